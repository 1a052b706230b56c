// Package locales embeds the shipped message files: the content of the
// default campaigns (campaigns/<id>/campaign.json and <locale>.toml) and
// the web UI's strings (ui/<area>.<lang>.toml).
package locales

import (
	"embed"
	"io/fs"
)

// FS holds the shipped message files.
//
//go:embed campaigns ui
var FS embed.FS

// UI returns the web UI's message files, <area>.<lang>.toml, one area per
// group of pages.
func UI() fs.FS {
	sub, err := fs.Sub(FS, "ui")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}
