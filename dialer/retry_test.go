package dialer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

var retryRules = map[centralita.CallOutcome]centralita.RetryRule{
	centralita.OutcomeBusy:      {DelaySec: 60, MaxAttempts: 3},
	centralita.OutcomeNoAnswer:  {DelaySec: 120, MaxAttempts: 2},
	centralita.OutcomeFailed:    {DelaySec: 30, MaxAttempts: 2},
	centralita.OutcomeAbandoned: {DelaySec: 300, MaxAttempts: 2},
}

func TestRetryPerOutcome(t *testing.T) {
	for _, tc := range []struct {
		name  string
		end   func(h *harness, id string)
		want  centralita.CallOutcome
		delay time.Duration
	}{
		{"busy", func(h *harness, id string) { h.pbx.end(id, centralita.CauseUserBusy) }, centralita.OutcomeBusy, 60 * time.Second},
		{"rang out", func(h *harness, id string) { h.pbx.end(id, centralita.CauseNoAnswer) }, centralita.OutcomeNoAnswer, 120 * time.Second},
		{"no response", func(h *harness, id string) { h.pbx.end(id, centralita.CauseNoUserResponse) }, centralita.OutcomeNoAnswer, 120 * time.Second},
		{"declined", func(h *harness, id string) { h.pbx.end(id, centralita.CauseCallRejected) }, centralita.OutcomeNoAnswer, 120 * time.Second},
		{"congestion", func(h *harness, id string) { h.pbx.end(id, centralita.CauseCongestion) }, centralita.OutcomeFailed, 30 * time.Second},
		{"unallocated", func(h *harness, id string) { h.pbx.end(id, centralita.CauseUnallocated) }, centralita.OutcomeFailed, 30 * time.Second},
		{"no agent within 2 s", func(h *harness, id string) {
			h.pbx.answer(id)
			h.row(id, centralita.QLEnterQueue, "NONE", "", "099", "1")
			h.row(id, centralita.QLExitWithTimeout, "NONE", "1", "1", "2")
			h.pbx.end(id, centralita.CauseNormalClearing)
		}, centralita.OutcomeAbandoned, 300 * time.Second},
		{"person hung up waiting", func(h *harness, id string) {
			h.pbx.answer(id)
			h.row(id, centralita.QLEnterQueue, "NONE", "", "099", "1")
			h.row(id, centralita.QLAbandon, "NONE", "1", "1", "1")
			h.pbx.end(id, centralita.CauseNormalClearing)
		}, centralita.OutcomeAbandoned, 300 * time.Second},
		{"answered, no queue rows at all", func(h *harness, id string) {
			h.pbx.answer(id)
			h.pbx.end(id, centralita.CauseNormalClearing)
			h.clk.advance(11 * time.Second) // the grace for queue_log rows
		}, centralita.OutcomeAbandoned, 300 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, centralita.Campaign{Retries: retryRules})
			c := h.add("099123456")[0]
			h.acd.setFree("sales", 1)
			h.tick()
			id := h.pbx.dialled()[0].ChannelID
			tc.end(h, id)
			got := h.waitSettled(c.ID, tc.want)
			require.Equal(t, centralita.ContactPending, got.State)
			require.Equal(t, 1, got.Attempts)
			require.NotNil(t, got.NextAt)
			ended := h.clk.Now()
			require.WithinDuration(t, ended.Add(tc.delay), *got.NextAt, 12*time.Second)
			require.Equal(t, []string{centralita.TransitionAPI, string(tc.want)}, h.log(c.ID))
			atts, err := h.contacts.FindAttempts(context.Background(), c.ID)
			require.NoError(t, err)
			require.Len(t, atts, 1)
			require.Equal(t, tc.want, atts[0].Outcome)

			// Not before its delay; then dialled again.
			h.clk.jump(got.NextAt.Sub(h.clk.Now()) - 2*time.Second)
			require.Len(t, h.pbx.dialled(), 1)
			h.tick()
			h.tick()
			require.Len(t, h.pbx.dialled(), 2)
		})
	}
}

func TestRetriesExhaustedRejectOrMoveToAlternate(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Retries: retryRules})
	ctx := context.Background()
	alt := &centralita.Contact{Number: "099000001", Alternates: []string{"099000002", "099-000-003"}, Enabled: true}
	plain := &centralita.Contact{Number: "099000009", Enabled: true}
	require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, []*centralita.Contact{alt, plain}, centralita.TransitionAPI))
	require.Equal(t, []string{"099000002", "099000003"}, alt.Alternates, "separators dropped")
	h.acd.setFree("sales", 2)

	ringOut := func(n int) {
		t.Helper()
		for _, r := range h.pbx.dialled()[n:] {
			h.pbx.end(r.ChannelID, centralita.CauseNoAnswer)
		}
	}
	// Main numbers ring out twice (NoAnswer allows 2 attempts).
	h.tick()
	require.Equal(t, []string{"099000001", "099000009"}, h.pbx.numbers())
	ringOut(0)
	h.waitSettled(alt.ID, centralita.OutcomeNoAnswer)
	h.waitSettled(plain.ID, centralita.OutcomeNoAnswer)
	h.clk.jump(119 * time.Second)
	h.tick()
	h.tick()
	require.Len(t, h.pbx.dialled(), 4)
	ringOut(2)
	got := h.waitContact(alt.ID, func(c *centralita.Contact) bool { return !c.InFlight && c.AltIndex == 1 }, "never moved to the first alternate")
	require.Equal(t, centralita.ContactPending, got.State)
	require.Equal(t, 0, got.Attempts, "attempts restart on a new number")
	require.Nil(t, got.NextAt, "the alternate is due at once")
	p := h.waitContact(plain.ID, func(c *centralita.Contact) bool { return c.State == centralita.ContactRejected }, "never rejected")
	require.Equal(t, 2, p.Attempts)
	require.Equal(t, []string{centralita.TransitionAPI, "NoAnswer", "NoAnswer"}, h.log(plain.ID))

	// The alternates are dialled in order; when the last is exhausted, Rejected.
	h.tick()
	require.Equal(t, "099000002", h.pbx.numbers()[4])
	h.pbx.end(h.pbx.dialled()[4].ChannelID, centralita.CauseUserBusy)
	h.waitSettled(alt.ID, centralita.OutcomeBusy)
	h.clk.advance(61 * time.Second)
	h.pbx.end(h.pbx.dialled()[5].ChannelID, centralita.CauseUserBusy)
	h.waitContact(alt.ID, func(c *centralita.Contact) bool { return !c.InFlight && c.Attempts == 2 }, "second busy")
	h.clk.advance(61 * time.Second)
	h.pbx.end(h.pbx.dialled()[6].ChannelID, centralita.CauseUserBusy) // Busy allows 3
	h.waitContact(alt.ID, func(c *centralita.Contact) bool { return c.AltIndex == 2 && !c.InFlight }, "second alternate")
	h.tick()
	require.Equal(t, "099000003", h.pbx.numbers()[7])
	h.pbx.end(h.pbx.dialled()[7].ChannelID, centralita.CauseUserBusy)
	h.clk.advance(61 * time.Second)
	// Failed allows 2 attempts in all on the number: this is the second.
	h.pbx.end(h.pbx.dialled()[8].ChannelID, centralita.CauseCongestion)
	got = h.waitContact(alt.ID, func(c *centralita.Contact) bool { return c.State == centralita.ContactRejected }, "never rejected")
	require.Equal(t, centralita.OutcomeFailed, got.LastOutcome)
	h.clk.advance(2 * time.Minute)
	require.Len(t, h.pbx.dialled(), 9, "nothing left to dial")
}

func TestOutcomeWithoutRuleIsNotRetried(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Retries: map[centralita.CallOutcome]centralita.RetryRule{centralita.OutcomeBusy: {DelaySec: 5, MaxAttempts: 5}}})
	c := h.add("099123456")[0]
	h.acd.setFree("sales", 1)
	h.pbx.failNext = errors.New("trunk down")
	h.tick()
	got := h.waitContact(c.ID, func(c *centralita.Contact) bool { return c.State == centralita.ContactRejected }, "a failed dial without a Failed rule rejects")
	require.Equal(t, centralita.OutcomeFailed, got.LastOutcome)
	require.False(t, got.InFlight)
}

func TestCallingWindowsInTheContactsZone(t *testing.T) {
	// Weekdays 09:00–18:00 in the contact's zone. At monday10 (Monday 10:00 UTC)
	// it is 07:00 in Montevideo (UTC-3) and 19:00 in Tokyo (UTC+9) — both
	// closed — and 11:00 in Madrid (UTC+1): open.
	var ws []centralita.CallWindow
	for d := time.Monday; d <= time.Friday; d++ {
		ws = append(ws, centralita.CallWindow{Weekday: d, Start: "09:00", End: "18:00"})
	}
	h := newHarness(t, centralita.Campaign{Windows: ws, TimeZone: "America/Montevideo"})
	ctx := context.Background()
	uy := &centralita.Contact{Number: "099000001", Enabled: true} // the campaign's zone
	jp := &centralita.Contact{Number: "0312345678", Enabled: true, TimeZone: "Asia/Tokyo"}
	es := &centralita.Contact{Number: "0034911234567", Enabled: true, TimeZone: "Europe/Madrid"}
	require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, []*centralita.Contact{uy, jp, es}, centralita.TransitionAPI))
	h.acd.setFree("sales", 3)
	h.tick()
	require.Equal(t, []string{"0034911234567"}, h.pbx.numbers())

	mvd, _ := time.LoadLocation("America/Montevideo")
	tyo, _ := time.LoadLocation("Asia/Tokyo")
	got := h.waitContact(uy.ID, func(c *centralita.Contact) bool { return !c.InFlight && c.NextAt != nil }, "uy given back")
	require.True(t, got.NextAt.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, mvd)), "Montevideo opens at 09:00 today, got %v", got.NextAt)
	require.Equal(t, centralita.ContactPending, got.State)
	require.Equal(t, []string{centralita.TransitionAPI}, h.log(uy.ID), "no transition for a window")
	got = h.waitContact(jp.ID, func(c *centralita.Contact) bool { return !c.InFlight && c.NextAt != nil }, "jp given back")
	require.True(t, got.NextAt.Equal(time.Date(2026, 3, 3, 9, 0, 0, 0, tyo)), "Tokyo opens tomorrow 09:00, got %v", got.NextAt)

	// 12:00 UTC is 09:00 in Montevideo.
	h.clk.jump(2*time.Hour - 2*time.Second)
	require.Len(t, h.pbx.dialled(), 1)
	h.tick()
	h.tick()
	require.Equal(t, []string{"0034911234567", "099000001"}, h.pbx.numbers())
}

func TestNeverTwoCallsToOneNumber(t *testing.T) {
	h := newHarness(t, centralita.Campaign{Mode: centralita.ModePower, PowerRatio: 3, Retries: retryRules})
	ctx := context.Background()
	a := &centralita.Contact{Number: "099000001", Enabled: true}
	b := &centralita.Contact{Number: "099000001", Enabled: true}
	c := &centralita.Contact{Number: "099000002", Alternates: []string{"099000001"}, AltIndex: 1, Enabled: true}
	require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, []*centralita.Contact{a, b, c}, centralita.TransitionAPI))
	h.acd.setFree("sales", 5)
	h.tick()
	h.tick()
	require.Equal(t, []string{"099000001"}, h.pbx.numbers(), "one call to the number, whichever contact has it")
	h.pbx.end(h.pbx.dialled()[0].ChannelID, centralita.CauseUserBusy)
	h.waitSettled(a.ID, centralita.OutcomeBusy)
	h.tick()
	require.Equal(t, []string{"099000001", "099000001"}, h.pbx.numbers(), "the next contact with it once the first is over")
	h.tick()
	require.Len(t, h.pbx.dialled(), 2)
}
