package acd_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestReloadRemovedQueueOverflowsItsCalls(t *testing.T) {
	h := newScripted(t)
	ctx := context.Background()
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.waitRow("c1", "CONNECT")
	require.NoError(t, h.eng.Pause(ctx, "202", nil, ""))
	h.pbx.inbound("c2", "sales")
	require.Eventually(t, func() bool { return h.queueStatus("sales").Waiting == 1 }, 5*time.Second, time.Millisecond)

	require.NoError(t, h.queues.DeleteQueue(ctx, "sales"))
	require.NoError(t, h.eng.Reload(ctx))
	// The waiting call leaves as after MaxWaitSec with no overflow queue.
	ex := h.waitRow("c2", "EXITWITHTIMEOUT")
	require.Equal(t, []string{"sales", "1", "1"}, []string{ex.QueueName, ex.Data1, ex.Data2})
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		return slices.Contains(h.pbx.plays, "c2 "+centralita.DefaultOverflowSound)
	}, 5*time.Second, time.Millisecond, "the overflow sound plays")
	require.Eventually(t, func() bool { return !h.pbx.isLive("c2") }, 5*time.Second, time.Millisecond, "then the caller is hung up")
	require.Empty(t, h.snapshot().Queues)

	// The connected call goes on and completes under the old name.
	h.pbx.destroy("c1", 16)
	done := h.waitRow("c1", "COMPLETECALLER")
	require.Equal(t, []string{"sales", "Agent/201"}, []string{done.QueueName, done.Agent})
	h.pbx.destroy("c1-a1", 16)
	h.waitStatus("201", centralita.AgentNotInUse)
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER"}, events(h.rows(centralita.QueueLogFilter{CallID: "c1"})))
	// Both members' sessions in the queue end with it.
	for _, a := range []string{"Agent/201", "Agent/202"} {
		require.Equal(t, []string{"REMOVEMEMBER"}, sessionEvents(h.rows(centralita.QueueLogFilter{}), "sales", a), a)
	}
}

// sessionEvents lists the ADDMEMBER and REMOVEMEMBER rows of an agent in a queue.
func sessionEvents(rs []*centralita.QueueLogEntry, queue, agent string) []string {
	var out []string
	for _, r := range rs {
		if r.QueueName == queue && r.Agent == agent && (r.Event == "ADDMEMBER" || r.Event == "REMOVEMEMBER") {
			out = append(out, r.Event)
		}
	}
	return out
}

// TestSessionsStayPaired checks that a Reload, or a login at the same
// interface, while a logout waits for a call to end leaves every session
// an ADDMEMBER…REMOVEMEMBER pair per queue.
func TestSessionsStayPaired(t *testing.T) {
	h := newScripted(t)
	ctx := context.Background()
	require.NoError(t, h.queues.CreateQueue(ctx, &centralita.Queue{Name: "support", Strategy: centralita.StrategyLinear}))
	require.NoError(t, h.eng.Reload(ctx))
	require.NoError(t, h.eng.Pause(ctx, "202", nil, ""))
	// A session the log has from its start: 201 moves to another phone.
	require.NoError(t, h.eng.Login(ctx, "201", "PJSIP/150"))
	sessions := func(queue string) []string {
		return sessionEvents(h.rows(centralita.QueueLogFilter{}), queue, "Agent/201")
	}
	require.Eventually(t, func() bool { return len(sessions("sales")) == 2 }, 5*time.Second, time.Millisecond)

	// A logout waits for the call; meanwhile 201 moves from sales to support.
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.waitRow("c1", "CONNECT")
	require.NoError(t, h.eng.Logout(ctx, "201"))
	require.NoError(t, h.queues.RemoveMember(ctx, "sales", "201"))
	require.NoError(t, h.queues.SetMember(ctx, &centralita.QueueMember{Queue: "support", Agent: "201"}))
	require.NoError(t, h.eng.Reload(ctx))
	h.pbx.destroy("c1", 16)
	h.waitRow("c1", "COMPLETECALLER")
	h.pbx.destroy("c1-a1", 16)
	h.waitStatus("201", centralita.AgentUnavailable)
	require.Eventually(t, func() bool { return len(sessions("support")) == 2 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"REMOVEMEMBER", "ADDMEMBER", "REMOVEMEMBER"}, sessions("sales"))
	require.Equal(t, []string{"ADDMEMBER", "REMOVEMEMBER"}, sessions("support"))

	// Logged in again; a logout waits for a call, a Reload adds sales back,
	// and a login at the same phone cancels the logout.
	require.NoError(t, h.eng.Login(ctx, "201", "PJSIP/150"))
	h.pbx.inbound("c2", "support")
	h.waitDialled("c2-a1")
	h.pbx.enter("c2-a1", "acd", "c2", "agent")
	h.waitRow("c2", "CONNECT")
	require.NoError(t, h.eng.Logout(ctx, "201"))
	require.NoError(t, h.queues.SetMember(ctx, &centralita.QueueMember{Queue: "sales", Agent: "201"}))
	require.NoError(t, h.eng.Reload(ctx))
	require.NoError(t, h.eng.Login(ctx, "201", "PJSIP/150"))
	h.pbx.destroy("c2", 16)
	h.waitRow("c2", "COMPLETECALLER")
	h.pbx.destroy("c2-a1", 16)
	h.waitStatus("201", centralita.AgentNotInUse)
	a, err := h.agents.FindAgent(ctx, "201")
	require.NoError(t, err)
	require.Equal(t, "PJSIP/150", a.Interface, "the store says logged in again")
	require.NoError(t, h.eng.Logout(ctx, "201"))
	require.Eventually(t, func() bool { return len(sessions("support")) == 4 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"REMOVEMEMBER", "ADDMEMBER", "REMOVEMEMBER", "ADDMEMBER", "REMOVEMEMBER"}, sessions("sales"))
	require.Equal(t, []string{"ADDMEMBER", "REMOVEMEMBER", "ADDMEMBER", "REMOVEMEMBER"}, sessions("support"))
}
