package dialer

import (
	"math"
	"time"
)

// Prior is what the predictive pacer assumes of a campaign before its own
// calls teach it otherwise; it weighs as Weight calls.
type Prior struct {
	// LiveRate and MachineRate are the shares of dialled calls answered by
	// a person and by an answering machine (defaults 0.3 and 0.1; a
	// negative MachineRate for none).
	LiveRate, MachineRate float64
	// AnswerMean is the mean time to answer (default 8 s), exponential and
	// cut at RingTimeout (default 20 s), when unanswered calls end.
	AnswerMean, RingTimeout time.Duration
	// Talk and Wrapup are the mean talk and wrap-up times (defaults 120 s, 15 s).
	Talk, Wrapup time.Duration
	// Weight is how many calls the prior counts as (default 30).
	Weight float64
}

func (p Prior) withDefaults() Prior {
	if !(p.LiveRate > 0 && p.LiveRate <= 1) {
		p.LiveRate = 0.3
	}
	switch {
	case p.MachineRate < 0:
		p.MachineRate = 0
	case !(p.MachineRate > 0):
		p.MachineRate = 0.1
	}
	p.MachineRate = math.Min(p.MachineRate, 1-p.LiveRate)
	if p.AnswerMean <= 0 {
		p.AnswerMean = 8 * time.Second
	}
	if p.RingTimeout <= 0 {
		p.RingTimeout = 20 * time.Second
	}
	if p.Talk <= 0 {
		p.Talk = 120 * time.Second
	}
	if p.Wrapup <= 0 {
		p.Wrapup = 15 * time.Second
	}
	if !(p.Weight > 0) {
		p.Weight = 30
	}
	return p
}

// Histogram sizes: seconds from dial to answer or failure, and wrap-up seconds.
const (
	dialBins = 121
	wrapBins = 601
)

// hist is an exponentially weighted histogram of durations in 1-second
// bins; the last bin holds everything longer.
type hist struct {
	w     []float64
	total float64
}

func newHist(n int) hist { return hist{w: make([]float64, n)} }

// add weighs a duration of d seconds in, first fading the past by decay.
func (h *hist) add(d float64, decay float64) {
	for i := range h.w {
		h.w[i] *= decay
	}
	h.total = h.total*decay + 1
	h.w[clampBin(d, len(h.w))]++
}

func clampBin(d float64, n int) int {
	b := int(math.Floor(d))
	if b < 0 {
		return 0
	}
	if b >= n {
		return n - 1
	}
	return b
}

// cum returns the cumulative sums: c[i] is the weight of bins below i.
func (h *hist) cum(c []float64) []float64 {
	c = append(c[:0], 0)
	s := 0.0
	for _, w := range h.w {
		s += w
		c = append(c, s)
	}
	return c
}

// estimator learns a campaign's call outcomes and agent times.
type estimator struct {
	decay float64
	// seconds from dial to resolution (answer or failure), split by outcome
	live, other hist
	// wrap-up seconds
	wrap hist
	// mean talk seconds, exponentially weighted
	talk, talkW float64

	// tables, rebuilt by refresh
	liveProb [][]float64 // [age][checkpoint]: P(live answer within t | unresolved at age)
	newLive  []float64   // liveProb[0]
	wrapDone [][]float64 // [elapsed][t]: P(wrap-up over within t | going on at elapsed)
	talkFree []float64   // [t]: P(a talking agent is free within t)
	cLive    []float64
	cRes     []float64
	cWrap    []float64
}

// newEstimator seeds an estimator with the prior; memory is in calls.
func newEstimator(p Prior, memory float64) *estimator {
	e := &estimator{
		decay: 1 - 1/memory,
		live:  newHist(dialBins),
		other: newHist(dialBins),
		wrap:  newHist(wrapBins),
	}
	m, T := p.AnswerMean.Seconds(), p.RingTimeout.Seconds()
	answered := p.LiveRate + p.MachineRate
	// answers: exponential cut at T, mass per bin in proportion
	norm := 1 - math.Exp(-T/m)
	for b := 0; b < dialBins && float64(b) < T; b++ {
		hi := math.Min(float64(b+1), T)
		f := (math.Exp(-float64(b)/m) - math.Exp(-hi/m)) / norm
		e.live.w[b] += p.Weight * p.LiveRate * f
		e.other.w[b] += p.Weight * p.MachineRate * f
	}
	e.other.w[clampBin(T, dialBins)] += p.Weight * (1 - answered)
	e.live.total, e.other.total = p.Weight*p.LiveRate, p.Weight*(1-p.LiveRate)
	e.wrap.w[clampBin(p.Wrapup.Seconds(), wrapBins)] = p.Weight
	e.wrap.total = p.Weight
	e.talk, e.talkW = p.Talk.Seconds(), p.Weight
	return e
}

// observeDial learns one call's resolution: live, or machine/failure, after
// d seconds. Both histograms fade together so they stay comparable.
func (e *estimator) observeDial(live bool, d float64) {
	for i := range e.live.w {
		e.live.w[i] *= e.decay
		e.other.w[i] *= e.decay
	}
	e.live.total *= e.decay
	e.other.total *= e.decay
	b := clampBin(d, dialBins)
	if live {
		e.live.w[b]++
		e.live.total++
	} else {
		e.other.w[b]++
		e.other.total++
	}
}

func (e *estimator) observeTalk(sec float64) {
	e.talkW = e.talkW*e.decay + 1
	e.talk += (sec - e.talk) / e.talkW
}

func (e *estimator) observeWrap(sec float64) { e.wrap.add(sec, e.decay) }

// refresh rebuilds the probability tables for checkpoints ts (seconds) and
// supply times 0..maxT.
func (e *estimator) refresh(ts []int, maxT int) {
	e.cLive = e.live.cum(e.cLive)
	cOther := e.other.cum(nil)
	e.cRes = e.cRes[:0]
	for i := range e.cLive {
		e.cRes = append(e.cRes, e.cLive[i]+cOther[i])
	}
	total := e.live.total + e.other.total
	at := func(c []float64, x int) float64 {
		if x >= len(c) {
			x = len(c) - 1
		}
		return c[x]
	}
	if len(e.liveProb) != dialBins {
		e.liveProb = make([][]float64, dialBins)
	}
	for a := 0; a < dialBins; a++ {
		row := e.liveProb[a][:0]
		unresolved := total - e.cRes[a]
		for _, t := range ts {
			p := 0.0
			if unresolved > 1e-9 {
				p = (at(e.cLive, a+t) - e.cLive[a]) / unresolved
			}
			row = append(row, clamp01(p))
		}
		e.liveProb[a] = row
	}
	e.newLive = e.liveProb[0]

	e.cWrap = e.wrap.cum(e.cWrap)
	wt := e.wrap.total
	meanWrap := 0.0
	last := 0 // highest bin with weight
	for b, w := range e.wrap.w {
		meanWrap += (float64(b) + 0.5) * w
		if w > 1e-9*wt {
			last = b
		}
	}
	if wt > 0 {
		meanWrap /= wt
	}
	// Wrap-ups are measured, and their elapsed times tracked, in whole
	// seconds between Lines calls; an agent el seconds in has really been
	// in about el+0.5 s, so it is done within t if its wrap-up is at most
	// el+t (bins up to el+t) and still going if it is over el (bins from
	// el+1). Rows go up to the longest wrap-up seen; beyond it, one
	// "overdue" row: assume it ends like an average one from now.
	e.wrapDone = e.wrapDone[:0]
	for el := 0; el <= last+1; el++ {
		row := make([]float64, 0, maxT+1)
		left := wt - at(e.cWrap, el+1)
		for t := 0; t <= maxT; t++ {
			var p float64
			if left > 1e-9*wt && wt > 0 {
				p = (at(e.cWrap, el+t+1) - at(e.cWrap, el+1)) / left
			} else {
				p = float64(t) / (float64(t) + meanWrap + 1)
			}
			row = append(row, clamp01(p))
		}
		e.wrapDone = append(e.wrapDone, row)
	}

	// a talking agent: the talk ends at rate 1/talk (on average over the
	// agents talking, the ending rate is talking/mean talk), then a wrap-up.
	mu := math.Max(e.talk, 1)
	ex := make([]float64, maxT+1)
	for j := range ex {
		ex[j] = math.Exp(-float64(j) / mu)
	}
	e.talkFree = e.talkFree[:0]
	for t := 0; t <= maxT; t++ {
		p := 0.0
		for j := 0; j < t && wt > 0; j++ {
			p += (ex[j] - ex[j+1]) * at(e.cWrap, t-j) / wt // talk over in [j, j+1), wrap-up ≤ t−j−1
		}
		e.talkFree = append(e.talkFree, p)
	}
}

func clamp01(p float64) float64 {
	if p < 0 {
		return 0
	}
	if p > 1 {
		return 1
	}
	return p
}

// wrapRowIndex is the wrapDone row for an agent el seconds into wrap-up.
func (e *estimator) wrapRowIndex(el float64) int { return clampBin(el, len(e.wrapDone)) }

// wrapRow is, for t = 0..maxT seconds, P(an agent el seconds into wrap-up
// is free within t).
func (e *estimator) wrapRow(el float64) []float64 { return e.wrapDone[e.wrapRowIndex(el)] }

// posPart is E[max(X,0)] for X normal with mean mu and variance v.
func posPart(mu, v float64) float64 {
	if v <= 1e-12 {
		return math.Max(mu, 0)
	}
	s := math.Sqrt(v)
	z := mu / s
	if z < -8 {
		return 0 // under 1e-16 of s
	}
	cdf := 0.5 * math.Erfc(-z/math.Sqrt2)
	pdf := math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi)
	return mu*cdf + s*pdf
}
