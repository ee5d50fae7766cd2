package acd

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/centralita/centralita"
)

// dispatch offers waiting calls to available agents; the lock is held.
// Every event, timer and request ends with it.
//
// Calls are served oldest first across all queues, by the time they
// entered their current queue, and each picks among its queue's available
// agents by the queue's strategy. So within a queue calls are offered
// agents first in, first out, and an agent who is a member of several
// queues goes to the longest-waiting call among them whose strategy picks
// it. A call ringing an agent gets no second offer meanwhile (ringall
// rings its whole group in one go). A call is not offered again, within a
// round, an agent it already rang; once it has rung every available agent
// the round is over and it waits RetrySec before ringing them again (as
// app_queue's retry), while a later call may be offered them.
//
// A call with a preferred agent (list routing) whose agent is available
// (logged in, idle, and not paused in the call's queue, or, not being a
// member of it, in none of its queues) comes first, and that agent alone
// is offered the call; either way the preference is then spent, so a
// busy, paused or logged-out agent, or one whose phone is busy or rings
// out, leaves the call to the queue's normal routing, in its first-in,
// first-out place.
func (e *Engine) dispatch() {
	if e.closed {
		return
	}
	now := e.cfg.Now()
	var calls []*call
	for _, q := range e.queues {
		if len(q.waiting) == 0 {
			continue
		}
		free := e.freeMembers(q) > 0
		for _, c := range q.waiting {
			if len(c.offers) == 0 && (free || c.prefer != nil) {
				calls = append(calls, c)
			}
		}
	}
	if len(calls) == 0 {
		return
	}
	// Only a call whose preferred agent can take it now jumps the line;
	// the others keep their first-in, first-out place.
	jumps := map[*call]bool{}
	for _, c := range calls {
		if c.prefer != nil && e.preferred(c, c.prefer) != nil {
			jumps[c] = true
		}
	}
	slices.SortFunc(calls, func(x, y *call) int {
		if px, py := jumps[x], jumps[y]; px != py {
			if px {
				return -1
			}
			return 1
		}
		if c := x.enteredAt.Compare(y.enteredAt); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	})
	for _, c := range calls {
		if c.state != stWaiting || len(c.offers) > 0 {
			continue
		}
		if a := c.prefer; a != nil {
			c.prefer = nil
			if m := e.preferred(c, a); m != nil {
				e.offer(c, m)
				continue
			}
		}
		ms, anyTried, opensIn := e.pick(c, now)
		if len(ms) == 0 {
			if anyTried && c.retry == nil {
				c.retry = e.after(time.Duration(c.q.cfg.RetrySec)*time.Second, func() {
					c.retry = nil
					clear(c.tried)
				})
			}
			if opensIn > 0 && c.widen == nil {
				c.widen = e.after(opensIn, func() { c.widen = nil })
			}
			continue
		}
		for _, m := range ms {
			e.offer(c, m)
		}
	}
}

// preferred returns the membership to offer c to its preferred agent a
// through, or nil when a is not available; a non-member gets a membership
// made up for the offer. The lock is held.
func (e *Engine) preferred(c *call, a *agent) *member {
	if a.removed || !a.idle() {
		return nil
	}
	if m := c.q.byAgent[a.cfg.Number]; m != nil {
		if m.paused {
			return nil
		}
		return m
	}
	for _, m := range a.members {
		if m.paused {
			return nil
		}
	}
	return &member{q: c.q, a: a}
}

// freeMembers counts the members of q who could take a call now.
func (e *Engine) freeMembers(q *queue) int {
	n := 0
	for _, m := range q.members {
		if !m.paused && m.a.idle() {
			n++
		}
	}
	return n
}

// pick chooses the members to ring for c; the lock is held. anyTried
// reports available members already rung in this round (the round is over:
// retry after RetrySec); opensIn, when > 0, is when the next penalty level
// is admitted.
func (e *Engine) pick(c *call, now time.Time) (ms []*member, anyTried bool, opensIn time.Duration) {
	q := c.q
	top, limited := 0, false
	if step := q.cfg.PenaltyStepSec; step > 0 {
		// The levels are the distinct penalties of the members available now.
		levels := q.levels[:0]
		for _, m := range q.members {
			if !m.paused && m.a.idle() {
				levels = append(levels, m.penalty)
			}
		}
		slices.Sort(levels)
		levels = slices.Compact(levels)
		q.levels = levels
		top, limited, opensIn = admitted(levels, now.Sub(c.enteredAt), step)
	}
	cands, members := q.cands[:0], q.picked[:0]
	tried := len(c.tried) > 0
	for i, m := range q.members {
		a := m.a
		if m.paused || !a.idle() || (limited && m.penalty > top) {
			continue
		}
		if tried && c.tried[a] {
			anyTried = true
			continue
		}
		cands = append(cands, candidate{index: i, penalty: m.penalty, calls: m.stats.calls, lastCall: m.stats.last})
		members = append(members, m)
	}
	q.cands, q.picked = cands, members
	var picks [8]int
	for _, i := range route(q.cfg.Strategy, cands, q.rrLast, e.rnd, picks[:0]) {
		ms = append(ms, members[i])
	}
	return ms, anyTried, opensIn
}

// offer rings an agent for a call; the lock is held.
func (e *Engine) offer(c *call, m *member) {
	a := m.a
	c.attempts++
	o := &offer{id: c.id + "-a" + strconv.Itoa(c.attempts), c: c, q: c.q, a: a, m: m, start: e.cfg.Now()}
	c.offers[o.id] = o
	c.tried[a] = true
	a.offer = o
	e.legs[o.id] = o
	if i := slices.Index(c.q.members, m); i >= 0 {
		c.q.rrLast = i
	}
	e.setStatus(a, centralita.AgentRinging)
	ring := time.Duration(c.q.cfg.RingTimeoutSec) * time.Second
	o.timer = e.after(ring, func() {
		o.timer = nil
		if !o.done {
			e.ringFailed(o, centralita.QLRingNoAnswer)
		}
	})
	req := centralita.OriginateRequest{
		ChannelID: o.id, Endpoint: a.endpoint,
		CallerIDName: c.name, CallerIDNumber: c.number, Timeout: ring,
		AppArgs: []string{"acd", c.id, "agent"}, Originator: c.id,
	}
	e.spawn(func() { e.dial(o, req) })
}

// deviceBusy reports device states in which an agent's phone is not offered a call.
func deviceBusy(state string) bool {
	switch state {
	case "INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD", "UNAVAILABLE":
		return true
	}
	return false
}

// dial checks the agent's device and rings it.
func (e *Engine) dial(o *offer, req centralita.OriginateRequest) {
	var state string
	err := e.pbx(func(ctx context.Context) (err error) {
		state, err = e.cfg.PBX.DeviceState(ctx, req.Endpoint)
		return err
	})
	e.mu.Lock()
	switch {
	case o.done: // the caller left, or the call was taken, meanwhile
		e.dropOffer(o)
		e.mu.Unlock()
		return
	case err == nil && deviceBusy(state):
		e.log.Info("acd: agent's phone is busy; skipped", "agent", o.a.cfg.Number, "device", req.Endpoint, "state", state)
		e.dropOffer(o)
		e.dispatch()
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	err = e.pbx(func(ctx context.Context) error { return e.cfg.PBX.Originate(ctx, req) })
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if e.closed {
			return
		}
		e.log.Warn("acd: ringing agent failed", "agent", o.a.cfg.Number, "endpoint", req.Endpoint, "call", o.c.id, "err", err)
		if !o.done {
			e.ringFailed(o, centralita.QLRingNoAnswer)
		}
		// Asterisk may still have created the channel: keep the id known so
		// its events are matched (and it is hung up), for a while.
		e.keepDead(o.id, o)
		e.dispatch()
		return
	}
	o.dialed, o.dialGen = true, e.listGen
	if o.done && !o.answered {
		// The attempt ended while it was being dialled.
		e.spawn(func() { e.hangup(o.id) })
	}
}

// dropOffer withdraws an offer that was never dialled, or forgets one that
// ended before it was (ringall answered elsewhere, the caller left): its
// leg id is dropped, as no channel will ever carry it. The lock is held.
func (e *Engine) dropOffer(o *offer) {
	o.done = true
	e.cancel(&o.timer)
	delete(o.c.offers, o.id)
	if e.legs[o.id] == o {
		delete(e.legs, o.id)
	}
	if o.a.offer == o {
		o.a.offer = nil
		e.release(o.a)
	}
}

// ringFailed ends an unanswered attempt with RINGNOANSWER or RINGCANCELED
// and hangs the leg up; the lock is held.
func (e *Engine) ringFailed(o *offer, event string) {
	o.done = true
	e.cancel(&o.timer)
	delete(o.c.offers, o.id)
	now := e.cfg.Now()
	e.write(o.q.cfg.Name, o.c.id, o.a, event, strconv.FormatInt(now.Sub(o.start).Milliseconds(), 10))
	if event == centralita.QLRingNoAnswer {
		o.a.lastReject = now
	}
	if o.a.offer == o {
		o.a.offer = nil
		e.release(o.a)
	}
	if _, live := e.legs[o.id]; live {
		e.spawn(func() { e.hangup(o.id) })
	}
}

// release makes an agent whose call or attempt ended free again, or logs
// it out when a logout waits; the lock is held.
func (e *Engine) release(a *agent) {
	switch {
	case a.offer != nil || a.call != nil || a.out != nil:
		return
	case a.logoutPending:
		e.savePauses(a, e.logoutNow(a))
		e.saveLogin(a)
	case !a.loggedIn():
		e.setStatus(a, centralita.AgentUnavailable)
	case a.wrap != nil:
		e.setStatus(a, centralita.AgentWrapup)
	default:
		e.setStatus(a, centralita.AgentNotInUse)
	}
}

// wrapup puts an agent whose queue call ended into wrap-up for d, then
// frees it; the lock is held.
func (e *Engine) wrapup(a *agent, d time.Duration) {
	if d > 0 && a.loggedIn() && !a.logoutPending {
		e.cancel(&a.wrap)
		a.wrap = e.after(d, func() {
			a.wrap = nil
			e.release(a)
		})
	}
	e.release(a)
}
