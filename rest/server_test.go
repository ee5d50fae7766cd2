package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAuth accepts key "k-good" and user "ana"/"pw-good" (role admin) and
// "bob"/"pw-good" (role agent); it answers ELIMITED for client "blocked".
type fakeAuth struct{}

func (fakeAuth) AuthenticateKey(_ context.Context, key, _ string) (*centralita.AccessKey, error) {
	if key == "k-good" {
		return &centralita.AccessKey{ID: 1, Description: "crm"}, nil
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "unknown access key")
}

func (fakeAuth) AuthenticateUser(_ context.Context, username, password, _ string) (*centralita.User, error) {
	if password != "pw-good" {
		return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad username or password")
	}
	switch username {
	case "ana":
		return &centralita.User{Username: "ana", Role: centralita.RoleAdmin}, nil
	case "bob":
		return &centralita.User{Username: "bob", Role: centralita.RoleAgent}, nil
	case "limited":
		return nil, centralita.Errorf(centralita.ELIMITED, "too many failed attempts")
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad username or password")
}

func start(t *testing.T, cfg rest.Config, routes func(s *rest.Server)) *rest.Server {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.Auth = fakeAuth{}
	s, err := rest.NewServer(cfg)
	require.NoError(t, err)
	if routes != nil {
		routes(s)
	}
	require.NoError(t, s.Open())
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	return s
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	c.CloseIdleConnections()
	return res, string(b)
}

func get(t *testing.T, url string) (*http.Response, string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return do(t, req)
}

func TestHealthz(t *testing.T) {
	var dbErr error
	s := start(t, rest.Config{Checks: []rest.HealthCheck{{Name: "database", Check: func(context.Context) error { return dbErr }}}}, nil)

	res, body := get(t, s.URL()+"/healthz")
	require.Equal(t, http.StatusOK, res.StatusCode)
	var rep rest.HealthReport
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	require.Equal(t, "ok", rep.Status)
	require.Equal(t, centralita.Version, rep.Version)
	require.True(t, rep.Checks["database"].OK)
	require.NotEmpty(t, res.Header.Get(echo.HeaderXRequestID))

	dbErr = centralita.Errorf(centralita.EUNAVAILABLE, "database unreachable")
	res, body = get(t, s.URL()+"/healthz")
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	require.Equal(t, "degraded", rep.Status)
	require.False(t, rep.Checks["database"].OK)
	require.Equal(t, "database unreachable", rep.Checks["database"].Error)
}

func TestErrorsPanicsAndLimits(t *testing.T) {
	s := start(t, rest.Config{MaxBodyBytes: 16}, func(s *rest.Server) {
		s.Echo.GET("/boom", func(*echo.Context) error { panic("boom") })
		s.Echo.GET("/conflict", func(*echo.Context) error { return centralita.Errorf(centralita.ECONFLICT, "list key 7 exists") })
		s.Echo.GET("/plain", func(*echo.Context) error { return errors.New("secret detail") })
		s.Echo.POST("/echo", func(c *echo.Context) error {
			b, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return err
			}
			return c.String(http.StatusOK, string(b))
		})
	})
	for _, tc := range []struct {
		method, path, body string
		status             int
		kind               centralita.Kind
	}{
		{"GET", "/boom", "", 500, centralita.EINTERNAL},
		{"GET", "/conflict", "", 409, centralita.ECONFLICT},
		{"GET", "/plain", "", 500, centralita.EINTERNAL},
		{"GET", "/nowhere", "", 404, centralita.ENOTFOUND},
		{"POST", "/echo", strings.Repeat("x", 17), 413, centralita.EINVALID},
		{"POST", "/echo", "small", 200, ""},
	} {
		req, err := http.NewRequest(tc.method, s.URL()+tc.path, strings.NewReader(tc.body))
		require.NoError(t, err)
		res, body := do(t, req)
		require.Equal(t, tc.status, res.StatusCode, "%s %s: %s", tc.method, tc.path, body)
		require.NotContains(t, body, "secret detail")
		if tc.kind != "" {
			var eb rest.ErrorBody
			require.NoError(t, json.Unmarshal([]byte(body), &eb), body)
			require.Equal(t, tc.kind, eb.Error, tc.path)
		}
	}
	// The server survived the panic, and metrics counted every route by status.
	_, metrics := get(t, s.URL()+"/metrics")
	require.Contains(t, metrics, `centralita_http_requests_total{method="GET",route="/boom",status="500"} 1`)
	require.Contains(t, metrics, `centralita_http_requests_total{method="POST",route="/echo",status="413"} 1`)
	require.Contains(t, metrics, `centralita_http_request_duration_seconds_bucket{method="GET",route="/conflict"`)
}

func TestCORSOffByDefault(t *testing.T) {
	s := start(t, rest.Config{}, nil)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/healthz", nil)
	req.Header.Set("Origin", "https://evil.example")
	res, _ := do(t, req)
	require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))

	s2 := start(t, rest.Config{CORSOrigins: []string{"https://crm.example"}}, nil)
	req, _ = http.NewRequest(http.MethodGet, s2.URL()+"/healthz", nil)
	req.Header.Set("Origin", "https://crm.example")
	res, _ = do(t, req)
	require.Equal(t, "https://crm.example", res.Header.Get("Access-Control-Allow-Origin"))
}

func TestRequireUserAndKey(t *testing.T) {
	var s *rest.Server
	s = start(t, rest.Config{}, func(srv *rest.Server) {
		whoami := func(c *echo.Context) error {
			p := rest.PrincipalOf(c)
			if p.User != nil {
				return c.String(http.StatusOK, p.User.Username)
			}
			return c.String(http.StatusOK, p.Key.Description)
		}
		srv.Echo.GET("/admin", whoami, srv.RequireUser(centralita.RoleAdmin))
		srv.Echo.GET("/any", whoami, srv.RequireUser())
		srv.Echo.GET("/key", whoami, srv.RequireKey())
	})
	for _, tc := range []struct {
		name, path, user, pass, bearer, apiKey string
		status                                 int
		body                                   string
	}{
		{"no credentials", "/admin", "", "", "", "", 401, ""},
		{"wrong password", "/admin", "ana", "nope", "", "", 401, ""},
		{"admin ok", "/admin", "ana", "pw-good", "", "", 200, "ana"},
		{"agent forbidden", "/admin", "bob", "pw-good", "", "", 403, ""},
		{"agent any role", "/any", "bob", "pw-good", "", "", 200, "bob"},
		{"limited", "/any", "limited", "pw-good", "", "", 429, ""},
		{"no key", "/key", "", "", "", "", 401, ""},
		{"bearer", "/key", "", "", "k-good", "", 200, "crm"},
		{"x-api-key", "/key", "", "", "", "k-good", 200, "crm"},
		{"bad key", "/key", "", "", "k-bad", "", 401, ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+tc.path, nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		if tc.apiKey != "" {
			req.Header.Set("X-API-Key", tc.apiKey)
		}
		res, body := do(t, req)
		require.Equal(t, tc.status, res.StatusCode, tc.name)
		if tc.body != "" {
			require.Equal(t, tc.body, body, tc.name)
		}
		if tc.status == 401 {
			require.Contains(t, res.Header.Get("WWW-Authenticate"), "Basic", tc.name)
		}
		if tc.status == 429 {
			require.NotEmpty(t, res.Header.Get("Retry-After"), tc.name)
		}
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	started := make(chan struct{})
	s, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0", Auth: fakeAuth{}})
	require.NoError(t, err)
	s.Echo.GET("/slow", func(c *echo.Context) error {
		close(started)
		time.Sleep(300 * time.Millisecond)
		return c.String(http.StatusOK, "done")
	})
	require.NoError(t, s.Open())
	result := make(chan string, 1)
	go func() {
		res, err := http.Get(s.URL() + "/slow")
		if err != nil {
			result <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		result <- string(b)
	}()
	<-started
	require.NoError(t, s.Shutdown(context.Background()))
	require.Equal(t, "done", <-result)
	_, err = http.Get(s.URL() + "/healthz")
	require.Error(t, err, "no longer accepting")
	http.DefaultClient.CloseIdleConnections()
}

func TestTLSNeedsBoth(t *testing.T) {
	_, err := rest.NewServer(rest.Config{TLSCert: "a.pem"})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
}
