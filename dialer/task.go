package dialer

import (
	"context"
	"strings"

	"github.com/centralita/centralita"
)

// Task runs one of Integra DialerTask's four modes (rest-integra.md §6.4);
// source is kept as the contact's base:
//
//  1. automatic, no calldate: scheduled now at priority 1 (Schedule at now);
//  2. neither bulk nor automatic, no calldate: a call now — through
//     ACD.AgentCall when an agent is given, else dialled into the
//     campaign's queue at once, bypassing the pacer;
//  3. bulk, no calldate: added to the base at priority 9999, owned by the
//     agent when given (progressive campaigns);
//  4. a calldate: scheduled at that date (Schedule).
//
// [proposal] "A task with a date outranks one without": both are priority
// 1 and the store orders due contacts of one priority by due time, so a
// dated call due before an undated one was requested goes first; an
// undated one still pending when a later date comes due goes first.
func (e *Engine) Task(ctx context.Context, t centralita.DialerTask) error {
	camp, err := e.campaignByName(ctx, t.Campaign)
	if err != nil {
		return err
	}
	dest, err := normalizeNumber(t.Destination)
	if err != nil {
		return err
	}
	alts, err := normalizeNumbers(t.Alternatives)
	if err != nil {
		return err
	}
	owner := ""
	if strings.TrimSpace(t.Agent) != "" {
		if owner, err = e.resolveAgent(ctx, t.Agent); err != nil {
			return err
		}
	}
	want := &centralita.Contact{Number: dest, Alternates: alts, Agent: owner, Data: t.Data, Base: t.Source}
	switch {
	case t.CallDate != nil:
		return e.schedule(ctx, camp, want, *t.CallDate, TransitionTask)
	case t.Automatic:
		return e.schedule(ctx, camp, want, e.cfg.Now(), TransitionTask)
	case t.Bulk:
		want.Priority, want.Enabled = centralita.PriorityDefault, true
		black, err := e.blacklistFor(ctx, camp.Name, 1)
		if err != nil {
			return err
		}
		return e.addContacts(ctx, camp, []*centralita.Contact{want}, TransitionTask, black, map[string]string{})
	}
	return e.callNow(ctx, camp, want)
}

// callNow places a manual call at once (DialerTask mode 2): a new contact
// in flight with its attempt, dialled without waiting for the pacer.
// ECONFLICT when the number is being dialled, EFORBIDDEN when it is on the
// do-not-call list; when the agent call is refused the contact is
// canceled and the ACD's error returned.
func (e *Engine) callNow(ctx context.Context, camp *centralita.Campaign, want *centralita.Contact) error {
	e.mu.Lock()
	rc := e.camps[camp.ID]
	e.mu.Unlock()
	if rc == nil {
		if err := e.Reload(ctx); err != nil {
			return err
		}
		e.mu.Lock()
		rc = e.camps[camp.ID]
		e.mu.Unlock()
		if rc == nil {
			return centralita.Errorf(centralita.ENOTFOUND, "campaign %q not found", camp.Name)
		}
	}
	black, err := e.cfg.Blacklist.Blacklisted(ctx, camp.Name, want.Number)
	if err != nil {
		return err
	}
	if black {
		return centralita.Errorf(centralita.EFORBIDDEN, "number %s is on the do-not-call list", want.Number)
	}
	now := e.cfg.Now()
	want.Priority, want.Enabled = centralita.PriorityScheduled, true
	e.storeMu.Lock()
	e.mu.Lock()
	busy := e.numbers[want.Number] != 0 || (want.Agent != "" && e.agents[want.Agent] != nil)
	e.mu.Unlock()
	if busy {
		e.storeMu.Unlock()
		return centralita.Errorf(centralita.ECONFLICT, "number %s or its agent is in a call of the dialer", want.Number)
	}
	if err := e.prepare(ctx, camp, want, now, map[string]string{}); err != nil {
		e.storeMu.Unlock()
		return err
	}
	want.InFlight = true
	if err := e.cfg.Contacts.CreateContacts(ctx, []*centralita.Contact{want}, TransitionTask); err != nil {
		e.storeMu.Unlock()
		return err
	}
	c, err := e.newCall(ctx, rc, camp.ID, want, want.Number, want.Agent, now)
	e.storeMu.Unlock()
	if err != nil {
		_, _ = e.withContact(ctx, want.ID, func(ct *centralita.Contact, _ *call) (string, error) {
			ct.InFlight = false
			return "", nil
		})
		return err
	}
	if !c.agentCall {
		e.dial(e.runCtx, c)
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	guid, err := e.cfg.ACD.AgentCall(rctx, centralita.AgentCallRequest{
		Agent: c.owner, Destination: c.number, CallerID: camp.CallerID, Queue: camp.Name, Data: want.Data,
	})
	cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.end(c, centralita.OutcomeFailed, now)
		setState(c.ct, centralita.ContactCanceled, now)
		c.transition = string(centralita.OutcomeFailed)
		e.persist(c)
		return err
	}
	c.dialed = true
	if !c.done {
		c.id, c.att.CallID = guid, guid
		e.register(c)
		e.persist(c)
	}
	return nil
}
