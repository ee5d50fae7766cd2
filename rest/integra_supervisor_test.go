package rest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// igSnapshot is taken at 11:46:23 AM in UTC-3 and holds three queues, out
// of name order, to show the facade keeps the snapshot's order.
func igSnapshot() *centralita.ACDSnapshot {
	at := time.Date(2018, 11, 2, 14, 46, 23, 0, time.UTC)
	return &centralita.ACDSnapshot{
		Generated: at,
		Queues: []centralita.QueueStatus{
			{
				Queue:   centralita.Queue{Name: "Power<-", Strategy: centralita.StrategyLeastRecent, ServiceLevelSec: 3},
				Waiting: 3, LongestWait: 220*time.Second + 400*time.Millisecond, Members: 1,
				Offered: 13, Answered: 10, Completed: 9, Transferred: 1, Abandoned: 2, Overflowed: 1,
				AnsweredInSL: 8, AnsweredInSL2: 9, HoldTotal: 180 * time.Second, TalkTotal: 1300 * time.Second,
				MemberStates: []centralita.MemberState{{Agent: "1003", Name: "Eva", Status: centralita.AgentUnavailable}},
			},
			{
				Queue:   centralita.Queue{Name: "test->", Strategy: centralita.StrategyFewestCalls, ServiceLevelSec: 15, WrapupSec: 3},
				Members: 4, Logged: 3, Available: 1, Paused: 1, Busy: 1, Offered: 1, Answered: 1, HoldTotal: 3725 * time.Second,
				MemberStates: []centralita.MemberState{
					{Agent: "1010", Name: "Daniel", Interface: "SIP/1010", LoggedIn: true, Paused: true, PauseReason: "Almuerzo",
						Status: centralita.AgentUnavailable, CallsTaken: 2, LastCall: time.Unix(1541169000, 0)},
					{Agent: "1001", Name: "Santiago", Interface: "SIP/1001", LoggedIn: true, Status: centralita.AgentNotInUse},
					{Agent: "1003", Name: "Eva", Status: centralita.AgentUnavailable},
					{Agent: "1004", Name: "Zoe", Interface: "PJSIP/1004", Penalty: 1, LoggedIn: true, Status: centralita.AgentInUse,
						InCall: true, CallsTaken: 1, LastCall: time.Unix(1541163000, 0)},
				},
			},
			{Queue: centralita.Queue{Name: "Ventas->"}},
		},
		Agents: []centralita.AgentState{
			{Agent: centralita.Agent{Number: "1010"}, StatusChangedAt: time.Date(2018, 11, 2, 14, 36, 11, 0, time.UTC)},
			{Agent: centralita.Agent{Number: "1001"}, StatusChangedAt: time.Date(2018, 11, 2, 14, 26, 44, 0, time.UTC)},
			{Agent: centralita.Agent{Number: "1003"}},
			{Agent: centralita.Agent{Number: "1004"}, StatusChangedAt: time.Date(2018, 11, 2, 12, 46, 23, 0, time.UTC)},
		},
	}
}

var actionIDRe = regexp.MustCompile(`"internalActionId":"(\d+)_(\d+)"`)

// sameActionID checks that every internalActionId of body is one value of
// the form "<random>_<sequence>", and returns body with it replaced by "ID"
// and the value's two parts.
func sameActionID(t *testing.T, body string, n int) (string, string, string) {
	t.Helper()
	m := actionIDRe.FindAllStringSubmatch(body, -1)
	require.Len(t, m, n, body)
	for _, x := range m {
		require.Equal(t, m[0][0], x[0], "one internalActionId per response")
	}
	return strings.ReplaceAll(body, m[0][0], `"internalActionId":"ID"`), m[0][1], m[0][2]
}

func TestIntegraQueueSummary(t *testing.T) {
	e := newIntegra(t, nil)
	e.acd.set(func(a *igACD) { a.snap = igSnapshot() })
	auth := "Bearer " + e.login("sue")

	res, body := e.post("Supervisor/queuesummary", auth, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"))
	got, base, seq := sameActionID(t, body, 4)
	const date = `"dateReceived":"Nov 2, 2018 11:46:23 AM"`
	want := `[` +
		`{"queue":"Power<-","loggedIn":0,"available":0,"callers":3,"holdTime":18,"talkTime":130,"longestHoldTime":220,"internalActionId":"ID",` + date + `},` +
		`{"queue":"test->","loggedIn":3,"available":1,"callers":0,"holdTime":3725,"talkTime":0,"longestHoldTime":0,"internalActionId":"ID",` + date + `},` +
		`{"queue":"Ventas->","loggedIn":0,"available":0,"callers":0,"holdTime":0,"talkTime":0,"longestHoldTime":0,"internalActionId":"ID",` + date + `},` +
		`{"internalActionId":"ID",` + date + `}]`
	require.Equal(t, want, got)

	// The next response keeps the random part and counts on.
	_, body = e.post("Supervisor/queuesummary", auth, nil)
	_, base2, seq2 := sameActionID(t, body, 4)
	require.Equal(t, base, base2)
	require.NotEqual(t, seq, seq2)

	// No queues: only the end marker, dated by the clock when the snapshot has no time.
	e.acd.set(func(a *igACD) { a.snap = &centralita.ACDSnapshot{} })
	_, body = e.post("Supervisor/queuesummary", auth, nil)
	got, _, _ = sameActionID(t, body, 1)
	require.Equal(t, `[{"internalActionId":"ID","dateReceived":"Nov 2, 2018 11:00:00 AM"}]`, got)

	// The ACD failing is its HTTP status with "0".
	e.acd.set(func(a *igACD) { a.snapErr = centralita.Errorf(centralita.EUNAVAILABLE, "engine stopped") })
	res, body = e.post("Supervisor/queuesummary", auth, nil)
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, "0", body)
	res, body = e.post("Supervisor/campaignstatus", auth, nil)
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, "0", body)
}

// Campaign entries expected from igSnapshot. Power's completed and
// abandoned are QueueStatus.CompletedTotal (9 completed + 1 transferred)
// and AbandonedTotal (2 abandoned + 1 overflowed), the numbers statusQueues
// shows (soap TestStatusQueuesValues has the same queue), and its
// abandonedlevel 3 of 10 answered + 3 left: 23%.
const (
	wantPower = `"Power<-":{"campaign":"Power<-","availables":0,"notavailables":1,"paused":0,"busy":0,"busypaused":0,` +
		`"totalagents":1,"logged":0,"onwrapup":0,"completed":10,"abandoned":3,"talked":"00:21:40-10","hold":"00:03:00-10",` +
		`"abandonedlevel":"23","totalcalls":13,"acd":10,"servicelevel":"61.5","servicelevel2":"69.2",` +
		`"strategy":"leastrecent","slevelthreshold":"3","wrapup":0}`
	wantTest = `"test->":{"campaign":"test->","availables":1,"notavailables":2,"paused":1,"busy":1,"busypaused":0,` +
		`"totalagents":4,"logged":3,"onwrapup":0,"completed":0,"abandoned":0,"talked":"00:00:00-0","hold":"01:02:05-1",` +
		`"abandonedlevel":"0","totalcalls":1,"acd":1,"servicelevel":"0.0","servicelevel2":"0.0",` +
		`"strategy":"fewestcalls","slevelthreshold":"15","wrapup":3}`
	wantVentas = `"Ventas->":{"campaign":"Ventas->","availables":0,"notavailables":0,"paused":0,"busy":0,"busypaused":0,` +
		`"totalagents":0,"logged":0,"onwrapup":0,"completed":0,"abandoned":0,"talked":"00:00:00-0","hold":"00:00:00-0",` +
		`"abandonedlevel":"0","totalcalls":0,"acd":0,"servicelevel":"0.0","servicelevel2":"0.0",` +
		`"strategy":"ringall","slevelthreshold":"20","wrapup":0}`
)

func TestIntegraCampaignStatusAllQueues(t *testing.T) {
	e := newIntegra(t, nil)
	e.acd.set(func(a *igACD) { a.snap = igSnapshot() })
	for _, form := range []url.Values{nil, {"queue": {""}}} {
		res, body := e.post("Supervisor/campaignstatus", "Bearer "+integraKey, form)
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"))
		require.Equal(t, `{`+wantPower+`,`+wantTest+`,`+wantVentas+`}`, body)
		var parsed map[string]map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &parsed))
		require.IsType(t, "", parsed["test->"]["servicelevel"])
		require.IsType(t, float64(0), parsed["test->"]["wrapup"])
	}
}

func TestIntegraCampaignStatusOneQueue(t *testing.T) {
	e := newIntegra(t, nil)
	e.acd.set(func(a *igACD) { a.snap = igSnapshot() })
	auth := "Basic " + e.login("ana")

	res, body := e.post("Supervisor/campaignstatus", auth, url.Values{"queue": {"test->"}})
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	got, _, _ := sameActionID(t, body, 4)
	member := func(queue, key, name string, penalty, calls int, last int64, status int, paused bool, incall int, reason, date, server string) string {
		b, err := json.Marshal(paused)
		require.NoError(t, err)
		return `"` + key + `":{"queue":"` + queue + `","location":"` + key + `","membership":"","name":"` + name + `",` +
			`"penalty":` + itoa(penalty) + `,"callsTaken":` + itoa(calls) + `,"lastCall":` + itoa(int(last)) + `,` +
			`"status":` + itoa(status) + `,"paused":` + string(b) + `,"stateinterface":"` + key + `",` +
			`"incall":` + itoa(incall) + `,"pausedreason":"` + reason + `","internalActionId":"ID",` +
			`"dateReceived":"` + date + `","server":"` + server + `"}`
	}
	want := `{` + wantTest + `,` +
		member("test->", "SIP/1010", "Daniel", 0, 2, 1541169000, 5, true, 0, "Almuerzo", "Nov 2, 2018 11:36:11 AM", "00:10:12") + `,` +
		member("test->", "SIP/1001", "Santiago", 0, 0, 0, 1, false, 0, "", "Nov 2, 2018 11:26:44 AM", "00:19:39") + `,` +
		member("test->", "Agent/1003", "Eva", 0, 0, 0, 5, false, 0, "", "Nov 2, 2018 11:46:23 AM", "00:00:00") + `,` +
		member("test->", "PJSIP/1004", "Zoe", 1, 1, 1541163000, 2, false, 1, "", "Nov 2, 2018 9:46:23 AM", "02:00:00") + `}`
	require.Equal(t, want, got)

	// Names are matched exactly: no arrow is added or stripped (C15).
	for _, q := range []string{"test", "test-&gt;", "nowhere", "Test->"} {
		res, body = e.post("Supervisor/campaignstatus", auth, url.Values{"queue": {q}})
		require.Equal(t, http.StatusOK, res.StatusCode, q)
		require.Equal(t, "{}", body, q)
	}
	res, body = e.post("Supervisor/campaignstatus", auth, url.Values{"queue": {"Power<-"}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	got, _, _ = sameActionID(t, body, 1)
	require.Equal(t, `{`+wantPower+`,`+member("Power<-", "Agent/1003", "Eva", 0, 0, 0, 5, false, 0, "", "Nov 2, 2018 11:46:23 AM", "00:00:00")+`}`, got)
}

func TestIntegraCampaignStatusDuplicateInterface(t *testing.T) {
	e := newIntegra(t, nil)
	snap := &centralita.ACDSnapshot{Generated: time.Date(2018, 11, 2, 14, 0, 0, 0, time.UTC), Queues: []centralita.QueueStatus{{
		Queue: centralita.Queue{Name: "q"}, Members: 2,
		MemberStates: []centralita.MemberState{
			{Agent: "1", Name: "first", Interface: "SIP/100", LoggedIn: true, Status: centralita.AgentNotInUse},
			{Agent: "2", Name: "second", Interface: "SIP/100", LoggedIn: true, Status: centralita.AgentNotInUse},
		},
	}}}
	e.acd.set(func(a *igACD) { a.snap = snap })
	_, body := e.post("Supervisor/campaignstatus", "Bearer "+integraKey, url.Values{"queue": {"q"}})
	require.Equal(t, 1, strings.Count(body, `"SIP/100":`), "a key appears once: %s", body)
	require.Contains(t, body, `"name":"first"`)
	require.NotContains(t, body, `"name":"second"`)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
