package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/auth"
	"github.com/centralita/centralita/rest"
	"github.com/centralita/centralita/soap"
	"github.com/centralita/centralita/store"
)

// serveConfig is everything `serve` is configured with.
type serveConfig struct {
	dbFlags
	listen, timezone                     string
	ariURL, ariUser, ariPassword, ariApp string
	tlsCert, tlsKey                      string
	maxBody                              int64
	corsOrigins                          string
	trustProxy                           bool
	logFormat, logLevel                  string
	drain                                time.Duration
	location                             *time.Location
	trunkEndpoint                        string
	jobRetention                         time.Duration
	sim                                  simFlags
	acd                                  acdFlags
	sms                                  smsFlags
	rec                                  recordFlags
	panel                                panelFlags
}

func (e env) serveFlags(args []string) (*serveConfig, error) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.register(fs)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address the HTTP server listens on")
	fs.StringVar(&c.timezone, "timezone", time.Local.String(), "IANA time zone reports render local times in")
	fs.StringVar(&c.ariURL, "ari-url", "", "Asterisk ARI base URL, e.g. http://pbx:8088/ari (empty: the built-in simulator)")
	fs.StringVar(&c.ariUser, "ari-user", "", "ARI user")
	fs.StringVar(&c.ariPassword, "ari-password", "", "ARI password")
	fs.StringVar(&c.ariApp, "ari-app", "centralita", "ARI (Stasis) application name")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate (PEM); with --tls-key serves HTTPS")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key (PEM)")
	fs.Int64Var(&c.maxBody, "max-body", 8<<20, "largest request body accepted, in bytes")
	fs.StringVar(&c.corsOrigins, "cors-origins", "", "comma-separated origins allowed cross-origin requests (empty: CORS off)")
	fs.BoolVar(&c.trustProxy, "trust-proxy", false, "take the client address from X-Forwarded-For (only behind a trusted proxy)")
	fs.StringVar(&c.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.drain, "drain-timeout", 15*time.Second, "how long shutdown waits for in-flight requests")
	fs.StringVar(&c.trunkEndpoint, "trunk-endpoint", "PJSIP/%s@trunk", "how outside numbers are dialled (fmt template; extensions of 2 to 5 digits dial PJSIP/EXT)")
	fs.DurationVar(&c.jobRetention, "origination-retention", 60*time.Second, "how long a finished originateCall job's status is still answered")
	c.sim.register(fs)
	c.acd.register(fs)
	c.sms.register(fs)
	c.rec.register(fs)
	c.panel.register(fs)
	if err := e.parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	loc, err := time.LoadLocation(c.timezone)
	if err != nil {
		return nil, fmt.Errorf("--timezone %q: %w", c.timezone, err)
	}
	c.location = loc
	return c, nil
}

// serve runs the server until ctx ends, then drains requests and closes.
func (e env) serve(ctx context.Context, args []string) error {
	c, err := e.serveFlags(args)
	if err != nil {
		return err
	}
	logger, err := newLogger(e.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dataDir, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	db, err := c.open(ctx, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database ready", "db", store.RedactDSN(c.dsn()), "dialect", db.Dialect())

	keys, users := store.NewAccessKeyService(db), store.NewUserService(db)
	if err := e.bootstrap(ctx, c.dataDir, keys, users, logger); err != nil {
		return err
	}
	authn := auth.New(auth.Config{Keys: keys, Users: users, Logger: logger})
	authCtx, stopAuth := context.WithCancel(context.WithoutCancel(ctx))
	authDone := make(chan struct{})
	go func() { authn.Run(authCtx); close(authDone) }()
	defer func() { stopAuth(); <-authDone }()

	tel, err := startTelephony(ctx, c, db, logger)
	if err != nil {
		return err
	}
	defer tel.close()
	smsEngine, err := c.sms.start(ctx, db, c.location, logger)
	if err != nil {
		return err
	}
	defer smsEngine.Close()

	var origins []string
	for _, o := range strings.Split(c.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	srv, err := rest.NewServer(rest.Config{
		Listen: c.listen, TLSCert: c.tlsCert, TLSKey: c.tlsKey,
		MaxBodyBytes: c.maxBody, CORSOrigins: origins, TrustProxyHeaders: c.trustProxy,
		Auth:         authn,
		Checks:       []rest.HealthCheck{{Name: "database", Check: db.Ping}, {Name: "ari", Check: tel.client.Check}},
		Collectors:   []prometheus.Collector{collectors.NewDBStatsCollector(db.SQL(), "centralita")},
		Logger:       logger,
		DrainTimeout: c.drain,
	})
	if err != nil {
		return err
	}
	soapSrv, err := tel.soapServer(c, db, authn, logger)
	if err != nil {
		return err
	}
	srv.Mount(soap.Path, soapSrv)
	if err := tel.registerREST(srv, c, db); err != nil {
		return err
	}
	if err := srv.Open(); err != nil {
		return err
	}
	logger.Info("centralita serving", "url", srv.URL(), "version", centralita.Version, "timezone", c.location.String())

	<-ctx.Done()
	logger.Info("shutting down: draining in-flight requests", "timeout", c.drain)
	if err := srv.Shutdown(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("shutdown did not drain cleanly", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// bootstrap, on a database with no users and no keys, creates the admin user
// with a random password and one access key, prints both once, and writes
// them to <data-dir>/initial-credentials with mode 0600.
func (e env) bootstrap(ctx context.Context, dataDir string, keys *store.AccessKeyService, users *store.UserService, logger *slog.Logger) error {
	n, err := users.CountUsers(ctx)
	if err != nil {
		return err
	}
	existing, err := keys.FindAccessKeys(ctx)
	if err != nil {
		return err
	}
	if n > 0 || len(existing) > 0 {
		return nil
	}
	password := auth.NewPassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if err := users.CreateUser(ctx, &centralita.User{Username: "admin", PasswordHash: hash, Role: centralita.RoleAdmin}); err != nil {
		return fmt.Errorf("first start: create admin user: %w", err)
	}
	key, keyHash := auth.NewKey()
	if err := keys.CreateAccessKey(ctx, &centralita.AccessKey{Description: "initial key (created on first start)", Hash: keyHash}); err != nil {
		return fmt.Errorf("first start: create access key: %w", err)
	}
	text := fmt.Sprintf("admin user:     admin\nadmin password: %s\naccess key:     %s\n", password, key)
	path := filepath.Join(dataDir, "initial-credentials")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("first start: write %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil { // WriteFile keeps an existing file's mode
		return err
	}
	fmt.Fprintf(e.stdout, "\nFirst start: created the admin user and an access key. They are shown only now\nand saved in %s (mode 0600); change or delete them once stored safely.\n\n%s\n", path, text)
	logger.Info("first start: initial credentials written", "path", path)
	return nil
}
