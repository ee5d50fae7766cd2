package acd_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestRestartRestoresLoginsAndCounters(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear}, centralita.Queue{})
	ctx := context.Background()
	require.NoError(t, h.eng.Logout(ctx, "203"))
	require.NoError(t, h.eng.Pause(ctx, "202", nil, "Almuerzo"))
	require.NoError(t, h.eng.Login(ctx, "201", "SIP/105"))
	for range 3 {
		id := h.call("5550100", "sales")
		require.Equal(t, "201", h.waitConnected("sales", id))
		h.farHangup(id)
		h.waitRow(id, "COMPLETECALLER")
		h.waitQuiet()
	}
	ab := h.call("5550101", "support")
	require.Eventually(t, func() bool { return h.queueStatus("support").Waiting == 1 }, 5*time.Second, time.Millisecond)
	h.farHangup(ab)
	h.waitRow(ab, "ABANDON")
	before := h.snapshot()
	h.close()

	h.start()
	after := h.snapshot()
	for i, a := range after.Agents {
		b := before.Agents[i]
		require.Equal(t, b.LoggedIn, a.LoggedIn, a.Agent.Number)
		require.Equal(t, b.Interface, a.Interface, a.Agent.Number)
		require.Equal(t, b.Paused, a.Paused, a.Agent.Number)
		require.Equal(t, b.PauseReason, a.PauseReason, a.Agent.Number)
	}
	require.Equal(t, "SIP/105", after.Agents[0].Interface)
	require.True(t, after.Agents[1].Paused)
	require.False(t, after.Agents[2].LoggedIn)
	for i, q := range after.Queues {
		b := before.Queues[i]
		require.Equal(t, []int{b.Offered, b.Answered, b.Completed, b.Abandoned}, []int{q.Offered, q.Answered, q.Completed, q.Abandoned}, q.Queue.Name)
		require.Equal(t, b.TalkTotal, q.TalkTotal)
		for j, m := range q.MemberStates {
			require.Equal(t, b.MemberStates[j].CallsTaken, m.CallsTaken)
			require.Equal(t, b.MemberStates[j].LastCall.Unix(), m.LastCall.Unix())
		}
	}
	require.Equal(t, 3, after.Queues[0].Completed)
	h.requireCountersMatchLog()

	// The restored login takes calls at its interface (PJSIP/105).
	id := h.call("5550102", "sales")
	require.Equal(t, "201", h.waitConnected("sales", id))
	require.Contains(t, h.channels(), id+"-a1")
	h.farHangup(id)
	h.waitQuiet()
}

func TestRestartHangsUpLeftovers(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear}, centralita.Queue{})
	ctx := context.Background()
	require.NoError(t, h.eng.Pause(ctx, "203", nil, ""))
	talking := h.call("5550100", "sales")
	h.waitConnected("sales", talking)
	waiting := h.call("5550101", "support")
	require.Eventually(t, func() bool { return h.queueStatus("support").Waiting == 1 }, 5*time.Second, time.Millisecond)
	h.close()
	require.Len(t, h.channels(), 3)

	h.start()
	require.Eventually(t, func() bool { return len(h.channels()) == 0 }, 5*time.Second, time.Millisecond, "leftovers are hung up")
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETEAGENT"}, h.callEvents(talking, "COMPLETEAGENT"))
	require.Equal(t, []string{"ENTERQUEUE", "ABANDON"}, h.callEvents(waiting, "ABANDON"))
	h.waitQuiet()
	h.requireCountersMatchLog()
}

func TestReconnectReconciles(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear}, centralita.Queue{})
	ctx := context.Background()
	require.NoError(t, h.eng.Pause(ctx, "203", nil, ""))
	talking := h.call("5550100", "sales")
	h.waitConnected("sales", talking)
	waiting := h.call("5550101", "support")
	require.Eventually(t, func() bool { return h.queueStatus("support").Waiting == 1 }, 5*time.Second, time.Millisecond)

	// The events stream drops; both callers hang up in the gap.
	h.control("POST", "/sim/websockets/cut", nil)
	h.farHangup(talking)
	h.farHangup(waiting)
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER"}, h.callEvents(talking, "COMPLETECALLER"))
	require.Equal(t, []string{"ENTERQUEUE", "ABANDON"}, h.callEvents(waiting, "ABANDON"))
	h.waitQuiet()
	require.Equal(t, centralita.AgentNotInUse, h.agentState("201").Status, "no agent stays busy")

	// After the reconnection calls flow again.
	id := h.call("5550102", "sales")
	h.waitConnected("sales", id)
	h.farHangup(id)
	h.waitQuiet()
	h.requireCountersMatchLog()
}

func TestReloadMembership(t *testing.T) {
	h := twoQueues(t, centralita.Queue{Strategy: centralita.StrategyLinear}, centralita.Queue{})
	ctx := context.Background()
	id := h.call("5550100", "sales")
	require.Equal(t, "201", h.waitConnected("sales", id))
	require.NoError(t, h.queues.RemoveMember(ctx, "sales", "201"))
	require.NoError(t, h.queues.SetMember(ctx, &centralita.QueueMember{Queue: "support", Agent: "202"}))
	require.NoError(t, h.eng.Reload(ctx))
	rm := h.waitRow("", "REMOVEMEMBER")
	require.Equal(t, []string{"sales", "Agent/201"}, []string{rm.QueueName, rm.Agent})
	add := h.waitRow("", "ADDMEMBER")
	require.Equal(t, []string{"support", "Agent/202"}, []string{add.QueueName, add.Agent})
	require.Equal(t, 1, h.queueStatus("sales").Ongoing, "the call goes on")
	h.farHangup(id)
	h.waitRow(id, "COMPLETECALLER")
	next := h.call("5550101", "sales")
	require.Equal(t, "202", h.waitConnected("sales", next))
	h.farHangup(next)
	h.waitQuiet()
}

// TestPenaltyStepWidens checks that the penalty levels are the distinct
// penalties of the members available now: the lowest available is rung at
// once, and each PenaltyStepSec admits the next level, whatever the gap.
func TestPenaltyStepWidens(t *testing.T) {
	h := newEnv(t, envConfig{
		queues: []centralita.Queue{{Name: "sales", Strategy: centralita.StrategyLinear, PenaltyStepSec: 10, RingTimeoutSec: 5, RetrySec: 60}},
		agents: 3, login: true,
		members: map[string][]string{"sales": {"201", "202", "203"}}, penalties: map[string][]int{"sales": {0, 5, 9}},
	})
	held := func(id string) time.Duration {
		return h.waitRow(id, "CONNECT").Time.Sub(h.waitRow(id, "ENTERQUEUE").Time)
	}
	// 201 (penalty 0) is busy: 202 (penalty 5) is the lowest level available, rung at once.
	busy := h.call("5550100", "sales")
	require.Equal(t, "201", h.waitConnected("sales", busy))
	id := h.call("5550101", "sales")
	require.Equal(t, "202", h.waitConnected("sales", id))
	require.Less(t, held(id), 10*time.Second, "a busy lower level does not hold the call back")
	h.farHangup(id)
	h.farHangup(busy)
	h.waitQuiet()

	// 201 is available but does not answer: 202 is the next level, admitted
	// after one step (not after 5 steps for penalty 5); 203 is never rung.
	h.behave("101", map[string]any{"outcome": "noanswer"})
	id = h.call("5550102", "sales")
	require.Equal(t, "202", h.waitConnected("sales", id))
	wait := held(id)
	require.GreaterOrEqual(t, wait, 10*time.Second, "the next level opens after one step")
	require.Less(t, wait, 20*time.Second, "the next level opens after one step")
	rna := h.rows(centralita.QueueLogFilter{CallID: id, Event: "RINGNOANSWER"})
	require.Len(t, rna, 1)
	require.Equal(t, "Agent/201", rna[0].Agent)
	h.farHangup(id)
	h.waitQuiet()
}

// TestLogoutMidCallSurvivesRestart checks that a logout waiting for a call
// is saved at once: a restart does not log the agent back in, and closes
// its session in queue_log.
func TestLogoutMidCallSurvivesRestart(t *testing.T) {
	h := newScripted(t)
	ctx := context.Background()
	require.NoError(t, h.eng.Login(ctx, "201", "PJSIP/150"))
	require.NoError(t, h.eng.Pause(ctx, "202", nil, ""))
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.waitRow("c1", "CONNECT")
	require.NoError(t, h.eng.Pause(ctx, "201", nil, "Almuerzo"))
	require.NoError(t, h.eng.Logout(ctx, "201"))
	a, err := h.agents.FindAgent(ctx, "201")
	require.NoError(t, err)
	require.Empty(t, a.Interface, "the store says logged out at once")
	st := h.agentState("201")
	require.True(t, st.LoggedIn, "the engine keeps the agent until its call ends")
	require.Equal(t, centralita.AgentInUse, st.Status)
	require.Equal(t, []string{"REMOVEMEMBER", "ADDMEMBER"}, sessionEvents(h.rows(centralita.QueueLogFilter{}), "sales", "Agent/201"))

	h.close() // the call is still up
	h.start()
	require.False(t, h.agentState("201").LoggedIn, "not restored from the log's open call")
	require.True(t, h.agentState("202").LoggedIn)
	h.waitRow("c1", "COMPLETEAGENT")
	require.Eventually(t, func() bool { return !h.pbx.isLive("c1") && !h.pbx.isLive("c1-a1") }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		return slices.Equal([]string{"REMOVEMEMBER", "ADDMEMBER", "REMOVEMEMBER"}, sessionEvents(h.rows(centralita.QueueLogFilter{}), "sales", "Agent/201"))
	}, 5*time.Second, time.Millisecond, "the session is closed")
	require.Empty(t, sessionEvents(h.rows(centralita.QueueLogFilter{}), "sales", "Agent/202"), "a restored session goes on")
	require.False(t, h.agentState("201").Paused)
	require.Eventually(t, func() bool {
		ms, err := h.queues.FindMembers(ctx, "sales", "201")
		return err == nil && len(ms) == 1 && !ms[0].Paused
	}, 5*time.Second, time.Millisecond, "the logout ends the pause in the store too")
}

// TestRestartAfterTransferToExtension checks that a restart hangs up the
// callers a previous run transferred to an extension, with their bridges,
// found by the transfer leg or by the TRANSFER row.
func TestRestartAfterTransferToExtension(t *testing.T) {
	h := newScripted(t)
	ctx := context.Background()
	for _, id := range []string{"c1", "c2"} {
		h.pbx.inbound(id, "sales")
		h.waitDialled(id + "-a1")
		h.pbx.enter(id+"-a1", "acd", id, "agent")
		h.waitRow(id, "CONNECT")
		require.NoError(t, h.eng.Transfer(ctx, id, "110"))
		h.waitDialled(id + "-x2")
		h.pbx.enter(id+"-x2", "acd", id, "xfer")
		require.Eventually(t, func() bool { return h.pbx.inBridge(id) && h.pbx.inBridge(id+"-x2") }, 5*time.Second, time.Millisecond)
	}
	h.close()
	h.pbx.vanish("c2-x2") // c2's target hung up while nobody listened: c2 is alone
	require.Equal(t, []string{"c1-xbridge", "c2-xbridge"}, h.pbx.bridgeIDs())

	h.start()
	require.Eventually(t, func() bool {
		return !h.pbx.isLive("c1") && !h.pbx.isLive("c1-x2") && !h.pbx.isLive("c2") && len(h.pbx.bridgeIDs()) == 0
	}, 5*time.Second, time.Millisecond, "callers, legs and bridges are left: %v", h.pbx.bridgeIDs())
	for _, id := range []string{"c1", "c2"} {
		require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "TRANSFER"}, events(h.rows(centralita.QueueLogFilter{CallID: id})), "TRANSFER closed %s", id)
	}
}
