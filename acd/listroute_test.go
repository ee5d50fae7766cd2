package acd_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// fakeLists is a ListLookup over fixed values of one list, "cartera".
type fakeLists map[string]string

func (l fakeLists) LookupList(_ context.Context, list, key string) (string, error) {
	if key == "5550666" {
		return "", errors.New("database down")
	}
	if v, ok := l[key]; ok && list == "cartera" {
		return v, nil
	}
	return "", centralita.Errorf(centralita.ENOTFOUND, "no element")
}

// TestListRouting: a "list=" argument sends the caller to the agent (by
// number, username or logged-in extension, in that order) or queue its
// number maps to; an agent who is not
// available, or whose phone rings out, leaves the call to the queue's own
// routing (linear: always 201 first).
func TestListRouting(t *testing.T) {
	h := newEnv(t, envConfig{
		queues: []centralita.Queue{
			{Name: "sales", Strategy: centralita.StrategyLinear},
			{Name: "vip", Strategy: centralita.StrategyLinear},
		},
		agents:  6,
		members: map[string][]string{"sales": {"201", "202", "203", "204"}, "vip": {"205"}},
		login:   true,
	})
	h.close()
	h.cfg.Lists = fakeLists{
		"5550001": "203", "5550002": "agent2", "5550003": "vip", "5550004": "206",
		"5550005": "nobody", "5550006": "204", "5550007": "203", "5550008": "201", "5550009": "205",
		"5550010": "104",
	}
	h.start()
	ctx := context.Background()

	for _, tc := range []struct {
		name, from, queue, want string
		list                    bool
		setup, undo             func()
	}{
		{name: "no list argument", from: "5550001", queue: "sales", want: "201"},
		{name: "agent by number", from: "5550001", queue: "sales", want: "203", list: true},
		{name: "agent by username", from: "5550002", queue: "sales", want: "202", list: true},
		{name: "agent by extension", from: "5550010", queue: "sales", want: "204", list: true},
		{name: "number before extension", from: "5550001", queue: "sales", want: "203", list: true,
			// 206 logs in at SIP/203: the value "203" is still agent 203.
			setup: func() { require.NoError(t, h.eng.Login(ctx, "206", "SIP/203")) },
			undo:  func() { require.NoError(t, h.eng.Login(ctx, "206", "SIP/106")) }},
		{name: "queue", from: "5550003", queue: "vip", want: "205", list: true},
		{name: "agent of no queue", from: "5550004", queue: "sales", want: "206", list: true},
		{name: "agent of another queue", from: "5550009", queue: "sales", want: "205", list: true},
		{name: "unknown value", from: "5550005", queue: "sales", want: "201", list: true},
		{name: "no element", from: "5559999", queue: "sales", want: "201", list: true},
		{name: "lookup fails", from: "5550666", queue: "sales", want: "201", list: true},
		{name: "paused agent", from: "5550006", queue: "sales", want: "201", list: true,
			setup: func() { require.NoError(t, h.eng.Pause(ctx, "204", nil, "")) },
			undo:  func() { require.NoError(t, h.eng.Unpause(ctx, "204", nil)) }},
		{name: "logged-out agent", from: "5550008", queue: "sales", want: "202", list: true,
			// 201 is gone: the queue's routing picks 202.
			setup: func() { require.NoError(t, h.eng.Logout(ctx, "201")) },
			undo:  func() { require.NoError(t, h.eng.Login(ctx, "201", "SIP/101")) }},
		{name: "agent rings out", from: "5550007", queue: "sales", want: "201", list: true,
			setup: func() { h.behave("103", map[string]any{"outcome": "noanswer"}) },
			undo:  func() { h.behave("103", map[string]any{"outcome": "answer"}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			var extra []string
			if tc.list {
				extra = []string{"list=cartera"}
			}
			id := h.call(tc.from, "sales", extra...)
			require.Equal(t, tc.want, h.waitConnected(tc.queue, id))
			h.farHangup(id)
			h.waitQuiet()
			if tc.undo != nil {
				tc.undo()
			}
		})
	}
	rs := h.rows(centralita.QueueLogFilter{Event: centralita.QLRingNoAnswer})
	require.NotEmpty(t, rs, "203 rang out before the queue took over")
	require.Equal(t, "Agent/203", rs[0].Agent)
	h.requireCountersMatchLog()
}
