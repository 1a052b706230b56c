package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"signpost/backup"
)

// TestExportImportCommands runs export and import end to end on embedded
// stores: a token made with `token create` survives the move, a second
// import is refused without --replace, and an archive of another version
// is refused with a plain message.
func TestExportImportCommands(t *testing.T) {
	srcDir, dstDir, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"token", "create", "--role", "admin", "--name", "ops"}, nil, &out, &errb, env(map[string]string{"SIGNPOST_DATA_DIR": srcDir})); code != 0 {
		t.Fatalf("token create: exit %d: %s", code, errb.String())
	}

	archive := filepath.Join(tmp, "backup.json.gz")
	errb.Reset()
	if code := run([]string{"export", "--out", archive}, nil, &out, &errb, env(map[string]string{"SIGNPOST_DATA_DIR": srcDir})); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "1 tokens") {
		t.Errorf("export summary = %q, want it to count 1 token", errb.String())
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	a, err := backup.Decode(f)
	f.Close()
	if err != nil || len(a.Tokens) != 1 || len(a.SecurityLog) != 1 {
		t.Fatalf("exported archive: %v, %+v; want one token and its security event", err, a)
	}

	dst := env(map[string]string{"SIGNPOST_DATA_DIR": dstDir})
	errb.Reset()
	if code := run([]string{"import", "--in", archive}, nil, &out, &errb, dst); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "imported") || !strings.Contains(errb.String(), "1 tokens") {
		t.Errorf("import summary = %q", errb.String())
	}

	errb.Reset()
	if code := run([]string{"import", "--in", archive}, nil, &out, &errb, dst); code == 0 || !strings.Contains(errb.String(), "--replace") {
		t.Errorf("second import: exit %d, stderr %q; want a refusal naming --replace", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"import", "--replace"}, bytes.NewReader(mustRead(t, archive)), &out, &errb, dst); code != 0 || !strings.Contains(errb.String(), "replaced") {
		t.Errorf("import --replace from stdin: exit %d, stderr %q", code, errb.String())
	}

	errb.Reset()
	newer := strings.NewReader(`{"format":"signpost-backup","version":99}`)
	if code := run([]string{"import"}, newer, &out, &errb, dst); code == 0 || !strings.Contains(errb.String(), "version 99") {
		t.Errorf("import of version 99: exit %d, stderr %q; want a refusal naming the version", code, errb.String())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
