package rest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// integraDialerSnapshot has the queue "Salida", whose agents take the
// campaign "Cobranza->", and the queue "Ventas->", named as its campaign.
func integraDialerSnapshot() *centralita.ACDSnapshot {
	at := time.Date(2018, 11, 2, 14, 46, 23, 0, time.UTC)
	return &centralita.ACDSnapshot{
		Generated: at,
		Queues: []centralita.QueueStatus{
			{
				Queue:   centralita.Queue{Name: "Salida", Strategy: centralita.StrategyRRMemory, ServiceLevelSec: 10, WrapupSec: 5},
				Waiting: 1, LongestWait: 4 * time.Second, Members: 2, Logged: 2, Available: 1, Busy: 1,
				Offered: 3, Answered: 2, Completed: 1, AnsweredInSL: 2, AnsweredInSL2: 2,
				HoldTotal: 6 * time.Second, TalkTotal: 200 * time.Second,
				MemberStates: []centralita.MemberState{
					{Agent: "1001", Name: "Bob", Interface: "SIP/1001", LoggedIn: true, Status: centralita.AgentNotInUse,
						CallsTaken: 1, LastCall: time.Unix(1541169000, 0)},
					{Agent: "1002", Name: "Eve", Interface: "PJSIP/1002", LoggedIn: true, Status: centralita.AgentInUse, InCall: true},
				},
			},
			{
				Queue:   centralita.Queue{Name: "Ventas->", Strategy: centralita.StrategyLeastRecent, ServiceLevelSec: 3},
				Members: 1, Logged: 1, Available: 1, Offered: 4, Answered: 4, Completed: 4, AnsweredInSL: 4, AnsweredInSL2: 4,
				HoldTotal: 8 * time.Second, TalkTotal: 400 * time.Second,
				MemberStates: []centralita.MemberState{
					{Agent: "1003", Name: "Zed", Interface: "SIP/1003", LoggedIn: true, Status: centralita.AgentNotInUse},
				},
			},
		},
		Agents: []centralita.AgentState{
			{Agent: centralita.Agent{Number: "1001"}, StatusChangedAt: at.Add(-10 * time.Minute)},
			{Agent: centralita.Agent{Number: "1002"}, StatusChangedAt: at.Add(-time.Hour)},
			{Agent: centralita.Agent{Number: "1003"}},
		},
	}
}

// integraDialerStatus is the dialer's view: Ventas-> (power, its own
// queue), Cobranza-> (predictive, on Salida), an archived campaign, and a
// campaign whose queue is not in the snapshot.
func integraDialerStatus() []centralita.CampaignStatus {
	return []centralita.CampaignStatus{
		{Campaign: centralita.Campaign{Name: "Ventas->", Mode: centralita.ModePower, State: centralita.CampaignActive, Queue: "Ventas->"},
			Dialed: 10, Answered: 5, Connected: 5},
		{Campaign: centralita.Campaign{Name: "Cobranza->", Mode: centralita.ModePredictive, State: centralita.CampaignActive, Queue: "Salida"},
			Pending: 300, Dialing: 4, Waiting: 1, Dialed: 120, Answered: 40, Abandoned: 1, Connected: 38, AbandonRate30d: 1.2, Ratio: 2.4},
		{Campaign: centralita.Campaign{Name: "Viejo->", Mode: centralita.ModePower, State: centralita.CampaignStored, Queue: "Salida"}},
		{Campaign: centralita.Campaign{Name: "Huérfano<-", State: centralita.CampaignIncomplete, Queue: "nope"}, Dialed: 2},
	}
}

// The campaignstatus entries expected from the snapshot and the dialer.
// Cobranza->'s abandonedlevel is 1 of 40 answered live: 2.5%, rounded to 3.
const (
	wantSalida = `"Salida":{"campaign":"Salida","availables":1,"notavailables":0,"paused":0,"busy":1,"busypaused":0,` +
		`"totalagents":2,"logged":2,"onwrapup":0,"completed":1,"abandoned":0,"talked":"00:03:20-1","hold":"00:00:06-2",` +
		`"abandonedlevel":"0","totalcalls":3,"acd":2,"servicelevel":"100.0","servicelevel2":"100.0",` +
		`"strategy":"rrmemory","slevelthreshold":"10","wrapup":5}`
	wantCobranza = `"Cobranza->":{"campaign":"Cobranza->","availables":1,"notavailables":0,"paused":0,"busy":1,"busypaused":0,` +
		`"totalagents":2,"logged":2,"onwrapup":0,"completed":1,"abandoned":1,"talked":"00:03:20-1","hold":"00:00:06-2",` +
		`"abandonedlevel":"3","totalcalls":120,"acd":38,"servicelevel":"100.0","servicelevel2":"100.0",` +
		`"strategy":"predictive","slevelthreshold":"10","wrapup":5}`
	wantVentasCampaign = `"Ventas->":{"campaign":"Ventas->","availables":1,"notavailables":0,"paused":0,"busy":0,"busypaused":0,` +
		`"totalagents":1,"logged":1,"onwrapup":0,"completed":4,"abandoned":0,"talked":"00:06:40-4","hold":"00:00:08-4",` +
		`"abandonedlevel":"0","totalcalls":10,"acd":5,"servicelevel":"100.0","servicelevel2":"100.0",` +
		`"strategy":"power","slevelthreshold":"3","wrapup":0}`
	wantHuerfano = `"Huérfano<-":{"campaign":"Huérfano<-","availables":0,"notavailables":0,"paused":0,"busy":0,"busypaused":0,` +
		`"totalagents":0,"logged":0,"onwrapup":0,"completed":0,"abandoned":0,"talked":"00:00:00-0","hold":"00:00:00-0",` +
		`"abandonedlevel":"0","totalcalls":2,"acd":0,"servicelevel":"0.0","servicelevel2":"0.0",` +
		`"strategy":"progressive","slevelthreshold":"20","wrapup":0}`
)

// integraDialerMember is an agent entry of campaignstatus.
func integraDialerMember(queue, key, name string, calls int, last int64, status, incall int, date, server string) string {
	return `"` + key + `":{"queue":"` + queue + `","location":"` + key + `","membership":"","name":"` + name + `",` +
		`"penalty":0,"callsTaken":` + itoa(calls) + `,"lastCall":` + strconv.FormatInt(last, 10) + `,"status":` + itoa(status) +
		`,"paused":false,"stateinterface":"` + key + `","incall":` + itoa(incall) + `,"pausedreason":"",` +
		`"internalActionId":"ID","dateReceived":"` + date + `","server":"` + server + `"}`
}

func newIntegraDialerStatus(t *testing.T) *integraDialerEnv {
	t.Helper()
	e := newIntegraDialer(t, nil)
	e.acd.set(func(a *igACD) { a.snap = integraDialerSnapshot() })
	e.dialer.set(func(d *integraDialerFake) { d.status = integraDialerStatus() })
	return e
}

func TestIntegraDialerCampaignStatusAll(t *testing.T) {
	e := newIntegraDialerStatus(t)
	res, body := e.post("Supervisor/campaignstatus", e.key, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	// The queues in snapshot order, Ventas-> the campaign in its queue's
	// place, then the other campaigns; the archived one is left out.
	require.Equal(t, `{`+wantSalida+`,`+wantVentasCampaign+`,`+wantCobranza+`,`+wantHuerfano+`}`, body)
	var parsed map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &parsed))
	for _, name := range []string{"Salida", "Cobranza->"} {
		require.IsType(t, "", parsed[name]["abandonedlevel"], name)
		require.IsType(t, float64(0), parsed[name]["totalcalls"], name)
		require.Len(t, parsed[name], 21, "same fields as a queue entry")
	}
}

func TestIntegraDialerCampaignStatusOne(t *testing.T) {
	e := newIntegraDialerStatus(t)
	const at = "Nov 2, 2018 11:46:23 AM"
	for _, tc := range []struct {
		queue, want string
		ids         int
	}{
		{"Cobranza->", `{` + wantCobranza + `,` +
			integraDialerMember("Cobranza->", "SIP/1001", "Bob", 1, 1541169000, 1, 0, "Nov 2, 2018 11:36:23 AM", "00:10:00") + `,` +
			integraDialerMember("Cobranza->", "PJSIP/1002", "Eve", 0, 0, 2, 1, "Nov 2, 2018 10:46:23 AM", "01:00:00") + `}`, 2},
		{"Salida", `{` + wantSalida + `,` +
			integraDialerMember("Salida", "SIP/1001", "Bob", 1, 1541169000, 1, 0, "Nov 2, 2018 11:36:23 AM", "00:10:00") + `,` +
			integraDialerMember("Salida", "PJSIP/1002", "Eve", 0, 0, 2, 1, "Nov 2, 2018 10:46:23 AM", "01:00:00") + `}`, 2},
		{"Ventas->", `{` + wantVentasCampaign + `,` +
			integraDialerMember("Ventas->", "SIP/1003", "Zed", 0, 0, 1, 0, at, "00:00:00") + `}`, 1},
		{"Huérfano<-", `{` + wantHuerfano + `}`, 0},
		{"Viejo->", `{}`, 0},
		{"Cobranza", `{}`, 0},
	} {
		res, body := e.post("Supervisor/campaignstatus", e.key, url.Values{"queue": {tc.queue}})
		require.Equal(t, http.StatusOK, res.StatusCode, tc.queue)
		if tc.ids > 0 {
			body, _, _ = sameActionID(t, body, tc.ids)
		}
		require.Equal(t, tc.want, body, tc.queue)
	}
}

func TestIntegraDialerQueueSummary(t *testing.T) {
	e := newIntegraDialerStatus(t)
	res, body := e.post("Supervisor/queuesummary", e.key, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	got, _, _ := sameActionID(t, body, 5)
	const tail = `"internalActionId":"ID","dateReceived":"Nov 2, 2018 11:46:23 AM"}`
	salida := `"loggedIn":2,"available":1,"callers":1,"holdTime":3,"talkTime":200,"longestHoldTime":4,` + tail
	want := `[` +
		`{"queue":"Salida",` + salida + `,` +
		`{"queue":"Ventas->","loggedIn":1,"available":1,"callers":0,"holdTime":2,"talkTime":100,"longestHoldTime":0,` + tail + `,` +
		`{"queue":"Cobranza->",` + salida + `,` +
		`{"queue":"Huérfano<-","loggedIn":0,"available":0,"callers":0,"holdTime":0,"talkTime":0,"longestHoldTime":0,` + tail + `,` +
		`{` + tail + `]`
	require.Equal(t, want, got)
}

func TestIntegraDialerStatusFails(t *testing.T) {
	e := newIntegraDialerStatus(t)
	e.dialer.set(func(d *integraDialerFake) { d.statusErr = centralita.Errorf(centralita.EUNAVAILABLE, "engine stopped") })
	for _, path := range []string{"Supervisor/campaignstatus", "Supervisor/queuesummary"} {
		res, body := e.post(path, e.key, nil)
		integraDialerExpect(t, res, body, http.StatusServiceUnavailable, "0", path)
	}
	// Agents may not see them either way.
	res, body := e.post("Supervisor/campaignstatus", "Basic "+e.login("bob"), url.Values{"queue": {"Cobranza->"}})
	integraDialerExpect(t, res, body, http.StatusForbidden, "0", "agent")
}
