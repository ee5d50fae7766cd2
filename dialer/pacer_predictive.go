package dialer

import (
	"math"
	"sort"
	"time"
)

// PredictiveConfig configures Centralita's predictive pacer.
type PredictiveConfig struct {
	// AbandonLimitPct is the campaign's limit, percent of live answers over
	// 30 days and over 24 hours (default 3).
	AbandonLimitPct float64
	// TargetPct is the abandon rate the pacer steers both windows to
	// (default, and when not above 0 and at most the limit, 0.85 × the limit).
	TargetPct float64
	// BackoffPct: at or above it, over 24 hours or 30 days, the pacer dials
	// progressive (default 0.95 × the limit).
	BackoffPct float64
	// MarginalPct is the highest abandon probability one more line may add
	// per live answer it brings (default 25).
	MarginalPct float64
	// Payback is over how many live answers the pacer makes up the gap
	// between a window's rate and TargetPct (default 200).
	Payback float64
	// MinAnswers is how many live answers the 24-hour window needs before
	// the pacer dials more than progressive (default 200: then one abandon
	// moves its rate by half a point at most).
	MinAnswers int
	// Confidence (z, default 1.5; negative for none) lowers the target of
	// a window with few answers, where chance alone moves the rate: a
	// window of A answers aims at min(TargetPct, limit − z·√(limit/A)).
	Confidence float64
	// Patience is how long a live answer may wait for an agent (default 2 s).
	Patience time.Duration
	// Horizon is how far ahead answers and free agents are projected
	// (default 24 s, past the ring timeout).
	Horizon time.Duration
	// MaxRatio caps the calls in flight per agent not paused (default 10).
	MaxRatio float64
	// Memory is how many recent calls the estimates mostly weigh (default 2000).
	Memory float64
	// Prior is assumed before the campaign's own calls teach otherwise.
	Prior Prior
}

func (c PredictiveConfig) withDefaults() PredictiveConfig {
	if !(c.AbandonLimitPct > 0 && c.AbandonLimitPct <= 100) {
		c.AbandonLimitPct = 3
	}
	if !(c.TargetPct > 0 && c.TargetPct <= c.AbandonLimitPct) {
		c.TargetPct = 0.85 * c.AbandonLimitPct
	}
	if !(c.BackoffPct > 0 && c.BackoffPct <= c.AbandonLimitPct) {
		c.BackoffPct = 0.95 * c.AbandonLimitPct
	}
	if !(c.MarginalPct > 0 && c.MarginalPct <= 100) {
		c.MarginalPct = 25
	}
	if !(c.Payback >= 1) {
		c.Payback = 200
	}
	if c.MinAnswers <= 0 {
		c.MinAnswers = 200
	}
	switch {
	case c.Confidence < 0:
		c.Confidence = 0
	case !(c.Confidence > 0):
		c.Confidence = 1.5
	}
	if c.Patience <= 0 {
		c.Patience = 2 * time.Second
	}
	if c.Horizon < 2*time.Second {
		c.Horizon = 24 * time.Second
	}
	if !(c.MaxRatio >= 1) {
		c.MaxRatio = 10
	}
	if !(c.Memory >= 10) {
		c.Memory = 2000
	}
	c.Prior = c.Prior.withDefaults()
	return c
}

// predictive is Centralita's predictive pacer; see NewPredictive.
type predictive struct {
	cfg     PredictiveConfig
	est     *estimator
	tracker *AbandonTracker
	ledger  callLedger

	ts       []int // checkpoints, seconds ahead
	patience int   // seconds
	maxT     int   // last supply second
	dirty    int   // observations since the tables were rebuilt
	built    time.Time

	dials    []int64 // dial instants of the calls believed to be ringing, ascending
	wraps    []int64 // wrap-up starts of the agents believed in wrap-up, ascending (0 = unknown)
	lastTick time.Time

	// scratch, per Lines
	meanA, varA, meanS, varS []float64
	ratio                    float64
	allowed                  float64 // abandon rate the horizon may run at now
	memo                     map[int]float64
}

// NewPredictive returns Centralita's predictive pacer. It learns from the
// campaign's results, exponentially weighted with cfg.Prior as a start: the
// distribution of seconds from dial to a live answer and to any other end
// (which gives the answer rate, the time to answer and the ring timeout),
// the mean talk time and, from the engine's wrap-up counts, the wrap-up
// distribution. Each second it projects, at checkpoints t up to Horizon,
// the live answers A(t) of the calls ringing (each by its age), of the
// calls waiting and of n new calls, and the agents S(t) free by then (free
// now, in wrap-up by its elapsed time, talking at rate 1/mean talk and then
// a wrap-up), as normal variables. A live answer at t finds no agent when
// A(t) > S(t+Patience), so the expected abandons of the horizon are
// EL(n) = max over t of E[(A(t) − S(t+Patience))⁺].
//
// It dials the largest n, never fewer than progressive, such that
// EL(n) ≤ r·EA(n), EA(n) being the horizon's expected live answers, and
// the n-th line adds at most MarginalPct abandons per live answer it
// brings. The allowed rate r is what brings each window (24 hours, 30
// days) to its target over the next Payback answers: (target·(A+Payback) −
// abandons)/Payback, the smaller of the two, where a window of A answers
// aims at min(TargetPct, limit − Confidence·√(limit/A)). It dials
// progressive while the 24-hour window has fewer than MinAnswers answers,
// when r ≤ 0, and when either window's actual rate reaches BackoffPct; and
// nothing when no agent is logged in or none is unpaused.
func NewPredictive(cfg PredictiveConfig) Pacer {
	cfg = cfg.withDefaults()
	p := &predictive{
		cfg:      cfg,
		est:      newEstimator(cfg.Prior, cfg.Memory),
		tracker:  NewAbandonTracker(),
		ledger:   newCallLedger(),
		patience: int(math.Ceil(cfg.Patience.Seconds())),
		ratio:    1,
		memo:     map[int]float64{},
	}
	h := int(math.Ceil(cfg.Horizon.Seconds()))
	for _, t := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 24, 30, 40, 50, 60} {
		if t < h {
			p.ts = append(p.ts, t)
		}
	}
	p.ts = append(p.ts, h)
	p.maxT = h + p.patience
	p.est.refresh(p.ts, p.maxT)
	return &lockedPacer{p: p}
}

func (p *predictive) Ratio() float64 { return p.ratio }

// Observe learns from r and counts it in the abandon windows.
func (p *predictive) Observe(r CallResult) {
	p.tracker.Observe(r)
	if r.Live && !r.End.IsZero() && !r.ConnectedAt.IsZero() && r.Talk > 0 {
		p.est.observeTalk(r.Talk.Seconds())
		p.dirty++
	}
	if !p.ledger.first(r) {
		return
	}
	resolved := r.End
	if (r.Live || r.Machine) && !r.AnsweredAt.IsZero() {
		resolved = r.AnsweredAt
	}
	if resolved.IsZero() || r.DialedAt.IsZero() {
		return
	}
	p.est.observeDial(r.Live, resolved.Sub(r.DialedAt).Seconds())
	p.dirty++
	p.forgetDial(r.DialedAt.UnixNano())
}

// forgetDial drops the ringing call dialled closest to at.
func (p *predictive) forgetDial(at int64) {
	if len(p.dials) == 0 {
		return
	}
	i := sort.Search(len(p.dials), func(i int) bool { return p.dials[i] >= at })
	if i == len(p.dials) || (i > 0 && at-p.dials[i-1] < p.dials[i]-at) {
		i--
	}
	p.dials = append(p.dials[:i], p.dials[i+1:]...)
}

// track reconciles the ringing calls and wrap-ups with the engine's counts.
func (p *predictive) track(in PacingInput) {
	now := in.Now.UnixNano()
	continuous := !p.lastTick.IsZero() && in.Now.Sub(p.lastTick) <= 5*time.Second && !in.Now.Before(p.lastTick)
	p.lastTick = in.Now
	if d := len(p.dials) - in.Dialing; d > 0 {
		p.dials = append(p.dials[:0], p.dials[d:]...) // the oldest are likeliest gone
	}
	for len(p.dials) < in.Dialing {
		p.dials = append(p.dials, now) // unknown: as new, the likeliest to answer
	}
	for len(p.wraps) > in.Wrapup {
		if start := p.wraps[0]; continuous && start != 0 {
			p.est.observeWrap(float64(now-start) / 1e9)
			p.dirty++
		}
		p.wraps = p.wraps[1:]
	}
	for len(p.wraps) < in.Wrapup {
		start := now
		if !continuous {
			start = 0
		}
		p.wraps = append(p.wraps, start)
	}
}

func (p *predictive) Lines(in PacingInput) int {
	p.track(in)
	floor := progressiveLines(in)
	active := in.Free + in.Talking + in.Wrapup
	if in.Logged <= 0 || active <= 0 {
		p.ratio = 1
		return 0
	}
	day, month := p.tracker.Day(in.Now), p.tracker.Month(in.Now)
	p.allowed = min(p.allowedRate(day), p.allowedRate(month))
	if day.Pct() >= p.cfg.BackoffPct || month.Pct() >= p.cfg.BackoffPct ||
		day.Answers < p.cfg.MinAnswers || p.allowed <= 0 {
		p.ratio = 1
		return floor
	}
	if p.dirty >= 200 || in.Now.Sub(p.built) >= 15*time.Second || in.Now.Before(p.built) {
		p.est.refresh(p.ts, p.maxT)
		p.dirty, p.built = 0, in.Now
	}
	p.project(in)
	nmax := int(p.cfg.MaxRatio*float64(active)) - inFlight(in)
	nmax = capLines(in, nmax)
	if nmax <= floor {
		p.setRatio(in, floor)
		return floor
	}
	// the largest acceptable n: galloping up from floor, then bisecting
	clear(p.memo)
	if !p.acceptable(floor + 1) {
		p.setRatio(in, floor)
		return floor
	}
	lo, step := floor+1, 1
	hi := nmax
	for lo < nmax {
		next := min(lo+step, nmax)
		if !p.acceptable(next) {
			hi = next - 1
			break
		}
		lo, step = next, step*2
	}
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if p.acceptable(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	p.setRatio(in, lo)
	return lo
}

// setRatio records the calls in flight per agent expected free within the horizon.
func (p *predictive) setRatio(in PacingInput, n int) {
	agents := math.Max(1, p.meanS[len(p.meanS)-1])
	p.ratio = float64(inFlight(in)+n) / agents
}

// project fills the means and variances of the live answers from the calls
// in flight (per checkpoint) and of the free agents (per second).
func (p *predictive) project(in PacingInput) {
	nk := len(p.ts)
	p.meanA, p.varA = resize(p.meanA, nk), resize(p.varA, nk)
	now := in.Now.UnixNano()
	for k := range p.ts {
		p.meanA[k] = float64(in.Waiting)
	}
	// calls dialled in the same second share their probabilities
	for i := 0; i < len(p.dials); {
		age := float64(now-p.dials[i]) / 1e9
		bin := clampBin(age, dialBins)
		j := i + 1
		for j < len(p.dials) && clampBin(float64(now-p.dials[j])/1e9, dialBins) == bin {
			j++
		}
		c := float64(j - i)
		row := p.est.liveProb[bin]
		for k, g := range row {
			p.meanA[k] += c * g
			p.varA[k] += c * g * (1 - g)
		}
		i = j
	}
	p.meanS, p.varS = resize(p.meanS, p.maxT+1), resize(p.varS, p.maxT+1)
	for t := 0; t <= p.maxT; t++ {
		f := p.est.talkFree[t]
		p.meanS[t] = float64(in.Free) + float64(in.Talking)*f
		p.varS[t] = float64(in.Talking) * f * (1 - f)
	}
	for i := 0; i < len(p.wraps); {
		row := p.est.wrapRow(p.wrapElapsed(now, i))
		j := i + 1
		for j < len(p.wraps) && p.est.wrapRowIndex(p.wrapElapsed(now, j)) == p.est.wrapRowIndex(p.wrapElapsed(now, i)) {
			j++
		}
		c := float64(j - i)
		for t, f := range row {
			p.meanS[t] += c * f
			p.varS[t] += c * f * (1 - f)
		}
		i = j
	}
}

// wrapElapsed is how long the i-th agent in wrap-up has been in it (0 when unknown).
func (p *predictive) wrapElapsed(now int64, i int) float64 {
	if p.wraps[i] == 0 {
		return 0
	}
	return float64(now-p.wraps[i]) / 1e9
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// expectedAbandons is EL(n): the largest expected deficit of agents over
// the checkpoints, with n new lines (memoized for one Lines call).
func (p *predictive) expectedAbandons(n int) float64 {
	if v, ok := p.memo[n]; ok {
		return v
	}
	el := 0.0
	nf := float64(n)
	for k, t := range p.ts {
		q := p.est.newLive[k]
		s := t + p.patience
		mu := p.meanA[k] + nf*q - p.meanS[s]
		v := p.varA[k] + nf*q*(1-q) + p.varS[s]
		if a := posPart(mu, v); a > el {
			el = a
		}
	}
	p.memo[n] = el
	return el
}

// allowedRate is the abandon rate the horizon may run at so that window w
// reaches TargetPct over the next Payback answers: above the target when w
// is under it, below when over.
func (p *predictive) allowedRate(w AbandonStats) float64 {
	k, a := p.cfg.Payback, float64(max(w.Answers, 1))
	limit := p.cfg.AbandonLimitPct / 100
	target := min(p.cfg.TargetPct/100, limit-p.cfg.Confidence*math.Sqrt(limit/a))
	return (target*(a+k) - float64(w.Abandons)) / k
}

// acceptable reports whether n new lines keep the marginal abandon risk
// and the horizon's projected rate EL(n)/EA(n) within bounds.
func (p *predictive) acceptable(n int) bool {
	el := p.expectedAbandons(n)
	qH := p.est.newLive[len(p.ts)-1]
	if qH <= 0 {
		return false
	}
	if el-p.expectedAbandons(n-1) > p.cfg.MarginalPct/100*qH {
		return false
	}
	answers := p.meanA[len(p.ts)-1] + float64(n)*qH
	return el <= p.allowed*answers
}
