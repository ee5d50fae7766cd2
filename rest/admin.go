package rest

import (
	"context"
	_ "embed" // the OpenAPI document
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// AdminPrefix is where Centralita's own JSON admin API is served.
const AdminPrefix = "/api/v1"

// adminOpenAPI is the OpenAPI 3.0 document of the admin API, served at
// AdminPrefix + "/openapi.json".
//
//go:embed openapi.json
var adminOpenAPI []byte

// adminReloadTimeout bounds the ACD reload that follows a configuration change.
const adminReloadTimeout = 30 * time.Second

// AdminConfig wires the admin API to the services it manages.
type AdminConfig struct {
	// Queues, Agents and ACD are required.
	Queues centralita.QueueService
	Agents centralita.AgentService
	ACD    centralita.ACD
	// CRMPushes and Reports may be nil: their routes then answer 503.
	CRMPushes centralita.CRMPushService
	Reports   centralita.ACDReporter
	// Location is the time zone report periods given as "YYYY-MM-DD HH:MM:SS"
	// are read in and times are written in; default time.Local.
	Location *time.Location
	// Campaigns, Contacts, Blacklist, Dispositions and Dialer serve the
	// outbound dialer's routes; each may be nil: the routes that need it then
	// answer 503.
	Campaigns    centralita.CampaignService
	Contacts     centralita.ContactService
	Blacklist    centralita.BlacklistService
	Dispositions centralita.DispositionService
	Dialer       centralita.Dialer
}

// adminAPI holds the admin API's handlers.
type adminAPI struct {
	cfg AdminConfig
	log *slog.Logger
}

// RegisterAdmin adds the JSON admin API under /api/v1 and its OpenAPI
// document at /api/v1/openapi.json. Writes need the admin role; reads, agent
// login/logout/pause/unpause and call transfers also allow supervisors.
func (s *Server) RegisterAdmin(cfg AdminConfig) error {
	if cfg.Queues == nil || cfg.Agents == nil || cfg.ACD == nil {
		return centralita.Errorf(centralita.EINVALID, "admin API needs the queue and agent services and the ACD")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	a := &adminAPI{cfg: cfg, log: s.cfg.Logger}
	read := s.RequireUser(centralita.RoleAdmin, centralita.RoleSupervisor)
	write := s.RequireUser(centralita.RoleAdmin)
	control := read
	routes := []struct {
		method, path string
		h            echo.HandlerFunc
		m            echo.MiddlewareFunc
	}{
		{http.MethodGet, "/queues", a.listQueues, read},
		{http.MethodPost, "/queues", a.createQueue, write},
		{http.MethodGet, "/queues/:name", a.getQueue, read},
		{http.MethodPut, "/queues/:name", a.replaceQueue, write},
		{http.MethodDelete, "/queues/:name", a.deleteQueue, write},
		{http.MethodGet, "/queues/:name/members", a.listMembers, read},
		{http.MethodPut, "/queues/:name/members/:agent", a.setMember, write},
		{http.MethodDelete, "/queues/:name/members/:agent", a.removeMember, write},

		{http.MethodGet, "/agents", a.listAgents, read},
		{http.MethodPost, "/agents", a.createAgent, write},
		{http.MethodGet, "/agents/:number", a.getAgent, read},
		{http.MethodPut, "/agents/:number", a.replaceAgent, write},
		{http.MethodDelete, "/agents/:number", a.deleteAgent, write},
		{http.MethodPost, "/agents/:number/login", a.loginAgent, control},
		{http.MethodPost, "/agents/:number/logout", a.logoutAgent, control},
		{http.MethodPost, "/agents/:number/pause", a.pauseAgent, control},
		{http.MethodPost, "/agents/:number/unpause", a.unpauseAgent, control},

		{http.MethodGet, "/pause-reasons", a.listPauseReasons, read},
		{http.MethodPut, "/pause-reasons/:code", a.setPauseReason, write},
		{http.MethodDelete, "/pause-reasons/:code", a.deletePauseReason, write},

		{http.MethodGet, "/status", a.status, read},
		{http.MethodPost, "/calls/:id/transfer", a.transfer, control},
		{http.MethodGet, "/reports/agents", a.agentStats, read},
		{http.MethodGet, "/reports/sessions", a.agentSessions, read},
		{http.MethodGet, "/crm/pushes", a.crmPushes, read},

		{http.MethodGet, "/campaigns", a.listCampaigns, read},
		{http.MethodPost, "/campaigns", a.createCampaign, write},
		{http.MethodGet, "/campaigns/:id", a.getCampaign, read},
		{http.MethodPut, "/campaigns/:id", a.replaceCampaign, write},
		{http.MethodDelete, "/campaigns/:id", a.deleteCampaign, write},
		{http.MethodGet, "/campaigns/:id/dispositions", a.listDispositions, read},
		{http.MethodPut, "/campaigns/:id/dispositions", a.setDisposition, write},
		{http.MethodDelete, "/campaigns/:id/dispositions", a.deleteDisposition, write},
		{http.MethodGet, "/campaigns/:id/contacts", a.listContacts, read},
		{http.MethodPost, "/campaigns/:id/contacts", a.addContacts, write},
		{http.MethodGet, "/blacklist", a.listBlacklist, read},
		{http.MethodPost, "/blacklist", a.addBlacklist, write},
		{http.MethodDelete, "/blacklist", a.removeBlacklist, write},
		{http.MethodGet, "/dialer/status", a.dialerStatus, read},
		{http.MethodGet, "/jobs", a.listJobs, read},
		{http.MethodPost, "/jobs/:id/cancel", a.cancelJob, write},

		{http.MethodGet, "/openapi.json", a.openAPI, nil},
	}
	for _, r := range routes {
		var mw []echo.MiddlewareFunc
		if r.m != nil {
			mw = append(mw, r.m)
		}
		if _, err := s.Echo.AddRoute(echo.Route{Method: r.method, Path: AdminPrefix + r.path, Handler: r.h, Middlewares: mw}); err != nil {
			return fmt.Errorf("rest: add admin route %s %s: %w", r.method, r.path, err)
		}
	}
	return nil
}

// openAPI serves the embedded OpenAPI document; it needs no credentials.
func (a *adminAPI) openAPI(c *echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, adminOpenAPI)
}

// applied makes the ACD reload after a stored configuration change. A
// failed reload is logged and answered 500; the stored change stays.
func (a *adminAPI) applied(c *echo.Context, what string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), adminReloadTimeout)
	defer cancel()
	if err := a.cfg.ACD.Reload(ctx); err != nil {
		a.log.Error("admin: ACD reload failed after a configuration change", "change", what, "err", err)
		return centralita.WrapError(centralita.EINTERNAL, err,
			"%s was saved, but the ACD could not reload its configuration (%s): the change applies at the next successful reload or restart",
			what, centralita.ErrorMessage(err))
	}
	return nil
}

// adminParam returns the path parameter name, unescaped. The router matches
// the escaped path when the request has one, so the value is unescaped here,
// and only then (a name may contain a literal "%").
func adminParam(c *echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath != "" {
		u, err := url.PathUnescape(v)
		if err != nil {
			return "", centralita.WrapError(centralita.EINVALID, err, "path parameter %s is not validly escaped", name)
		}
		v = u
	}
	if v == "" {
		return "", centralita.Errorf(centralita.EINVALID, "path parameter %s is empty", name)
	}
	return v, nil
}

// adminDecode reads the request body as one JSON value into v, rejecting
// unknown fields. An empty body leaves v as it is when allowEmpty is set.
// Oversized bodies keep the body limit's 413.
func adminDecode(c *echo.Context, v any, allowEmpty bool) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			if allowEmpty {
				return nil
			}
			return centralita.Errorf(centralita.EINVALID, "a JSON body is required")
		}
		return adminBodyError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return adminBodyError(err)
		}
		return centralita.Errorf(centralita.EINVALID, "the body must hold a single JSON value")
	}
	return nil
}

// adminBodyError turns a JSON decoding error into a clear EINVALID.
func adminBodyError(err error) error {
	var sc echo.HTTPStatusCoder
	if errors.As(err, &sc) {
		return err // 413 from the body limit
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		field := ute.Field
		if field == "" {
			field = "body"
		}
		return centralita.WrapError(centralita.EINVALID, err, "invalid JSON body: %s must be %s, not %s", field, adminJSONType(ute.Type), ute.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return centralita.WrapError(centralita.EINVALID, err, "invalid JSON body: malformed JSON")
	}
	return centralita.WrapError(centralita.EINVALID, err, "invalid JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// adminJSONType names the JSON type a Go type decodes from.
func adminJSONType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// adminTimeLayout is the local-time form report periods may be given in.
const adminTimeLayout = "2006-01-02 15:04:05"

// parseTime reads a time given as RFC 3339 or as "YYYY-MM-DD HH:MM:SS" in
// the configured location. A "+" of an RFC 3339 offset sent unescaped in a
// query string arrives as a space, and is read as "+".
func (a *adminAPI) parseTime(name, v string) (time.Time, error) {
	if t, err := time.ParseInLocation(adminTimeLayout, v, a.cfg.Location); err == nil {
		return t, nil
	}
	rfc := v
	if len(rfc) > 19 && rfc[10] == 'T' {
		rfc = rfc[:19] + strings.Replace(rfc[19:], " ", "+", 1)
	}
	if t, err := time.Parse(time.RFC3339Nano, rfc); err == nil {
		return t, nil
	}
	return time.Time{}, centralita.Errorf(centralita.EINVALID, "%s %q: want RFC 3339 (2006-01-02T15:04:05Z07:00) or %q", name, v, "YYYY-MM-DD HH:MM:SS")
}

// period reads the required from and to query parameters; to must be after from.
func (a *adminAPI) period(c *echo.Context) (from, to time.Time, err error) {
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := c.QueryParam(p.name)
		if v == "" {
			return from, to, centralita.Errorf(centralita.EINVALID, "query parameter %s is required", p.name)
		}
		if *p.t, err = a.parseTime(p.name, v); err != nil {
			return from, to, err
		}
	}
	if !to.After(from) {
		return from, to, centralita.Errorf(centralita.EINVALID, "to must be after from")
	}
	return from, to, nil
}

// local returns t in the configured location, or nil when t is zero.
func (a *adminAPI) local(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(a.cfg.Location)
	return &t
}

// adminSec returns d in whole seconds, truncated.
func adminSec(d time.Duration) int64 { return int64(d / time.Second) }

// adminRound2 rounds x to two decimals.
func adminRound2(x float64) float64 {
	return math.Round(x*100) / 100
}
