// Command signpost is the service and its operator commands:
//
//	signpost [serve]                      serve HTTP (the default)
//	signpost match [--kind K] [--explain] [--rules DIR]
//	signpost token create --role R --name N [--platform P]
//	signpost rules check [DIR]
//	signpost rules train DIR
//	signpost user add --role R --name N [--platform P] < password
//	signpost export [--out FILE]
//	signpost import [--in FILE] [--replace]
//	signpost loadtest --url URL --token SECRET [--rate N] [--duration D] ...
//	signpost healthcheck [--live] [--url URL]
//
// Configuration comes from the environment (see README.md).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"signpost/app"
	"signpost/match"
	"signpost/rules"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

const usage = `usage:
  signpost [serve]
  signpost match [--kind search|view] [--explain] [--rules DIR]   < texts, one per line
  signpost token create --role platform|editor|reviewer|analyst|admin --name NAME [--platform ID]
  signpost user add --role ROLE --name NAME [--platform ID]   (password on stdin)
  signpost rules check [DIR]
  signpost rules train DIR
  signpost export [--out FILE[.gz]]   (default: stdout)
  signpost import [--in FILE[.gz]] [--replace]   (default: stdin)
  signpost loadtest --url URL[,URL...] --token SECRET [--rate N] [--duration D] [--workers W]
                    [--match-share F] [--views-share F] [--interactions-share F] [--timeout D] [--seed N] [--json]
  signpost healthcheck [--live] [--url URL]   (exit 0 when /readyz, or /livez, answers 200)
`

// run is main without the process: it returns the exit code, so the CLI
// is testable end to end.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args, stdout, stderr, getenv)
	case "match":
		err = matchCmd(args, stdin, stdout, stderr)
	case "token":
		err = tokenCmd(args, stdout, stderr, getenv)
	case "rules":
		err = rulesCmd(args, stdout, stderr)
	case "user":
		err = userCmd(args, stdin, stderr, getenv)
	case "export":
		err = exportCmd(args, stdout, stderr, getenv)
	case "import":
		err = importCmd(args, stdin, stderr, getenv)
	case "loadtest":
		err = loadtestCmd(args, stdout, stderr, getenv)
	case "healthcheck":
		err = healthcheckCmd(args, stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "signpost: %v\n", err)
		}
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func serve(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	cfg.Stdout = stdout
	log := newLogger(stderr, cfg.LogLevel)
	a, err := app.New(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.Run(ctx)
}

// explainLine is one output line of `signpost match --explain`.
type explainLine struct {
	match.Explanation
	RulesVersion string `json:"rules_version"`
}

func matchCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kindName := fs.String("kind", "search", "event kind: search or view")
	explain := fs.Bool("explain", false, "also print the normalised text, views, matched spans and suppressed rules")
	rulesDir := fs.String("rules", "", "directory of *.rules files (default: the shipped rules)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kind, ok := match.ParseKind(*kindName)
	if !ok {
		return fmt.Errorf("--kind %q: use search or view", *kindName)
	}
	// Compiling the rules allocates a great deal of short-lived memory and
	// is most of a run's start-up; a batch command can afford the heap
	// growing further between collections while it does.
	old := debug.SetGCPercent(1000)
	m, err := app.LoadMatcher(*rulesDir)
	debug.SetGCPercent(old)
	if err != nil {
		return err
	}
	return matchStream(m, stdin, stdout, kind, *explain)
}

// appendResult appends r as one JSON line. Rule ids, categories and the
// version are validated ASCII identifiers, so they need no escaping; this
// keeps the CLI streaming at matcher speed instead of encoder speed.
func appendResult(b []byte, r match.Result, version string) []byte {
	b = append(b, `{"matched":`...)
	b = strconv.AppendBool(b, r.Matched)
	list := func(b []byte, key string, items []string) []byte {
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":[`...)
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, it...)
			b = append(b, '"')
		}
		return append(b, ']')
	}
	b = list(b, "categories", r.Categories)
	b = list(b, "rules", r.Rules)
	b = append(b, `,"rules_version":"`...)
	b = append(b, version...)
	return append(b, "\"}\n"...)
}

// rulesCmd is `signpost rules check [DIR]`: parse and lint the rule files
// in DIR (default: the shipped ones) and check them against the benign
// corpus in DIR/testdata/benign. Findings go to stdout; the exit code is
// non-zero when any is an error.
func rulesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 2 && args[0] == "train" {
		return trainCmd(args[1], stderr)
	}
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return fmt.Errorf("usage: signpost rules check [DIR] | signpost rules train DIR")
	}
	var fsys fs.FS = rules.FS
	if len(args) == 2 {
		fsys = os.DirFS(args[1])
	}
	files, err := match.LoadRules(fsys, ".")
	if err != nil {
		return err
	}
	findings, err := match.Lint(files, fsys, "testdata/benign")
	if err != nil {
		return err
	}
	errs := 0
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
		if f.Severity == "error" {
			errs++
		}
	}
	n := 0
	for _, f := range files {
		n += len(f.Rules)
	}
	fmt.Fprintf(stderr, "%d rule files, %d rules: %d errors, %d warnings\n", len(files), n, errs, len(findings)-errs)
	if errs > 0 {
		return fmt.Errorf("rules check failed")
	}
	return nil
}

// trainCmd is `signpost rules train DIR`: train the scorer of the rules
// in DIR on DIR's labelled texts (see match.TrainingSet) and write it to
// DIR/scorer.bin, replacing the file only once the new one is complete.
func trainCmd(dir string, stderr io.Writer) error {
	fsys := os.DirFS(dir)
	files, err := match.LoadRules(fsys, ".")
	if err != nil {
		return err
	}
	m, err := match.Compile(files)
	if err != nil {
		return err
	}
	examples, err := match.TrainingSet(fsys)
	if err != nil {
		return err
	}
	s, err := match.Train(m, examples, match.TrainOptions{})
	if err != nil {
		return err
	}
	data, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	out := filepath.Join(dir, match.ScorerFile)
	tmp, err := os.CreateTemp(dir, ".scorer-*")
	if err != nil {
		return fmt.Errorf("write scorer: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write scorer: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write scorer: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write scorer: %w", err)
	}
	fmt.Fprintf(stderr, "trained on %d labelled texts: wrote %s (%d bytes)\n", len(examples), out, len(data))
	return nil
}

func tokenCmd(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: signpost token create --role ROLE --name NAME [--platform ID]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "platform, editor, reviewer, analyst or admin")
	name := fs.String("name", "", "who or what the token is for")
	platform := fs.String("platform", "", "platform id (required for platform tokens)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, secret, err := app.CreateToken(ctx, cfg, *name, *role, *platform)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", secret)
	fmt.Fprintf(stderr, "created token %s (%s); the secret above is shown only once\n", id, *role)
	return nil
}

// userCmd is `signpost user add`: it creates an account for a person to
// sign in to the web UI, reading the password from the first line of
// stdin so that it appears in no process list or shell history.
func userCmd(args []string, stdin io.Reader, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("usage: signpost user add --role ROLE --name NAME [--platform ID] < password-file")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "platform, editor, reviewer, analyst or admin")
	name := fs.String("name", "", "the sign-in name")
	platform := fs.String("platform", "", "platform id (required for platform users)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, err := app.CreateUser(ctx, cfg, *name, *role, *platform, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created user %s (%s, %s)\n", *name, id, *role)
	return nil
}
