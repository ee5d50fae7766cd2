package dialer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/dialer"
)

// answerCall dials the next contact and completes its call with agent 201.
func (h *harness) answerCall(t *testing.T) string {
	t.Helper()
	h.acd.setFree("sales", 1)
	n := len(h.pbx.dialled())
	h.tick()
	require.Len(t, h.pbx.dialled(), n+1)
	id := h.pbx.dialled()[n].ChannelID
	h.connect(id, "201")
	h.complete(id, "201", 60)
	h.acd.setFree("sales", 0)
	return id
}

func TestUpdateContact(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	c := &centralita.Contact{Number: "27111200", Name: "Rodrigo", Enabled: true, Info: json.RawMessage(`{"ci":"3123456-0"}`), Data: "a=1"}
	require.NoError(t, h.eng.AddContacts(ctx, h.camp.ID, []*centralita.Contact{c}, centralita.TransitionAPI))

	up := &centralita.Contact{ID: c.ID, CampaignID: h.camp.ID, Number: "099267067", Name: "Rodrigo", Enabled: true, Info: json.RawMessage(`{"ci":"36860117"}`)}
	require.NoError(t, h.eng.UpdateContact(ctx, up))
	require.Equal(t, "099267067", up.Number)
	require.Equal(t, "a=1", up.Data, "empty data keeps it")
	got := h.contact(c.ID)
	require.Equal(t, "099267067", got.Number)
	require.JSONEq(t, `{"ci":"36860117"}`, string(got.Info))

	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.UpdateContact(ctx, &centralita.Contact{ID: c.ID, CampaignID: 999, Number: "1"})))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.UpdateContact(ctx, &centralita.Contact{ID: 999, Number: "1"})))
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.UpdateContact(ctx, &centralita.Contact{ID: c.ID, Number: "abc"})))

	// Edited during its call: the call goes on and the edit stays.
	h.acd.setFree("sales", 1)
	h.tick()
	id := h.pbx.dialled()[0].ChannelID
	require.Equal(t, "PJSIP/099267067@trunk", h.pbx.dialled()[0].Endpoint)
	require.NoError(t, h.eng.UpdateContact(ctx, &centralita.Contact{ID: c.ID, Number: "099267067", Name: "Rodrigo Angles", Enabled: true}))
	h.connect(id, "201")
	h.complete(id, "201", 10)
	got = h.waitSettled(c.ID, centralita.OutcomeAnswered)
	require.Equal(t, "Rodrigo Angles", got.Name)
	require.Equal(t, centralita.ContactCompleted, got.State)
}

func TestRespool(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	c := h.add("098344484")[0]
	h.answerCall(t)
	require.Equal(t, centralita.ContactCompleted, h.waitSettled(c.ID, centralita.OutcomeAnswered).State)

	req := centralita.RespoolRequest{Campaign: "Ventas->", Destination: "098124484", DialerBase: "basetest", Status: 1,
		Data: "Par1=Val1:Par2=Val2", Alternatives: []string{"098344484"}, Contact: c.ID, Retries: 0, Priority: 50, AgentPhone: "Agente3"}
	require.NoError(t, h.eng.Respool(ctx, req))
	got := h.contact(c.ID)
	require.Equal(t, centralita.ContactPending, got.State)
	require.Equal(t, "098124484", got.Number)
	require.Equal(t, []string{"098344484"}, got.Alternates)
	require.Equal(t, "Par1=Val1:Par2=Val2", got.Data)
	require.Equal(t, 50, got.Priority)
	require.Equal(t, "203", got.Agent)
	require.Equal(t, 0, got.Attempts)
	require.True(t, got.NextAt.Equal(h.clk.Now()))
	require.Equal(t, []string{centralita.TransitionAPI, "Answer", dialer.TransitionRespool}, h.log(c.ID))

	bad := req
	bad.Priority = 1
	err := h.eng.Respool(ctx, bad)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	require.Contains(t, centralita.ErrorMessage(err), "reserved for scheduled calls")
	other := &centralita.Campaign{Name: "Otra", Queue: "sales"}
	require.NoError(t, h.camps.CreateCampaign(ctx, other))
	bad = req
	bad.Campaign = "Otra"
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Respool(ctx, bad)))
	bad.Campaign = "Nope"
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Respool(ctx, bad)))

	// Respooled during its call: the call's answer does not complete it.
	req.AgentPhone = ""
	require.NoError(t, h.eng.Respool(ctx, req))
	h.acd.setFree("sales", 1)
	h.tick()
	id := h.pbx.dialled()[1].ChannelID
	h.connect(id, "201")
	require.NoError(t, h.eng.Respool(ctx, req))
	h.complete(id, "201", 10)
	got = h.waitSettled(c.ID, centralita.OutcomeAnswered)
	require.Equal(t, centralita.ContactPending, got.State)
}

func TestScheduleIsPlacedAtItsTime(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	base := h.add("099000001", "099000002")
	at := monday10.Add(time.Hour)
	require.NoError(t, h.eng.Schedule(ctx, centralita.ScheduleRequest{Campaign: "Ventas->", At: at, Destination: "099000002", Alternatives: []string{"099124484"}, Data: "x=1"}))
	got := h.contact(base[1].ID)
	require.Equal(t, centralita.PriorityScheduled, got.Priority, "the pending contact with the number is scheduled")
	require.True(t, got.NextAt.Equal(at))
	require.Equal(t, []string{"099124484"}, got.Alternates)
	require.Equal(t, []string{centralita.TransitionAPI, dialer.TransitionScheduled}, h.log(got.ID))

	require.NoError(t, h.eng.Schedule(ctx, centralita.ScheduleRequest{Campaign: "Ventas->", At: at.Add(time.Minute), Destination: "098344484", Agent: "Agente1"}))
	list, n, err := h.contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: h.camp.ID, Number: "098344484"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, "201", list[0].Agent)
	require.Equal(t, centralita.PriorityScheduled, list[0].Priority)

	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Schedule(ctx, centralita.ScheduleRequest{Campaign: "Ventas->", At: at, Destination: "1", Agent: "nobody"})))
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.Schedule(ctx, centralita.ScheduleRequest{Campaign: "Ventas->", Destination: "1"})))

	// Dial the base's other contact; the scheduled one waits for its time.
	h.acd.setFree("sales", 1)
	h.tick()
	require.Equal(t, []string{"099000001"}, h.pbx.numbers())
	h.pbx.end(h.pbx.dialled()[0].ChannelID, centralita.CauseUserBusy) // no rule: rejected
	h.waitSettled(base[0].ID, centralita.OutcomeBusy)
	h.tick()
	require.Len(t, h.pbx.dialled(), 1)
	h.clk.jump(at.Sub(h.clk.Now()) - 2*time.Second)
	h.tick()
	require.Len(t, h.pbx.dialled(), 1, "not before its time")
	h.tick()
	h.tick()
	require.Equal(t, []string{"099000001", "099000002"}, h.pbx.numbers())
	// At its time the agent's own call goes to that agent.
	h.clk.jump(time.Minute)
	h.acd.setAgents("sales", 0, []string{"201", "202"})
	h.pbx.end(h.pbx.dialled()[1].ChannelID, centralita.CauseNoAnswer)
	h.tick()
	reqs, _ := h.acd.agentCalls()
	require.Len(t, reqs, 1)
	require.Equal(t, "201", reqs[0].Agent)
	require.Equal(t, "098344484", reqs[0].Destination)
	require.Equal(t, []string{"099000001", "099000002", "099124484"}, h.pbx.numbers(), "and the alternate (no NoAnswer rule) on a line")
}

func TestDialerTaskModes(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	base := h.add("099000001")[0]
	date := monday10.Add(-time.Hour)

	// Mode 3: bulk, into the base at 9999 with its owner.
	require.NoError(t, h.eng.Task(ctx, centralita.DialerTask{Campaign: "Ventas->", Destination: "12-345-679", Agent: "Agente1", Data: "idcustomer=7", Source: "source", Bulk: true}))
	// Mode 1: automatic, priority 1 now.
	h.clk.jump(time.Second)
	require.NoError(t, h.eng.Task(ctx, centralita.DialerTask{Campaign: "Ventas->", Destination: "12-345-678", Data: "idcustomer=7:name=Seba", Source: "source", Automatic: true}))
	// Mode 4: a date (already due), priority 1 at that date.
	require.NoError(t, h.eng.Task(ctx, centralita.DialerTask{CallDate: &date, Campaign: "Ventas->", Destination: "12-345-670", Bulk: true}))

	find := func(n string) *centralita.Contact {
		list, _, err := h.contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: h.camp.ID, Number: n})
		require.NoError(t, err)
		require.Len(t, list, 1)
		return list[0]
	}
	m3 := find("12345679")
	require.Equal(t, centralita.PriorityDefault, m3.Priority)
	require.Equal(t, "201", m3.Agent)
	require.Equal(t, "source", m3.Base)
	m1 := find("12345678")
	require.Equal(t, centralita.PriorityScheduled, m1.Priority)
	require.True(t, m1.NextAt.Equal(h.clk.Now()))
	m4 := find("12345670")
	require.Equal(t, centralita.PriorityScheduled, m4.Priority)
	require.True(t, m4.NextAt.Equal(date))

	// The dated task first, then the undated one, then the base.
	h.acd.setFree("sales", 1)
	for range 3 {
		h.tick()
		if d := h.pbx.dialled(); len(d) > 0 {
			h.pbx.end(d[len(d)-1].ChannelID, centralita.CauseNoAnswer)
		}
	}
	require.Equal(t, []string{"12345670", "12345678", "099000001"}, h.pbx.numbers())
	_ = base

	// Mode 2: a call now, without waiting for a free agent.
	h.acd.setFree("sales", 0)
	require.NoError(t, h.eng.Task(ctx, centralita.DialerTask{Campaign: "Ventas->", Destination: "12-345-600", Data: "idcustomer=7"}))
	require.Equal(t, "12345600", h.pbx.numbers()[3])
	m2 := find("12345600")
	require.True(t, m2.InFlight)
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(h.eng.Task(ctx, centralita.DialerTask{Campaign: "Ventas->", Destination: "12345600"})), "the number is in a call")
	// Mode 2 with an agent: an agent call at once.
	require.NoError(t, h.eng.Task(ctx, centralita.DialerTask{Campaign: "Ventas->", Destination: "12-345-601", Agent: "Agente2"}))
	reqs, _ := h.acd.agentCalls()
	require.Len(t, reqs, 1)
	require.Equal(t, centralita.AgentCallRequest{Agent: "202", Destination: "12345601", CallerID: "24001234", Queue: "Ventas->"}, reqs[0])

	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.Task(ctx, centralita.DialerTask{Campaign: "nombreCampaña<-", Destination: "1"})))
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(h.eng.Task(ctx, centralita.DialerTask{Campaign: "Ventas->", Destination: "x"})))
}

func TestRemoveContactAndScheduled(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	h.add("099000001", "099000001", "099000002")
	at := monday10.Add(2 * time.Hour)
	require.NoError(t, h.eng.Schedule(ctx, centralita.ScheduleRequest{Campaign: "Ventas->", At: at, Destination: "099000002"}))
	require.NoError(t, h.eng.Schedule(ctx, centralita.ScheduleRequest{Campaign: "Ventas->", At: at, Destination: "099000003"}))

	n, err := h.eng.RemoveScheduled(ctx, "Ventas->", "099000003", monday10, monday10.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "outside the range")
	n, err = h.eng.RemoveScheduled(ctx, "Ventas->", "099000003", monday10, at)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = h.eng.RemoveScheduled(ctx, "Ventas->", "099000001", monday10, at)
	require.NoError(t, err)
	require.Zero(t, n, "not scheduled")

	n, err = h.eng.RemoveContact(ctx, "Ventas->", "099000001")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	list, _, err := h.contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: h.camp.ID, State: centralita.ContactCanceled})
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, []string{centralita.TransitionAPI, dialer.TransitionRemoved}, h.log(list[0].ID))
	n, err = h.eng.RemoveContact(ctx, "Ventas->", "099000001")
	require.NoError(t, err)
	require.Zero(t, n)
	_, err = h.eng.RemoveContact(ctx, "Nope", "1")
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

	h.acd.setFree("sales", 3)
	h.clk.jump(3 * time.Hour)
	h.tick()
	require.Equal(t, []string{"099000002"}, h.pbx.numbers(), "canceled contacts are never dialled")
}
