package queuelog_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/queuelog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the start of the test periods.
var t0 = time.Date(2012, 5, 2, 9, 0, 0, 0, time.UTC)

// at is t0 plus sec seconds.
func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// row builds a queue_log row for agent number agent, sec seconds after t0.
func row(sec int, queue, agent, event string, data ...string) *centralita.QueueLogEntry {
	e := &centralita.QueueLogEntry{Time: at(sec), CallID: "NONE", QueueName: queue, Agent: centralita.AgentLogName(agent), Event: event}
	switch event {
	case centralita.QLAddMember, centralita.QLRemoveMember, centralita.QLPause, centralita.QLUnpause:
	default:
		e.CallID = "1335961066.118"
	}
	fields := []*string{&e.Data1, &e.Data2, &e.Data3, &e.Data4, &e.Data5}
	for i, d := range data {
		*fields[i] = d
	}
	return e
}

// withID sets a row's ID.
func withID(e *centralita.QueueLogEntry, id int64) *centralita.QueueLogEntry {
	e.ID = id
	return e
}

// sess builds an expected session of agent in queue from start to end seconds.
func sess(agent, queue string, start, end int, open bool, pauses ...centralita.AgentPause) centralita.AgentSession {
	return centralita.AgentSession{Agent: agent, Queue: queue, Start: at(start), End: at(end), Open: open, Pauses: pauses}
}

// pause builds an expected pause.
func pause(reason string, start, end int) centralita.AgentPause {
	return centralita.AgentPause{Reason: reason, Start: at(start), End: at(end)}
}

const (
	add    = centralita.QLAddMember
	remove = centralita.QLRemoveMember
	pse    = centralita.QLPause
	unpse  = centralita.QLUnpause
)

func TestSessions(t *testing.T) {
	tests := []struct {
		name     string
		initial  []*centralita.QueueLogEntry
		rows     []*centralita.QueueLogEntry
		from, to int
		want     []centralita.AgentSession
	}{
		{
			name: "login and logout inside the period",
			rows: []*centralita.QueueLogEntry{row(10, "q", "157", add, "SIP/101"), row(70, "q", "157", remove, "SIP/101")},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 10, 70, false)},
		},
		{
			name:    "session spanning the period start",
			initial: []*centralita.QueueLogEntry{row(-500, "q", "157", add, "SIP/101")},
			rows:    []*centralita.QueueLogEntry{row(50, "q", "157", remove)},
			to:      100,
			want:    []centralita.AgentSession{sess("157", "q", 0, 50, false)},
		},
		{
			name:    "logged in through the whole period",
			initial: []*centralita.QueueLogEntry{row(-500, "q", "157", unpse)},
			to:      100,
			want:    []centralita.AgentSession{sess("157", "q", 0, 100, true)},
		},
		{
			name:    "logged out at the start, open session at the end",
			initial: []*centralita.QueueLogEntry{row(-500, "q", "157", remove)},
			rows:    []*centralita.QueueLogEntry{row(10, "q", "157", add)},
			to:      100,
			want:    []centralita.AgentSession{sess("157", "q", 10, 100, true)},
		},
		{
			name: "last initial row per pair wins, whatever the order given",
			initial: []*centralita.QueueLogEntry{
				row(-100, "q", "157", remove), row(-500, "q", "157", add),
			},
			to: 100,
		},
		{
			name:    "paused at the period start",
			initial: []*centralita.QueueLogEntry{row(-500, "q", "157", pse, "Almuerzo")},
			rows:    []*centralita.QueueLogEntry{row(30, "q", "157", unpse), row(60, "q", "157", remove)},
			to:      100,
			want:    []centralita.AgentSession{sess("157", "q", 0, 60, false, pause("Almuerzo", 0, 30))},
		},
		{
			name: "logout ends an open pause",
			rows: []*centralita.QueueLogEntry{
				row(10, "q", "157", add), row(20, "q", "157", pse, "Baño"), row(40, "q", "157", remove),
				row(50, "q", "157", unpse), // not logged in: ignored
			},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 10, 40, false, pause("Baño", 20, 40))},
		},
		{
			name: "pause crossing the period end",
			rows: []*centralita.QueueLogEntry{row(10, "q", "157", add), row(80, "q", "157", pse)},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 10, 100, true, pause("", 80, 100))},
		},
		{
			name: "re-login moves the interface only",
			rows: []*centralita.QueueLogEntry{
				row(10, "q", "157", add, "SIP/101"), row(15, "q", "157", pse, "x"),
				row(20, "q", "157", add, "SIP/102"), row(25, "q", "157", unpse), row(50, "q", "157", remove, "SIP/102"),
			},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 10, 50, false, pause("x", 15, 25))},
		},
		{
			name: "pause while paused changes the reason",
			rows: []*centralita.QueueLogEntry{
				row(5, "q", "157", add), row(10, "q", "157", pse, "a"), row(20, "q", "157", pse, "b"),
				row(30, "q", "157", unpse), row(35, "q", "157", unpse),
			},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 5, 100, true, pause("a", 10, 20), pause("b", 20, 30))},
		},
		{
			name: "pause while logged out is ignored",
			rows: []*centralita.QueueLogEntry{row(10, "q", "157", pse, "a"), row(20, "q", "157", add), row(30, "q", "157", unpse)},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 20, 100, true)},
		},
		{
			name: "two sessions, pauses per queue",
			rows: []*centralita.QueueLogEntry{
				row(0, "q1", "157", add), row(0, "q2", "157", add),
				row(10, "q1", "157", pse, "a"), row(20, "q1", "157", unpse),
				row(30, "q1", "157", remove), row(40, "q1", "157", add),
				row(50, "q2", "157", pse, "b"),
			},
			to: 100,
			want: []centralita.AgentSession{
				sess("157", "q1", 0, 30, false, pause("a", 10, 20)),
				sess("157", "q1", 40, 100, true),
				sess("157", "q2", 0, 100, true, pause("b", 50, 100)),
			},
		},
		{
			name:    "rows outside the period are ignored, a logout at its end applies",
			initial: []*centralita.QueueLogEntry{row(-50, "q", "157", add)},
			rows: []*centralita.QueueLogEntry{
				row(-10, "q", "157", remove), row(100, "q", "157", remove), row(120, "q", "157", add),
			},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 0, 100, false)},
		},
		{
			name:    "zero-length sessions and pauses are left out",
			initial: []*centralita.QueueLogEntry{row(-50, "q", "157", pse, "a")},
			rows: []*centralita.QueueLogEntry{
				row(0, "q", "157", unpse), row(0, "q", "157", remove),
				row(10, "q", "157", add), row(10, "q", "157", remove),
				row(20, "q", "157", add), row(30, "q", "157", pse, "b"), row(30, "q", "157", pse, "c"),
				row(100, "q", "157", pse, "d"),
			},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 20, 100, true, pause("c", 30, 100))},
		},
		{
			name:    "equal times apply in ID order",
			initial: []*centralita.QueueLogEntry{row(-50, "q", "157", add)},
			rows: []*centralita.QueueLogEntry{
				withID(row(50, "q", "157", add), 8), withID(row(50, "q", "157", remove), 7),
			},
			to:   100,
			want: []centralita.AgentSession{sess("157", "q", 0, 50, false), sess("157", "q", 50, 100, true)},
		},
		{
			name: "sorted by agent number, queue and start",
			rows: []*centralita.QueueLogEntry{
				row(5, "q", "supervisor", add), row(1, "b", "152", add), row(2, "a", "152", add),
				row(3, "q", "99", add), row(4, "q", "99", remove), row(6, "q", "99", add),
				nil,
			},
			to: 100,
			want: []centralita.AgentSession{
				sess("99", "q", 3, 4, false), sess("99", "q", 6, 100, true),
				sess("152", "a", 2, 100, true), sess("152", "b", 1, 100, true),
				sess("supervisor", "q", 5, 100, true),
			},
		},
		{
			name:    "empty period",
			initial: []*centralita.QueueLogEntry{row(-50, "q", "157", add)},
			from:    100, to: 100,
		},
		{
			name:    "other events do not change the state",
			initial: []*centralita.QueueLogEntry{row(-50, "q", "157", centralita.QLConnect)},
			rows:    []*centralita.QueueLogEntry{row(10, "q", "157", centralita.QLCompleteAgent, "1", "30", "1")},
			to:      100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := queuelog.Sessions(tt.initial, tt.rows, at(tt.from), at(tt.to))
			want := tt.want
			if want == nil {
				want = []centralita.AgentSession{}
			}
			require.Equal(t, want, got)
		})
	}
}

func TestSecondsRoundsDown(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		0: 0, -time.Second: 0, 999 * time.Millisecond: 0, 1999 * time.Millisecond: 1, time.Hour: 3600,
	} {
		require.Equal(t, want, queuelog.Seconds(d), d)
	}
}

func TestStateEvents(t *testing.T) {
	ev := queuelog.StateEvents()
	require.ElementsMatch(t, []string{add, remove, pse, unpse}, ev)
	ev[0] = "X" // a copy: changing it changes nothing
	require.Contains(t, queuelog.StateEvents(), add)
}
