package rest_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// The JSON examples of rest-integra.md §6.2–§6.4, verbatim.
const (
	integraDialerRespoolExample = `{
  "campaign": "Ventas->",
  "destination": "098344484",
  "dialerbase": "basetest",
  "status": 1,
  "data": "Par1=Val1:Par2=Val2",
  "alternatives": "098124484",
  "contact": 222,
  "retries": 0,
  "priority": 9999,
  "agentphone": "1001"
}`
	integraDialerScheduleExample = `{
  "calldate": "2015-10-11 15:00:00",
  "campaign": "Ventas->",
  "destination": "098344484",
  "alternatives": "099124484:099121212",
  "agentphone": "1001",
  "data": "Par1=Val1:Par2=Val2"
}`
	// integraDialerBaseLine is §7.3's example line.
	integraDialerBaseLine = "prueba1;098344484;var1=val1:var2=val2;099124484:099111111;9999;1001"
)

// integraDialerTaskExamples are §6.4's five DialerTask examples, verbatim.
var integraDialerTaskExamples = []string{
	`{"calldate": null, "campaign": "nombreCampaña<-", "destination": "12-345-678", "alternatives": "",
 "agent": "", "data": "idcustomer=7:name=Seba", "source": "source", "bulk": false, "automatic": true}`,
	`{"calldate": null, "campaign": "nombreCampaña<-", "destination": "12-345-678", "alternatives": "",
 "agent": "", "data": "idcustomer=7", "source": "source", "bulk": false, "automatic": false}`,
	`{"calldate": null, "campaign": "nombreCampaña->", "destination": "12-345-678", "alternatives": "",
 "agent": "Agente1", "data": "idcustomer=7", "source": "source", "bulk": true, "automatic": false}`,
	`{"calldate": null, "campaign": "nombreCampaña->", "destination": "12-345-678", "alternatives": "",
 "agent": "1001", "data": "idcustomer=7", "source": "source", "bulk": true, "automatic": false}`,
	`{"calldate": "2015-10-11 15:00:00", "campaign": "nombreCampaña->", "destination": "12-345-678",
 "alternatives": "", "agent": "Agente1", "data": "idcustomer=7", "source": "source",
 "bulk": true, "automatic": false}`,
}

// integraDialerUYT is the facade's Location in newIntegra.
var integraDialerUYT = time.FixedZone("UYT", -3*3600)

// integraDialerExpect checks a text/plain answer.
func integraDialerExpect(t *testing.T, res *http.Response, body string, status int, want, msg string) {
	t.Helper()
	require.Equal(t, status, res.StatusCode, "%s: %s", msg, body)
	require.Equal(t, want, body, msg)
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain"), msg)
}

func TestIntegraDialerRespool(t *testing.T) {
	e := newIntegraDialer(t, nil)
	res, body := e.post("Dialers/Respool", e.key, url.Values{"callspool": {integraDialerRespoolExample}})
	integraDialerExpect(t, res, body, 200, "1", "the spec's example")
	want := centralita.RespoolRequest{
		Campaign: "Ventas->", Destination: "098344484", DialerBase: "basetest", Status: 1,
		Data: "Par1=Val1:Par2=Val2", Alternatives: []string{"098124484"}, Contact: 222, Retries: 0,
		Priority: 9999, AgentPhone: "1001",
	}
	e.dialer.get(func(d *integraDialerFake) { require.Equal(t, []centralita.RespoolRequest{want}, d.respools) })

	// Alternatives split on ':', numbers sent unquoted or as strings, unknown fields ignored.
	loose := `{"campaign":"Power<-","destination":98344484,"alternatives":"099124484: 099121212::","contact":"7","priority":"2","status":"1","extra":[1]}`
	res, body = e.post("Dialers/Respool", e.key, url.Values{"callspool": {loose}})
	integraDialerExpect(t, res, body, 200, "1", "loose scalars")
	e.dialer.get(func(d *integraDialerFake) {
		require.Equal(t, centralita.RespoolRequest{Campaign: "Power<-", Destination: "98344484", Status: 1,
			Alternatives: []string{"099124484", "099121212"}, Contact: 7, Priority: 2}, d.respools[1])
	})

	for _, tc := range []struct{ name, json string }{
		{"priority 1 is reserved", strings.Replace(integraDialerRespoolExample, "9999", "1", 1)},
		{"negative priority", strings.Replace(integraDialerRespoolExample, "9999", "-5", 1)},
		{"negative retries", strings.Replace(integraDialerRespoolExample, `"retries": 0`, `"retries": -1`, 1)},
		{"no campaign", strings.Replace(integraDialerRespoolExample, `"Ventas->"`, `""`, 1)},
		{"no destination", strings.Replace(integraDialerRespoolExample, `"098344484"`, `" "`, 1)},
		{"fractional priority", strings.Replace(integraDialerRespoolExample, "9999", "9.5", 1)},
		{"priority not a number", strings.Replace(integraDialerRespoolExample, "9999", `"high"`, 1)},
		{"destination an object", strings.Replace(integraDialerRespoolExample, `"098344484"`, `{}`, 1)},
		{"not JSON", "campaign=Ventas->"},
		{"truncated", integraDialerRespoolExample[:40]},
		{"an array", "[" + integraDialerRespoolExample + "]"},
		{"trailing data", integraDialerRespoolExample + " {}"},
		{"null", "null"},
		{"empty", ""},
	} {
		res, body := e.post("Dialers/Respool", e.key, url.Values{"callspool": {tc.json}})
		integraDialerExpect(t, res, body, 200, "0", tc.name)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.respools, 2, "refused requests never reach the dialer") })

	// The dialer's refusals are "0" with 200; its failures their status.
	e.dialer.set(func(d *integraDialerFake) { d.err = centralita.Errorf(centralita.ENOTFOUND, "no such record") })
	res, body = e.post("Dialers/Respool", e.key, url.Values{"callspool": {integraDialerRespoolExample}})
	integraDialerExpect(t, res, body, 200, "0", "unknown record")
	e.dialer.set(func(d *integraDialerFake) { d.err = centralita.Errorf(centralita.EUNAVAILABLE, "engine stopped") })
	res, body = e.post("Dialers/Respool", e.key, url.Values{"callspool": {integraDialerRespoolExample}})
	integraDialerExpect(t, res, body, 503, "0", "engine stopped")
}

func TestIntegraDialerScheduleDialerCall(t *testing.T) {
	e := newIntegraDialer(t, nil)
	res, body := e.post("Dialers/ScheduleDialerCall", e.key, url.Values{"callschedule": {integraDialerScheduleExample}})
	integraDialerExpect(t, res, body, 200, "1", "the spec's example")
	e.dialer.get(func(d *integraDialerFake) {
		require.Len(t, d.schedules, 1)
		got := d.schedules[0]
		require.True(t, got.At.Equal(time.Date(2015, 10, 11, 15, 0, 0, 0, integraDialerUYT)), "calldate is in the configured Location: %v", got.At)
		got.At = time.Time{}
		require.Equal(t, centralita.ScheduleRequest{Campaign: "Ventas->", Destination: "098344484",
			Alternatives: []string{"099124484", "099121212"}, Agent: "1001", Data: "Par1=Val1:Par2=Val2"}, got)
	})

	for _, tc := range []struct{ name, date string }{
		{"no calldate", `""`},
		{"null calldate", `null`},
		{"ISO T", `"2015-10-11T15:00:00"`},
		{"no seconds", `"2015-10-11 15:00"`},
		{"day first", `"11/10/2015 15:00:00"`},
		{"one-digit hour", `"2015-10-11 5:00:00 "`},
		{"not a day", `"2015-02-30 15:00:00"`},
		{"hour 24", `"2015-10-11 24:00:00"`},
		{"a number", `20151011150000`},
	} {
		js := strings.Replace(integraDialerScheduleExample, `"2015-10-11 15:00:00"`, tc.date, 1)
		res, body := e.post("Dialers/ScheduleDialerCall", e.key, url.Values{"callschedule": {js}})
		integraDialerExpect(t, res, body, 200, "0", tc.name)
	}
	for _, js := range []string{
		strings.Replace(integraDialerScheduleExample, `"Ventas->"`, `""`, 1),
		strings.Replace(integraDialerScheduleExample, `"098344484"`, `""`, 1),
		"{", "",
	} {
		res, body := e.post("Dialers/ScheduleDialerCall", e.key, url.Values{"callschedule": {js}})
		integraDialerExpect(t, res, body, 200, "0", js)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.schedules, 1) })

	e.dialer.set(func(d *integraDialerFake) { d.err = centralita.Errorf(centralita.ENOTFOUND, "no campaign") })
	res, body = e.post("Dialers/ScheduleDialerCall", e.key, url.Values{"callschedule": {integraDialerScheduleExample}})
	integraDialerExpect(t, res, body, 200, "0", "unknown campaign")
}

func TestIntegraDialerTask(t *testing.T) {
	e := newIntegraDialer(t, nil)
	for i, js := range integraDialerTaskExamples {
		res, body := e.post("Dialers/DialerTask", e.key, url.Values{"call": {js}})
		integraDialerExpect(t, res, body, 200, "1", integraDialerTaskExamples[i])
	}
	at := time.Date(2015, 10, 11, 15, 0, 0, 0, integraDialerUYT)
	want := []centralita.DialerTask{
		{Campaign: "nombreCampaña<-", Destination: "12-345-678", Data: "idcustomer=7:name=Seba", Source: "source", Automatic: true},
		{Campaign: "nombreCampaña<-", Destination: "12-345-678", Data: "idcustomer=7", Source: "source"},
		{Campaign: "nombreCampaña->", Destination: "12-345-678", Agent: "Agente1", Data: "idcustomer=7", Source: "source", Bulk: true},
		{Campaign: "nombreCampaña->", Destination: "12-345-678", Agent: "1001", Data: "idcustomer=7", Source: "source", Bulk: true},
		{CallDate: &at, Campaign: "nombreCampaña->", Destination: "12-345-678", Agent: "Agente1", Data: "idcustomer=7", Source: "source", Bulk: true},
	}
	e.dialer.get(func(d *integraDialerFake) {
		require.Len(t, d.tasks, len(want))
		for i, got := range d.tasks {
			if want[i].CallDate != nil {
				require.NotNil(t, got.CallDate, i)
				require.True(t, want[i].CallDate.Equal(*got.CallDate), "example %d: %v", i, got.CallDate)
				got.CallDate = want[i].CallDate
			}
			require.Equal(t, want[i], got, "example %d", i)
		}
	})

	// calldate "" is null (mode 2 leaves it empty); booleans as strings and
	// alternatives are read too.
	res, body := e.post("Dialers/DialerTask", e.key, url.Values{"call": {`{"calldate":"","campaign":"Ventas->","destination":"099124484",` +
		`"alternatives":"099111111:099222222","bulk":"true","automatic":"FALSE"}`}})
	integraDialerExpect(t, res, body, 200, "1", "empty calldate")
	e.dialer.get(func(d *integraDialerFake) {
		require.Equal(t, centralita.DialerTask{Campaign: "Ventas->", Destination: "099124484",
			Alternatives: []string{"099111111", "099222222"}, Bulk: true}, d.tasks[5])
	})

	for _, tc := range []struct{ name, json string }{
		{"bad calldate", strings.Replace(integraDialerTaskExamples[4], "2015-10-11 15:00:00", "2015-10-11", 1)},
		{"bulk not a boolean", strings.Replace(integraDialerTaskExamples[2], `"bulk": true`, `"bulk": "yes"`, 1)},
		{"automatic a number", strings.Replace(integraDialerTaskExamples[0], `"automatic": true`, `"automatic": 1`, 1)},
		{"no campaign", strings.Replace(integraDialerTaskExamples[0], `"nombreCampaña<-"`, `""`, 1)},
		{"no destination", strings.Replace(integraDialerTaskExamples[0], `"12-345-678"`, `null`, 1)},
		{"not JSON", "calldate=null"},
	} {
		res, body := e.post("Dialers/DialerTask", e.key, url.Values{"call": {tc.json}})
		integraDialerExpect(t, res, body, 200, "0", tc.name)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.tasks, 6) })

	e.dialer.set(func(d *integraDialerFake) {
		d.err = centralita.Errorf(centralita.EINVALID, "agent required for a progressive campaign")
	})
	res, body = e.post("Dialers/DialerTask", e.key, url.Values{"call": {integraDialerTaskExamples[2]}})
	integraDialerExpect(t, res, body, 200, "0", "dialer refuses")
}

func TestIntegraDialerRemoveContact(t *testing.T) {
	e := newIntegraDialer(t, nil)
	res, body := e.post("Dialers/RemoveContact", e.key, url.Values{"campaign": {"Ventas->"}, "number": {"098344484"}})
	integraDialerExpect(t, res, body, 200, "1", "remove")
	for _, form := range []url.Values{
		{"campaign": {"Ventas->"}},
		{"number": {"098344484"}},
		{"campaign": {" "}, "number": {"098344484"}},
	} {
		res, body := e.post("Dialers/RemoveContact", e.key, form)
		integraDialerExpect(t, res, body, 200, "0", form.Encode())
	}
	e.dialer.get(func(d *integraDialerFake) { require.Equal(t, [][2]string{{"Ventas->", "098344484"}}, d.removed) })
	e.dialer.set(func(d *integraDialerFake) { d.err = centralita.Errorf(centralita.EINTERNAL, "disk full") })
	res, body = e.post("Dialers/RemoveContact", e.key, url.Values{"campaign": {"Ventas->"}, "number": {"098344484"}})
	integraDialerExpect(t, res, body, 500, "0", "internal failure")
}

func TestIntegraDialerRemoveScheduleDialerCall(t *testing.T) {
	e := newIntegraDialer(t, nil)
	form := func(from, to string) url.Values {
		return url.Values{"campaign": {"Ventas->"}, "destination": {"098344484"}, "from": {from}, "to": {to}}
	}
	res, body := e.post("Dialers/RemoveScheduleDialerCall", e.key, form("2015-10-11 00:00:00", "2015-10-11 23:59:59"))
	integraDialerExpect(t, res, body, 200, "1", "remove")
	res, body = e.post("Dialers/RemoveScheduleDialerCall", e.key, form("2015-10-11 15:00:00", "2015-10-11 15:00:00"))
	integraDialerExpect(t, res, body, 200, "1", "a one-second range")
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"from after to", form("2015-10-12 00:00:00", "2015-10-11 00:00:00")},
		{"no from", form("", "2015-10-11 00:00:00")},
		{"no to", form("2015-10-11 00:00:00", "")},
		{"bad date", form("2015-10-11", "2015-10-12")},
		{"no campaign", url.Values{"destination": {"1"}, "from": {"2015-10-11 00:00:00"}, "to": {"2015-10-11 00:00:00"}}},
		{"no destination", url.Values{"campaign": {"Ventas->"}, "from": {"2015-10-11 00:00:00"}, "to": {"2015-10-11 00:00:00"}}},
	} {
		res, body := e.post("Dialers/RemoveScheduleDialerCall", e.key, tc.form)
		integraDialerExpect(t, res, body, 200, "0", tc.name)
	}
	e.dialer.get(func(d *integraDialerFake) {
		require.Len(t, d.unscheduled, 2)
		u := d.unscheduled[0]
		require.Equal(t, "Ventas->", u.Campaign)
		require.Equal(t, "098344484", u.Number)
		require.True(t, u.From.Equal(time.Date(2015, 10, 11, 0, 0, 0, 0, integraDialerUYT)))
		require.True(t, u.To.Equal(time.Date(2015, 10, 11, 23, 59, 59, 0, integraDialerUYT)))
	})
}

func TestIntegraDialerUploadBase(t *testing.T) {
	e := newIntegraDialer(t, nil)
	std := base64.StdEncoding.EncodeToString([]byte(integraDialerBaseLine + "\n"))
	sue := "Basic " + e.login("sue")
	res, body := e.post("Dialers/uploadbase", sue, url.Values{
		"filename": {"base.csv"}, "fileb64": {std}, "campaign": {"prueba1"}, "cant": {"1"}, "username": {"ana"},
		"timezone": {"America/Montevideo"},
	})
	integraDialerExpect(t, res, body, 200, "1", "the spec's example line")
	e.dialer.get(func(d *integraDialerFake) {
		require.Equal(t, []centralita.BaseUpload{{Campaign: "prueba1", Filename: "base.csv", Username: "ana",
			Content: []byte(integraDialerBaseLine + "\n"), Declared: 1}}, d.uploads, "uploadbase ignores timezone")
		require.NoError(t, d.uploadCtxs[0].Err(), "the job's context outlives the request")
	})

	// The same file in the forms clients send: unpadded, URL-safe, broken
	// into lines, or with "+" turned into a space by a missing URL encoding.
	content := []byte(integraDialerBaseLine + "\r\nx;0991>>>???;a=b\r\n")
	enc := base64.StdEncoding.EncodeToString(content)
	require.Contains(t, enc, "+", "the content must exercise '+'")
	require.Contains(t, enc, "/", "the content must exercise '/'")
	for _, tc := range []struct{ name, b64 string }{
		{"padded", enc},
		{"unpadded", base64.RawStdEncoding.EncodeToString(content)},
		{"URL-safe", base64.URLEncoding.EncodeToString(content)},
		{"MIME lines", enc[:20] + "\r\n" + enc[20:40] + "\n" + enc[40:]},
		{"plus as space", strings.ReplaceAll(enc, "+", " ")},
	} {
		res, body := e.post("Dialers/uploadbase", e.key, url.Values{"fileb64": {tc.b64}, "campaign": {"prueba1"}})
		integraDialerExpect(t, res, body, 200, "1", tc.name)
		e.dialer.get(func(d *integraDialerFake) {
			u := d.uploads[len(d.uploads)-1]
			require.Equal(t, content, u.Content, tc.name)
			require.Empty(t, u.Username, "an access key has no username")
			require.Zero(t, u.Declared, "no cant")
		})
	}
	// A session user is the default username.
	res, body = e.post("Dialers/uploadbase", sue, url.Values{"fileb64": {enc}, "campaign": {"prueba1"}})
	integraDialerExpect(t, res, body, 200, "1", "default username")
	e.dialer.get(func(d *integraDialerFake) { require.Equal(t, "sue", d.uploads[len(d.uploads)-1].Username) })

	n := 0
	e.dialer.get(func(d *integraDialerFake) { n = len(d.uploads) })
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"bad base64", url.Values{"fileb64": {"not*base64!"}, "campaign": {"prueba1"}}},
		{"bad padding inside", url.Values{"fileb64": {"QQ==QQ=="}, "campaign": {"prueba1"}}},
		{"one stray character", url.Values{"fileb64": {enc + "A"}, "campaign": {"prueba1"}}},
		{"no file", url.Values{"campaign": {"prueba1"}}},
		{"padding only", url.Values{"fileb64": {"===="}, "campaign": {"prueba1"}}},
		{"no campaign", url.Values{"fileb64": {enc}}},
		{"unknown campaign", url.Values{"fileb64": {enc}, "campaign": {"prueba1->"}}},
		{"cant not a number", url.Values{"fileb64": {enc}, "campaign": {"prueba1"}, "cant": {"diez"}}},
		{"negative cant", url.Values{"fileb64": {enc}, "campaign": {"prueba1"}, "cant": {"-1"}}},
	} {
		res, body := e.post("Dialers/uploadbase", e.key, tc.form)
		integraDialerExpect(t, res, body, 200, "0", tc.name)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.uploads, n, "refused uploads start no job") })

	e.dialer.set(func(d *integraDialerFake) {
		d.err = centralita.Errorf(centralita.ECONFLICT, "an upload to this campaign is running")
	})
	res, body = e.post("Dialers/uploadbase", e.key, url.Values{"fileb64": {enc}, "campaign": {"prueba1"}})
	integraDialerExpect(t, res, body, 200, "0", "dialer refuses")
}

func TestIntegraDialerUploadBaseWithTimezone(t *testing.T) {
	e := newIntegraDialer(t, nil)
	enc := base64.StdEncoding.EncodeToString([]byte(integraDialerBaseLine))
	form := func(tz string) url.Values {
		return url.Values{"filename": {"b.txt"}, "fileb64": {enc}, "campaign": {"prueba1"}, "cant": {"1"}, "username": {"ana"}, "timezone": {tz}}
	}
	for _, tz := range []string{"America/Montevideo", "UTC", " Europe/Madrid "} {
		res, body := e.post("Dialers/uploadbasewithtimezone", e.key, form(tz))
		integraDialerExpect(t, res, body, 200, "1", tz)
	}
	e.dialer.get(func(d *integraDialerFake) {
		require.Len(t, d.uploads, 3)
		require.Equal(t, centralita.BaseUpload{Campaign: "prueba1", Filename: "b.txt", Username: "ana",
			Content: []byte(integraDialerBaseLine), Declared: 1, TimeZone: "America/Montevideo"}, d.uploads[0])
		require.Equal(t, "UTC", d.uploads[1].TimeZone)
		require.Equal(t, "Europe/Madrid", d.uploads[2].TimeZone)
	})
	for _, tz := range []string{"", "Local", "Mars/Olympus", "GMT-3:00", "../../etc/passwd"} {
		res, body := e.post("Dialers/uploadbasewithtimezone", e.key, form(tz))
		integraDialerExpect(t, res, body, 200, "0", tz)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.uploads, 3) })
}

func TestIntegraDialerUploadBaseBodyLimit(t *testing.T) {
	const limit = 11 << 20
	e := newIntegraDialer(t, func(c *rest.Config, _ *rest.IntegraConfig) { c.MaxBodyBytes = limit })
	// A body over net/http's own 10 MiB form cap and within the server's
	// limit is read. The line's base64 needs no URL escaping.
	const line, line64 = "prueba1;098344484;a=b:c\n", "cHJ1ZWJhMTswOTgzNDQ0ODQ7YT1iOmMK"
	n := (10<<20)/len(line64) + 1000
	body := "campaign=prueba1&fileb64=" + strings.Repeat(line64, n)
	require.Greater(t, len(body), 10<<20)
	require.Less(t, len(body), limit)
	res, got := e.postRaw("Dialers/uploadbase", e.key, body)
	integraDialerExpect(t, res, got, 200, "1", "a 10 MiB body")
	e.dialer.get(func(d *integraDialerFake) { require.Equal(t, strings.Repeat(line, n), string(d.uploads[0].Content)) })
	// Over the server's limit: 413.
	res, _ = e.postRaw("Dialers/uploadbase", e.key, body+"&x="+strings.Repeat("A", limit-len(body)))
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.uploads, 1) })
}

// A chunked body (no Content-Length) over the limit is 413 too, whichever
// reader notices first.
func TestIntegraDialerUploadBaseChunkedTooLarge(t *testing.T) {
	e := newIntegraDialer(t, func(c *rest.Config, _ *rest.IntegraConfig) { c.MaxBodyBytes = 1 << 10 })
	body := io.MultiReader(strings.NewReader("campaign=prueba1&fileb64="), strings.NewReader(strings.Repeat("QUFB", 1<<10)))
	req, err := http.NewRequest(http.MethodPost, e.url+"Dialers/uploadbase", body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", e.key)
	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	res, err := c.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	require.Equal(t, "0", string(b))
	e.dialer.get(func(d *integraDialerFake) { require.Empty(t, d.uploads) })
}

func TestIntegraDialerAddBlack(t *testing.T) {
	e := newIntegraDialer(t, nil)
	sue := "Basic " + e.login("sue")
	// The spec's object, with its placeholder values.
	example := `{ "phone": "número de telefono", "campaign": "Campaña", "username": "usuario que ingreso el dato",
  "company": "Dato Cliente", "job_title": "Dato Cliente", "name": "Nombre" }`
	res, body := e.post("admin/addblack", sue, url.Values{"black": {example}})
	integraDialerExpect(t, res, body, 200, "1", "the spec's example")
	res, body = e.post("admin/addblack", sue, url.Values{"black": {`{"phone": 98344484, "campaign": "*"}`}})
	integraDialerExpect(t, res, body, 200, "1", "every campaign, phone unquoted, username defaulted")
	res, body = e.post("admin/addblack", e.key, url.Values{"black": {`{"phone":" 098344484 ","campaign":"Ventas->","name":"Juan"}`}})
	integraDialerExpect(t, res, body, 200, "1", "access key")
	at := e.clock.Now()
	require.Equal(t, []centralita.BlacklistEntry{
		{Phone: "número de telefono", Campaign: "Campaña", Username: "usuario que ingreso el dato", Company: "Dato Cliente",
			JobTitle: "Dato Cliente", Name: "Nombre", CreatedAt: at},
		{Phone: "98344484", Campaign: "*", Username: "sue", CreatedAt: at},
		{Phone: "098344484", Campaign: "Ventas->", Name: "Juan", CreatedAt: at},
	}, e.blacklist.recorded())

	for _, tc := range []struct{ name, black string }{
		{"empty phone", `{"phone":"","campaign":"*"}`},
		{"blank phone", `{"phone":"  ","campaign":"*"}`},
		{"no phone", `{"campaign":"*"}`},
		{"no campaign", `{"phone":"098344484"}`},
		{"bad JSON", `{"phone":"098344484",`},
		{"not an object", `["098344484"]`},
		{"phone a boolean", `{"phone":true,"campaign":"*"}`},
		{"no field", ``},
	} {
		res, body := e.post("admin/addblack", sue, url.Values{"black": {tc.black}})
		integraDialerExpect(t, res, body, 200, "0", tc.name)
	}
	require.Len(t, e.blacklist.recorded(), 3)

	e.blacklist.mu.Lock()
	e.blacklist.err = centralita.Errorf(centralita.EUNAVAILABLE, "database down")
	e.blacklist.mu.Unlock()
	res, body = e.post("admin/addblack", sue, url.Values{"black": {`{"phone":"1","campaign":"*"}`}})
	integraDialerExpect(t, res, body, 503, "0", "store down")
}

func TestIntegraDialerPermissions(t *testing.T) {
	e := newIntegraDialer(t, nil)
	tok := map[string]string{"key": e.key}
	for _, u := range []string{"ana", "sue", "bob", "carl"} {
		tok[u] = "Basic " + e.login(u)
	}
	enc := base64.StdEncoding.EncodeToString([]byte(integraDialerBaseLine))
	forms := map[string]url.Values{
		"admin/addblack":                   {"black": {`{"phone":"1","campaign":"*"}`}},
		"Dialers/Respool":                  {"callspool": {integraDialerRespoolExample}},
		"Dialers/ScheduleDialerCall":       {"callschedule": {integraDialerScheduleExample}},
		"Dialers/DialerTask":               {"call": {integraDialerTaskExamples[0]}},
		"Dialers/RemoveContact":            {"campaign": {"Ventas->"}, "number": {"1"}},
		"Dialers/RemoveScheduleDialerCall": {"campaign": {"Ventas->"}, "destination": {"1"}, "from": {"2015-10-11 00:00:00"}, "to": {"2015-10-12 00:00:00"}},
		"Dialers/uploadbase":               {"campaign": {"prueba1"}, "fileb64": {enc}},
		"Dialers/uploadbasewithtimezone":   {"campaign": {"prueba1"}, "fileb64": {enc}, "timezone": {"UTC"}},
	}
	for path, form := range forms {
		for who, status := range map[string]int{"ana": 200, "sue": 200, "key": 200, "bob": 403, "carl": 403, "": 401} {
			auth := tok[who]
			res, body := e.post(path, auth, form)
			want := "1"
			if status != 200 {
				want = "0"
			}
			integraDialerExpect(t, res, body, status, want, path+" as "+who)
		}
	}

	// DispositionCall: agents for themselves only.
	disp := func(agent string) url.Values {
		return url.Values{"campaign": {"Ventas->"}, "agent": {agent}, "callerid": {"098344484"}, "guid": {"g-1"},
			"l1": {"Venta"}, "l2": {"Tarjeta"}, "l3": {"Visa"}}
	}
	for _, tc := range []struct {
		name, who, agent string
		status           int
	}{
		{"agent by username", "bob", "bob", 200},
		{"agent by number", "bob", "1001", 200},
		{"agent for another", "bob", "eve", 403},
		{"agent for another by number", "bob", "1002", 403},
		{"agent-role user who is no agent", "carl", "carl", 403},
		{"supervisor for anyone", "sue", "eve", 200},
		{"admin for anyone", "ana", "1003", 200},
		{"key for anyone", "key", "zed", 200},
	} {
		res, body := e.post("api/DispositionCall", tok[tc.who], disp(tc.agent))
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		if tc.status == 403 {
			require.Equal(t, "0", body, tc.name)
		}
	}
	e.dialer.get(func(d *integraDialerFake) {
		require.Len(t, d.disposed, 5, "only the allowed dispositions reached the dialer")
	})
}

func TestIntegraDialerUnconfigured(t *testing.T) {
	e := newIntegra(t, nil) // no Dialer, no Blacklist
	e.acd.set(func(a *igACD) { a.snap = igSnapshot() })
	key := "Bearer " + integraKey
	for _, path := range []string{
		"api/DispositionCall", "admin/addblack", "Dialers/Respool", "Dialers/ScheduleDialerCall", "Dialers/DialerTask",
		"Dialers/RemoveContact", "Dialers/RemoveScheduleDialerCall", "Dialers/uploadbase", "Dialers/uploadbasewithtimezone",
	} {
		res, body := e.post(path, key, url.Values{"campaign": {"Ventas->"}})
		integraDialerExpect(t, res, body, http.StatusServiceUnavailable, "0", path)
	}
	// The supervisor endpoints show the queues only.
	res, body := e.post("Supervisor/queuesummary", key, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	_, _, _ = sameActionID(t, body, 4)
}
