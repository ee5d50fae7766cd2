// Package rest is Centralita's one HTTP listener (echo v5): the middleware
// every facade shares, health and metrics, authentication, and the mapping of
// domain errors to HTTP.
package rest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/centralita/centralita"
)

// Config configures the HTTP server.
type Config struct {
	// Listen is the address to listen on, e.g. "127.0.0.1:8080".
	Listen string
	// TLSCert and TLSKey are PEM file paths; both set means HTTPS.
	TLSCert, TLSKey string
	// MaxBodyBytes bounds every request body; default 8 MiB.
	MaxBodyBytes int64
	// CORSOrigins lists the origins allowed cross-origin access; empty means CORS off.
	CORSOrigins []string
	// TrustProxyHeaders takes the client address from X-Forwarded-For; off by
	// default, since a client could forge it to dodge the failed-login limiter.
	TrustProxyHeaders bool
	// Auth checks credentials for the authentication middleware.
	Auth centralita.Authenticator
	// Checks are reported by /healthz; any failing check makes it answer 503.
	Checks []HealthCheck
	// Collectors are extra Prometheus collectors (for example the DB pool).
	Collectors []prometheus.Collector
	// Logger receives the access log; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// DrainTimeout bounds how long Shutdown waits for in-flight requests; default 15 s.
	DrainTimeout time.Duration
}

// Server is the HTTP server every facade mounts on.
type Server struct {
	// Echo is the router; facades add their routes to it before Open.
	Echo *echo.Echo

	cfg     Config
	server  *http.Server
	ln      net.Listener
	metrics *metrics
	// integraToken, set by RegisterIntegra, authenticates an Integra token
	// (session token or access key) for the recordings' files; nil without
	// the Integra facade.
	integraToken func(c *echo.Context, token string) (*centralita.Principal, error)
}

// NewServer builds the server and its shared middleware.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 15 * time.Second
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, centralita.Errorf(centralita.EINVALID, "TLS needs both a certificate and a key")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range cfg.Collectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("rest: register collector: %w", err)
		}
	}
	s := &Server{Echo: echo.New(), cfg: cfg, metrics: newMetrics(reg)}
	e := s.Echo
	e.Logger = cfg.Logger
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxyHeaders {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(middleware.RequestID())
	e.Use(s.observe)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit(cfg.MaxBodyBytes))
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: cfg.CORSOrigins}))
	}
	e.GET("/healthz", s.health)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	return s, nil
}

// Mount serves h for every method at path (and below it when path ends in "/*").
func (s *Server) Mount(path string, h http.Handler) {
	s.Echo.Any(path, echo.WrapHandler(h))
}

// Open starts listening and serving in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "listen on %s", s.cfg.Listen)
	}
	s.server = &http.Server{
		Handler:           s.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return centralita.WrapError(centralita.EINVALID, err, "load TLS certificate")
		}
		s.server.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, s.server.TLSConfig)
	}
	s.ln = ln
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL is the base URL the server answers on, once open.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String()
}

// Shutdown stops accepting connections and waits up to DrainTimeout (or ctx)
// for in-flight requests to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DrainTimeout)
	defer cancel()
	return s.server.Shutdown(ctx)
}

// observe writes the access log and request metrics. It hands errors to the
// error handler itself so that both see the status sent.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := s.cfg.Now()
		err := next(c)
		if err != nil {
			s.handleError(c, err)
		}
		status := http.StatusOK
		var size int64
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil {
			status, size = r.Status, r.Size
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		took := s.cfg.Now().Sub(start)
		req := c.Request()
		s.metrics.observe(route, req.Method, status, took)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", size),
			slog.Float64("took_ms", float64(took.Microseconds())/1000),
			slog.String("client_ip", c.RealIP()),
		}
		if err != nil && status >= 500 {
			attrs = append(attrs, slog.String("err", err.Error()))
		}
		s.cfg.Logger.LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}
