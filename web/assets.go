package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// static holds the UI's stylesheets and scripts, the vendored libraries
// with their licences, and widget.js.
//
//go:embed static
var static embed.FS

// Assets serves the static files under content-hash names
// (/assets/app.3f2a9c1d.css): a name changes whenever the content does,
// so browsers may cache each one for a year and never see a stale file.
type Assets struct {
	byFile map[string]Asset  // hashed file name -> asset
	urls   map[string]string // plain name -> /assets/<hashed name>
}

// Asset is one static file.
type Asset struct {
	Body        []byte
	ContentType string
}

// NewAssets hashes every embedded static file.
func NewAssets() (*Assets, error) {
	a := &Assets{byFile: map[string]Asset{}, urls: map[string]string{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return fmt.Errorf("web: read %s: %w", p, err)
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		a.byFile[hashed] = Asset{Body: body, ContentType: ct}
		a.urls[name] = "/assets/" + hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load assets: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of a static file by its plain name
// ("app.css"), or "" when there is none.
func (a *Assets) URL(name string) string { return a.urls[name] }

// Lookup returns the asset with a hashed file name.
func (a *Assets) Lookup(hashed string) (Asset, bool) {
	as, ok := a.byFile[hashed]
	return as, ok
}

// Raw returns a static file by its plain name, for routes with a fixed
// address (/widget.js, which platforms embed by that name).
func (a *Assets) Raw(name string) (Asset, bool) {
	u, ok := a.urls[name]
	if !ok {
		return Asset{}, false
	}
	return a.Lookup(strings.TrimPrefix(u, "/assets/"))
}
