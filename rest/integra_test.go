package rest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// integraKey is the access key igAuth accepts (32 hex, like real keys).
const integraKey = "0123456789abcdef0123456789abcdef"

// igAuth accepts integraKey and the users below with password "pw":
// ana (admin), sue (supervisor), bob (agent, agent 1001), carl (agent role
// but no agent). "limited" answers ELIMITED.
type igAuth struct{}

func (igAuth) AuthenticateKey(_ context.Context, key, _ string) (*centralita.AccessKey, error) {
	if key == integraKey {
		return &centralita.AccessKey{ID: 7, Description: "crm"}, nil
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "unknown access key")
}

func (igAuth) AuthenticateUser(_ context.Context, username, password, _ string) (*centralita.User, error) {
	if username == "limited" {
		return nil, centralita.Errorf(centralita.ELIMITED, "too many failed attempts")
	}
	if password != "pw" {
		return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad username or password")
	}
	roles := map[string]centralita.Role{"ana": centralita.RoleAdmin, "sue": centralita.RoleSupervisor, "bob": centralita.RoleAgent, "carl": centralita.RoleAgent}
	if r, ok := roles[username]; ok {
		return &centralita.User{ID: 1, Username: username, Role: r, PasswordHash: "$2a$secret"}, nil
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad username or password")
}

// igACD is a fake ACD that records what the facade asked.
type igACD struct {
	centralita.ACD // other methods are not used by the facade

	mu        sync.Mutex
	calls     []centralita.AgentCallRequest
	callErr   error
	hangups   []string
	hangupErr error
	logouts   []string
	logoutErr error
	snap      *centralita.ACDSnapshot
	snapErr   error
}

func (a *igACD) AgentCall(_ context.Context, req centralita.AgentCallRequest) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.callErr != nil {
		return "", a.callErr
	}
	a.calls = append(a.calls, req)
	return fmt.Sprintf("5f0c3c1e-0000-4000-8000-%012d", len(a.calls)), nil
}

func (a *igACD) HangupAgent(_ context.Context, phone string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hangupErr != nil {
		return a.hangupErr
	}
	a.hangups = append(a.hangups, phone)
	return nil
}

func (a *igACD) Logout(_ context.Context, agent string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.logoutErr != nil {
		return a.logoutErr
	}
	a.logouts = append(a.logouts, agent)
	return nil
}

func (a *igACD) Snapshot(context.Context) (*centralita.ACDSnapshot, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.snapErr != nil {
		return nil, a.snapErr
	}
	if a.snap == nil {
		return &centralita.ACDSnapshot{}, nil
	}
	return a.snap, nil
}

func (a *igACD) set(f func(a *igACD)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f(a)
}

func (a *igACD) recorded() (calls []centralita.AgentCallRequest, hangups, logouts []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]centralita.AgentCallRequest(nil), a.calls...), append([]string(nil), a.hangups...), append([]string(nil), a.logouts...)
}

// igAgents is a fake AgentService with agents 1001 (bob, at SIP/1001),
// 1002 (eve, at PJSIP/1002) and 1003 (zed, logged out).
type igAgents struct {
	centralita.AgentService // other methods are not used by the facade
	agents                  []centralita.Agent
}

func newIGAgents() *igAgents {
	return &igAgents{agents: []centralita.Agent{
		{Number: "1001", Username: "bob", Name: "Bob", Interface: "SIP/1001"},
		{Number: "1002", Username: "eve", Name: "Eve", Interface: "PJSIP/1002"},
		{Number: "1003", Username: "zed", Name: "Zed"},
	}}
}

func (s *igAgents) FindAgent(_ context.Context, number string) (*centralita.Agent, error) {
	for _, a := range s.agents {
		if a.Number == number {
			return &a, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no agent %s", number)
}

func (s *igAgents) FindAgentByUsername(_ context.Context, username string) (*centralita.Agent, error) {
	for _, a := range s.agents {
		if a.Username == username {
			return &a, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no agent %s", username)
}

// igClock is a settable clock.
type igClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *igClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *igClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// igEnv is a server with the Integra facade over fakes.
type igEnv struct {
	t     *testing.T
	url   string
	acd   *igACD
	clock *igClock
}

// newIntegra starts a server with the facade; tune may change the config.
func newIntegra(t *testing.T, tune func(*rest.Config, *rest.IntegraConfig)) *igEnv {
	t.Helper()
	env := &igEnv{t: t, acd: &igACD{}, clock: &igClock{t: time.Date(2018, 11, 2, 14, 0, 0, 0, time.UTC)}}
	cfg := rest.Config{Listen: "127.0.0.1:0", Auth: igAuth{}, Logger: slog.New(slog.DiscardHandler)}
	icfg := rest.IntegraConfig{ACD: env.acd, Agents: newIGAgents(), Now: env.clock.Now, Location: time.FixedZone("UYT", -3*3600)}
	if tune != nil {
		tune(&cfg, &icfg)
	}
	s, err := rest.NewServer(cfg)
	require.NoError(t, err)
	require.NoError(t, s.RegisterIntegra(icfg))
	require.NoError(t, s.Open())
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	env.url = s.URL() + rest.IntegraPrefix
	return env
}

// post sends a form to path with the Authorization header auth (none when empty).
func (e *igEnv) post(path, auth string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	return e.postRaw(path, auth, form.Encode())
}

func (e *igEnv) postRaw(path, auth, body string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	res, err := c.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return res, string(b)
}

// login returns a session token for user.
func (e *igEnv) login(user string) string {
	e.t.Helper()
	res, body := e.post("auth/getUserToken", "", url.Values{"user": {user}, "password": {"pw"}})
	require.Equal(e.t, http.StatusOK, res.StatusCode, body)
	return body
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestIntegraRegisterNeedsDependencies(t *testing.T) {
	s, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0", Auth: igAuth{}})
	require.NoError(t, err)
	err = s.RegisterIntegra(rest.IntegraConfig{Agents: newIGAgents()})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	err = s.RegisterIntegra(rest.IntegraConfig{ACD: &igACD{}})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	noAuth, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	err = noAuth.RegisterIntegra(rest.IntegraConfig{ACD: &igACD{}, Agents: newIGAgents()})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	require.NoError(t, s.RegisterIntegra(rest.IntegraConfig{ACD: &igACD{}, Agents: newIGAgents()}))
	err = s.RegisterIntegra(rest.IntegraConfig{ACD: &igACD{}, Agents: newIGAgents()})
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err), "registering twice clashes")
}

func TestIntegraGetUserToken(t *testing.T) {
	e := newIntegra(t, nil)
	for _, tc := range []struct {
		name, user, password string
		status               int
	}{
		{"admin", "ana", "pw", 200},
		{"agent", "bob", "pw", 200},
		{"wrong password", "ana", "nope", 401},
		{"unknown user", "nobody", "pw", 401},
		{"no password", "ana", "", 401},
		{"no user", "", "pw", 401},
		{"limited", "limited", "pw", 429},
	} {
		res, body := e.post("auth/getUserToken", "", url.Values{"user": {tc.user}, "password": {tc.password}})
		require.Equal(t, tc.status, res.StatusCode, tc.name)
		require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain"), tc.name)
		switch tc.status {
		case 200:
			require.Regexp(t, hex64, body, tc.name)
		case 401:
			require.Equal(t, "0", body, tc.name)
			require.Contains(t, res.Header.Get("WWW-Authenticate"), "Bearer", tc.name)
		case 429:
			require.Equal(t, "0", body, tc.name)
			require.Equal(t, "30", res.Header.Get("Retry-After"), tc.name)
		}
	}
	// Each sign-in is a new session with its own token.
	require.NotEqual(t, e.login("ana"), e.login("ana"))

	// Only POST.
	res, err := http.Get(e.url + "auth/getUserToken?user=ana&password=pw")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

func TestIntegraTokenPrefixes(t *testing.T) {
	e := newIntegra(t, nil)
	tok := e.login("sue")
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"basic", "Basic " + tok, 200},
		{"bearer", "Bearer " + tok, 200},
		{"bare", tok, 200},
		{"lower-case scheme and spaces", "bearer   " + tok + " ", 200},
		{"access key as bearer", "Bearer " + integraKey, 200},
		{"access key bare", integraKey, 200},
		{"missing", "", 401},
		{"scheme only", "Bearer ", 401},
		{"unknown session token", "Basic " + strings.Repeat("ab", 32), 401},
		{"upper-case token", "Basic " + strings.ToUpper(tok), 401},
		{"wrong key", "Bearer ffffffffffffffffffffffffffffffff", 401},
		{"real basic credentials", "Basic c3VlOnB3", 401},
	} {
		res, body := e.post("Supervisor/campaignstatus", tc.auth, nil)
		require.Equal(t, tc.status, res.StatusCode, tc.name)
		if tc.status == 401 {
			require.Equal(t, "0", body, tc.name)
			require.NotEmpty(t, res.Header.Get("WWW-Authenticate"), tc.name)
		} else {
			require.Equal(t, "{}", body, tc.name)
		}
	}
}

func TestIntegraSessionIdleExpiry(t *testing.T) {
	e := newIntegra(t, func(_ *rest.Config, c *rest.IntegraConfig) { c.SessionIdle = 10 * time.Minute })
	tok := "Bearer " + e.login("sue")
	other := "Bearer " + e.login("ana")
	check := func(auth string, status int, msg string) {
		t.Helper()
		res, _ := e.post("Supervisor/queuesummary", auth, nil)
		require.Equal(t, status, res.StatusCode, msg)
	}
	// Every use restarts the idle time.
	for range 3 {
		e.clock.Advance(9 * time.Minute)
		check(tok, 200, "used within the idle time")
	}
	// other was not used for 27 minutes.
	check(other, 401, "idle too long")
	e.clock.Advance(10*time.Minute + time.Second)
	check(tok, 401, "expired")
	// A new sign-in works again, and access keys never expire.
	check("Bearer "+e.login("sue"), 200, "new session")
	check("Bearer "+integraKey, 200, "access key")
}

func TestIntegraLogout(t *testing.T) {
	e := newIntegra(t, nil)
	tok, keep := e.login("bob"), e.login("bob")
	res, body := e.post("auth/logout", "Basic "+tok, nil)
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "1", body)
	res, body = e.post("Agents/HangupPhone", "Basic "+tok, url.Values{"phone": {"SIP/1001"}})
	require.Equal(t, 401, res.StatusCode)
	require.Equal(t, "0", body)
	res, _ = e.post("auth/logout", "Basic "+tok, nil)
	require.Equal(t, 401, res.StatusCode, "the session is gone")
	res, body = e.post("Agents/HangupPhone", "Basic "+keep, url.Values{"phone": {"SIP/1001"}})
	require.Equal(t, 200, res.StatusCode, "another session of the same user lives on")
	require.Equal(t, "1", body)
	res, _ = e.post("auth/logout", "", nil)
	require.Equal(t, 401, res.StatusCode)
	// An access key is not revoked by logout.
	res, body = e.post("auth/logout", "Bearer "+integraKey, nil)
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "1", body)
	res, _ = e.post("Supervisor/queuesummary", "Bearer "+integraKey, nil)
	require.Equal(t, 200, res.StatusCode)
}

func TestIntegraMaxSessionsEvictsLeastRecentlyUsed(t *testing.T) {
	e := newIntegra(t, func(_ *rest.Config, c *rest.IntegraConfig) { c.MaxSessions = 2 })
	t1 := e.login("sue")
	e.clock.Advance(time.Second)
	t2 := e.login("sue")
	e.clock.Advance(time.Second)
	res, _ := e.post("Supervisor/queuesummary", t1, nil) // t1 is now the most recently used
	require.Equal(t, 200, res.StatusCode)
	e.clock.Advance(time.Second)
	t3 := e.login("sue")
	for _, tc := range []struct {
		tok    string
		status int
	}{{t1, 200}, {t2, 401}, {t3, 200}} {
		res, _ := e.post("Supervisor/queuesummary", tc.tok, nil)
		require.Equal(t, tc.status, res.StatusCode)
	}
}

func TestIntegraPermissions(t *testing.T) {
	e := newIntegra(t, nil)
	tok := map[string]string{"key": "Bearer " + integraKey}
	for _, u := range []string{"ana", "sue", "bob", "carl"} {
		tok[u] = "Basic " + e.login(u)
	}
	call := func(agent, phone, tech string) url.Values {
		return url.Values{"agent": {agent}, "phone": {phone}, "tech": {tech}, "destination": {"099124484"}}
	}
	for _, tc := range []struct {
		name, who, path string
		form            url.Values
		status          int
	}{
		{"admin queuesummary", "ana", "Supervisor/queuesummary", nil, 200},
		{"supervisor queuesummary", "sue", "Supervisor/queuesummary", nil, 200},
		{"key queuesummary", "key", "Supervisor/queuesummary", nil, 200},
		{"agent queuesummary", "bob", "Supervisor/queuesummary", nil, 403},
		{"agent campaignstatus", "bob", "Supervisor/campaignstatus", nil, 403},
		{"agent calls as itself by username", "bob", "Agents/AgentCall", call("bob", "", ""), 200},
		{"agent calls as itself by number", "bob", "Agents/AgentCallwithData", call("1001", "", ""), 200},
		{"agent calls from its phone", "bob", "Agents/AgentCall", call("bob", "SIP/1001", ""), 200},
		{"agent calls from its extension", "bob", "Agents/AgentCall", call("bob", "1001", "SIP"), 200},
		{"agent calls from its extension, default tech", "bob", "Agents/AgentCall", call("bob", "1001", ""), 200},
		{"agent calls as another", "bob", "Agents/AgentCall", call("eve", "", ""), 403},
		{"agent calls without naming itself", "bob", "Agents/AgentCall", call("", "SIP/1001", ""), 403},
		{"agent calls from another phone", "bob", "Agents/AgentCall", call("bob", "PJSIP/1002", ""), 403},
		{"agent calls from its extension on another tech", "bob", "Agents/AgentCall", call("bob", "1001", "IAX2"), 403},
		{"agent-role user who is no agent", "carl", "Agents/AgentCall", call("carl", "", ""), 403},
		{"agent hangs up its phone", "bob", "Agents/HangupPhone", url.Values{"phone": {"SIP/1001"}}, 200},
		{"agent hangs up its extension", "bob", "Agents/HangupPhone", url.Values{"phone": {"1001"}}, 200},
		{"agent hangs up another phone", "bob", "Agents/HangupPhone", url.Values{"phone": {"PJSIP/1002"}}, 403},
		{"agent hangs up nothing", "bob", "Agents/HangupPhone", nil, 403},
		{"agent logs itself off", "bob", "api/AgentLogoff", url.Values{"agent": {"bob"}}, 200},
		{"agent logs another off", "bob", "api/AgentLogoff", url.Values{"agent": {"1002"}}, 403},
		{"no-agent logs off", "carl", "api/AgentLogoff", url.Values{"agent": {"carl"}}, 403},
		{"supervisor calls for anyone", "sue", "Agents/AgentCall", call("eve", "PJSIP/1002", ""), 200},
		{"admin hangs up anyone", "ana", "Agents/HangupPhone", url.Values{"phone": {"PJSIP/1002"}}, 200},
		{"key logs anyone off", "key", "api/AgentLogoff", url.Values{"agent": {"eve"}}, 200},
	} {
		res, body := e.post(tc.path, tok[tc.who], tc.form)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		if tc.status == 403 {
			require.Equal(t, "0", body, tc.name)
		}
	}
	calls, hangups, logouts := e.acd.recorded()
	require.Len(t, calls, 6, "only the allowed calls reached the ACD")
	require.Equal(t, []string{"SIP/1001", "1001", "PJSIP/1002"}, hangups)
	require.Equal(t, []string{"1001", "1002"}, logouts)
}

func TestIntegraBadBodies(t *testing.T) {
	e := newIntegra(t, func(c *rest.Config, _ *rest.IntegraConfig) { c.MaxBodyBytes = 64 })
	res, body := e.postRaw("auth/getUserToken", "", "user=ana&password=%zz")
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Equal(t, "0", body)
	res, _ = e.postRaw("auth/getUserToken", "", "user=ana&password=pw&x="+strings.Repeat("y", 64))
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	// Unknown extra fields are ignored.
	res, body = e.postRaw("auth/getUserToken", "", "user=ana&password=pw&lang=es")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Regexp(t, hex64, body)
}
