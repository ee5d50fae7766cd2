package crm

import (
	"sync"
	"time"
)

// outcome is what an attempt means for the breaker.
type outcome int

const (
	success outcome = iota
	failure
	neutral // the caller went away: says nothing about the CRM
)

// breaker is the circuit breaker of one target URL: closed until failures
// consecutive failed attempts, then open (calls fail fast) for cooldown,
// then half-open: one trial attempt closes it on success or opens it again.
type breaker struct {
	failures int
	cooldown time.Duration

	mu       sync.Mutex
	failed   int       // consecutive failures while closed
	open     bool      // open or half-open
	openedAt time.Time // when it last opened
	trial    bool      // the half-open trial is in flight
}

// allow reports whether an attempt may go out now; in half-open state it
// lets exactly one through until that one is done.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true
	}
	if b.trial || now.Sub(b.openedAt) < b.cooldown {
		return false
	}
	b.trial = true
	return true
}

// done takes the outcome of an attempt that allow let through.
func (b *breaker) done(o outcome, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch o {
	case success:
		b.failed, b.open, b.trial = 0, false, false
	case failure:
		if b.open {
			if b.trial { // the trial failed: a new cooldown
				b.trial, b.openedAt = false, now
			}
			return
		}
		b.failed++
		if b.failed >= b.failures {
			b.failed, b.open, b.openedAt = 0, true, now
		}
	case neutral:
		b.trial = false // the next caller may try
	}
}
