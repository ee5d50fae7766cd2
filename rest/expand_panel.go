package rest

import (
	"bytes"
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

// panelAuthorize checks the HTTP Basic credentials, then allow, before h:
// 401 without valid credentials, 403 when the user may not use the module.
// Every error of h is answered in the module's shapes (see fail). The
// dialer module's authorize is this with its own allow.
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
// fields say which keys are known): adminDecode(c, v, false) once the body
// is known to be an object, so that a "null" body does not pass as "{}". A
// malformed body, an unknown key or a wrong type is EINVALID; the body
// limit's 413 passes through.
func expandDecode(c *echo.Context, v any) error {
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return adminBodyError(err)
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return centralita.Errorf(centralita.EINVALID, "the body must be a JSON object")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return adminDecode(c, v, false)
}

// parseDate reads a date of the external modules, quotes stripped (B9):
// any form parseFilterTime reads, among them the manual's "YYYY-MM-DD
// HH:MM" and ISO 8601 with or without fraction and offset (B18). An end
// bound covers the span written, so a bare date includes its whole day.
// EINVALID otherwise.
func (x *expand) parseDate(name, v string, end bool) (time.Time, error) {
	v = expandUnquote(strings.TrimSpace(v))
	t, err := x.parseFilterTime(name, v, end)
	if err != nil {
		return time.Time{}, centralita.Errorf(centralita.EINVALID, "%s %q is not a date (YYYY-MM-DD HH:MM or ISO 8601)", name, v)
	}
	return t, nil
}

// queryDate reads an optional date filter (query string, else header, B2);
// end as for parseDate.
func (x *expand) queryDate(c *echo.Context, name string, end bool) (time.Time, error) {
	v, ok := expandQuery{c: c}.get(name)
	if !ok {
		return time.Time{}, nil
	}
	return x.parseDate(name, v, end)
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
	offset, limit, _, err = expandQuery{c: c}.page()
	if err != nil {
		return 0, 0, err
	}
	if limit > max {
		return 0, 0, centralita.Errorf(centralita.EINVALID, "limit %d: at most %d", limit, max)
	}
	return offset, limit, nil
}
