package rest_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// adminAuth knows "root" (admin), "sup" (supervisor) and "agt" (agent), all with password "pw".
type adminAuth struct{}

func (adminAuth) AuthenticateKey(context.Context, string, string) (*centralita.AccessKey, error) {
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "unknown access key")
}

func (adminAuth) AuthenticateUser(_ context.Context, username, password, _ string) (*centralita.User, error) {
	roles := map[string]centralita.Role{"root": centralita.RoleAdmin, "sup": centralita.RoleSupervisor, "agt": centralita.RoleAgent}
	if r, ok := roles[username]; ok && password == "pw" {
		return &centralita.User{Username: username, Role: r}, nil
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad username or password")
}

// adminStore is an in-memory QueueService, AgentService, CRMPushService and ACDReporter.
type adminStore struct {
	mu      sync.Mutex
	queues  map[string]centralita.Queue
	agents  map[string]centralita.Agent
	members []centralita.QueueMember
	reasons map[string]string
	pushes  []*centralita.CRMPush
	// crmFilter, reportFilter are the last filters asked for.
	crmFilter    centralita.CRMPushFilter
	reportFilter centralita.ReportFilter
	stats        []centralita.AgentStats
	sessions     []centralita.AgentSession
}

func newAdminStore() *adminStore {
	return &adminStore{queues: map[string]centralita.Queue{}, agents: map[string]centralita.Agent{}, reasons: map[string]string{}}
}

var adminStamp = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func adminNotFound(what, name string) error {
	return centralita.Errorf(centralita.ENOTFOUND, "%s %q not found", what, name)
}

func (m *adminStore) CreateQueue(_ context.Context, q *centralita.Queue) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := q.Validate(); err != nil {
		return err
	}
	if _, ok := m.queues[q.Name]; ok {
		return centralita.Errorf(centralita.ECONFLICT, "queue %q already exists", q.Name)
	}
	q.CreatedAt, q.UpdatedAt = adminStamp, adminStamp
	m.queues[q.Name] = *q
	return nil
}

func (m *adminStore) UpdateQueue(_ context.Context, q *centralita.Queue) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.queues[q.Name]
	if !ok {
		return adminNotFound("queue", q.Name)
	}
	q.CreatedAt, q.UpdatedAt = old.CreatedAt, adminStamp.Add(time.Hour)
	m.queues[q.Name] = *q
	return nil
}

func (m *adminStore) DeleteQueue(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.queues[name]; !ok {
		return adminNotFound("queue", name)
	}
	delete(m.queues, name)
	m.members = slices.DeleteFunc(m.members, func(x centralita.QueueMember) bool { return x.Queue == name })
	return nil
}

func (m *adminStore) FindQueue(_ context.Context, name string) (*centralita.Queue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.queues[name]
	if !ok {
		return nil, adminNotFound("queue", name)
	}
	return &q, nil
}

func (m *adminStore) FindQueues(context.Context) ([]*centralita.Queue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*centralita.Queue
	for _, q := range m.queues {
		out = append(out, &q)
	}
	slices.SortFunc(out, func(a, b *centralita.Queue) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (m *adminStore) SetMember(_ context.Context, qm *centralita.QueueMember) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.queues[qm.Queue]; !ok {
		return adminNotFound("queue", qm.Queue)
	}
	if _, ok := m.agents[qm.Agent]; !ok {
		return adminNotFound("agent", qm.Agent)
	}
	for i, x := range m.members {
		if x.Queue == qm.Queue && x.Agent == qm.Agent {
			m.members[i] = *qm
			return nil
		}
	}
	m.members = append(m.members, *qm)
	return nil
}

func (m *adminStore) RemoveMember(_ context.Context, queue, agent string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, x := range m.members {
		if x.Queue == queue && x.Agent == agent {
			m.members = slices.Delete(m.members, i, i+1)
			return nil
		}
	}
	return centralita.Errorf(centralita.ENOTFOUND, "agent %q is not a member of queue %q", agent, queue)
}

func (m *adminStore) FindMembers(_ context.Context, queue, agent string) ([]*centralita.QueueMember, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*centralita.QueueMember
	for _, x := range m.members {
		if (queue == "" || x.Queue == queue) && (agent == "" || x.Agent == agent) {
			out = append(out, &x)
		}
	}
	return out, nil
}

func (m *adminStore) member(queue, agent string) (centralita.QueueMember, bool) {
	ms, _ := m.FindMembers(context.Background(), queue, agent)
	if len(ms) == 0 {
		return centralita.QueueMember{}, false
	}
	return *ms[0], true
}

func (m *adminStore) CreateAgent(_ context.Context, a *centralita.Agent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := a.Validate(); err != nil {
		return err
	}
	for _, x := range m.agents {
		if x.Number == a.Number || x.Username == a.Username {
			return centralita.Errorf(centralita.ECONFLICT, "agent %q or username %q exists", a.Number, a.Username)
		}
	}
	a.CreatedAt, a.UpdatedAt = adminStamp, adminStamp
	m.agents[a.Number] = *a
	return nil
}

func (m *adminStore) UpdateAgent(_ context.Context, a *centralita.Agent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.agents[a.Number]
	if !ok {
		return adminNotFound("agent", a.Number)
	}
	for _, x := range m.agents {
		if x.Number != a.Number && x.Username == a.Username {
			return centralita.Errorf(centralita.ECONFLICT, "username %q is taken", a.Username)
		}
	}
	old.Username, old.Name, old.Email, old.UpdatedAt = a.Username, a.Name, a.Email, adminStamp.Add(time.Hour)
	m.agents[a.Number] = old
	*a = old
	return nil
}

func (m *adminStore) DeleteAgent(_ context.Context, number string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.agents[number]; !ok {
		return adminNotFound("agent", number)
	}
	delete(m.agents, number)
	return nil
}

func (m *adminStore) FindAgent(_ context.Context, number string) (*centralita.Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agents[number]
	if !ok {
		return nil, adminNotFound("agent", number)
	}
	return &a, nil
}

func (m *adminStore) FindAgentByUsername(_ context.Context, username string) (*centralita.Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.agents {
		if a.Username == username {
			return &a, nil
		}
	}
	return nil, adminNotFound("agent", username)
}

func (m *adminStore) FindAgents(context.Context) ([]*centralita.Agent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*centralita.Agent
	for _, a := range m.agents {
		out = append(out, &a)
	}
	slices.SortFunc(out, func(a, b *centralita.Agent) int { return strings.Compare(a.Number, b.Number) })
	return out, nil
}

func (m *adminStore) SetAgentLogin(_ context.Context, number, iface string, at *time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agents[number]
	if !ok {
		return adminNotFound("agent", number)
	}
	a.Interface, a.LoggedInAt = iface, at
	m.agents[number] = a
	return nil
}

func (m *adminStore) SetPauseReason(_ context.Context, r *centralita.PauseReason) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reasons[r.Code] = r.Name
	return nil
}

func (m *adminStore) DeletePauseReason(_ context.Context, code string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.reasons[code]; !ok {
		return adminNotFound("pause reason", code)
	}
	delete(m.reasons, code)
	return nil
}

func (m *adminStore) FindPauseReasons(context.Context) ([]*centralita.PauseReason, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*centralita.PauseReason
	for c, n := range m.reasons {
		out = append(out, &centralita.PauseReason{Code: c, Name: n})
	}
	slices.SortFunc(out, func(a, b *centralita.PauseReason) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

func (m *adminStore) CreateCRMPush(_ context.Context, p *centralita.CRMPush) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.ID = int64(len(m.pushes) + 1)
	m.pushes = append(m.pushes, p)
	return nil
}

func (m *adminStore) FindCRMPushes(_ context.Context, f centralita.CRMPushFilter) ([]*centralita.CRMPush, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.crmFilter = f
	var out []*centralita.CRMPush
	for _, p := range slices.Backward(m.pushes) {
		if (f.Method == "" || p.Method == f.Method) && (f.UniqueID == "" || p.UniqueID == f.UniqueID) &&
			(f.Status == "" || p.Status == f.Status) {
			out = append(out, p)
		}
	}
	if f.Offset >= len(out) {
		return nil, nil
	}
	out = out[f.Offset:]
	if f.Limit > 0 && f.Limit < len(out) {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *adminStore) AgentStats(_ context.Context, f centralita.ReportFilter) ([]centralita.AgentStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reportFilter = f
	return m.stats, nil
}

func (m *adminStore) AgentSessions(_ context.Context, f centralita.ReportFilter) ([]centralita.AgentSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reportFilter = f
	return m.sessions, nil
}

// adminACD records what it is asked and counts reloads.
type adminACD struct {
	mu        sync.Mutex
	calls     []string
	reloads   int
	reloadErr error
	snapshot  *centralita.ACDSnapshot
	store     *adminStore
}

func (f *adminACD) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *adminACD) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

func (f *adminACD) reloadCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reloads
}

func (f *adminACD) Login(ctx context.Context, agent, iface string) error {
	if _, err := f.store.FindAgent(ctx, agent); err != nil {
		return err
	}
	f.record("login " + agent + " " + iface)
	return nil
}

func (f *adminACD) Logout(ctx context.Context, agent string) error {
	if _, err := f.store.FindAgent(ctx, agent); err != nil {
		return err
	}
	f.record("logout " + agent)
	return nil
}

func (f *adminACD) Pause(ctx context.Context, agent string, queues []string, reason string) error {
	if _, err := f.store.FindAgent(ctx, agent); err != nil {
		return err
	}
	f.record("pause " + agent + " [" + strings.Join(queues, ",") + "] " + reason)
	return nil
}

func (f *adminACD) Unpause(ctx context.Context, agent string, queues []string) error {
	if _, err := f.store.FindAgent(ctx, agent); err != nil {
		return err
	}
	f.record("unpause " + agent + " [" + strings.Join(queues, ",") + "]")
	return nil
}

func (f *adminACD) AgentCall(context.Context, centralita.AgentCallRequest) (string, error) {
	return "", centralita.Errorf(centralita.EINTERNAL, "not used")
}

func (f *adminACD) HangupAgent(context.Context, string) error {
	return centralita.Errorf(centralita.EINTERNAL, "not used")
}

func (f *adminACD) Transfer(_ context.Context, callID, target string) error {
	if callID != "1715000000.7" {
		return centralita.Errorf(centralita.ENOTFOUND, "call %q not found", callID)
	}
	f.record("transfer " + callID + " " + target)
	return nil
}

func (f *adminACD) Snapshot(context.Context) (*centralita.ACDSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snapshot == nil {
		return &centralita.ACDSnapshot{Generated: adminStamp}, nil
	}
	return f.snapshot, nil
}

func (f *adminACD) Reload(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	return f.reloadErr
}

// adminLogBuffer is a log sink safe for the server's goroutines.
type adminLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *adminLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *adminLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// adminEnv is a server with the admin API over the fakes.
type adminEnv struct {
	t     *testing.T
	srv   *rest.Server
	store *adminStore
	acd   *adminACD
	log   *adminLogBuffer
}

// startAdmin starts a server with the admin API; edit changes the config first.
func startAdmin(t *testing.T, cfg rest.Config, edit func(*rest.AdminConfig)) *adminEnv {
	t.Helper()
	st := newAdminStore()
	env := &adminEnv{t: t, store: st, acd: &adminACD{store: st}, log: &adminLogBuffer{}}
	cfg.Listen = "127.0.0.1:0"
	cfg.Auth = adminAuth{}
	cfg.Logger = slog.New(slog.NewTextHandler(env.log, nil))
	s, err := rest.NewServer(cfg)
	require.NoError(t, err)
	acfg := rest.AdminConfig{
		Queues: st, Agents: st, ACD: env.acd, CRMPushes: st, Reports: st,
		Location: time.FixedZone("UYT", -3*3600),
	}
	if edit != nil {
		edit(&acfg)
	}
	require.NoError(t, s.RegisterAdmin(acfg))
	require.NoError(t, s.Open())
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	env.srv = s
	return env
}

// call sends method path (already escaped, under /api/v1) as user ("" for
// none) with body, and answers the status and the body.
func (e *adminEnv) call(user, method, path, body string) (int, string) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL()+rest.AdminPrefix+path, r)
	require.NoError(e.t, err)
	if user != "" {
		req.SetBasicAuth(user, "pw")
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, b := do(e.t, req)
	return res.StatusCode, b
}

// mustCall is call that requires status.
func (e *adminEnv) mustCall(status int, user, method, path, body string) string {
	e.t.Helper()
	got, b := e.call(user, method, path, body)
	require.Equal(e.t, status, got, "%s %s: %s", method, path, b)
	return b
}
