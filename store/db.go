// Package store implements Centralita's storage services with sqlx over
// MariaDB/MySQL (go-sql-driver) and SQLite (modernc, pure Go).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/centralita/centralita"
	csql "github.com/centralita/centralita/sql"
)

// Config says which database to open.
type Config struct {
	// DSN is "sqlite:PATH" (or "sqlite::memory:") or
	// "mysql://user:pass@host:3306/dbname?param=value".
	DSN string
	// Now is the clock used for created/updated stamps; default time.Now.
	Now func() time.Time
	// Logger receives migration output; default slog.Default().
	Logger *slog.Logger
}

// DB is an open Centralita database.
type DB struct {
	db      *sqlx.DB
	dialect dialect
	now     func() time.Time
	logger  *slog.Logger
}

// Open connects to the database named by cfg.DSN and checks that it answers.
// It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	d, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	if d.path != "" && d.path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(d.path), 0o750); err != nil {
			return nil, fmt.Errorf("store: create database folder: %w", err)
		}
	}
	sdb, err := sqlx.Open(d.driver, d.dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d.name, err)
	}
	d.configure(sdb)
	db := &DB{db: sdb, dialect: d, now: cfg.Now, logger: cfg.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	if db.logger == nil {
		db.logger = slog.Default()
	}
	if err := db.Ping(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Dialect names the database kind: "mysql" or "sqlite".
func (db *DB) Dialect() string { return db.dialect.name }

// SQL returns the underlying pool, for pool metrics.
func (db *DB) SQL() *sql.DB { return db.db.DB }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "database unreachable")
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.db.Close() }

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := csql.Migrations(db.dialect.name)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(db.dialect.goose, db.db.DB, fsys)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration; with none pending it changes nothing.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		db.logger.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "took", r.Duration)
	}
	return nil
}

// MigrationStatus lists every known migration with its state.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{
			Version:   s.Source.Version,
			Name:      filepath.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// dialect is what differs between the two databases.
type dialect struct {
	name   string // "mysql" or "sqlite"
	driver string // database/sql driver name
	dsn    string // driver DSN
	path   string // SQLite file path
	goose  goose.Dialect
	// translate turns a driver error into a domain error, or returns it unchanged.
	translate func(error) error
}

func (d dialect) configure(db *sqlx.DB) {
	switch d.name {
	case "sqlite":
		if d.path == ":memory:" {
			// Every connection to ":memory:" is its own database: keep one.
			db.SetMaxOpenConns(1)
		} else {
			db.SetMaxOpenConns(8)
		}
		db.SetMaxIdleConns(8)
	case "mysql":
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(8)
		db.SetConnMaxLifetime(5 * time.Minute)
	}
}

// sqlitePragmas make SQLite safe for concurrent writers: WAL, a busy timeout,
// and BEGIN IMMEDIATE so a transaction never fails upgrading its lock.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"

func parseDSN(dsn string) (dialect, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return dialect{}, centralita.Errorf(centralita.EINVALID, "database %q: sqlite needs a path, as sqlite:./data/centralita.db", dsn)
		}
		sqlx.BindDriver("sqlite", sqlx.QUESTION)
		d := dialect{name: "sqlite", driver: "sqlite", path: path, goose: goose.DialectSQLite3, translate: translateSQLite}
		if path == ":memory:" {
			d.dsn = "file::memory:?" + strings.ReplaceAll(sqlitePragmas, "journal_mode(WAL)", "journal_mode(MEMORY)")
		} else {
			d.dsn = "file:" + path + "?" + sqlitePragmas
		}
		return d, nil
	case strings.HasPrefix(dsn, "mysql://"):
		cfg, err := mysqlConfig(dsn)
		if err != nil {
			return dialect{}, err
		}
		return dialect{name: "mysql", driver: "mysql", dsn: cfg.FormatDSN(), goose: goose.DialectMySQL, translate: translateMySQL}, nil
	}
	return dialect{}, centralita.Errorf(centralita.EINVALID, "database %q: want sqlite:PATH or mysql://user:pass@host:3306/dbname", redactDSN(dsn))
}

func mysqlConfig(dsn string) (*mysql.Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, centralita.Errorf(centralita.EINVALID, "database %q: %v", redactDSN(dsn), err)
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = u.Host + ":3306"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	for k, v := range u.Query() {
		if len(v) == 0 {
			continue
		}
		switch k {
		case "tls":
			cfg.TLSConfig = v[0]
		default:
			cfg.Params[k] = v[0]
		}
	}
	return cfg, nil
}

// redactDSN hides a password in a DSN for messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// RedactDSN returns dsn with any password masked, for logs.
func RedactDSN(dsn string) string { return redactDSN(dsn) }

// translate maps a driver error to a domain error; what names the thing
// involved, for the message.
func (db *DB) translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return centralita.WrapError(centralita.ENOTFOUND, err, "%s not found", what)
	}
	var de *centralita.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	terr := db.dialect.translate(err)
	if errors.As(terr, &de) {
		if de.Kind == centralita.ECONFLICT {
			de.Message = what + " already exists"
		}
		return terr
	}
	return centralita.WrapError(centralita.EINTERNAL, err, "database error on %s", what)
}

// utc normalises a time for storage: UTC, microseconds.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// utcPtr is utc for optional times.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}
