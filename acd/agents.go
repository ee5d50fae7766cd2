package acd

import (
	"context"
	"slices"
	"time"

	"github.com/centralita/centralita"
)

// Login logs the agent in at iface in all its queues (ADDMEMBER in each),
// persisted with SetAgentLogin. Logging in again at the same interface does
// nothing, and during a pending logout cancels it (the session goes on);
// at another interface the agent moves (REMOVEMEMBER, then ADDMEMBER). An
// agent unknown to the engine is looked for again after a Reload.
func (e *Engine) Login(ctx context.Context, number, iface string) error {
	if !ifacePattern.MatchString(iface) {
		return centralita.Errorf(centralita.EINVALID, "interface %q: want TECH/extension, e.g. SIP/101", iface)
	}
	if err := e.known(ctx, number); err != nil {
		return err
	}
	e.mu.Lock()
	a, err := e.findAgent(number)
	if err == nil && a.iface == iface && !a.logoutPending {
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if err := e.lockStore(ctx); err != nil {
		return err
	}
	defer e.unlockStore()
	e.mu.Lock()
	now := e.cfg.Now()
	at := now
	if a.iface == iface {
		at = a.loggedInAt // a pending logout is cancelled: the session goes on
	}
	e.mu.Unlock()
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Agents.SetAgentLogin(ctx, number, iface, &at) }); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if a.removed {
		return centralita.Errorf(centralita.ENOTFOUND, "agent %q not found", number)
	}
	if a.iface == iface {
		a.logoutPending = false // logged in again before its call ended
		return nil
	}
	if a.iface != "" {
		for _, m := range a.members {
			e.write(m.q.cfg.Name, "NONE", a, centralita.QLRemoveMember, a.iface)
		}
	}
	a.iface, a.endpoint, a.loggedInAt, a.logoutPending = iface, e.endpoint(iface), now, false
	if !at.Equal(now) {
		e.saveLogin(a) // its pending logout completed meanwhile: a new session
	}
	for _, m := range a.members {
		e.write(m.q.cfg.Name, "NONE", a, centralita.QLAddMember, iface)
	}
	if a.status == centralita.AgentUnavailable {
		e.release(a)
	}
	e.dispatch()
	return nil
}

// known makes sure the engine knows the agent, reloading once when it does not.
func (e *Engine) known(ctx context.Context, number string) error {
	e.mu.Lock()
	_, ok := e.agents[number]
	e.mu.Unlock()
	if ok {
		return nil
	}
	if _, err := e.cfg.Agents.FindAgent(ctx, number); err != nil {
		return err
	}
	return e.Reload(ctx)
}

// Logout logs the agent out of all its queues (REMOVEMEMBER in each) and
// ends its pauses. A ringing attempt is withdrawn; a call in progress is
// not cut: the store says logged out at once (a restart does not log the
// agent back in), while the engine keeps the agent busy, without wrap-up,
// until the call ends and then writes REMOVEMEMBER.
func (e *Engine) Logout(ctx context.Context, number string) error {
	check := func() (*agent, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		a, err := e.findAgent(number)
		if err == nil && (!a.loggedIn() || a.logoutPending) {
			err = centralita.Errorf(centralita.EINVALID, "agent %q is not logged in", number)
		}
		return a, err
	}
	if _, err := check(); err != nil {
		return err
	}
	if err := e.lockStore(ctx); err != nil {
		return err
	}
	defer e.unlockStore()
	a, err := check() // again: another request may have logged it out meanwhile
	if err != nil {
		return err
	}
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Agents.SetAgentLogin(ctx, number, "", nil) }); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case !a.loggedIn() || a.logoutPending: // removed by a Reload meanwhile
	case a.call != nil || a.out != nil:
		a.logoutPending = true
		e.cancel(&a.wrap)
	default:
		e.savePauses(a, e.logoutNow(a))
		e.dispatch()
	}
	return nil
}

// logoutNow logs a free agent out: it withdraws a ringing attempt, ends
// wrap-up and pauses, and writes REMOVEMEMBER in each queue; the lock is
// held. It returns the memberships whose pause it ended, to persist.
func (e *Engine) logoutNow(a *agent) []*member {
	a.logoutPending = false
	if o := a.offer; o != nil && !o.done {
		e.ringFailed(o, centralita.QLRingNoAnswer)
	}
	e.cancel(&a.wrap)
	var unpaused []*member
	for _, m := range a.members {
		e.write(m.q.cfg.Name, "NONE", a, centralita.QLRemoveMember, a.iface)
		if m.paused {
			m.paused, m.reason, m.pausedAt = false, "", time.Time{}
			unpaused = append(unpaused, m)
		}
	}
	a.iface, a.endpoint, a.loggedInAt = "", "", time.Time{}
	e.setStatus(a, centralita.AgentUnavailable)
	return unpaused
}

// saveLogin saves the agent's login state as it is when the write runs, in
// the background and retried until it lands; the lock is held.
func (e *Engine) saveLogin(a *agent) {
	number := a.cfg.Number
	e.persist("login state of agent "+number, func(ctx context.Context) error {
		e.mu.Lock()
		iface, at := a.iface, a.loggedInAt
		if a.removed {
			iface = ""
		}
		e.mu.Unlock()
		if iface == "" {
			return e.cfg.Agents.SetAgentLogin(ctx, number, "", nil)
		}
		return e.cfg.Agents.SetAgentLogin(ctx, number, iface, &at)
	})
}

// savePauses saves the pause state of memberships as it is when each write
// runs, in the background; the lock is held.
func (e *Engine) savePauses(a *agent, ms []*member) {
	for _, m := range ms {
		e.persist("pause of agent "+a.cfg.Number+" in "+m.q.cfg.Name, func(ctx context.Context) error {
			e.mu.Lock()
			p := centralita.QueueMember{Queue: m.q.cfg.Name, Agent: a.cfg.Number, Paused: m.paused, PauseReason: m.reason}
			if m.paused {
				at := m.pausedAt
				p.PausedAt = &at
			}
			e.mu.Unlock()
			return e.savePause(ctx, p)
		})
	}
}

// savePause writes a membership's pause; the store slot is held.
// QueueService writes whole memberships only, so the member is read and
// written back at once with its pause changed, each request bounded by
// RequestTimeout. The engine's own writes are ordered by the store slot,
// but an admin API write of the same membership's penalty or position that
// lands between the read and the write is lost (the next Reload shows the
// stored values); the window is one store round trip.
func (e *Engine) savePause(ctx context.Context, p centralita.QueueMember) error {
	var ms []*centralita.QueueMember
	err := e.storeCall(ctx, func(ctx context.Context) (err error) {
		ms, err = e.cfg.Queues.FindMembers(ctx, p.Queue, p.Agent)
		return err
	})
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return nil // no longer a member
	}
	m := *ms[0]
	m.Paused, m.PauseReason, m.PausedAt = p.Paused, p.PauseReason, p.PausedAt
	return e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Queues.SetMember(ctx, &m) })
}

// maxReason is the longest pause reason, in bytes: the store's column
// (queue_log's data1 would take 255).
const maxReason = 128

// Pause pauses the agent in queues (all its queues when empty): PAUSE with
// the reason in each queue where the pause starts or its reason changes. A
// reason that is a PauseReason code is stored by its name; one over 128
// bytes is EINVALID.
func (e *Engine) Pause(ctx context.Context, number string, queues []string, reason string) error {
	return e.setPause(ctx, number, queues, true, reason)
}

// Unpause ends the agent's pause in queues (all its queues when empty):
// UNPAUSE in each queue where it was paused, with the reason of the pause
// it ends.
func (e *Engine) Unpause(ctx context.Context, number string, queues []string) error {
	return e.setPause(ctx, number, queues, false, "")
}

func (e *Engine) setPause(ctx context.Context, number string, queues []string, paused bool, reason string) error {
	e.mu.Lock()
	a, err := e.findAgent(number)
	var targets []string
	if err == nil {
		targets, err = e.pauseTargets(a, queues)
	}
	if name, ok := e.reasons[reason]; ok {
		reason = name
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if len(reason) > maxReason {
		return centralita.Errorf(centralita.EINVALID, "pause reason: at most %d bytes", maxReason)
	}
	if err := e.lockStore(ctx); err != nil {
		return err
	}
	defer e.unlockStore()
	for _, qn := range targets {
		// Checked again holding the store slot: a Logout cannot slip in
		// between this check and the write (it takes the slot too).
		e.mu.Lock()
		m := e.memberOf(a, qn)
		if !a.loggedIn() || a.logoutPending {
			e.mu.Unlock()
			return centralita.Errorf(centralita.EINVALID, "agent %q is not logged in", number)
		}
		change := m != nil && (m.paused != paused || (paused && m.reason != reason))
		e.mu.Unlock()
		if !change {
			continue
		}
		now := e.cfg.Now()
		p := centralita.QueueMember{Queue: qn, Agent: number, Paused: paused}
		if paused {
			p.PauseReason, p.PausedAt = reason, &now
		}
		if err := e.savePause(ctx, p); err != nil {
			return err
		}
		e.mu.Lock()
		switch cur := e.memberOf(a, qn); {
		case cur == nil || !a.loggedIn() || a.logoutPending:
			// A Reload took the membership or the agent meanwhile: store
			// what the engine has.
			e.savePauses(a, []*member{m})
		case paused:
			e.write(qn, "NONE", a, centralita.QLPause, reason)
			cur.paused, cur.reason, cur.pausedAt = true, reason, now
		case cur.paused:
			e.write(qn, "NONE", a, centralita.QLUnpause, cur.reason)
			cur.paused, cur.reason, cur.pausedAt = false, "", time.Time{}
		}
		e.dispatch()
		e.mu.Unlock()
	}
	return nil
}

// pauseTargets checks a pause request: the agent is logged in and every
// queue is one of its queues; the lock is held.
func (e *Engine) pauseTargets(a *agent, queues []string) ([]string, error) {
	if !a.loggedIn() || a.logoutPending {
		return nil, centralita.Errorf(centralita.EINVALID, "agent %q is not logged in", a.cfg.Number)
	}
	var mine []string
	for _, m := range a.members {
		mine = append(mine, m.q.cfg.Name)
	}
	if len(queues) == 0 {
		return mine, nil
	}
	for _, q := range queues {
		if !slices.Contains(mine, q) {
			return nil, centralita.Errorf(centralita.EINVALID, "agent %q is not a member of queue %q", a.cfg.Number, q)
		}
	}
	return queues, nil
}

// memberOf returns the agent's membership of queue name; the lock is held.
func (e *Engine) memberOf(a *agent, name string) *member {
	for _, m := range a.members {
		if m.q.cfg.Name == name {
			return m
		}
	}
	return nil
}
