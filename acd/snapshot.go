package acd

import (
	"context"
	"slices"

	"github.com/centralita/centralita"
)

// Snapshot returns the live state, computed from memory: the queues by
// name with their figures since local midnight, members in membership
// order and calls oldest first, and the agents by number.
//
// Member counts among logged-in members: Available are free and not
// paused; Busy are ringing or on a call and not paused; BusyPaused are on
// a call and paused; Paused are paused whatever they do (so BusyPaused ⊆
// Paused); Wrapup are in wrap-up. Ongoing counts inbound calls connected
// to an agent. Agent calls (AgentCall) appear with Direction "out" under
// their queue, with their Data as IVRData, or nowhere when they have none.
func (e *Engine) Snapshot(ctx context.Context) (*centralita.ACDSnapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	e.rollDay(now)
	snap := &centralita.ACDSnapshot{Generated: now}
	outs := map[string][]*outCall{}
	for _, oc := range e.outs {
		outs[oc.queue] = append(outs[oc.queue], oc)
	}
	names := make([]string, 0, len(e.queues))
	for name := range e.queues {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		snap.Queues = append(snap.Queues, e.queueStatus(e.queues[name], outs[name]))
	}
	nums := make([]string, 0, len(e.agents))
	for num := range e.agents {
		nums = append(nums, num)
	}
	slices.SortFunc(nums, compareNumbers)
	for _, num := range nums {
		snap.Agents = append(snap.Agents, e.agentState(e.agents[num]))
	}
	return snap, nil
}

// queueStatus is one queue's live state; the lock is held.
func (e *Engine) queueStatus(q *queue, outs []*outCall) centralita.QueueStatus {
	now := e.cfg.Now()
	st := q.stats
	s := centralita.QueueStatus{
		Queue: q.cfg, Waiting: len(q.waiting), Ongoing: len(q.connected), Members: len(q.members),
		Offered: st.offered, Answered: st.answered, Completed: st.completed, Abandoned: st.abandoned,
		Transferred: st.transferred, Overflowed: st.overflowed,
		AnsweredInSL: st.answeredSL, AnsweredInSL2: st.answeredSL2, HoldTotal: st.hold, TalkTotal: st.talk,
	}
	if len(q.waiting) > 0 {
		s.LongestWait = now.Sub(q.waiting[0].enteredAt)
	}
	for i, c := range q.waiting {
		qc := inbound(c)
		qc.Position = i + 1
		s.Calls = append(s.Calls, qc)
	}
	for _, c := range q.connected {
		qc := inbound(c)
		qc.ConnectedAt, qc.Agent = c.connectedAt, c.agent.cfg.Number
		s.Calls = append(s.Calls, qc)
	}
	for _, oc := range outs {
		s.Calls = append(s.Calls, centralita.QueueCall{
			ID: oc.id, Direction: "out", CallerNumber: oc.dest, EnteredAt: oc.started,
			ConnectedAt: oc.answered, Agent: oc.a.cfg.Number, IVRData: oc.data,
		})
	}
	slices.SortStableFunc(s.Calls, func(x, y centralita.QueueCall) int { return x.EnteredAt.Compare(y.EnteredAt) })
	for _, m := range q.members {
		ms := e.memberState(m)
		s.MemberStates = append(s.MemberStates, ms)
		if !ms.LoggedIn {
			continue
		}
		s.Logged++
		onCall := ms.Status == centralita.AgentInUse || ms.Status == centralita.AgentRinging
		switch {
		case ms.Paused:
			s.Paused++
			if onCall {
				s.BusyPaused++
			}
		case ms.Status == centralita.AgentNotInUse:
			s.Available++
		case onCall:
			s.Busy++
		}
		if ms.Status == centralita.AgentWrapup {
			s.Wrapup++
		}
	}
	return s
}

func inbound(c *call) centralita.QueueCall {
	return centralita.QueueCall{
		ID: c.id, Direction: "in", CallerNumber: c.number, CallerName: c.name,
		EnteredAt: c.enteredAt, IVRData: c.ivrData,
	}
}

// memberState is an agent as a member of one queue; the lock is held.
func (e *Engine) memberState(m *member) centralita.MemberState {
	a := m.a
	ms := centralita.MemberState{
		Queue: m.q.cfg.Name, Agent: a.cfg.Number, Name: a.cfg.Name, Interface: a.iface, Penalty: m.penalty,
		LoggedIn: a.loggedIn(), Paused: m.paused, PauseReason: m.reason, Status: a.status,
		InCall: a.call != nil && a.call.q == m.q,
	}
	ms.CallsTaken, ms.LastCall = m.stats.calls, m.stats.last
	return ms
}

// agentState is an agent's live state, its Queues in the order of the
// queue names; the lock is held.
func (e *Engine) agentState(a *agent) centralita.AgentState {
	s := centralita.AgentState{
		Agent: a.cfg, LoggedIn: a.loggedIn(), LoggedInAt: a.loggedInAt, Interface: a.iface,
		Status: a.status, StatusChangedAt: a.statusAt, LastRejectAt: a.lastReject,
	}
	if a.loggedIn() {
		at := a.loggedInAt
		s.Agent.Interface, s.Agent.LoggedInAt = a.iface, &at
	}
	switch {
	case a.call != nil:
		s.Call = a.call.id
	case a.offer != nil:
		s.Call = a.offer.c.id
	case a.out != nil:
		s.Call = a.out.id
	}
	var last *member
	for _, m := range a.members {
		s.Queues = append(s.Queues, e.memberState(m))
		if m.paused {
			s.Paused = true
			if last == nil || m.pausedAt.After(last.pausedAt) {
				last = m
			}
		}
	}
	if last != nil {
		s.PauseReason = last.reason
	}
	return s
}
