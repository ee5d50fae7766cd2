package dialer_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestRestartSettlesOpenAttempts(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Retries: retryRules})
	ctx := context.Background()
	cs := h.add("099000001", "099000002", "099000003", "099000004", "099000005", "099000006")
	answered, ringing, gone, connected, abandoned, claimed := cs[0], cs[1], cs[2], cs[3], cs[4], cs[5]
	h.acd.setFree("sales", 5)
	h.tick()
	reqs := h.pbx.dialled()
	require.Len(t, reqs, 5)
	// answered: the engine saw the answer (AnsweredAt is written).
	h.pbx.answer(reqs[0].ChannelID)
	require.Eventually(t, func() bool {
		atts, err := h.contacts.FindAttempts(ctx, answered.ID)
		return err == nil && atts[0].AnsweredAt != nil
	}, 5*time.Second, 2*time.Millisecond)
	// connected: the ACD logged a CONNECT the engine never saw.
	// abandoned: the ACD logged EXITWITHTIMEOUT the engine never saw.
	for _, r := range []centralita.QueueLogEntry{
		{CallID: reqs[3].ChannelID, Event: centralita.QLEnterQueue},
		{CallID: reqs[3].ChannelID, Event: centralita.QLConnect, Agent: "Agent/203", Data1: "1"},
		{CallID: reqs[4].ChannelID, Event: centralita.QLEnterQueue},
		{CallID: reqs[4].ChannelID, Event: centralita.QLExitWithTimeout, Data1: "1", Data2: "1", Data3: "2"},
	} {
		r.Time, r.QueueName = h.clk.Now(), "sales"
		require.NoError(t, h.qlog.AppendQueueLog(ctx, &r))
	}
	// The engine stops (a crash leaves the store as Close does); meanwhile
	// every channel but ringing's ends, and a contact is claimed but never
	// dialled (a crash between the claim and the attempt row).
	h.close()
	got, err := h.contacts.ClaimContacts(ctx, h.camp.ID, h.clk.Now(), 1, nil)
	require.NoError(t, err)
	require.Equal(t, claimed.ID, got[0].ID)
	for _, i := range []int{0, 2, 3, 4} {
		h.pbx.mu.Lock()
		delete(h.pbx.live, reqs[i].ChannelID)
		h.pbx.mu.Unlock()
	}
	h.start()

	// answered and connected: never dialled again.
	for _, c := range []*centralita.Contact{answered, connected} {
		got := h.contact(c.ID)
		require.Equal(t, centralita.ContactCompleted, got.State, "contact %s", c.Number)
		require.Equal(t, centralita.OutcomeAnswered, got.LastOutcome)
		require.False(t, got.InFlight)
	}
	// abandoned: as live, under the Abandoned rule.
	got1 := h.contact(abandoned.ID)
	require.Equal(t, centralita.OutcomeAbandoned, got1.LastOutcome)
	require.Equal(t, 1, got1.Attempts)
	require.Equal(t, centralita.ContactPending, got1.State)
	// gone (never answered): dialled again, not counted.
	got1 = h.contact(gone.ID)
	require.Equal(t, centralita.ContactPending, got1.State)
	require.Equal(t, 0, got1.Attempts)
	require.False(t, got1.InFlight)
	require.Nil(t, got1.NextAt)
	// ringing: still in flight, followed.
	require.True(t, h.contact(ringing.ID).InFlight)
	// claimed: released.
	require.False(t, h.contact(claimed.ID).InFlight)
	open, err := h.contacts.FindOpenAttempts(ctx)
	require.NoError(t, err)
	require.Len(t, open, 1)
	require.Equal(t, reqs[1].ChannelID, open[0].CallID)

	h.tick()
	nums := h.pbx.numbers()[5:]
	slices.Sort(nums)
	require.Equal(t, []string{gone.Number, claimed.Number}, nums, "only the unanswered and the never-dialled are dialled")
	require.False(t, slices.Contains(h.pbx.numbers()[5:], answered.Number))

	// The call that survived the restart is still followed.
	h.pbx.end(reqs[1].ChannelID, centralita.CauseUserBusy)
	c := h.waitSettled(ringing.ID, centralita.OutcomeBusy)
	require.Equal(t, 1, c.Attempts)

	// Every attempt of before the restart is closed; nothing lost.
	for _, ct := range cs[:5] {
		atts, err := h.contacts.FindAttempts(ctx, ct.ID)
		require.NoError(t, err)
		require.NotEmpty(t, atts)
		require.NotNil(t, atts[0].EndedAt, "attempt of %s", ct.Number)
	}
}

func TestRestartKeepsFollowingAnAnsweredCall(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	c := h.add("099000001")[0]
	h.acd.setFree("sales", 1)
	h.tick()
	id := h.pbx.dialled()[0].ChannelID
	h.connect(id, "201")
	h.restart()
	answered, connected, ok := h.eng.CallInfo(id)
	require.True(t, ok)
	require.True(t, answered)
	require.True(t, connected, "its CONNECT was replayed from queue_log")
	h.acd.setAgents("sales", 15, nil, "201")
	h.tick()
	require.Len(t, h.pbx.dialled(), 1)
	h.complete(id, "201", 30)
	got := h.waitSettled(c.ID, centralita.OutcomeAnswered)
	require.Equal(t, centralita.ContactCompleted, got.State)
	require.Equal(t, []string{centralita.TransitionAPI, "Answer"}, h.log(c.ID))
}
