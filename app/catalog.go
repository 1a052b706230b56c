package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"signpost/editing"
	"signpost/match"
	"signpost/messages"
	"signpost/rules"
	"signpost/store"
)

// LoadMatcher compiles the rules in dir, or the embedded ones when dir is
// empty, with the directory's scorer (match.ScorerFile) when it has one.
func LoadMatcher(dir string) (*match.Matcher, error) {
	fsys, root := fs.FS(rules.FS), "."
	if dir != "" {
		fsys, root = os.DirFS(dir), "."
	}
	files, err := match.LoadRules(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	s, err := match.LoadScorer(fsys)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	m, err := match.CompileScored(files, s)
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

// importShipped imports each shipped campaign the store does not have yet
// as its published version 1, so a fresh install answers events at once
// and editors can change it like any other. A campaign already in the
// store is the editors' and is left alone.
func importShipped(ctx context.Context, svc *editing.Service, fsys fs.FS) error {
	shipped, err := loadShipped(fsys)
	if err != nil {
		return err
	}
	for _, sc := range shipped {
		content := make(map[string]store.LocaleContent, len(sc.content))
		for loc, f := range sc.content {
			content[loc] = store.LocaleContent{Format: f.Format, Data: f.Data}
		}
		if _, err := svc.Import(ctx, sc.raw, content); err != nil {
			return fmt.Errorf("import shipped campaign %q: %w", sc.def.ID, err)
		}
	}
	return nil
}

// importShippedRules keeps each shipped rule file in the store (see
// editing.ImportRules), with testdata/cases/<name>.tsv as its samples.
func importShippedRules(ctx context.Context, svc *editing.Service, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.rules")
	if err != nil || len(names) == 0 {
		return fmt.Errorf("shipped rules: no rule files (%v)", err)
	}
	for _, file := range names {
		name := strings.TrimSuffix(file, ".rules")
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return fmt.Errorf("shipped rules: %w", err)
		}
		samples, err := fs.ReadFile(fsys, path.Join("testdata/cases", name+".tsv"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("shipped rules: %w", err)
		}
		if _, err := svc.ImportRules(ctx, name, data, samples); err != nil {
			return fmt.Errorf("import shipped rules %s: %w", name, err)
		}
	}
	return nil
}
