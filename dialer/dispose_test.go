package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/dialer"
)

func TestDispositionActions(t *testing.T) {
	schedule := monday10.Add(3 * time.Hour)
	for _, tc := range []struct {
		name    string
		disp    centralita.Disposition
		d       centralita.CallDisposition
		check   func(t *testing.T, h *harness, c *centralita.Contact)
		logLast string
	}{
		{"respool after its delay", centralita.Disposition{L1: "Volver a llamar", Action: centralita.ActionRespool, RetryDelay: 600}, centralita.CallDisposition{},
			func(t *testing.T, h *harness, c *centralita.Contact) {
				require.Equal(t, centralita.ContactPending, c.State)
				require.True(t, c.NextAt.Equal(h.clk.Now().Add(10*time.Minute)))
			}, "Volver a llamar||"},
		{"respool on the next alternate", centralita.Disposition{L1: "Equivocado", L2: "Otro", Action: centralita.ActionRespoolAlternative}, centralita.CallDisposition{L2: "Otro", Tag: "wrong"},
			func(t *testing.T, h *harness, c *centralita.Contact) {
				require.Equal(t, centralita.ContactPending, c.State)
				require.Equal(t, 1, c.AltIndex)
				require.Equal(t, 0, c.Attempts)
			}, "wrong"},
		{"blacklist", centralita.Disposition{L1: "No llamar", Action: centralita.ActionBlacklist}, centralita.CallDisposition{},
			func(t *testing.T, h *harness, c *centralita.Contact) {
				require.Equal(t, centralita.ContactRejected, c.State)
				bl, err := h.black.Blacklisted(context.Background(), "Ventas->", "099000001")
				require.NoError(t, err)
				require.True(t, bl)
			}, "No llamar||"},
		{"reschedule in the same campaign", centralita.Disposition{L1: "Agendar", Action: centralita.ActionReschedule}, centralita.CallDisposition{Schedule: &schedule},
			func(t *testing.T, h *harness, c *centralita.Contact) {
				require.Equal(t, centralita.ContactPending, c.State)
				require.Equal(t, centralita.PriorityScheduled, c.Priority)
				require.True(t, c.NextAt.Equal(schedule))
			}, "Agendar||"},
		{"reschedule into another campaign", centralita.Disposition{L1: "Agendar", Action: centralita.ActionReschedule, Completes: true}, centralita.CallDisposition{Schedule: &schedule, Reschedule: "Cobranzas"},
			func(t *testing.T, h *harness, c *centralita.Contact) {
				require.Equal(t, centralita.ContactCompleted, c.State)
				other, err := h.camps.FindCampaignByName(context.Background(), "Cobranzas")
				require.NoError(t, err)
				list, _, err := h.contacts.FindContacts(context.Background(), centralita.ContactFilter{CampaignID: other.ID, Number: "099000001"})
				require.NoError(t, err)
				require.Len(t, list, 1)
				require.Equal(t, centralita.PriorityScheduled, list[0].Priority)
				require.True(t, list[0].NextAt.Equal(schedule))
				require.Equal(t, []string{"099000002"}, list[0].Alternates)
			}, "Agendar||"},
		{"no action, completes", centralita.Disposition{L1: "Venta", Completes: true, TxtCode: "V1"}, centralita.CallDisposition{},
			func(t *testing.T, h *harness, c *centralita.Contact) {
				require.Equal(t, centralita.ContactCompleted, c.State)
			}, "Venta||"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, centralita.Campaign{})
			ctx := context.Background()
			require.NoError(t, h.camps.CreateCampaign(ctx, &centralita.Campaign{Name: "Cobranzas", Queue: "sales"}))
			c := &centralita.Contact{Number: "099000001", Alternates: []string{"099000002"}, Enabled: true}
			require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, []*centralita.Contact{c}, centralita.TransitionAPI))
			disp := tc.disp
			disp.Campaign = "Ventas->"
			require.NoError(t, h.disps.SetDisposition(ctx, &disp))
			guid := h.answerCall(t)
			h.waitSettled(c.ID, centralita.OutcomeAnswered)

			d := tc.d
			d.Campaign, d.Agent, d.CallerID, d.GUID, d.L1 = "Ventas->", "Agente1", "099000001", guid, tc.disp.L1
			got, err := h.eng.Dispose(ctx, &d)
			require.NoError(t, err)
			require.Equal(t, tc.disp.Action, got.Action)
			require.Equal(t, tc.disp.TxtCode, got.TxtCode)
			tc.check(t, h, h.contact(c.ID))
			l := h.log(c.ID)
			require.Equal(t, tc.logLast, l[len(l)-1])
			given, err := h.disps.FindCallDispositions(ctx, "Ventas->", guid)
			require.NoError(t, err)
			require.Len(t, given, 1)
		})
	}
}

func TestDispositionErrorsAndLookups(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	c := h.add("099000001")[0]
	require.NoError(t, h.disps.SetDisposition(ctx, &centralita.Disposition{Campaign: "Ventas->", L1: "Agendar", Action: centralita.ActionReschedule}))
	require.NoError(t, h.disps.SetDisposition(ctx, &centralita.Disposition{Campaign: "Ventas->", L1: "Respool", Action: centralita.ActionRespool}))

	_, err := h.eng.Dispose(ctx, &centralita.CallDisposition{Campaign: "Ventas->", Agent: "a", CallerID: "1", GUID: "g", L1: "x", L2: "y", L3: "z"})
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	_, err = h.eng.Dispose(ctx, &centralita.CallDisposition{Campaign: "Ventas->", Agent: "a", CallerID: "1", GUID: "g", L1: "Agendar"})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	require.Equal(t, dialer.MsgEmptySchedule, centralita.ErrorMessage(err))

	// No call id known: found by number; disposed during its call, the
	// answer does not complete it.
	h.acd.setFree("sales", 1)
	h.tick()
	id := h.pbx.dialled()[0].ChannelID
	h.connect(id, "201")
	_, err = h.eng.Dispose(ctx, &centralita.CallDisposition{Campaign: "Ventas->", Agent: "Agente1", CallerID: "099000001", GUID: "unknown", L1: "Respool"})
	require.NoError(t, err)
	h.complete(id, "201", 30)
	got := h.waitSettled(c.ID, centralita.OutcomeAnswered)
	require.Equal(t, centralita.ContactPending, got.State)
	require.Equal(t, []string{centralita.TransitionAPI, "Respool||", "Answer"}, h.log(c.ID))
}
