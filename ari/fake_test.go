package ari

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/websocket"

	"github.com/centralita/centralita"
)

// fakeARI is a minimal ARI server for unit tests: canned REST answers, a
// record of the requests, and an events WebSocket the test can feed, cut
// and refuse.
type fakeARI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	routes   map[string]fakeResponse // "METHOD /ari/path"
	requests []fakeRequest
	conns    map[*websocket.Conn]chan struct{}
	refuse   int // status to refuse handshakes with; 0 accepts
	dials    []time.Time
	accepted chan struct{}
}

// fakeResponse is a canned answer; Delay holds it back.
type fakeResponse struct {
	Status int
	Body   string
	Delay  time.Duration
}

// fakeRequest is a request the fake received.
type fakeRequest struct {
	Method, Path, RawQuery, Body, ContentType, Auth string
	Query                                           map[string][]string
}

// newFakeARI starts a fake ARI server that accepts user asterisk/secret.
func newFakeARI(t *testing.T) *fakeARI {
	f := &fakeARI{
		t:        t,
		routes:   make(map[string]fakeResponse),
		conns:    make(map[*websocket.Conn]chan struct{}),
		accepted: make(chan struct{}, 100),
	}
	f.routes["GET /ari/applications/centralita"] = fakeResponse{Status: 200, Body: `{"name":"centralita","channel_ids":[]}`}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.close)
	return f
}

// url is the ARI base URL.
func (f *fakeARI) url() string { return f.srv.URL + "/ari" }

// close cuts the WebSockets and stops the server.
func (f *fakeARI) close() {
	f.cut()
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// handle sets the answer for "METHOD /ari/path".
func (f *fakeARI) handle(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = fakeResponse{Status: status, Body: body}
}

// handleSlow sets a delayed answer.
func (f *fakeARI) handleSlow(route string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = fakeResponse{Status: 200, Body: "{}", Delay: delay}
}

// last returns the last REST request received.
func (f *fakeARI) last() fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(f.t, f.requests, "no request received")
	return f.requests[len(f.requests)-1]
}

// setRefuse makes handshakes fail with status (0 accepts again).
func (f *fakeARI) setRefuse(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = status
}

// dialTimes returns when each handshake was attempted.
func (f *fakeARI) dialTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.dials...)
}

// serve dispatches to the WebSocket or the canned REST answers.
func (f *fakeARI) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	authOK := ok && user == "asterisk" && pass == "secret"
	if r.URL.Path == "/ari/events" {
		f.mu.Lock()
		f.dials = append(f.dials, time.Now())
		refuse := f.refuse
		f.mu.Unlock()
		switch {
		case !authOK:
			w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
			http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
		case refuse != 0:
			http.Error(w, "refused", refuse)
		default:
			websocket.Server{Handler: f.serveWS}.ServeHTTP(w, r)
		}
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(),
		Body: string(body), ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization"),
	})
	resp, found := f.routes[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !authOK {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"Authentication required"}`)
		return
	}
	if !found {
		resp = fakeResponse{Status: 404, Body: `{"message":"Resource not found"}`}
	}
	if resp.Delay > 0 {
		select {
		case <-time.After(resp.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if resp.Status == http.StatusNoContent {
		w.WriteHeader(resp.Status)
		return
	}
	w.Header()["Content-type"] = []string{"application/json"}
	w.WriteHeader(resp.Status)
	_, _ = io.WriteString(w, resp.Body)
}

// serveWS keeps a WebSocket open until it is cut or the client goes.
func (f *fakeARI) serveWS(ws *websocket.Conn) {
	gone := make(chan struct{})
	f.mu.Lock()
	f.conns[ws] = gone
	f.mu.Unlock()
	f.accepted <- struct{}{}
	var msg []byte
	for websocket.Message.Receive(ws, &msg) == nil {
	}
	f.mu.Lock()
	delete(f.conns, ws)
	f.mu.Unlock()
	_ = ws.Close()
	close(gone)
}

// waitConnected waits for the n-th accepted WebSocket since the last call.
func (f *fakeARI) waitConnected(timeout time.Duration) {
	f.t.Helper()
	select {
	case <-f.accepted:
	case <-time.After(timeout):
		f.t.Fatal("no WebSocket connection accepted")
	}
}

// send writes each message to every open WebSocket.
func (f *fakeARI) send(msgs ...string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(f.t, f.conns, "no WebSocket to send to")
	for ws := range f.conns {
		for _, m := range msgs {
			require.NoError(f.t, websocket.Message.Send(ws, m))
		}
	}
}

// cut closes every WebSocket from the server side and waits for their
// handlers to end.
func (f *fakeARI) cut() int {
	f.mu.Lock()
	var waits []chan struct{}
	for ws, gone := range f.conns {
		_ = ws.Close()
		waits = append(waits, gone)
	}
	f.mu.Unlock()
	for _, g := range waits {
		<-g
	}
	return len(waits)
}

// testConfig returns a client configuration for the fake at url.
func testConfig(url string) Config {
	return Config{
		URL:            url,
		Username:       "asterisk",
		Password:       "secret",
		Application:    "centralita",
		Logger:         slog.New(slog.DiscardHandler),
		RequestTimeout: 2 * time.Second,
		ReconnectMin:   10 * time.Millisecond,
		ReconnectMax:   80 * time.Millisecond,
	}
}

// connect makes a Client for the fake and closes it when the test ends.
func connect(t *testing.T, f *fakeARI) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := New(ctx, testConfig(f.url()))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	f.waitConnected(time.Second)
	f.mu.Lock()
	f.requests = nil // forget the registration check
	f.mu.Unlock()
	return c
}

// next receives one event or fails the test.
func next(t *testing.T, events <-chan centralita.ChannelEvent) centralita.ChannelEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		require.True(t, ok, "event channel closed")
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return centralita.ChannelEvent{}
	}
}

// eventJSONFor builds a minimal ARI event message for a channel.
func eventJSONFor(typ, channelID, state string, extra map[string]any) string {
	m := map[string]any{
		"type":      typ,
		"timestamp": "2026-11-21T19:50:04.679+0000",
		"channel": map[string]any{
			"id": channelID, "name": "PJSIP/101-00000001", "state": state,
			"caller": map[string]string{"name": "Ext 101", "number": "101"},
		},
		"asterisk_id": "02:fc:00:00:00:01",
		"application": "centralita",
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}
