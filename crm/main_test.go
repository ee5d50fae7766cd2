package crm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/crm"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakePushes is an in-memory CRMPushService; fail makes every create fail.
type fakePushes struct {
	mu     sync.Mutex
	pushes []centralita.CRMPush
	fail   error
}

func (f *fakePushes) CreateCRMPush(ctx context.Context, p *centralita.CRMPush) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	p.ID = int64(len(f.pushes) + 1)
	f.pushes = append(f.pushes, *p)
	return nil
}

func (f *fakePushes) FindCRMPushes(_ context.Context, _ centralita.CRMPushFilter) ([]*centralita.CRMPush, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*centralita.CRMPush, len(f.pushes))
	for i := range f.pushes {
		p := f.pushes[i]
		out[i] = &p
	}
	return out, nil
}

// all returns the recorded attempts, oldest first.
func (f *fakePushes) all() []centralita.CRMPush {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]centralita.CRMPush(nil), f.pushes...)
}

// statuses lists the recorded attempts as "attempt:status".
func (f *fakePushes) statuses() []string {
	var out []string
	for _, p := range f.all() {
		out = append(out, fmt.Sprintf("%d:%s", p.Attempt, p.Status))
	}
	return out
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seen is a request the fake CRM received.
type seen struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// fakeCRM is an httptest server standing in for the customer's backend.
type fakeCRM struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

// newCRM starts a fake CRM answering with h (which gets the request number, from 1).
func newCRM(t *testing.T, h func(w http.ResponseWriter, r *http.Request, n int)) *fakeCRM {
	t.Helper()
	f := &fakeCRM{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		n := len(f.reqs)
		f.mu.Unlock()
		h(w, r, n)
	}))
	t.Cleanup(f.Close)
	return f
}

// answer returns a handler that always answers status, contentType and body.
func answer(status int, contentType, body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// requests returns what the fake CRM received.
func (f *fakeCRM) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// count is how many requests the fake CRM received.
func (f *fakeCRM) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// newClient builds a Client over cfg with a fresh transport (closed at the
// end of the test), the given pushes store, and fast test defaults.
func newClient(t *testing.T, cfg crm.Config, pushes *fakePushes) *crm.Client {
	t.Helper()
	if cfg.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		cfg.HTTPClient = &http.Client{Transport: tr}
	}
	if pushes != nil {
		cfg.Pushes = pushes
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 5 * time.Millisecond
	}
	c, err := crm.New(cfg)
	require.NoError(t, err)
	return c
}

// rest and soap are targets of kind REST and SOAP at url.
func rest(url string) crm.Target { return crm.Target{URL: url} }
func soap(url string) crm.Target { return crm.Target{URL: url, Kind: "soap"} }

// agentInfo is the screen-pop the tests push.
var agentInfo = centralita.AgentInfo{
	UniqueID:     "1275586803.1502",
	Queue:        "q_cli",
	CallerID:     "Ana <099123456>",
	AgentChannel: "SIP/107",
	IVRData:      "opt=2",
}
