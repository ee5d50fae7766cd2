package acd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// twoQueues has sales (201, 202) and support (203).
func twoQueues(t *testing.T, sales, support centralita.Queue) *env {
	t.Helper()
	sales.Name, support.Name = "sales", "support"
	return newEnv(t, envConfig{
		queues: []centralita.Queue{sales, support}, agents: 3, login: true,
		members: map[string][]string{"sales": {"201", "202"}, "support": {"203"}},
	})
}

func TestTransferToQueue(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear, WrapupSec: 60}, centralita.Queue{Strategy: centralita.StrategyLinear})
	ctx := context.Background()
	id := h.call("5550100", "sales")
	require.Equal(t, "201", h.waitConnected("sales", id))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Transfer(ctx, id, "queue:nope")))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Transfer(ctx, "nope", "queue:support")))
	time.Sleep(20 * time.Millisecond) // 2 s of talk
	require.NoError(t, h.eng.Transfer(ctx, id, "queue:support"))
	require.Equal(t, "203", h.waitConnected("support", id))
	tr := h.waitRow(id, "TRANSFER")
	require.Equal(t, []string{"sales", "Agent/201", "support", "queue"}, []string{tr.QueueName, tr.Agent, tr.Data1, tr.Data2})
	require.Equal(t, "1", tr.Data5)
	require.NotEqual(t, "0", tr.Data4, "talk seconds")
	require.Eventually(t, func() bool { return h.agentState("201").Status == centralita.AgentWrapup }, 5*time.Second, time.Millisecond)
	h.farHangup(id)
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "TRANSFER", "ENTERQUEUE", "CONNECT", "COMPLETECALLER"}, h.callEvents(id, "COMPLETECALLER"))
	second := h.rows(centralita.QueueLogFilter{CallID: id, Event: "ENTERQUEUE"})[1]
	require.Equal(t, "support", second.QueueName)
	conn := h.rows(centralita.QueueLogFilter{CallID: id, Event: "CONNECT"})[1]
	require.True(t, strings.HasPrefix(conn.Data2, id+"-a"), conn.Data2)
	h.waitQuiet()
	require.Equal(t, 1, h.queueStatus("sales").Transferred)
	require.Equal(t, 1, h.queueStatus("support").Completed)
	h.requireCountersMatchLog()
}

func TestTransferToExtension(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear}, centralita.Queue{})
	ctx := context.Background()
	id := h.call("5550100", "sales")
	h.waitConnected("sales", id)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.Transfer(ctx, id, "12a")))
	require.NoError(t, h.eng.Transfer(ctx, id, "110"))
	tr := h.waitRow(id, "TRANSFER")
	require.Equal(t, []string{"110", "extension"}, []string{tr.Data1, tr.Data2})
	// The extension answers and is bridged with the caller; the agent is free.
	require.Eventually(t, func() bool {
		for _, ch := range h.channels() {
			if strings.HasPrefix(ch, id+"-x") {
				return true
			}
		}
		return false
	}, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return h.agentState("201").Status == centralita.AgentNotInUse }, 5*time.Second, time.Millisecond)
	require.Zero(t, h.queueStatus("sales").Ongoing, "the caller left the ACD")
	time.Sleep(20 * time.Millisecond)
	h.farHangup(id)
	h.waitQuiet() // the extension is hung up with the caller
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "TRANSFER"}, events(h.rows(centralita.QueueLogFilter{CallID: id})))

	// An outside number goes through the trunk; one that is busy ends the caller.
	id = h.call("5550101", "sales")
	h.waitConnected("sales", id)
	require.NoError(t, h.eng.Transfer(ctx, id, "5557")) // ends in 7: busy
	require.Eventually(t, func() bool { return len(h.channels()) == 0 }, 5*time.Second, time.Millisecond)
	h.waitQuiet()
}

func TestOverflow(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear, MaxWaitSec: 10, OverflowQueue: "support"}, centralita.Queue{MaxWaitSec: 5})
	ctx := context.Background()
	for _, a := range []string{"201", "202", "203"} {
		require.NoError(t, h.eng.Pause(ctx, a, nil, "x"))
	}
	id := h.call("5550100", "sales")
	require.Eventually(t, func() bool {
		return len(h.rows(centralita.QueueLogFilter{CallID: id, Event: "EXITWITHTIMEOUT"})) == 2
	}, 5*time.Second, 2*time.Millisecond)
	rs := h.rows(centralita.QueueLogFilter{CallID: id})
	require.Equal(t, []string{"ENTERQUEUE", "EXITWITHTIMEOUT", "ENTERQUEUE", "EXITWITHTIMEOUT"}, events(rs))
	require.Equal(t, []string{"sales", "sales", "support", "support"}, []string{rs[0].QueueName, rs[1].QueueName, rs[2].QueueName, rs[3].QueueName})
	require.Equal(t, []string{"1", "1"}, []string{rs[1].Data1, rs[1].Data2})
	require.GreaterOrEqual(t, rs[2].Time.Sub(rs[0].Time), 10*time.Second)
	require.GreaterOrEqual(t, rs[3].Time.Sub(rs[2].Time), 5*time.Second, "the wait restarts in the overflow queue")
	// No overflow queue: the message plays, then the call is hung up.
	require.Eventually(t, func() bool { return len(h.channels()) == 0 }, 5*time.Second, 2*time.Millisecond)
	require.Equal(t, 1, h.queueStatus("sales").Overflowed)
	require.Equal(t, 1, h.queueStatus("support").Overflowed)
	h.requireCountersMatchLog()
}

func TestUnknownQueueIsHungUp(t *testing.T) {
	h := twoQueues(t, centralita.Queue{}, centralita.Queue{})
	h.call("5550100", "nope")
	require.Eventually(t, func() bool { return len(h.channels()) == 0 }, 5*time.Second, 2*time.Millisecond)
	require.Empty(t, h.rows(centralita.QueueLogFilter{}))
	// Channels of other applications' arguments are left alone.
	out := h.control("POST", "/sim/calls", map[string]any{"from": "5550100", "to": "s1", "app": "centralita", "args": []string{"originate", "x"}})
	time.Sleep(30 * time.Millisecond)
	require.Contains(t, h.channels(), out["channel_id"])
	h.farHangup(out["channel_id"].(string))
}
