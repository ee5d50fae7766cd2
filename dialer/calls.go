package dialer

import (
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// call is one attempt in progress: a channel the engine dialled, or an
// agent call it asked the ACD for.
type call struct {
	id     string // "dl-<attempt>" or the agent call's GUID ("" until AgentCall returns)
	rc     *campaign
	ct     *centralita.Contact // the contact as the engine will write it
	att    centralita.Attempt
	number string
	// owner is the agent of an agent call (preview or an owned contact).
	owner     string
	agentCall bool

	dialed                         bool // the PBX accepted the request
	answered, entered, connected   bool
	abandoned, hungup, done        bool
	dialout, agentGone, dstGone    bool
	talkKnown                      bool
	answeredAt, connectedAt, endAt time.Time
	talk                           time.Duration
	cause                          int
	// keepState: a user changed the contact's state during the call
	// (respool, disposition, removal); the outcome does not override it.
	keepState bool
	// quiet: rows replayed at start-up; pacers and counters are not told.
	quiet bool
	// syncWrite: the caller writes the call itself (recovery).
	syncWrite bool
	grace     *timer
	guard     *timer

	// transition is the state-log entry to write with the contact;
	// dirty says the contact must be written.
	transition string
	dirty      bool
}

// failureOutcome is the outcome of a channel that ended before answering.
func failureOutcome(cause int) centralita.CallOutcome {
	switch cause {
	case centralita.CauseUserBusy:
		return centralita.OutcomeBusy
	case centralita.CauseNoUserResponse, centralita.CauseNoAnswer, centralita.CauseCallRejected:
		return centralita.OutcomeNoAnswer
	}
	return centralita.OutcomeFailed
}

// handleEvent applies one PBX event.
func (e *Engine) handleEvent(ev centralita.ChannelEvent) {
	switch ev.Type {
	case centralita.PBXReconnected:
		e.reconcile(e.runCtx)
		return
	case centralita.ChannelEntered, centralita.ChannelHungup, centralita.ChannelLeft:
	default:
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.legs[ev.ChannelID]
	if c == nil || c.done {
		return
	}
	now := e.cfg.Now()
	if c.agentCall {
		e.agentLegEvent(c, ev, now)
		return
	}
	switch ev.Type {
	case centralita.ChannelEntered:
		e.answer(c, now)
	case centralita.ChannelLeft:
		if !c.answered {
			return // an originated channel leaves only after entering
		}
		fallthrough
	default:
		if c.hungup {
			return
		}
		c.hungup, c.endAt, c.cause = true, now, ev.Cause
		delete(e.legs, ev.ChannelID)
		e.settle(c)
	}
}

// agentLegEvent applies an event of an agent call's legs; the lock is held.
func (e *Engine) agentLegEvent(c *call, ev centralita.ChannelEvent, now time.Time) {
	dst := strings.HasSuffix(ev.ChannelID, "-dst")
	if ev.Type == centralita.ChannelEntered {
		if dst {
			e.answer(c, now)
		}
		return
	}
	delete(e.legs, ev.ChannelID)
	if dst {
		c.dstGone = true
	} else {
		c.agentGone = true
	}
	if c.endAt.IsZero() {
		c.endAt = now
	}
	e.graceSettle(c)
}

// answer records that a person answered; the lock is held.
func (e *Engine) answer(c *call, at time.Time) {
	if c.answered {
		return
	}
	c.answered, c.answeredAt = true, at
	c.att.AnsweredAt = &at
	if !c.quiet {
		c.rc.today.answered++
	}
	e.persist(c)
}

// handleRow applies one queue_log row of the ACD.
func (e *Engine) handleRow(r centralita.QueueLogEntry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[r.CallID]
	if c == nil || c.done {
		return
	}
	e.applyRow(c, r)
}

// applyRow moves a call on by one of its queue_log rows; the lock is held.
func (e *Engine) applyRow(c *call, r centralita.QueueLogEntry) {
	switch r.Event {
	case centralita.QLEnterQueue:
		c.entered = true
		e.answer(c, r.Time)
	case centralita.QLConnect:
		if c.connected || c.abandoned {
			return
		}
		e.answer(c, r.Time)
		c.entered, c.connected, c.connectedAt = true, true, r.Time
		c.att.Agent = centralita.AgentFromLogName(r.Agent)
		if !c.quiet {
			c.rc.today.connected++
		}
		e.observe(c, time.Time{})
		e.persist(c)
	case centralita.QLExitWithTimeout, centralita.QLAbandon:
		if c.connected || c.abandoned {
			return
		}
		e.answer(c, r.Time)
		c.abandoned = true
		if !c.quiet {
			c.rc.today.abandoned++
		}
		e.observe(c, r.Time)
		e.settle(c)
	case centralita.QLCompleteCaller, centralita.QLCompleteAgent, centralita.QLTransfer:
		if !c.connected || c.talkKnown {
			return
		}
		field := r.Data2
		if r.Event == centralita.QLTransfer {
			field = r.Data4
		}
		n, _ := strconv.Atoi(field)
		c.talk, c.talkKnown = time.Duration(n)*time.Second, true
		e.observe(c, r.Time)
		e.settle(c)
	case centralita.QLDialOut:
		if !c.agentCall || c.dialout {
			return
		}
		c.dialout = true
		e.cancel(&c.guard)
	case centralita.QLDialOutEnd:
		if !c.agentCall {
			return
		}
		c.dialout = true
		n, _ := strconv.Atoi(r.Data1)
		if n > 0 {
			e.answer(c, r.Time.Add(-time.Duration(n)*time.Second))
			c.connected, c.connectedAt = true, c.answeredAt
			c.talk, c.talkKnown = time.Duration(n)*time.Second, true
			c.att.Agent = centralita.AgentFromLogName(r.Agent)
			if !c.quiet {
				c.rc.today.connected++
			}
		}
		c.endAt = r.Time
		e.observe(c, r.Time)
		if c.connected || c.answered {
			e.finish(c, centralita.OutcomeAnswered)
		} else {
			e.finish(c, centralita.OutcomeNoAnswer)
		}
	}
}

// settle finishes a dialled call whose outcome is known; the lock is held.
// An answered call that hung up before its queue_log rows arrived waits
// QueueLogGrace for them.
func (e *Engine) settle(c *call) {
	switch {
	case c.done || c.agentCall || !c.hungup:
	case !c.answered:
		out := failureOutcome(c.cause)
		e.observe(c, c.endAt)
		e.finish(c, out)
	case c.abandoned:
		e.finish(c, centralita.OutcomeAbandoned)
	case c.connected && c.talkKnown:
		e.finish(c, centralita.OutcomeAnswered)
	case c.grace == nil:
		c.grace = e.after(e.cfg.QueueLogGrace, func() {
			c.grace = nil
			e.settleLate(c)
		})
	}
}

// settleLate finishes an answered call whose rows never came: connected
// with the talk its hangup gives, else abandoned; the lock is held.
func (e *Engine) settleLate(c *call) {
	if c.done {
		return
	}
	if c.connected {
		if !c.talkKnown {
			c.talk, c.talkKnown = max(c.endAt.Sub(c.connectedAt), 0), true
			e.observe(c, c.endAt)
		}
		e.finish(c, centralita.OutcomeAnswered)
		return
	}
	c.abandoned = true
	if !c.quiet {
		c.rc.today.abandoned++
	}
	e.observe(c, c.endAt)
	e.finish(c, centralita.OutcomeAbandoned)
}

// graceSettle waits QueueLogGrace after an agent call's leg ended for its
// DIALOUT and DIALOUTEND rows; the lock is held.
func (e *Engine) graceSettle(c *call) {
	if c.grace != nil || c.done {
		return
	}
	c.grace = e.after(e.cfg.QueueLogGrace, func() {
		c.grace = nil
		switch {
		case c.done:
		case !c.dialout:
			e.agentMissed(c)
		case c.answered:
			c.connected, c.connectedAt = true, c.answeredAt
			c.talk, c.talkKnown = max(c.endAt.Sub(c.answeredAt), 0), true
			e.observe(c, c.endAt)
			e.finish(c, centralita.OutcomeAnswered)
		default:
			e.observe(c, c.endAt)
			e.finish(c, centralita.OutcomeNoAnswer)
		}
	})
}

// observe tells the campaign's pacer and abandon tracker about the call:
// with end zero as soon as a live call is connected, else once it is over.
func (e *Engine) observe(c *call, end time.Time) {
	if c.quiet {
		return
	}
	r := CallResult{
		DialedAt: c.att.StartedAt, End: end, Live: c.answered, AnsweredAt: c.answeredAt,
		Abandoned: c.abandoned, ConnectedAt: c.connectedAt,
	}
	if c.talkKnown {
		r.Talk, r.Wrapup = c.talk, c.rc.wrapup
	}
	if !end.IsZero() {
		// The tracker is told each call once: its ledger pairs a call's two
		// observations by dial and answer times, which calls of one tick
		// answered in the same instant share.
		c.rc.abandons.Observe(r)
	}
	if !c.agentCall { // an agent call had its agent from the start: nothing to pace
		c.rc.pacer.Observe(r)
	}
}

// finish ends the attempt with its outcome and moves the contact on by
// the campaign's retry rules; the lock is held.
func (e *Engine) finish(c *call, out centralita.CallOutcome) {
	if c.done {
		return
	}
	now := e.cfg.Now()
	e.end(c, out, now)
	ct := c.ct
	if !c.keepState {
		applyOutcome(c.rc.cfg, ct, out, now)
	}
	started := c.att.StartedAt
	ct.LastAttemptAt, ct.LastOutcome = &started, out
	c.transition = string(out)
	e.persist(c)
}

// agentMissed ends an agent call that never reached the contact because
// the agent did not answer (or could not be called): the contact is given
// back after AgentRetryDelay, the attempt not counted; the lock is held.
func (e *Engine) agentMissed(c *call) {
	if c.done {
		return
	}
	now := e.cfg.Now()
	e.end(c, centralita.OutcomeFailed, now)
	if !c.keepState {
		next := now.Add(e.cfg.AgentRetryDelay)
		c.ct.NextAt = &next
	}
	e.persist(c)
}

// unknownEnd ends an attempt whose outcome a restart cannot know and that
// was never answered: the contact is dialled again, the attempt not
// counted; the lock is held.
func (e *Engine) unknownEnd(c *call) {
	if c.done {
		return
	}
	e.end(c, centralita.OutcomeFailed, e.cfg.Now())
	if !c.keepState {
		c.ct.NextAt = nil
	}
	e.persist(c)
}

// end closes the attempt, frees the contact and forgets the call; the lock is held.
func (e *Engine) end(c *call, out centralita.CallOutcome, now time.Time) {
	c.done = true
	e.cancel(&c.grace)
	e.cancel(&c.guard)
	c.att.EndedAt, c.att.Outcome = &now, out
	c.ct.InFlight = false
	c.dirty = true
	e.forget(c)
}

// applyOutcome moves a contact on after an attempt: an answer completes it,
// a blacklisted number rejects it, any other outcome counts an attempt and
// is retried after its rule's delay while the rule allows; when the number
// is exhausted (or the outcome has no rule) the next alternate number is
// dialled, and without one the contact is rejected.
func applyOutcome(cfg centralita.Campaign, ct *centralita.Contact, out centralita.CallOutcome, now time.Time) {
	switch out {
	case centralita.OutcomeAnswered:
		setState(ct, centralita.ContactCompleted, now)
		ct.NextAt = nil
		return
	case centralita.OutcomeBlacklist:
		setState(ct, centralita.ContactRejected, now)
		ct.NextAt = nil
		return
	}
	ct.Attempts++
	if rule, ok := cfg.Retries[out]; ok && ct.Attempts < rule.MaxAttempts {
		next := now.Add(time.Duration(rule.DelaySec) * time.Second)
		ct.NextAt = &next
		setState(ct, centralita.ContactPending, now)
		return
	}
	if ct.AltIndex < len(ct.Alternates) {
		ct.AltIndex++
		ct.Attempts = 0
		ct.NextAt = nil
		setState(ct, centralita.ContactPending, now)
		return
	}
	ct.NextAt = nil
	setState(ct, centralita.ContactRejected, now)
}

// setState changes a contact's state, stamping the change.
func setState(ct *centralita.Contact, st centralita.ContactState, now time.Time) {
	if ct.State != st {
		ct.State, ct.StateAt = st, now
	}
}

// dialNumber is the number a contact is dialled at now.
func dialNumber(ct *centralita.Contact) string {
	if ct.AltIndex > 0 && ct.AltIndex <= len(ct.Alternates) {
		return ct.Alternates[ct.AltIndex-1]
	}
	return ct.Number
}

// forget drops a finished call from the indexes; the lock is held.
func (e *Engine) forget(c *call) {
	if c.id != "" {
		if e.calls[c.id] == c {
			delete(e.calls, c.id)
		}
		e.recent.add(c.id, c.ct.ID)
	}
	for _, id := range []string{c.id, c.id + "-agent", c.id + "-dst"} {
		if c.id != "" && e.legs[id] == c {
			delete(e.legs, id)
		}
	}
	if e.byCont[c.ct.ID] == c && !c.dirty {
		delete(e.byCont, c.ct.ID) // else once its write lands (writeCallOnce)
	}
	if e.numbers[c.number] == c.ct.ID {
		delete(e.numbers, c.number)
	}
	if c.owner != "" && e.agents[c.owner] == c {
		delete(e.agents, c.owner)
	}
}

// register indexes a call being dialled; the lock is held.
func (e *Engine) register(c *call) {
	if c.id != "" {
		e.calls[c.id] = c
		if c.agentCall {
			e.legs[c.id+"-agent"], e.legs[c.id+"-dst"] = c, c
		} else {
			e.legs[c.id] = c
		}
	}
	e.byCont[c.ct.ID] = c
	e.numbers[c.number] = c.ct.ID
	if c.owner != "" {
		e.agents[c.owner] = c
	}
}
