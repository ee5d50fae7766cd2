package acd_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
)

// reconnect sends PBXReconnected and waits until the engine has listed the channels.
func (h *scripted) reconnect() {
	h.t.Helper()
	listed, release := h.pbx.holdList()
	h.pbx.events <- centralita.ChannelEvent{Type: centralita.PBXReconnected}
	<-listed
	release()
}

// setQueue changes queue sales and reloads.
func (h *scripted) setQueue(f func(q *centralita.Queue)) {
	h.t.Helper()
	ctx := context.Background()
	q, err := h.queues.FindQueue(ctx, "sales")
	require.NoError(h.t, err)
	f(q)
	require.NoError(h.t, h.queues.UpdateQueue(ctx, q))
	require.NoError(h.t, h.eng.Reload(ctx))
}

// TestReconcileSparesLegsDialledDuringListing checks that a leg dialled
// while the channel list was being fetched is not taken for dead.
func TestReconcileSparesLegsDialledDuringListing(t *testing.T) {
	h := newScripted(t)
	h.setQueue(func(q *centralita.Queue) { q.RingTimeoutSec = 300 })
	ctx := context.Background()
	for _, a := range []string{"201", "202"} {
		require.NoError(t, h.eng.Pause(ctx, a, nil, ""))
	}
	h.pbx.inbound("c1", "sales")
	require.Eventually(t, func() bool { return h.queueStatus("sales").Waiting == 1 }, 5*time.Second, time.Millisecond)
	listed, release := h.pbx.holdList()
	h.pbx.events <- centralita.ChannelEvent{Type: centralita.PBXReconnected}
	<-listed // the list is taken, without c1-a1...
	require.NoError(t, h.eng.Unpause(ctx, "201", nil))
	h.waitDialled("c1-a1")            // ...which is dialled before it comes back
	time.Sleep(20 * time.Millisecond) // and the engine has seen the dial succeed
	release()
	time.Sleep(30 * time.Millisecond)
	require.Empty(t, h.rows(centralita.QueueLogFilter{Event: "RINGNOANSWER"}), "the leg is not taken for dead")
	require.Equal(t, centralita.AgentRinging, h.agentState("201").Status)
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	require.Equal(t, "Agent/201", h.waitRow("c1", "CONNECT").Agent)
	require.Eventually(t, func() bool { return h.pbx.inBridge("c1-a1") }, 5*time.Second, time.Millisecond)
	require.Zero(t, h.pbx.hangups("c1-a1"))
}

// TestReconcileThenRealStasisStart checks that an answer reconcile made up
// from the channel list, followed by the leg's real StasisStart, connects
// once and keeps the agent on the call.
func TestReconcileThenRealStasisStart(t *testing.T) {
	h := newScripted(t)
	h.setQueue(func(q *centralita.Queue) { q.RingTimeoutSec = 300 })
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	time.Sleep(20 * time.Millisecond) // the engine has seen the dial succeed
	h.pbx.mu.Lock()
	h.pbx.live["c1-a1"] = "Up" // answered while events were lost
	h.pbx.mu.Unlock()
	h.reconnect()
	h.waitRow("c1", "CONNECT")
	require.Eventually(t, func() bool { return h.pbx.inBridge("c1-a1") && h.pbx.inBridge("c1") }, 5*time.Second, time.Millisecond)
	h.pbx.enter("c1-a1", "acd", "c1", "agent") // the real StasisStart, late
	time.Sleep(30 * time.Millisecond)
	require.Zero(t, h.pbx.hangups("c1-a1"), "the connected agent is not hung up")
	require.True(t, h.pbx.inBridge("c1-a1"))
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT"}, events(h.rows(centralita.QueueLogFilter{CallID: "c1"})))
	require.Equal(t, centralita.AgentInUse, h.agentState("201").Status)
}

// TestReconcileHangsUpLegThatShowsUp checks that a leg taken for dead by
// reconcile is hung up when a later listing shows it after all.
func TestReconcileHangsUpLegThatShowsUp(t *testing.T) {
	h := newScripted(t)
	h.setQueue(func(q *centralita.Queue) { q.RingTimeoutSec = 300 }) // no attempt rings out meanwhile
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	time.Sleep(20 * time.Millisecond)
	h.pbx.vanish("c1-a1")
	h.reconnect()
	require.Equal(t, "Agent/201", h.waitRow("c1", "RINGNOANSWER").Agent)
	h.waitDialled("c1-a2")
	h.pbx.mu.Lock()
	h.pbx.live["c1-a1"] = "Ringing" // there after all
	h.pbx.mu.Unlock()
	h.reconnect()
	require.Eventually(t, func() bool { return !h.pbx.isLive("c1-a1") }, 5*time.Second, time.Millisecond, "the stray leg is hung up")
	require.True(t, h.pbx.isLive("c1-a2"), "the live attempt rings on")
}

// TestUndialledOfferForgotten checks that a ringall attempt that is never
// dialled (another agent answered while its device state was being read)
// leaves no leg behind.
func TestUndialledOfferForgotten(t *testing.T) {
	h := newScripted(t)
	h.setQueue(func(q *centralita.Queue) { q.Strategy, q.RingTimeoutSec = centralita.StrategyRingAll, 300 })
	release := h.pbx.holdDevice("PJSIP/102")
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.waitRow("c1", "CONNECT")
	release()
	require.Eventually(t, func() bool { return slices.Equal([]string{"c1", "c1-a1"}, acd.Legs(h.eng)) }, 5*time.Second, time.Millisecond,
		"legs: %v", acd.Legs(h.eng))
	require.NotContains(t, h.pbx.dialled(), "c1-a2")
	require.Equal(t, centralita.AgentNotInUse, h.agentState("202").Status)
}
