package acd_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sales is a queue of agents 201..20n in that order.
func salesEnv(t *testing.T, q centralita.Queue, n int) *env {
	t.Helper()
	if q.Name == "" {
		q.Name = "sales"
	}
	var ms []string
	for i := 1; i <= n; i++ {
		ms = append(ms, strconv.Itoa(200+i))
	}
	return newEnv(t, envConfig{queues: []centralita.Queue{q}, agents: n, members: map[string][]string{q.Name: ms}, login: true})
}

func TestCallAnsweredAndCompleted(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear}, 2)
	id := h.call("5550100", "sales")
	require.Equal(t, "201", h.waitConnected("sales", id))
	st := h.agentState("201")
	require.Equal(t, centralita.AgentInUse, st.Status)
	require.Equal(t, id, st.Call)
	h.farHangup(id)
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER"}, h.callEvents(id, "COMPLETECALLER"))
	h.waitQuiet()
	enter := h.waitRow(id, "ENTERQUEUE")
	require.Equal(t, "NONE", enter.Agent)
	require.Equal(t, "5550100", enter.Data2)
	require.Equal(t, "1", enter.Data3)
	conn := h.waitRow(id, "CONNECT")
	require.Equal(t, "Agent/201", conn.Agent)
	require.Equal(t, id+"-a1", conn.Data2)
	done := h.waitRow(id, "COMPLETECALLER")
	require.Equal(t, "1", done.Data3)
	q := h.queueStatus("sales")
	require.Equal(t, 1, q.Offered)
	require.Equal(t, 1, q.Answered)
	require.Equal(t, 1, q.Completed)
	require.Equal(t, 1, q.MemberStates[0].CallsTaken)
	h.requireCountersMatchLog()
}

var _ = context.Background
var _ = time.Second

func TestRingNoAnswerSkipsAgent(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear, RingTimeoutSec: 5}, 3)
	h.behave("101", map[string]any{"outcome": "noanswer"})
	h.behave("102", map[string]any{"outcome": "decline", "ring_delay": "1s"})
	id := h.call("5550100", "sales")
	require.Equal(t, "203", h.waitConnected("sales", id))
	rs := h.rows(centralita.QueueLogFilter{CallID: id, Event: "RINGNOANSWER"})
	require.Len(t, rs, 2)
	require.Equal(t, "Agent/201", rs[0].Agent)
	ms, _ := strconv.Atoi(rs[0].Data1)
	require.True(t, ms >= 4500 && ms < 10000, "201 rang for the ring timeout: %d ms", ms)
	require.Equal(t, "Agent/202", rs[1].Agent)
	ms, _ = strconv.Atoi(rs[1].Data1)
	require.Less(t, ms, 3000, "202 declined after ringing a second")
	require.False(t, h.agentState("201").LastRejectAt.IsZero())
	require.Equal(t, centralita.AgentNotInUse, h.agentState("201").Status, "a missed call does not leave the agent busy")
	h.farHangup(id)
	h.waitRow(id, "COMPLETECALLER")
	h.waitQuiet()
	h.requireCountersMatchLog()
}

func TestRetryAfterRoundWithNoAnswer(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear, RingTimeoutSec: 3, RetrySec: 10}, 1)
	h.behave("101", map[string]any{"outcome": "noanswer"})
	id := h.call("5550100", "sales")
	first := h.waitRow(id, "RINGNOANSWER")
	h.behave("101", map[string]any{"outcome": "answer"})
	h.waitConnected("sales", id)
	conn := h.waitRow(id, "CONNECT")
	require.GreaterOrEqual(t, conn.Time.Sub(first.Time), 9*time.Second, "the agent is rung again after RetrySec")
	h.farHangup(id)
	h.waitQuiet()
}

func TestAbandon(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyRingAll, RingTimeoutSec: 60}, 1)
	require.NoError(t, h.eng.Pause(context.Background(), "201", nil, ""))
	waiting := h.call("5550100", "sales")
	require.Eventually(t, func() bool { return h.queueStatus("sales").Waiting == 1 }, 5*time.Second, time.Millisecond)
	second := h.call("5550101", "sales")
	require.Eventually(t, func() bool { return h.queueStatus("sales").Waiting == 2 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // 5 s of waiting
	h.farHangup(second)
	ab := h.waitRow(second, "ABANDON")
	require.Equal(t, []string{"2", "2"}, []string{ab.Data1, ab.Data2})
	wait, _ := strconv.Atoi(ab.Data3)
	require.GreaterOrEqual(t, wait, 4)

	// Abandoned while an agent rings: the ring is cancelled too.
	h.behave("101", map[string]any{"outcome": "noanswer"})
	require.NoError(t, h.eng.Unpause(context.Background(), "201", nil))
	require.Eventually(t, func() bool { return slices.Contains(h.channels(), waiting+"-a1") }, 5*time.Second, time.Millisecond)
	require.Equal(t, centralita.AgentRinging, h.agentState("201").Status)
	h.farHangup(waiting)
	require.Equal(t, []string{"ENTERQUEUE", "RINGCANCELED", "ABANDON"}, h.callEvents(waiting, "ABANDON"))
	h.waitQuiet()
	q := h.queueStatus("sales")
	require.Equal(t, 2, q.Abandoned)
	require.Zero(t, q.Waiting)
	h.requireCountersMatchLog()
}

func TestPausedAgentGetsNoCalls(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear}, 2)
	ctx := context.Background()
	require.NoError(t, h.agents.SetPauseReason(ctx, &centralita.PauseReason{Code: "1", Name: "Almuerzo"}))
	require.NoError(t, h.eng.Reload(ctx))
	require.NoError(t, h.eng.Pause(ctx, "201", []string{"sales"}, "1"))
	p := h.waitRow("", "PAUSE")
	require.Equal(t, []string{"Agent/201", "sales", "Almuerzo"}, []string{p.Agent, p.QueueName, p.Data1})
	st := h.agentState("201")
	require.True(t, st.Paused)
	require.Equal(t, "Almuerzo", st.PauseReason)
	for i := range 5 {
		id := h.call("555010"+strconv.Itoa(i), "sales")
		require.Equal(t, "202", h.waitConnected("sales", id), "a paused agent gets no calls")
		h.farHangup(id)
		h.waitQuiet()
	}
	ms, err := h.queues.FindMembers(ctx, "sales", "201")
	require.NoError(t, err)
	require.True(t, ms[0].Paused)
	require.Equal(t, "Almuerzo", ms[0].PauseReason)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.Pause(ctx, "201", []string{"support"}, "")))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Pause(ctx, "299", nil, "")))

	require.NoError(t, h.eng.Unpause(ctx, "201", nil))
	u := h.waitRow("", "UNPAUSE")
	require.Equal(t, "Almuerzo", u.Data1)
	id := h.call("5550200", "sales")
	require.Equal(t, "201", h.waitConnected("sales", id))
	h.farHangup(id)
	h.waitQuiet()
}

func TestWrapupDelaysNextCall(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear, WrapupSec: 20}, 1)
	first := h.call("5550100", "sales")
	h.waitConnected("sales", first)
	h.farHangup(first)
	done := h.waitRow(first, "COMPLETECALLER")
	require.Eventually(t, func() bool { return h.agentState("201").Status == centralita.AgentWrapup }, 5*time.Second, time.Millisecond)
	require.Equal(t, 1, h.queueStatus("sales").Wrapup)
	second := h.call("5550101", "sales")
	h.waitConnected("sales", second)
	conn := h.waitRow(second, "CONNECT")
	require.GreaterOrEqual(t, conn.Time.Sub(done.Time), 19*time.Second, "the next call waits for the wrap-up")
	hold, _ := strconv.Atoi(conn.Data1)
	require.GreaterOrEqual(t, hold, 10, "the second call waited for the wrap-up")
	h.farHangup(second)
	h.waitRow(second, "COMPLETECALLER")
}

func TestLogoutMidCallEndsNothingAbruptly(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear, WrapupSec: 30}, 1)
	ctx := context.Background()
	id := h.call("5550100", "sales")
	h.waitConnected("sales", id)
	require.NoError(t, h.eng.Logout(ctx, "201"))
	time.Sleep(30 * time.Millisecond)
	require.Equal(t, centralita.AgentInUse, h.agentState("201").Status, "the call goes on")
	require.Contains(t, h.channels(), id)
	require.Empty(t, h.rows(centralita.QueueLogFilter{Event: "REMOVEMEMBER"}))
	h.farHangup(id)
	h.waitRow("", "REMOVEMEMBER")
	var evs []string
	for _, r := range h.rows(centralita.QueueLogFilter{}) {
		evs = append(evs, r.Event)
	}
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER", "REMOVEMEMBER"}, evs)
	st := h.agentState("201")
	require.False(t, st.LoggedIn)
	require.Equal(t, centralita.AgentUnavailable, st.Status, "no wrap-up after a logout")
	require.Eventually(t, func() bool {
		a, err := h.agents.FindAgent(ctx, "201")
		return err == nil && a.Interface == "" && a.LoggedInAt == nil
	}, 5*time.Second, 5*time.Millisecond, "the logout is saved")
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.Logout(ctx, "201")))

	// Logged out agents get no calls; logging in again writes ADDMEMBER.
	next := h.call("5550101", "sales")
	time.Sleep(30 * time.Millisecond)
	require.Equal(t, 1, h.queueStatus("sales").Waiting)
	require.NoError(t, h.eng.Login(ctx, "201", "SIP/101"))
	add := h.waitRow("", "ADDMEMBER")
	require.Equal(t, "SIP/101", add.Data1)
	h.waitConnected("sales", next)
	h.farHangup(next)
	h.waitRow(next, "COMPLETECALLER")
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.Login(ctx, "201", "101")))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Login(ctx, "299", "SIP/101")))
}
