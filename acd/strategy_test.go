package acd_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// past is each agent's calls of queue sales earlier today, before the
// test's 08:00: how many, and how long ago the last one ended (0: none).
// 201 took calls until a minute ago, 202 none, 205 has been idle longest.
var past = map[string]struct {
	calls int
	ago   time.Duration
}{
	"201": {3, time.Minute},
	"202": {0, 0},
	"203": {5, time.Hour},
	"204": {1, 30 * time.Minute},
	"205": {2, 2 * time.Hour},
}

// history is past as COMPLETEAGENT rows before origin.
func history(origin time.Time) []centralita.QueueLogEntry {
	var rs []centralita.QueueLogEntry
	for num, p := range past {
		for k := range p.calls {
			at := origin.Add(-p.ago - time.Duration(p.calls-1-k)*time.Minute)
			rs = append(rs, centralita.QueueLogEntry{Time: at, CallID: fmt.Sprintf("h%s-%d", num, k), QueueName: "sales",
				Agent: centralita.AgentLogName(num), Event: centralita.QLCompleteAgent, Data1: "5", Data2: "60", Data3: "1"})
		}
	}
	return rs
}

// expected is who takes each of n calls, one at a time, under the
// deterministic strategies, worked out from past independently of the engine.
func expected(s centralita.Strategy, agents []string, n int) []string {
	calls, last := map[string]int{}, map[string]time.Duration{} // last: how recent (larger is later)
	for _, a := range agents {
		calls[a] = past[a].calls
		if p := past[a]; p.calls > 0 {
			last[a] = -p.ago
		} else {
			last[a] = -24 * time.Hour // never: oldest
		}
	}
	var out []string
	for i := range n {
		best := agents[0]
		switch s {
		case centralita.StrategyRRMemory:
			best = agents[i%len(agents)]
		case centralita.StrategyLeastRecent:
			for _, a := range agents {
				if last[a] < last[best] {
					best = a
				}
			}
		case centralita.StrategyFewestCalls:
			for _, a := range agents {
				if calls[a] < calls[best] {
					best = a
				}
			}
		}
		calls[best]++
		last[best] = time.Duration(i+1) * time.Hour
		out = append(out, best)
	}
	return out
}

// TestStrategiesDistribute puts 50 calls, one after the other, into a
// queue of 5 agents (201..205, membership in that order) on each strategy
// and checks who took each. The agents come with different histories of
// the day (past), so rrmemory, leastrecent and fewestcalls give different
// orders; one call at a time makes them deterministic (random ones use a
// seeded Rand and are checked by distribution).
func TestStrategiesDistribute(t *testing.T) {
	agents := []string{"201", "202", "203", "204", "205"}
	const n = 50
	for _, tc := range []struct {
		strategy  centralita.Strategy
		penalties []int
		check     func(t *testing.T, order []string, got map[string]int)
	}{
		{centralita.StrategyRingAll, nil, func(t *testing.T, order []string, got map[string]int) {
			// Everyone rings; 201 answers first (the others would ring past the 60 s timeout).
			require.Equal(t, map[string]int{"201": n}, got)
		}},
		{centralita.StrategyLinear, nil, func(t *testing.T, order []string, got map[string]int) {
			require.Equal(t, map[string]int{"201": n}, got, "linear starts from the top every time")
		}},
		{centralita.StrategyRRMemory, nil, func(t *testing.T, order []string, got map[string]int) {
			require.Equal(t, []string{"201", "202", "203", "204", "205", "201"}, order[:6], "in turn, whatever the history")
			require.Equal(t, expected(centralita.StrategyRRMemory, agents, n), order)
		}},
		{centralita.StrategyLeastRecent, nil, func(t *testing.T, order []string, got map[string]int) {
			require.Equal(t, []string{"202", "205", "203", "204", "201", "202"}, order[:6], "never called first, then idle longest")
			require.Equal(t, expected(centralita.StrategyLeastRecent, agents, n), order)
		}},
		{centralita.StrategyFewestCalls, nil, func(t *testing.T, order []string, got map[string]int) {
			require.Equal(t, []string{"202", "202", "204", "202", "204", "205", "201"}, order[:7], "fewest calls first, ties in membership order")
			require.Equal(t, expected(centralita.StrategyFewestCalls, agents, n), order)
			for _, a := range agents {
				require.InDelta(t, (n+11)/5, past[a].calls+got[a], 1, "calls even out: %v", got)
			}
		}},
		{centralita.StrategyRandom, nil, func(t *testing.T, order []string, got map[string]int) {
			for _, a := range agents {
				require.GreaterOrEqual(t, got[a], 4, "random spreads over every agent: %v", got)
				require.LessOrEqual(t, got[a], 18, "random spreads over every agent: %v", got)
			}
		}},
		{centralita.StrategyWRandom, []int{0, 1, 2, 3, 4}, func(t *testing.T, order []string, got map[string]int) {
			// Penalty 0 wins most often, penalty 4 least, but penalty is a weight, not a barrier.
			require.Greater(t, got["201"], got["203"], "%v", got)
			require.Greater(t, got["203"], got["205"], "%v", got)
			require.Greater(t, got["201"], 15, "%v", got)
			require.Greater(t, got["202"]+got["203"]+got["204"]+got["205"], 5, "%v", got)
		}},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			t.Parallel()
			h := newEnv(t, envConfig{
				queues:    []centralita.Queue{{Name: "sales", Strategy: tc.strategy, RingTimeoutSec: 60}},
				agents:    5,
				members:   map[string][]string{"sales": agents},
				penalties: map[string][]int{"sales": tc.penalties},
				login:     true,
				history:   history(newClock().origin),
			})
			before := h.queueStatus("sales")
			require.Equal(t, 11, before.Completed, "the history is counted")
			ringall := tc.strategy == centralita.StrategyRingAll
			if ringall {
				// 201 answers after 0.5 s, the others would after 90 s.
				for i := 1; i < 5; i++ {
					h.behave(strconv.Itoa(101+i), map[string]any{"ring_delay": "90s"})
				}
				h.behave("101", map[string]any{"ring_delay": "3s"}) // for the first call only
			}
			var order []string
			for i := range n {
				id := h.call(fmt.Sprintf("55501%02d", i), "sales")
				if ringall && i == 0 {
					require.Eventually(t, func() bool {
						n := 0
						for _, a := range h.snapshot().Agents {
							if a.Status == centralita.AgentRinging {
								n++
							}
						}
						return n == 5
					}, 5*time.Second, time.Millisecond, "ringall rings every agent at once")
					h.behave("101", map[string]any{"ring_delay": "500ms"})
				}
				order = append(order, h.waitConnected("sales", id))
				h.farHangup(id)
				h.waitRow(id, "COMPLETECALLER")
				h.waitQuiet()
			}
			got := map[string]int{}
			for _, a := range order {
				got[a]++
			}
			t.Logf("%s: %v", tc.strategy, got)
			tc.check(t, order, got)
			require.Equal(t, got, h.connectsByAgent("sales"))
			require.Empty(t, h.rows(centralita.QueueLogFilter{Event: "RINGNOANSWER"}), "nobody was skipped")
			q := h.queueStatus("sales")
			for _, m := range q.MemberStates {
				require.Equal(t, past[m.Agent].calls+got[m.Agent], m.CallsTaken, "calls taken of %s", m.Agent)
			}
			require.Equal(t, 11+n, q.Completed)
			h.requireCountersMatchLog()
		})
	}
}

// TestExpectedOrders checks the test's own model on a few calls.
func TestExpectedOrders(t *testing.T) {
	agents := []string{"201", "202", "203", "204", "205"}
	require.Equal(t, []string{"202", "202", "204", "202", "204", "205", "201", "202", "204", "205"}, expected(centralita.StrategyFewestCalls, agents, 10))
	require.Equal(t, []string{"202", "205", "203", "204", "201", "202", "205", "203", "204", "201"}, expected(centralita.StrategyLeastRecent, agents, 10))
	require.True(t, slices.Equal(expected(centralita.StrategyRRMemory, agents, 10)[:5], agents))
}
