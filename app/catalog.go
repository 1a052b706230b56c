package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"signpost/catalog"
	"signpost/match"
	"signpost/messages"
	"signpost/rules"
	"signpost/store"
)

// LoadMatcher compiles the rules in dir, or the embedded ones when dir is
// empty.
func LoadMatcher(dir string) (*match.Matcher, error) {
	fsys, root := fs.FS(rules.FS), "."
	if dir != "" {
		fsys, root = os.DirFS(dir), "."
	}
	files, err := match.LoadRules(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	m, err := match.Compile(files)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	return m, nil
}

// shippedCampaign is a default campaign read from the embedded locales.
type shippedCampaign struct {
	def     *messages.Definition
	raw     []byte
	content map[string]messages.LocaleFile
}

// loadShipped reads and validates every campaign under
// locales/campaigns/<id>/: campaign.json and one <locale>.<format> file
// per locale. Errors name the file.
func loadShipped(fsys fs.FS) ([]shippedCampaign, error) {
	dirs, err := fs.ReadDir(fsys, "campaigns")
	if err != nil {
		return nil, fmt.Errorf("shipped campaigns: %w", err)
	}
	var out []shippedCampaign
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := path.Join("campaigns", d.Name())
		defPath := path.Join(dir, "campaign.json")
		raw, err := fs.ReadFile(fsys, defPath)
		if err != nil {
			return nil, fmt.Errorf("locales/%s: %w", defPath, err)
		}
		def, err := messages.ParseDefinition(raw)
		if err != nil {
			return nil, fmt.Errorf("locales/%s: %w", defPath, err)
		}
		sc := shippedCampaign{def: def, raw: raw, content: map[string]messages.LocaleFile{}}
		files, _ := fs.ReadDir(fsys, dir)
		for _, f := range files {
			name := f.Name()
			loc, format, ok := strings.Cut(name, ".")
			if !ok || name == "campaign.json" || format == "md" {
				continue
			}
			data, err := fs.ReadFile(fsys, path.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("locales/%s/%s: %w", dir, name, err)
			}
			sc.content[loc] = messages.LocaleFile{Format: format, Data: data, Name: "locales/" + path.Join(dir, name)}
		}
		if _, err := messages.Compile(def, 0, sc.content); err != nil {
			return nil, fmt.Errorf("shipped content: %w", err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// seedCampaigns stores each shipped campaign that the store does not
// have yet, so a fresh install answers events at once. A campaign already
// in the store is the editors' and is left alone.
func seedCampaigns(ctx context.Context, st store.Store, fsys fs.FS) error {
	shipped, err := loadShipped(fsys)
	if err != nil {
		return err
	}
	for _, sc := range shipped {
		_, err := st.Campaign(ctx, sc.def.ID)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("seed campaign %q: %w", sc.def.ID, err)
		}
		rec := store.Campaign{ID: sc.def.ID, Definition: sc.raw, Content: map[string]store.LocaleContent{}}
		for loc, f := range sc.content {
			rec.Content[loc] = store.LocaleContent{Format: f.Format, Data: f.Data}
		}
		if _, err := st.SaveCampaign(ctx, rec); err != nil {
			return fmt.Errorf("seed campaign %q: %w", sc.def.ID, err)
		}
	}
	return nil
}

// buildCatalog compiles every stored campaign with m into a catalog.
func buildCatalog(ctx context.Context, st store.Store, m *match.Matcher) (*catalog.Catalog, error) {
	recs, err := st.ListCampaigns(ctx)
	if err != nil {
		return nil, fmt.Errorf("load campaigns: %w", err)
	}
	var camps []*messages.Campaign
	for _, rec := range recs {
		def, err := messages.ParseDefinition(rec.Definition)
		if err != nil {
			return nil, fmt.Errorf("stored campaign %q: %w", rec.ID, err)
		}
		content := make(map[string]messages.LocaleFile, len(rec.Content))
		for loc, c := range rec.Content {
			content[loc] = messages.LocaleFile{Format: c.Format, Data: c.Data}
		}
		camp, err := messages.Compile(def, rec.Version, content)
		if err != nil {
			return nil, fmt.Errorf("stored campaign %q: %w", rec.ID, err)
		}
		camps = append(camps, camp)
	}
	return catalog.New(m, camps)
}
