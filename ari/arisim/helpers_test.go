package arisim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// harness runs one simulator on a loopback port for a test.
type harness struct {
	t      testing.TB
	srv    *Server
	base   string
	client *http.Client
	user   string
	pass   string
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	h := &harness{
		t: t, srv: srv, base: srv.URL(),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second},
		user:   srv.cfg.Username, pass: srv.cfg.Password,
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		h.client.CloseIdleConnections()
	})
	return h
}

// httpResult is one HTTP exchange.
type httpResult struct {
	status int
	reason string
	body   []byte
	header http.Header
}

func (r httpResult) json(t testing.TB) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response body is not JSON: %v: %q", err, r.body)
	}
	return v
}

// call sends an ARI or control request with the harness credentials.
func (h *harness) call(method, path string, query url.Values, body any) httpResult {
	h.t.Helper()
	return h.callAuth(method, path, query, body, h.user, h.pass)
}

func (h *harness) callAuth(method, path string, query url.Values, body any, user, pass string) httpResult {
	h.t.Helper()
	var rd io.Reader
	var ctype string
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("marshal: %v", err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	u := h.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	reason := strings.TrimSpace(strings.TrimPrefix(res.Status, fmt.Sprint(res.StatusCode)))
	return httpResult{status: res.StatusCode, reason: reason, body: data, header: res.Header}
}

// mustJSON decodes a JSON object response with the wanted status.
func (h *harness) mustJSON(want int, r httpResult) map[string]any {
	h.t.Helper()
	if r.status != want {
		h.t.Fatalf("status %d %s, want %d: %s", r.status, r.reason, want, r.body)
	}
	m, _ := r.json(h.t).(map[string]any)
	return m
}

// wsClientT is a test events WebSocket.
type wsClientT struct {
	t      testing.TB
	conn   *websocket.Conn
	mu     sync.Mutex
	events []map[string]any
	raw    [][]byte
	counts map[string]int
	notify chan struct{}
	closed chan struct{}
}

// events opens /ari/events for apps.
func (h *harness) events(apps string, subscribeAll bool) *wsClientT {
	h.t.Helper()
	w, err := h.dialEvents(apps, subscribeAll)
	if err != nil {
		h.t.Fatalf("websocket: %v", err)
	}
	return w
}

func (h *harness) dialEvents(apps string, subscribeAll bool) (*wsClientT, error) {
	q := url.Values{"app": {apps}}
	if subscribeAll {
		q.Set("subscribeAll", "true")
	}
	wsURL := "ws" + strings.TrimPrefix(h.base, "http") + "/ari/events?" + q.Encode()
	cfg, err := websocket.NewConfig(wsURL, h.base)
	if err != nil {
		return nil, err
	}
	cfg.Header.Set("Authorization", "Basic "+basic(h.user, h.pass))
	conn, err := websocket.DialConfig(cfg)
	if err != nil {
		return nil, err
	}
	w := &wsClientT{t: h.t, conn: conn, counts: map[string]int{}, notify: make(chan struct{}, 1), closed: make(chan struct{})}
	go w.read()
	h.t.Cleanup(w.close)
	return w, nil
}

func basic(u, p string) string {
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(u, p)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func (w *wsClientT) read() {
	defer close(w.closed)
	for {
		var data []byte
		if err := websocket.Message.Receive(w.conn, &data); err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			w.t.Errorf("event is not JSON: %q", data)
			continue
		}
		w.mu.Lock()
		w.events = append(w.events, m)
		w.raw = append(w.raw, data)
		typ, _ := m["type"].(string)
		w.counts[typ]++
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
}

func (w *wsClientT) close() {
	_ = w.conn.Close()
	<-w.closed
}

// snapshot returns the events received so far.
func (w *wsClientT) snapshot() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.events...)
}

// waitCount waits until n events of type typ arrived.
func (w *wsClientT) waitCount(typ string, n int, timeout time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		got := w.counts[typ]
		w.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("got %d %s events, want %d", got, typ, n)
		}
		select {
		case <-w.notify:
		case <-w.closed:
			w.t.Fatalf("websocket closed after %d %s events, want %d", got, typ, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitFor waits until pred holds for the events received so far.
func (w *wsClientT) waitFor(what string, timeout time.Duration, pred func([]map[string]any) bool) []map[string]any {
	w.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		evs := w.snapshot()
		if pred(evs) {
			return evs
		}
		select {
		case <-w.notify:
		case <-w.closed:
			evs := w.snapshot()
			if pred(evs) {
				return evs
			}
			w.t.Fatalf("websocket closed while waiting for %s; got %s", what, evSummary(evs))
		case <-deadline.C:
			w.t.Fatalf("timeout waiting for %s; got %s", what, evSummary(w.snapshot()))
		}
	}
}

// waitEvent waits for an event of type typ about channel id ("" for any).
func (w *wsClientT) waitEvent(typ, id string, timeout time.Duration) map[string]any {
	w.t.Helper()
	var found map[string]any
	w.waitFor(typ+" "+id, timeout, func(evs []map[string]any) bool {
		for _, e := range evs {
			if e["type"] == typ && (id == "" || eventChannelID(e) == id) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// typesFor lists the event types received about channel id.
func (w *wsClientT) typesFor(id string) []string {
	var out []string
	for _, e := range w.snapshot() {
		if eventChannelID(e) == id {
			out = append(out, e["type"].(string))
		}
	}
	return out
}

func eventChannelID(e map[string]any) string {
	for _, k := range []string{"channel", "peer"} {
		if c, ok := e[k].(map[string]any); ok {
			id, _ := c["id"].(string)
			return id
		}
	}
	return ""
}

func evSummary(evs []map[string]any) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  %v %s", e["type"], eventChannelID(e))
		for _, k := range []string{"variable", "dialstatus", "cause"} {
			if v, ok := e[k]; ok {
				fmt.Fprintf(&b, " %s=%v", k, v)
			}
		}
		if c, ok := e["channel"].(map[string]any); ok {
			fmt.Fprintf(&b, " [%v]", c["state"])
		}
	}
	return b.String()
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o644) }

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
