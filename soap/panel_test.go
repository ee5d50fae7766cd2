package soap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// TestStatusQueuesExample rebuilds the spec's example (§7.2) exactly, from
// a snapshot that holds what the example shows: agent 105 paused in all its
// queues (busyout in the agents list) yet free in qg_call, agent 106 paused
// there and otherwise free (waiting, paused="true"), and three calls in
// progress (numongoing 3), two connected and one waiting (numwaiting 1).
// The pause reason is the name the ACD keeps; no store is read for it.
func TestStatusQueuesExample(t *testing.T) {
	changed := time.Unix(1275585158, 0)
	at := time.Unix(1275586803, 0)
	w := newACDWorld(t, func(w *acdWorld) {
		w.acd.snap = &centralita.ACDSnapshot{
			Generated: time.Unix(1275586846, 781234567),
			Agents: []centralita.AgentState{
				{Agent: centralita.Agent{Number: "106", Name: "Elisa Rodriguez"}, StatusChangedAt: changed},
				{Agent: centralita.Agent{Number: "104", Name: "Juan Perez"}},
				{Agent: centralita.Agent{Number: "105", Name: "Facundo Martinez"}, LoggedIn: true, Status: centralita.AgentNotInUse,
					StatusChangedAt: changed, Paused: true},
			},
			Queues: []centralita.QueueStatus{{
				Queue:   centralita.Queue{Name: "qg_call", Description: "Callcenter"},
				Ongoing: 2, Waiting: 1,
				MemberStates: []centralita.MemberState{
					{Agent: "104", LoggedIn: true, Status: centralita.AgentNotInUse},
					{Agent: "105", LoggedIn: true, Status: centralita.AgentNotInUse},
					{Agent: "106", LoggedIn: true, Paused: true, PauseReason: "Almuerzo", Status: centralita.AgentNotInUse},
				},
				Calls: []centralita.QueueCall{
					{ID: "1275586803.1502", Direction: "in", CallerNumber: "5062934", EnteredAt: at, ConnectedAt: at, Agent: "104"},
					{ID: "1275586803.1502", Direction: "out", CallerNumber: "5062934", EnteredAt: at, ConnectedAt: at, Agent: "105"},
					{ID: "1275586803.1502", Direction: "out", CallerNumber: "5062934", EnteredAt: at, ConnectedAt: at},
				},
			}},
		}
	})
	got := w.call(t, "statusQueues", "authorizedKey", goodKey)
	require.True(t, strings.HasPrefix(got, `<?xml version="1.0" encoding="iso-8859-1"?>`+"\n"), got)
	requireSameXML(t, `<?xml version="1.0" encoding="iso-8859-1"?>
<panel generated="1275586846.78">
  <agents>
    <agent lastcongestion="0" laststatuschange="0" name="Juan Perez" status="offline" warning="0">104</agent>
    <agent lastcongestion="0" laststatuschange="1275585158" name="Facundo Martinez" status="busyout" warning="0">105</agent>
    <agent lastcongestion="0" laststatuschange="1275585158" name="Elisa Rodriguez" status="offline" warning="0">106</agent>
  </agents>
  <queues>
    <queue qname="qg_call" name="Callcenter">
      <qstatus>
        <abandoned>0</abandoned>
        <completed>0</completed>
        <counterabn>0</counterabn>
        <counterans>0</counterans>
        <numongoing>3</numongoing>
        <numwaiting>1</numwaiting>
        <ratio>0</ratio>
      </qstatus>
      <qagents>
        <qagent logged="true" paused="false" status="waiting" pausetype="">104</qagent>
        <qagent logged="true" paused="false" status="waiting" pausetype="">105</qagent>
        <qagent logged="true" paused="true" status="waiting" pausetype="Almuerzo">106</qagent>
      </qagents>
      <qcalls>
        <call type="in" callerid="5062934" calleridname="" connecttime="1275586803" intime="1275586803" uniqueid="1275586803.1502">104</call>
        <call type="out" callerid="5062934" calleridname="" connecttime="1275586803" intime="1275586803" uniqueid="1275586803.1502">105</call>
        <call type="out" callerid="5062934" calleridname="" connecttime="1275586803" intime="1275586803" uniqueid="1275586803.1502">0</call>
      </qcalls>
    </queue>
  </queues>
</panel>`, got)
	assert.Empty(t, w.agents.Reads(), "the panel comes from the snapshot alone")
	assert.Empty(t, w.queues.Reads())
}

// TestStatusQueuesLatin1 checks the document is plain ASCII with character
// references, so it reads the same as ISO-8859-1 and UTF-8.
func TestStatusQueuesLatin1(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		entered := time.Unix(1275586810, 0)
		w.acd.snap = &centralita.ACDSnapshot{
			Generated: entered,
			Agents: []centralita.AgentState{{Agent: centralita.Agent{Number: "106", Name: "Elisa Rodríguez"},
				StatusChangedAt: entered, LastRejectAt: time.Unix(1275585000, 0)}},
			Queues: []centralita.QueueStatus{{
				Queue: centralita.Queue{Name: "q", Description: "Atención"}, Waiting: 1,
				MemberStates: []centralita.MemberState{{Agent: "106", LoggedIn: true, Paused: true, PauseReason: "Baño"}},
				Calls:        []centralita.QueueCall{{ID: "1275586810.1504", CallerNumber: "099123456", CallerName: "Łukasz Peña", EnteredAt: entered, Position: 1}},
			}},
		}
	})
	got := w.call(t, "statusQueues", "authorizedKey", goodKey)
	require.True(t, strings.HasPrefix(got, `<?xml version="1.0" encoding="iso-8859-1"?>`+"\n"), got)
	for i := range len(got) {
		require.Less(t, got[i], byte(0x80), "the ISO-8859-1 document must be plain ASCII, with references for the rest: %q", got)
	}
	requireSameXML(t, `<panel generated="1275586810.00">
  <agents><agent lastcongestion="1275585000" laststatuschange="1275586810" name="Elisa Rodr&#237;guez" status="offline" warning="0">106</agent></agents>
  <queues><queue qname="q" name="Atenci&#243;n">
    <qstatus><abandoned>0</abandoned><completed>0</completed><counterabn>0</counterabn><counterans>0</counterans><numongoing>1</numongoing><numwaiting>1</numwaiting><ratio>0</ratio></qstatus>
    <qagents><qagent logged="true" paused="true" status="waiting" pausetype="Ba&#241;o">106</qagent></qagents>
    <qcalls><call type="in" callerid="099123456" calleridname="&#321;ukasz Pe&#241;a" connecttime="0" intime="1275586810" uniqueid="1275586810.1504">0</call></qcalls>
  </queue></queues>
</panel>`, got)
}

func TestStatusQueuesValues(t *testing.T) {
	member := func(agent string, logged, paused bool, st centralita.AgentStatus) centralita.MemberState {
		return centralita.MemberState{Agent: agent, LoggedIn: logged, Paused: paused, Status: st}
	}
	agent := func(number string, logged bool, st centralita.AgentStatus, queues ...centralita.MemberState) centralita.AgentState {
		return centralita.AgentState{Agent: centralita.Agent{Number: number}, LoggedIn: logged, Status: st, Queues: queues, Paused: len(queues) > 0 && queues[0].Paused}
	}
	now := time.Date(2014, 2, 1, 12, 0, 0, 0, time.UTC)
	w := newACDWorld(t, func(w *acdWorld) {
		w.acd.snap = &centralita.ACDSnapshot{
			Agents: []centralita.AgentState{
				agent("1000", true, centralita.AgentNotInUse),
				agent("201", true, centralita.AgentRinging),
				agent("202", true, centralita.AgentRingInUse),
				agent("203", true, centralita.AgentInUse, member("203", true, true, centralita.AgentInUse)),
				agent("204", true, centralita.AgentBusy),
				agent("205", true, centralita.AgentOnHold),
				agent("206", true, centralita.AgentWrapup),
				agent("207", true, centralita.AgentNotInUse, member("207", true, true, 1), member("207", true, false, 1)),
				agent("208", true, centralita.AgentNotInUse, member("208", true, true, 1), member("208", false, false, 1)),
				agent("209", true, centralita.AgentUnavailable),
				agent("210", false, centralita.AgentNotInUse),
				agent("99", true, centralita.AgentUnknown),
			},
			Queues: []centralita.QueueStatus{
				// rest's TestIntegraCampaignStatus* queue Power<-: campaignstatus
				// gives the same completed (10) and abandoned (3).
				{Queue: centralita.Queue{Name: "q_b"}, Abandoned: 2, Overflowed: 1, Completed: 9, Transferred: 1, Answered: 10, AnsweredInSL: 8,
					Waiting: 1, Ongoing: 1, Calls: []centralita.QueueCall{
						{ID: "w", Direction: "in", EnteredAt: now.Add(-time.Minute), Position: 1},
						{ID: "c", Direction: "in", EnteredAt: now.Add(-time.Minute), ConnectedAt: now, Agent: "203"},
						{ID: "o", Direction: "out", EnteredAt: now, Agent: "204"},
					}},
				{Queue: centralita.Queue{Name: "q_a"}, Answered: 2, Abandoned: 1, AnsweredInSL: 2, MemberStates: []centralita.MemberState{
					member("1", false, false, centralita.AgentNotInUse), member("2", true, true, centralita.AgentNotInUse),
					member("3", true, true, centralita.AgentRinging), member("4", true, false, centralita.AgentWrapup),
					member("5", true, false, centralita.AgentNotInUse),
				}},
				{Queue: centralita.Queue{Name: "q_c"}, Answered: 4, AnsweredInSL: 4},
			},
		}
	}, func(c *soap.ACDConfig) { c.Now = func() time.Time { return now } })
	doc := parseXML(t, w.call(t, "statusQueues", "authorizedKey", goodKey))
	require.Equal(t, "panel", doc.Name)
	assert.Equal(t, []string{"generated=1391256000.00"}, doc.Attrs, "a snapshot without a time is stamped with the clock")

	statuses := map[string]string{}
	var order []string
	for _, a := range doc.Children[0].Children {
		order = append(order, a.Text)
		statuses[a.Text] = strings.TrimPrefix(a.Attrs[3], "status=")
	}
	assert.Equal(t, []string{"99", "201", "202", "203", "204", "205", "206", "207", "208", "209", "210", "1000"}, order, "agents by number")
	assert.Equal(t, map[string]string{
		"99": "waiting", "1000": "waiting", "201": "ringing", "202": "ringing", "203": "busy", "204": "busy", "205": "busy",
		"206": "wrapup", "207": "waiting", "208": "busyout", "209": "offline", "210": "offline",
	}, statuses)

	queues := doc.Children[1].Children
	require.Len(t, queues, 3)
	assert.Equal(t, []string{"qname=q_a", "name="}, queues[0].Attrs, "queues by name")
	figures := func(q xnode) []string {
		var out []string
		for _, c := range q.Children[0].Children {
			out = append(out, c.Name+"="+c.Text)
		}
		return out
	}
	assert.Equal(t, []string{"abandoned=3", "completed=10", "counterabn=3", "counterans=10", "numongoing=3", "numwaiting=1", "ratio=61.5"}, figures(queues[1]),
		"the totals of QueueStatus; numongoing every call listed, waiting or not")
	assert.Equal(t, []string{"0", "203", "0"}, []string{queues[1].Children[2].Children[0].Text, queues[1].Children[2].Children[1].Text, queues[1].Children[2].Children[2].Text},
		"text 0 until connected, an outbound call dialling too")
	assert.Equal(t, "ratio=66.7", figures(queues[0])[6])
	assert.Equal(t, "ratio=100", figures(queues[2])[6])
	var qagents []string
	for _, m := range queues[0].Children[1].Children {
		qagents = append(qagents, m.Text+":"+strings.Join(m.Attrs, ","))
	}
	assert.Equal(t, []string{
		"1:logged=false,paused=false,status=offline,pausetype=",
		"2:logged=true,paused=true,status=waiting,pausetype=",
		"3:logged=true,paused=true,status=ringing,pausetype=",
		"4:logged=true,paused=false,status=wrapup,pausetype=",
		"5:logged=true,paused=false,status=waiting,pausetype=",
	}, qagents)
	assert.Equal(t, xnode{Name: "qcalls"}, queues[0].Children[2])

	assert.Equal(t, "-1", w.call(t, "statusQueues", "authorizedKey", "nope"))
	w.acd.mu.Lock()
	w.acd.snapErr = errDown
	w.acd.mu.Unlock()
	r := post(t, w.url, docLit("statusQueues", "authorizedKey", goodKey), nil)
	require.NotNil(t, r.Fault, "no code is documented for a failure (A18)")
	assert.Contains(t, r.Fault.Code, "Server")
}

func TestStatusQueuesEmpty(t *testing.T) {
	w := newACDWorld(t, nil)
	requireSameXML(t, `<panel generated="1391263200.00"><agents/><queues/></panel>`, w.call(t, "statusQueues", "authorizedKey", goodKey))
}

func TestGetAgentLoginExample(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		at := time.Date(2014, 9, 11, 15, 29, 27, 0, w.loc)
		nag := centralita.Agent{Number: "711", Username: "nagarcia", Name: "Nazaret Garcia"}
		dario := centralita.Agent{Number: "705", Username: "darioj", Name: "Dario"}
		m := func(agent string, paused bool, reason string) centralita.MemberState {
			return centralita.MemberState{Agent: agent, LoggedIn: true, Paused: paused, PauseReason: reason}
		}
		q := func(name, desc string, members ...centralita.MemberState) centralita.QueueStatus {
			return centralita.QueueStatus{Queue: centralita.Queue{Name: name, Description: desc}, MemberStates: members}
		}
		w.acd.snap = &centralita.ACDSnapshot{
			Agents: []centralita.AgentState{
				{Agent: dario, LoggedIn: true, LoggedInAt: at, Interface: "SIP/151"},
				{Agent: nag, LoggedIn: true, LoggedInAt: at, Interface: "SIP/101"},
				{Agent: centralita.Agent{Number: "800", Username: "gone", Name: "Gone"}, Interface: "SIP/102"},
				{Agent: centralita.Agent{Number: "801", Username: "pj", Name: "PJ"}, LoggedIn: true, LoggedInAt: at, Interface: "PJSIP/103"},
			},
			Queues: []centralita.QueueStatus{
				q("q_tra", "CallCenter C", m("711", false, ""), m("705", true, "Almuerzo")),
				q("q_fmn", "Fabian Maitzman", m("705", false, "")),
				q("q_ven", "Callcenter Ventas", m("705", false, "")),
				q("q_age", "Agesic", m("705", true, "Descanso")),
				q("q_tec", "Callcenter Tecnico", m("705", true, "Descanso")),
				q("q_emp", "Empanadas Rodeo", m("705", false, ""), centralita.MemberState{Agent: "801"}),
			},
		}
	})
	got := w.call(t, "getAgentLogin", "authorizedKey", goodKey, "extensions", "101,151")
	require.True(t, strings.HasPrefix(got, `<?xml version="1.0" encoding="UTF-8" ?>`), "a declaration, as every XML result has (A3)")
	requireSameXML(t, `<extensions>
  <extension number="101" channelType="SIP" channelId="101" >
    <agent number="711" user="nagarcia" name="Nazaret Garcia" />
    <queue name="q_tra" description="CallCenter C" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="false" pause_type="" />
  </extension>
  <extension number="151" channelType="SIP" channelId="151" >
    <agent number="705" user="darioj" name="Dario" />
    <queue name="q_tra" description="CallCenter C" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="true" pause_type="Almuerzo" />
    <queue name="q_fmn" description="Fabian Maitzman" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="false" pause_type="" />
    <queue name="q_ven" description="Callcenter Ventas" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="false" pause_type="" />
    <queue name="q_age" description="Agesic" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="true" pause_type="Descanso"/>
    <queue name="q_tec" description="Callcenter Tecnico" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="true" pause_type="Descanso" />
    <queue name="q_emp" description="Empanadas Rodeo" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="false" pause_type="" />
  </extension>
</extensions>`, got)
	assert.Empty(t, w.agents.Reads(), "pause reasons are the names the ACD keeps: no store read")

	// Idle, logged-out and technology-qualified extensions; duplicates once.
	requireSameXML(t, `<extensions>
  <extension number="102" channelType="SIP" channelId="102"/>
  <extension number="101" channelType="SIP" channelId="101">
    <agent number="711" user="nagarcia" name="Nazaret Garcia"/>
    <queue name="q_tra" description="CallCenter C" is_logged="true" logged_date="2014-09-11 15:29:27" is_paused="false" pause_type=""/>
  </extension>
  <extension number="103" channelType="PJSIP" channelId="103">
    <agent number="801" user="pj" name="PJ"/>
    <queue name="q_emp" description="Empanadas Rodeo" is_logged="false" logged_date="" is_paused="false" pause_type=""/>
  </extension>
  <extension number="151" channelType="PJSIP" channelId="151"/>
  <extension number="999" channelType="SIP" channelId="999"/>
</extensions>`, w.call(t, "getAgentLogin", "authorizedKey", goodKey, "extensions", " 102 , 101,,103,PJSIP/151,999,101"))

	for _, tc := range []struct{ name, exts, key, want string }{
		{"empty", "", goodKey, "-4"},
		{"only commas", " , ,", goodKey, "-4"},
		{"space inside", "101,10 1", goodKey, "-5"},
		{"other separator", "101;102", goodKey, "-5"},
		{"punctuation", "101,abc-1", goodKey, "-5"},
		{"bad key", "101", "nope", "-1"},
	} {
		assert.Equal(t, tc.want, w.call(t, "getAgentLogin", "authorizedKey", tc.key, "extensions", tc.exts), tc.name)
	}
	w.acd.mu.Lock()
	w.acd.snapErr = errDown
	w.acd.mu.Unlock()
	assert.Equal(t, "-3", w.call(t, "getAgentLogin", "authorizedKey", goodKey, "extensions", "101"))
}

// TestGetAgentLoginEndpoints checks that with ACDConfig.Endpoints an
// extension naming no endpoint is -5 (A16), looked up as the ACD dials it
// (SIP, the default, as PJSIP), and that without it any well-formed one is
// listed.
func TestGetAgentLoginEndpoints(t *testing.T) {
	eps := &fakeEndpointLister{names: []string{"PJSIP/101", "PJSIP/102", "IAX2/300"}}
	snap := func(w *acdWorld) {
		w.acd.snap = &centralita.ACDSnapshot{Agents: []centralita.AgentState{
			{Agent: centralita.Agent{Number: "711", Username: "nagarcia", Name: "Nazaret Garcia"}, LoggedIn: true, Interface: "SIP/101"},
		}}
	}
	w := newACDWorld(t, snap, func(c *soap.ACDConfig) { c.Endpoints = eps })
	for _, tc := range []struct {
		name, exts, want string
		looked           []string
	}{
		{"all exist, each looked up once", "101, SIP/102,PJSIP/101, IAX2/300", "", []string{"PJSIP/101", "PJSIP/102", "IAX2/300"}},
		{"one unknown", "101,103", "-5", []string{"PJSIP/101", "PJSIP/103"}},
		{"unknown under its technology", "IAX2/101", "-5", []string{"IAX2/101"}},
		{"malformed before any lookup", "101,10 3", "-5", nil},
		{"lookup fails", "666", "-3", []string{brokenEndpointName}},
		{"none", ",", "-4", nil},
	} {
		got := w.call(t, "getAgentLogin", "authorizedKey", goodKey, "extensions", tc.exts)
		if tc.want == "" {
			doc := parseXML(t, got)
			require.Len(t, doc.Children, 4, "%s: %s", tc.name, got)
			assert.Equal(t, "711", doc.Children[0].Children[0].Attrs[0][len("number="):], tc.name)
		} else {
			assert.Equal(t, tc.want, got, tc.name)
		}
		reads := eps.Reads()
		var looked []string
		for name, n := range reads {
			assert.Equal(t, 1, n, "%s: %s looked up once", tc.name, name)
			looked = append(looked, name)
		}
		assert.ElementsMatch(t, tc.looked, looked, tc.name)
	}

	// Without Endpoints, an extension is not checked: 103 is listed idle.
	w = newACDWorld(t, snap)
	requireSameXML(t, `<extensions><extension number="103" channelType="SIP" channelId="103"/></extensions>`,
		w.call(t, "getAgentLogin", "authorizedKey", goodKey, "extensions", "103"))
}
