package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// ExpandExternalPrefix is where the eXpand REST lists, outgoing calls and
// agent forms modules are served (rest-expandweb3.md §4–6).
const ExpandExternalPrefix = "/expandweb3/api/external"

// panelRoute is one route of an eXpand module.
type panelRoute struct {
	method, path string
	h            echo.HandlerFunc
}

// newExpandModule returns the module state shared with the dialer module:
// its error shapes, its JSON writer and its location.
func (s *Server) newExpandModule(module string, loc *time.Location) *expand {
	if loc == nil {
		loc = time.Local
	}
	return &expand{cfg: ExpandConfig{Location: loc}, auth: s.cfg.Auth, logger: s.cfg.Logger.With("facade", "expand", "module", module)}
}

// addExpandRoutes mounts routes under ExpandExternalPrefix+base behind the
// module's authorization; a module registered twice is ECONFLICT.
func (s *Server) addExpandRoutes(x *expand, module, base string, allow expandAllow, routes []panelRoute) error {
	if s.cfg.Auth == nil {
		return centralita.Errorf(centralita.EINVALID, "expand %s: the server has no authenticator", module)
	}
	if _, err := s.Echo.Router().Routes().FindByMethodPath(routes[0].method, ExpandExternalPrefix+base+routes[0].path); err == nil {
		return centralita.Errorf(centralita.ECONFLICT, "expand %s: already registered", module)
	}
	for _, r := range routes {
		route := echo.Route{Method: r.method, Path: ExpandExternalPrefix + base + r.path, Handler: x.panelAuthorize(module, allow, r.h)}
		if _, err := s.Echo.AddRoute(route); err != nil {
			return centralita.WrapError(centralita.EINVALID, err, "expand %s: add route %s %s", module, r.method, r.path)
		}
	}
	return nil
}

// expandAllow decides whether an authenticated user may use a module.
type expandAllow func(u *centralita.User) bool

// expandStaffOr allows admins, supervisors, the listed usernames and, when
// agents is set, every user of role agent (B20 as proposed: credentials
// per module).
func expandStaffOr(users []string, agents bool) expandAllow {
	return func(u *centralita.User) bool {
		return u.Role == centralita.RoleAdmin || u.Role == centralita.RoleSupervisor ||
			slices.Contains(users, u.Username) || (agents && u.Role == centralita.RoleAgent)
	}
}

// panelAuthorize is authorize for the external modules: HTTP Basic
// credentials, then allow; 401 without valid credentials, 403 when the
// user may not use the module. Errors of h are answered in the module's
// shapes (see fail).
func (x *expand) panelAuthorize(module string, allow expandAllow, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		err := func() error {
			username, password, ok := c.Request().BasicAuth()
			if !ok {
				return centralita.Errorf(centralita.EUNAUTHORIZED, "HTTP Basic credentials required")
			}
			u, err := x.auth.AuthenticateUser(c.Request().Context(), username, password, c.RealIP())
			if err != nil {
				return err
			}
			if !allow(u) {
				return centralita.Errorf(centralita.EFORBIDDEN, "user %q (role %s) may not use the eXpand %s module", u.Username, u.Role, module)
			}
			c.Set(principalKey, &centralita.Principal{User: u})
			return h(c)
		}()
		if err != nil {
			return x.fail(c, err)
		}
		return nil
	}
}

// expandUser is the signed-in user of a module request.
func expandUser(c *echo.Context) *centralita.User {
	if p, _ := c.Get(principalKey).(*centralita.Principal); p != nil && p.User != nil {
		return p.User
	}
	return &centralita.User{}
}

// expandIsStaff reports whether u sees everything of a module (not an agent
// restricted to its own calls).
func expandIsStaff(u *centralita.User, users []string) bool {
	return u.Role != centralita.RoleAgent || slices.Contains(users, u.Username)
}

// expandDecode reads the body as one JSON object into v (a struct whose
// fields say which keys are known): a malformed body, an unknown key or a
// wrong type is EINVALID; the body limit's 413 passes through.
func expandDecode(c *echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var sc echo.HTTPStatusCoder
		if errors.As(err, &sc) {
			return err
		}
		return centralita.WrapError(centralita.EINVALID, err, "read body")
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return centralita.Errorf(centralita.EINVALID, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return centralita.WrapError(centralita.EINVALID, err, "the body is not a valid object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return centralita.Errorf(centralita.EINVALID, "the body must hold a single JSON value")
	}
	return nil
}

// expandDateLayouts are the date formats the external modules read (B18):
// the manual's "YYYY-MM-DD HH:MM", with seconds, a bare date, and ISO 8601
// with or without fraction and offset. Without an offset the module's
// location applies.
var expandDateLayouts = []string{
	"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02",
	"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
}

// parseDate reads a date in one of expandDateLayouts or RFC 3339, quotes
// stripped (B9); EINVALID otherwise.
func (x *expand) parseDate(name, v string) (time.Time, error) {
	v = expandUnquote(strings.TrimSpace(v))
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	// ISO 8601 basic offsets ("-0300") and a space before the offset.
	if t, err := time.Parse("2006-01-02T15:04:05.999999999-0700", v); err == nil {
		return t, nil
	}
	for _, l := range expandDateLayouts {
		if t, err := time.ParseInLocation(l, v, x.cfg.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, centralita.Errorf(centralita.EINVALID, "%s %q is not a date (YYYY-MM-DD HH:MM or ISO 8601)", name, v)
}

// queryDate reads an optional date filter (query string, else header, B2).
func (x *expand) queryDate(c *echo.Context, name string) (time.Time, error) {
	v, ok := expandQuery{c: c}.get(name)
	if !ok {
		return time.Time{}, nil
	}
	return x.parseDate(name, v)
}

// writeRaw answers a JSON value already encoded.
func (x *expand) writeRaw(c *echo.Context, status int, b string) error {
	return c.Blob(status, echo.MIMEApplicationJSON, []byte(b))
}

// expandData wraps a list as the external modules answer it: {"data": [...]}.
type expandData[T any] struct {
	Data []T `json:"data"`
}

// expandPaging reads optional start and limit (as the dialer's lists):
// without limit, 0 (the store's default page); EINVALID when not
// non-negative integers or when limit exceeds max.
func expandPaging(c *echo.Context, max int) (offset, limit int, err error) {
	q := expandQuery{c: c}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"start", &offset}, {"limit", &limit}} {
		v, ok := q.get(p.name)
		if !ok {
			continue
		}
		n, perr := parseNonNegative(v)
		if perr != nil {
			return 0, 0, centralita.Errorf(centralita.EINVALID, "%s %q: want a non-negative integer", p.name, v)
		}
		*p.dst = n
	}
	if limit > max {
		return 0, 0, centralita.Errorf(centralita.EINVALID, "limit %d: at most %d", limit, max)
	}
	return offset, limit, nil
}

// parseNonNegative reads a decimal integer >= 0 that fits an int32.
func parseNonNegative(v string) (int, error) {
	n := 0
	if v == "" || len(v) > 9 {
		return 0, errors.New("bad number")
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return 0, errors.New("bad number")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}
