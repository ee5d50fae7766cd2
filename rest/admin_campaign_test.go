package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// adminCampaignEnv is the admin API with the dialer's services over the eXpand fakes.
type adminCampaignEnv struct {
	*adminEnv
	st     *expandStore
	dialer *expandDialer
}

// startAdminCampaign starts the admin API with every dialer service; edit
// may take some away. The queue "ventas" exists.
func startAdminCampaign(t *testing.T, edit func(*rest.AdminConfig)) *adminCampaignEnv {
	t.Helper()
	st := newExpandStore()
	d := &expandDialer{st: st}
	e := startAdmin(t, rest.Config{}, func(c *rest.AdminConfig) {
		c.Campaigns, c.Contacts, c.Blacklist, c.Dispositions, c.Dialer = st, st, st, st, d
		if edit != nil {
			edit(c)
		}
	})
	require.NoError(t, e.store.CreateQueue(context.Background(), &centralita.Queue{Name: "ventas"}))
	return &adminCampaignEnv{adminEnv: e, st: st, dialer: d}
}

// adminCampaignCase is one request of a table and what it must answer.
type adminCampaignCase struct {
	name, user, method, path, body string
	status                         int
	kind                           centralita.Kind
	msg                            string // part of the error message
}

// run sends every case in order.
func (e *adminCampaignEnv) run(t *testing.T, cases []adminCampaignCase, after func(tc adminCampaignCase)) {
	t.Helper()
	for _, tc := range cases {
		status, body := e.call(tc.user, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.kind != "" {
			eb := adminErrorOf(t, body)
			require.Equal(t, tc.kind, eb.Error, tc.name)
			require.Contains(t, eb.Message, tc.msg, tc.name)
		}
		if after != nil {
			after(tc)
		}
	}
}

func TestAdminCampaigns(t *testing.T) {
	e := startAdminCampaign(t, nil)
	const full = `{"name":"Power<-","queue":"ventas","mode":"predictive","callerid":"29001234","max_lines":20,` +
		`"time_zone":"America/Montevideo","windows":[{"weekday":1,"start":"09:00","end":"18:00"}],` +
		`"retries":{"Busy":{"delay_sec":600,"max_attempts":3},"NoAnswer":{"delay_sec":3600,"max_attempts":2}}}`
	reloads := 0
	e.run(t, []adminCampaignCase{
		{"create with defaults", "root", "POST", "/campaigns", `{"name":"Ventas->","queue":"ventas"}`, 201, "", ""},
		{"create full", "root", "POST", "/campaigns", full, 201, "", ""},
		{"duplicate", "root", "POST", "/campaigns", `{"name":"Ventas->","queue":"ventas"}`, 409, centralita.ECONFLICT, ""},
		{"unknown queue", "root", "POST", "/campaigns", `{"name":"x","queue":"nope"}`, 400, centralita.EINVALID, `queue "nope" does not exist`},
		{"no queue", "root", "POST", "/campaigns", `{"name":"x"}`, 400, centralita.EINVALID, "queue"},
		{"no name", "root", "POST", "/campaigns", `{"queue":"ventas"}`, 400, centralita.EINVALID, "name"},
		{"bad mode", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","mode":"turbo"}`, 400, centralita.EINVALID, "mode"},
		{"bad state", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","state":"Running"}`, 400, centralita.EINVALID, "state"},
		{"retry on answer", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","retries":{"Answer":{"delay_sec":1,"max_attempts":1}}}`, 400, centralita.EINVALID, `outcome "Answer"`},
		{"negative retry", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","retries":{"Busy":{"delay_sec":-1}}}`, 400, centralita.EINVALID, "retry"},
		{"weekday 7", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","windows":[{"weekday":7,"start":"09:00","end":"10:00"}]}`, 400, centralita.EINVALID, "weekday"},
		{"window backwards", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","windows":[{"weekday":1,"start":"18:00","end":"09:00"}]}`, 400, centralita.EINVALID, "before end"},
		{"window clock", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","windows":[{"weekday":1,"start":"9:00","end":"10:00"}]}`, 400, centralita.EINVALID, "HH:MM"},
		{"bad zone", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","time_zone":"Mars/Olympus"}`, 400, centralita.EINVALID, "time zone"},
		{"abandon over 100", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","abandon_limit_pct":101}`, 400, centralita.EINVALID, "range"},
		{"unknown field", "root", "POST", "/campaigns", `{"name":"x","queue":"ventas","speed":3}`, 400, centralita.EINVALID, `unknown field "speed"`},
		{"empty body", "root", "POST", "/campaigns", ``, 400, centralita.EINVALID, "required"},
		{"supervisor may not create", "sup", "POST", "/campaigns", `{"name":"x","queue":"ventas"}`, 403, centralita.EFORBIDDEN, ""},
		{"no credentials", "", "GET", "/campaigns", "", 401, centralita.EUNAUTHORIZED, ""},
		{"agent may not read", "agt", "GET", "/campaigns", "", 403, centralita.EFORBIDDEN, ""},
		{"supervisor reads", "sup", "GET", "/campaigns/1", "", 200, "", ""},
		{"id not a number", "root", "GET", "/campaigns/x", "", 400, centralita.EINVALID, "positive integer"},
		{"id zero", "root", "GET", "/campaigns/0", "", 400, centralita.EINVALID, "positive integer"},
		{"missing", "root", "GET", "/campaigns/999", "", 404, centralita.ENOTFOUND, ""},
		{"replace, path id wins", "root", "PUT", "/campaigns/1", `{"id":77,"name":"Ventas->","queue":"ventas","state":"Active","created_at":"2020-01-01T00:00:00Z"}`, 200, "", ""},
		{"replace missing", "root", "PUT", "/campaigns/999", `{"name":"x","queue":"ventas"}`, 404, centralita.ENOTFOUND, ""},
		{"replace invalid", "root", "PUT", "/campaigns/1", `{"name":"Ventas->","queue":"ventas","mode":"x"}`, 400, centralita.EINVALID, ""},
		{"supervisor may not replace", "sup", "PUT", "/campaigns/1", `{"name":"Ventas->","queue":"ventas"}`, 403, centralita.EFORBIDDEN, ""},
		{"list bad state", "root", "GET", "/campaigns?state=Running", "", 400, centralita.EINVALID, "state"},
		{"list bad order_by", "root", "GET", "/campaigns?order_by=queue", "", 400, centralita.EINVALID, "order_by"},
		{"list bad order", "root", "GET", "/campaigns?order=up", "", 400, centralita.EINVALID, "order"},
	}, func(tc adminCampaignCase) {
		if tc.status < 300 && tc.method != "GET" {
			reloads++
		}
		require.Equal(t, reloads, e.dialer.reloadCount(), "%s: reloads", tc.name)
	})

	// Defaults, the path's id, read-only timestamps.
	var got centralita.Campaign
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "root", "GET", "/campaigns/1", "")), &got))
	require.Equal(t, centralita.Campaign{
		ID: 1, Name: "Ventas->", Queue: "ventas", State: centralita.CampaignActive, Mode: centralita.ModeProgressive,
		RingTimeoutSec: 20, PowerRatio: 2, AbandonLimitPct: 3, AbandonMessage: "sound:vm-goodbye",
	}, withoutStamps(got))
	require.Equal(t, adminStamp, got.CreatedAt.UTC(), "created_at is the store's")
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "root", "GET", "/campaigns/2", "")), &got))
	require.Equal(t, []centralita.CallWindow{{Weekday: time.Monday, Start: "09:00", End: "18:00"}}, got.Windows)
	require.Equal(t, centralita.RetryRule{DelaySec: 3600, MaxAttempts: 2}, got.Retries[centralita.OutcomeNoAnswer])
	require.Equal(t, centralita.ModePredictive, got.Mode)

	// The Location of a new campaign.
	req, err := http.NewRequest("POST", e.srv.URL()+"/api/v1/campaigns", strings.NewReader(`{"name":"Soporte","queue":"ventas","state":"Active"}`))
	require.NoError(t, err)
	req.SetBasicAuth("root", "pw")
	res, body := do(t, req)
	require.Equal(t, http.StatusCreated, res.StatusCode, body)
	require.Equal(t, "/api/v1/campaigns/3", res.Header.Get("Location"))

	list := func(query string) []int64 {
		t.Helper()
		var cs []centralita.Campaign
		require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/campaigns"+query, "")), &cs))
		ids := []int64{}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	require.Equal(t, []int64{1, 2, 3}, list(""))
	require.Equal(t, []int64{1, 3}, list("?state=Active"))
	require.Equal(t, []int64{1, 3, 2}, list("?order_by=name&order=desc"))

	reloads = e.dialer.reloadCount()
	e.mustCall(204, "root", "DELETE", "/campaigns/3", "")
	require.Equal(t, reloads+1, e.dialer.reloadCount())
	e.mustCall(404, "root", "DELETE", "/campaigns/3", "")
	e.mustCall(403, "sup", "DELETE", "/campaigns/1", "")
	require.Equal(t, []int64{1, 2}, list(""))

	e2 := startAdminCampaign(t, nil)
	require.Equal(t, "[]", strings.TrimSpace(e2.mustCall(200, "root", "GET", "/campaigns", "")))
}

// withoutStamps clears a campaign's timestamps.
func withoutStamps(c centralita.Campaign) centralita.Campaign {
	c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
	return c
}

func TestAdminCampaignReload(t *testing.T) {
	e := startAdminCampaign(t, nil)
	e.dialer.mu.Lock()
	e.dialer.reloadErr = centralita.Errorf(centralita.EUNAVAILABLE, "dialer stuck")
	e.dialer.mu.Unlock()
	status, body := e.call("root", "POST", "/campaigns", `{"name":"Ventas->","queue":"ventas"}`)
	require.Equal(t, http.StatusInternalServerError, status, body)
	eb := adminErrorOf(t, body)
	require.Equal(t, centralita.EINTERNAL, eb.Error)
	require.Contains(t, eb.Message, "campaign Ventas-> was saved")
	require.Contains(t, eb.Message, "dialer stuck")
	_, err := e.st.FindCampaignByName(context.Background(), "Ventas->")
	require.NoError(t, err, "the change stays stored")
	require.Contains(t, e.log.String(), "dialer reload failed")

	// Without a dialer, changes are stored and answered as done.
	e2 := startAdminCampaign(t, func(c *rest.AdminConfig) { c.Dialer = nil })
	e2.mustCall(201, "root", "POST", "/campaigns", `{"name":"Ventas->","queue":"ventas"}`)
	e2.mustCall(200, "root", "PUT", "/campaigns/1", `{"name":"Ventas->","queue":"ventas","state":"Active"}`)
	e2.mustCall(503, "root", "GET", "/dialer/status", "")
	e2.mustCall(503, "root", "POST", "/campaigns/1/contacts", `[{"number":"1"}]`)
}

func TestAdminCampaignUnconfigured(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/campaigns", ""},
		{"POST", "/campaigns", `{"name":"x","queue":"q"}`},
		{"GET", "/campaigns/1", ""},
		{"PUT", "/campaigns/1", `{"name":"x","queue":"q"}`},
		{"DELETE", "/campaigns/1", ""},
		{"GET", "/campaigns/1/dispositions", ""},
		{"PUT", "/campaigns/1/dispositions", `{"l1":"a"}`},
		{"DELETE", "/campaigns/1/dispositions?l1=a", ""},
		{"GET", "/campaigns/1/contacts", ""},
		{"POST", "/campaigns/1/contacts", `[{"number":"1"}]`},
		{"GET", "/blacklist", ""},
		{"POST", "/blacklist", `{"phone":"1","campaign":"*"}`},
		{"DELETE", "/blacklist?campaign=*&phone=1", ""},
		{"GET", "/dialer/status", ""},
		{"GET", "/jobs", ""},
		{"POST", "/jobs/j1/cancel", ""},
	} {
		status, body := e.call("root", r.method, r.path, r.body)
		require.Equal(t, http.StatusServiceUnavailable, status, "%s %s: %s", r.method, r.path, body)
		require.Equal(t, centralita.EUNAVAILABLE, adminErrorOf(t, body).Error)
		require.Contains(t, adminErrorOf(t, body).Message, "not configured")
	}
}

func TestAdminDispositions(t *testing.T) {
	e := startAdminCampaign(t, nil)
	e.st.putCampaign(centralita.Campaign{ID: 1, Name: "Ventas->", Queue: "ventas"})
	const p = "/campaigns/1/dispositions"
	e.run(t, []adminCampaignCase{
		{"add", "root", "PUT", p, `{"l1":"Venta","l2":"Concretada","completes":true,"txtcode":"V1"}`, 201, "", ""},
		{"replace", "root", "PUT", p, `{"l1":"Venta","l2":"Concretada","action":"RESPOOL","retry_delay_sec":300}`, 200, "", ""},
		{"add another", "root", "PUT", p, `{"l1":"No contesta","action":"RESCHEDULE"}`, 201, "", ""},
		{"bad action", "root", "PUT", p, `{"l1":"x","action":"CALLBACK"}`, 400, centralita.EINVALID, "action"},
		{"l3 without l2", "root", "PUT", p, `{"l1":"x","l3":"y"}`, 400, centralita.EINVALID, "l3 needs l2"},
		{"no l1", "root", "PUT", p, `{"l2":"y"}`, 400, centralita.EINVALID, "l1 is required"},
		{"negative delay", "root", "PUT", p, `{"l1":"x","retry_delay_sec":-1}`, 400, centralita.EINVALID, "retry_delay_sec"},
		{"unknown field", "root", "PUT", p, `{"l1":"x","campaign":"other"}`, 400, centralita.EINVALID, "unknown field"},
		{"unknown campaign", "root", "PUT", "/campaigns/9/dispositions", `{"l1":"x"}`, 404, centralita.ENOTFOUND, ""},
		{"supervisor may not set", "sup", "PUT", p, `{"l1":"x"}`, 403, centralita.EFORBIDDEN, ""},
		{"supervisor lists", "sup", "GET", p, "", 200, "", ""},
		{"delete without l1", "root", "DELETE", p + "?l2=x", "", 400, centralita.EINVALID, "l1"},
		{"delete escaped", "root", "DELETE", p + "?l1=No%20contesta", "", 204, "", ""},
		{"delete again", "root", "DELETE", p + "?l1=No%20contesta", "", 404, centralita.ENOTFOUND, ""},
		{"supervisor may not delete", "sup", "DELETE", p + "?l1=Venta&l2=Concretada", "", 403, centralita.EFORBIDDEN, ""},
	}, nil)
	var ds []centralita.Disposition
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "root", "GET", p, "")), &ds))
	require.Equal(t, []centralita.Disposition{{
		Campaign: "Ventas->", L1: "Venta", L2: "Concretada", Action: centralita.ActionRespool, RetryDelay: 300,
	}}, ds, "the replace wrote every field")
	require.Equal(t, 0, e.dialer.reloadCount(), "dispositions are read when applied")
}

func TestAdminBlacklist(t *testing.T) {
	e := startAdminCampaign(t, nil)
	e.st.putCampaign(centralita.Campaign{ID: 1, Name: "Ventas->", Queue: "ventas"})
	e.run(t, []adminCampaignCase{
		{"add", "root", "POST", "/blacklist", `{"phone":" 099123456 ","campaign":"Ventas->","name":"Juan","company":"ACME","job_title":"CEO"}`, 201, "", ""},
		{"add global", "root", "POST", "/blacklist", `{"phone":"24000000","campaign":"*"}`, 201, "", ""},
		{"add again", "root", "POST", "/blacklist", `{"phone":"24000000","campaign":"*"}`, 201, "", ""},
		{"unknown campaign", "root", "POST", "/blacklist", `{"phone":"1","campaign":"Nope"}`, 400, centralita.EINVALID, `campaign "Nope" does not exist`},
		{"no phone", "root", "POST", "/blacklist", `{"campaign":"*"}`, 400, centralita.EINVALID, "phone"},
		{"no campaign", "root", "POST", "/blacklist", `{"phone":"1"}`, 400, centralita.EINVALID, "campaign"},
		{"unknown field", "root", "POST", "/blacklist", `{"phone":"1","campaign":"*","username":"x"}`, 400, centralita.EINVALID, "unknown field"},
		{"supervisor may not add", "sup", "POST", "/blacklist", `{"phone":"1","campaign":"*"}`, 403, centralita.EFORBIDDEN, ""},
		{"agent may not list", "agt", "GET", "/blacklist", "", 403, centralita.EFORBIDDEN, ""},
		{"remove without phone", "root", "DELETE", "/blacklist?campaign=*", "", 400, centralita.EINVALID, "required"},
		{"remove unknown", "root", "DELETE", "/blacklist?campaign=*&phone=5", "", 404, centralita.ENOTFOUND, ""},
		{"supervisor may not remove", "sup", "DELETE", "/blacklist?campaign=*&phone=24000000", "", 403, centralita.EFORBIDDEN, ""},
	}, nil)
	list := func(query string) []centralita.BlacklistEntry {
		t.Helper()
		var es []centralita.BlacklistEntry
		require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/blacklist"+query, "")), &es))
		return es
	}
	es := list("?campaign=Ventas-%3E")
	require.Len(t, es, 1)
	require.Equal(t, "099123456", es[0].Phone)
	require.Equal(t, "root", es[0].Username, "the user who added it")
	require.Equal(t, "ACME", es[0].Company)
	require.Equal(t, "CEO", es[0].JobTitle)
	require.Equal(t, "Juan", es[0].Name)
	_, offset := es[0].CreatedAt.Zone()
	require.Equal(t, -3*3600, offset, "times in the configured zone")
	require.Len(t, list(""), 2)
	require.Len(t, list("?campaign=*"), 1)
	e.mustCall(204, "root", "DELETE", "/blacklist?campaign=*&phone=24000000", "")
	require.Len(t, list(""), 1)
	require.Equal(t, "[]", strings.TrimSpace(e.mustCall(200, "root", "GET", "/blacklist?campaign=Other", "")))
}

func TestAdminCampaignContacts(t *testing.T) {
	e := startAdminCampaign(t, nil)
	e.st.putCampaign(centralita.Campaign{ID: 1, Name: "Ventas->", Queue: "ventas"})
	ctx := context.Background()
	require.NoError(t, e.st.AddBlacklist(ctx, &centralita.BlacklistEntry{Campaign: "*", Phone: "24000000"}))
	e.dialer.setNow(adminStamp)

	const p = "/campaigns/1/contacts"
	e.run(t, []adminCampaignCase{
		{"empty list", "root", "POST", p, `[]`, 400, centralita.EINVALID, "1 to 10000"},
		{"not a list", "root", "POST", p, `{"number":"1"}`, 400, centralita.EINVALID, "must be an array"},
		{"priority 1", "root", "POST", p, `[{"number":"1"},{"number":"2","priority":1}]`, 400, centralita.EINVALID, "contacts[1]: priority 1 is reserved"},
		{"info not an object", "root", "POST", p, `[{"number":"1","info":[1]}]`, 400, centralita.EINVALID, "contacts[0]: info"},
		{"bad zone", "root", "POST", p, `[{"number":"1","time_zone":"Nowhere/Land"}]`, 400, centralita.EINVALID, "time zone"},
		{"no number", "root", "POST", p, `[{"name":"Ana"}]`, 400, centralita.EINVALID, "number"},
		{"unknown field", "root", "POST", p, `[{"number":"1","state":"Completed"}]`, 400, centralita.EINVALID, `unknown field "state"`},
		{"unknown campaign", "root", "POST", "/campaigns/9/contacts", `[{"number":"1"}]`, 404, centralita.ENOTFOUND, ""},
		{"supervisor may not add", "sup", "POST", p, `[{"number":"1"}]`, 403, centralita.EFORBIDDEN, ""},
		{"list bad state", "root", "GET", p + "?state=Done", "", 400, centralita.EINVALID, "state"},
		{"list bad order_by", "root", "GET", p + "?order_by=priority", "", 400, centralita.EINVALID, "order_by"},
		{"list limit over 1000", "root", "GET", p + "?limit=1001", "", 400, centralita.EINVALID, "0 to 1000"},
		{"list bad offset", "root", "GET", p + "?offset=-1", "", 400, centralita.EINVALID, "offset"},
		{"list bad time", "root", "GET", p + "?added_from=yesterday", "", 400, centralita.EINVALID, "added_from"},
		{"list unknown campaign", "root", "GET", "/campaigns/9/contacts", "", 404, centralita.ENOTFOUND, ""},
	}, nil)

	var added []centralita.Contact
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(201, "root", "POST", p,
		`[{"number":" 27111200 ","name":"Ana","info":{"ci": "1"},"alternates":["099111222"],"data":"a=1:b=2","agent":"101"},`+
			`{"number":"24000000","enabled":false,"priority":5,"time_zone":"America/Montevideo"}]`)), &added))
	require.Len(t, added, 2)
	require.Equal(t, int64(1), added[0].ID)
	require.Equal(t, "27111200", added[0].Number)
	require.Equal(t, `{"ci":"1"}`, string(added[0].Info))
	require.Equal(t, []string{"099111222"}, added[0].Alternates)
	require.Equal(t, centralita.PriorityDefault, added[0].Priority)
	require.True(t, added[0].Enabled)
	require.Equal(t, centralita.ContactPending, added[0].State)
	require.Equal(t, centralita.ContactRejected, added[1].State, "blacklisted numbers are added Rejected")
	require.False(t, added[1].Enabled)
	require.Equal(t, 5, added[1].Priority)
	_, offset := added[0].AddedAt.Zone()
	require.Equal(t, -3*3600, offset)
	log, err := e.st.ContactLog(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, rest.AdminContactTransition, log[0].Transition)

	var page rest.AdminContactPage
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", p+"?order_by=numcall&order=desc", "")), &page))
	require.Equal(t, 2, page.Total)
	require.Equal(t, []string{"27111200", "24000000"}, []string{page.Contacts[0].Number, page.Contacts[1].Number})

	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "root", "GET",
		p+"?state=Pending&like=an&number=27111200&order_by=name&order=asc&offset=0&limit=10"+
			"&added_from=2024-05-01%2008:00:00&added_to=2024-05-02T00:00:00Z&state_from=2024-05-01T00:00:00-03:00&state_to=2024-05-01%2010:00:00", "")), &page))
	require.Equal(t, 1, page.Total)
	require.Equal(t, "Ana", page.Contacts[0].Name)
	f := e.st.lastFilter()
	require.Equal(t, centralita.ContactFilter{
		CampaignID: 1, State: centralita.ContactPending, Like: "an", Number: "27111200", OrderBy: "name", Limit: 10,
		AddedFrom: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC), AddedTo: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
		StateFrom: time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC), StateTo: time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC),
	}, adminCampaignUTC(f))
}

// adminCampaignUTC puts a filter's times in UTC for comparison.
func adminCampaignUTC(f centralita.ContactFilter) centralita.ContactFilter {
	f.AddedFrom, f.AddedTo, f.StateFrom, f.StateTo = f.AddedFrom.UTC(), f.AddedTo.UTC(), f.StateFrom.UTC(), f.StateTo.UTC()
	return f
}

func TestAdminDialerStatusAndJobs(t *testing.T) {
	e := startAdminCampaign(t, nil)
	ended := adminStamp.Add(time.Minute)
	e.dialer.mu.Lock()
	e.dialer.status = []centralita.CampaignStatus{{
		Campaign: centralita.Campaign{ID: 7, Name: "Power<-", Mode: centralita.ModePredictive, State: centralita.CampaignActive, Queue: "ventas"},
		Pending:  120, Completed: 30, Rejected: 4, Canceled: 1, Due: 50, Dialing: 6, Waiting: 1,
		Dialed: 300, Answered: 90, Abandoned: 2, Connected: 88, AbandonRate30d: 2.2222, AbandonRate24h: 2.225, Ratio: 1.8333,
	}}
	e.dialer.jobs = []centralita.Job{
		{ID: "j1", Kind: "upload", Description: "base.txt", State: centralita.JobRunning, Done: 500, Total: 1000, StartedAt: adminStamp},
		{ID: "j2", Kind: "upload", State: centralita.JobDone, Done: 3, Total: 3, Rejected: 1,
			Rejections: []centralita.Rejection{{Line: 2, Reason: "bad number"}}, StartedAt: adminStamp, EndedAt: &ended},
	}
	e.dialer.mu.Unlock()

	var st rest.AdminDialerStatus
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/dialer/status", "")), &st))
	require.Equal(t, rest.AdminDialerStatus{Campaigns: []rest.AdminCampaignStatus{{
		ID: 7, Name: "Power<-", Mode: "predictive", State: "Active", Queue: "ventas",
		Pending: 120, Completed: 30, Rejected: 4, Canceled: 1, Due: 50, Dialing: 6, Waiting: 1,
		Dialed: 300, Answered: 90, Abandoned: 2, Connected: 88, AbandonRate30d: 2.22, AbandonRate24h: 2.23, Ratio: 1.83,
	}}}, st)

	body := e.mustCall(200, "sup", "GET", "/jobs", "")
	require.Contains(t, body, `"rejections":[]`, "no rejections is [] and not null")
	require.Contains(t, body, `"started_at":"2024-05-01T09:00:00-03:00"`)
	require.Contains(t, body, `"ended_at":"2024-05-01T09:01:00-03:00"`)
	var js []centralita.Job
	require.NoError(t, json.Unmarshal([]byte(body), &js))
	require.Len(t, js, 2)
	require.Equal(t, []centralita.Rejection{{Line: 2, Reason: "bad number"}}, js[1].Rejections)

	e.run(t, []adminCampaignCase{
		{"cancel", "root", "POST", "/jobs/j1/cancel", "", 204, "", ""},
		{"cancel with {}", "root", "POST", "/jobs/j2/cancel", "{}", 204, "", ""},
		{"cancel with a field", "root", "POST", "/jobs/j1/cancel", `{"force":true}`, 400, centralita.EINVALID, "unknown field"},
		{"cancel unknown", "root", "POST", "/jobs/nope/cancel", "", 404, centralita.ENOTFOUND, ""},
		{"supervisor may not cancel", "sup", "POST", "/jobs/j1/cancel", "", 403, centralita.EFORBIDDEN, ""},
		{"agent may not see the status", "agt", "GET", "/dialer/status", "", 403, centralita.EFORBIDDEN, ""},
	}, nil)
	e.dialer.mu.Lock()
	require.Equal(t, []string{"j1", "j2"}, e.dialer.canceled)
	e.dialer.mu.Unlock()
}

// TestAdminCampaignOpenAPISchemas checks the dialer routes' schemas (kept
// in the document's responses and requestBodies) against the JSON names of
// the Go types written or read for them.
func TestAdminCampaignOpenAPISchemas(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	doc := loadAdminOpenAPI(t, e)
	schema := func(ref string) map[string]any { return schemaAt(t, doc, ref) }
	const resp, body = "#/components/responses/", "#/components/requestBodies/"
	const js = "/content/application~1json/schema"
	campaign := schema(resp + "Campaign" + js)
	job := schema(resp + "Jobs" + js)
	status := schema(resp + "DialerStatus" + js)
	for _, tc := range []struct {
		name string
		s    map[string]any
		v    any
	}{
		{"Campaign", campaign, centralita.Campaign{}},
		{"Campaign.windows", campaign["properties"].(map[string]any)["windows"].(map[string]any)["items"].(map[string]any), centralita.CallWindow{}},
		{"Campaign.retries", campaign["properties"].(map[string]any)["retries"].(map[string]any)["properties"].(map[string]any)["Busy"].(map[string]any), centralita.RetryRule{}},
		{"Campaigns", schema(resp + "Campaigns" + js), centralita.Campaign{}},
		{"Disposition", schema(resp + "Disposition" + js), centralita.Disposition{}},
		{"Dispositions", schema(resp + "Dispositions" + js), centralita.Disposition{}},
		{"Contacts", schema(resp + "Contacts" + js), centralita.Contact{}},
		{"ContactPage", schema(resp + "ContactPage" + js), rest.AdminContactPage{}},
		{"BlacklistEntry", schema(resp + "BlacklistEntry" + js), centralita.BlacklistEntry{}},
		{"Blacklist", schema(resp + "Blacklist" + js), centralita.BlacklistEntry{}},
		{"DialerStatus", status, rest.AdminDialerStatus{}},
		{"CampaignStatus", status["properties"].(map[string]any)["campaigns"].(map[string]any)["items"].(map[string]any), rest.AdminCampaignStatus{}},
		{"Job", job, centralita.Job{}},
		{"Rejection", job["properties"].(map[string]any)["rejections"].(map[string]any)["items"].(map[string]any), centralita.Rejection{}},
		{"CampaignInput", schema(body + "CampaignInput" + js), centralita.Campaign{}},
		{"DispositionInput", schema(body + "DispositionInput" + js), rest.AdminDispositionInput{}},
		{"ContactsInput", schema(body + "ContactsInput" + js), rest.AdminContactInput{}},
		{"BlacklistInput", schema(body + "BlacklistInput" + js), rest.AdminBlacklistInput{}},
	} {
		require.Equal(t, "object", tc.s["type"], tc.name)
		var got, want []string
		for p := range tc.s["properties"].(map[string]any) {
			got = append(got, p)
		}
		rt := reflect.TypeOf(tc.v)
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if tag == "-" {
				continue
			}
			require.NotEmpty(t, tag, "%s.%s has no json name", rt.Name(), rt.Field(i).Name)
			want = append(want, tag)
		}
		sort.Strings(got)
		sort.Strings(want)
		require.Equal(t, want, got, tc.name)
	}
}

// schemaAt resolves ref to a schema object, following $refs and the items of arrays.
func schemaAt(t *testing.T, doc map[string]any, ref string) map[string]any {
	t.Helper()
	v, ok := openAPIResolve(doc, ref)
	require.True(t, ok, ref)
	s := v.(map[string]any)
	for {
		switch {
		case s["$ref"] != nil:
			r, ok := openAPIResolve(doc, s["$ref"].(string))
			require.True(t, ok, s["$ref"])
			s = r.(map[string]any)
		case s["type"] == "array":
			s = s["items"].(map[string]any)
		default:
			return s
		}
	}
}
