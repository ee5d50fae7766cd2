package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

// startACDStack is a stack provisioned with testdata/acd_provision.json and
// a supervisor user "sup" (password "sup-password-1").
func startACDStack(t *testing.T, args ...string) *stack {
	s := startStackWith(t, stackOpts{
		args: append([]string{"--provision", "testdata/acd_provision.json"}, args...),
		setup: func(dsn string) {
			out, err := cli(t, "sup-password-1\n", "users", "create", "--username", "sup", "--role", "supervisor", "--db", dsn)
			require.NoError(t, err, out)
			out, err = cli(t, "admin-password-1\n", "users", "create", "--username", "root", "--role", "admin", "--db", dsn)
			require.NoError(t, err, out)
		},
	})
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range s.queueLog(t, time.Time{}) {
				t.Logf("queue_log %s|%s|%s|%s|%s|%s|%s|%s|%s|%s", r.Time.Format("15:04:05.000"), r.CallID, r.QueueName, r.Agent, r.Event, r.Data1, r.Data2, r.Data3, r.Data4, r.Data5)
			}
		}
	})
	return s
}

// soapText calls a SOAP operation and returns its result, unescaped.
func (s *stack) soapText(t *testing.T, op string, params ...string) string {
	t.Helper()
	esc := make([]string, len(params))
	for i, p := range params {
		esc[i] = html.EscapeString(p)
	}
	return html.UnescapeString(s.soapCall(t, op, esc...))
}

// soapDoc calls an operation answering an XML document and decodes it into v.
func (s *stack) soapDoc(t *testing.T, v any, op string, params ...string) string {
	t.Helper()
	text := s.soapText(t, op, params...)
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // test documents are ASCII
	require.NoError(t, dec.Decode(v), "%s answered %q", op, text)
	return text
}

// simCall starts an inbound call on the simulator and returns its channel id.
func (s *stack) simCall(t *testing.T, body map[string]any) string {
	t.Helper()
	var out struct {
		ChannelID string `json:"channel_id"`
	}
	s.simJSON(t, http.MethodPost, "/sim/calls", body, http.StatusCreated, &out)
	return out.ChannelID
}

func (s *stack) simJSON(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, s.sim.URL()+path, bytes.NewReader(raw))
	require.NoError(t, err)
	req.SetBasicAuth(s.simUser, s.simPW)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	require.Equal(t, want, res.StatusCode, "%s %s: %s", method, path, b)
	if out != nil {
		require.NoError(t, json.Unmarshal(b, out))
	}
}

// simChannels counts the simulator's live channels.
func (s *stack) simChannels(t *testing.T) int {
	var st struct {
		Channels []any `json:"channels"`
	}
	s.simJSON(t, http.MethodGet, "/sim/state", nil, http.StatusOK, &st)
	return len(st.Channels)
}

// integra posts a form to an Integra endpoint with the session token.
func (s *stack) integra(t *testing.T, token, path string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/Integra/resources/"+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	if token != "" {
		req.Header.Set("Authorization", "Basic "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// integraToken signs in to Integra as user.
func (s *stack) integraToken(t *testing.T, user, password string) string {
	st, tok := s.integra(t, "", "auth/getUserToken", url.Values{"user": {user}, "password": {password}})
	require.Equal(t, http.StatusOK, st, tok)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32,}$`), tok)
	return tok
}

// admin calls the /api/v1 admin API as the admin user "root".
func (s *stack) admin(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+"/api/v1"+path, r)
	require.NoError(t, err)
	req.SetBasicAuth("root", "admin-password-1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// queueLog reads the queue_log rows since from.
func (s *stack) queueLog(t *testing.T, from time.Time) []*centralita.QueueLogEntry {
	rows, err := store.NewQueueLogService(s.db).FindQueueLog(context.Background(), centralita.QueueLogFilter{From: from, To: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	return rows
}

// waitLog waits until the queue_log has a row matching fn.
func (s *stack) waitLog(t *testing.T, from time.Time, timeout time.Duration, what string, fn func(*centralita.QueueLogEntry) bool) *centralita.QueueLogEntry {
	t.Helper()
	var hit *centralita.QueueLogEntry
	require.Eventually(t, func() bool {
		for _, r := range s.queueLog(t, from) {
			if fn(r) {
				hit = r
				return true
			}
		}
		return false
	}, timeout, 50*time.Millisecond, "no queue_log row: %s", what)
	return hit
}

// logCount counts rows of event (in queue, for agent when not empty).
func logCount(rows []*centralita.QueueLogEntry, queue, agent, event string) int {
	n := 0
	for _, r := range rows {
		if r.Event == event && (queue == "" || r.QueueName == queue) && (agent == "" || r.Agent == centralita.AgentLogName(agent)) {
			n++
		}
	}
	return n
}

// logTalk sums the talk seconds of agent's completed and transferred calls in queue.
func logTalk(t *testing.T, rows []*centralita.QueueLogEntry, queue, agent string) int {
	sum := 0
	for _, r := range rows {
		if r.QueueName != queue || r.Agent != centralita.AgentLogName(agent) {
			continue
		}
		v := ""
		switch r.Event {
		case centralita.QLCompleteCaller, centralita.QLCompleteAgent:
			v = r.Data2
		case centralita.QLTransfer:
			v = r.Data4
		default:
			continue
		}
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "talk seconds %q", v)
		sum += n
	}
	return sum
}
