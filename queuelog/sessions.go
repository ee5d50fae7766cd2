package queuelog

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// StateEvents returns the events whose last row before a period tells the
// state in force at its start (ADDMEMBER, REMOVEMEMBER, PAUSE, UNPAUSE).
func StateEvents() []string {
	return []string{centralita.QLAddMember, centralita.QLRemoveMember, centralita.QLPause, centralita.QLUnpause}
}

// isStateEvent reports whether event is one of StateEvents.
func isStateEvent(event string) bool {
	switch event {
	case centralita.QLAddMember, centralita.QLRemoveMember, centralita.QLPause, centralita.QLUnpause:
		return true
	}
	return false
}

// Seconds is a duration in whole seconds, rounded down (never negative);
// every figure of this package is computed with it, per session and per
// pause, so totals are exact sums of the durations a report shows.
func Seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(d / time.Second)
}

// pairKey is one agent (as the log writes it) in one queue.
type pairKey struct{ queue, agent string }

// tracker follows one agent in one queue through the log.
type tracker struct {
	loggedIn, paused bool
	reason           string
	pauseStart       time.Time
	cur              centralita.AgentSession
	out              []centralita.AgentSession
}

// seed sets the state in force at from from the last state row before it.
func (t *tracker) seed(e *centralita.QueueLogEntry, from time.Time) {
	t.loggedIn, t.paused, t.reason = false, false, ""
	t.cur.Start, t.cur.Pauses = from, nil
	switch e.Event {
	case centralita.QLAddMember, centralita.QLUnpause:
		t.loggedIn = true
	case centralita.QLPause:
		// A PAUSE is only written for a member, so it implies a login.
		t.loggedIn, t.paused, t.reason, t.pauseStart = true, true, e.Data1, from
	}
}

// apply moves the state on by one row of the period.
func (t *tracker) apply(e *centralita.QueueLogEntry) {
	at := e.Time
	switch e.Event {
	case centralita.QLAddMember:
		if !t.loggedIn { // a second ADDMEMBER only moves the interface
			t.loggedIn = true
			t.cur.Start, t.cur.Pauses = at, nil
		}
	case centralita.QLRemoveMember:
		if t.loggedIn {
			t.endPause(at)
			t.endSession(at, false)
		}
	case centralita.QLPause:
		if t.loggedIn { // a PAUSE while paused changes the reason
			t.endPause(at)
			t.paused, t.reason, t.pauseStart = true, e.Data1, at
		}
	case centralita.QLUnpause:
		if t.loggedIn {
			t.endPause(at)
		}
	}
}

// endPause closes the open pause, if any, at at; empty pauses are dropped.
func (t *tracker) endPause(at time.Time) {
	if !t.paused {
		return
	}
	if at.After(t.pauseStart) {
		t.cur.Pauses = append(t.cur.Pauses, centralita.AgentPause{Reason: t.reason, Start: t.pauseStart, End: at})
	}
	t.paused, t.reason = false, ""
}

// endSession closes the session at at; empty sessions are dropped.
func (t *tracker) endSession(at time.Time, open bool) {
	if at.After(t.cur.Start) {
		t.cur.End, t.cur.Open = at, open
		t.out = append(t.out, t.cur)
	}
	t.loggedIn = false
	t.cur = centralita.AgentSession{Agent: t.cur.Agent, Queue: t.cur.Queue}
}

// Sessions rebuilds the login sessions and pauses of every agent and queue
// over the period [from, to].
//
// initial are the last ADDMEMBER/REMOVEMEMBER/PAUSE/UNPAUSE rows before from
// per (queue, agent), as QueueLogStateFinder returns them: the last one per
// pair (by time, then ID) tells whether the agent was logged in or paused at
// from. rows are the period's rows; rows outside [from, to] and events other
// than the four state events are ignored, so callers may pass every row.
//
// A session starts at ADDMEMBER (or at from when already logged in) and ends
// at REMOVEMEMBER (or at to with Open set); an ADDMEMBER while logged in does
// not start a new session. A pause runs from PAUSE to UNPAUSE, REMOVEMEMBER,
// the next PAUSE (a change of reason) or to; its reason is data1 ("" for
// none). PAUSE and UNPAUSE of an agent not logged in are ignored. Sessions and
// pauses of zero length are left out. Rows with equal times apply in ID order,
// then in the order given. The result is sorted by agent, queue and start;
// Agent is the bare agent number (AgentFromLogName).
func Sessions(initial, rows []*centralita.QueueLogEntry, from, to time.Time) []centralita.AgentSession {
	out := []centralita.AgentSession{}
	if !to.After(from) {
		return out
	}
	trackers := map[pairKey]*tracker{}
	get := func(e *centralita.QueueLogEntry) *tracker {
		k := pairKey{e.QueueName, e.Agent}
		t, ok := trackers[k]
		if !ok {
			t = &tracker{cur: centralita.AgentSession{Agent: centralita.AgentFromLogName(e.Agent), Queue: e.QueueName}}
			trackers[k] = t
		}
		return t
	}
	for _, e := range sortRows(initial) {
		if isStateEvent(e.Event) {
			get(e).seed(e, from)
		}
	}
	for _, e := range sortRows(rows) {
		if isStateEvent(e.Event) && !e.Time.Before(from) && !e.Time.After(to) {
			get(e).apply(e)
		}
	}
	for _, t := range trackers {
		if t.loggedIn {
			t.endPause(to)
			t.endSession(to, true)
		}
		out = append(out, t.out...)
	}
	slices.SortStableFunc(out, func(a, b centralita.AgentSession) int {
		return cmp.Or(compareAgents(a.Agent, b.Agent), strings.Compare(a.Queue, b.Queue), a.Start.Compare(b.Start))
	})
	return out
}

// sortRows returns the non-nil rows ordered by time, then ID, then as given.
func sortRows(rows []*centralita.QueueLogEntry) []*centralita.QueueLogEntry {
	out := make([]*centralita.QueueLogEntry, 0, len(rows))
	for _, e := range rows {
		if e != nil {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *centralita.QueueLogEntry) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// compareAgents orders agent numbers numerically ("99" before "152"), and
// after them any agent that is not all digits, by text.
func compareAgents(a, b string) int {
	da, db := isDigits(a), isDigits(b)
	switch {
	case da && db:
		ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		return cmp.Or(cmp.Compare(len(ta), len(tb)), strings.Compare(ta, tb), strings.Compare(a, b))
	case da:
		return -1
	case db:
		return 1
	}
	return strings.Compare(a, b)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
