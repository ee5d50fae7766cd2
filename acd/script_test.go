package acd_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
	"github.com/centralita/centralita/store"
)

// scriptPBX is a PBX whose events the test sends by hand, in any order. It
// records what the engine asks of it and sends no event by itself.
type scriptPBX struct {
	mu         sync.Mutex
	events     chan centralita.ChannelEvent
	originated []centralita.OriginateRequest
	hungup     []string
	bridges    map[string][]string
	live       map[string]string // channel id → state
	failNext   error             // the next Originate fails (the channel is created anyway)
	gate       chan struct{}     // when set, AddChannel waits for it
	plays      []string          // "<channel> <media,...>"
	// listGate, when set, holds ListChannels after it took its list (it
	// sends on listed first), until the gate is closed.
	listGate chan struct{}
	listed   chan struct{}
	// devGate holds DeviceState of an endpoint until its gate is closed.
	devGate map[string]chan struct{}
	// done opens every gate: the test is over.
	done chan struct{}
}

func newScriptPBX() *scriptPBX {
	return &scriptPBX{events: make(chan centralita.ChannelEvent, 100), bridges: map[string][]string{}, live: map[string]string{}, done: make(chan struct{})}
}

func (p *scriptPBX) Originate(_ context.Context, r centralita.OriginateRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.originated = append(p.originated, r)
	p.live[r.ChannelID] = "Ringing"
	if err := p.failNext; err != nil {
		p.failNext = nil
		return err
	}
	return nil
}

func (p *scriptPBX) Hangup(_ context.Context, id, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hungup = append(p.hungup, id)
	if _, ok := p.live[id]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "channel not found")
	}
	delete(p.live, id)
	for b, chans := range p.bridges {
		p.bridges[b] = slices.DeleteFunc(chans, func(c string) bool { return c == id })
	}
	return nil
}

func (p *scriptPBX) CreateBridge(_ context.Context, id, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.bridges[id]; ok {
		return centralita.Errorf(centralita.ECONFLICT, "bridge exists")
	}
	p.bridges[id] = []string{}
	return nil
}

func (p *scriptPBX) AddChannel(_ context.Context, b, ch string) error {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	p.wait(gate)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.bridges[b]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "bridge not found")
	}
	if _, ok := p.live[ch]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "channel not found")
	}
	for other, chans := range p.bridges {
		p.bridges[other] = slices.DeleteFunc(chans, func(c string) bool { return c == ch })
	}
	p.bridges[b] = append(p.bridges[b], ch)
	return nil
}

func (p *scriptPBX) DestroyBridge(_ context.Context, b string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.bridges[b]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "bridge not found")
	}
	delete(p.bridges, b)
	return nil
}

func (p *scriptPBX) ListChannels(context.Context) ([]centralita.ChannelInfo, error) {
	p.mu.Lock()
	var out []centralita.ChannelInfo
	for id, st := range p.live {
		out = append(out, centralita.ChannelInfo{ID: id, State: st})
	}
	gate, listed := p.listGate, p.listed
	p.listGate = nil
	p.mu.Unlock()
	if gate != nil {
		listed <- struct{}{}
		p.wait(gate)
	}
	return out, nil
}

// wait waits until gate (nil for none) is opened, or the test is over.
func (p *scriptPBX) wait(gate chan struct{}) {
	if gate != nil {
		select {
		case <-gate:
		case <-p.done:
		}
	}
}

// holdList makes the next ListChannels take its list, report it on the
// returned channel, and wait until release is called before answering.
func (p *scriptPBX) holdList() (listed <-chan struct{}, release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gate, l := make(chan struct{}), make(chan struct{}, 1)
	p.listGate, p.listed = gate, l
	return l, func() { close(gate) }
}

// holdDevice makes DeviceState of endpoint wait until release is called.
func (p *scriptPBX) holdDevice(endpoint string) (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gate := make(chan struct{})
	if p.devGate == nil {
		p.devGate = map[string]chan struct{}{}
	}
	p.devGate[endpoint] = gate
	return func() { close(gate) }
}

// isLive reports whether a channel is up in the PBX.
func (p *scriptPBX) isLive(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.live[id]
	return ok
}

// vanish ends a channel without telling anyone (its events are lost).
func (p *scriptPBX) vanish(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, id)
	for b, chans := range p.bridges {
		p.bridges[b] = slices.DeleteFunc(chans, func(c string) bool { return c == id })
	}
}

// bridgeIDs lists the bridges that exist.
func (p *scriptPBX) bridgeIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for b := range p.bridges {
		out = append(out, b)
	}
	slices.Sort(out)
	return out
}

func (p *scriptPBX) ListEndpoints(context.Context) ([]centralita.EndpointInfo, error) {
	return nil, nil
}

func (p *scriptPBX) Endpoint(_ context.Context, name string) (centralita.EndpointInfo, error) {
	return centralita.EndpointInfo{Technology: "PJSIP", Resource: name, State: "online"}, nil
}

func (p *scriptPBX) DeviceState(_ context.Context, endpoint string) (string, error) {
	p.mu.Lock()
	gate := p.devGate[endpoint]
	p.mu.Unlock()
	p.wait(gate)
	return "NOT_INUSE", nil
}

func (p *scriptPBX) Subscribe() (<-chan centralita.ChannelEvent, func()) { return p.events, func() {} }

func (p *scriptPBX) Answer(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.live[id]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "channel not found")
	}
	p.live[id] = "Up"
	return nil
}

func (p *scriptPBX) StartBridgeMOH(context.Context, string, string) error { return nil }
func (p *scriptPBX) PlayChannel(_ context.Context, id string, media ...string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plays = append(p.plays, id+" "+strings.Join(media, ","))
	return nil
}
func (p *scriptPBX) SetVariable(context.Context, string, string, string) error { return nil }
func (p *scriptPBX) RemoveChannel(context.Context, string, string) error       { return nil }

// inbound sends a caller's StasisStart into queue.
func (p *scriptPBX) inbound(id, queue string) {
	p.mu.Lock()
	p.live[id] = "Ring"
	p.mu.Unlock()
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id, Args: []string{"queue", queue}, CallerNumber: "5550100"}
}

// enter sends a leg's StasisStart (it answered).
func (p *scriptPBX) enter(id string, args ...string) {
	p.mu.Lock()
	if _, ok := p.live[id]; ok {
		p.live[id] = "Up"
	}
	p.mu.Unlock()
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id, Args: args}
}

// destroy sends a channel's ChannelDestroyed.
func (p *scriptPBX) destroy(id string, cause int) {
	p.mu.Lock()
	delete(p.live, id)
	p.mu.Unlock()
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: id, Cause: cause}
}

func (p *scriptPBX) dialled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.originated {
		out = append(out, r.ChannelID)
	}
	return out
}

func (p *scriptPBX) hangups(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range p.hungup {
		if h == id {
			n++
		}
	}
	return n
}

// bridged reports whether ch was ever put in a bridge that still holds it.
func (p *scriptPBX) inBridge(ch string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, chans := range p.bridges {
		if slices.Contains(chans, ch) {
			return true
		}
	}
	return false
}

// scripted is an engine on a scriptPBX with queue sales (linear: 201, 202).
type scripted struct {
	*env
	pbx *scriptPBX
}

func newScripted(t *testing.T, tweak ...func(*acd.Config)) *scripted {
	t.Helper()
	ctx := context.Background()
	clock := newClock()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + t.TempDir() + "/t.db", Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	h := &scripted{env: &env{t: t, clock: clock, db: db, queues: store.NewQueueService(db), agents: store.NewAgentService(db), qlog: store.NewQueueLogService(db)}, pbx: newScriptPBX()}
	t.Cleanup(func() {
		close(h.pbx.done) // a failed test leaves no request waiting at a gate
		h.close()
		db.Close()
	})
	require.NoError(t, h.queues.CreateQueue(ctx, &centralita.Queue{Name: "sales", Strategy: centralita.StrategyLinear, RetrySec: 1}))
	for i, num := range []string{"201", "202"} {
		at := clock.Now()
		require.NoError(t, h.agents.CreateAgent(ctx, &centralita.Agent{Number: num, Username: "u" + num, Interface: "PJSIP/10" + num[2:], LoggedInAt: &at}))
		require.NoError(t, h.queues.SetMember(ctx, &centralita.QueueMember{Queue: "sales", Agent: num, Position: i}))
	}
	h.cfg = acd.Config{PBX: h.pbx, Media: h.pbx, Queues: h.queues, Agents: h.agents, QueueLog: h.qlog,
		Now: clock.Now, Timer: timer, Logger: slog.New(slog.DiscardHandler)}
	for _, f := range tweak {
		f(&h.cfg)
	}
	h.start()
	return h
}

// waitDialled waits until the engine has originated leg id.
func (h *scripted) waitDialled(id string) {
	h.t.Helper()
	require.Eventually(h.t, func() bool { return slices.Contains(h.pbx.dialled(), id) }, 5*time.Second, time.Millisecond, "%s never dialled", id)
}

func (h *scripted) waitStatus(agent string, st centralita.AgentStatus) {
	h.t.Helper()
	require.Eventually(h.t, func() bool { return h.agentState(agent).Status == st }, 5*time.Second, time.Millisecond, "agent %s never %s", agent, st)
}
