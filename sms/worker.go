package sms

import (
	"context"
	"errors"
	"time"

	"github.com/centralita/centralita"
)

// claimBatch is the most rows the worker claims at a time; it claims no
// more than a second's worth at the configured rate, so that rows waiting
// for their turn stay unclaimed (and cancellable, and free for another
// engine), and renews each claim right before its attempt.
const claimBatch = 20

// workLoop claims and sends due rows until the engine stops, releasing
// expired claims (a crashed process's) every half lease.
func (e *Engine) workLoop() {
	ctx := e.runCtx
	poll := time.NewTicker(e.cfg.PollInterval)
	defer poll.Stop()
	lastRecovery := time.Time{}
	batch := min(claimBatch, max(1, int(e.cfg.Rate)))
	for {
		if now := e.cfg.Now(); now.Sub(lastRecovery) >= e.cfg.Lease/2 || now.Before(lastRecovery) {
			lastRecovery = now
			if n, err := e.cfg.Store.ReleaseSMSClaims(ctx, "", now.Add(-e.cfg.Lease)); err != nil {
				e.log.Warn("sms: releasing expired claims failed", "err", err)
			} else if n > 0 {
				e.log.Warn("sms: took over messages claimed by a process that stopped", "messages", n)
			}
		}
		for ctx.Err() == nil && e.providerReady() {
			ms, err := e.cfg.Store.ClaimSMS(ctx, e.owner, e.cfg.Now(), batch)
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("sms: claiming messages failed", "err", err)
				}
				break
			}
			all, quit := e.sendClaimed(ctx, ms)
			if quit {
				return
			}
			if !all || len(ms) < batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-poll.C:
		}
	}
}

// providerReady reports whether the provider can send now (see Readier).
func (e *Engine) providerReady() bool {
	r, ok := e.cfg.Provider.(Readier)
	return !ok || r.Ready()
}

// sendClaimed attempts the claimed rows in order. It reports whether it
// went through them all: when the provider loses its link (not ready, or
// a Send fails with ErrNotConnected) the rest are released unattempted
// and it stops, so that the worker waits for the link. quit reports that
// the engine is stopping (the rest were released).
func (e *Engine) sendClaimed(ctx context.Context, ms []*centralita.SMS) (all, quit bool) {
	for i, m := range ms {
		if !e.providerReady() {
			e.release(ms[i:])
			return false, false
		}
		if err := e.waitPace(ctx, m); err != nil {
			e.release(ms[i:])
			return false, true
		}
		ok, err := e.cfg.Store.RenewSMSClaim(ctx, e.owner, m.ID, e.cfg.Now())
		switch {
		case err != nil && ctx.Err() != nil:
			e.release(ms[i:])
			return false, true
		case err != nil:
			// Not attempted: the claim expires and the row is retaken.
			e.log.Warn("sms: renewing a claim failed; message left for later", "id", m.ID, "err", err)
			continue
		case !ok:
			e.log.Warn("sms: claim lost (lease expired, another engine took the message); not sent here", "id", m.ID)
			continue
		}
		if !e.attempt(ctx, m) {
			e.release(ms[i+1:])
			return false, false
		}
	}
	return true, false
}

// waitPace waits for m's turn at the sending rate, which counts parts; a
// message with more parts than a second's worth waits for them in bursts.
func (e *Engine) waitPace(ctx context.Context, m *centralita.SMS) error {
	segs, _ := Segments(m.Text)
	for left := max(1, len(segs)); left > 0; {
		n := min(left, e.pace.Burst())
		if err := e.pace.WaitN(ctx, n); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// release gives back claimed rows not attempted (on shutdown, or while
// the provider has no link) as they were claimed: PENDING, same attempts
// and due time. A release that fails leaves the claim to expire.
func (e *Engine) release(ms []*centralita.SMS) {
	ctx := context.WithoutCancel(e.runCtx)
	for _, m := range ms {
		if err := e.cfg.Store.FinishSMSAttempt(ctx, e.owner, m); err != nil && centralita.ErrorKind(err) != centralita.ECONFLICT {
			e.log.Warn("sms: releasing a claimed message failed; it is retaken after the lease", "id", m.ID, "err", err)
		}
	}
}

// attempt sends one claimed message and stores the outcome. The send is
// not cut by shutdown (ctx): the SMSC may accept a message whose answer a
// cancelled wait would miss, which would be sent again after a restart;
// it runs to its end or SendTimeout, and Close waits for it. A failure
// wrapping ErrNotConnected (nothing reached the network) is no attempt:
// the row is released unchanged and attempt reports false.
func (e *Engine) attempt(ctx context.Context, m *centralita.SMS) bool {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.SendTimeout)
	ids, err := e.cfg.Provider.Send(sctx, m)
	cancel()
	if errors.Is(err, ErrNotConnected) {
		e.log.Warn("sms: provider not connected; message left queued, no attempt counted", "id", m.ID,
			"provider", e.cfg.Provider.Name(), "err", err)
		e.release([]*centralita.SMS{m})
		return false
	}
	now := e.cfg.Now()
	m.Attempts++
	log := e.log.With("id", m.ID, "batch", m.BatchID, "to", m.Recipient, "attempt", m.Attempts, "provider", e.cfg.Provider.Name())
	switch {
	case err == nil:
		m.Status, m.Error, m.NextAt, m.SentAt = centralita.SMSSent, "", nil, &now
		m.ProviderIDs, m.Parts = ids, len(ids)
		log.Info("sms: sent", "parts", len(ids))
	case Transient(err) && m.Attempts <= e.cfg.Retries:
		next := now.Add(e.backoff(m.Attempts))
		m.NextAt, m.Error = &next, centralita.ErrorMessage(err)
		log.Warn("sms: send failed; will retry", "retry_at", next, "err", err)
	default:
		m.Status, m.Error, m.NextAt = centralita.SMSError, centralita.ErrorMessage(err), nil
		log.Error("sms: send failed for good", "err", err)
	}
	if ferr := e.cfg.Store.FinishSMSAttempt(context.WithoutCancel(ctx), e.owner, m); ferr != nil {
		// The claim stays (or was lost); it is retaken after the lease (a
		// resend is possible).
		log.Error("sms: storing the send outcome failed", "status", m.Status, "err", ferr)
		return true
	}
	if len(ids) > 0 {
		e.applyStashed(context.WithoutCancel(ctx), ids)
	}
	return true
}

// backoff is the wait before retry n (1-based): Backoff doubled n-1 times,
// at most MaxBackoff.
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.Backoff
	for i := 1; i < n && d < e.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, e.cfg.MaxBackoff)
}

// scheduleLoop moves due scheduled messages to the spool at start and then
// every ScheduleInterval (rest-integra.md §9.4).
func (e *Engine) scheduleLoop() {
	ctx := e.runCtx
	t := time.NewTicker(e.cfg.ScheduleInterval)
	defer t.Stop()
	for {
		e.SpoolDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SpoolDue runs the scheduler once: every scheduled message due in the
// current minute of the clock (calldate before the minute's end) goes to
// the spool with priority 1, as "every minute, the messages due in that
// minute" (§9.4) reads. It returns how many moved.
func (e *Engine) SpoolDue(ctx context.Context) int {
	end := e.cfg.Now().Truncate(time.Minute).Add(time.Minute - time.Microsecond)
	due, err := e.cfg.Store.SpoolDueSMS(ctx, end)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("sms: scheduler run failed", "err", err)
		}
		return 0
	}
	for _, d := range due {
		e.log.Info("sms: scheduled message spooled", "scheduled", d.ID, "id", d.SpooledID, "calldate", d.CallDate, "campaign", d.Campaign)
	}
	if len(due) > 0 {
		e.poke()
	}
	return len(due)
}
