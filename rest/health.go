package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// HealthCheck is one dependency /healthz reports on.
type HealthCheck struct {
	// Name is the key in the report, e.g. "database" or "ari".
	Name string
	// Check returns nil when the dependency works.
	Check func(ctx context.Context) error
}

// HealthReport is the body of GET /healthz.
type HealthReport struct {
	Status  string                 `json:"status"` // "ok" or "degraded"
	Version string                 `json:"version"`
	Time    time.Time              `json:"time"`
	Checks  map[string]CheckReport `json:"checks"`
}

// CheckReport is the state of one dependency.
type CheckReport struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// health answers 200 when every check passes, 503 otherwise.
func (s *Server) health(c *echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	rep := HealthReport{Status: "ok", Version: centralita.Version, Time: s.cfg.Now().UTC(), Checks: map[string]CheckReport{}}
	for _, hc := range s.cfg.Checks {
		if err := hc.Check(ctx); err != nil {
			rep.Status = "degraded"
			rep.Checks[hc.Name] = CheckReport{OK: false, Error: centralita.ErrorMessage(err)}
			continue
		}
		rep.Checks[hc.Name] = CheckReport{OK: true}
	}
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, rep)
}
