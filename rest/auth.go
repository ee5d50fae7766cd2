package rest

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// principalKey is where the authentication middleware leaves the Principal.
const principalKey = "centralita.principal"

// PrincipalOf returns who the request was authenticated as, or nil.
func PrincipalOf(c *echo.Context) *centralita.Principal {
	p, _ := c.Get(principalKey).(*centralita.Principal)
	return p
}

// RequireUser authenticates HTTP Basic credentials against users and lets
// the request through when the user has one of roles (any role when none given).
func (s *Server) RequireUser(roles ...centralita.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			username, password, ok := c.Request().BasicAuth()
			if !ok {
				return centralita.Errorf(centralita.EUNAUTHORIZED, "HTTP Basic credentials required")
			}
			u, err := s.cfg.Auth.AuthenticateUser(c.Request().Context(), username, password, c.RealIP())
			if err != nil {
				return err
			}
			if len(roles) > 0 && !slices.Contains(roles, u.Role) {
				return centralita.Errorf(centralita.EFORBIDDEN, "user %q (role %s) may not do this", u.Username, u.Role)
			}
			c.Set(principalKey, &centralita.Principal{User: u})
			return next(c)
		}
	}
}

// RequireKey authenticates an access key sent as "Authorization: Bearer KEY"
// or in the X-API-Key header.
func (s *Server) RequireKey() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			h := c.Request().Header
			key := h.Get("X-API-Key")
			if auth := h.Get("Authorization"); key == "" && len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
				key = strings.TrimSpace(auth[7:])
			}
			if key == "" {
				return centralita.Errorf(centralita.EUNAUTHORIZED, "access key required")
			}
			k, err := s.cfg.Auth.AuthenticateKey(c.Request().Context(), key, c.RealIP())
			if err != nil {
				return err
			}
			c.Set(principalKey, &centralita.Principal{Key: k})
			return next(c)
		}
	}
}
