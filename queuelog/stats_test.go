package queuelog_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/queuelog"
)

// statsOf runs Sessions then Stats over [0, to] seconds.
func statsOf(opt queuelog.StatsOptions, initial, rows []*centralita.QueueLogEntry, to int) []centralita.AgentStats {
	return opt.Stats(queuelog.Sessions(initial, rows, at(0), at(to)), rows)
}

func TestStats(t *testing.T) {
	tests := []struct {
		name    string
		opt     queuelog.StatsOptions
		initial []*centralita.QueueLogEntry
		rows    []*centralita.QueueLogEntry
		want    []centralita.AgentStats
	}{
		{
			name: "offered counts CONNECT, RINGNOANSWER and RINGCANCELED",
			rows: []*centralita.QueueLogEntry{
				row(0, "q", "157", add),
				row(10, "q", "157", centralita.QLRingNoAnswer, "15000"),
				row(30, "q", "157", centralita.QLRingNoAnswer, "0"),
				row(40, "q", "157", centralita.QLRingCanceled, "2000"),
				row(50, "q", "157", centralita.QLConnect, "20", "1335961066.119", "5"),
				row(80, "q", "157", centralita.QLCompleteCaller, "20", "30", "1"),
			},
			want: []centralita.AgentStats{{Agent: "157", Queue: "q", LoggedSec: 100, TalkSec: 30, AvailableSec: 70, Offered: 4, Answered: 1}},
		},
		{
			// queueData shows a RINGCANCELED as RINGING then NOANSWER: a call
			// offered to the agent and not answered, so perdidas counts it.
			name: "a ring the caller cancelled is offered, not answered",
			rows: []*centralita.QueueLogEntry{
				row(0, "q", "157", add),
				row(10, "q", "157", centralita.QLRingCanceled, "4000"),
				row(20, "q2", "158", centralita.QLRingCanceled, "500"),
			},
			want: []centralita.AgentStats{
				{Agent: "157", Queue: "q", LoggedSec: 100, AvailableSec: 100, Offered: 1},
				{Agent: "158", Queue: "q2", Offered: 1},
			},
		},
		{
			name: "transfer counts talk, transferred and short",
			rows: []*centralita.QueueLogEntry{
				row(0, "q", "157", add), row(50, "q", "157", remove),
				row(10, "q", "157", centralita.QLConnect, "1", "x", "1"),
				row(40, "q", "157", centralita.QLTransfer, "q_other", "queue", "1", "30", "1"),
				row(41, "q", "157", centralita.QLConnect, "1", "y", "1"),
				row(45, "q", "157", centralita.QLTransfer, "200", "extension", "1", "4", "1"),
			},
			want: []centralita.AgentStats{{Agent: "157", Queue: "q", LoggedSec: 50, TalkSec: 34, AvailableSec: 16, Offered: 2, Answered: 2, Transferred: 2, Short: 1}},
		},
		{
			name: "dial-outs are kept under their outqueue",
			rows: []*centralita.QueueLogEntry{
				row(0, "q", "157", add),
				row(10, "NONE", "157", centralita.QLDialOut, "099123456"),
				row(55, "NONE", "157", centralita.QLDialOutEnd, "45", "099123456"),
				row(60, "q_out", "157", centralita.QLDialOut, "099123456"),
				row(62, "q_out", "157", centralita.QLDialOutEnd, "2", "099123456"),
				row(70, "", "157", centralita.QLDialOut, "099123456"),
			},
			want: []centralita.AgentStats{
				{Agent: "157", Queue: "NONE", Outbound: 2, OutTalkSec: 45},
				{Agent: "157", Queue: "q", LoggedSec: 100, AvailableSec: 100},
				{Agent: "157", Queue: "q_out", Outbound: 1, OutTalkSec: 2},
			},
		},
		{
			name: "garbage data fields count as 0",
			opt:  queuelog.StatsOptions{ShortCallSec: -1},
			rows: []*centralita.QueueLogEntry{
				row(1, "q", "157", centralita.QLCompleteAgent, "", "abc"),
				row(2, "q", "157", centralita.QLCompleteAgent, "", "-5"),
				row(3, "q", "157", centralita.QLCompleteAgent, "", "1e99"),
				row(4, "q", "157", centralita.QLCompleteAgent, "", "99999999999999999999999"),
				row(5, "q", "157", centralita.QLCompleteAgent, "", "NaN"),
				row(6, "q", "157", centralita.QLCompleteAgent),
				row(7, "q", "157", centralita.QLCompleteAgent, "", " 12 "),
				row(8, "q", "157", centralita.QLCompleteCaller, "", "12.9"),
				row(9, "q", "157", centralita.QLTransfer, "t", "queue", "1"),
				row(10, "q", "157", centralita.QLDialOutEnd, "-Inf"),
			},
			want: []centralita.AgentStats{{Agent: "157", Queue: "q", TalkSec: 24, Transferred: 1}},
		},
		{
			name: "short-call threshold defaults to 10",
			rows: []*centralita.QueueLogEntry{
				row(1, "q", "157", centralita.QLCompleteAgent, "", "9"),
				row(2, "q", "157", centralita.QLCompleteAgent, "", "10"),
				row(3, "q", "157", centralita.QLCompleteAgent, "", "19"),
			},
			want: []centralita.AgentStats{{Agent: "157", Queue: "q", TalkSec: 38, Short: 1}},
		},
		{
			name: "short-call threshold is a parameter",
			opt:  queuelog.StatsOptions{ShortCallSec: 20},
			rows: []*centralita.QueueLogEntry{
				row(1, "q", "157", centralita.QLCompleteAgent, "", "9"),
				row(2, "q", "157", centralita.QLCompleteAgent, "", "10"),
				row(3, "q", "157", centralita.QLCompleteAgent, "", "20"),
			},
			want: []centralita.AgentStats{{Agent: "157", Queue: "q", TalkSec: 39, Short: 2}},
		},
		{
			name: "available is clamped at 0",
			rows: []*centralita.QueueLogEntry{
				row(0, "q", "157", add), row(10, "q", "157", pse), row(20, "q", "157", remove),
				row(15, "q", "157", centralita.QLCompleteAgent, "", "30"),
			},
			want: []centralita.AgentStats{{Agent: "157", Queue: "q", LoggedSec: 20, PausedSec: 10, TalkSec: 30}},
		},
		{
			name: "rows of no agent are not counted",
			rows: []*centralita.QueueLogEntry{
				{Time: at(1), CallID: "c", QueueName: "q", Agent: "NONE", Event: centralita.QLEnterQueue, Data2: "5062934", Data3: "1"},
				{Time: at(2), CallID: "c", QueueName: "q", Agent: "NONE", Event: centralita.QLAbandon, Data1: "1", Data2: "1", Data3: "20"},
				{Time: at(3), CallID: "c", QueueName: "q", Agent: "", Event: centralita.QLConnect},
				nil,
			},
			want: []centralita.AgentStats{},
		},
		{
			name:    "sorted by agent number then queue",
			initial: []*centralita.QueueLogEntry{row(-5, "b", "152", add), row(-5, "a", "152", pse, "x"), row(-5, "q", "99", add)},
			rows:    []*centralita.QueueLogEntry{row(50, "a", "152", unpse)},
			want: []centralita.AgentStats{
				{Agent: "99", Queue: "q", LoggedSec: 100, AvailableSec: 100},
				{Agent: "152", Queue: "a", LoggedSec: 100, PausedSec: 50, AvailableSec: 50},
				{Agent: "152", Queue: "b", LoggedSec: 100, AvailableSec: 100},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, statsOf(tt.opt, tt.initial, tt.rows, 100))
		})
	}
}

func TestStatsDefaultIsOptionsZero(t *testing.T) {
	rows := []*centralita.QueueLogEntry{row(0, "q", "1", add), row(5, "q", "1", centralita.QLCompleteAgent, "", "3")}
	s := queuelog.Sessions(nil, rows, at(0), at(60))
	require.Equal(t, queuelog.StatsOptions{ShortCallSec: queuelog.DefaultShortCallSec}.Stats(s, rows), queuelog.Stats(s, rows))
	require.Equal(t, 1, queuelog.Stats(s, rows)[0].Short)
}

func TestStatsRoundsEachDurationDown(t *testing.T) {
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	rows := []*centralita.QueueLogEntry{
		{Time: ms(300), QueueName: "q", Agent: "Agent/1", Event: add},
		{Time: ms(1200), QueueName: "q", Agent: "Agent/1", Event: pse, Data1: "a"},
		{Time: ms(2900), QueueName: "q", Agent: "Agent/1", Event: unpse}, // 1.7 s → 1
		{Time: ms(3100), QueueName: "q", Agent: "Agent/1", Event: pse, Data1: "b"},
		{Time: ms(4800), QueueName: "q", Agent: "Agent/1", Event: unpse}, // 1.7 s → 1
		{Time: ms(11000), QueueName: "q", Agent: "Agent/1", Event: remove},
	}
	s := queuelog.Sessions(nil, rows, t0, t0.Add(time.Minute))
	got := queuelog.Stats(s, rows)
	require.Equal(t, []centralita.AgentStats{{Agent: "1", Queue: "q", LoggedSec: 10, PausedSec: 2, AvailableSec: 8}}, got)
}

// TestStatsIdentity checks Available = Logged − Paused − Talk, and that the
// totals are the sums of the parts, over random logs with sub-second times.
func TestStatsIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	events := []string{add, add, remove, pse, pse, unpse, centralita.QLConnect, centralita.QLRingNoAnswer,
		centralita.QLCompleteAgent, centralita.QLCompleteCaller, centralita.QLTransfer, centralita.QLDialOut, centralita.QLDialOutEnd}
	from, to := t0, t0.Add(8*time.Hour)
	for round := range 50 {
		var initial, rows []*centralita.QueueLogEntry
		for a := range 3 {
			for _, q := range []string{"q1", "q2"} {
				ev := []string{add, remove, pse, unpse}[rng.IntN(4)]
				initial = append(initial, &centralita.QueueLogEntry{Time: from.Add(-time.Hour), QueueName: q, Agent: centralita.AgentLogName(fmt.Sprint(150 + a)), Event: ev, Data1: "r"})
			}
		}
		for i := range 300 {
			e := &centralita.QueueLogEntry{
				ID:        int64(i + 1),
				Time:      from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))),
				QueueName: []string{"q1", "q2"}[rng.IntN(2)],
				Agent:     centralita.AgentLogName(fmt.Sprint(150 + rng.IntN(3))),
				Event:     events[rng.IntN(len(events))],
				Data1:     fmt.Sprint(rng.IntN(400)),
				Data2:     fmt.Sprint(rng.IntN(900)),
				Data4:     fmt.Sprint(rng.IntN(900)),
			}
			rows = append(rows, e)
		}
		sessions := queuelog.Sessions(initial, rows, from, to)
		stats := queuelog.Stats(sessions, rows)
		logged, paused := map[string]int64{}, map[string]int64{}
		for _, s := range sessions {
			require.True(t, s.End.After(s.Start))
			logged[s.Agent+"|"+s.Queue] += queuelog.Seconds(s.Duration())
			for _, p := range s.Pauses {
				require.False(t, p.Start.Before(s.Start), "round %d: pause before its session", round)
				require.False(t, p.End.After(s.End), "round %d: pause after its session", round)
				paused[s.Agent+"|"+s.Queue] += queuelog.Seconds(p.Duration())
			}
		}
		clamped := 0
		for _, st := range stats {
			k := st.Agent + "|" + st.Queue
			require.Equal(t, logged[k], st.LoggedSec, k)
			require.Equal(t, paused[k], st.PausedSec, k)
			require.LessOrEqual(t, st.PausedSec, st.LoggedSec, k)
			if d := st.LoggedSec - st.PausedSec - st.TalkSec; d >= 0 {
				require.Equal(t, d, st.AvailableSec, "round %d %s", round, k)
			} else {
				clamped++
				require.Zero(t, st.AvailableSec, k)
			}
		}
		require.Less(t, clamped, len(stats), "round %d: every row clamped, the identity went untested", round)
	}
}

// TestSpecAgentDataExample rebuilds agent 152's agentData row of
// soap-apiws.md §7.4 from a synthetic log.
func TestSpecAgentDataExample(t *testing.T) {
	const q = "q_ven"
	rows := []*centralita.QueueLogEntry{row(0, q, "152", add, "SIP/152")}
	// 13 answered calls, 2077 s of talk (12 × 160 + 157), none short.
	sec := 100
	for i := range 13 {
		talk := 160
		if i == 12 {
			talk = 157
		}
		rows = append(rows,
			row(sec-5, q, "152", centralita.QLEnterQueue, "", "5062934", "1"),
			row(sec, q, "152", centralita.QLConnect, "5", "agentleg", "5"),
			row(sec+talk, q, "152", centralita.QLCompleteCaller, "5", fmt.Sprint(talk), "1"),
		)
		sec += 1000
	}
	// 8 outbound calls that did not talk.
	for i := range 8 {
		rows = append(rows, row(15000+100*i, q, "152", centralita.QLDialOut, "099123456"),
			row(15000+100*i+20, q, "152", centralita.QLDialOutEnd, "0", "099123456"))
	}
	// 3483 s of pauses: 1800 + 1200 + 483.
	rows = append(rows,
		row(20000, q, "152", pse, "Almuerzo"), row(21800, q, "152", unpse),
		row(22000, q, "152", pse, "Tareas administrativas"), row(23200, q, "152", unpse),
		row(24000, q, "152", pse, ""), row(24483, q, "152", unpse),
		row(25840, q, "152", remove, "SIP/152"),
	)
	got := statsOf(queuelog.StatsOptions{}, nil, rows, 30000)
	require.Equal(t, []centralita.AgentStats{{
		Agent: "152", Queue: q, LoggedSec: 25840, PausedSec: 3483, TalkSec: 2077, AvailableSec: 20280,
		Offered: 13, Answered: 13, Outbound: 8,
	}}, got)
	require.InDelta(t, 159.76923076923, float64(got[0].TalkSec)/float64(got[0].Answered), 1e-9) // promedioSeg
}
