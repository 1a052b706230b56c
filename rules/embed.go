// Package rules embeds the shipped term rules, one file per language (see
// README.md for the format).
package rules

import "embed"

// FS holds the shipped *.rules files at its root.
//
//go:embed *
var FS embed.FS
