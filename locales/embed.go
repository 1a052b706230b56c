// Package locales embeds the shipped message files: the content of the
// default campaigns (campaigns/<id>/campaign.json and <locale>.toml).
package locales

import "embed"

// FS holds the shipped message files.
//
//go:embed campaigns
var FS embed.FS
