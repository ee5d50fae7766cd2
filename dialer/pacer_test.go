package dialer_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita/dialer"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func TestProgressiveLines(t *testing.T) {
	tests := []struct {
		name string
		in   dialer.PacingInput
		want int
	}{
		{"all free", dialer.PacingInput{Logged: 5, Free: 5}, 5},
		{"minus dialing and waiting", dialer.PacingInput{Logged: 5, Free: 5, Dialing: 2, Waiting: 1}, 2},
		{"more in flight than free", dialer.PacingInput{Logged: 5, Free: 2, Dialing: 3, Talking: 3}, 0},
		{"all busy", dialer.PacingInput{Logged: 5, Talking: 4, Wrapup: 1}, 0},
		{"nobody logged", dialer.PacingInput{Logged: 0, Free: 3}, 0},
		{"max lines", dialer.PacingInput{Logged: 10, Free: 10, Dialing: 1, MaxLines: 4}, 3},
		{"max lines reached", dialer.PacingInput{Logged: 10, Free: 10, Dialing: 4, Waiting: 1, MaxLines: 4}, 0},
	}
	p := dialer.NewProgressive()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = t0
			require.Equal(t, tt.want, p.Lines(tt.in))
		})
	}
	require.Equal(t, 1.0, p.Ratio())
}

func TestPowerLines(t *testing.T) {
	tests := []struct {
		name   string
		ratio  float64
		in     dialer.PacingInput
		want   int
		ratio2 float64
	}{
		{"2:1", 2, dialer.PacingInput{Logged: 3, Free: 3}, 6, 2},
		{"2:1 minus in flight", 2, dialer.PacingInput{Logged: 3, Free: 3, Dialing: 3, Waiting: 1}, 2, 2},
		{"2:1 busy agents dial nothing", 2, dialer.PacingInput{Logged: 3, Talking: 3}, 0, 2},
		{"1.5 rounds half up", 1.5, dialer.PacingInput{Logged: 3, Free: 3}, 5, 1.5},
		{"3:1 capped by max lines", 3, dialer.PacingInput{Logged: 4, Free: 4, Dialing: 2, MaxLines: 8}, 6, 3},
		{"below 1 is 1", 0.5, dialer.PacingInput{Logged: 4, Free: 4}, 4, 1},
		{"NaN is 1", math.NaN(), dialer.PacingInput{Logged: 4, Free: 4}, 4, 1},
		{"nobody logged", 2, dialer.PacingInput{Free: 4}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dialer.NewPower(tt.ratio)
			tt.in.Now = t0
			require.Equal(t, tt.want, p.Lines(tt.in))
			require.Equal(t, tt.ratio2, p.Ratio())
		})
	}
}

// tick calls Lines once a second for n seconds from *now with in.
func tick(p dialer.Pacer, now *time.Time, n int, in dialer.PacingInput) int {
	lines := 0
	for range n {
		*now = now.Add(time.Second)
		in.Now = *now
		lines = p.Lines(in)
	}
	return lines
}

// calls observes n finished calls dialled at at: live ones answered after
// 5 s, abandoned (of the live ones) and the rest unanswered after 20 s.
func calls(p interface{ Observe(dialer.CallResult) }, at time.Time, n, live, abandoned int) {
	for i := range n {
		d := at.Add(time.Duration(i) * time.Millisecond)
		r := dialer.CallResult{DialedAt: d, End: d.Add(20 * time.Second)}
		if i < live {
			r.Live, r.AnsweredAt = true, d.Add(5*time.Second)
			r.Abandoned = i < abandoned
			if !r.Abandoned {
				r.ConnectedAt, r.Talk = r.AnsweredAt, 100*time.Second
				r.End = r.AnsweredAt.Add(r.Talk)
			} else {
				r.End = r.AnsweredAt.Add(7 * time.Second)
			}
		}
		p.Observe(r)
	}
}

func TestAdaptiveLevel(t *testing.T) {
	idle := dialer.PacingInput{Logged: 10, Free: 10}
	queued := dialer.PacingInput{Logged: 10, Talking: 10, Waiting: 20}
	tests := []struct {
		name    string
		initial float64
		setup   func(p dialer.Pacer, now time.Time)
		in      dialer.PacingInput
		periods int
		want    float64
	}{
		{"starts at 1", 0, nil, idle, 0, 1},
		{"idle agents raise it: 1 × (1 + 10/10)", 0, nil, idle, 1, 2},
		{"clamped to 3", 0, nil, idle, 2, 3},
		{"waiting calls lower it, clamped to 1", 3, nil, queued, 1, 1},
		{"last minute over 50% dropped of 20+ calls halves it", 3, func(p dialer.Pacer, now time.Time) {
			calls(p, now.Add(-40*time.Second), 30, 20, 16) // 16 drops of 30 calls; day 30 calls (≤ 50)
		}, idle, 1, 1.5},
		{"20 calls are not enough to halve", 3, func(p dialer.Pacer, now time.Time) {
			calls(p, now.Add(-40*time.Second), 20, 20, 16)
		}, idle, 1, 3},
		{"day over the limit forces 1", 3, func(p dialer.Pacer, now time.Time) {
			calls(p, now.Add(-30*time.Minute), 60, 40, 2) // 5% of answers, 60 calls today
		}, idle, 1, 1},
		{"day under the limit keeps it", 3, func(p dialer.Pacer, now time.Time) {
			calls(p, now.Add(-30*time.Minute), 60, 40, 1) // 2.5%
		}, idle, 1, 3},
		{"yesterday's drops do not count today", 3, func(p dialer.Pacer, now time.Time) {
			calls(p, now.Add(-20*time.Hour), 60, 40, 20)
		}, idle, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dialer.NewAdaptive(dialer.AdaptiveConfig{AbandonLimitPct: 3, InitialLevel: tt.initial})
			now := t0
			tick(p, &now, 1, tt.in) // the first call starts the clock
			if tt.setup != nil {
				tt.setup(p, now.Add(15*time.Second*time.Duration(tt.periods)))
			}
			tick(p, &now, 15*tt.periods, tt.in)
			require.InDelta(t, tt.want, p.Ratio(), 1e-9)
		})
	}
}

func TestAdaptiveLines(t *testing.T) {
	p := dialer.NewAdaptive(dialer.AdaptiveConfig{InitialLevel: 2})
	// round(2 × (free 2 + talking 3)) − (dialing 1 + waiting 0 + talking 3)
	n := p.Lines(dialer.PacingInput{Now: t0, Logged: 6, Free: 2, Talking: 3, Wrapup: 1, Dialing: 1})
	require.Equal(t, 6, n)
	// level 1 is progressive
	p = dialer.NewAdaptive(dialer.AdaptiveConfig{})
	in := dialer.PacingInput{Now: t0, Logged: 6, Free: 4, Talking: 2, Dialing: 1, Waiting: 1}
	require.Equal(t, dialer.NewProgressive().Lines(in), p.Lines(in))
	require.Zero(t, p.Lines(dialer.PacingInput{Now: t0, Free: 3}))
}

// warm feeds a predictive pacer two hours of a campaign's results: 30%
// live, one in every abandonEvery of them abandoned (0: none), the rest
// ringing out.
func warm(p dialer.Pacer, now time.Time, abandonEvery int) {
	const n = 4000
	start := now.Add(-2 * time.Hour)
	live := 0
	for i := range n {
		d := start.Add(time.Duration(i) * 2 * time.Hour / n)
		r := dialer.CallResult{DialedAt: d, End: d.Add(20 * time.Second)}
		if i%10 < 3 {
			live++
			ans := d.Add(time.Duration(1+i%13) * time.Second)
			r.Live, r.AnsweredAt = true, ans
			if abandonEvery > 0 && live%abandonEvery == 0 {
				r.Abandoned, r.End = true, ans.Add(5*time.Second)
			} else {
				r.ConnectedAt, r.Talk, r.Wrapup = ans, 120*time.Second, 15*time.Second
				r.End = ans.Add(r.Talk)
			}
		}
		p.Observe(r)
	}
}

func TestPredictive(t *testing.T) {
	busy := dialer.PacingInput{Logged: 20, Free: 2, Talking: 15, Wrapup: 3}
	dflt := dialer.PredictiveConfig{AbandonLimitPct: 3}
	// a target at the limit, so only the back-off stops it
	loose := dialer.PredictiveConfig{AbandonLimitPct: 3, TargetPct: 3, Confidence: -1}
	noBackoff := loose
	noBackoff.BackoffPct = 3
	tests := []struct {
		name         string
		abandonEvery int // one in so many live answers of the warm-up abandoned; -1: no warm-up
		cfg          dialer.PredictiveConfig
		in           dialer.PacingInput
		check        func(t *testing.T, lines, progressive int)
	}{
		{"no agent logged: nothing", 0, dflt, dialer.PacingInput{Logged: 0, Free: 0}, func(t *testing.T, n, _ int) {
			require.Zero(t, n)
		}},
		{"all agents paused: nothing", 0, dflt, dialer.PacingInput{Logged: 5}, func(t *testing.T, n, _ int) {
			require.Zero(t, n)
		}},
		{"no history: progressive", -1, dflt, busy, func(t *testing.T, n, prog int) {
			require.Equal(t, prog, n)
		}},
		{"well under the limit: more than progressive", 100, dflt, busy, func(t *testing.T, n, prog int) {
			require.Greater(t, n, prog)
		}},
		{"near the limit (2.94%): backs off to progressive", 34, loose, busy, func(t *testing.T, n, prog int) {
			require.Equal(t, prog, n)
		}},
		{"the same without back-off dials more", 34, noBackoff, busy, func(t *testing.T, n, prog int) {
			require.Greater(t, n, prog)
		}},
		{"max lines", 100, dflt, dialer.PacingInput{Logged: 20, Free: 2, Talking: 15, Wrapup: 3, Dialing: 2, MaxLines: 3}, func(t *testing.T, n, _ int) {
			require.Equal(t, 1, n)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dialer.NewPredictive(tt.cfg)
			now := t0.Add(4 * time.Hour)
			if tt.abandonEvery >= 0 {
				warm(p, now, tt.abandonEvery)
			}
			in := tt.in
			in.Now = now
			lines := p.Lines(in)
			prog := dialer.NewProgressive().Lines(in)
			tt.check(t, lines, prog)
			require.GreaterOrEqual(t, p.Ratio(), 0.0)
		})
	}
}

func TestPredictiveRespondsToTraffic(t *testing.T) {
	// The same moment, with more calls already ringing, asks for fewer.
	p := dialer.NewPredictive(dialer.PredictiveConfig{})
	now := t0.Add(4 * time.Hour)
	warm(p, now, 100)
	in := dialer.PacingInput{Now: now, Logged: 20, Free: 2, Talking: 15, Wrapup: 3}
	few := p.Lines(in)
	in.Now, in.Dialing = now.Add(time.Second), few+10
	require.Less(t, p.Lines(in), few)
}

func TestAbandonTracker(t *testing.T) {
	now := t0.Add(40 * 24 * time.Hour)
	live := func(at time.Time, abandoned bool) dialer.CallResult {
		return dialer.CallResult{DialedAt: at.Add(-5 * time.Second), AnsweredAt: at, Live: true,
			Abandoned: abandoned, End: at.Add(10 * time.Second)}
	}
	tests := []struct {
		name         string
		results      []dialer.CallResult
		day, month   dialer.AbandonStats
		dayAt, monAt time.Time
	}{
		{"empty", nil, dialer.AbandonStats{}, dialer.AbandonStats{}, now, now},
		{"one hour ago in both", []dialer.CallResult{live(now.Add(-time.Hour), true), live(now.Add(-time.Hour), false)},
			dialer.AbandonStats{Answers: 2, Abandons: 1, Rate: 0.5}, dialer.AbandonStats{Answers: 2, Abandons: 1, Rate: 0.5}, now, now},
		{"25 hours ago only in 30 days", []dialer.CallResult{live(now.Add(-25*time.Hour), true), live(now.Add(-time.Minute), false)},
			dialer.AbandonStats{Answers: 1}, dialer.AbandonStats{Answers: 2, Abandons: 1, Rate: 0.5}, now, now},
		{"31 days ago in neither", []dialer.CallResult{live(now.Add(-31*24*time.Hour), true)},
			dialer.AbandonStats{}, dialer.AbandonStats{}, now, now},
		{"not live does not count", []dialer.CallResult{{DialedAt: now.Add(-time.Minute), End: now.Add(-40 * time.Second)},
			{DialedAt: now.Add(-time.Minute), Machine: true, AnsweredAt: now.Add(-50 * time.Second), End: now.Add(-40 * time.Second)}},
			dialer.AbandonStats{}, dialer.AbandonStats{}, now, now},
		{"windows slide", []dialer.CallResult{live(now.Add(-time.Hour), true)},
			dialer.AbandonStats{}, dialer.AbandonStats{Answers: 1, Abandons: 1, Rate: 1}, now.Add(24 * time.Hour), now.Add(24 * time.Hour)},
		{"month slides too", []dialer.CallResult{live(now.Add(-time.Hour), true)},
			dialer.AbandonStats{}, dialer.AbandonStats{}, now.Add(31 * 24 * time.Hour), now.Add(31 * 24 * time.Hour)},
		{"late result in its minute", []dialer.CallResult{live(now.Add(-time.Minute), false), live(now.Add(-3*time.Hour), true)},
			dialer.AbandonStats{Answers: 2, Abandons: 1, Rate: 0.5}, dialer.AbandonStats{Answers: 2, Abandons: 1, Rate: 0.5}, now, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := dialer.NewAbandonTracker()
			for _, r := range tt.results {
				tr.Observe(r)
			}
			require.Equal(t, tt.day, tr.Day(tt.dayAt))
			require.Equal(t, tt.month, tr.Month(tt.monAt))
		})
	}
}

func TestAbandonTrackerCountsACallOnce(t *testing.T) {
	tr := dialer.NewAbandonTracker()
	at := t0.Add(time.Hour)
	early := dialer.CallResult{DialedAt: at, Live: true, AnsweredAt: at.Add(4 * time.Second), ConnectedAt: at.Add(5 * time.Second)}
	final := early
	final.End, final.Talk = at.Add(90*time.Second), 85*time.Second
	tr.Observe(early)
	tr.Observe(final)
	// a call seen only when over counts too
	other := dialer.CallResult{DialedAt: at.Add(time.Second), Live: true, AnsweredAt: at.Add(3 * time.Second), Abandoned: true, End: at.Add(9 * time.Second)}
	tr.Observe(other)
	require.Equal(t, dialer.AbandonStats{Answers: 2, Abandons: 1, Rate: 0.5}, tr.Day(at.Add(time.Minute)))
	require.InDelta(t, 50.0, tr.Day(at.Add(time.Minute)).Pct(), 1e-9)
}
