package acd_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestAgentCall(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear}, 1)
	ctx := context.Background()
	h.control("PUT", "/sim/rules", []map[string]any{{"match": "exact", "pattern": "5551234", "outcome": "answer", "ring_delay": "1s", "talk_duration": "20s"}})
	id, err := h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "agent1", Destination: "5551234", CallerID: "5550000", Queue: "sales", Data: "d=1", Form: "f"})
	require.NoError(t, err)
	data, form, ok := h.eng.AgentCallData(id)
	require.True(t, ok)
	require.Equal(t, []string{"d=1", "f"}, []string{data, form})
	require.Equal(t, centralita.AgentInUse, h.agentState("201").Status)
	_, err = h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234"})
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err), "the agent is busy")
	out := h.waitRow(id, "DIALOUT")
	require.Equal(t, []string{"sales", "Agent/201", "5551234"}, []string{out.QueueName, out.Agent, out.Data1})
	// While it lasts, the agent takes no queue call; the call shows as "out".
	queued := h.call("5550100", "sales")
	require.Eventually(t, func() bool {
		for _, c := range h.queueStatus("sales").Calls {
			if c.ID == id && c.Direction == "out" && !c.ConnectedAt.IsZero() && c.IVRData == "d=1" {
				return true
			}
		}
		return false
	}, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return h.queueStatus("sales").Waiting == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, 1, h.queueStatus("sales").Waiting, "the agent is busy with its own call")
	// The far end hangs up after 20 s of talk.
	end := h.waitRow(id, "DIALOUTEND")
	require.Equal(t, "5551234", end.Data2)
	talk, _ := strconv.Atoi(end.Data1)
	require.True(t, talk >= 15 && talk <= 25, "talk %d s", talk)
	h.waitConnected("sales", queued)
	h.farHangup(queued)
	h.waitQuiet()
	_, _, ok = h.eng.AgentCallData(id)
	require.False(t, ok)

	// Not answered by the agent: no DIALOUT at all; by the destination: talk 0.
	h.behave("101", map[string]any{"outcome": "busy"})
	id, err = h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.agentState("201").Status == centralita.AgentNotInUse }, 5*time.Second, time.Millisecond)
	require.Empty(t, h.rows(centralita.QueueLogFilter{CallID: id}))
	h.behave("101", map[string]any{"outcome": "answer"})
	id, err = h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Phone: "101", Destination: "5551237"}) // busy
	require.NoError(t, err)
	end = h.waitRow(id, "DIALOUTEND")
	require.Equal(t, []string{"NONE", "0"}, []string{end.QueueName, end.Data1})
	h.waitQuiet()

	for _, bad := range []centralita.AgentCallRequest{{Destination: "5551234"}, {Agent: "201", Destination: "55x"}, {Agent: "201", Phone: "10 1", Destination: "5551234"}} {
		_, err := h.eng.AgentCall(ctx, bad)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", bad)
	}
	_, err = h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "nobody", Destination: "5551234"})
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
}

func TestHangupAgent(t *testing.T) {
	h := salesEnv(t, centralita.Queue{Strategy: centralita.StrategyLinear}, 1)
	ctx := context.Background()
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.HangupAgent(ctx, "101")))
	id := h.call("5550100", "sales")
	h.waitConnected("sales", id)
	require.NoError(t, h.eng.HangupAgent(ctx, "101"))
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETEAGENT"}, h.callEvents(id, "COMPLETEAGENT"))
	h.waitQuiet()

	oc, err := h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551238"}) // rings out
	require.NoError(t, err)
	h.waitRow(oc, "DIALOUT")
	require.NoError(t, h.eng.HangupAgent(ctx, "SIP/101"))
	h.waitRow(oc, "DIALOUTEND")
	h.waitQuiet()
}

func TestCRMLookupsAndPush(t *testing.T) {
	crm := &fakeCRM{name: "Juan Perez", ivr: map[string]string{"menu": "opt=2;", "id": "doc=123;"}}
	h := newEnv(t, envConfig{queues: []centralita.Queue{{Name: "sales"}}, agents: 1, login: true,
		members: map[string][]string{"sales": {"201"}}, crm: crm})
	id := h.call("5550100", "sales", "ivrcode=menu", "ivrcode=id", "ivrdata=start;")
	h.waitConnected("sales", id)
	require.Eventually(t, func() bool { return len(crm.pushed()) == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, centralita.AgentInfo{UniqueID: id, Queue: "sales", CallerID: "Juan Perez <5550100>", AgentChannel: "SIP/101", IVRData: "start;opt=2;doc=123;"}, crm.pushed()[0])
	got, err := h.client.GetVariable(context.Background(), id, "CALLERID(name)")
	require.NoError(t, err)
	require.Equal(t, "Juan Perez", got)
	h.farHangup(id)
	h.waitQuiet()
}

func TestHangingCRMDoesNotHoldTheCall(t *testing.T) {
	crm := &fakeCRM{hang: true}
	h := newEnv(t, envConfig{queues: []centralita.Queue{{Name: "sales"}}, agents: 1, login: true,
		members: map[string][]string{"sales": {"201"}}, crm: crm, crmTO: 50 * time.Millisecond})
	start := time.Now()
	id := h.call("5550100", "sales", "ivrcode=menu")
	h.waitConnected("sales", id)
	require.Less(t, time.Since(start), time.Second, "the call waited only CRMTimeout for the CRM")
	h.farHangup(id)
	h.waitQuiet()
}
