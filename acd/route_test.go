package acd

import (
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestRoute(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	cands := []candidate{
		{index: 0, penalty: 1, calls: 0},
		{index: 1, penalty: 0, calls: 5, lastCall: t0.Add(-time.Minute)},
		{index: 2, penalty: 0, calls: 2, lastCall: t0.Add(-time.Hour)},
		{index: 4, penalty: 0, calls: 2},
		{index: 6, penalty: 2},
	}
	for _, tc := range []struct {
		s    centralita.Strategy
		last int
		want []int
	}{
		{centralita.StrategyRingAll, -1, []int{1, 2, 3}}, // every one at the lowest penalty
		{centralita.StrategyLinear, -1, []int{1}},        // the first at the lowest penalty
		{centralita.StrategyRRMemory, -1, []int{1}},
		{centralita.StrategyRRMemory, 1, []int{2}},     // after the one rung last
		{centralita.StrategyRRMemory, 3, []int{3}},     // index 4 follows 3
		{centralita.StrategyRRMemory, 4, []int{1}},     // wraps around
		{centralita.StrategyLeastRecent, -1, []int{3}}, // never called beats an hour ago
		{centralita.StrategyFewestCalls, -1, []int{2}}, // 2 calls, first in order (penalty 1 with 0 calls excluded)
	} {
		got := route(tc.s, cands, tc.last, rand.New(rand.NewPCG(1, 1)), nil)
		require.Equal(t, tc.want, got, "%s last=%d", tc.s, tc.last)
	}
	require.Empty(t, route(centralita.StrategyLinear, nil, -1, nil, nil))

	rnd := rand.New(rand.NewPCG(7, 7))
	seen := map[int]int{}
	for range 3000 {
		seen[route(centralita.StrategyRandom, cands, -1, rnd, nil)[0]]++
	}
	require.Len(t, seen, 3, "random picks among the lowest penalty only: %v", seen)
	for _, i := range []int{1, 2, 3} {
		require.InDelta(t, 1000, seen[i], 150)
	}
	clear(seen)
	for range 3000 {
		seen[route(centralita.StrategyWRandom, cands, -1, rnd, nil)[0]]++
	}
	require.Len(t, seen, 5, "wrandom can pick any penalty: %v", seen)
	require.Greater(t, seen[1], seen[0])
	require.Greater(t, seen[0], seen[4], "a higher penalty wins less often: %v", seen)
}

func TestAdmitted(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name    string
		levels  []int
		step    int
		wait    time.Duration
		top     int
		limited bool
		opens   time.Duration
	}{
		{"no step: all", []int{0, 3}, 0, 0, 0, false, 0},
		{"nobody available", nil, 10, 0, 0, false, 0},
		{"one level: all", []int{2}, 10, 0, 2, false, 0},
		{"lowest at once", []int{0, 5, 9}, 10, 0, 0, true, 10 * s},
		{"lowest level is not 0", []int{3, 7}, 10, 9 * s, 3, true, s},
		{"next level after one step, whatever the gap", []int{0, 5, 9}, 10, 10 * s, 5, true, 10 * s},
		{"then the next", []int{0, 5, 9}, 10, 25 * s, 9, false, 0},
		{"a clock gone back", []int{0, 5}, 10, -3 * s, 0, true, 13 * s},
	} {
		top, limited, opens := admitted(tc.levels, tc.wait, tc.step)
		require.Equal(t, []any{tc.top, tc.limited, tc.opens}, []any{top, limited, opens}, tc.name)
	}
}

func TestCountersRestartAtMidnight(t *testing.T) {
	loc := time.FixedZone("UYT", -3*3600)
	now := time.Date(2026, 11, 21, 23, 59, 0, 0, loc)
	e := &Engine{cfg: Config{Now: func() time.Time { return now }, Location: loc, Logger: slog.New(slog.DiscardHandler)},
		queues: map[string]*queue{}, stats: map[string]*qstats{}}
	e.day = e.midnight(now)
	st := e.statsFor("sales")
	as := st.agent("201")
	row := func(at time.Time, event string, data ...string) {
		r := &centralita.QueueLogEntry{Time: at, QueueName: "sales", Agent: "Agent/201", Event: event}
		for i, p := range []*string{&r.Data1, &r.Data2, &r.Data3} {
			if i < len(data) {
				*p = data[i]
			}
		}
		e.count(r)
	}
	row(now, centralita.QLEnterQueue)
	row(now, centralita.QLConnect, "25")
	row(now, centralita.QLCompleteAgent, "25", "40", "1")
	require.Equal(t, []int{1, 1, 0, 1, 1}, []int{st.offered, st.answered, st.answeredSL, st.answeredSL2, st.completed})
	require.Equal(t, 40*time.Second, st.talk)
	require.Equal(t, 1, as.calls)
	row(now.Add(-24*time.Hour), centralita.QLEnterQueue) // yesterday: ignored
	require.Equal(t, 1, st.offered)
	row(now.Add(2*time.Minute), centralita.QLEnterQueue) // 00:01 local: a new day
	require.Equal(t, 1, st.offered)
	require.Zero(t, st.completed)
	require.Zero(t, as.calls, "agent counters restart in place")
	require.Same(t, st, e.statsFor("sales"))
}
