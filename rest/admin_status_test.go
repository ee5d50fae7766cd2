package rest_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

func TestAdminStatus(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	now := adminStamp
	ventas := centralita.Queue{Name: "Ventas->", Strategy: centralita.StrategyRRMemory}.WithDefaults()
	member := centralita.MemberState{Agent: "101", Name: "Ana", Interface: "SIP/101", Penalty: 1, LoggedIn: true,
		Status: centralita.AgentInUse, CallsTaken: 4, LastCall: now.Add(-time.Minute), InCall: true}
	e.acd.snapshot = &centralita.ACDSnapshot{
		Generated: now,
		Queues: []centralita.QueueStatus{{
			Queue: ventas, Waiting: 1, LongestWait: 42*time.Second + 700*time.Millisecond, Ongoing: 1,
			Members: 2, Logged: 2, Available: 0, Paused: 1, Busy: 1,
			Offered: 12, Answered: 8, Completed: 6, Abandoned: 2, Transferred: 1,
			AnsweredInSL: 6, AnsweredInSL2: 7, HoldTotal: 100 * time.Second, TalkTotal: 700 * time.Second,
			Calls: []centralita.QueueCall{
				{ID: "1715000000.7", Direction: "in", CallerNumber: "099123456", EnteredAt: now.Add(-90 * time.Second),
					ConnectedAt: now.Add(-60 * time.Second), Agent: "101", IVRData: "opt=2"},
				{ID: "1715000000.9", Direction: "in", CallerNumber: "099000000", EnteredAt: now.Add(-42 * time.Second), Position: 1},
			},
			MemberStates: []centralita.MemberState{member, {Agent: "102", LoggedIn: true, Paused: true, PauseReason: "Almuerzo", Status: centralita.AgentNotInUse}},
		}},
		Agents: []centralita.AgentState{
			{Agent: centralita.Agent{Number: "101", Username: "ana", Name: "Ana"}, LoggedIn: true, LoggedInAt: now.Add(-time.Hour),
				Interface: "SIP/101", Status: centralita.AgentInUse, StatusChangedAt: now.Add(-60 * time.Second),
				Call: "1715000000.7", Queues: []centralita.MemberState{member}},
			{Agent: centralita.Agent{Number: "103", Username: "cid"}, Status: centralita.AgentUnavailable},
		},
	}

	body := e.mustCall(200, "sup", "GET", "/status", "")
	e.mustCall(200, "root", "GET", "/status", "")
	e.mustCall(403, "agt", "GET", "/status", "")
	e.mustCall(401, "", "GET", "/status", "")

	// The wire names are snake_case and durations are seconds.
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &raw))
	q := raw["queues"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{
		"name": "Ventas->", "strategy": "rrmemory", "waiting": 1.0, "longest_wait_sec": 42.0,
		"service_level": 60.0, "service_level2": 70.0, "abandon_rate": 20.0,
		"avg_hold_sec": 12.5, "avg_talk_sec": 100.0, "hold_total_sec": 100.0, "talk_total_sec": 700.0,
		"service_level_sec": 20.0, "answered_in_sl": 6.0, "busy_paused": 0.0,
	} {
		require.Equal(t, want, q[k], k)
	}
	require.Equal(t, "2024-05-01T09:00:00-03:00", raw["generated"], "times in the configured location")

	var st rest.AdminStatus
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Len(t, st.Queues, 1)
	calls := st.Queues[0].Calls
	require.Len(t, calls, 2)
	require.Equal(t, int64(30), calls[0].WaitSec, "wait until connected")
	require.Equal(t, int64(60), calls[0].TalkSec)
	require.NotNil(t, calls[0].ConnectedAt)
	require.Equal(t, int64(42), calls[1].WaitSec, "wait so far")
	require.Zero(t, calls[1].TalkSec)
	require.Nil(t, calls[1].ConnectedAt)
	require.Equal(t, 1, calls[1].Position)

	ms := st.Queues[0].MemberStates
	require.Len(t, ms, 2)
	require.Equal(t, "Ventas->", ms[0].Queue)
	require.Equal(t, "INUSE", ms[0].StatusName)
	require.Equal(t, 2, ms[0].Status)
	require.True(t, ms[1].Paused)
	require.Equal(t, "Almuerzo", ms[1].PauseReason)

	require.Len(t, st.Agents, 2)
	ana := st.Agents[0]
	require.Equal(t, "101", ana.Number)
	require.Equal(t, "ana", ana.Username)
	require.True(t, ana.LoggedIn)
	require.Equal(t, int64(60), ana.StatusSec)
	require.Equal(t, "1715000000.7", ana.Call)
	require.Len(t, ana.Queues, 1)
	require.Equal(t, "Ventas->", ana.Queues[0].Queue, "an agent's queues are named")
	require.Equal(t, 4, ana.Queues[0].CallsTaken)
	cid := st.Agents[1]
	require.Equal(t, "UNAVAILABLE", cid.StatusName)
	require.Nil(t, cid.LoggedInAt)
	require.NotNil(t, cid.Queues)
	require.Empty(t, cid.Queues)
}

func TestAdminTransfer(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	for _, tc := range []struct {
		name, user, path, body string
		status                 int
		acd                    string
	}{
		{"to queue", "sup", "/calls/1715000000.7/transfer", `{"target":"queue:support"}`, 204, "transfer 1715000000.7 queue:support"},
		{"to extension", "root", "/calls/1715000000.7/transfer", `{"target":"102"}`, 204, "transfer 1715000000.7 102"},
		{"no target", "sup", "/calls/1715000000.7/transfer", `{}`, 400, ""},
		{"empty queue", "sup", "/calls/1715000000.7/transfer", `{"target":"queue:"}`, 400, ""},
		{"unknown field", "sup", "/calls/1715000000.7/transfer", `{"target":"102","mode":"attended"}`, 400, ""},
		{"unknown call", "sup", "/calls/1.1/transfer", `{"target":"102"}`, 404, ""},
		{"agent role", "agt", "/calls/1715000000.7/transfer", `{"target":"102"}`, 403, ""},
		{"no credentials", "", "/calls/1715000000.7/transfer", `{"target":"102"}`, 401, ""},
	} {
		status, body := e.call(tc.user, "POST", tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		var want []string
		if tc.acd != "" {
			want = []string{tc.acd}
		}
		require.Equal(t, want, e.acd.takeCalls(), tc.name)
	}
	require.Equal(t, 0, e.acd.reloadCount())
}

func TestAdminReports(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	uyt := time.FixedZone("UYT", -3*3600)
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	e.store.stats = []centralita.AgentStats{{Agent: "101", Queue: "Ventas->", LoggedSec: 3600, PausedSec: 600, TalkSec: 1200,
		OutTalkSec: 60, AvailableSec: 1800, Offered: 10, Answered: 8, Outbound: 1, Transferred: 2, Short: 1}}
	e.store.sessions = []centralita.AgentSession{{Agent: "101", Queue: "Ventas->", Start: start, End: start.Add(2 * time.Hour), Open: true,
		Pauses: []centralita.AgentPause{
			{Reason: "Almuerzo", Start: start.Add(time.Hour), End: start.Add(time.Hour + 30*time.Minute)},
			{Reason: "", Start: start.Add(100 * time.Minute), End: start.Add(105 * time.Minute)},
		}}}

	for _, tc := range []struct {
		name, user, query string
		status            int
		from, to          time.Time
		queue, agent      string
	}{
		{"local layout", "sup", "from=2024-05-01+00:00:00&to=2024-05-02+00:00:00&queue=Ventas-%3E&agent=101", 200,
			time.Date(2024, 5, 1, 0, 0, 0, 0, uyt), time.Date(2024, 5, 2, 0, 0, 0, 0, uyt), "Ventas->", "101"},
		{"rfc 3339", "root", "from=" + url.QueryEscape("2024-05-01T00:00:00+02:00") + "&to=2024-05-01T23:00:00Z", 200,
			time.Date(2024, 4, 30, 22, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 23, 0, 0, 0, time.UTC), "", ""},
		{"rfc 3339 with unescaped plus", "root", "from=2024-05-01T00:00:00+02:00&to=2024-05-01T23:00:00.5Z", 200,
			time.Date(2024, 4, 30, 22, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 23, 0, 0, 5e8, time.UTC), "", ""},
		{"missing from", "sup", "to=2024-05-02+00:00:00", 400, time.Time{}, time.Time{}, "", ""},
		{"missing to", "sup", "from=2024-05-02+00:00:00", 400, time.Time{}, time.Time{}, "", ""},
		{"bad from", "sup", "from=yesterday&to=2024-05-02+00:00:00", 400, time.Time{}, time.Time{}, "", ""},
		{"date only", "sup", "from=2024-05-01&to=2024-05-02", 400, time.Time{}, time.Time{}, "", ""},
		{"to before from", "sup", "from=2024-05-02+00:00:00&to=2024-05-01+00:00:00", 400, time.Time{}, time.Time{}, "", ""},
		{"agent role", "agt", "from=2024-05-01+00:00:00&to=2024-05-02+00:00:00", 403, time.Time{}, time.Time{}, "", ""},
		{"no credentials", "", "from=2024-05-01+00:00:00&to=2024-05-02+00:00:00", 401, time.Time{}, time.Time{}, "", ""},
	} {
		for _, report := range []string{"/reports/agents", "/reports/sessions"} {
			e.store.mu.Lock()
			e.store.reportFilter = centralita.ReportFilter{}
			e.store.mu.Unlock()
			status, body := e.call(tc.user, "GET", report+"?"+tc.query, "")
			require.Equal(t, tc.status, status, "%s %s: %s", tc.name, report, body)
			if status != 200 {
				require.Equal(t, centralita.EINVALID == adminErrorOf(t, body).Error, status == 400, tc.name)
				continue
			}
			e.store.mu.Lock()
			f := e.store.reportFilter
			e.store.mu.Unlock()
			require.True(t, tc.from.Equal(f.From), "%s: from %s", tc.name, f.From)
			require.True(t, tc.to.Equal(f.To), "%s: to %s", tc.name, f.To)
			require.Equal(t, tc.queue, f.Queue, tc.name)
			require.Equal(t, tc.agent, f.Agent, tc.name)
		}
	}

	q := "?from=2024-05-01+00:00:00&to=2024-05-02+00:00:00"
	var stats []map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/reports/agents"+q, "")), &stats))
	require.Equal(t, []map[string]any{{"agent": "101", "queue": "Ventas->", "logged_sec": 3600.0, "paused_sec": 600.0,
		"talk_sec": 1200.0, "out_talk_sec": 60.0, "available_sec": 1800.0, "offered": 10.0, "answered": 8.0,
		"outbound": 1.0, "transferred": 2.0, "short": 1.0}}, stats)

	var sessions []rest.AdminAgentSession
	body := e.mustCall(200, "sup", "GET", "/reports/sessions"+q, "")
	require.NoError(t, json.Unmarshal([]byte(body), &sessions))
	require.Len(t, sessions, 1)
	s := sessions[0]
	require.Equal(t, int64(7200), s.DurationSec)
	require.True(t, s.Open)
	require.Equal(t, int64(35*60), s.PausedSec)
	require.Len(t, s.Pauses, 2)
	require.Equal(t, "Almuerzo", s.Pauses[0].Reason)
	require.Equal(t, int64(1800), s.Pauses[0].DurationSec)
	require.Contains(t, body, `"start":"2024-05-01T05:00:00-03:00"`, "times in the configured location")

	// No rows is [], not null.
	e.store.mu.Lock()
	e.store.stats, e.store.sessions = nil, nil
	e.store.mu.Unlock()
	require.JSONEq(t, "[]", e.mustCall(200, "sup", "GET", "/reports/agents"+q, ""))
	require.JSONEq(t, "[]", e.mustCall(200, "sup", "GET", "/reports/sessions"+q, ""))
}

func TestAdminCRMPushes(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	for i, p := range []centralita.CRMPush{
		{Method: centralita.CRMGetCallerIDName, UniqueID: "1.1", Status: "ok", CreatedAt: adminStamp},
		{Method: centralita.CRMPushAgentInfo, UniqueID: "1.1", Status: "error", Error: "timeout", CreatedAt: adminStamp.Add(time.Second)},
		{Method: centralita.CRMPushAgentInfo, UniqueID: "1.2", Status: "ok", Attempt: 2, CreatedAt: adminStamp.Add(2 * time.Second)},
	} {
		p.Target = "http://crm.example/" + string(rune('a'+i))
		require.NoError(t, e.store.CreateCRMPush(t.Context(), &p))
	}
	for _, tc := range []struct {
		name, user, query string
		status            int
		ids               []int64
		filter            centralita.CRMPushFilter
	}{
		{"all", "sup", "", 200, []int64{3, 2, 1}, centralita.CRMPushFilter{}},
		{"by method", "root", "?method=pushAgentInfo", 200, []int64{3, 2}, centralita.CRMPushFilter{Method: "pushAgentInfo"}},
		{"by call and status", "sup", "?uniqueid=1.1&status=error", 200, []int64{2}, centralita.CRMPushFilter{UniqueID: "1.1", Status: "error"}},
		{"paged", "sup", "?offset=1&limit=1", 200, []int64{2}, centralita.CRMPushFilter{Offset: 1, Limit: 1}},
		{"period", "sup", "?from=2024-05-01+09:00:00&to=2024-05-01T13:00:00Z", 200, []int64{3, 2, 1}, centralita.CRMPushFilter{
			From: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), To: time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)}},
		{"bad method", "sup", "?method=pushAgent", 400, nil, centralita.CRMPushFilter{}},
		{"bad status", "sup", "?status=failed", 400, nil, centralita.CRMPushFilter{}},
		{"bad limit", "sup", "?limit=ten", 400, nil, centralita.CRMPushFilter{}},
		{"limit too big", "sup", "?limit=1001", 400, nil, centralita.CRMPushFilter{}},
		{"negative offset", "sup", "?offset=-1", 400, nil, centralita.CRMPushFilter{}},
		{"bad from", "sup", "?from=today", 400, nil, centralita.CRMPushFilter{}},
		{"to before from", "sup", "?from=2024-05-02+00:00:00&to=2024-05-01+00:00:00", 400, nil, centralita.CRMPushFilter{}},
		{"agent role", "agt", "", 403, nil, centralita.CRMPushFilter{}},
		{"no credentials", "", "", 401, nil, centralita.CRMPushFilter{}},
	} {
		status, body := e.call(tc.user, "GET", "/crm/pushes"+tc.query, "")
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if status != 200 {
			continue
		}
		var got []centralita.CRMPush
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		var ids []int64
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		require.Equal(t, tc.ids, ids, tc.name)
		e.store.mu.Lock()
		f := e.store.crmFilter
		e.store.mu.Unlock()
		require.True(t, tc.filter.From.Equal(f.From) && tc.filter.To.Equal(f.To), "%s: %v", tc.name, f)
		f.From, f.To, tc.filter.From, tc.filter.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		require.Equal(t, tc.filter, f, tc.name)
	}
	require.JSONEq(t, "[]", e.mustCall(200, "sup", "GET", "/crm/pushes?uniqueid=none", ""))
	var m []map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/crm/pushes?limit=1", "")), &m))
	require.Equal(t, "http://crm.example/c", m[0]["target"])
	require.EqualValues(t, 2, m[0]["attempt"])
}

func TestAdminOptionalServices(t *testing.T) {
	e := startAdmin(t, rest.Config{}, func(c *rest.AdminConfig) { c.Reports, c.CRMPushes = nil, nil })
	q := "?from=2024-05-01+00:00:00&to=2024-05-02+00:00:00"
	for _, p := range []string{"/reports/agents" + q, "/reports/sessions" + q, "/crm/pushes"} {
		status, body := e.call("sup", "GET", p, "")
		require.Equal(t, 503, status, p)
		require.Equal(t, centralita.EUNAVAILABLE, adminErrorOf(t, body).Error)
	}
}
