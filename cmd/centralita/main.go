// Command centralita is the Centralita contact-center control server and its
// administration tool: serve, migrate, keys, users, version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	_ "time/tzdata" // IANA zones for --timezone even without system tzdata

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "centralita:", err)
		os.Exit(1)
	}
}

const usage = `usage: centralita COMMAND [flags]

commands:
  serve                     run the server
  migrate up|status         apply or list database migrations
  keys create --description TEXT | list | revoke ID
  users create --username U --role admin|supervisor|agent | list | delete U
  sim --listen ADDR --ari-password P   run the Asterisk simulator standalone
  dialsim                   run the outbound pacing benchmark (docs/dialer-pacing.md)
  version                   print the version

Every command takes --db (env CENTRALITA_DB); "centralita COMMAND -h" lists its flags.
`

// env carries the process's standard streams to a command.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run executes one command line.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "migrate":
		return e.migrate(ctx, rest)
	case "keys":
		return e.keys(ctx, rest)
	case "users":
		return e.users(ctx, rest)
	case "sim":
		return e.simCommand(ctx, rest)
	case "dialsim":
		return e.dialsimCommand(ctx, rest)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "centralita %s %s %s/%s\n", centralita.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// dbFlags are the flags every command shares.
type dbFlags struct {
	db      string
	dataDir string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dataDir, "data-dir", "./data", "folder for the SQLite database, recordings and first-run credentials")
	fs.StringVar(&d.db, "db", "", `database: sqlite:PATH or mysql://user:pass@host:3306/dbname (default "sqlite:<data-dir>/centralita.db")`)
}

// dsn is --db, or the SQLite file in the data folder.
func (d *dbFlags) dsn() string {
	if d.db != "" {
		return d.db
	}
	return "sqlite:" + filepath.Join(d.dataDir, "centralita.db")
}

// open opens and migrates the database.
func (d *dbFlags) open(ctx context.Context, logger *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, store.Config{DSN: d.dsn(), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", store.RedactDSN(d.dsn()), err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// parse parses args into fs, then fills every flag not given on the command
// line from its environment variable: --ari-url from CENTRALITA_ARI_URL.
func (e env) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := "CENTRALITA_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, serr)
			}
		}
	})
	return err
}

// newLogger logs as text on a terminal and as JSON otherwise, unless format says.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "auto":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want auto, text or json", format)
}

// isTerminal reports whether w is a character device.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
