package acd

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/centralita/centralita"
)

// queue is a queue's configuration and live state.
type queue struct {
	cfg     centralita.Queue // with defaults
	members []*member        // membership order: Position, then agent number
	byAgent map[string]*member
	// waiting holds the calls in the queue (waiting or ringing agents) in
	// arrival order; connected those talking to an agent.
	waiting   []*call
	connected []*call
	rrLast    int // rrmemory: membership index of the agent rung last
	stats     *qstats
	removed   bool
	// cands, picked and levels are pick's scratch space, reused under the lock.
	cands  []candidate
	picked []*member
	levels []int
}

// member is an agent's membership of a queue.
type member struct {
	q        *queue
	a        *agent
	stats    *agentStats // the agent's counters in q
	penalty  int
	position int
	paused   bool
	reason   string
	pausedAt time.Time
}

// agent is an agent and its live state.
type agent struct {
	cfg        centralita.Agent
	iface      string // logged-in interface ("SIP/101"); "" when logged out
	endpoint   string // the ARI endpoint dialled for iface
	loggedInAt time.Time
	members    []*member // its queues, by queue name
	status     centralita.AgentStatus
	statusAt   time.Time
	lastReject time.Time
	offer      *offer   // a queue call ringing the agent
	call       *call    // the queue call the agent is talking to
	out        *outCall // the agent's own call (AgentCall)
	wrap       *timer   // wrap-up in progress
	// logoutPending logs the agent out when its call ends.
	logoutPending bool
	removed       bool
}

func (a *agent) loggedIn() bool { return a.iface != "" }

// idle reports whether the agent can be offered a call in some queue.
func (a *agent) idle() bool {
	return a.iface != "" && !a.logoutPending && a.offer == nil && a.call == nil && a.out == nil && a.wrap == nil
}

// callState is where an inbound call is.
type callState int

const (
	stEntering  callState = iota // answered, CRM lookups, not yet in a queue
	stWaiting                    // in q.waiting, possibly ringing agents
	stConnected                  // talking to an agent
	stMoving                     // being transferred to another queue
	stLeaving                    // overflow message playing before hangup
	stDone                       // over for the ACD; the channel may still be up
)

// call is an inbound call.
type call struct {
	id                    string
	q                     *queue
	number, name, ivrData string
	state                 callState
	enteredAt             time.Time // entered the current queue
	origPos               int
	offers                map[string]*offer
	tried                 map[*agent]bool // agents rung in this round
	attempts              int
	retry, maxWait        *timer
	announce, widen       *timer
	// maxWaitArg and sound come from the call's arguments (an outbound
	// dialer call: at most 2 s to reach an agent, then sound and hang up).
	maxWaitArg time.Duration
	sound      string
	// list is the "list=" argument: the list the caller's number is looked
	// up in before it enters its queue; prefer, set from it, is the agent
	// offered the call first (cleared once tried, see dispatch).
	list   string
	prefer *agent
	// connected: the agent, the attempt it answered and its leg, and when.
	agent       *agent
	conn        *offer
	leg         string
	connectedAt time.Time
	linking     bool // the mixing bridge is being built
	rec         callRecording
	hold        bool // the holding bridge was (being) built
}

// position is the call's 1-based place in its queue; 0 when not waiting.
func (c *call) position() int {
	if c.state != stWaiting {
		return 0
	}
	for i, w := range c.q.waiting {
		if w == c {
			return i + 1
		}
	}
	return 0
}

// offer is one attempt to ring an agent for a call.
type offer struct {
	id       string
	c        *call
	q        *queue // the queue the call was in (its wrap-up applies)
	a        *agent
	m        *member
	start    time.Time
	timer    *timer
	done     bool // over: answered, rang out, refused, cancelled
	answered bool
	dialed   bool   // the Originate request succeeded
	dialGen  uint64 // the engine's listGen when it did
	gone     bool   // the leg's channel ended
	ended    bool   // answered, and the call is over
	released bool   // answered, and the agent was freed
}

// load reads the configuration from the store and applies it; at start-up
// it also restores logins and pauses.
func (e *Engine) load(ctx context.Context, startup bool) error {
	qs, err := e.cfg.Queues.FindQueues(ctx)
	if err != nil {
		return err
	}
	as, err := e.cfg.Agents.FindAgents(ctx)
	if err != nil {
		return err
	}
	ms, err := e.cfg.Queues.FindMembers(ctx, "", "")
	if err != nil {
		return err
	}
	rs, err := e.cfg.Agents.FindPauseReasons(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apply(qs, as, ms, rs, startup)
	if !startup {
		e.dispatch()
	}
	return nil
}

// Reload re-reads queues, agents, memberships and pause reasons; calls and
// logins go on. An agent logged in (a logout pending included) who leaves a
// queue gets REMOVEMEMBER there, one who joins one ADDMEMBER, so every
// session in queue_log is an ADDMEMBER…REMOVEMEMBER pair per queue. The
// waiting calls of a queue that is gone leave it as after MaxWaitSec with
// no overflow queue (EXITWITHTIMEOUT, the overflow sound, hangup); calls on
// their way into a queue (answered, or transferred) look it up by name when
// they get there, so they find a queue of the same name created again.
// Connected calls go on, and complete under the old queue's name.
func (e *Engine) Reload(ctx context.Context) error { return e.load(ctx, false) }

// apply installs a configuration; the lock is held.
func (e *Engine) apply(qs []*centralita.Queue, as []*centralita.Agent, ms []*centralita.QueueMember, rs []*centralita.PauseReason, startup bool) {
	now := e.cfg.Now()
	e.reasons = map[string]string{}
	for _, r := range rs {
		e.reasons[r.Code] = r.Name
	}
	seenQ := map[string]bool{}
	for _, qc := range qs {
		seenQ[qc.Name] = true
		q := e.queues[qc.Name]
		if q == nil {
			q = &queue{rrLast: -1, byAgent: map[string]*member{}, stats: e.statsFor(qc.Name)}
			e.queues[qc.Name] = q
		}
		q.cfg = qc.WithDefaults()
	}
	seenA := map[string]bool{}
	for _, ac := range as {
		seenA[ac.Number] = true
		a := e.agents[ac.Number]
		if a == nil {
			a = &agent{status: centralita.AgentUnavailable, statusAt: now}
			e.agents[ac.Number] = a
			if startup && ac.Interface != "" && ac.LoggedInAt != nil {
				a.iface, a.endpoint, a.loggedInAt = ac.Interface, e.endpoint(ac.Interface), *ac.LoggedInAt
				a.status = centralita.AgentNotInUse
			}
		}
		a.cfg = *ac
		a.cfg.Interface, a.cfg.LoggedInAt = "", nil // live state is in a
	}
	// Memberships: reuse the member objects (they carry the pause).
	next := map[*queue][]*member{}
	unpause := map[*agent][]*member{}
	for _, mc := range ms {
		q, a := e.queues[mc.Queue], e.agents[mc.Agent]
		if q == nil || a == nil || !seenQ[mc.Queue] || !seenA[mc.Agent] {
			continue
		}
		m := q.byAgent[mc.Agent]
		if m == nil {
			m = &member{q: q, a: a, stats: q.stats.agent(a.cfg.Number), paused: mc.Paused, reason: mc.PauseReason}
			if mc.PausedAt != nil {
				m.pausedAt = *mc.PausedAt
			}
			switch {
			case !startup && a.loggedIn():
				// Logged in, even with a logout pending: its REMOVEMEMBER
				// comes with the logout.
				e.write(q.cfg.Name, "NONE", a, centralita.QLAddMember, a.iface)
			case startup && !a.loggedIn() && m.paused:
				// Paused but logged out (a logout pending when the last run
				// stopped): the logout ends the pause.
				m.paused, m.reason, m.pausedAt = false, "", time.Time{}
				unpause[a] = append(unpause[a], m)
			}
		}
		m.penalty, m.position = mc.Penalty, mc.Position
		next[q] = append(next[q], m)
	}
	for name, q := range e.queues {
		kept := map[*member]bool{}
		for _, m := range next[q] {
			kept[m] = true
		}
		for _, m := range q.members {
			if !kept[m] && seenA[m.a.cfg.Number] && m.a.loggedIn() {
				e.write(name, "NONE", m.a, centralita.QLRemoveMember, m.a.iface)
			}
		}
		q.members = sortMembers(next[q])
		q.byAgent = map[string]*member{}
		for _, m := range q.members {
			q.byAgent[m.a.cfg.Number] = m
		}
		if !seenQ[name] {
			q.removed = true
			delete(e.queues, name)
			// Its waiting calls leave as if their wait ran out, with no
			// overflow queue; its connected calls go on under its name.
			e.log.Warn("acd: queue removed; its waiting calls overflow", "queue", name, "waiting", len(q.waiting), "connected", len(q.connected))
			for _, c := range slices.Clone(q.waiting) {
				e.exitQueue(c, nil)
			}
		}
	}
	for num, a := range e.agents {
		if seenA[num] {
			a.members = a.members[:0]
			continue
		}
		// A removed agent is logged out now, or when its call ends.
		a.removed = true
		if a.call != nil || a.out != nil {
			a.logoutPending = a.loggedIn()
		} else if a.loggedIn() {
			e.logoutNow(a)
		}
		delete(e.agents, num)
	}
	for _, q := range e.queues {
		for _, m := range q.members {
			m.a.members = append(m.a.members, m)
		}
	}
	for _, a := range e.agents {
		slices.SortFunc(a.members, func(x, y *member) int { return cmp.Compare(x.q.cfg.Name, y.q.cfg.Name) })
	}
	for a, ms := range unpause {
		e.savePauses(a, ms)
	}
}

// sortMembers orders members by Position, then agent number (numerically
// when both are numbers).
func sortMembers(ms []*member) []*member {
	slices.SortStableFunc(ms, func(x, y *member) int {
		if c := cmp.Compare(x.position, y.position); c != 0 {
			return c
		}
		return compareNumbers(x.a.cfg.Number, y.a.cfg.Number)
	})
	return ms
}

// compareNumbers compares agent numbers numerically when both are numbers.
func compareNumbers(x, y string) int {
	nx, errx := strconv.Atoi(x)
	ny, erry := strconv.Atoi(y)
	if errx == nil && erry == nil {
		return cmp.Compare(nx, ny)
	}
	return cmp.Compare(x, y)
}

// setStatus changes an agent's status; the lock is held.
func (e *Engine) setStatus(a *agent, st centralita.AgentStatus) {
	if a.status != st {
		a.status, a.statusAt = st, e.cfg.Now()
	}
}

// findAgent returns the agent with that number; the lock is held.
func (e *Engine) findAgent(number string) (*agent, error) {
	a := e.agents[number]
	if a == nil {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "agent %q not found", number)
	}
	return a, nil
}
