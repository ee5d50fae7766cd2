package dialer

import (
	"sync"
	"time"
)

// Abandon-rate windows: the US FTC/FCC rule's 30 days and Ofcom's 24 hours.
const (
	AbandonWindowDay   = 24 * time.Hour
	AbandonWindowMonth = 30 * 24 * time.Hour
)

// AbandonStats is the abandon rate over one window: abandoned live answers
// over live answers.
type AbandonStats struct {
	Answers, Abandons int
	// Rate is Abandons/Answers, 0 when there were no answers.
	Rate float64
}

// Pct is the rate in percent.
func (s AbandonStats) Pct() float64 { return 100 * s.Rate }

// bucket counts the live answers and abandons of one minute or one hour.
type bucket struct {
	slot              int64 // minute or hour index since the Unix epoch; -1 when empty
	answers, abandons int
}

// bucketRing is a rolling window of n buckets of one width with running sums.
type bucketRing struct {
	width             int64 // nanoseconds per bucket
	buckets           []bucket
	last              int64 // newest slot the ring has advanced to
	answers, abandons int
}

func newBucketRing(width time.Duration, n int) bucketRing {
	r := bucketRing{width: int64(width), buckets: make([]bucket, n), last: -1 << 62}
	for i := range r.buckets {
		r.buckets[i].slot = -1
	}
	return r
}

// slotOf is the bucket index of t.
func (r *bucketRing) slotOf(t int64) int64 {
	s := t / r.width
	if t < 0 && t%r.width != 0 {
		s--
	}
	return s
}

// advance moves the window's newest slot to slot, expiring older buckets.
func (r *bucketRing) advance(slot int64) {
	if slot <= r.last {
		return
	}
	n := int64(len(r.buckets))
	from := r.last + 1
	if slot-from >= n {
		from = slot - n + 1
	}
	for s := from; s <= slot; s++ {
		b := &r.buckets[mod(s, n)]
		if b.slot != -1 {
			r.answers -= b.answers
			r.abandons -= b.abandons
		}
		*b = bucket{slot: -1}
	}
	r.last = slot
}

// add counts one live answer at t (abandoned or not); answers older than
// the window are ignored.
func (r *bucketRing) add(t int64, abandoned bool) {
	slot := r.slotOf(t)
	r.advance(slot)
	n := int64(len(r.buckets))
	if slot <= r.last-n {
		return
	}
	b := &r.buckets[mod(slot, n)]
	if b.slot != slot {
		if b.slot != -1 {
			r.answers -= b.answers
			r.abandons -= b.abandons
		}
		*b = bucket{slot: slot}
	}
	b.answers++
	r.answers++
	if abandoned {
		b.abandons++
		r.abandons++
	}
}

// stats is the window ending at now.
func (r *bucketRing) stats(now int64) AbandonStats {
	r.advance(r.slotOf(now))
	s := AbandonStats{Answers: r.answers, Abandons: r.abandons}
	if s.Answers > 0 {
		s.Rate = float64(s.Abandons) / float64(s.Answers)
	}
	return s
}

func mod(a, n int64) int64 {
	m := a % n
	if m < 0 {
		m += n
	}
	return m
}

// AbandonTracker keeps a campaign's abandon rate over the rolling 24 hours
// (in minute buckets) and the rolling 30 days (in hour buckets), in fixed
// memory. Answers count at their AnsweredAt. It is safe for concurrent use.
type AbandonTracker struct {
	mu     sync.Mutex
	day    bucketRing
	month  bucketRing
	ledger callLedger
}

// NewAbandonTracker returns an empty tracker.
func NewAbandonTracker() *AbandonTracker {
	return &AbandonTracker{
		day:    newBucketRing(time.Minute, 24*60),
		month:  newBucketRing(time.Hour, 30*24),
		ledger: newCallLedger(),
	}
}

// Observe counts r if it is a live answer seen for the first time: a live
// call is counted at its End-zero observation, and its final observation is
// then not counted again. Answers older than a window do not count in it.
func (t *AbandonTracker) Observe(r CallResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ledger.first(r) || !r.Live {
		return
	}
	at := r.AnsweredAt
	if at.IsZero() {
		at = r.End
	}
	ns := at.UnixNano()
	t.day.add(ns, r.Abandoned)
	t.month.add(ns, r.Abandoned)
}

// Day is the abandon rate over the 24 hours ending at now (minute buckets).
func (t *AbandonTracker) Day(now time.Time) AbandonStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.day.stats(now.UnixNano())
}

// Month is the abandon rate over the 30 days ending at now (hour buckets).
func (t *AbandonTracker) Month(now time.Time) AbandonStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.month.stats(now.UnixNano())
}

// callKey identifies one call by its dial and answer instants.
type callKey struct{ dialed, answered int64 }

// callLedger tells the first observation of each call from the repeat: a
// live call is observed once with End zero (answer and connection known)
// and again when it is over. Pending entries are forgotten after a day.
type callLedger struct {
	pending map[callKey]int
	newest  int64 // newest End-zero observation's answer time
	swept   int64
}

func newCallLedger() callLedger { return callLedger{pending: map[callKey]int{}} }

// ledgerTTL is how long a live call may last between its two observations.
const ledgerTTL = int64(24 * time.Hour)

// first reports whether r is the first observation of its call.
func (l *callLedger) first(r CallResult) bool {
	if !r.Live {
		return true
	}
	k := callKey{r.DialedAt.UnixNano(), r.AnsweredAt.UnixNano()}
	if r.End.IsZero() {
		l.pending[k]++
		if k.answered > l.newest {
			l.newest = k.answered
		}
		if l.newest-l.swept > ledgerTTL {
			l.sweep()
		}
		return true
	}
	if n, ok := l.pending[k]; ok {
		if n <= 1 {
			delete(l.pending, k)
		} else {
			l.pending[k] = n - 1
		}
		return false
	}
	return true
}

// sweep forgets calls whose final observation never came.
func (l *callLedger) sweep() {
	for k := range l.pending {
		if l.newest-k.answered > ledgerTTL {
			delete(l.pending, k)
		}
	}
	l.swept = l.newest
}
