package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"signpost/app"
	"signpost/backup"
	"signpost/store"
)

// withStore opens the store cfg selects and runs fn with it, under a
// context that SIGINT or SIGTERM cancels, closing the store after.
func withStore(cfg app.Config, fn func(ctx context.Context, st store.Store) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := app.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st)
}

// exportCmd is `signpost export [--out FILE]`: it writes everything the
// configured store holds as one archive, to stdout unless --out names a
// file (gzip-compressed when the name ends in .gz). A file is written
// under a temporary name and renamed at the end, so a failed export never
// leaves what looks like a whole archive.
func exportCmd(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "archive file to write (default: stdout; gzip when it ends in .gz)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: signpost export [--out FILE]")
	}
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	var a *backup.Archive
	if err := withStore(cfg, func(ctx context.Context, st store.Store) (err error) {
		a, err = backup.Export(ctx, st, backup.Options{})
		return err
	}); err != nil {
		return err
	}
	if *out == "" {
		if err := backup.Encode(stdout, a, false); err != nil {
			return err
		}
	} else if err := writeArchiveFile(*out, a); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %s\n", a.Summary())
	return nil
}

func writeArchiveFile(path string, a *backup.Archive) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("create archive: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := backup.Encode(f, a, strings.HasSuffix(path, ".gz")); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}

// importCmd is `signpost import [--in FILE] [--replace]`: it restores an
// archive into the configured store, which must be empty unless --replace
// is given. The summary goes to stderr.
func importCmd(args []string, stdin io.Reader, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "archive file to read (default: stdin; gzip is recognised)")
	replace := fs.Bool("replace", false, "delete what the store holds and replace it with the archive")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: signpost import [--in FILE] [--replace]")
	}
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	r := stdin
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("open archive: %w", err)
		}
		defer f.Close()
		r = f
	}
	a, err := backup.Decode(r)
	if err != nil {
		return err
	}
	var res backup.Result
	err = withStore(cfg, func(ctx context.Context, st store.Store) (err error) {
		res, err = backup.Import(ctx, st, a, backup.Options{Replace: *replace})
		return err
	})
	if !res.Replaced.Empty() {
		fmt.Fprintf(stderr, "replaced %s\n", res.Replaced)
	}
	if err != nil {
		if errors.Is(err, backup.ErrNotEmpty) {
			return fmt.Errorf("nothing imported: %w", err)
		}
		return err
	}
	fmt.Fprintf(stderr, "imported %s\n", res.Imported)
	if !res.Expired.Empty() {
		fmt.Fprintf(stderr, "left out as expired: %d count cells, %d card keys\n", res.Expired.Counts, res.Expired.CardKeys)
	}
	return nil
}
