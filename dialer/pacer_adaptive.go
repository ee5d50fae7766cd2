package dialer

import (
	"math"
	"time"
)

// AdaptiveConfig configures the adaptive-ratio pacer.
type AdaptiveConfig struct {
	// AbandonLimitPct is the day's drop limit, percent of live answers
	// (default 3): above it, with more than 50 calls today, the level is 1.
	AbandonLimitPct float64
	// MaxLevel caps the dial level (default 3); the floor is 1.
	MaxLevel float64
	// Interval is how often the level is recomputed (default 15 s).
	Interval time.Duration
	// Samples is how many of the last Lines calls (one a second) the idle
	// agents and waiting calls are averaged over (default 15).
	Samples int
	// InitialLevel is the level before the first adjustment (default 1).
	InitialLevel float64
}

func (c AdaptiveConfig) withDefaults() AdaptiveConfig {
	if !(c.AbandonLimitPct > 0) {
		c.AbandonLimitPct = 3
	}
	if !(c.MaxLevel >= 1) {
		c.MaxLevel = 3
	}
	if c.Interval <= 0 {
		c.Interval = 15 * time.Second
	}
	if c.Samples <= 0 {
		c.Samples = 15
	}
	if !(c.InitialLevel >= 1) {
		c.InitialLevel = 1
	}
	return c
}

// adaptive is VICIdial's ADAPT_HARD_LIMIT dial method as published in its
// AST_VDadapt.pl, with the dial level applied as AST_VDauto_dial.pl does
// with "available only tally" off.
type adaptive struct {
	cfg   AdaptiveConfig
	level float64

	// last Samples readings of free agents, waiting calls, logged agents
	ready, waiting, logged []int
	next                   int
	filled                 int
	lastAdjust             time.Time

	ledger callLedger
	// calls and drops of the last 60 seconds, per second
	minute [60]struct {
		sec          int64
		calls, drops int
	}
	// today's calls, live answers and drops; dayKey is the calendar day
	dayKey                         int
	callsDay, answersDay, dropsDay int
}

// NewAdaptive returns the adaptive-ratio pacer after VICIdial's ADAPT
// method (ADAPT_HARD_LIMIT, intensity 0). Every Interval:
//
//	target = average free agents − average waiting calls (last Samples)
//	level  = level × (1 + target / average logged agents), clamped to 1..MaxLevel
//	level /= 2 when the last minute had more than 20 calls and over 50% dropped
//	level  = 1 when today had more than 50 calls and drops/answers > limit
//
// and it keeps round(level × (free + talking agents)) calls in flight or
// talking: lines = that − (dialing + waiting + talking). Agents in wrap-up
// are not counted (VICIdial's agents are PAUSED in disposition), so level 1
// is exactly progressive.
func NewAdaptive(cfg AdaptiveConfig) Pacer {
	cfg = cfg.withDefaults()
	return &lockedPacer{p: &adaptive{
		cfg:     cfg,
		level:   math.Min(cfg.InitialLevel, cfg.MaxLevel),
		ready:   make([]int, cfg.Samples),
		waiting: make([]int, cfg.Samples),
		logged:  make([]int, cfg.Samples),
		ledger:  newCallLedger(),
		dayKey:  -1,
	}}
}

func (a *adaptive) Ratio() float64 { return a.level }

func (a *adaptive) Lines(in PacingInput) int {
	a.ready[a.next], a.waiting[a.next], a.logged[a.next] = in.Free, in.Waiting, in.Logged
	a.next = (a.next + 1) % len(a.ready)
	if a.filled < len(a.ready) {
		a.filled++
	}
	if a.lastAdjust.IsZero() {
		a.lastAdjust = in.Now
	} else if in.Now.Sub(a.lastAdjust) >= a.cfg.Interval {
		a.adjust(in.Now)
		a.lastAdjust = in.Now
	}
	goal := int(math.Round(a.level * float64(in.Free+in.Talking)))
	return capLines(in, goal-inFlight(in)-in.Talking)
}

// adjust recomputes the level.
func (a *adaptive) adjust(now time.Time) {
	var ready, waiting, logged float64
	for i := 0; i < a.filled; i++ {
		ready += float64(a.ready[i])
		waiting += float64(a.waiting[i])
		logged += float64(a.logged[i])
	}
	n := float64(a.filled)
	ready, waiting, logged = ready/n, waiting/n, logged/n
	if logged <= 0 {
		return // VICIdial leaves the level alone without agents
	}
	level := a.level * (1 + (ready-waiting)/logged)
	level = math.Max(1, math.Min(level, a.cfg.MaxLevel))
	calls, drops := a.lastMinute(now)
	if calls > 20 && float64(drops) > 0.5*float64(calls) {
		level /= 2
	}
	a.inDay(now)
	answers := max(a.answersDay, 1)
	if a.callsDay > 50 && 100*float64(a.dropsDay)/float64(answers) > a.cfg.AbandonLimitPct {
		level = 1
	}
	a.level = math.Max(level, 1)
}

// lastMinute sums the calls and drops of the 60 seconds ending at now.
func (a *adaptive) lastMinute(now time.Time) (calls, drops int) {
	sec := now.Unix()
	for _, s := range a.minute {
		if s.sec > sec-60 && s.sec <= sec {
			calls += s.calls
			drops += s.drops
		}
	}
	return calls, drops
}

// inDay starts a new day's counts when t is on a later calendar day, and
// reports whether t is on the current day.
func (a *adaptive) inDay(t time.Time) bool {
	y, m, d := t.Date()
	key := (y*100+int(m))*100 + d
	if key > a.dayKey {
		a.dayKey = key
		a.callsDay, a.answersDay, a.dropsDay = 0, 0, 0
	}
	return key == a.dayKey
}

// Observe counts each call once, at its first observation, in the minute
// and the day of that observation.
func (a *adaptive) Observe(r CallResult) {
	if !a.ledger.first(r) {
		return
	}
	at := r.End
	if at.IsZero() {
		at = r.AnsweredAt
	}
	if at.IsZero() {
		at = r.DialedAt
	}
	sec := at.Unix()
	s := &a.minute[mod(sec, 60)]
	if s.sec < sec {
		s.sec, s.calls, s.drops = sec, 0, 0
	}
	if s.sec == sec {
		s.calls++
		if r.Abandoned {
			s.drops++
		}
	}
	if a.inDay(at) {
		a.callsDay++
		if r.Live {
			a.answersDay++
		}
		if r.Abandoned {
			a.dropsDay++
		}
	}
}
