// Package web embeds the pages and assets signpost serves itself.
package web

import _ "embed"

// SafePage is the neutral page shown for a bad or expired card link. It
// says nothing about signpost, campaigns or what was searched: someone
// may be looking over the person's shoulder.
//
//go:embed safe.html
var SafePage []byte
