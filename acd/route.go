package acd

import (
	"math/rand/v2"
	"time"

	"github.com/centralita/centralita"
)

// candidate is an available member of a queue as the router sees it.
type candidate struct {
	// index is the member's place in membership order (Position, then agent number).
	index   int
	penalty int
	// calls is how many calls of this queue the agent took today (fewestcalls).
	calls int
	// lastCall is when the agent's last call of this queue ended (leastrecent); zero when none today.
	lastCall time.Time
}

// route picks whom to ring among cands (available members in membership
// order) the way Asterisk's app_queue does, appending their indexes in cands
// to out:
//
//   - Every strategy but wrandom considers only the lowest penalty among
//     the candidates (app_queue adds penalty×1,000,000 to the metric).
//   - ringall: every candidate at that penalty.
//   - linear: the first in membership order; the caller excludes the
//     agents already rung for the call, so a call walks down the list and a
//     new call starts again from the top.
//   - rrmemory: the first after last (the membership index rung last),
//     wrapping around.
//   - leastrecent: the one whose last call of this queue ended longest ago
//     (never is oldest); ties go to membership order.
//   - fewestcalls: the one with the fewest calls of this queue today; ties
//     go to membership order.
//   - random: uniformly at random.
//   - wrandom: the lowest of random(0, (1+penalty)×1000) over all
//     candidates, so a lower penalty is more likely but any can win.
func route(s centralita.Strategy, cands []candidate, last int, rnd *rand.Rand, out []int) []int {
	if len(cands) == 0 {
		return out
	}
	if s == centralita.StrategyWRandom {
		best, bestMetric := 0, -1
		for i, c := range cands {
			if m := rnd.IntN((1 + max(c.penalty, 0)) * 1000); bestMetric < 0 || m < bestMetric {
				best, bestMetric = i, m
			}
		}
		return append(out, best)
	}
	low := cands[0].penalty
	for _, c := range cands[1:] {
		low = min(low, c.penalty)
	}
	best := -1
	switch s {
	case centralita.StrategyRingAll:
		for i, c := range cands {
			if c.penalty == low {
				out = append(out, i)
			}
		}
		return out
	case centralita.StrategyRRMemory:
		first := -1
		for i, c := range cands {
			if c.penalty != low {
				continue
			}
			if first < 0 {
				first = i
			}
			if c.index > last {
				best = i
				break
			}
		}
		if best < 0 {
			best = first
		}
	case centralita.StrategyLeastRecent:
		for i, c := range cands {
			if c.penalty == low && (best < 0 || c.lastCall.Before(cands[best].lastCall)) {
				best = i
			}
		}
	case centralita.StrategyFewestCalls:
		for i, c := range cands {
			if c.penalty == low && (best < 0 || c.calls < cands[best].calls) {
				best = i
			}
		}
	case centralita.StrategyRandom:
		n := 0
		for _, c := range cands {
			if c.penalty == low {
				n++
			}
		}
		k := rnd.IntN(n)
		for i, c := range cands {
			if c.penalty == low {
				if k == 0 {
					best = i
					break
				}
				k--
			}
		}
	default: // linear
		for i, c := range cands {
			if c.penalty == low {
				best = i
				break
			}
		}
	}
	return append(out, best)
}

// admitted says which penalties may be rung for a call that has waited
// wait, in a queue whose PenaltyStepSec is step > 0: levels are the
// distinct penalties of the members available now, ascending; the lowest
// is admitted at once, the next after one step, the one after that after
// two, and so on. limited reports whether some level is still shut: then
// top is the highest penalty admitted and opensIn is how long until the
// next level is.
func admitted(levels []int, wait time.Duration, step int) (top int, limited bool, opensIn time.Duration) {
	if step <= 0 || len(levels) == 0 {
		return 0, false, 0
	}
	d := time.Duration(step) * time.Second
	k := max(int(wait/d), 0) // steps waited: levels[0..k] are admitted
	if k >= len(levels)-1 {
		return levels[len(levels)-1], false, 0
	}
	return levels[k], true, time.Duration(k+1)*d - wait
}
