package dialer

import (
	"context"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// recover settles the attempts a previous run left open. An attempt whose
// channel (or agent-call leg) still exists is tracked again, its queue_log
// rows replayed. Of the others, one that was answered (AnsweredAt set, or
// queue_log rows showing the call entered the queue, reached an agent or a
// DIALOUTEND with talk) is never dialled again: it ends Answer and its
// contact Completed, except a call queue_log shows abandoned (EXITWITHTIMEOUT
// or ABANDON without CONNECT), which ends Abandoned under the campaign's
// retry rule as it would have live. One never answered ends Failed without
// counting against the contact, which is dialled again. Finally every
// contact flagged in flight without a live call is released (claimed just
// before a crash, never dialled).
func (e *Engine) recover(ctx context.Context) error {
	open, err := e.cfg.Contacts.FindOpenAttempts(ctx)
	if err != nil {
		return err
	}
	live, listed := e.liveChannels(ctx)
	if !listed && len(open) > 0 {
		e.log.Warn("dialer: cannot list channels; tracking every open attempt until the next reconciliation")
	}
	var keep []int64
	for _, a := range open {
		c, err := e.reopen(ctx, a)
		if err != nil {
			return err
		}
		if c == nil {
			continue
		}
		alive := !listed
		if c.agentCall {
			alive = alive || live[c.id+"-agent"] != "" || live[c.id+"-dst"] != ""
		} else if st := live[c.id]; st != "" {
			alive = true
			if st == "Up" {
				e.mu.Lock()
				e.answer(c, e.cfg.Now())
				e.mu.Unlock()
			}
		}
		e.replayRows(ctx, c)
		e.mu.Lock()
		switch {
		case alive && !c.done:
			c.quiet, c.dialed = false, true
			keep = append(keep, c.ct.ID)
			if c.agentCall && !c.dialout {
				c.guard = e.after(e.cfg.AgentRingTimeout, func() {
					c.guard = nil
					if !c.dialout {
						e.agentMissed(c)
					}
				})
			}
		case c.done:
		case c.abandoned && !c.connected:
			e.finish(c, centralita.OutcomeAbandoned)
		case c.answered || c.connected:
			e.finish(c, centralita.OutcomeAnswered)
		default:
			e.unknownEnd(c)
		}
		e.mu.Unlock()
		e.writeCall(c) // before the release below, so no claim sees a stale row
		e.mu.Lock()
		c.syncWrite = false
		e.mu.Unlock()
	}
	if len(open) > 0 {
		e.log.Info("dialer: settled the attempts of a previous run", "open", len(open), "live", len(keep))
	}
	return e.cfg.Contacts.ReleaseInFlight(ctx, 0, keep)
}

// reopen rebuilds the call of an open attempt, registered and quiet
// (replayed rows do not reach pacers or counters); nil when its contact
// is gone (the attempt is then closed).
func (e *Engine) reopen(ctx context.Context, a *centralita.Attempt) (*call, error) {
	ct, err := e.cfg.Contacts.FindContact(ctx, a.ContactID)
	e.mu.Lock()
	rc := e.camps[a.CampaignID]
	e.mu.Unlock()
	if centralita.ErrorKind(err) == centralita.ENOTFOUND || (err == nil && rc == nil) {
		now := e.cfg.Now()
		a.EndedAt, a.Outcome = &now, centralita.OutcomeFailed
		if err := e.cfg.Contacts.UpdateAttempt(ctx, a); err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
			return nil, err
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	id := a.CallID
	agentCall := id != "" && !strings.HasPrefix(id, "dl-")
	if id == "" && ct.Agent == "" {
		id = channelID(a.ID) // written before its call id: dialled at most just now
	}
	c := &call{id: id, rc: rc, ct: ct, att: *a, number: a.Number, agentCall: agentCall, quiet: true, syncWrite: true}
	if agentCall {
		c.owner = a.Agent
		if c.owner == "" {
			c.owner = ct.Agent
		}
	}
	if a.AnsweredAt != nil {
		c.answered, c.answeredAt = true, *a.AnsweredAt
	}
	e.mu.Lock()
	e.register(c)
	e.mu.Unlock()
	return c, nil
}

// replayRows applies the call's queue_log rows.
func (e *Engine) replayRows(ctx context.Context, c *call) {
	if e.cfg.QueueLog == nil || c.id == "" {
		return
	}
	rows, err := e.cfg.QueueLog.FindQueueLog(ctx, centralita.QueueLogFilter{CallID: c.id})
	if err != nil {
		e.log.Warn("dialer: cannot read the queue_log of an open attempt", "call", c.id, "err", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rows {
		if c.done {
			return
		}
		e.applyRow(c, *r)
	}
}

// liveChannels lists the PBX's channels by id, with their state.
func (e *Engine) liveChannels(ctx context.Context) (map[string]string, bool) {
	var chans []centralita.ChannelInfo
	err := e.pbx(ctx, func(ctx context.Context) (err error) { chans, err = e.cfg.PBX.ListChannels(ctx); return err })
	if err != nil {
		return nil, false
	}
	live := make(map[string]string, len(chans))
	for _, ch := range chans {
		st := ch.State
		if st == "" {
			st = "Down"
		}
		live[ch.ID] = st
	}
	return live, true
}

// reconcile compares the calls in progress with the PBX's channels after
// events may have been lost: a dialled channel that is gone has hung up, a
// channel that is up was answered; an agent call whose legs are both gone
// after DIALOUT has ended.
func (e *Engine) reconcile(ctx context.Context) {
	live, ok := e.liveChannels(ctx)
	if !ok {
		e.log.Warn("dialer: cannot list channels to reconcile; will retry")
		return
	}
	var events []centralita.ChannelEvent
	e.mu.Lock()
	for id, c := range e.calls {
		if c.done || !c.dialed {
			continue
		}
		if !c.agentCall {
			st, alive := live[id]
			switch {
			case !alive && !c.hungup:
				events = append(events, centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: id})
			case alive && st == "Up" && !c.answered:
				events = append(events, centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id})
			}
			continue
		}
		if c.dialout && live[id+"-agent"] == "" && live[id+"-dst"] == "" {
			for _, leg := range []string{id + "-agent", id + "-dst"} {
				if e.legs[leg] == c {
					events = append(events, centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: leg})
				}
			}
		}
	}
	e.mu.Unlock()
	for _, ev := range events {
		e.handleEvent(ev)
	}
}

// restoreAbandons rebuilds the campaigns' abandon rates over the last 30
// days, and today's answered, connected and abandoned counters, from the
// queue_log rows of the dialer's calls (callid "dl-…") in each campaign's
// queue. Campaigns sharing a queue share these figures.
func (e *Engine) restoreAbandons(ctx context.Context) {
	if e.cfg.QueueLog == nil {
		return
	}
	now := e.cfg.Now()
	e.mu.Lock()
	byQueue := map[string][]*campaign{}
	for _, rc := range e.camps {
		byQueue[rc.cfg.Queue] = append(byQueue[rc.cfg.Queue], rc)
	}
	day := e.day
	e.mu.Unlock()
	for q, rcs := range byQueue {
		for _, ev := range []string{centralita.QLConnect, centralita.QLExitWithTimeout, centralita.QLAbandon} {
			err := e.eachRow(ctx, centralita.QueueLogFilter{From: now.Add(-AbandonWindowMonth), To: now.Add(time.Second), QueueName: q, Event: ev}, func(r *centralita.QueueLogEntry) {
				if !strings.HasPrefix(r.CallID, "dl-") {
					return
				}
				res := CallResult{DialedAt: r.Time, AnsweredAt: r.Time, End: r.Time, Live: true, Abandoned: ev != centralita.QLConnect}
				e.mu.Lock()
				for _, rc := range rcs {
					rc.abandons.Observe(res)
					if !r.Time.Before(day) {
						rc.today.answered++
						if res.Abandoned {
							rc.today.abandoned++
						} else {
							rc.today.connected++
						}
					}
				}
				e.mu.Unlock()
			})
			if err != nil {
				e.log.Warn("dialer: cannot rebuild the abandon rates from queue_log", "queue", q, "err", err)
			}
		}
	}
}

// eachRow pages through the queue_log rows of f.
func (e *Engine) eachRow(ctx context.Context, f centralita.QueueLogFilter, fn func(*centralita.QueueLogEntry)) error {
	const page = 5000
	f.Limit = page
	for {
		rows, err := e.cfg.QueueLog.FindQueueLog(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range rows {
			fn(r)
		}
		if len(rows) < page {
			return nil
		}
		f.Offset += page
	}
}
