package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// expandZone is the eXpand examples' zone (Uruguay).
var expandZone = time.FixedZone("UYT", -3*3600)

// expandAt reads "YYYY-MM-DD HH:MM:SS" in expandZone.
func expandAt(t *testing.T, v string) time.Time {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04:05", v, expandZone)
	require.NoError(t, err)
	return at
}

// expandBadFormat is the manual's 400 body, byte for byte.
const expandBadFormat = `{"errrorCode":"Unknown_data_format"}`

// expandEnv is a server with the eXpand dialer module over the fakes.
type expandEnv struct {
	t      *testing.T
	srv    *rest.Server
	st     *expandStore
	dialer *expandDialer
	log    *adminLogBuffer
}

// startExpand starts a server with the module; users are ExpandConfig.Users.
func startExpand(t *testing.T, users ...string) *expandEnv {
	t.Helper()
	st := newExpandStore()
	e := &expandEnv{t: t, st: st, dialer: &expandDialer{st: st}, log: &adminLogBuffer{}}
	s, err := rest.NewServer(rest.Config{
		Listen: "127.0.0.1:0", Auth: expandAuth{}, MaxBodyBytes: 4096,
		Logger: slog.New(slog.NewTextHandler(e.log, nil)),
	})
	require.NoError(t, err)
	require.NoError(t, s.RegisterExpand(rest.ExpandConfig{Campaigns: st, Contacts: st, Dialer: e.dialer, Location: expandZone, Users: users}))
	require.NoError(t, s.Open())
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	e.srv = s
	return e
}

// call sends method path (under the module's prefix, already escaped) as
// user ("" for none, password "pw") with body and headers.
func (e *expandEnv) call(user, method, path, body string, headers ...string) (*http.Response, string) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL()+rest.ExpandDialerPrefix+path, r)
	require.NoError(e.t, err)
	if user != "" {
		req.SetBasicAuth(user, "pw")
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(e.t, req)
}

// mustCall is call as root that requires status; it answers the body.
func (e *expandEnv) mustCall(status int, method, path, body string, headers ...string) string {
	e.t.Helper()
	res, b := e.call("root", method, path, body, headers...)
	require.Equal(e.t, status, res.StatusCode, "%s %s: %s", method, path, b)
	require.Equal(e.t, "application/json", res.Header.Get("Content-Type"))
	return b
}

// expandCompact drops the whitespace outside JSON strings, so that the
// manual's pretty-printed examples compare byte for byte.
func expandCompact(s string) string {
	var b strings.Builder
	in, esc := false, false
	for _, r := range s {
		switch {
		case in:
			switch {
			case esc:
				esc = false
			case r == '\\':
				esc = true
			case r == '"':
				in = false
			}
		case r == '"':
			in = true
		case r == ' ' || r == '\n' || r == '\t' || r == '\r':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// expandWith applies this facade's two documented differences to a
// manual's contact example: the real statelog (B6; "" keeps the example's)
// and statetimestamp, always present (B4).
func expandWith(example, statelog, statetimestamp string) string {
	s := expandCompact(example)
	if statelog != "" {
		s = strings.Replace(s, `"statelog":[]`, `"statelog":`+expandCompact(statelog), 1)
	}
	return strings.TrimSuffix(s, "}") + `,"statetimestamp":"` + statetimestamp + `"}`
}

// The manual's examples (rest-expandweb3.md §3.3–§3.5, §3.8), verbatim.
const (
	expandPostRequest = `{
  "name": "Rodrigo",
  "numcall": "27111200",
  "enable": true,
  "info": {
    "ci": "3123456-0",
    "correo": "rangles@expand.com.uy"
  }
}`
	expandPostResponse = `{
  "attempttimestamp": "",
  "enable": true,
  "id": 1698,
  "idcall": 1698,
  "info": {
    "ci": "3123456-0",
    "correo": "rangles@expand.com.uy"
  },
  "lastattempt": "",
  "name": "Rodrigo",
  "numcall": "27111200",
  "state": "Pending",
  "statelog": []
}`
	expandGetResponse = `{
  "attempttimestamp": "",
  "enable": true,
  "id": 1698,
  "idcall": 1698,
  "info": {
    "ci": "3123456-0",
    "correo": "rangles@expand.com.uy"
  },
  "lastattempt": "",
  "name": "Rodrigo",
  "numcall": "27111200",
  "state": "Pending",
  "statelog": [
    {
      "timestamp": "2017-11-10 18:50:13",
      "transition": "_Source_API_Apl"
    }
  ]
}`
	expandPutRequest = `{
  "name": "Rodrigo",
  "numcall": "099267067",
  "enable": true,
  "info": { "ci": "36860117", "correo": "info@expand.com.uy" }
}`
	expandPutResponse = `{
  "attempttimestamp": "",
  "enable": true,
  "id": 1698,
  "idcall": 1698,
  "info": { "ci": "36860117", "correo": "info@expand.com.uy" },
  "lastattempt": "",
  "name": "Rodrigo",
  "numcall": "099267067",
  "state": "Pending",
  "statelog": []
}`
	expandListResponse = `{
  "recordsTotal": 18,
  "data": [
    {
      "attempttimestamp": "2017-07-12 15:43:40",
      "enable": true,
      "id": 1251,
      "idcall": 1251,
      "info": {
        "ci": "3123456-0",
        "correa": "rangles@expand.com.uy",
        "nombre": "Rodrigo Angles"
      },
      "lastattempt": "Answer",
      "name": "Rodrigo",
      "numcall": "27111200",
      "state": "Completed",
      "statelog": [
        { "timestamp": "2017-07-12 15:43:40", "transition": "Answer" }
      ],
      "statetimestamp": "2017-07-12 15:44:18"
    },
    {
      "attempttimestamp": "2017-07-12 15:45:43",
      "enable": true,
      "id": 1343,
      "idcall": 1343,
      "info": {},
      "lastattempt": "Answer"
    }
  ]
}`
)

// expandCampaign313 is the examples' campaign.
func expandCampaign313() centralita.Campaign {
	return centralita.Campaign{ID: 313, Name: "Ventas->", Mode: centralita.ModeProgressive, State: centralita.CampaignActive, Queue: "ventas"}
}

func TestExpandContactExamples(t *testing.T) {
	e := startExpand(t)
	e.st.putCampaign(expandCampaign313())
	e.st.setNextContact(1698)
	e.dialer.setNow(expandAt(t, "2017-11-10 18:50:13"))
	const created = `[{"timestamp":"2017-11-10 18:50:13","transition":"_Source_API_Apl"}]`

	// §3.3: 201 with the full contact, its state log as stored (B6) and statetimestamp (B4).
	res, body := e.call("contactclient", "POST", "/campaigns/313/contacts", expandPostRequest)
	require.Equal(t, http.StatusForbidden, res.StatusCode, "an agent without the module")
	res, body = e.call("root", "POST", "/campaigns/313/contacts", expandPostRequest)
	require.Equal(t, http.StatusCreated, res.StatusCode, body)
	require.Equal(t, "application/json", res.Header.Get("Content-Type"))
	require.Equal(t, rest.ExpandDialerPrefix+"/campaigns/313/contacts/1698", res.Header.Get("Location"))
	require.Equal(t, expandWith(expandPostResponse, created, "2017-11-10 18:50:13"), body)

	// The contact went through the dialer with the API transition (B5).
	ct, err := e.st.FindContact(context.Background(), 1698)
	require.NoError(t, err)
	require.Equal(t, int64(313), ct.CampaignID)
	require.Equal(t, centralita.PriorityDefault, ct.Priority)
	require.True(t, ct.Enabled)

	// §3.4.
	require.Equal(t, expandWith(expandGetResponse, "", "2017-11-10 18:50:13"), e.mustCall(200, "GET", "/campaigns/313/contacts/1698", ""))

	// §3.5: the new data, and the real state log (B6).
	require.Equal(t, expandWith(expandPutResponse, created, "2017-11-10 18:50:13"), e.mustCall(200, "PUT", "/campaigns/313/contacts/1698", expandPutRequest))
	ct, err = e.st.FindContact(context.Background(), 1698)
	require.NoError(t, err)
	require.Equal(t, "099267067", ct.Number)
	require.JSONEq(t, `{"ci":"36860117","correo":"info@expand.com.uy"}`, string(ct.Info))
}

func TestExpandContactListExample(t *testing.T) {
	e := startExpand(t)
	e.st.putCampaign(expandCampaign313())
	e.st.putCampaign(centralita.Campaign{ID: 427, Name: "Cobranza", Queue: "cobranza", State: centralita.CampaignActive})
	attempt1, attempt2 := expandAt(t, "2017-07-12 15:43:40"), expandAt(t, "2017-07-12 15:45:43")
	e.st.putContact(centralita.Contact{
		ID: 1251, CampaignID: 313, Name: "Rodrigo", Number: "27111200", Enabled: true,
		Info:  json.RawMessage(`{"ci":"3123456-0","correa":"rangles@expand.com.uy","nombre":"Rodrigo Angles"}`),
		State: centralita.ContactCompleted, LastAttemptAt: &attempt1, LastOutcome: centralita.OutcomeAnswered,
		StateAt: expandAt(t, "2017-07-12 15:44:18"), AddedAt: expandAt(t, "2017-07-01 09:00:00"),
	}, centralita.ContactTransition{Time: attempt1, Transition: "Answer"})
	e.st.putContact(centralita.Contact{
		ID: 1343, CampaignID: 313, Name: "María", Number: "099000000", Enabled: true,
		State: centralita.ContactCompleted, LastAttemptAt: &attempt2, LastOutcome: centralita.OutcomeAnswered,
		StateAt: attempt2, AddedAt: expandAt(t, "2017-07-01 09:00:01"),
	})
	for i := range 16 {
		e.st.putContact(centralita.Contact{
			ID: int64(1400 + i), CampaignID: 313, Name: fmt.Sprintf("Contacto %02d", i), Number: fmt.Sprintf("2900%04d", i),
			Enabled: true, State: centralita.ContactPending, AddedAt: expandAt(t, "2017-07-02 09:00:00"),
		})
	}
	e.st.putContact(centralita.Contact{ID: 9000, CampaignID: 427, Name: "Rodrigo", Number: "27111200", State: centralita.ContactPending})

	// §3.8: the example is cut after the second contact's lastattempt.
	body := e.mustCall(200, "GET", "/campaigns/313/contacts", "")
	example := expandCompact(expandListResponse)
	cut := strings.LastIndex(example, `"lastattempt":"Answer"`) + len(`"lastattempt":"Answer"`)
	require.True(t, strings.HasPrefix(body, example[:cut]), "got %s\nwant prefix %s", body, example[:cut])
	require.Equal(t, 100, e.st.lastFilter().Limit, "the default page")

	var page rest.ExpandList[rest.ExpandContact]
	list := func(query string, headers ...string) []int64 {
		t.Helper()
		page = rest.ExpandList[rest.ExpandContact]{}
		require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "GET", "/campaigns/313/contacts"+query, "", headers...)), &page))
		ids := []int64{}
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		return ids
	}
	// Filters, ordering and paging; recordsTotal counts before paging (B19).
	require.Equal(t, []int64{1415, 1414, 1413}, list("?order_by=numcall&order=desc&start=0&limit=3"))
	require.Equal(t, 18, page.RecordsTotal)
	require.Equal(t, []int64{1412, 1411}, list("?order_by=numcall&order=desc&start=3&limit=2"))
	require.Equal(t, []int64{1343, 1251, 1400}, list("?order_by=numcall&limit=3"))
	require.Equal(t, []int64{1400, 1401}, list("?order_by=name&order_asc&state=Pending&limit=2"))
	require.Equal(t, 16, page.RecordsTotal)
	require.Equal(t, []int64{1251}, list("?like=Rodrigo"), "like matches the name, within the campaign")
	require.Equal(t, 1, page.RecordsTotal)
	require.Equal(t, []int64{1415}, list("?like=29000015"), "like matches the number")
	require.Equal(t, []int64{1251, 1343}, list("?state=completed"), "states are read case-insensitively")
	require.Equal(t, []int64{}, list("?limit=0"), "limit=0 counts only")
	require.Equal(t, 18, page.RecordsTotal)
	require.Equal(t, []int64{}, list("?start=100"))
	require.Equal(t, 18, page.RecordsTotal)
	list("?limit=5000")
	require.Equal(t, 1000, e.st.lastFilter().Limit, "a limit over 1000 is cut")
	require.Len(t, page.Data, 18)

	// Filters as headers when absent from the query (B2); the query wins.
	require.Equal(t, []int64{1251, 1343}, list("", "state", "Completed"))
	require.Equal(t, []int64{1400}, list("?state=Pending&limit=1", "state", "Completed", "order_by", "numcall"))
	require.Equal(t, []int64{1415}, list("", "order_by", "'numcall'", "order", "desc", "limit", "1"))
	require.Equal(t, "1251", fmt.Sprint(list("", "like", `"rodrigo"`)[0]))
}

func TestExpandActivity(t *testing.T) {
	e := startExpand(t)
	e.st.putCampaign(centralita.Campaign{ID: 427, Name: "Cobranza", Queue: "cobranza", State: centralita.CampaignActive})
	for _, c := range []struct {
		id          int64
		name, added string
		state       centralita.ContactState
		stateAt     string
	}{
		{2001, "Ana", "2019-01-31 23:59:59", centralita.ContactPending, "2019-01-31 23:59:59"},
		{2002, "Beto", "2019-02-01 00:00:00", centralita.ContactCompleted, "2019-03-02 10:00:00"},
		{2003, "Carlos", "2019-02-28 23:59:59", centralita.ContactPending, "2019-02-28 23:59:59"},
		{2004, "Diego", "2019-03-01 00:00:00", centralita.ContactPending, "2019-03-01 00:00:00"},
	} {
		e.st.putContact(centralita.Contact{
			ID: c.id, CampaignID: 427, Name: c.name, Number: fmt.Sprint(c.id), State: c.state,
			AddedAt: expandAt(t, c.added), StateAt: expandAt(t, c.stateAt),
		})
	}
	total := 0
	activity := func(query string, headers ...string) []string {
		t.Helper()
		var page rest.ExpandList[rest.ExpandContact]
		require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "GET", "/campaigns/427/contacts/activity"+query, "", headers...)), &page))
		names := []string{}
		for _, c := range page.Data {
			names = append(names, c.Name)
			require.NotEmpty(t, c.StateTimestamp, "activity always has statetimestamp")
		}
		total = page.RecordsTotal
		return names
	}
	// The manual's two examples (§3.9), with B8's bare flag and B9's quotes.
	require.Equal(t, []string{"Ana", "Carlos", "Diego"}, activity("?order_by=name&order_asc&state=Pending"))
	require.Equal(t, 3, total)
	require.Equal(t, []string{"Beto", "Carlos"}, activity("?saddtimestamp='2019-02-01'&eaddtimestamp='2019-02-28'"))
	require.Equal(t, 2, total)

	for _, tc := range []struct {
		name, query string
		headers     []string
		want        []string
		total       int // 0 = len(want)
	}{
		{"order_desc flag", "?order_by=name&order_desc&state=Pending", nil, []string{"Diego", "Carlos", "Ana"}, 0},
		{"order wins over a flag", "?order_by=name&order=desc&order_asc", nil, []string{"Diego", "Carlos", "Beto", "Ana"}, 0},
		{"double quotes", "?saddtimestamp=%222019-02-01%22&eaddtimestamp=%222019-02-28%22", nil, []string{"Beto", "Carlos"}, 0},
		{"unquoted", "?saddtimestamp=2019-02-01&eaddtimestamp=2019-02-28", nil, []string{"Beto", "Carlos"}, 0},
		{"with a time", "?saddtimestamp=2019-02-01%2000:00:01&eaddtimestamp='2019-02-28%2023:59:59'", nil, []string{"Carlos"}, 0},
		{"end with minutes", "?eaddtimestamp=2019-02-28T23:59", nil, []string{"Ana", "Beto", "Carlos"}, 0},
		{"RFC 3339", "?saddtimestamp=2019-02-01T03:00:00Z", nil, []string{"Beto", "Carlos", "Diego"}, 0},
		{"state change", "?sstimestamp='2019-03-01'&order_by=statetimestamp", nil, []string{"Diego", "Beto"}, 0},
		{"state change end", "?estimestamp='2019-02-28'&order_by=statetimestamp&order=desc", nil, []string{"Carlos", "Ana"}, 0},
		{"timestampadd desc, paged", "?order_by=timestampadd&order=DESC&limit=2&start=1", nil, []string{"Carlos", "Beto"}, 4},
		{"headers", "", []string{"saddtimestamp", "'2019-02-01'", "eaddtimestamp", `"2019-02-28"`}, []string{"Beto", "Carlos"}, 0},
		{"query beats header", "?state=Completed", []string{"state", "Pending"}, []string{"Beto"}, 0},
		{"empty query value falls back to the header", "?state=", []string{"state", "Completed"}, []string{"Beto"}, 0},
		{"unknown parameters ignored", "?_=1700000000&foo=bar", nil, []string{"Ana", "Beto", "Carlos", "Diego"}, 0},
	} {
		require.Equal(t, tc.want, activity(tc.query, tc.headers...), tc.name)
		if tc.total == 0 {
			tc.total = len(tc.want)
		}
		require.Equal(t, tc.total, total, tc.name)
	}
}

func TestExpandCampaigns(t *testing.T) {
	e := startExpand(t)
	e.st.putCampaign(centralita.Campaign{
		ID: 313, Name: "Ventas->", Mode: centralita.ModePredictive, State: centralita.CampaignActive, Queue: "ventas",
		CallerID: "29001234", MaxLines: 30, RingTimeoutSec: 25, PowerRatio: 2, AbandonLimitPct: 3, TimeZone: "America/Montevideo",
		Windows: []centralita.CallWindow{{Weekday: time.Monday, Start: "09:00", End: "18:00"}},
		Retries: map[centralita.CallOutcome]centralita.RetryRule{
			centralita.OutcomeNoAnswer: {DelaySec: 3600, MaxAttempts: 3}, centralita.OutcomeBusy: {DelaySec: 600, MaxAttempts: 5},
		},
		AbandonMessage: "sound:vm-goodbye",
		CreatedAt:      expandAt(t, "2017-07-01 09:00:00"), UpdatedAt: expandAt(t, "2017-07-02 10:30:00"),
	})
	e.st.putCampaign(centralita.Campaign{ID: 427, Name: "Cobranza", Mode: centralita.ModePreview, State: centralita.CampaignIncomplete, Queue: "cobranza"})
	e.st.putCampaign(centralita.Campaign{ID: 500, Name: "Alpha & <Beta>", Mode: centralita.ModePower, State: centralita.CampaignActive, Queue: "alpha"})

	// B7: the campaign object, documented in ExpandCampaign; keys sorted, names unescaped.
	const want313 = `{"abandon_limit_pct":3,"callerid":"29001234","created":"2017-07-01 09:00:00","id":313,"max_lines":30,` +
		`"mode":"predictive","name":"Ventas->","power_ratio":2,"queue":"ventas",` +
		`"retries":{"Busy":{"delay_sec":600,"max_attempts":5},"NoAnswer":{"delay_sec":3600,"max_attempts":3}},` +
		`"ring_timeout_sec":25,"state":"Active","timezone":"America/Montevideo","updated":"2017-07-02 10:30:00",` +
		`"windows":[{"end":"18:00","start":"09:00","weekday":1}]}`
	require.Equal(t, want313, e.mustCall(200, "GET", "/campaigns/313", ""))
	require.Contains(t, e.mustCall(200, "GET", "/campaigns/500", ""), `"name":"Alpha & <Beta>"`)
	require.Contains(t, e.mustCall(200, "GET", "/campaigns/427", ""), `"retries":{},"ring_timeout_sec":0,"state":"Incomplete","timezone":"","updated":"","windows":[]}`)

	ids := func(query string, headers ...string) (int, []int64) {
		t.Helper()
		var page rest.ExpandList[rest.ExpandCampaign]
		require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "GET", "/campaigns"+query, "", headers...)), &page))
		out := []int64{}
		for _, c := range page.Data {
			out = append(out, c.ID)
		}
		return page.RecordsTotal, out
	}
	for _, tc := range []struct {
		query   string
		headers []string
		total   int
		want    []int64
	}{
		{"", nil, 3, []int64{313, 427, 500}},
		{"?state=Active", nil, 2, []int64{313, 500}},
		{"?state='Incomplete'", nil, 1, []int64{427}},
		{"?state=Stored", nil, 0, []int64{}},
		{"?order_by=name", nil, 3, []int64{500, 427, 313}},
		{"?order_by=name&order=desc", nil, 3, []int64{313, 427, 500}},
		{"?order_by=id&order_desc", nil, 3, []int64{500, 427, 313}},
		{"?order=desc", nil, 3, []int64{500, 427, 313}},
		{"", []string{"state", "Active", "order", "desc"}, 2, []int64{500, 313}},
	} {
		total, got := ids(tc.query, tc.headers...)
		require.Equal(t, tc.total, total, tc.query)
		require.Equal(t, tc.want, got, "%s %v", tc.query, tc.headers)
	}
	e2 := startExpand(t)
	require.Equal(t, `{"recordsTotal":0,"data":[]}`, e2.mustCall(200, "GET", "/campaigns", ""))
}

func TestExpandContactInput(t *testing.T) {
	e := startExpand(t)
	e.st.putCampaign(expandCampaign313())
	e.st.putCampaign(centralita.Campaign{ID: 427, Name: "Cobranza", Queue: "cobranza"})
	ctx := context.Background()
	require.NoError(t, e.st.AddBlacklist(ctx, &centralita.BlacklistEntry{Campaign: "Ventas->", Phone: "24000000"}))
	e.st.setNextContact(10)
	e.dialer.setNow(expandAt(t, "2024-05-01 09:00:00"))

	post := func(body string) rest.ExpandContact {
		t.Helper()
		var c rest.ExpandContact
		require.NoError(t, json.Unmarshal([]byte(e.mustCall(201, "POST", "/campaigns/313/contacts", body)), &c))
		return c
	}
	// info as a string holding JSON (B3) comes back as an object.
	c := post(`{"name":"Ana","numcall":"27111200","enable":true,"info":"{\"ci\": \"1\"}"}`)
	require.Equal(t, `{"ci":"1"}`, string(c.Info))
	require.Equal(t, int64(10), c.ID)
	require.Equal(t, c.ID, c.IDCall)
	// Absent info and enable: {} and true; null and "" info: {}.
	c = post(`{"numcall":" +59827111200 "}`)
	require.Equal(t, `{}`, string(c.Info))
	require.True(t, c.Enable)
	require.Equal(t, "+59827111200", c.NumCall)
	require.Equal(t, "", c.Name)
	require.Equal(t, `{}`, string(post(`{"numcall":"1","info":null,"enable":false}`).Info))
	require.Equal(t, `{}`, string(post(`{"numcall":"1","info":""}`).Info))
	// A blacklisted number is added Rejected by the dialer.
	require.Equal(t, "Rejected", post(`{"numcall":"24000000"}`).State)
	// Names with HTML characters come back unescaped.
	body := e.mustCall(201, "POST", "/campaigns/313/contacts", `{"numcall":"2","name":"Tom & <Jerry>"}`)
	require.Contains(t, body, `"name":"Tom & <Jerry>"`)

	// PUT keeps absent fields and ignores the read-only ones a client sends back.
	got := e.mustCall(200, "GET", "/campaigns/313/contacts/10", "")
	edited := strings.Replace(got, `"name":"Ana"`, `"name":"Ana María"`, 1)
	c = rest.ExpandContact{}
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "PUT", "/campaigns/313/contacts/10", edited)), &c))
	require.Equal(t, "Ana María", c.Name)
	require.Equal(t, "27111200", c.NumCall)
	require.Equal(t, `{"ci":"1"}`, string(c.Info))
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "PUT", "/campaigns/313/contacts/10", `{"enable":false}`)), &c))
	require.False(t, c.Enable)
	require.Equal(t, "Ana María", c.Name)
	require.Len(t, c.StateLog, 1)
	ct, err := e.st.FindContact(ctx, 10)
	require.NoError(t, err)
	require.False(t, ct.Enabled)

	// A stored info that is not an object is answered as {}.
	e.st.putContact(centralita.Contact{ID: 77, CampaignID: 313, Number: "5", Info: json.RawMessage(`[1]`)})
	require.Contains(t, e.mustCall(200, "GET", "/campaigns/313/contacts/77", ""), `"info":{}`)
}
