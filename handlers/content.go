package handlers

import (
	"archive/zip"
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"signpost/messages"
	"signpost/store"
)

// contentTypes maps export formats to the Content-Type they are sent with.
var contentTypes = map[string]string{
	"toml":  "application/toml; charset=utf-8",
	"json":  "application/json; charset=utf-8",
	"yaml":  "application/yaml; charset=utf-8",
	"xliff": "application/xliff+xml; charset=utf-8",
}

// localeParam splits a content route's last segment, "ar" or "ar.toml",
// into the locale and the format its extension names ("" for none).
func localeParam(c *fiber.Ctx) (locale, format string, err error) {
	seg := c.Params("file")
	locale, ext, _ := strings.Cut(seg, ".")
	if ext != "" {
		if format, err = messages.DetectFormat("", seg); err != nil {
			return "", "", errorf(fiber.StatusUnsupportedMediaType, "unsupported_media_type", "name the file LOCALE, or LOCALE with .toml, .json, .yaml, .yml, .xliff or .xlf")
		}
	}
	if !validLocale(locale) {
		return "", "", errorf(fiber.StatusBadRequest, "invalid_locale", "the locale must be a language code such as en, ar or ckb")
	}
	return strings.Clone(locale), format, nil
}

func validLocale(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// putContent replaces one locale's content in the working copy. The format
// comes from the Content-Type, or from the route's extension when the type
// is generic; an XLIFF file is imported as that locale's translations.
func (s *Server) putContent(c *fiber.Ctx) error {
	rev, err := ifMatch(c, true)
	if err != nil {
		return err
	}
	locale, ext, err := localeParam(c)
	if err != nil {
		return err
	}
	data, err := body(c)
	if err != nil {
		return err
	}
	name := locale
	if ext != "" {
		name += "." + ext
	}
	format, err := messages.DetectFormat(c.Get(fiber.HeaderContentType), name)
	if err != nil {
		return errorf(fiber.StatusUnsupportedMediaType, "unsupported_media_type", err.Error())
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errorf(fiber.StatusBadRequest, "empty", "the uploaded file is empty")
	}
	lc := store.LocaleContent{Format: format, Data: bytes.Clone(data)}
	if format == "xliff" {
		if lc, err = fromXLIFF(locale, data); err != nil {
			return err
		}
	}
	camp, err := s.Campaigns.PutContent(c.UserContext(), actor(c), c.Params("id"), rev, locale, lc)
	return sendCampaign(c, fiber.StatusOK, camp, err)
}

// fromXLIFF turns an XLIFF 2.0 file's translations into a TOML message
// file for locale, which is how it is stored.
func fromXLIFF(locale string, data []byte) (store.LocaleContent, error) {
	trg, msgs, err := messages.ImportXLIFF(data)
	if err != nil {
		return store.LocaleContent{}, err
	}
	if trg != locale {
		return store.LocaleContent{}, errorf(fiber.StatusUnprocessableEntity, "locale_mismatch",
			fmt.Sprintf("the XLIFF file's trgLang is %q, but it was uploaded as %q", trg, locale))
	}
	out, err := messages.EncodeLocaleFile(msgs, "toml")
	if err != nil {
		return store.LocaleContent{}, fmt.Errorf("encode imported XLIFF: %w", err)
	}
	return store.LocaleContent{Format: "toml", Data: out}, nil
}

// deleteContent removes one locale from the working copy.
func (s *Server) deleteContent(c *fiber.Ctx) error {
	rev, err := ifMatch(c, true)
	if err != nil {
		return err
	}
	locale, _, err := localeParam(c)
	if err != nil {
		return err
	}
	camp, err := s.Campaigns.DeleteContent(c.UserContext(), actor(c), c.Params("id"), rev, locale)
	return sendCampaign(c, fiber.StatusOK, camp, err)
}

// getContent exports one locale of the working copy (or ?version=): as
// uploaded without an extension, converted with one, or as XLIFF 2.0 with
// the default locale as source.
func (s *Server) getContent(c *fiber.Ctx) error {
	version, err := versionParam(c)
	if err != nil {
		return err
	}
	locale, format, err := localeParam(c)
	if err != nil {
		return err
	}
	ctx, id := c.UserContext(), c.Params("id")
	def, files, err := s.Campaigns.Definition(ctx, id, version)
	if err != nil {
		return err
	}
	f, ok := files[locale]
	if !ok && format != "xliff" {
		return errorf(fiber.StatusNotFound, "not_found", "the campaign has no content for this locale")
	}
	if format == "" {
		format = f.Format
		c.Set(fiber.HeaderContentType, contentTypes[format])
		return c.Send(f.Data)
	}
	out, err := export(def, files, locale, format)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, contentTypes[format])
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+def.ID+"-"+locale+"."+extension(format)+`"`)
	return c.Send(out)
}

// exportAll sends every locale of the working copy (or ?version=) as a
// zip of files in ?format= (toml when absent; xliff gives one XLIFF file
// per locale other than the default).
func (s *Server) exportAll(c *fiber.Ctx) error {
	version, err := versionParam(c)
	if err != nil {
		return err
	}
	format := c.Query("format", "toml")
	if _, ok := contentTypes[format]; !ok {
		return errorf(fiber.StatusBadRequest, "invalid_format", "format must be toml, json, yaml or xliff")
	}
	def, files, err := s.Campaigns.Definition(c.UserContext(), c.Params("id"), version)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, loc := range slices.Sorted(maps.Keys(files)) {
		if format == "xliff" && loc == def.DefaultLocale {
			continue
		}
		out, err := export(def, files, loc, format)
		if err != nil {
			return err
		}
		w, err := zw.Create(path.Join(def.ID, loc+"."+extension(format)))
		if err != nil {
			return fmt.Errorf("export zip: %w", err)
		}
		if _, err := w.Write(out); err != nil {
			return fmt.Errorf("export zip: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export zip: %w", err)
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+def.ID+"-"+format+`.zip"`)
	return c.Send(buf.Bytes())
}

func extension(format string) string {
	if format == "xliff" {
		return "xlf"
	}
	return format
}

// export converts one locale's file to format.
func export(def *messages.Definition, files map[string]messages.LocaleFile, locale, format string) ([]byte, error) {
	var msgs []messages.Message
	if f, ok := files[locale]; ok {
		var err error
		if msgs, err = messages.ParseLocaleFile(locale, f); err != nil {
			return nil, fmt.Errorf("stored %s content: %w", locale, err)
		}
	}
	if format != "xliff" {
		return messages.EncodeLocaleFile(msgs, format)
	}
	src, err := messages.ParseLocaleFile(def.DefaultLocale, files[def.DefaultLocale])
	if err != nil {
		return nil, fmt.Errorf("stored %s content: %w", def.DefaultLocale, err)
	}
	return messages.ExportXLIFF(def.ID, def.DefaultLocale, src, locale, msgs)
}
