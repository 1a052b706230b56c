package messages

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// XLIFF 2.0 lets translators work on a campaign in their own tools.
//
// Layout: one <file id="campaign id" canResegment="no" xml:space="preserve">,
// one <unit> per source message, in id order. A message whose text depends
// on a count (plural forms in the source or the translation) becomes one
// unit per plural form, with the id "MESSAGE_ID:form" (":" because XLIFF
// ids are NMTOKENs, which cannot hold "#", and signpost message ids never
// contain ":"). Its forms are those the target language uses, plus any the
// translation already has, so that the translator sees every form to fill;
// each unit's source is the source's text for that form, or its "other".
// The message's description travels as the unit's <note>. A target is
// written only when a translation exists; an empty <target> on import
// means "not translated yet".

const xliffNS = "urn:oasis:names:tc:xliff:document:2.0"

// MaxXLIFFSize bounds an uploaded XLIFF file, which is a few times larger
// than the message file it carries.
const MaxXLIFFSize = 4 * MaxFileSize

// maxXMLDepth bounds element nesting in an imported file; XLIFF needs five
// levels (xliff, file, unit, segment, target) and a few for modules.
const maxXMLDepth = 16

// ExportXLIFF writes the source messages with their translations, if any,
// as an XLIFF 2.0 document for a translator.
func ExportXLIFF(campaignID, srcLocale string, src []Message, trgLocale string, trg []Message) ([]byte, error) {
	for _, attr := range []string{campaignID, srcLocale, trgLocale} {
		if attr == "" || !xmlSafe(attr) {
			return nil, fmt.Errorf("export xliff: campaign id and locales must be non-empty XML text, got %q", attr)
		}
	}
	trgByID := map[string]Message{}
	for _, m := range trg {
		trgByID[m.ID] = m
	}
	srcs := slices.Clone(src)
	slices.SortStableFunc(srcs, func(a, b Message) int { return strings.Compare(a.ID, b.ID) })
	trgForms := pluralCategories(language.Make(trgLocale))

	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<xliff xmlns=%q version=\"2.0\" srcLang=\"%s\" trgLang=\"%s\">\n", xliffNS, escapeXML(srcLocale), escapeXML(trgLocale))
	fmt.Fprintf(&b, " <file id=\"%s\" canResegment=\"no\" xml:space=\"preserve\">\n", escapeXML(campaignID))
	seen := map[string]bool{}
	for _, s := range srcs {
		if s.ID == "" || strings.Contains(s.ID, ":") || !xmlSafe(s.ID) {
			return nil, fmt.Errorf("export xliff: message id %q cannot be a unit id", s.ID)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("export xliff: message %q appears twice", s.ID)
		}
		seen[s.ID] = true
		t, hasT := trgByID[s.ID]
		if !isPlural(s) && !(hasT && isPlural(t)) {
			text, ok := t.Forms["other"]
			if err := writeUnit(&b, s.ID, s.Description, s.Forms["other"], text, hasT && ok); err != nil {
				return nil, err
			}
			continue
		}
		forms := slices.Clone(trgForms)
		for f := range t.Forms {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
		for _, f := range pluralForms() {
			if !slices.Contains(forms, f) {
				continue
			}
			source, ok := s.Forms[f]
			if !ok {
				source = s.Forms["other"]
			}
			text, ok := t.Forms[f]
			if err := writeUnit(&b, s.ID+":"+f, s.Description, source, text, ok); err != nil {
				return nil, err
			}
		}
	}
	b.WriteString(" </file>\n</xliff>\n")
	return b.Bytes(), nil
}

// isPlural reports whether m's text depends on a count.
func isPlural(m Message) bool {
	for f := range m.Forms {
		if f != "other" {
			return true
		}
	}
	return false
}

func writeUnit(b *bytes.Buffer, id, note, source, target string, hasTarget bool) error {
	for _, s := range []string{note, source, target} {
		if !xmlSafe(s) {
			return fmt.Errorf("export xliff: unit %q holds a character XML cannot carry", id)
		}
	}
	fmt.Fprintf(b, "  <unit id=\"%s\">\n", escapeXML(id))
	if note != "" {
		fmt.Fprintf(b, "   <notes><note category=\"description\">%s</note></notes>\n", escapeXML(note))
	}
	fmt.Fprintf(b, "   <segment>\n    <source>%s</source>\n", escapeXML(source))
	if hasTarget && target != "" {
		fmt.Fprintf(b, "    <target>%s</target>\n", escapeXML(target))
	}
	b.WriteString("   </segment>\n  </unit>\n")
	return nil
}

func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// xmlSafe reports whether every character of s may appear in XML 1.0.
func xmlSafe(s string) bool {
	for _, r := range s {
		ok := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok {
			return false
		}
	}
	return true
}

// ImportXLIFF reads a translated XLIFF 2.0 document: its target language
// and the translated messages, sorted by id. Units without a target (or
// with an empty one) are not translated yet and are skipped. DTDs and
// entities other than XML's own are rejected. Problems are reported with
// their lines in a *ValidationError.
func ImportXLIFF(data []byte) (trgLocale string, msgs []Message, err error) {
	imp := &xliffImport{forms: map[string]*Message{}, unitLines: map[string]int{}}
	if len(data) > MaxXLIFFSize {
		imp.fail(0, "", "the file is %d bytes, more than the limit of %d", len(data), MaxXLIFFSize)
	} else {
		imp.read(data)
	}
	if len(imp.probs) > 0 {
		sortErrors(imp.probs)
		for _, p := range imp.probs {
			p.(*ContentError).Locale = imp.trgLang
		}
		return "", nil, &ValidationError{Problems: imp.probs}
	}
	for _, m := range imp.forms {
		msgs = append(msgs, *m)
	}
	slices.SortFunc(msgs, func(a, b Message) int { return strings.Compare(a.ID, b.ID) })
	return imp.trgLang, msgs, nil
}

type xliffImport struct {
	dec       *xml.Decoder
	trgLang   string
	forms     map[string]*Message // by message id
	unitLines map[string]int      // unit id -> line, to report duplicates
	probs     []error
}

func (x *xliffImport) fail(line int, id, format string, args ...any) {
	x.probs = append(x.probs, &ContentError{MessageID: id, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (x *xliffImport) line() int {
	l, _ := x.dec.InputPos()
	return l
}

// errStop ends reading after a problem that makes the rest meaningless.
var errStop = errors.New("stop")

func (x *xliffImport) read(data []byte) {
	x.dec = xml.NewDecoder(bytes.NewReader(data))
	x.dec.Strict = true
	root, err := x.nextElement(0)
	if err != nil {
		if err == io.EOF {
			x.fail(1, "", "the file holds no XLIFF document")
		}
		return
	}
	if root.Name.Space != xliffNS || root.Name.Local != "xliff" {
		x.fail(x.line(), "", "the root element is <%s>, not an XLIFF 2.0 <xliff> (namespace %s)", root.Name.Local, xliffNS)
		return
	}
	if v := attr(root, "version"); v != "2.0" {
		x.fail(x.line(), "", "XLIFF version %q is not supported: export XLIFF 2.0", v)
		return
	}
	x.trgLang = attr(root, "trgLang")
	if x.trgLang == "" {
		x.fail(x.line(), "", "the <xliff> element has no trgLang: say which language the translation is in")
		return
	}
	_ = x.children(1, func(el xml.StartElement) error {
		if el.Name.Space == xliffNS && el.Name.Local == "file" {
			return x.children(2, func(el xml.StartElement) error {
				if el.Name.Space == xliffNS && el.Name.Local == "unit" {
					return x.unit(el, 3)
				}
				return x.skip(3)
			})
		}
		return x.skip(2)
	})
	if len(x.probs) == 0 {
		if _, err := x.nextElement(0); err != io.EOF && err != errStop {
			x.fail(x.line(), "", "unexpected content after </xliff>")
		}
	}
}

// nextElement returns the next start element at this level, failing on a
// DTD or a stray end. io.EOF means the input ended cleanly.
func (x *xliffImport) nextElement(depth int) (xml.StartElement, error) {
	for {
		tok, err := x.dec.Token()
		if err != nil {
			if err != io.EOF {
				x.fail(x.line(), "", "invalid XML: %s", strings.TrimPrefix(err.Error(), "XML syntax error on "))
				return xml.StartElement{}, errStop
			}
			return xml.StartElement{}, io.EOF
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth >= maxXMLDepth {
				x.fail(x.line(), "", "elements are nested more than %d deep", maxXMLDepth)
				return xml.StartElement{}, errStop
			}
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errEnd
		case xml.Directive:
			x.fail(x.line(), "", "DTDs and entity declarations are not allowed")
			return xml.StartElement{}, errStop
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				x.fail(x.line(), "", "text outside the <xliff> element")
				return xml.StartElement{}, errStop
			}
		}
	}
}

// errEnd reports the end of the current element to children.
var errEnd = errors.New("end of element")

// children calls fn for each child element of the element just opened;
// fn must consume the child up to its end tag.
func (x *xliffImport) children(depth int, fn func(xml.StartElement) error) error {
	for {
		el, err := x.nextElement(depth)
		if err == errEnd {
			return nil
		}
		if err == io.EOF {
			x.fail(x.line(), "", "invalid XML: the file ends inside an element")
			return errStop
		}
		if err != nil {
			return err
		}
		if err := fn(el); err != nil {
			return err
		}
	}
}

// skip consumes an element this importer does not use, such as a module's
// metadata.
func (x *xliffImport) skip(depth int) error {
	return x.children(depth+1, func(xml.StartElement) error { return x.skip(depth + 1) })
}

func (x *xliffImport) unit(el xml.StartElement, depth int) error {
	line, id := x.line(), attr(el, "id")
	var note, source, target strings.Builder
	var untranslated, translated int
	err := x.children(depth+1, func(el xml.StartElement) error {
		if el.Name.Space != xliffNS {
			return x.skip(depth + 1)
		}
		switch el.Name.Local {
		case "notes":
			return x.children(depth+2, func(el xml.StartElement) error {
				if el.Name.Space == xliffNS && el.Name.Local == "note" && (attr(el, "category") == "" || attr(el, "category") == "description") {
					if note.Len() > 0 {
						note.WriteString("\n")
					}
					return x.text(&note, id, depth+2)
				}
				return x.skip(depth + 2)
			})
		case "segment", "ignorable":
			hasTarget := false
			err := x.children(depth+2, func(el xml.StartElement) error {
				switch {
				case el.Name.Space == xliffNS && el.Name.Local == "source":
					return x.text(&source, id, depth+2)
				case el.Name.Space == xliffNS && el.Name.Local == "target":
					hasTarget = true
					return x.text(&target, id, depth+2)
				}
				return x.skip(depth + 2)
			})
			if el.Name.Local == "segment" {
				if hasTarget {
					translated++
				} else {
					untranslated++
				}
			}
			return err
		}
		return x.skip(depth + 1)
	})
	if err != nil {
		return err
	}
	msgID, form := id, "other"
	if i := strings.LastIndexByte(id, ':'); i >= 0 && slices.Contains(pluralForms(), id[i+1:]) {
		msgID, form = id[:i], id[i+1:]
	}
	switch {
	case id == "" || msgID == "":
		x.fail(line, "", "a <unit> has no id")
	case x.unitLines[id] > 0:
		x.fail(line, msgID, "unit %q appears twice (first at line %d)", id, x.unitLines[id])
	case translated > 0 && untranslated > 0:
		x.fail(line, msgID, "unit %q is only partly translated: %d of %d segments have a target", id, translated, translated+untranslated)
	case translated > 0 && target.Len() > 0:
		m := x.forms[msgID]
		if m == nil {
			m = &Message{ID: msgID, Description: note.String(), Forms: map[string]string{}, Line: line}
			x.forms[msgID] = m
		}
		m.Forms[form] = target.String()
	}
	if id != "" {
		x.unitLines[id] = line
	}
	return nil
}

// text appends the text of a <source>, <target> or <note> to b. Inline
// markup is rejected: card text has none, and dropping it silently would
// change what the translator wrote.
func (x *xliffImport) text(b *strings.Builder, id string, depth int) error {
	for {
		tok, err := x.dec.Token()
		if err != nil {
			x.fail(x.line(), "", "invalid XML: %s", strings.TrimPrefix(err.Error(), "XML syntax error on "))
			return errStop
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return nil
		case xml.StartElement:
			x.fail(x.line(), id, "inline markup <%s> is not supported: card text is plain text", t.Name.Local)
			if err := x.skip(depth + 1); err != nil {
				return err
			}
		case xml.Directive:
			x.fail(x.line(), "", "DTDs and entity declarations are not allowed")
			return errStop
		}
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name && (a.Name.Space == "" || a.Name.Space == xliffNS) {
			return a.Value
		}
	}
	return ""
}
