package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// IntegraPrefix is where the uContact "Integra" facade is served
// (rest-integra.md §1).
const IntegraPrefix = "/Integra/resources/"

// Integra session defaults.
const (
	DefaultIntegraSessionIdle = 30 * time.Minute
	DefaultIntegraMaxSessions = 10000
)

// IntegraConfig configures the uContact "Integra" facade. Credentials are
// checked with the Server's Authenticator (Config.Auth).
type IntegraConfig struct {
	// ACD is the queue engine the agent and supervisor endpoints drive.
	ACD centralita.ACD
	// Agents resolves agent usernames and numbers.
	Agents centralita.AgentService
	// SessionIdle is how long an unused session token stays valid; default 30 min.
	SessionIdle time.Duration
	// MaxSessions bounds the live sessions; when full the least recently used
	// one is evicted. Default 10,000.
	MaxSessions int
	// Location is the time zone of dateReceived; default time.Local.
	Location *time.Location
	// Now is the clock; default the Server's.
	Now func() time.Time

	// Dialer drives the outbound endpoints (api/DispositionCall, Dialers/*)
	// and adds the dialer campaigns to the supervisor endpoints; nil answers
	// those endpoints 503 "0" and leaves the supervisor endpoints queue-only.
	Dialer centralita.Dialer
	// Campaigns, when set, lets the base uploads refuse an unknown campaign
	// at once ("0") instead of in the background job.
	Campaigns centralita.CampaignService
	// Blacklist stores admin/addblack's entries; nil answers it 503 "0".
	Blacklist centralita.BlacklistService
	// Dispositions, when set, is how api/DispositionCall learns a
	// disposition's action before Dialer.Dispose runs (see dispositionCall).
	Dispositions centralita.DispositionService
	// DispositionPlainOK makes a successful api/DispositionCall answer the
	// plain text "1" instead of {"Result":"ok","txtcode":"…"} (C3).
	DispositionPlainOK bool
	// SMS serves SMS/SendSMS, SMS/SendSMSv2 and the configured non-standard
	// SMS paths (integra_sms.go).
	SMS IntegraSMS

	// Recordings is the recordings index Cdr/getrecords and Agents/TagRecord
	// use; nil answers them 503 "0" (integra_recording.go).
	Recordings centralita.RecordingService
	// RecordingFiles converts recordings for Supervisor/convert; nil answers
	// it 503 "0".
	RecordingFiles centralita.RecordingFiles
}

// integraRoute is one POST endpoint under IntegraPrefix and who may call it.
type integraRoute struct {
	path   string
	access access
	h      echo.HandlerFunc
}

// integra is the Integra facade mounted on a Server.
type integra struct {
	cfg      IntegraConfig
	auth     centralita.Authenticator
	logger   *slog.Logger
	sessions *sessionStore
	// maxBody is the server's body limit, which the form parser applies
	// instead of net/http's own 10 MiB cap on form bodies.
	maxBody int64
	// actionBase and actionSeq make internalActionId "<base>_<seq>": the base
	// is random per facade instance, the sequence counts responses.
	actionBase int32
	actionSeq  atomic.Uint64
}

// access is who may call an Integra endpoint.
type access int

const (
	accessAny        access = iota // any authenticated user or access key
	accessSupervisor               // an access key, or a supervisor or admin user
)

// RegisterIntegra adds the uContact "Integra" endpoints under IntegraPrefix:
// session auth (auth/getUserToken, auth/logout; §2.1), the agent endpoints
// (Agents/AgentCall, Agents/AgentCallwithData, Agents/HangupPhone,
// api/AgentLogoff) and the supervisor endpoints (Supervisor/queuesummary,
// Supervisor/campaignstatus) and the dialer endpoints (api/DispositionCall,
// admin/addblack, Dialers/*; integra_dialer.go).
//
// Authentication (C1, §2.1): the Authorization header carries the token as
// "Basic <token>", "Bearer <token>" or bare. A session token from
// auth/getUserToken (64 hex characters) is looked up among the sessions;
// anything else is checked as a long-lived access key. Missing or invalid
// credentials answer 401, a role that may not call the endpoint 403, a
// client limited after failed attempts 429; these answers, like every other
// failure this facade signals by HTTP status, carry the text body "0", the
// API's error result (C2). Functional failures (the ACD refused) answer 200
// with "0" and are logged.
func (s *Server) RegisterIntegra(cfg IntegraConfig) error {
	switch {
	case cfg.ACD == nil:
		return centralita.Errorf(centralita.EINVALID, "integra: an ACD is required")
	case cfg.Agents == nil:
		return centralita.Errorf(centralita.EINVALID, "integra: an agent service is required")
	case s.cfg.Auth == nil:
		return centralita.Errorf(centralita.EINVALID, "integra: the server has no authenticator")
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultIntegraSessionIdle
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultIntegraMaxSessions
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = s.cfg.Now
	}
	if _, err := s.Echo.Router().Routes().FindByMethodPath(http.MethodPost, IntegraPrefix+"auth/getUserToken"); err == nil {
		return centralita.Errorf(centralita.ECONFLICT, "integra: already registered")
	}
	in := &integra{
		cfg:        cfg,
		auth:       s.cfg.Auth,
		logger:     s.cfg.Logger.With("facade", "integra"),
		sessions:   newSessionStore(cfg.SessionIdle, cfg.MaxSessions, cfg.Now),
		maxBody:    s.cfg.MaxBodyBytes,
		actionBase: rand.Int32(),
	}
	s.integraToken = in.principal
	routes := []integraRoute{
		{"Agents/AgentCall", accessAny, in.agentCall(false)},
		{"Agents/AgentCallwithData", accessAny, in.agentCall(true)},
		{"Agents/HangupPhone", accessAny, in.hangupPhone},
		{"api/AgentLogoff", accessAny, in.agentLogoff},
		{"Supervisor/queuesummary", accessSupervisor, in.queueSummary},
		{"Supervisor/campaignstatus", accessSupervisor, in.campaignStatus},
		{"auth/logout", accessAny, in.logout},
	}
	routes = append(routes, in.dialerRoutes()...)
	routes = append(routes, in.smsRoutes()...)
	routes = append(routes, in.recordingRoutes()...)
	if _, err := s.Echo.AddRoute(echo.Route{Method: http.MethodPost, Path: IntegraPrefix + "auth/getUserToken", Handler: in.form(in.getUserToken)}); err != nil {
		return centralita.WrapError(centralita.EINVALID, err, "integra: add route auth/getUserToken")
	}
	for _, r := range routes {
		route := echo.Route{Method: http.MethodPost, Path: IntegraPrefix + r.path, Handler: in.form(in.authorize(r.access, r.h))}
		if _, err := s.Echo.AddRoute(route); err != nil {
			return centralita.WrapError(centralita.EINVALID, err, "integra: add route %s", r.path)
		}
	}
	return nil
}

// form parses the form-urlencoded body (bounded by the server's body limit,
// also above net/http's default 10 MiB for forms: base uploads are big)
// before h, so that a malformed or oversized body is an error and not a
// silently empty field. Every error h returns is answered by fail.
func (in *integra) form(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		r.Body = http.MaxBytesReader(c.Response(), r.Body, in.maxBody)
		if _, err := c.FormValues(); err != nil {
			var sc echo.HTTPStatusCoder
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				err = echo.ErrStatusRequestEntityTooLarge
			case !errors.As(err, &sc):
				err = centralita.WrapError(centralita.EINVALID, err, "malformed form body")
			}
			return in.fail(c, err)
		}
		if err := h(c); err != nil {
			return in.fail(c, err)
		}
		return nil
	}
}

// fail answers err with its HTTP status and the text body "0".
func (in *integra) fail(c *echo.Context, err error) error {
	status := http.StatusInternalServerError
	var de *centralita.Error
	var sc echo.HTTPStatusCoder
	switch {
	case errors.As(err, &de):
		status = statusOf(de.Kind)
	case errors.As(err, &sc) && sc.StatusCode() != 0:
		status = sc.StatusCode()
	}
	switch status {
	case http.StatusUnauthorized:
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="Integra", charset="UTF-8"`)
	case http.StatusTooManyRequests:
		c.Response().Header().Set("Retry-After", "30")
	case http.StatusForbidden:
		in.logger.InfoContext(c.Request().Context(), "integra: forbidden", "path", c.Request().URL.Path, "reason", centralita.ErrorMessage(err))
	}
	if status >= 500 {
		in.logger.ErrorContext(c.Request().Context(), "integra: request failed", "path", c.Request().URL.Path, "err", err)
	}
	return c.String(status, "0")
}

// bearerToken returns the token of the Authorization header without its
// optional "Basic " or "Bearer " prefix.
func bearerToken(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("Authorization"))
	for _, p := range []string{"bearer ", "basic "} {
		if len(v) >= len(p) && strings.EqualFold(v[:len(p)], p) {
			return strings.TrimSpace(v[len(p):])
		}
	}
	return v
}

// principal authenticates an Integra token: a session token is looked up
// among the sessions, anything else is checked as an access key. The
// recordings' files accept these tokens too (Server.integraToken).
func (in *integra) principal(c *echo.Context, token string) (*centralita.Principal, error) {
	if token == "" {
		return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "token required in Authorization")
	}
	if isSessionToken(token) {
		u, ok := in.sessions.lookup(token)
		if !ok {
			return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "session expired or unknown")
		}
		return &centralita.Principal{User: u}, nil
	}
	k, err := in.auth.AuthenticateKey(c.Request().Context(), token, c.RealIP())
	if err != nil {
		return nil, err
	}
	return &centralita.Principal{Key: k}, nil
}

// authorize authenticates the request's token (a session token or an
// access key), checks the access level and leaves the Principal for
// PrincipalOf before h.
func (in *integra) authorize(level access, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		p, err := in.principal(c, bearerToken(c.Request()))
		if err != nil {
			return err
		}
		if level == accessSupervisor && p.User != nil && !slices.Contains([]centralita.Role{centralita.RoleSupervisor, centralita.RoleAdmin}, p.User.Role) {
			return centralita.Errorf(centralita.EFORBIDDEN, "user %q (role %s) may not use the supervisor endpoints", p.User.Username, p.User.Role)
		}
		c.Set(principalKey, p)
		return h(c)
	}
}

// getUserToken answers POST auth/getUserToken: form fields user and
// password; the new session token as the body text. Wrong credentials
// answer 401 and a limited client 429, both with the body "0".
func (in *integra) getUserToken(c *echo.Context) error {
	user, password := c.FormValue("user"), c.FormValue("password")
	if user == "" || password == "" {
		return centralita.Errorf(centralita.EUNAUTHORIZED, "user and password required")
	}
	u, err := in.auth.AuthenticateUser(c.Request().Context(), user, password, c.RealIP())
	if err != nil {
		return err
	}
	token, err := in.sessions.create(u)
	if err != nil {
		return err
	}
	return c.String(http.StatusOK, token)
}

// logout answers POST auth/logout: it ends the session of the presented
// token and answers "1". An access key is not revoked by logout (that is an
// admin operation); the answer is "1" too.
func (in *integra) logout(c *echo.Context) error {
	if token := bearerToken(c.Request()); isSessionToken(token) {
		in.sessions.remove(token)
	}
	return c.String(http.StatusOK, "1")
}

// actionID returns a new internalActionId, "<random>_<sequence>".
func (in *integra) actionID() string {
	return strconv.Itoa(int(in.actionBase)) + "_" + strconv.FormatUint(in.actionSeq.Add(1), 10)
}

// dateReceived formats t as the Integra timestamps, "Nov 2, 2018 11:31:42 AM",
// in the configured Location.
func (in *integra) dateReceived(t time.Time) string {
	return t.In(in.cfg.Location).Format("Jan 2, 2006 3:04:05 PM")
}

// writeJSON answers v as JSON without escaping "<", ">" and "&", so that
// campaign names such as "Power<-" come out as printed.
func writeJSON(c *echo.Context, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// marshalJSON is json.Marshal without HTML escaping and without the
// trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
