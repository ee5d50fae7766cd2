package dialer_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/dialer"
	"github.com/centralita/centralita/store"
)

// fakeTime is a manual clock with timers that fire when it is advanced.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	timers []*ftimer
}

type ftimer struct {
	at            time.Time
	f             func()
	stopped, done bool
}

func (ft *fakeTime) Now() time.Time {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.now
}

func (ft *fakeTime) Timer(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	t := &ftimer{at: ft.now.Add(d), f: f}
	ft.timers = append(ft.timers, t)
	return func() bool {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		live := !t.stopped && !t.done
		t.stopped = true
		return live
	}
}

// advance moves the clock by d, firing the timers due on the way in order,
// each in the caller's goroutine.
func (ft *fakeTime) advance(d time.Duration) {
	ft.mu.Lock()
	target := ft.now.Add(d)
	ft.mu.Unlock()
	for {
		ft.mu.Lock()
		var next *ftimer
		live := ft.timers[:0]
		for _, t := range ft.timers {
			if t.stopped || t.done {
				continue
			}
			live = append(live, t)
			if !t.at.After(target) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		ft.timers = live
		if next == nil {
			ft.now = target
			ft.mu.Unlock()
			return
		}
		if next.at.After(ft.now) {
			ft.now = next.at
		}
		next.done = true
		ft.mu.Unlock()
		next.f()
	}
}

// jump moves the clock by d without firing timers on the way: those due
// fire, late, at the next advance.
func (ft *fakeTime) jump(d time.Duration) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.now = ft.now.Add(d)
}

// scriptPBX is a PBX whose events the test sends. Its event channel is
// unbuffered and every event is followed by a no-op one, so when send
// returns the engine has applied the event.
type scriptPBX struct {
	mu         sync.Mutex
	events     chan centralita.ChannelEvent
	originated []centralita.OriginateRequest
	live       map[string]string
	failNext   error
}

func newScriptPBX() *scriptPBX {
	return &scriptPBX{events: make(chan centralita.ChannelEvent), live: map[string]string{}}
}

func (p *scriptPBX) Originate(_ context.Context, r centralita.OriginateRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failNext != nil {
		err := p.failNext
		p.failNext = nil
		return err
	}
	p.originated = append(p.originated, r)
	p.live[r.ChannelID] = "Down"
	return nil
}

func (p *scriptPBX) Hangup(_ context.Context, id, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, id)
	return nil
}

func (p *scriptPBX) CreateBridge(context.Context, string, string) error { return nil }
func (p *scriptPBX) AddChannel(context.Context, string, string) error   { return nil }
func (p *scriptPBX) DestroyBridge(context.Context, string) error        { return nil }
func (p *scriptPBX) ListEndpoints(context.Context) ([]centralita.EndpointInfo, error) {
	return nil, nil
}
func (p *scriptPBX) Endpoint(context.Context, string) (centralita.EndpointInfo, error) {
	return centralita.EndpointInfo{}, centralita.Errorf(centralita.ENOTFOUND, "no endpoint")
}
func (p *scriptPBX) DeviceState(context.Context, string) (string, error) { return "NOT_INUSE", nil }

func (p *scriptPBX) ListChannels(context.Context) ([]centralita.ChannelInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []centralita.ChannelInfo
	for id, st := range p.live {
		out = append(out, centralita.ChannelInfo{ID: id, State: st})
	}
	return out, nil
}

func (p *scriptPBX) Subscribe() (<-chan centralita.ChannelEvent, func()) {
	return p.events, func() {}
}

// send delivers an event and returns once the engine applied it.
func (p *scriptPBX) send(ev centralita.ChannelEvent) {
	p.events <- ev
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelDTMF}
}

// setLive makes a channel exist (another engine's).
func (p *scriptPBX) setLive(id, state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live[id] = state
}

// answer marks a channel up and sends its StasisStart.
func (p *scriptPBX) answer(id string) {
	p.mu.Lock()
	p.live[id] = "Up"
	p.mu.Unlock()
	p.send(centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id})
}

// end hangs a channel up from the far end with a cause.
func (p *scriptPBX) end(id string, cause int) {
	p.mu.Lock()
	delete(p.live, id)
	p.mu.Unlock()
	p.send(centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: id, Cause: cause})
}

// dialled returns the requests made so far, by attempt (channel) id:
// one round's requests run concurrently.
func (p *scriptPBX) dialled() []centralita.OriginateRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.originated)
	num := func(r centralita.OriginateRequest) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.ChannelID, "dl-"))
		return n
	}
	slices.SortStableFunc(out, func(a, b centralita.OriginateRequest) int { return num(a) - num(b) })
	return out
}

// numbers returns the numbers dialled so far, in order.
func (p *scriptPBX) numbers() []string {
	var out []string
	for _, r := range p.dialled() {
		var n string
		fmt.Sscanf(r.Endpoint, "PJSIP/%s", &n)
		if i := len(n) - len("@trunk"); i > 0 && n[i:] == "@trunk" {
			n = n[:i]
		}
		out = append(out, n)
	}
	return out
}

// fakeACD is an ACD whose queue figures the test sets; agent calls are
// recorded and get GUIDs.
type fakeACD struct {
	mu      sync.Mutex
	queues  map[string]centralita.QueueStatus
	calls   []centralita.AgentCallRequest
	ids     []string
	callErr error
}

func newFakeACD() *fakeACD { return &fakeACD{queues: map[string]centralita.QueueStatus{}} }

// setAgents sets a queue's logged-in members: free ones and busy ones.
func (a *fakeACD) setAgents(queue string, wrapup int, free []string, busy ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	qs := centralita.QueueStatus{Queue: centralita.Queue{Name: queue, WrapupSec: wrapup}}
	for _, ag := range free {
		qs.MemberStates = append(qs.MemberStates, centralita.MemberState{Queue: queue, Agent: ag, LoggedIn: true, Status: centralita.AgentNotInUse})
	}
	for _, ag := range busy {
		qs.MemberStates = append(qs.MemberStates, centralita.MemberState{Queue: queue, Agent: ag, LoggedIn: true, Status: centralita.AgentInUse, InCall: true})
	}
	qs.Logged, qs.Available, qs.Busy, qs.Members = len(free)+len(busy), len(free), len(busy), len(free)+len(busy)
	a.queues[queue] = qs
}

// setFree sets n free agents 201.. in the queue.
func (a *fakeACD) setFree(queue string, n int) {
	var free []string
	for i := range n {
		free = append(free, strconv.Itoa(201+i))
	}
	a.setAgents(queue, 15, free)
}

func (a *fakeACD) Snapshot(context.Context) (*centralita.ACDSnapshot, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	snap := &centralita.ACDSnapshot{}
	var names []string
	for n := range a.queues {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		snap.Queues = append(snap.Queues, a.queues[n])
	}
	return snap, nil
}

func (a *fakeACD) AgentCall(_ context.Context, req centralita.AgentCallRequest) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.callErr != nil {
		return "", a.callErr
	}
	a.calls = append(a.calls, req)
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", len(a.calls))
	a.ids = append(a.ids, id)
	return id, nil
}

func (a *fakeACD) agentCalls() ([]centralita.AgentCallRequest, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls), slices.Clone(a.ids)
}

func (a *fakeACD) Login(context.Context, string, string) error           { return nil }
func (a *fakeACD) Logout(context.Context, string) error                  { return nil }
func (a *fakeACD) Pause(context.Context, string, []string, string) error { return nil }
func (a *fakeACD) Unpause(context.Context, string, []string) error       { return nil }
func (a *fakeACD) HangupAgent(context.Context, string) error             { return nil }
func (a *fakeACD) Transfer(context.Context, string, string) error        { return nil }
func (a *fakeACD) Reload(context.Context) error                          { return nil }

// harness is a SQLite store, a scripted PBX, a fake ACD and an engine on a
// manual clock, with one campaign "Ventas->" on queue "sales".
type harness struct {
	t        *testing.T
	clk      *fakeTime
	pbx      *scriptPBX
	acd      *fakeACD
	db       *store.DB
	camps    *store.CampaignService
	contacts *store.ContactService
	black    *store.BlacklistService
	disps    *store.DispositionService
	agents   *store.AgentService
	qlog     *store.QueueLogService
	eng      *dialer.Engine
	camp     *centralita.Campaign
	cfg      dialer.Config
	closed   bool
}

// monday10 is a Monday, 10:00 UTC.
var monday10 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, camp centralita.Campaign) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, clk: &fakeTime{now: monday10}, pbx: newScriptPBX(), acd: newFakeACD()}
	var err error
	h.db, err = store.Open(ctx, store.Config{DSN: "sqlite:" + t.TempDir() + "/d.db", Now: h.clk.Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, h.db.Migrate(ctx))
	t.Cleanup(func() {
		h.close()
		h.db.Close()
	})
	h.camps, h.contacts = store.NewCampaignService(h.db), store.NewContactService(h.db)
	h.black, h.disps = store.NewBlacklistService(h.db), store.NewDispositionService(h.db)
	h.agents, h.qlog = store.NewAgentService(h.db), store.NewQueueLogService(h.db)
	if camp.Name == "" {
		camp.Name = "Ventas->"
	}
	if camp.Queue == "" {
		camp.Queue = "sales"
	}
	if camp.State == "" {
		camp.State = centralita.CampaignActive
	}
	if camp.CallerID == "" {
		camp.CallerID = "24001234"
	}
	require.NoError(t, h.camps.CreateCampaign(ctx, &camp))
	h.camp = &camp
	for i := 1; i <= 5; i++ {
		require.NoError(t, h.agents.CreateAgent(ctx, &centralita.Agent{Number: strconv.Itoa(200 + i), Username: fmt.Sprintf("Agente%d", i)}))
	}
	h.cfg = dialer.Config{
		PBX: h.pbx, ACD: h.acd, Campaigns: h.camps, Contacts: h.contacts, Blacklist: h.black,
		Dispositions: h.disps, Agents: h.agents, QueueLog: h.qlog, Now: h.clk.Now, Timer: h.clk.Timer,
		Location: time.UTC, Logger: slog.New(slog.DiscardHandler),
	}
	h.start()
	return h
}

func (h *harness) start() {
	h.t.Helper()
	var err error
	h.eng, err = dialer.New(h.cfg)
	require.NoError(h.t, err)
	require.NoError(h.t, h.eng.Start(context.Background()))
	h.closed = false
}

func (h *harness) close() {
	if !h.closed {
		h.closed = true
		h.eng.Close()
	}
}

// restart closes the engine (as a crash would leave the store) and starts a new one.
func (h *harness) restart() {
	h.close()
	h.start()
}

// tick advances the clock one second: one pacing round.
func (h *harness) tick() { h.clk.advance(time.Second) }

// add inserts contacts with these numbers through the Dialer.
func (h *harness) add(numbers ...string) []*centralita.Contact {
	h.t.Helper()
	var cs []*centralita.Contact
	for _, n := range numbers {
		cs = append(cs, &centralita.Contact{Number: n, Enabled: true})
	}
	require.NoError(h.t, h.eng.AddContacts(context.Background(), h.camp.ID, cs, centralita.TransitionAPI))
	return cs
}

func (h *harness) contact(id int64) *centralita.Contact {
	h.t.Helper()
	c, err := h.contacts.FindContact(context.Background(), id)
	require.NoError(h.t, err)
	return c
}

// waitContact waits until the stored contact satisfies ok.
func (h *harness) waitContact(id int64, ok func(c *centralita.Contact) bool, msg string) *centralita.Contact {
	h.t.Helper()
	var c *centralita.Contact
	require.Eventually(h.t, func() bool {
		var err error
		c, err = h.contacts.FindContact(context.Background(), id)
		return err == nil && ok(c)
	}, 5*time.Second, 2*time.Millisecond, msg)
	return c
}

// waitSettled waits until the contact is no longer in flight and its last outcome is want.
func (h *harness) waitSettled(id int64, want centralita.CallOutcome) *centralita.Contact {
	h.t.Helper()
	return h.waitContact(id, func(c *centralita.Contact) bool { return !c.InFlight && c.LastOutcome == want },
		fmt.Sprintf("contact %d never settled with %q", id, want))
}

func (h *harness) log(id int64) []string {
	h.t.Helper()
	l, err := h.contacts.ContactLog(context.Background(), id)
	require.NoError(h.t, err)
	var out []string
	for _, tr := range l {
		out = append(out, tr.Transition)
	}
	return out
}

// row hands the engine a queue_log row of the ACD and waits until it is applied.
func (h *harness) row(callID, event, agent string, data ...string) {
	h.t.Helper()
	r := centralita.QueueLogEntry{Time: h.clk.Now(), CallID: callID, QueueName: h.camp.Queue, Agent: agent, Event: event}
	fields := []*string{&r.Data1, &r.Data2, &r.Data3, &r.Data4, &r.Data5}
	for i, d := range data {
		*fields[i] = d
	}
	require.NoError(h.t, h.qlog.AppendQueueLog(context.Background(), &r))
	h.eng.HandleQueueLog(r)
	require.Eventually(h.t, func() bool { return h.eng.Rows() == 0 }, 5*time.Second, time.Millisecond)
	h.pbx.send(centralita.ChannelEvent{Type: centralita.ChannelDTMF}) // the loop is past the rows
}

// connect answers a dialled channel and connects it to an agent.
func (h *harness) connect(id, agent string) {
	h.t.Helper()
	h.pbx.answer(id)
	h.row(id, centralita.QLEnterQueue, "NONE", "", "", "1")
	h.row(id, centralita.QLConnect, centralita.AgentLogName(agent), "1", id+"-a1", "1")
}

// complete ends a connected call after talk seconds.
func (h *harness) complete(id, agent string, talk int) {
	h.t.Helper()
	h.row(id, centralita.QLCompleteCaller, centralita.AgentLogName(agent), "1", strconv.Itoa(talk), "1")
	h.pbx.end(id, centralita.CauseNormalClearing)
}
