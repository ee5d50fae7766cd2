package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// The eXpand documents these operations answer.
type (
	xmlPanel struct {
		Agents []struct {
			Status string `xml:"status,attr"`
			Number string `xml:",chardata"`
		} `xml:"agents>agent"`
		Queues []struct {
			QName     string `xml:"qname,attr"`
			Abandoned int    `xml:"qstatus>abandoned"`
			Completed int    `xml:"qstatus>completed"`
			QAgents   []struct {
				Logged string `xml:"logged,attr"`
				Paused string `xml:"paused,attr"`
				Number string `xml:",chardata"`
			} `xml:"qagents>qagent"`
		} `xml:"queues>queue"`
	}
	xmlAgentData struct {
		Agents []struct {
			Agente      string `xml:"agente,attr"`
			Logueado    int64  `xml:"logueadoSeg,attr"`
			Pausado     int64  `xml:"pausadoSeg,attr"`
			Hablado     int64  `xml:"habladoSeg,attr"`
			Disponible  int64  `xml:"disponibleSeg,attr"`
			Atendidas   int    `xml:"atendidas,attr"`
			Presentadas int    `xml:"presentadas,attr"`
			Perdidas    int    `xml:"perdidas,attr"`
		} `xml:"agent"`
	}
	xmlQueueData struct {
		Rows []struct {
			Action string `xml:"action,attr"`
			Agent  string `xml:"agent,attr"`
		} `xml:"activity"`
	}
	xmlAgentTimes struct {
		Agents []struct {
			User   string `xml:"user,attr"`
			Loged  int64  `xml:"loged,attr"`
			Paused int64  `xml:"paused,attr"`
		} `xml:"agent"`
	}
	xmlSessions struct {
		Agents []struct {
			UserID string `xml:"userID,attr"`
			Queues []struct {
				Name   string `xml:"queuename,attr"`
				Logged int64  `xml:"logged,attr"`
				Paused int64  `xml:"paused,attr"`
				Pauses []struct {
					Type     string `xml:"type,attr"`
					Duration int64  `xml:"duration,attr"`
				} `xml:"pauses>pause"`
			} `xml:"queue"`
		} `xml:"agent"`
	}
)

// TestACDReportsAgree runs a morning of a small call center through the
// simulator and checks that every report agrees with queue_log and with the
// others: statusQueues, queueData, agentData, getAgentTimes,
// agentSessionDetail, campaignstatus and queuesummary.
func TestACDReportsAgree(t *testing.T) {
	s := startACDStack(t)
	start := time.Now().Add(-time.Second).Truncate(time.Second)
	k := s.key

	for _, a := range [][2]string{{"ana", "101"}, {"beto", "102"}, {"carla", "103"}, {"dani", "104"}} {
		require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", k, "agent", a[0], "extension", a[1]), "true"), "login %s", a[0])
	}
	require.Equal(t, "0", s.soapText(t, "getAgentLoggedInfo", "authorizedKey", k, "username", "eva"))
	require.Equal(t, "ana", s.soapText(t, "getUserByAgent", "authorizedKey", k, "agent", "101"))
	// dani's phone rings out; carla goes to lunch.
	s.simJSON(t, http.MethodPut, "/sim/endpoints/104", map[string]any{"behavior": map[string]any{"outcome": "noanswer"}}, http.StatusOK, nil)
	require.True(t, strings.EqualFold(s.soapText(t, "pauseAgent", "authorizedKey", k, "agent", "carla", "queues", "", "pauseDTMF", "1"), "true"))

	// Six calls of 5 simulated seconds each (1 s of real time at scale 0.2).
	var calls []string
	for i := 0; i < 6; i++ {
		calls = append(calls, s.simCall(t, map[string]any{"from": fmt.Sprintf("55501%02d", i), "queue": "sales", "talk_duration": "5s"}))
		time.Sleep(300 * time.Millisecond)
	}
	// Nobody is logged in to support: this caller gives up.
	lost := s.simCall(t, map[string]any{"from": "5550199", "queue": "support"})
	s.waitLog(t, start, 5*time.Second, "ENTERQUEUE support", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == lost && r.Event == centralita.QLEnterQueue
	})
	time.Sleep(500 * time.Millisecond)
	s.simJSON(t, http.MethodPost, "/sim/channels/"+lost+"/hangup", map[string]any{}, http.StatusNoContent, nil)

	// Logging out mid-call ends nothing: the agent leaves after the call.
	long := s.simCall(t, map[string]any{"from": "5550150", "queue": "sales", "talk_duration": "10s"})
	conn := s.waitLog(t, start, 10*time.Second, "CONNECT of the long call", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == long && r.Event == centralita.QLConnect
	})
	busy := centralita.AgentFromLogName(conn.Agent)
	user := map[string]string{"101": "ana", "102": "beto"}[busy]
	require.NotEmpty(t, user, "the long call went to %s", busy)
	require.True(t, strings.EqualFold(s.soapText(t, "logoutAgent", "authorizedKey", k, "agent", user), "true"))

	require.Eventually(t, func() bool { return s.simChannels(t) == 0 }, 20*time.Second, 100*time.Millisecond, "calls did not end")
	time.Sleep(1500 * time.Millisecond) // wrap-up ends; the period closes on a whole second
	end := time.Now().Truncate(time.Second)
	// fin is inclusive to its second: let that second pass, so that every
	// report clips open sessions at the same instant (not at "now").
	time.Sleep(time.Until(end.Add(1100 * time.Millisecond)))
	rows := s.queueLog(t, start)

	// The long call completed before its agent was removed.
	var completeAt, removeAt int
	for i, r := range rows {
		if r.CallID == long && strings.HasPrefix(r.Event, "COMPLETE") {
			completeAt = i
		}
		if r.Event == centralita.QLRemoveMember && r.Agent == centralita.AgentLogName(busy) {
			removeAt = i
		}
	}
	require.NotZero(t, completeAt, "the long call has no COMPLETE row")
	require.Greater(t, removeAt, completeAt, "REMOVEMEMBER must follow the call's COMPLETE")

	// Every call was answered except the abandoned one; dani rang out; carla took none.
	require.Equal(t, 7, logCount(rows, "sales", "", centralita.QLConnect))
	require.Equal(t, 1, logCount(rows, "support", "", centralita.QLAbandon))
	require.Positive(t, logCount(rows, "sales", "104", centralita.QLRingNoAnswer))
	require.Zero(t, logCount(rows, "sales", "103", centralita.QLConnect)+logCount(rows, "sales", "103", centralita.QLRingNoAnswer))
	completed := logCount(rows, "sales", "", centralita.QLCompleteCaller) + logCount(rows, "sales", "", centralita.QLCompleteAgent)
	require.Equal(t, 7, completed)

	p := func(kv ...string) []string {
		return append([]string{"authorizedKey", k}, kv...)
	}
	from, to := start.UTC().Format(time.DateTime), end.UTC().Format(time.DateTime)

	// statusQueues: today's counters are queue_log's.
	var panel xmlPanel
	s.soapDoc(t, &panel, "statusQueues", p()...)
	byQueue := map[string]int{}
	for i, q := range panel.Queues {
		byQueue[q.QName] = i
	}
	require.Equal(t, completed, panel.Queues[byQueue["sales"]].Completed)
	require.Equal(t, 1, panel.Queues[byQueue["support"]].Abandoned)
	logged := 0
	for _, qa := range panel.Queues[byQueue["sales"]].QAgents {
		if qa.Logged == "true" {
			logged++
		}
	}
	require.Equal(t, 3, logged, "ana or beto logged out")

	// queueData maps every queue_log row of the period.
	var qd xmlQueueData
	s.soapDoc(t, &qd, "queueData", p("Cola", "sales", "Agente", "", "FechaInicio", from, "FechaFin", to)...)
	actions := map[string]int{}
	for _, r := range qd.Rows {
		actions[r.Action]++
	}
	require.Equal(t, 7, actions["CONNECT"])
	require.Equal(t, logCount(rows, "sales", "", centralita.QLRingNoAnswer), actions["NOANSWER"]+actions["CONGESTION"])
	require.Equal(t, 7+actions["NOANSWER"]+actions["CONGESTION"], actions["RINGING"])
	require.Equal(t, 4, actions["LOGIN"])
	require.Equal(t, 1, actions["LOGOUT"])
	require.Equal(t, 1, actions["PAUSE"])
	require.Equal(t, 7, actions["ENTERQUEUE"])

	// agentData agrees with queue_log, and its figures add up.
	var ad xmlAgentData
	s.soapDoc(t, &ad, "agentData", p("Cola", "sales", "FechaInicio", from, "FechaFin", to)...)
	stats := map[string]int{}
	for i, a := range ad.Agents {
		num := strings.TrimPrefix(strings.SplitN(a.Agente, ")", 2)[0], "(")
		stats[num] = i
		require.Equal(t, logCount(rows, "sales", num, centralita.QLConnect), a.Atendidas, "agent %s atendidas", num)
		require.Equal(t, a.Atendidas+logCount(rows, "sales", num, centralita.QLRingNoAnswer), a.Presentadas, "agent %s presentadas", num)
		require.Equal(t, a.Presentadas-a.Atendidas, a.Perdidas)
		require.EqualValues(t, logTalk(t, rows, "sales", num), a.Hablado, "agent %s habladoSeg", num)
		require.Equal(t, a.Logueado-a.Pausado-a.Hablado, a.Disponible, "agent %s disponibleSeg", num)
	}
	require.Len(t, ad.Agents, 4)

	// getAgentTimes and agentSessionDetail agree with agentData and each other.
	var times xmlAgentTimes
	s.soapDoc(t, &times, "getAgentTimes", p("inicio", from, "fin", to, "agente", "", "cola", "sales")...)
	for _, a := range times.Agents {
		num := map[string]string{"ana": "101", "beto": "102", "carla": "103", "dani": "104"}[a.User]
		row := ad.Agents[stats[num]]
		require.Equal(t, row.Logueado, a.Loged, "%s logged", a.User)
		require.Equal(t, row.Pausado, a.Paused, "%s paused", a.User)
	}
	var sess xmlSessions
	s.soapDoc(t, &sess, "agentSessionDetail", p("inicio", from, "fin", to, "userID", "carla", "cola", "sales")...)
	require.Len(t, sess.Agents, 1)
	q := sess.Agents[0].Queues[0]
	require.Equal(t, ad.Agents[stats["103"]].Pausado, q.Paused)
	require.Equal(t, ad.Agents[stats["103"]].Logueado, q.Logged)
	require.Equal(t, "Almuerzo", q.Pauses[0].Type)
	require.Equal(t, q.Paused, q.Pauses[0].Duration)
	require.Positive(t, q.Paused)

	// Integra's campaignstatus and queuesummary tell the same story.
	tok := s.integraToken(t, "sup", "sup-password-1")
	st, body := s.integra(t, tok, "Supervisor/campaignstatus", url.Values{"queue": {"sales"}})
	require.Equal(t, http.StatusOK, st, body)
	var cs map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &cs))
	require.EqualValues(t, completed, cs["sales"]["completed"])
	require.EqualValues(t, 3, cs["sales"]["logged"])
	require.EqualValues(t, 1, cs["sales"]["paused"])
	for _, num := range []string{"101", "102", "103", "104"} {
		iface := "SIP/" + num
		if num == busy {
			iface = "Agent/" + num // logged out: no interface to key it by
		}
		require.Contains(t, cs, iface)
		taken := logCount(rows, "sales", num, centralita.QLCompleteCaller) + logCount(rows, "sales", num, centralita.QLCompleteAgent)
		require.EqualValues(t, taken, cs[iface]["callsTaken"], "%s callsTaken", iface)
	}
	require.EqualValues(t, centralita.AgentUnavailable, cs["Agent/"+busy]["status"], "the agent who logged out")
	st, body = s.integra(t, tok, "Supervisor/campaignstatus", url.Values{"queue": {""}})
	require.Equal(t, http.StatusOK, st, body)
	require.NoError(t, json.Unmarshal([]byte(body), &cs))
	require.EqualValues(t, 1, cs["support"]["abandoned"])
	st, body = s.integra(t, tok, "Supervisor/queuesummary", nil)
	require.Equal(t, http.StatusOK, st, body)
	var summary []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &summary))
	require.Len(t, summary, 3) // two queues and the end marker
	for _, e := range summary[:2] {
		if e["queue"] == "sales" {
			require.EqualValues(t, 3, e["loggedIn"])
			require.EqualValues(t, 0, e["callers"])
		}
	}
	require.Len(t, summary[2], 2, "the end marker has only internalActionId and dateReceived")
}

// TestZeepCallCenterOperations drives the call-center operations with zeep,
// a third-party SOAP client reading the served WSDL.
func TestZeepCallCenterOperations(t *testing.T) {
	s := startACDStack(t)
	cmd := exec.Command("/usr/bin/python3", "testdata/zeep_acd.py", s.url+"/apiws/2/apiws.php?wsdl", s.key, s.sim.URL(), s.simUser, s.simPW)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("zeep script failed (make test installs python3-zeep): %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	var r struct {
		Login        []any             `json:"login"`
		LoginUnknown any               `json:"login_unknown"`
		Pause        any               `json:"pause"`
		LoggedInfo   map[string]string `json:"logged_info"`
		NotLogged    string            `json:"not_logged"`
		NoName       string            `json:"no_name"`
		UserByAgent  []any             `json:"user_by_agent"`
		UserInfo     map[string]string `json:"user_info"`
		BadKey       string            `json:"bad_key"`
		Extensions   []struct {
			Number, Type string
			Agent        map[string]string
			Queues       []map[string]string
		} `json:"extensions"`
		NoExtensions     string            `json:"no_extensions"`
		Connected        map[string]string `json:"connected_statuses"`
		Unpause          any               `json:"unpause"`
		Logout           []any             `json:"logout"`
		QueueDataActions []string          `json:"queue_data_actions"`
		AgentTimes       map[string]string `json:"agent_times"`
		AgentTimesErrors []string          `json:"agent_times_errors"`
	}
	require.NoError(t, json.Unmarshal(out, &r), string(out))
	isTrue := func(v any) bool { return fmt.Sprint(v) == "true" || strings.EqualFold(fmt.Sprint(v), "TRUE") }
	require.True(t, isTrue(r.Login[0]) && isTrue(r.Login[1]), "%v", r.Login)
	require.False(t, isTrue(r.LoginUnknown))
	require.True(t, isTrue(r.Pause))
	require.Equal(t, map[string]string{"nombre": "Ana Lopez", "email": "ana@example.com", "logueado": "1", "agente": "ana", "nroAgente": "101", "extension": "101"}, r.LoggedInfo)
	require.Equal(t, "0", r.NotLogged)
	require.Equal(t, "-2", r.NoName)
	require.Equal(t, []any{"ana", nil}, r.UserByAgent, "an unknown agent is the empty string (zeep reads it as None)")
	require.Equal(t, "Carla Ruiz", r.UserInfo["nombre"])
	require.Equal(t, "1", r.UserInfo["agente"])
	require.Equal(t, "103", r.UserInfo["nroAgente"])
	require.Equal(t, "-1", r.BadKey)
	require.Len(t, r.Extensions, 2)
	require.Equal(t, "SIP", r.Extensions[0].Type)
	require.Equal(t, map[string]string{"number": "101", "user": "ana", "name": "Ana Lopez"}, r.Extensions[0].Agent)
	require.Equal(t, "true", r.Extensions[1].Queues[0]["is_paused"])
	require.Equal(t, "Descanso", r.Extensions[1].Queues[0]["pause_type"])
	require.Equal(t, "-4", r.NoExtensions)
	require.Equal(t, "busy", r.Connected["101"], "ana is on the call")
	require.Equal(t, "busyout", r.Connected["102"], "beto is paused in all his queues")
	require.True(t, isTrue(r.Unpause))
	require.True(t, isTrue(r.Logout[0]) && isTrue(r.Logout[1]))
	require.Subset(t, r.QueueDataActions, []string{"LOGIN", "PAUSE", "ENTERQUEUE", "RINGING", "CONNECT", "UNPAUSE", "LOGOUT"})
	require.Equal(t, "beto", r.AgentTimes["user"])
	require.NotEqual(t, "0", r.AgentTimes["paused"])
	require.Equal(t, []string{"-4", "-5", "-6", "-7", "-8"}, r.AgentTimesErrors)
}
