package acd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/ari"
	"github.com/centralita/centralita/ari/arisim"
	"github.com/centralita/centralita/store"
)

// benchEngine is an engine without PBX or store: 1,000 logged-in agents in
// 50 queues of 100 members, each agent in 5 queues, with penalties 0..3.
func benchEngine(b *testing.B, s centralita.Strategy) *Engine {
	b.Helper()
	e := &Engine{
		cfg:    Config{Now: time.Now, Location: time.Local, Logger: slog.New(slog.DiscardHandler)},
		queues: map[string]*queue{}, agents: map[string]*agent{}, reasons: map[string]string{},
		legs: map[string]any{}, outs: map[string]*outCall{}, timers: map[*timer]struct{}{},
		stats: map[string]*qstats{}, rnd: rand.New(rand.NewPCG(1, 2)), slots: make(chan struct{}, 1),
	}
	e.log = e.cfg.Logger
	e.writer = newLogWriter(nil, e.log, time.Second)
	e.day = e.midnight(time.Now())
	var qs []*centralita.Queue
	for i := range 50 {
		qs = append(qs, &centralita.Queue{Name: fmt.Sprintf("q%02d", i), Strategy: s})
	}
	now := time.Now()
	var as []*centralita.Agent
	var ms []*centralita.QueueMember
	for i := range 1000 {
		num := strconv.Itoa(1000 + i)
		as = append(as, &centralita.Agent{Number: num, Username: "u" + num, Interface: "PJSIP/" + num, LoggedInAt: &now})
		for k := range 5 {
			ms = append(ms, &centralita.QueueMember{Queue: fmt.Sprintf("q%02d", (i+k*10)%50), Agent: num, Penalty: i % 4, Position: i})
		}
	}
	e.apply(qs, as, ms, nil, true)
	// Some history, so fewestcalls and leastrecent have figures to compare.
	for i, a := range as {
		for _, m := range e.agents[a.Number].members {
			*m.stats = agentStats{calls: i % 7, last: now.Add(-time.Duration(i) * time.Second)}
		}
	}
	return e
}

// BenchmarkRoute is one routing decision (the candidates of a queue of 100
// members among 1,000 agents in 50 queues, and the strategy's pick), as
// dispatch makes it for each waiting call. Compare with BenchmarkMapLookup.
func BenchmarkRoute(b *testing.B) {
	for _, s := range []centralita.Strategy{centralita.StrategyRingAll, centralita.StrategyLinear, centralita.StrategyRRMemory,
		centralita.StrategyLeastRecent, centralita.StrategyFewestCalls, centralita.StrategyRandom, centralita.StrategyWRandom} {
		b.Run(string(s), func(b *testing.B) {
			e := benchEngine(b, s)
			q := e.queues["q17"]
			now := time.Now()
			c := &call{id: "c", q: q, state: stWaiting, enteredAt: now, offers: map[string]*offer{}, tried: map[*agent]bool{}}
			q.waiting = append(q.waiting, c)
			e.mu.Lock()
			defer e.mu.Unlock()
			b.ReportAllocs()
			for b.Loop() {
				if ms, _, _ := e.pick(c, now); len(ms) == 0 {
					b.Fatal("nobody picked")
				}
			}
		})
	}
}

// nopPBX is a PBX that answers every request at once: every device is
// free and every Originate succeeds.
type nopPBX struct{ centralita.PBX }

func (nopPBX) DeviceState(context.Context, string) (string, error)          { return "NOT_INUSE", nil }
func (nopPBX) Originate(context.Context, centralita.OriginateRequest) error { return nil }

// waitingCalls puts 10 calls in each of the 50 queues, entered a
// millisecond apart in an order unlike the queues', for dispatch to sort.
func waitingCalls(e *Engine) {
	now := time.Now()
	names := slices.Sorted(maps.Keys(e.queues))
	for i := range 500 {
		q := e.queues[names[(i*7)%len(names)]]
		c := &call{id: strconv.Itoa(i), q: q, state: stWaiting, enteredAt: now.Add(-time.Duration((i*37)%500) * time.Millisecond),
			offers: map[string]*offer{}, tried: map[*agent]bool{}}
		q.waiting = append(q.waiting, c)
	}
}

// BenchmarkDispatchIdle is a dispatch pass with 500 calls waiting in the
// 50 queues and every agent free: the calls are sorted oldest first, and
// each picks by strategy among its queue's 100 members and rings one (the
// PBX is stubbed; the ringing is undone between passes, off the clock).
func BenchmarkDispatchIdle(b *testing.B) {
	for _, s := range []centralita.Strategy{centralita.StrategyRRMemory, centralita.StrategyLeastRecent, centralita.StrategyFewestCalls} {
		b.Run(string(s), func(b *testing.B) {
			e := benchEngine(b, s)
			e.cfg.PBX, e.cfg.RequestTimeout = nopPBX{}, time.Second
			e.cfg.Timer = func(time.Duration, func()) func() bool { return func() bool { return true } }
			e.runCtx, e.stopRun = context.WithCancel(context.Background())
			defer e.stopRun()
			e.slots = make(chan struct{}, 64)
			waitingCalls(e)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				e.mu.Lock()
				e.dispatch()
				offered := len(e.legs)
				e.mu.Unlock()
				b.StopTimer()
				if offered != 500 {
					b.Fatalf("%d calls offered, want 500", offered)
				}
				e.work.Wait() // the stubbed dials
				e.mu.Lock()
				for _, q := range e.queues {
					q.rrLast = -1
					for _, c := range q.waiting {
						for _, o := range c.offers {
							o.a.offer = nil
							e.setStatus(o.a, centralita.AgentNotInUse)
						}
						clear(c.offers)
						clear(c.tried)
						c.attempts = 0
					}
				}
				clear(e.legs)
				clear(e.timers)
				e.mu.Unlock()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkDispatchBusy is a dispatch pass with 500 calls waiting in the
// 50 queues and every agent busy: the cost every event pays under load.
func BenchmarkDispatchBusy(b *testing.B) {
	e := benchEngine(b, centralita.StrategyRRMemory)
	for _, a := range e.agents {
		a.call = &call{}
	}
	waitingCalls(e)
	e.mu.Lock()
	defer e.mu.Unlock()
	b.ReportAllocs()
	for b.Loop() {
		e.dispatch()
	}
}

// BenchmarkMapLookup is the baseline: one lookup in a map of 1,000 agents.
func BenchmarkMapLookup(b *testing.B) {
	m := map[string]*agent{}
	keys := make([]string, 1000)
	for i := range 1000 {
		keys[i] = strconv.Itoa(1000 + i)
		m[keys[i]] = &agent{}
	}
	i := 0
	for b.Loop() {
		if m[keys[i%1000]] == nil {
			b.Fatal("missing")
		}
		i++
	}
}

// timingPBX wraps a PBX and notes when each call entered (ChannelEntered
// with "queue" arguments) and when its first agent leg was requested.
type timingPBX struct {
	centralita.PBX
	mu        sync.Mutex
	entered   map[string]time.Time
	originate map[string]time.Time
	wg        sync.WaitGroup
}

func (p *timingPBX) Subscribe() (<-chan centralita.ChannelEvent, func()) {
	in, cancel := p.PBX.Subscribe()
	out, stop := make(chan centralita.ChannelEvent, 4096), make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(out)
		for ev := range in {
			if ev.Type == centralita.ChannelEntered && len(ev.Args) > 0 && ev.Args[0] == "queue" {
				p.mu.Lock()
				p.entered[ev.ChannelID] = time.Now()
				p.mu.Unlock()
			}
			select {
			case out <- ev:
			case <-stop:
				return
			}
		}
	}()
	var once sync.Once
	return out, func() { once.Do(func() { close(stop); cancel() }) }
}

func (p *timingPBX) Originate(ctx context.Context, r centralita.OriginateRequest) error {
	p.mu.Lock()
	if _, ok := p.originate[r.Originator]; !ok {
		p.originate[r.Originator] = time.Now()
	}
	p.mu.Unlock()
	return p.PBX.Originate(ctx, r)
}

// simBench is an engine on the simulator with one rrmemory queue "bench"
// of agents 1000.., each on its own extension.
type simBench struct {
	b       *testing.B
	sim     *arisim.Server
	pbx     *timingPBX
	eng     *Engine
	hc      *http.Client
	cleanup []func()
}

func newSimBench(b *testing.B, agents int) *simBench {
	b.Helper()
	ctx := context.Background()
	sb := &simBench{b: b, hc: &http.Client{Timeout: 10 * time.Second}}
	b.Cleanup(func() {
		for i := len(sb.cleanup) - 1; i >= 0; i-- {
			sb.cleanup[i]()
		}
		sb.hc.CloseIdleConnections()
	})
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	var eps []arisim.Endpoint
	for i := range agents {
		eps = append(eps, arisim.Endpoint{Resource: strconv.Itoa(1000 + i)})
	}
	var err error
	sb.sim, err = arisim.New(arisim.Config{TimeScale: 0.01, Endpoints: eps, EventQueueSize: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	must(err)
	must(sb.sim.Start(ctx, "127.0.0.1:0"))
	sb.cleanup = append(sb.cleanup, func() { sb.sim.Close() })
	client, err := ari.New(ctx, ari.Config{URL: sb.sim.URL() + "/ari", Username: "asterisk", Password: "asterisk", Application: "centralita", Logger: slog.New(slog.DiscardHandler)})
	must(err)
	sb.cleanup = append(sb.cleanup, func() { client.Close() })
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + b.TempDir() + "/b.db", Logger: slog.New(slog.DiscardHandler)})
	must(err)
	sb.cleanup = append(sb.cleanup, func() { db.Close() })
	must(db.Migrate(ctx))
	queues, agentStore := store.NewQueueService(db), store.NewAgentService(db)
	// A long ring timeout: a loaded run must not time attempts out.
	must(queues.CreateQueue(ctx, &centralita.Queue{Name: "bench", Strategy: centralita.StrategyRRMemory, RingTimeoutSec: 300}))
	now := time.Now()
	for i := range agents {
		num := strconv.Itoa(1000 + i)
		must(agentStore.CreateAgent(ctx, &centralita.Agent{Number: num, Username: "u" + num, Interface: "PJSIP/" + num, LoggedInAt: &now}))
		must(queues.SetMember(ctx, &centralita.QueueMember{Queue: "bench", Agent: num, Position: i}))
	}
	sb.pbx = &timingPBX{PBX: client, entered: map[string]time.Time{}, originate: map[string]time.Time{}}
	sb.eng, err = New(Config{PBX: sb.pbx, Media: client, Queues: queues, Agents: agentStore, QueueLog: store.NewQueueLogService(db),
		Timer: func(d time.Duration, f func()) func() bool { return time.AfterFunc(d/100, f).Stop }, Logger: slog.New(slog.DiscardHandler)})
	must(err)
	must(sb.eng.Start(ctx))
	sb.cleanup = append(sb.cleanup, func() { sb.eng.Close(); sb.pbx.wg.Wait() })
	return sb
}

// call places an inbound call into the queue.
func (sb *simBench) call(from string) string {
	return sb.control("/sim/calls", map[string]any{"from": from, "to": "s1", "app": "centralita", "args": []string{"queue", "bench"}})
}

func (sb *simBench) control(path string, body any) string {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", sb.sim.URL()+path, bytes.NewReader(raw))
	req.SetBasicAuth("asterisk", "asterisk")
	resp, err := sb.hc.Do(req)
	if err != nil {
		sb.b.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out["channel_id"]
}

// until polls the snapshot until ok, for at most a minute.
func (sb *simBench) until(what string, ok func(s *centralita.ACDSnapshot) bool) {
	deadline := time.Now().Add(time.Minute)
	for {
		snap, _ := sb.eng.Snapshot(context.Background())
		if ok(snap) {
			return
		}
		if time.Now().After(deadline) {
			sb.b.Fatalf("%s: not reached; %d waiting, %d connected", what, snap.Queues[0].Waiting, snap.Queues[0].Ongoing)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func allFree(s *centralita.ACDSnapshot) bool {
	for _, a := range s.Agents {
		if a.Status != centralita.AgentNotInUse {
			return false
		}
	}
	return s.Queues[0].Ongoing == 0
}

// latency is how long after entering call id's agent leg was requested.
func (sb *simBench) latency(id string) time.Duration {
	sb.pbx.mu.Lock()
	defer sb.pbx.mu.Unlock()
	return sb.pbx.originate[id].Sub(sb.pbx.entered[id])
}

func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.9), "p90-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// BenchmarkEnterToOriginate measures, on the simulator, the time from a
// call's ChannelEntered to the Originate request of its agent leg
// (answer, holding bridge, music on hold, device check and routing lie in
// between), reported as p50/p90/p99/max milliseconds:
//
//   - burst: each iteration puts benchCalls (500) calls into the queue at
//     once, so 500 are in flight together, waits until all are connected,
//     then hangs them up;
//   - steady: 500 calls stay connected while each iteration puts one more
//     call in and hangs it up once connected.
func BenchmarkEnterToOriginate(b *testing.B) {
	n := benchCalls
	b.Run(fmt.Sprintf("burst%d", n), func(b *testing.B) {
		sb := newSimBench(b, n)
		var lat []time.Duration
		for b.Loop() {
			ids := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { ids[i] = sb.call(fmt.Sprintf("555%04d", i)) })
			}
			wg.Wait()
			sb.until("all connected", func(s *centralita.ACDSnapshot) bool { return s.Queues[0].Ongoing == n })
			b.StopTimer()
			for _, id := range ids {
				lat = append(lat, sb.latency(id))
				sb.control("/sim/channels/"+id+"/hangup", nil)
			}
			sb.until("all free", allFree)
			b.StartTimer()
		}
		reportLatencies(b, lat)
	})
	b.Run(fmt.Sprintf("steady%d", n), func(b *testing.B) {
		sb := newSimBench(b, n+1)
		for i := range n {
			sb.call(fmt.Sprintf("555%04d", i))
		}
		sb.until("load connected", func(s *centralita.ACDSnapshot) bool { return s.Queues[0].Ongoing == n })
		var lat []time.Duration
		for b.Loop() {
			id := sb.call("5559999")
			sb.until("connected", func(s *centralita.ACDSnapshot) bool { return s.Queues[0].Ongoing == n+1 })
			b.StopTimer()
			lat = append(lat, sb.latency(id))
			sb.control("/sim/channels/"+id+"/hangup", nil)
			sb.until("back to the load", func(s *centralita.ACDSnapshot) bool {
				free := 0
				for _, a := range s.Agents {
					if a.Status == centralita.AgentNotInUse {
						free++
					}
				}
				return s.Queues[0].Ongoing == n && free == 1
			})
			b.StartTimer()
		}
		reportLatencies(b, lat)
	})
}

// benchCalls is the number of calls in flight in BenchmarkEnterToOriginate.
const benchCalls = 500
