// Package stats turns per-variant sufficient statistics into the numbers
// analysts read on an experiment report: a Welch t-test, an always-valid
// sequential test, a Bayesian effect posterior, a sample-ratio-mismatch
// check, and small-count suppression for published breakdowns.
//
// The formulas follow GrowthBook's stats engine so that signpost agrees with
// reports analysts already trust; they and GrowthBook's test vectors are
// written out in ../testdata/gbstats-cases.md, which the tests reproduce.
// No GrowthBook code is used. Every function is pure and deterministic:
// there is no randomness (no Monte Carlo) and no package-level state.
package stats
