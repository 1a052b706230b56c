//go:build race

package rules_test

// raceEnabled: the race detector makes the matcher some ten times
// slower, too slow for the exhaustive agreement test.
const raceEnabled = true
