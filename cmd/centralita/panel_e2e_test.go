package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// expandCall calls the eXpand external modules as user (password pw).
func (s *stack) expandCall(t *testing.T, user, pw, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+"/expandweb3/api/external"+path, r)
	require.NoError(t, err)
	req.SetBasicAuth(user, pw)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestPanelModules: over the real server, a list routes a caller to the
// agent it names (not the one the queue's strategy would pick), a
// duplicate key is 409; an outgoing call is created, listed by its agent
// with filters and completed; a form entry is submitted for the call and
// listed with date filters.
func TestPanelModules(t *testing.T) {
	s := startStackWith(t, stackOpts{
		args: []string{"--provision", "testdata/acd_provision.json", "--expand-users", "external_user, other"},
		setup: func(dsn string) {
			out, err := cli(t, "admin-password-1\n", "users", "create", "--username", "root", "--role", "admin", "--db", dsn)
			require.NoError(t, err, out)
			out, err = cli(t, "carla-password-1\n", "users", "create", "--username", "carla", "--role", "agent", "--db", dsn)
			require.NoError(t, err, out)
			out, err = cli(t, "external-password-1\n", "users", "create", "--username", "external_user", "--role", "agent", "--db", dsn)
			require.NoError(t, err, out)
		},
	})
	root := func(method, path string, body any) (int, []byte) {
		return s.expandCall(t, "root", "admin-password-1", method, path, body)
	}
	carla := func(method, path string, body any) (int, []byte) {
		return s.expandCall(t, "carla", "carla-password-1", method, path, body)
	}
	start := time.Now().Add(-time.Second)

	// The list: caller 5550123 belongs to carla (agent 103).
	st, b := root(http.MethodPost, "/lists/simple", map[string]string{"name": "cartera", "alias": "Cartera"})
	require.Equal(t, http.StatusCreated, st, string(b))
	st, b = root(http.MethodPost, "/lists/simple/cartera/elements", map[string]string{"key": "5550123", "value": "103"})
	require.Equal(t, http.StatusCreated, st, string(b))
	st, b = root(http.MethodPost, "/lists/simple/cartera/elements", map[string]string{"key": "5550123", "value": "101"})
	require.Equal(t, http.StatusConflict, st, string(b))
	require.JSONEq(t, `{"errrorCode":"Conflict"}`, string(b))
	st, b = carla(http.MethodGet, "/lists/simple", nil)
	require.Equal(t, http.StatusForbidden, st, "agents have no lists module: %s", b)
	// --expand-users gives the manual's external_user every module.
	for _, path := range []string{"/lists/simple", "/outgoingcalls/call/", "/dynamicforms"} {
		st, b = s.expandCall(t, "external_user", "external-password-1", http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, st, "external_user %s: %s", path, b)
	}

	// sales is rrmemory: without the list its first call goes to ana (101).
	for _, a := range [][2]string{{"ana", "101"}, {"beto", "102"}, {"carla", "103"}} {
		require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", s.key, "agent", a[0], "extension", a[1]), "true"), "login %s", a[0])
	}
	id := s.simCall(t, map[string]any{"from": "5550123", "app": "centralita", "to": "700",
		"args": []string{"queue", "sales", "list=cartera"}, "talk_duration": "30s"})
	conn := s.waitLog(t, start, 10*time.Second, "CONNECT of the listed caller", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == id && r.Event == centralita.QLConnect
	})
	require.Equal(t, "Agent/103", conn.Agent, "the list's agent answers, not the strategy's")

	// Carla fills the form in during the call.
	form := map[string]any{"name": "contrato", "message": "Lea el contrato",
		"fields": []map[string]any{{"name": "codigofeliz", "required": true}}, "queues": []string{"sales"}}
	st, b = root(http.MethodPost, "/dynamicforms", form)
	require.Equal(t, http.StatusCreated, st, string(b))
	st, b = carla(http.MethodPost, "/dynamicforms/contrato/entries", map[string]any{"uniqueid": id, "data": map[string]string{"codigofeliz": "NG1OWF917"}})
	require.Equal(t, http.StatusCreated, st, string(b))
	var entry struct {
		Agent          struct{ Number int } `json:"agent"`
		Queue          string               `json:"queue"`
		Extension      string               `json:"extension"`
		IncomingCallID int64                `json:"incomingcall_id"`
		UniqueID       string               `json:"uniqueid"`
		Timestamp      string               `json:"timestamp"`
	}
	require.NoError(t, json.Unmarshal(b, &entry))
	require.Equal(t, 103, entry.Agent.Number)
	require.Equal(t, "sales", entry.Queue)
	require.Equal(t, "SIP/103", entry.Extension)
	require.Equal(t, id, entry.UniqueID)
	enter := s.waitLog(t, start, time.Second, "ENTERQUEUE", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == id && r.Event == centralita.QLEnterQueue
	})
	require.Equal(t, enter.ID, entry.IncomingCallID)
	s.simJSON(t, http.MethodPost, "/sim/channels/"+id+"/hangup", map[string]any{}, http.StatusNoContent, nil)

	q := url.Values{"start_date": {start.UTC().Format(time.RFC3339)}, "end_date": {time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}}
	st, b = root(http.MethodGet, "/dynamicforms/contrato/entries?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, st, string(b))
	var entries []map[string]any
	require.NoError(t, json.Unmarshal(b, &entries))
	require.Len(t, entries, 1)
	require.Equal(t, id, entries[0]["uniqueid"])
	q.Set("end_date", start.UTC().Format(time.RFC3339))
	st, b = root(http.MethodGet, "/dynamicforms/contrato/entries?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, st, string(b))
	require.JSONEq(t, `[]`, string(b))
	st, b = root(http.MethodGet, "/dynamicforms/contrato/entries/"+strconv.FormatInt(entry.IncomingCallID, 10), nil)
	require.Equal(t, http.StatusOK, st, string(b))
	require.Contains(t, string(b), `"uniqueid":"`+id+`"`)

	// An outgoing call for carla: she lists it with filters and completes it.
	call := map[string]any{"queue": "sales", "phone": []string{"099124484"}, "contact": "Pedro", "subject": "Llamar",
		"calldate": time.Now().Format("2006-01-02 15:04"), "expiration": 0, "agent": "carla",
		"link": map[string]string{"CRM": "http://crm/1"}}
	st, b = root(http.MethodPost, "/outgoingcalls/call", call)
	require.Equal(t, http.StatusCreated, st, string(b))
	var created struct{ CallID int64 }
	require.NoError(t, json.Unmarshal(b, &created))
	other := map[string]any{"queue": "support", "phone": []string{"2400"}, "contact": "Eva", "subject": "x",
		"calldate": time.Now().Format("2006-01-02 15:04"), "agent": "eva"}
	st, b = root(http.MethodPost, "/outgoingcalls/call", other)
	require.Equal(t, http.StatusCreated, st, string(b))

	f := url.Values{"queue": {"sales"}, "phone": {"099124484"}, "status": {"PENDING"},
		"startdate": {time.Now().Add(-time.Hour).Format(time.RFC3339)}, "enddate": {time.Now().Add(time.Hour).Format(time.RFC3339)}}
	st, b = carla(http.MethodGet, "/outgoingcalls/call/?"+f.Encode(), nil)
	require.Equal(t, http.StatusOK, st, string(b))
	var list struct {
		Data []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &list))
	require.Len(t, list.Data, 1)
	require.Equal(t, created.CallID, list.Data[0].ID)
	st, b = carla(http.MethodGet, "/outgoingcalls/call/", nil)
	require.Equal(t, http.StatusOK, st, string(b))
	require.NotContains(t, string(b), `"Eva"`, "carla does not see eva's call")

	call["status"] = "COMPLETED"
	st, b = carla(http.MethodPut, "/outgoingcalls/call/"+strconv.FormatInt(created.CallID, 10), call)
	require.Equal(t, http.StatusOK, st, string(b))
	require.JSONEq(t, `{"callid":`+strconv.FormatInt(created.CallID, 10)+`}`, string(b))
	st, b = carla(http.MethodGet, "/outgoingcalls/call/?status=COMPLETED", nil)
	require.Equal(t, http.StatusOK, st, string(b))
	require.Contains(t, string(b), `"status":"COMPLETED"`)
	st, b = carla(http.MethodGet, "/outgoingcalls/call/?status=PENDING", nil)
	require.Equal(t, http.StatusOK, st, string(b))
	require.JSONEq(t, `{"data":[]}`, string(b))
}

// TestPanelExpandUsersFlag: --expand-users is trimmed; an empty item is an error.
func TestPanelExpandUsersFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "", want: nil},
		{in: " external_user , contactclient", want: []string{"external_user", "contactclient"}},
		{in: "a,,b", bad: true},
	} {
		got, err := (&panelFlags{users: tc.in}).userList()
		if tc.bad {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}
