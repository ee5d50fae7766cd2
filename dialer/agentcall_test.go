package dialer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestBlacklistAtLoadAndAtDial(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	require.NoError(t, h.black.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: "099000001", Campaign: "Ventas->"}))
	require.NoError(t, h.black.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: "099000002", Campaign: centralita.BlacklistAll}))
	require.NoError(t, h.black.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: "099000004", Campaign: "Other"}))
	cs := h.add("099000001", "099-000-002", "099000003", "099000004")
	for i, want := range []centralita.ContactState{centralita.ContactRejected, centralita.ContactRejected, centralita.ContactPending, centralita.ContactPending} {
		c := h.contact(cs[i].ID)
		require.Equal(t, want, c.State, "contact %d", i)
		if want == centralita.ContactRejected {
			require.Equal(t, centralita.OutcomeBlacklist, c.LastOutcome)
			require.Equal(t, []string{centralita.TransitionAPI, "Blacklisted"}, h.log(c.ID))
		}
	}

	// Listed after loading: checked again when it is about to be dialled.
	require.NoError(t, h.black.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: "099000003", Campaign: centralita.BlacklistAll}))
	h.acd.setFree("sales", 5)
	h.tick()
	require.Equal(t, []string{"099000004"}, h.pbx.numbers(), "a blacklisted number is never dialled")
	c := h.contact(cs[2].ID)
	require.Equal(t, centralita.ContactRejected, c.State)
	require.Equal(t, centralita.OutcomeBlacklist, c.LastOutcome)
	require.False(t, c.InFlight)
	require.Equal(t, []string{centralita.TransitionAPI, "Blacklisted"}, h.log(c.ID))
	atts, err := h.contacts.FindAttempts(ctx, c.ID)
	require.NoError(t, err)
	require.Empty(t, atts, "no call, no attempt")

	// Many contacts at once read the list once; same result.
	var many []*centralita.Contact
	for i := range 60 {
		many = append(many, &centralita.Contact{Number: "0980000" + itoa(int64(10+i)), Enabled: true})
	}
	many[7].Number = "099000002"
	require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, many, centralita.TransitionAPI))
	require.Equal(t, centralita.ContactRejected, h.contact(many[7].ID).State)
	require.Equal(t, centralita.ContactPending, h.contact(many[8].ID).State)
}

func TestOwnedContactsGoToTheirAgent(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Retries: retryRules})
	ctx := context.Background()
	owned := &centralita.Contact{Number: "099000001", Agent: "Agente2", Enabled: true, Data: "id=7"}
	other := &centralita.Contact{Number: "099000002", Agent: "205", Enabled: true}
	free := &centralita.Contact{Number: "099000003", Enabled: true}
	require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, []*centralita.Contact{owned, other, free}, centralita.TransitionAPI))
	require.Equal(t, "202", owned.Agent, "username resolved to the agent number")
	h.acd.setAgents("sales", 0, []string{"201", "202"}, "205")
	h.tick()
	reqs, ids := h.acd.agentCalls()
	require.Len(t, reqs, 1, "agent 205 is busy: its contact waits")
	require.Equal(t, centralita.AgentCallRequest{Agent: "202", Destination: "099000001", CallerID: "24001234", Queue: "Ventas->", Data: "id=7", Campaign: "Ventas->"}, reqs[0])
	require.Equal(t, []string{"099000003"}, h.pbx.numbers(), "two free agents: the owned call and one line")

	guid := ids[0]
	h.pbx.setLive(guid+"-agent", "Up") // the ACD's legs
	h.pbx.setLive(guid+"-dst", "Up")
	h.row(guid, centralita.QLDialOut, centralita.AgentLogName("202"), "099000001")
	h.clk.advance(42 * time.Second)
	h.row(guid, centralita.QLDialOutEnd, centralita.AgentLogName("202"), "42", "099000001")
	c := h.waitSettled(owned.ID, centralita.OutcomeAnswered)
	require.Equal(t, centralita.ContactCompleted, c.State)
	atts, err := h.contacts.FindAttempts(ctx, owned.ID)
	require.NoError(t, err)
	require.Equal(t, guid, atts[0].CallID)
	require.Equal(t, "202", atts[0].Agent)
	require.NotNil(t, atts[0].AnsweredAt)
	require.WithinDuration(t, h.clk.Now().Add(-42*time.Second), *atts[0].AnsweredAt, time.Second)

	// An agent call whose destination never answers: NoAnswer, retried.
	// (The line dialled for the queue ends first: it would need agent 205.)
	h.pbx.end(h.pbx.dialled()[0].ChannelID, centralita.CauseNoAnswer)
	h.waitSettled(free.ID, centralita.OutcomeNoAnswer)
	h.acd.setAgents("sales", 0, []string{"205"}, "201", "202")
	h.tick()
	reqs, ids = h.acd.agentCalls()
	require.Len(t, reqs, 2)
	require.Equal(t, "205", reqs[1].Agent)
	h.row(ids[1], centralita.QLDialOut, centralita.AgentLogName("205"), "099000002")
	h.row(ids[1], centralita.QLDialOutEnd, centralita.AgentLogName("205"), "0", "099000002")
	c = h.waitSettled(other.ID, centralita.OutcomeNoAnswer)
	require.Equal(t, 1, c.Attempts)
	require.Equal(t, centralita.ContactPending, c.State)
}

func TestAgentThatDoesNotAnswerGivesTheContactBack(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePreview})
	c := h.add("099000001")[0]
	h.acd.setFree("sales", 1)
	h.tick()
	_, ids := h.acd.agentCalls()
	require.Len(t, ids, 1)
	// The agent's phone rings out: its leg ends without DIALOUT.
	h.pbx.send(centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: ids[0] + "-agent", Cause: centralita.CauseNoAnswer})
	h.clk.advance(11 * time.Second)
	got := h.waitContact(c.ID, func(c *centralita.Contact) bool { return !c.InFlight }, "never given back")
	require.Equal(t, centralita.ContactPending, got.State)
	require.Equal(t, 0, got.Attempts, "not counted against the contact")
	require.NotNil(t, got.NextAt)
	require.Equal(t, []string{centralita.TransitionAPI}, h.log(c.ID))

	// An ACD that refuses the call (agent busy): the same.
	h.acd.callErr = errors.New("agent busy")
	h.clk.jump(31 * time.Second)
	h.tick()
	got = h.waitContact(c.ID, func(c *centralita.Contact) bool { return !c.InFlight && c.NextAt != nil && c.NextAt.After(h.clk.Now()) }, "never given back")
	require.Equal(t, 0, got.Attempts)
	atts, err := h.contacts.FindAttempts(context.Background(), c.ID)
	require.NoError(t, err)
	require.Len(t, atts, 2)
	for _, a := range atts {
		require.NotNil(t, a.EndedAt)
	}
}

func TestPreviewGivesEachFreeAgentOneContact(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePreview})
	cs := h.add("099000001", "099000002", "099000003")
	h.acd.setFree("sales", 2)
	h.tick()
	reqs, _ := h.acd.agentCalls()
	require.Len(t, reqs, 2)
	require.Empty(t, h.pbx.dialled(), "preview never dials without an agent")
	require.ElementsMatch(t, []string{"201", "202"}, []string{reqs[0].Agent, reqs[1].Agent})
	require.ElementsMatch(t, []string{cs[0].Number, cs[1].Number}, []string{reqs[0].Destination, reqs[1].Destination})
	h.tick()
	reqs, _ = h.acd.agentCalls()
	require.Len(t, reqs, 2, "the agents have their calls (the snapshot lags)")
	require.False(t, reqs[0].Record, "the campaign does not record")
}

// A preview campaign with Record asks the ACD to record its agent calls,
// under the campaign's name.
func TestPreviewRecordsWhenTheCampaignDoes(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePreview, Record: true})
	h.add("099000001")
	h.acd.setFree("sales", 1)
	h.tick()
	reqs, _ := h.acd.agentCalls()
	require.Len(t, reqs, 1)
	require.True(t, reqs[0].Record)
	require.Equal(t, h.camp.Name, reqs[0].Campaign)
}
