package rest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// igSMS is a fake SMS engine: destination "limited" is over the rate,
// "bad" invalid.
type igSMS struct {
	mu        sync.Mutex
	sent      []centralita.SMSRequest
	scheduled []*centralita.ScheduledSMS
	uploads   []centralita.SMSBase
	filters   []centralita.SMSFilter
	cancelled []string
}

func (f *igSMS) Send(_ context.Context, r centralita.SMSRequest) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Recipients[0] {
	case "limited":
		return 0, centralita.Errorf(centralita.ELIMITED, "over the rate")
	case "bad":
		return 0, centralita.Errorf(centralita.EINVALID, "bad number")
	case "down":
		return 0, centralita.Errorf(centralita.EUNAVAILABLE, "db down")
	}
	f.sent = append(f.sent, r)
	return int64(40 + len(f.sent)), nil
}

func (f *igSMS) Status(context.Context, int64) ([]*centralita.SMS, error) { return nil, nil }

func (f *igSMS) Schedule(_ context.Context, s *centralita.ScheduledSMS) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scheduled = append(f.scheduled, s)
	return nil
}

func (f *igSMS) UploadBase(_ context.Context, u centralita.SMSBase) (string, error) {
	if u.Filename == "busy.txt" {
		return "", centralita.Errorf(centralita.ELIMITED, "16 SMS bases are being sent")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads = append(f.uploads, u)
	return "job1", nil
}

func (f *igSMS) List(_ context.Context, flt centralita.SMSFilter) ([]*centralita.SMS, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	return []*centralita.SMS{{ID: 3, Direction: centralita.SMSIn, Sender: "099", Text: "STOP",
		CreatedAt: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)}}, nil
}

func (f *igSMS) Jobs(context.Context) ([]centralita.Job, error) {
	return []centralita.Job{{ID: "job1", Kind: "smsbase", State: centralita.JobRunning}}, nil
}

func (f *igSMS) CancelJob(_ context.Context, id string) error {
	if id != "job1" {
		return centralita.Errorf(centralita.ENOTFOUND, "no job %s", id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, id)
	return nil
}

func newIntegraSMS(t *testing.T, paths bool) (*igEnv, *igSMS) {
	fake := &igSMS{}
	env := newIntegra(t, func(_ *rest.Config, c *rest.IntegraConfig) {
		c.SMS.Sender = fake
		if paths {
			c.SMS.SchedulePath, c.SMS.UploadPath, c.SMS.ListPath, c.SMS.JobsPath = "SMS/ScheduleSMS", "/SMS/uploadbase/", "SMS/list", "SMS/jobs"
		}
	})
	return env, fake
}

func TestIntegraSendSMS(t *testing.T) {
	e, fake := newIntegraSMS(t, false)
	key := "Bearer " + integraKey
	form := url.Values{"destination": {"098344484"}, "message": {"hola"}, "campaign": {"Ventas->"}, "agent": {"Agente1"}, "source": {"5000"}}
	res, body := e.post("SMS/SendSMS", key, form)
	integraDialerExpect(t, res, body, 200, "OK", "SendSMS")
	res, body = e.post("SMS/SendSMSv2", key, form)
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, `{"id":"42"}`, body, "C14: strict JSON, id as a string")
	require.Equal(t, centralita.SMSRequest{Recipients: []string{"098344484"}, Text: "hola", Campaign: "Ventas->", Agent: "Agente1", Sender: "5000"}, fake.sent[0])

	// An agent's session: agent defaults to the signed-in user.
	res, body = e.post("SMS/SendSMS", e.login("bob"), url.Values{"destination": {"091"}, "message": {"x"}})
	integraDialerExpect(t, res, body, 200, "OK", "agents may send")
	require.Equal(t, "bob", fake.sent[2].Agent)

	for _, tc := range []struct {
		dest   string
		status int
	}{{"limited", 200}, {"bad", 200}, {"down", 503}} {
		for _, p := range []string{"SMS/SendSMS", "SMS/SendSMSv2"} {
			res, body = e.post(p, key, url.Values{"destination": {tc.dest}, "message": {"x"}})
			integraDialerExpect(t, res, body, tc.status, "ERROR", p+" "+tc.dest)
		}
	}
	res, _ = e.post("SMS/SendSMS", "", form)
	require.Equal(t, 401, res.StatusCode)
	// The non-standard paths are off unless configured (C13).
	res, _ = e.post("SMS/ScheduleSMS", key, url.Values{})
	require.Equal(t, 404, res.StatusCode)
}

func TestIntegraSMSNotConfigured(t *testing.T) {
	e := newIntegra(t, nil)
	res, body := e.post("SMS/SendSMSv2", "Bearer "+integraKey, url.Values{"destination": {"091"}, "message": {"x"}})
	integraDialerExpect(t, res, body, 503, "ERROR", "no SMS engine")
}

func TestIntegraSMSNonStandardPaths(t *testing.T) {
	e, fake := newIntegraSMS(t, true)
	key := "Bearer " + integraKey
	sched := `{"calldate": "2026-03-01 15:00:00", "campaign": "prueba1", "destination": "098344484", "data": "", "message": "recordatorio"}`
	res, body := e.post("SMS/ScheduleSMS", key, url.Values{"callschedule": {sched}})
	integraDialerExpect(t, res, body, 200, "1", "schedule")
	require.Len(t, fake.scheduled, 1)
	s := fake.scheduled[0]
	require.True(t, time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC).Equal(s.CallDate), "calldate read in the facade's zone: %v", s.CallDate)
	require.Equal(t, "prueba1", s.Campaign)
	require.Equal(t, "recordatorio", s.Message)
	for _, bad := range []string{`{"calldate":"tomorrow","destination":"1","message":"x"}`, `not json`} {
		res, body = e.post("SMS/ScheduleSMS", key, url.Values{"callschedule": {bad}})
		integraDialerExpect(t, res, body, 200, "0", bad)
	}
	res, _ = e.post("SMS/ScheduleSMS", e.login("bob"), url.Values{"callschedule": {sched}})
	require.Equal(t, 403, res.StatusCode, "agents may not use the extras")

	file := base64.StdEncoding.EncodeToString([]byte("prueba1;098344484;hola\n"))
	res, body = e.post("SMS/uploadbase", key, url.Values{"filename": {"b.txt"}, "fileb64": {file}, "campaign": {"prueba1"}, "cant": {"1"}, "message": {"m"}})
	integraDialerExpect(t, res, body, 200, "1", "upload")
	require.Equal(t, "hola", string(fake.uploads[0].Content[len("prueba1;098344484;"):len("prueba1;098344484;hola")]))
	require.Equal(t, 1, fake.uploads[0].Declared)
	res, body = e.post("SMS/uploadbase", key, url.Values{"fileb64": {"%%%"}})
	integraDialerExpect(t, res, body, 200, "0", "bad base64")
	res, _ = e.post("SMS/uploadbase", key, url.Values{"filename": {"busy.txt"}, "fileb64": {file}, "campaign": {"prueba1"}})
	require.Equal(t, 429, res.StatusCode, "too many bases being sent")

	res, body = e.post("SMS/list", key, url.Values{"direction": {"in"}, "from": {"2026-03-01 00:00:00"}, "limit": {"10"}})
	require.Equal(t, 200, res.StatusCode, body)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Equal(t, "STOP", list[0]["text"])
	require.Equal(t, "2026-03-01 10:00:00", list[0]["created_at"])
	require.Equal(t, centralita.SMSIn, fake.filters[0].Direction)
	require.Equal(t, 10, fake.filters[0].Limit)
	res, body = e.post("SMS/list", key, url.Values{"direction": {"sideways"}})
	integraDialerExpect(t, res, body, 200, "0", "bad direction")

	res, body = e.post("SMS/jobs", key, url.Values{})
	require.Equal(t, 200, res.StatusCode)
	require.Contains(t, body, `"id":"job1"`)
	res, body = e.post("SMS/jobs", key, url.Values{"cancel": {"job1"}})
	integraDialerExpect(t, res, body, 200, "1", "cancel")
	res, body = e.post("SMS/jobs", key, url.Values{"cancel": {"nope"}})
	integraDialerExpect(t, res, body, 200, "0", "cancel unknown")
}
