package soap_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// Names that make the fakes fail: looking up brokenName, or an ACD call for
// agent brokenNumber, fails with EUNAVAILABLE.
const (
	brokenName   = "broken"
	brokenNumber = "666"
)

var errDown = centralita.Errorf(centralita.EUNAVAILABLE, "store down")

// fakeACD is an in-memory centralita.ACD: it records control calls and
// serves a fixed snapshot.
type fakeACD struct {
	mu      sync.Mutex
	snap    *centralita.ACDSnapshot
	snapErr error
	calls   []string // "Login 711 SIP/101", "Pause 711 [a b] 1", …
}

func (f *fakeACD) record(agent, call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if agent == brokenNumber {
		return errDown
	}
	f.calls = append(f.calls, call)
	return nil
}

func (f *fakeACD) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeACD) Login(_ context.Context, agent, iface string) error {
	return f.record(agent, "Login "+agent+" "+iface)
}

func (f *fakeACD) Logout(_ context.Context, agent string) error {
	return f.record(agent, "Logout "+agent)
}

func (f *fakeACD) Pause(_ context.Context, agent string, queues []string, reason string) error {
	return f.record(agent, "Pause "+agent+" ["+strings.Join(queues, " ")+"] "+reason)
}

func (f *fakeACD) Unpause(_ context.Context, agent string, queues []string) error {
	return f.record(agent, "Unpause "+agent+" ["+strings.Join(queues, " ")+"]")
}

func (f *fakeACD) AgentCall(context.Context, centralita.AgentCallRequest) (string, error) {
	return "", errors.New("not used")
}

func (f *fakeACD) HangupAgent(context.Context, string) error      { return errors.New("not used") }
func (f *fakeACD) Transfer(context.Context, string, string) error { return errors.New("not used") }
func (f *fakeACD) Reload(context.Context) error                   { return errors.New("not used") }

func (f *fakeACD) Snapshot(context.Context) (*centralita.ACDSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snapErr != nil {
		return nil, f.snapErr
	}
	if f.snap == nil {
		return &centralita.ACDSnapshot{}, nil
	}
	return f.snap, nil
}

// readCounter counts a fake store's reads by method name.
type readCounter struct {
	mu    sync.Mutex
	reads map[string]int
}

func (c *readCounter) read(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reads == nil {
		c.reads = map[string]int{}
	}
	c.reads[method]++
}

// Reads returns the reads counted so far and starts counting afresh.
func (c *readCounter) Reads() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads
	c.reads = nil
	if r == nil {
		r = map[string]int{}
	}
	return r
}

// fakeAgents is an in-memory centralita.AgentService.
type fakeAgents struct {
	readCounter
	agents  []*centralita.Agent
	reasons []*centralita.PauseReason
}

func (f *fakeAgents) FindAgent(_ context.Context, number string) (*centralita.Agent, error) {
	f.read("FindAgent")
	if number == brokenName {
		return nil, errDown
	}
	for _, a := range f.agents {
		if a.Number == number {
			c := *a
			return &c, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "agent %s not found", number)
}

func (f *fakeAgents) FindAgentByUsername(_ context.Context, username string) (*centralita.Agent, error) {
	f.read("FindAgentByUsername")
	if username == brokenName {
		return nil, errDown
	}
	for _, a := range f.agents {
		if a.Username == username {
			c := *a
			return &c, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "agent %s not found", username)
}

func (f *fakeAgents) FindAgents(context.Context) ([]*centralita.Agent, error) {
	f.read("FindAgents")
	list := slices.Clone(f.agents)
	slices.SortFunc(list, func(a, b *centralita.Agent) int { return cmp.Compare(a.Number, b.Number) })
	return list, nil
}

func (f *fakeAgents) FindPauseReasons(context.Context) ([]*centralita.PauseReason, error) {
	f.read("FindPauseReasons")
	return slices.Clone(f.reasons), nil
}

func (f *fakeAgents) CreateAgent(context.Context, *centralita.Agent) error {
	return errors.New("not used")
}
func (f *fakeAgents) UpdateAgent(context.Context, *centralita.Agent) error {
	return errors.New("not used")
}
func (f *fakeAgents) DeleteAgent(context.Context, string) error { return errors.New("not used") }
func (f *fakeAgents) SetAgentLogin(context.Context, string, string, *time.Time) error {
	return errors.New("not used")
}
func (f *fakeAgents) SetPauseReason(context.Context, *centralita.PauseReason) error {
	return errors.New("not used")
}
func (f *fakeAgents) DeletePauseReason(context.Context, string) error { return errors.New("not used") }

// fakeQueues is an in-memory centralita.QueueService.
type fakeQueues struct {
	readCounter
	queues  []*centralita.Queue
	members []*centralita.QueueMember
}

func (f *fakeQueues) FindQueue(_ context.Context, name string) (*centralita.Queue, error) {
	f.read("FindQueue")
	if name == brokenName {
		return nil, errDown
	}
	for _, q := range f.queues {
		if q.Name == name {
			c := *q
			return &c, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "queue %s not found", name)
}

func (f *fakeQueues) FindQueues(context.Context) ([]*centralita.Queue, error) {
	f.read("FindQueues")
	return slices.Clone(f.queues), nil
}

func (f *fakeQueues) FindMembers(_ context.Context, queue, agent string) ([]*centralita.QueueMember, error) {
	f.read("FindMembers " + queue + "/" + agent)
	var out []*centralita.QueueMember
	for _, m := range f.members {
		if (queue == "" || m.Queue == queue) && (agent == "" || m.Agent == agent) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *centralita.QueueMember) int {
		return cmp.Or(cmp.Compare(a.Queue, b.Queue), cmp.Compare(a.Position, b.Position), cmp.Compare(a.Agent, b.Agent))
	})
	return out, nil
}

func (f *fakeQueues) CreateQueue(context.Context, *centralita.Queue) error {
	return errors.New("not used")
}
func (f *fakeQueues) UpdateQueue(context.Context, *centralita.Queue) error {
	return errors.New("not used")
}
func (f *fakeQueues) DeleteQueue(context.Context, string) error { return errors.New("not used") }
func (f *fakeQueues) SetMember(context.Context, *centralita.QueueMember) error {
	return errors.New("not used")
}
func (f *fakeQueues) RemoveMember(context.Context, string, string) error {
	return errors.New("not used")
}

// fakeUsers is an in-memory centralita.UserService.
type fakeUsers struct{ users []*centralita.User }

func (f *fakeUsers) FindUserByUsername(_ context.Context, username string) (*centralita.User, error) {
	if username == brokenName {
		return nil, errDown
	}
	for _, u := range f.users {
		if u.Username == username {
			return u, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "user %s not found", username)
}

func (f *fakeUsers) CreateUser(context.Context, *centralita.User) error {
	return errors.New("not used")
}
func (f *fakeUsers) FindUsers(context.Context) ([]*centralita.User, error) {
	return nil, errors.New("not used")
}
func (f *fakeUsers) DeleteUser(context.Context, string) error { return errors.New("not used") }
func (f *fakeUsers) CountUsers(context.Context) (int, error)  { return 0, errors.New("not used") }

// fakeQueueLog is an in-memory centralita.QueueLogService that honours
// every filter field and pages like the store does.
type fakeQueueLog struct {
	mu      sync.Mutex
	entries []*centralita.QueueLogEntry
	fail    bool
	got     []centralita.QueueLogFilter
}

func (f *fakeQueueLog) AppendQueueLog(_ context.Context, e *centralita.QueueLogEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.ID = int64(len(f.entries) + 1)
	f.entries = append(f.entries, e)
	return nil
}

func (f *fakeQueueLog) FindQueueLog(_ context.Context, q centralita.QueueLogFilter) ([]*centralita.QueueLogEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, q)
	if f.fail {
		return nil, errDown
	}
	var out []*centralita.QueueLogEntry
	for _, e := range f.entries {
		switch {
		case !q.From.IsZero() && e.Time.Before(q.From), !q.To.IsZero() && !e.Time.Before(q.To),
			q.QueueName != "" && e.QueueName != q.QueueName, q.Agent != "" && e.Agent != q.Agent,
			q.Event != "" && e.Event != q.Event, q.CallID != "" && e.CallID != q.CallID:
			continue
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b *centralita.QueueLogEntry) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	})
	out = out[min(q.Offset, len(out)):]
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (f *fakeQueueLog) Filters() []centralita.QueueLogFilter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.got)
}

// fakeReports is an ACDReporter serving fixed rows, filtered by queue and
// agent, and recording the filters it got.
type fakeReports struct {
	mu       sync.Mutex
	stats    []centralita.AgentStats
	sessions []centralita.AgentSession
	fail     bool
	got      []centralita.ReportFilter
}

func (f *fakeReports) AgentStats(_ context.Context, rf centralita.ReportFilter) ([]centralita.AgentStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, rf)
	if f.fail {
		return nil, errDown
	}
	return slices.Clone(f.stats), nil
}

func (f *fakeReports) AgentSessions(_ context.Context, rf centralita.ReportFilter) ([]centralita.AgentSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, rf)
	if f.fail {
		return nil, errDown
	}
	var out []centralita.AgentSession
	for _, s := range f.sessions {
		if (rf.Queue == "" || s.Queue == rf.Queue) && (rf.Agent == "" || s.Agent == rf.Agent) &&
			s.Start.Before(rf.To) && s.End.After(rf.From) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeReports) Filters() []centralita.ReportFilter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.got)
}

// fakeEndpointLister is a centralita.EndpointLister of a fixed set of
// endpoints; looking up brokenEndpointName fails with EUNAVAILABLE.
type fakeEndpointLister struct {
	readCounter
	names []string
}

const brokenEndpointName = "PJSIP/666"

func (f *fakeEndpointLister) ListEndpoints(context.Context) ([]centralita.EndpointInfo, error) {
	return nil, errors.New("not used")
}

func (f *fakeEndpointLister) Endpoint(_ context.Context, name string) (centralita.EndpointInfo, error) {
	f.read(name)
	if name == brokenEndpointName {
		return centralita.EndpointInfo{}, errDown
	}
	if slices.Contains(f.names, name) {
		return centralita.EndpointInfo{}, nil
	}
	return centralita.EndpointInfo{}, centralita.Errorf(centralita.ENOTFOUND, "no endpoint %s", name)
}

// acdWorld is a Server with RegisterACD over the fakes, served over HTTP.
// Its Server has Config.RequireKey, as centralita serves it by default,
// unless setup sets keyless.
type acdWorld struct {
	keyless bool
	url     string
	acd     *fakeACD
	agents  *fakeAgents
	queues  *fakeQueues
	users   *fakeUsers
	log     *fakeQueueLog
	reports *fakeReports
	loc     *time.Location
}

// montevideo is the zone of the spec's examples (UTC−3).
func montevideo(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Montevideo")
	require.NoError(t, err)
	return loc
}

// newACDWorld fills the fakes through setup, then registers and serves them.
func newACDWorld(t *testing.T, setup func(w *acdWorld), opts ...func(*soap.ACDConfig)) *acdWorld {
	t.Helper()
	w := &acdWorld{acd: &fakeACD{}, agents: &fakeAgents{}, queues: &fakeQueues{}, users: &fakeUsers{},
		log: &fakeQueueLog{}, reports: &fakeReports{}, loc: montevideo(t)}
	if setup != nil {
		setup(w)
	}
	cfg := soap.ACDConfig{ACD: w.acd, Agents: w.agents, Queues: w.queues, Users: w.users, QueueLog: w.log,
		Reports: w.reports, Location: w.loc, Now: func() time.Time { return time.Date(2014, 2, 1, 12, 0, 0, 0, w.loc) }}
	for _, o := range opts {
		o(&cfg)
	}
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}, RequireKey: !w.keyless})
	require.NoError(t, srv.RegisterACD(cfg))
	_, w.url = startServer(t, srv)
	return w
}

// call posts a document/literal call of op and returns its result text,
// failing the test on a fault.
func (w *acdWorld) call(t *testing.T, op string, params ...string) string {
	t.Helper()
	r := post(t, w.url, docLit(op, params...), nil)
	require.Nil(t, r.Fault, "%s %v", op, params)
	return r.Return
}

// xnode is a parsed XML element: attributes in document order, trimmed text.
type xnode struct {
	Name     string
	Attrs    []string // name=value
	Text     string
	Children []xnode
}

// parseXML parses doc (an ISO-8859-1 or UTF-8 document) into a tree.
func parseXML(t *testing.T, doc string) xnode {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if !strings.EqualFold(charset, "iso-8859-1") {
			return nil, errors.New("unexpected charset " + charset)
		}
		r := bufio.NewReader(in)
		var out strings.Builder
		for {
			b, err := r.ReadByte()
			if err != nil {
				return strings.NewReader(out.String()), nil
			}
			out.WriteRune(rune(b))
		}
	}
	var stack []*xnode
	var root xnode
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, doc)
		switch tk := tok.(type) {
		case xml.StartElement:
			n := xnode{Name: tk.Name.Local}
			for _, a := range tk.Attr {
				n.Attrs = append(n.Attrs, a.Name.Local+"="+a.Value)
			}
			if len(stack) == 0 {
				root = n
				stack = append(stack, &root)
				continue
			}
			p := stack[len(stack)-1]
			p.Children = append(p.Children, n)
			stack = append(stack, &p.Children[len(p.Children)-1])
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Text = strings.TrimSpace(p.Text + string(tk))
			}
		}
	}
	return root
}

// requireSameXML checks that got has want's elements, attributes (in order),
// and texts.
func requireSameXML(t *testing.T, want, got string) {
	t.Helper()
	require.Equal(t, parseXML(t, want), parseXML(t, got), "got:\n%s", got)
}
