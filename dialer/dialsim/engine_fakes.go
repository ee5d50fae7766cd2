package dialsim

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// ecall is one call of an engine-driven run, as the fake PBX and ACD see it.
type ecall struct {
	id                                 string // the engine's channel id
	rng                                *rand.Rand
	dialed, answered, connected, ended int64
	talk                               int64
	live, machine, abandoned, waiting  bool
	agent                              string
}

type ecallEvent struct {
	at   int64
	seq  uint64
	kind int
	c    *ecall
}

// ecallHeap is a container/heap of events on (at, seq).
type ecallHeap []ecallEvent

func (h ecallHeap) Len() int { return len(h) }
func (h ecallHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}
func (h ecallHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *ecallHeap) Push(x any)   { *h = append(*h, x.(ecallEvent)) }
func (h *ecallHeap) Pop() any {
	s := *h
	e := s[len(s)-1]
	*h = s[:len(s)-1]
	return e
}

// vclock is the virtual clock: Now, and timers that fire when the run
// moves the clock past them, in the run's goroutine.
type vclock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*vtimer
}

type vtimer struct {
	at      time.Time
	f       func()
	stopped bool
}

// Now is the simulated time.
func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// offset is the simulated time in ns from Epoch.
func (c *vclock) offset() int64 { return int64(c.Now().Sub(Epoch)) }

// set moves the clock to t (never back).
func (c *vclock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Timer runs f when the clock reaches now+d; stop cancels it.
func (c *vclock) Timer(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &vtimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.timers, t)
		if i < 0 || t.stopped {
			return false
		}
		t.stopped = true
		c.timers = slices.Delete(c.timers, i, i+1)
		return true
	}
}

// nextTimer is when the earliest timer is due (ns from Epoch).
func (c *vclock) nextTimer() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.earliest(); i >= 0 {
		return int64(c.timers[i].at.Sub(Epoch)), true
	}
	return 0, false
}

// earliest is the index of the earliest timer (the first armed on a tie); the lock is held.
func (c *vclock) earliest() int {
	best := -1
	for i, t := range c.timers {
		if best < 0 || t.at.Before(c.timers[best].at) {
			best = i
		}
	}
	return best
}

// fireNext runs the earliest timer at its time.
func (c *vclock) fireNext() {
	c.mu.Lock()
	i := c.earliest()
	if i < 0 {
		c.mu.Unlock()
		return
	}
	t := c.timers[i]
	c.timers = slices.Delete(c.timers, i, i+1)
	t.stopped = true
	if t.at.After(c.now) {
		c.now = t.at
	}
	c.mu.Unlock()
	t.f()
}

// simPBX is the fake PBX: it records the engine's originations and
// delivers the run's channel events, each applied before send returns.
type simPBX struct {
	mu         sync.Mutex
	events     chan centralita.ChannelEvent
	originated []centralita.OriginateRequest
	live       map[string]string
}

var _ centralita.PBX = (*simPBX)(nil)

// Originate records a call; the run draws its fate after the tick.
func (p *simPBX) Originate(_ context.Context, r centralita.OriginateRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.originated = append(p.originated, r)
	p.live[r.ChannelID] = "Down"
	return nil
}

// takeOriginated returns the calls originated since the last call, by attempt.
func (p *simPBX) takeOriginated() []centralita.OriginateRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.originated
	p.originated = nil
	num := func(r centralita.OriginateRequest) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.ChannelID, "dl-"))
		return n
	}
	slices.SortFunc(out, func(a, b centralita.OriginateRequest) int { return cmp.Compare(num(a), num(b)) })
	return out
}

func (p *simPBX) up(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live[id] = "Up"
}

func (p *simPBX) gone(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, id)
}

// send delivers ev; the channel is unbuffered and a no-op event follows,
// so when send returns the engine has applied ev.
func (p *simPBX) send(ev centralita.ChannelEvent) {
	p.events <- ev
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelDTMF}
}

// Hangup drops the channel (the engine does not hang up calls in a run).
func (p *simPBX) Hangup(_ context.Context, id, _ string) error {
	p.gone(id)
	return nil
}

// ListChannels lists the channels not hung up yet.
func (p *simPBX) ListChannels(context.Context) ([]centralita.ChannelInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]centralita.ChannelInfo, 0, len(p.live))
	for id, st := range p.live {
		out = append(out, centralita.ChannelInfo{ID: id, State: st})
	}
	return out, nil
}

// Subscribe returns the run's event channel.
func (p *simPBX) Subscribe() (<-chan centralita.ChannelEvent, func()) {
	return p.events, func() {}
}

func (p *simPBX) CreateBridge(context.Context, string, string) error { return nil }
func (p *simPBX) AddChannel(context.Context, string, string) error   { return nil }
func (p *simPBX) DestroyBridge(context.Context, string) error        { return nil }
func (p *simPBX) ListEndpoints(context.Context) ([]centralita.EndpointInfo, error) {
	return nil, nil
}
func (p *simPBX) Endpoint(context.Context, string) (centralita.EndpointInfo, error) {
	return centralita.EndpointInfo{}, centralita.Errorf(centralita.ENOTFOUND, "dialsim: no endpoints")
}
func (p *simPBX) DeviceState(context.Context, string) (string, error) { return "NOT_INUSE", nil }

// simACD is the fake ACD: the simulated agents of the campaign's queue
// and its live answers waiting for one, oldest first.
type simACD struct {
	mu              sync.Mutex
	wrapupSec       int
	agents, free    []string
	state           map[string]centralita.AgentStatus
	queue           []*ecall
	talking, wrapup int
}

var _ centralita.ACD = (*simACD)(nil)

// open logs n agents in, all free.
func (a *simACD) open(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.agents, a.free = nil, nil
	for i := range n {
		ag := strconv.Itoa(1001 + i)
		a.agents = append(a.agents, ag)
		a.free = append(a.free, ag)
		a.state[ag] = centralita.AgentNotInUse
	}
}

// close logs every agent out.
func (a *simACD) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.agents, a.free = nil, nil
	clear(a.state)
}

// take gives the agent free longest, if any.
func (a *simACD) take() (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.free) == 0 {
		return "", false
	}
	ag := a.free[0]
	a.free = a.free[1:]
	a.state[ag] = centralita.AgentInUse
	a.talking++
	return ag, true
}

func (a *simACD) enqueue(c *ecall) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queue = append(a.queue, c)
}

func (a *simACD) dequeue(c *ecall) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i := slices.Index(a.queue, c); i >= 0 {
		a.queue = slices.Delete(a.queue, i, i+1)
	}
}

// toWrapup moves an agent from its call to wrap-up.
func (a *simACD) toWrapup(ag string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.talking--
	a.wrapup++
	a.state[ag] = centralita.AgentWrapup
}

// release ends an agent's wrap-up: it takes the oldest waiting call
// (returned), or becomes free.
func (a *simACD) release(ag string) *ecall {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.wrapup--
	if len(a.queue) > 0 {
		c := a.queue[0]
		a.queue = a.queue[1:]
		a.talking++
		a.state[ag] = centralita.AgentInUse
		return c
	}
	a.free = append(a.free, ag)
	a.state[ag] = centralita.AgentNotInUse
	return nil
}

// Snapshot shows the queue's agents. Waiting is 0: the run sends no
// ENTERQUEUE rows, so the engine counts its answered calls itself.
func (a *simACD) Snapshot(context.Context) (*centralita.ACDSnapshot, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	qs := centralita.QueueStatus{
		Queue:   centralita.Queue{Name: engineQueue, WrapupSec: a.wrapupSec},
		Members: len(a.agents), Logged: len(a.agents), Available: len(a.free),
		Busy: a.talking, Wrapup: a.wrapup,
	}
	for _, ag := range a.agents {
		st := a.state[ag]
		qs.MemberStates = append(qs.MemberStates, centralita.MemberState{
			Queue: engineQueue, Agent: ag, LoggedIn: true, Status: st, InCall: st == centralita.AgentInUse,
		})
	}
	return &centralita.ACDSnapshot{Queues: []centralita.QueueStatus{qs}}, nil
}

// AgentCall is refused: the run's campaigns make no agent calls.
func (a *simACD) AgentCall(context.Context, centralita.AgentCallRequest) (string, error) {
	return "", centralita.Errorf(centralita.EUNAVAILABLE, "dialsim: no agent calls")
}

func (a *simACD) Login(context.Context, string, string) error           { return nil }
func (a *simACD) Logout(context.Context, string) error                  { return nil }
func (a *simACD) Pause(context.Context, string, []string, string) error { return nil }
func (a *simACD) Unpause(context.Context, string, []string) error       { return nil }
func (a *simACD) HangupAgent(context.Context, string) error             { return nil }
func (a *simACD) Transfer(context.Context, string, string) error        { return nil }
func (a *simACD) Reload(context.Context) error                          { return nil }
