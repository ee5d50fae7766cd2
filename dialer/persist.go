package dialer

import (
	"context"
	"errors"
	"time"

	"github.com/centralita/centralita"
)

// persist writes the call's attempt (and its contact when it changed) in
// the background; the lock is held. Writes are ordered by storeMu and each
// writes the state as it is when it runs, so a late write never puts back
// an older state.
func (e *Engine) persist(c *call) {
	if c.syncWrite {
		return
	}
	e.spawn(func() { e.writeCall(c) })
}

// writeCall writes a call, retrying with backoff until it lands or the
// engine closes (a restart then settles the attempt from the store).
func (e *Engine) writeCall(c *call) {
	delay := 100 * time.Millisecond
	for {
		e.storeMu.Lock()
		err := e.writeCallOnce(c)
		e.storeMu.Unlock()
		if err == nil || centralita.ErrorKind(err) == centralita.ENOTFOUND {
			return // saved, or its contact is gone
		}
		if e.runCtx.Err() != nil {
			e.log.Error("dialer: attempt not saved before shutdown; the next start settles it", "attempt", c.att.ID, "err", err)
			return
		}
		e.log.Warn("dialer: saving an attempt failed; retrying", "attempt", c.att.ID, "err", err)
		select {
		case <-time.After(delay):
		case <-e.runCtx.Done():
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// writeCallOnce writes the call's current state once; storeMu is held.
func (e *Engine) writeCallOnce(c *call) error {
	e.mu.Lock()
	att := c.att
	dirty, tr := c.dirty, c.transition
	var ct centralita.Contact
	if dirty {
		ct = *c.ct
	}
	c.dirty, c.transition = false, ""
	e.mu.Unlock()
	ctx, cancel := e.storeCtx()
	defer cancel()
	err := e.cfg.Contacts.UpdateAttempt(ctx, &att)
	if err == nil && dirty {
		err = e.cfg.Contacts.UpdateContact(ctx, &ct, tr)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	gone := centralita.ErrorKind(err) == centralita.ENOTFOUND
	switch {
	case gone || (err == nil && c.done && !c.dirty):
		if e.byCont[c.ct.ID] == c && c.done {
			delete(e.byCont, c.ct.ID)
		}
	case err != nil && dirty:
		c.dirty = true
		if c.transition == "" {
			c.transition = tr
		}
	}
	return err
}

// errUnchanged tells withContact that fn changed nothing: nothing is written.
var errUnchanged = errors.New("unchanged")

// withContact changes a contact with fn and writes it with the transition
// fn returns ("" for none). A contact with a call in progress is changed
// in the engine's copy too, so the call's end keeps the change; live is
// that call, nil when none.
func (e *Engine) withContact(ctx context.Context, id int64, fn func(ct *centralita.Contact, live *call) (string, error)) (*centralita.Contact, error) {
	e.storeMu.Lock()
	defer e.storeMu.Unlock()
	e.mu.Lock()
	// A finished call stays here until its last write lands, so that the
	// change is not overwritten by that write.
	if live := e.byCont[id]; live != nil {
		cp := *live.ct
		tr, err := fn(&cp, live)
		if err == errUnchanged {
			e.mu.Unlock()
			return &cp, nil
		}
		if err != nil {
			e.mu.Unlock()
			return nil, err
		}
		*live.ct = cp
		e.mu.Unlock()
		return &cp, e.cfg.Contacts.UpdateContact(ctx, &cp, tr)
	}
	e.mu.Unlock()
	ct, err := e.cfg.Contacts.FindContact(ctx, id)
	if err != nil {
		return nil, err
	}
	tr, err := fn(ct, nil)
	if err == errUnchanged {
		return ct, nil
	}
	if err != nil {
		return nil, err
	}
	return ct, e.cfg.Contacts.UpdateContact(ctx, ct, tr)
}

// release gives a claimed contact back without dialling it, due at next
// (nil keeps its due time); storeMu is held.
func (e *Engine) release(ctx context.Context, ct *centralita.Contact, next *time.Time) {
	ct.InFlight = false
	if next != nil {
		ct.NextAt = next
	}
	if err := e.cfg.Contacts.UpdateContact(ctx, ct, ""); err != nil {
		e.log.Warn("dialer: releasing a contact failed; the next start releases it", "contact", ct.ID, "err", err)
	}
}
