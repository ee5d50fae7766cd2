package dialer

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// reconcileEvery is how many ticks pass between two reconciliations with
// the PBX's channels and two re-reads of the campaigns.
const reconcileEvery = 30

// Tick runs one pacing round: for every active campaign, the pacer decides
// how many lines to dial from the ACD's view of the campaign's queue, and
// that many due contacts are claimed, checked and dialled. It returns once
// the dial requests were answered. The engine's timer calls it every
// TickInterval; a simulation may call it itself.
func (e *Engine) Tick(ctx context.Context) {
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	if ctx.Err() != nil {
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.ticks++
	periodic := e.ticks%reconcileEvery == 0
	e.mu.Unlock()
	if periodic {
		if err := e.Reload(ctx); err != nil {
			e.log.Warn("dialer: re-reading the campaigns failed", "err", err)
		}
		e.reconcile(ctx)
	}
	e.mu.Lock()
	now := e.cfg.Now()
	e.rollDay(now)
	var active []runCampaign
	for _, rc := range e.camps {
		if rc.cfg.State == centralita.CampaignActive {
			active = append(active, runCampaign{rc: rc, cfg: rc.cfg, loc: rc.loc, pacer: rc.pacer})
		}
	}
	e.mu.Unlock()
	if len(active) == 0 {
		return
	}
	slices.SortFunc(active, func(a, b runCampaign) int { return cmp.Compare(a.cfg.ID, b.cfg.ID) })
	snap, err := e.cfg.ACD.Snapshot(ctx)
	if err != nil {
		e.log.Warn("dialer: no ACD snapshot; not dialling this round", "err", err)
		return
	}
	queues := map[string]*centralita.QueueStatus{}
	for i := range snap.Queues {
		queues[snap.Queues[i].Queue.Name] = &snap.Queues[i]
	}
	var wg sync.WaitGroup
	for _, run := range active {
		if qs := queues[run.cfg.Queue]; qs != nil {
			for _, c := range e.tickCampaign(ctx, run, qs, now) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e.dial(ctx, c)
				}()
			}
		}
	}
	wg.Wait()
}

// rollDay restarts the day's counters at local midnight; the lock is held.
func (e *Engine) rollDay(now time.Time) {
	if day := e.midnight(now); !day.Equal(e.day) {
		e.day = day
		for _, rc := range e.camps {
			rc.today = counters{}
		}
	}
}

// freeAgents lists the queue's members free for a call now: logged in,
// not paused, not on a call or in wrap-up.
func freeAgents(qs *centralita.QueueStatus) []string {
	var out []string
	for _, m := range qs.MemberStates {
		if m.LoggedIn && !m.Paused && !m.InCall && m.Status == centralita.AgentNotInUse {
			out = append(out, m.Agent)
		}
	}
	return out
}

// lineCounts counts a campaign's calls dialling and answered-but-waiting
// (agent calls excluded: their agent is on the line already), and of the
// waiting ones those the ACD does not count yet; the lock is held.
func (e *Engine) lineCounts(rc *campaign) (dialing, waiting, unqueued int) {
	for _, c := range e.calls {
		if c.rc != rc || c.done || c.agentCall || c.hungup {
			continue
		}
		switch {
		case !c.answered:
			dialing++
		case !c.connected && !c.abandoned:
			waiting++
			if !c.entered {
				unqueued++
			}
		}
	}
	return dialing, waiting, unqueued
}

// tickCampaign paces one campaign and returns the calls to dial.
func (e *Engine) tickCampaign(ctx context.Context, run runCampaign, qs *centralita.QueueStatus, now time.Time) []*call {
	free := freeAgents(qs)
	cfg := run.cfg
	e.mu.Lock()
	run.rc.wrapup = time.Duration(qs.Queue.WrapupSec) * time.Second
	dialing, waiting, unqueued := e.lineCounts(run.rc)
	var owners []string
	for _, a := range free {
		if e.agents[a] == nil {
			owners = append(owners, a)
		}
	}
	e.mu.Unlock()
	in := PacingInput{
		Now: now, Logged: qs.Logged, Free: qs.Available, Talking: qs.Busy, Wrapup: qs.Wrapup,
		Dialing: dialing, Waiting: qs.Waiting + unqueued, MaxLines: cfg.MaxLines,
	}
	lines := len(owners)
	if cfg.Mode != centralita.ModePreview {
		lines = run.pacer.Lines(in)
	}
	if cfg.MaxLines > 0 {
		lines = min(lines, cfg.MaxLines-dialing-waiting)
	}
	if lines <= 0 {
		return nil
	}
	return e.claim(ctx, run, now, lines, owners)
}

// claim takes up to n due contacts of the campaign and prepares their
// calls: a contact outside its calling window is given back until the
// window opens, one whose number is being dialled is given back, one on
// the do-not-call list is rejected; the others get their attempt row and
// are registered before they are dialled. Owned contacts go to their
// free owner, and in preview every contact goes to a free agent.
func (e *Engine) claim(ctx context.Context, run runCampaign, now time.Time, n int, owners []string) []*call {
	e.storeMu.Lock()
	defer e.storeMu.Unlock()
	cfg := run.cfg
	cs, err := e.cfg.Contacts.ClaimContacts(ctx, cfg.ID, now, n, owners)
	if err != nil {
		e.log.Warn("dialer: claiming contacts failed", "campaign", cfg.Name, "err", err)
		return nil
	}
	used := map[string]bool{}
	nextFree := 0
	pickFree := func() string {
		for ; nextFree < len(owners); nextFree++ {
			if a := owners[nextFree]; !used[a] {
				return a
			}
		}
		return ""
	}
	var out []*call
	for _, ct := range cs {
		number := dialNumber(ct)
		if t := now.In(location(run.loc, ct.TimeZone)); !inWindow(cfg.Windows, t) {
			next := nextOpen(cfg.Windows, t)
			e.release(ctx, ct, &next)
			continue
		}
		e.mu.Lock()
		mine, busy := e.byCont[ct.ID] != nil, e.numbers[number] != 0
		e.mu.Unlock()
		if mine {
			continue // already ours: the store's flag lagged behind
		}
		owner := ""
		switch {
		case ct.Agent != "":
			if !slices.Contains(owners, ct.Agent) || used[ct.Agent] {
				busy = true
			}
			owner = ct.Agent
		case cfg.Mode == centralita.ModePreview:
			if owner = pickFree(); owner == "" {
				busy = true
			}
		}
		if busy {
			e.release(ctx, ct, nil)
			continue
		}
		black, err := e.cfg.Blacklist.Blacklisted(ctx, cfg.Name, number)
		if err != nil {
			e.log.Warn("dialer: do-not-call check failed; not dialling", "contact", ct.ID, "err", err)
			e.release(ctx, ct, nil)
			continue
		}
		if black {
			e.rejectBlacklisted(ctx, ct, now)
			continue
		}
		c, err := e.newCall(ctx, run.rc, cfg.ID, ct, number, owner, now)
		if err != nil {
			e.log.Warn("dialer: writing the attempt failed; not dialling", "contact", ct.ID, "err", err)
			e.release(ctx, ct, nil)
			continue
		}
		if owner != "" {
			used[owner] = true
		}
		out = append(out, c)
	}
	return out
}

// newCall writes the attempt of a contact about to be dialled and
// registers its call; storeMu is held.
func (e *Engine) newCall(ctx context.Context, rc *campaign, campaignID int64, ct *centralita.Contact, number, owner string, now time.Time) (*call, error) {
	att := centralita.Attempt{ContactID: ct.ID, CampaignID: campaignID, Number: number, StartedAt: now}
	if err := e.cfg.Contacts.CreateAttempt(ctx, &att); err != nil {
		return nil, err
	}
	c := &call{rc: rc, ct: ct, att: att, number: number, owner: owner, agentCall: owner != ""}
	if !c.agentCall {
		c.id = channelID(att.ID)
		c.att.CallID = c.id
		if err := e.cfg.Contacts.UpdateAttempt(ctx, &c.att); err != nil {
			end := now
			att.EndedAt, att.Outcome = &end, centralita.OutcomeFailed
			_ = e.cfg.Contacts.UpdateAttempt(ctx, &att)
			return nil, err
		}
	}
	ct.InFlight = true
	e.mu.Lock()
	e.register(c)
	rc.today.dialed++
	if c.agentCall {
		c.guard = e.after(e.cfg.AgentRingTimeout, func() {
			c.guard = nil
			if !c.dialout {
				e.agentMissed(c)
			}
		})
	}
	e.mu.Unlock()
	return c, nil
}

// rejectBlacklisted rejects a claimed contact whose number is on the
// do-not-call list, without calling it; storeMu is held.
func (e *Engine) rejectBlacklisted(ctx context.Context, ct *centralita.Contact, now time.Time) {
	ct.InFlight = false
	applyOutcome(centralita.Campaign{}, ct, centralita.OutcomeBlacklist, now)
	ct.LastOutcome = centralita.OutcomeBlacklist
	if err := e.cfg.Contacts.UpdateContact(ctx, ct, string(centralita.OutcomeBlacklist)); err != nil {
		e.log.Warn("dialer: rejecting a blacklisted contact failed", "contact", ct.ID, "err", err)
	}
}

// dial places a registered call: a channel into the campaign's queue, or
// an agent call through the ACD.
func (e *Engine) dial(ctx context.Context, c *call) {
	e.mu.Lock()
	cfg := c.rc.cfg
	data := c.ct.Data
	e.mu.Unlock()
	if c.agentCall {
		e.dialAgent(ctx, c, cfg, data)
		return
	}
	args := []string{"queue", cfg.Queue, "maxwait=2", "sound=" + cfg.AbandonMessage, "dialer=" + strconv.FormatInt(cfg.ID, 10), "caller=" + c.number}
	if cfg.Record {
		// The ACD records the call once bridged to an agent. Campaign names
		// are opaque (they may hold commas, which Stasis arguments cannot):
		// query-escaped here, unescaped by the ACD.
		args = append(args, "record=1", "campaign="+url.QueryEscape(cfg.Name))
	}
	err := e.pbx(ctx, func(ctx context.Context) error {
		return e.cfg.PBX.Originate(ctx, centralita.OriginateRequest{
			ChannelID: c.id, Endpoint: e.endpoint(c.number), CallerIDNumber: cfg.CallerID,
			Timeout: time.Duration(cfg.RingTimeoutSec) * time.Second,
			AppArgs: args,
		})
	})
	if err != nil && e.runCtx.Err() == nil && !e.channelExists(ctx, c.id) {
		e.log.Info("dialer: dialling failed", "contact", c.ct.ID, "number", c.number, "err", err)
		e.mu.Lock()
		if !c.done && !c.hungup {
			c.hungup, c.endAt, c.cause = true, e.cfg.Now(), 0
			e.settle(c)
		}
		e.mu.Unlock()
		return
	}
	e.mu.Lock()
	c.dialed = true
	e.mu.Unlock()
}

// dialAgent asks the ACD to call the agent and then the contact.
func (e *Engine) dialAgent(ctx context.Context, c *call, cfg centralita.Campaign, data string) {
	rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	guid, err := e.cfg.ACD.AgentCall(rctx, centralita.AgentCallRequest{
		Agent: c.owner, Destination: c.number, CallerID: cfg.CallerID, Queue: cfg.Name, Data: data,
		Record: cfg.Record, Campaign: cfg.Name,
	})
	cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if e.runCtx.Err() == nil {
			e.log.Info("dialer: agent call refused; the contact waits", "contact", c.ct.ID, "agent", c.owner, "err", err)
			e.agentMissed(c)
		}
		return
	}
	c.dialed = true
	if c.done { // given up meanwhile
		return
	}
	c.id, c.att.CallID = guid, guid
	e.register(c)
	e.persist(c)
}

// channelExists reports whether the PBX has the channel.
func (e *Engine) channelExists(ctx context.Context, id string) bool {
	var chans []centralita.ChannelInfo
	if err := e.pbx(ctx, func(ctx context.Context) (err error) { chans, err = e.cfg.PBX.ListChannels(ctx); return err }); err != nil {
		return false
	}
	for _, ch := range chans {
		if ch.ID == id {
			return true
		}
	}
	return false
}
