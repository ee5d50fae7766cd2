package acd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
	"github.com/centralita/centralita/ari"
	"github.com/centralita/centralita/ari/arisim"
	"github.com/centralita/centralita/store"
)

// scale runs the simulator and the engine 100 times faster than real time:
// a 1 s ring lasts 10 ms.
const scale = 0.01

// vclock is a virtual clock running 1/scale times faster than real time,
// shared by the simulator and the engine, from 08:00 today (local) so a
// test never crosses midnight.
type vclock struct{ origin, real time.Time }

func newClock() *vclock {
	now := time.Now()
	return &vclock{origin: time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, time.Local), real: now}
}

func (c *vclock) Now() time.Time {
	return c.origin.Add(time.Duration(float64(time.Since(c.real)) / scale))
}

// timer is the engine's Timer on the scaled clock.
func timer(d time.Duration, f func()) func() bool {
	return time.AfterFunc(time.Duration(float64(d)*scale), f).Stop
}

// env is a simulator, an ARI client, a SQLite store and an engine.
type env struct {
	t      *testing.T
	clock  *vclock
	sim    *arisim.Server
	client *ari.Client
	db     *store.DB
	queues *store.QueueService
	agents *store.AgentService
	qlog   *store.QueueLogService
	eng    *acd.Engine
	http   *http.Client
	cfg    acd.Config
	closed bool
}

// envConfig sets up an env's queues and agents before the engine starts.
type envConfig struct {
	queues []centralita.Queue
	// agents are numbers 201..200+n with interfaces SIP/101..100+n.
	agents int
	// members maps a queue to its members (agent numbers), penalties by index when set.
	members   map[string][]string
	penalties map[string][]int
	login     bool
	// history is queue_log rows of earlier today, written before the engine starts.
	history []centralita.QueueLogEntry
	crm     centralita.CRM
	crmTO   time.Duration
	seed    uint64
	rec     centralita.Recorder
}

func newEnv(t *testing.T, ec envConfig) *env {
	t.Helper()
	ctx := context.Background()
	clock := newClock()
	sim, err := arisim.New(arisim.Config{TimeScale: scale, Now: clock.Now, AnswerDelay: 500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, sim.Start(ctx, "127.0.0.1:0"))
	e := &env{t: t, clock: clock, sim: sim, http: &http.Client{Timeout: 5 * time.Second}}
	// One cleanup, in order: the engine, then what it uses.
	t.Cleanup(func() {
		e.close()
		if e.client != nil {
			e.client.Close()
		}
		if e.db != nil {
			e.db.Close()
		}
		e.http.CloseIdleConnections()
		require.NoError(t, sim.Close())
	})
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	e.client, err = ari.New(cctx, ari.Config{URL: sim.URL() + "/ari", Username: "asterisk", Password: "asterisk",
		Application: "centralita", Logger: slog.New(slog.DiscardHandler), ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	require.NoError(t, err)

	e.db, err = store.Open(ctx, store.Config{DSN: "sqlite:" + t.TempDir() + "/t.db", Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, e.db.Migrate(ctx))
	e.queues, e.agents, e.qlog = store.NewQueueService(e.db), store.NewAgentService(e.db), store.NewQueueLogService(e.db)

	for i := range ec.queues {
		require.NoError(t, e.queues.CreateQueue(ctx, &ec.queues[i]))
	}
	for i := 1; i <= ec.agents; i++ {
		a := &centralita.Agent{Number: strconv.Itoa(200 + i), Username: fmt.Sprintf("agent%d", i), Name: fmt.Sprintf("Agent %d", i)}
		if ec.login {
			at := clock.Now()
			a.Interface, a.LoggedInAt = fmt.Sprintf("SIP/%d", 100+i), &at
		}
		require.NoError(t, e.agents.CreateAgent(ctx, a))
	}
	for q, ms := range ec.members {
		for i, num := range ms {
			m := &centralita.QueueMember{Queue: q, Agent: num, Position: i}
			if p := ec.penalties[q]; p != nil {
				m.Penalty = p[i]
			}
			require.NoError(t, e.queues.SetMember(ctx, m))
		}
	}
	for i := range ec.history {
		require.NoError(t, e.qlog.AppendQueueLog(ctx, &ec.history[i]))
	}
	seed := ec.seed
	if seed == 0 {
		seed = 42
	}
	e.cfg = acd.Config{
		PBX: e.client, Media: e.client, Queues: e.queues, Agents: e.agents, QueueLog: e.qlog,
		CRM: ec.crm, CRMTimeout: ec.crmTO, Now: clock.Now, Timer: timer, Rand: rand.New(rand.NewPCG(seed, seed)),
		SIPToPJSIP: true, Logger: slog.New(slog.DiscardHandler), Recorder: ec.rec,
	}
	e.start()
	return e
}

// start starts a new engine on the env's configuration.
func (e *env) start() {
	e.t.Helper()
	var err error
	e.eng, err = acd.New(e.cfg)
	require.NoError(e.t, err)
	require.NoError(e.t, e.eng.Start(context.Background()))
	e.closed = false
}

func (e *env) close() {
	if !e.closed && e.eng != nil {
		e.closed = true
		require.NoError(e.t, e.eng.Close())
	}
}

// control calls the simulator's /sim/ API.
func (e *env) control(method, path string, body any) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.sim.URL()+path, rd)
	require.NoError(e.t, err)
	req.SetBasicAuth("asterisk", "asterisk")
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Less(e.t, resp.StatusCode, 300, "%s %s: %d %s", method, path, resp.StatusCode, raw)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

// call places an inbound call into queue and returns its channel id.
func (e *env) call(from, queue string, extra ...string) string {
	e.t.Helper()
	args := append([]string{"queue", queue}, extra...)
	out := e.control("POST", "/sim/calls", map[string]any{"from": from, "to": "s1", "app": "centralita", "args": args})
	return out["channel_id"].(string)
}

// farHangup hangs a channel up from the far end.
func (e *env) farHangup(id string) { e.control("POST", "/sim/channels/"+id+"/hangup", nil) }

// behave sets an extension's behaviour.
func (e *env) behave(ext string, b map[string]any) {
	e.control("PUT", "/sim/endpoints/"+ext, map[string]any{"behavior": b})
}

func (e *env) snapshot() *centralita.ACDSnapshot {
	e.t.Helper()
	s, err := e.eng.Snapshot(context.Background())
	require.NoError(e.t, err)
	return s
}

func (e *env) queueStatus(name string) centralita.QueueStatus {
	e.t.Helper()
	for _, q := range e.snapshot().Queues {
		if q.Queue.Name == name {
			return q
		}
	}
	e.t.Fatalf("queue %s not in snapshot", name)
	return centralita.QueueStatus{}
}

func (e *env) agentState(num string) centralita.AgentState {
	e.t.Helper()
	for _, a := range e.snapshot().Agents {
		if a.Agent.Number == num {
			return a
		}
	}
	e.t.Fatalf("agent %s not in snapshot", num)
	return centralita.AgentState{}
}

// waitConnected waits until call id talks to an agent and returns the agent.
func (e *env) waitConnected(queue, id string) string {
	e.t.Helper()
	agent := ""
	require.Eventually(e.t, func() bool {
		for _, c := range e.queueStatus(queue).Calls {
			if c.ID == id && !c.ConnectedAt.IsZero() {
				agent = c.Agent
				return true
			}
		}
		return false
	}, 10*time.Second, time.Millisecond, "call %s never connected in %s", id, queue)
	return agent
}

// waitQuiet waits until no agent is busy and the simulator has no channel.
func (e *env) waitQuiet() {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		for _, a := range e.snapshot().Agents {
			if a.Status != centralita.AgentNotInUse && a.Status != centralita.AgentUnavailable {
				return false
			}
		}
		return len(e.channels()) == 0
	}, 10*time.Second, 2*time.Millisecond, "agents or channels still busy: %v", e.channels())
}

// channels lists the simulator's live channels.
func (e *env) channels() []string {
	chans, err := e.client.ListChannels(context.Background())
	require.NoError(e.t, err)
	var ids []string
	for _, c := range chans {
		ids = append(ids, c.ID)
	}
	return ids
}

// rows returns the queue_log rows written so far, waiting until the engine
// has written them all (the writer is asynchronous).
func (e *env) rows(f centralita.QueueLogFilter) []*centralita.QueueLogEntry {
	e.t.Helper()
	rs, err := e.qlog.FindQueueLog(context.Background(), f)
	require.NoError(e.t, err)
	return rs
}

// waitRow waits for a row of event for call id (any call when empty) and returns it.
func (e *env) waitRow(id, event string) *centralita.QueueLogEntry {
	e.t.Helper()
	var got *centralita.QueueLogEntry
	require.Eventually(e.t, func() bool {
		rs := e.rows(centralita.QueueLogFilter{CallID: id, Event: event})
		if len(rs) > 0 {
			got = rs[0]
		}
		return got != nil
	}, 10*time.Second, 2*time.Millisecond, "no %s row for call %q", event, id)
	return got
}

// events returns the event names of a call's rows in order.
func events(rs []*centralita.QueueLogEntry) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Event)
	}
	return out
}

// callEvents waits until call id has a row of last, then returns its events.
func (e *env) callEvents(id, last string) []string {
	e.t.Helper()
	e.waitRow(id, last)
	return events(e.rows(centralita.QueueLogFilter{CallID: id}))
}

// counters are a queue's day counters.
type counters struct {
	Offered, Answered, Completed, Abandoned, Transferred, Overflowed int
	AnsweredInSL, AnsweredInSL2                                      int
	HoldTotal, TalkTotal                                             time.Duration
}

// recount computes a queue's counters from queue_log, independently of the engine.
func recount(rs []*centralita.QueueLogEntry, q centralita.Queue) counters {
	q = q.WithDefaults()
	var s counters
	for _, r := range rs {
		if r.QueueName != q.Name {
			continue
		}
		d1, _ := strconv.Atoi(r.Data1)
		d2, _ := strconv.Atoi(r.Data2)
		d4, _ := strconv.Atoi(r.Data4)
		switch r.Event {
		case "ENTERQUEUE":
			s.Offered++
		case "CONNECT":
			s.Answered++
			s.HoldTotal += time.Duration(d1) * time.Second
			if d1 <= q.ServiceLevelSec {
				s.AnsweredInSL++
			}
			if d1 <= q.ServiceLevel2Sec {
				s.AnsweredInSL2++
			}
		case "COMPLETECALLER", "COMPLETEAGENT":
			s.Completed++
			s.TalkTotal += time.Duration(d2) * time.Second
		case "TRANSFER":
			s.Transferred++
			s.TalkTotal += time.Duration(d4) * time.Second
		case "ABANDON":
			s.Abandoned++
		case "EXITWITHTIMEOUT":
			s.Overflowed++
		}
	}
	return s
}

// requireCountersMatchLog checks the engine's counters of every queue against a recount of queue_log.
func (e *env) requireCountersMatchLog() {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		rs := e.rows(centralita.QueueLogFilter{})
		for _, q := range e.snapshot().Queues {
			want := recount(rs, q.Queue)
			got := counters{Offered: q.Offered, Answered: q.Answered, Completed: q.Completed,
				Abandoned: q.Abandoned, Transferred: q.Transferred, Overflowed: q.Overflowed,
				AnsweredInSL: q.AnsweredInSL, AnsweredInSL2: q.AnsweredInSL2, HoldTotal: q.HoldTotal, TalkTotal: q.TalkTotal}
			if got != want {
				e.t.Logf("queue %s: engine %+v, log %+v", q.Queue.Name, got, want)
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond)
}

// agentsOf returns the agent numbers of CONNECT rows in queue, counted.
func (e *env) connectsByAgent(queue string) map[string]int {
	out := map[string]int{}
	for _, r := range e.rows(centralita.QueueLogFilter{QueueName: queue, Event: "CONNECT"}) {
		out[centralita.AgentFromLogName(r.Agent)]++
	}
	return out
}

// fakeCRM is a CRM that answers from fixed values and records pushes.
type fakeCRM struct {
	mu     sync.Mutex
	name   string
	ivr    map[string]string
	hang   bool
	pushes []centralita.AgentInfo
}

func (c *fakeCRM) CallerIDName(ctx context.Context, number string) (string, error) {
	if c.hang {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return c.name, nil
}

func (c *fakeCRM) IVRCode(ctx context.Context, uniqueID, callerNumber, code, ivrData string) (string, error) {
	if c.hang {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return c.ivr[code], nil
}

func (c *fakeCRM) PushAgentInfo(ctx context.Context, info centralita.AgentInfo) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushes = append(c.pushes, info)
	return true, nil
}

func (c *fakeCRM) pushed() []centralita.AgentInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.pushes)
}
