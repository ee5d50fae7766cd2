package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/auth"
	"github.com/centralita/centralita/store"
)

// adminDB parses the shared flags (plus any extra) and opens the migrated
// database for an administration command. Logs go to stderr as text.
func (e env) adminDB(ctx context.Context, name string, args []string, extra func(fs *flag.FlagSet)) (*store.DB, *flag.FlagSet, error) {
	var d dbFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	d.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := e.parse(fs, args); err != nil {
		return nil, nil, err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := d.open(ctx, logger)
	if err != nil {
		return nil, nil, err
	}
	return db, fs, nil
}

// migrate: `migrate up` applies pending migrations, `migrate status` lists them.
func (e env) migrate(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return fmt.Errorf("usage: centralita migrate up|status [--db DSN]")
	}
	var d dbFlags
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	d.register(fs)
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	db, err := store.Open(ctx, store.Config{DSN: d.dsn(), Logger: logger})
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "up" {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	for _, m := range st {
		state, at := "pending", ""
		if m.Applied {
			state, at = "applied", m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
	}
	return w.Flush()
}

// keys: create --description TEXT, list, revoke ID.
func (e env) keys(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: centralita keys create --description TEXT | list | revoke ID")
	}
	var description string
	db, fs, err := e.adminDB(ctx, "keys "+args[0], args[1:], func(fs *flag.FlagSet) {
		if args[0] == "create" {
			fs.StringVar(&description, "description", "", "which system uses the key (required)")
		}
	})
	if err != nil {
		return err
	}
	defer db.Close()
	keys := store.NewAccessKeyService(db)
	switch args[0] {
	case "create":
		key, hash := auth.NewKey()
		k := &centralita.AccessKey{Description: description, Hash: hash}
		if err := keys.CreateAccessKey(ctx, k); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "access key %d created for %q; it is shown only now:\n", k.ID, k.Description)
		fmt.Fprintln(e.stdout, key)
		return nil
	case "list":
		list, err := keys.FindAccessKeys(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tDESCRIPTION\tCREATED\tLAST USED\tSTATE")
		for _, k := range list {
			state := "active"
			if !k.Active() {
				state = "revoked " + stamp(k.RevokedAt)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", k.ID, k.Description, stamp(&k.CreatedAt), stamp(k.LastUsedAt), state)
		}
		return w.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: centralita keys revoke ID")
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("key id %q: want a number from `keys list`", fs.Arg(0))
		}
		if err := keys.RevokeAccessKey(ctx, id, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "access key %d revoked\n", id)
		return nil
	}
	return fmt.Errorf("unknown keys command %q", args[0])
}

// users: create --username U --role ROLE, list, delete U.
func (e env) users(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: centralita users create --username U --role admin|supervisor|agent | list | delete U")
	}
	var username, role string
	db, fs, err := e.adminDB(ctx, "users "+args[0], args[1:], func(fs *flag.FlagSet) {
		switch args[0] {
		case "create":
			fs.StringVar(&username, "username", "", "user name (required)")
			fs.StringVar(&role, "role", "agent", "admin, supervisor or agent")
		case "delete":
			fs.StringVar(&username, "username", "", "user name (or give it as the argument)")
		}
	})
	if err != nil {
		return err
	}
	defer db.Close()
	users := store.NewUserService(db)
	switch args[0] {
	case "create":
		password, generated, err := e.readPassword()
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		u := &centralita.User{Username: username, PasswordHash: hash, Role: centralita.Role(role)}
		if err := users.CreateUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %q created with role %s\n", u.Username, u.Role)
		if generated {
			fmt.Fprintf(e.stdout, "password (shown only now): %s\n", password)
		}
		return nil
	case "list":
		list, err := users.FindUsers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSERNAME\tROLE\tCREATED")
		for _, u := range list {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", u.ID, u.Username, u.Role, stamp(&u.CreatedAt))
		}
		return w.Flush()
	case "delete":
		if username == "" && fs.NArg() == 1 {
			username = fs.Arg(0)
		}
		if username == "" {
			return fmt.Errorf("usage: centralita users delete USERNAME")
		}
		if err := users.DeleteUser(ctx, username); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %q deleted\n", username)
		return nil
	}
	return fmt.Errorf("unknown users command %q", args[0])
}

// readPassword reads the first line of stdin when it is not a terminal;
// with nothing there it generates a password.
func (e env) readPassword() (password string, generated bool, err error) {
	if e.stdin != nil && !isTerminal(e.stdin) {
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 1024)).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", false, fmt.Errorf("read password from stdin: %w", err)
		}
		if p := strings.TrimRight(line, "\r\n"); p != "" {
			return p, false, nil
		}
	}
	return auth.NewPassword(), true, nil
}

// stamp renders an optional time for listings.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
