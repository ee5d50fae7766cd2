package dialer_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/dialer"
)

func TestProgressiveDialsOneLinePerFreeAgent(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModeProgressive, RingTimeoutSec: 25, AbandonMessage: "sound:sorry"})
	cs := h.add("099000001", "099000002", "099000003", "099000004", "099000005", "099000006")
	h.acd.setFree("sales", 3)
	h.tick()
	reqs := h.pbx.dialled()
	require.Len(t, reqs, 3, "one line per free agent")
	for i, r := range reqs {
		require.Regexp(t, `^dl-[0-9]+$`, r.ChannelID)
		require.Equal(t, "PJSIP/"+cs[i].Number+"@trunk", r.Endpoint, "lowest id first at equal priority")
		require.Equal(t, "24001234", r.CallerIDNumber)
		require.Equal(t, 25*time.Second, r.Timeout)
		require.Equal(t, []string{"queue", "sales", "maxwait=2", "sound=sound:sorry", "dialer=" + itoa(h.camp.ID), "caller=" + r.Endpoint[len("PJSIP/"):strings.Index(r.Endpoint, "@")]}, r.AppArgs)
	}
	// The attempt row exists before the call, with the channel as call id.
	atts, err := h.contacts.FindAttempts(context.Background(), cs[0].ID)
	require.NoError(t, err)
	require.Len(t, atts, 1)
	require.Equal(t, reqs[0].ChannelID, atts[0].CallID)
	require.True(t, h.contact(cs[0].ID).InFlight)

	// Still three free agents in the snapshot, three calls in flight: no more lines.
	h.tick()
	require.Len(t, h.pbx.dialled(), 3)

	// One call is answered and taken by an agent: the ACD now shows two
	// free agents and one busy, and two calls are still dialling: no line.
	h.connect(reqs[0].ChannelID, "201")
	h.acd.setAgents("sales", 15, []string{"202", "203"}, "201")
	h.tick()
	require.Len(t, h.pbx.dialled(), 3)

	// One rings out: one line is free again.
	h.pbx.end(reqs[1].ChannelID, centralita.CauseNoAnswer)
	h.waitSettled(cs[1].ID, centralita.OutcomeNoAnswer)
	h.tick()
	require.Len(t, h.pbx.dialled(), 4)
	require.Equal(t, "PJSIP/"+cs[3].Number+"@trunk", h.pbx.dialled()[3].Endpoint)

	// The connected call completes: contact Completed, state log, agent on the attempt.
	h.complete(reqs[0].ChannelID, "201", 95)
	c := h.waitSettled(cs[0].ID, centralita.OutcomeAnswered)
	require.Equal(t, centralita.ContactCompleted, c.State)
	require.Equal(t, []string{centralita.TransitionAPI, "Answer"}, h.log(cs[0].ID))
	atts, err = h.contacts.FindAttempts(context.Background(), cs[0].ID)
	require.NoError(t, err)
	require.Equal(t, "201", atts[0].Agent)
	require.NotNil(t, atts[0].AnsweredAt)
	require.NotNil(t, atts[0].EndedAt)
	require.Equal(t, centralita.OutcomeAnswered, atts[0].Outcome)

	st, err := h.eng.Status(context.Background())
	require.NoError(t, err)
	require.Len(t, st, 1)
	require.Equal(t, 4, st[0].Dialed)
	require.Equal(t, 1, st[0].Connected)
	require.Equal(t, 1, st[0].Answered)
	require.Equal(t, 1, st[0].Completed)
	require.Equal(t, 2, st[0].Dialing)
}

func TestMaxLinesCapsPower(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePower, PowerRatio: 3, MaxLines: 4})
	h.add("1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010")
	h.acd.setFree("sales", 3)
	h.tick()
	require.Len(t, h.pbx.dialled(), 4, "3 agents × 3 = 9, capped at 4 lines")
}

func TestPowerDialsRatioLines(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePower, PowerRatio: 2})
	h.add("1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010")
	h.acd.setFree("sales", 3)
	h.tick()
	require.Len(t, h.pbx.dialled(), 6)
	h.tick()
	require.Len(t, h.pbx.dialled(), 6, "six in flight already")
}

func TestInactiveCampaignOrNoAgentsDialsNothing(t *testing.T) {
	h := newHarness(t, centralita.Campaign{State: centralita.CampaignIncomplete})
	h.add("1001")
	h.acd.setFree("sales", 2)
	h.tick()
	require.Empty(t, h.pbx.dialled())
	h.camp.State = centralita.CampaignActive
	require.NoError(t, h.camps.UpdateCampaign(context.Background(), h.camp))
	h.acd.setFree("sales", 0)
	require.NoError(t, h.eng.Reload(context.Background()))
	h.tick()
	require.Empty(t, h.pbx.dialled())
	h.acd.setFree("sales", 1)
	h.tick()
	require.Len(t, h.pbx.dialled(), 1)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var _ centralita.Dialer = (*dialer.Engine)(nil)

func TestStatusFigures(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePower, PowerRatio: 2.5, Retries: retryRules})
	ctx := context.Background()
	cs := h.add("099000001", "099000002", "099000003", "099000004")
	h.acd.setFree("sales", 2)
	h.tick()
	reqs := h.pbx.dialled()
	require.Len(t, reqs, 4, "2.5 × 2 = 5 lines, 4 contacts")
	h.connect(reqs[0].ChannelID, "201")
	h.pbx.answer(reqs[1].ChannelID)
	h.row(reqs[1].ChannelID, centralita.QLEnterQueue, "NONE", "", "", "1")
	st, err := h.eng.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, st[0].Dialing)
	require.Equal(t, 1, st[0].Waiting)
	require.Equal(t, 2.5, st[0].Ratio)
	require.Equal(t, 4, st[0].Pending)
	require.Zero(t, st[0].Due, "all four are in a call")

	h.row(reqs[1].ChannelID, centralita.QLExitWithTimeout, "NONE", "1", "1", "2")
	h.pbx.end(reqs[1].ChannelID, centralita.CauseNormalClearing)
	h.complete(reqs[0].ChannelID, "201", 20)
	h.pbx.end(reqs[2].ChannelID, centralita.CauseUserBusy)
	h.waitSettled(cs[1].ID, centralita.OutcomeAbandoned)
	h.waitSettled(cs[0].ID, centralita.OutcomeAnswered)
	h.waitSettled(cs[2].ID, centralita.OutcomeBusy)
	st, err = h.eng.Status(ctx)
	require.NoError(t, err)
	s := st[0]
	require.Equal(t, "Ventas->", s.Campaign.Name)
	require.Equal(t, [4]int{4, 2, 1, 1}, [4]int{s.Dialed, s.Answered, s.Abandoned, s.Connected})
	require.Equal(t, 50.0, s.AbandonRate24h)
	require.Equal(t, 50.0, s.AbandonRate30d)
	require.Equal(t, [4]int{3, 1, 0, 0}, [4]int{s.Pending, s.Completed, s.Rejected, s.Canceled})
	require.Equal(t, 1, s.Dialing)
	require.Zero(t, s.Waiting)

	// A restart rebuilds the rates and today's counters from queue_log.
	h.restart()
	st, err = h.eng.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, 50.0, st[0].AbandonRate24h)
	require.Equal(t, [3]int{2, 1, 1}, [3]int{st[0].Answered, st[0].Abandoned, st[0].Connected})
}

func TestReconnectionSettlesWhatWasMissed(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	cs := h.add("099000001", "099000002")
	h.acd.setFree("sales", 2)
	h.tick()
	reqs := h.pbx.dialled()
	// While the event stream was down one call rang out and one was answered.
	h.pbx.mu.Lock()
	delete(h.pbx.live, reqs[0].ChannelID)
	h.pbx.live[reqs[1].ChannelID] = "Up"
	h.pbx.mu.Unlock()
	h.pbx.send(centralita.ChannelEvent{Type: centralita.PBXReconnected})
	got := h.waitContact(cs[0].ID, func(c *centralita.Contact) bool { return !c.InFlight }, "missed hangup never settled")
	require.Equal(t, centralita.OutcomeFailed, got.LastOutcome, "the cause is unknown")
	answered, _, ok := h.eng.CallInfo(reqs[1].ChannelID)
	require.True(t, ok)
	require.True(t, answered)
}

func TestDialFailureWithTheChannelCreatedAnyway(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	c := h.add("099000001")[0]
	h.acd.setFree("sales", 1)
	// The request times out but Asterisk created the channel: it is followed.
	h.pbx.failNext = context.DeadlineExceeded
	h.pbx.setLive("dl-1", "Down")
	h.tick()
	_, _, ok := h.eng.CallInfo("dl-1")
	require.True(t, ok)
	require.True(t, h.contact(c.ID).InFlight)
	h.pbx.end("dl-1", centralita.CauseNoAnswer)
	h.waitSettled(c.ID, centralita.OutcomeNoAnswer)
}
