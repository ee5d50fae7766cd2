package crm_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/crm"
)

// hang never answers; it returns when the client gives up.
func hang(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }

// margin is the slack allowed over a time bound.
const margin = time.Second

func TestHangingCRM(t *testing.T) {
	t.Run("attempt timeout", func(t *testing.T) {
		srv := newCRM(t, hang)
		pushes := &fakePushes{}
		const timeout = 200 * time.Millisecond
		c := newClient(t, crm.Config{CallerIDName: rest(srv.URL), Timeout: timeout}, pushes)
		start := time.Now()
		name, err := c.CallerIDName(t.Context(), "099")
		elapsed := time.Since(start)
		require.Less(t, elapsed, timeout+margin)
		require.GreaterOrEqual(t, elapsed, timeout)
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
		require.ErrorContains(t, err, "did not answer in time")
		require.Empty(t, name)
		recs := pushes.all()
		require.Len(t, recs, 1)
		require.Equal(t, "error", recs[0].Status)
		require.GreaterOrEqual(t, recs[0].DurationMS, timeout.Milliseconds())
	})
	t.Run("caller deadline", func(t *testing.T) {
		// The call's own deadline is shorter than Timeout; the retries of
		// pushAgentInfo do not outlive it, and the attempt is still recorded.
		srv := newCRM(t, hang)
		pushes := &fakePushes{}
		c := newClient(t, crm.Config{PushAgentInfo: rest(srv.URL), Timeout: 10 * time.Second, Retries: 5}, pushes)
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		ok, err := c.PushAgentInfo(ctx, agentInfo)
		require.Less(t, time.Since(start), 150*time.Millisecond+margin)
		require.False(t, ok)
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
		require.Equal(t, []string{"1:error"}, pushes.statuses())
		require.Equal(t, 1, srv.count())
	})
	t.Run("retries within the deadline", func(t *testing.T) {
		// Attempts of 100 ms, a 450 ms deadline: a few attempts, then the
		// retry that cannot finish in time is not started.
		srv := newCRM(t, hang)
		pushes := &fakePushes{}
		c := newClient(t, crm.Config{PushAgentInfo: rest(srv.URL), Timeout: 100 * time.Millisecond, Retries: 10, Backoff: 10 * time.Millisecond}, pushes)
		ctx, cancel := context.WithTimeout(t.Context(), 450*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.PushAgentInfo(ctx, agentInfo)
		require.Less(t, time.Since(start), 450*time.Millisecond+margin)
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
		n := srv.count()
		require.GreaterOrEqual(t, n, 2)
		require.LessOrEqual(t, n, 5)
		require.Len(t, pushes.all(), n)
	})
}

func TestRetries(t *testing.T) {
	t.Run("backoff then success", func(t *testing.T) {
		srv := newCRM(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n < 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			answer(http.StatusOK, "application/json", "true")(w, r, n)
		})
		pushes := &fakePushes{}
		const backoff = 40 * time.Millisecond
		c := newClient(t, crm.Config{PushAgentInfo: rest(srv.URL), Backoff: backoff}, pushes)
		start := time.Now()
		ok, err := c.PushAgentInfo(t.Context(), agentInfo)
		elapsed := time.Since(start)
		require.NoError(t, err)
		require.True(t, ok)
		// Jittered in the upper half: at least backoff/2 then backoff.
		require.GreaterOrEqual(t, elapsed, backoff/2+backoff)
		require.Equal(t, []string{"1:error", "2:error", "3:ok"}, pushes.statuses())
		recs := pushes.all()
		for _, p := range recs {
			require.Equal(t, srv.requests()[0].Body, p.Request)
			require.Equal(t, agentInfo.UniqueID, p.UniqueID)
		}
		require.Equal(t, "busy\n", recs[0].Response)
		require.Contains(t, recs[0].Error, "HTTP 503")
		require.Equal(t, "true", recs[2].Response)
	})

	statusHandler := func(status int) func(http.ResponseWriter, *http.Request, int) {
		return answer(status, "text/plain", "no")
	}
	tests := []struct {
		name    string
		cfg     func(url string) crm.Config
		method  string
		status  int
		answers int // requests the CRM gets
	}{
		{"push default retries twice", func(u string) crm.Config { return crm.Config{PushAgentInfo: rest(u)} }, centralita.CRMPushAgentInfo, 503, 3},
		{"push 429 is retried", func(u string) crm.Config { return crm.Config{PushAgentInfo: rest(u)} }, centralita.CRMPushAgentInfo, 429, 3},
		{"push 400 is not retried", func(u string) crm.Config { return crm.Config{PushAgentInfo: rest(u)} }, centralita.CRMPushAgentInfo, 400, 1},
		{"push negative disables", func(u string) crm.Config { return crm.Config{PushAgentInfo: rest(u), Retries: -1} }, centralita.CRMPushAgentInfo, 503, 1},
		{"lookup default no retry", func(u string) crm.Config { return crm.Config{CallerIDName: rest(u)} }, centralita.CRMGetCallerIDName, 503, 1},
		{"ivr default no retry", func(u string) crm.Config { return crm.Config{IVRCode: rest(u)} }, centralita.CRMIVRCode, 500, 1},
		{"push retries do not apply to lookups", func(u string) crm.Config { return crm.Config{CallerIDName: rest(u), Retries: 3} }, centralita.CRMGetCallerIDName, 502, 1},
		{"lookup with retries", func(u string) crm.Config { return crm.Config{CallerIDName: rest(u), LookupRetries: 3} }, centralita.CRMGetCallerIDName, 502, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCRM(t, statusHandler(tt.status))
			pushes := &fakePushes{}
			c := newClient(t, tt.cfg(srv.URL), pushes)
			_, err := invoke(t.Context(), c, tt.method)
			require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
			require.Equal(t, tt.answers, srv.count())
			require.Len(t, pushes.all(), tt.answers)
			for i, p := range pushes.all() {
				require.Equal(t, i+1, p.Attempt)
				require.Equal(t, "error", p.Status)
			}
		})
	}

	t.Run("soap client fault is not retried", func(t *testing.T) {
		srv := newCRM(t, answer(500, "text/xml", soapAnswer(`<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>bad</faultstring></SOAP-ENV:Fault>`)))
		c := newClient(t, crm.Config{PushAgentInfo: soap(srv.URL)}, nil)
		_, err := c.PushAgentInfo(t.Context(), agentInfo)
		require.ErrorContains(t, err, "SOAP fault SOAP-ENV:Client: bad")
		require.Equal(t, 1, srv.count())
	})
	t.Run("soap server fault is retried", func(t *testing.T) {
		srv := newCRM(t, answer(500, "text/xml", soapAnswer(`<SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>db down</faultstring></SOAP-ENV:Fault>`)))
		c := newClient(t, crm.Config{PushAgentInfo: soap(srv.URL)}, nil)
		_, err := c.PushAgentInfo(t.Context(), agentInfo)
		require.ErrorContains(t, err, "db down")
		require.Equal(t, 3, srv.count())
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := newCRM(t, hang)
		url := srv.URL
		srv.Close()
		pushes := &fakePushes{}
		c := newClient(t, crm.Config{PushAgentInfo: rest(url)}, pushes)
		_, err := c.PushAgentInfo(t.Context(), agentInfo)
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
		require.ErrorContains(t, err, "unreachable")
		require.Equal(t, []string{"1:error", "2:error", "3:error"}, pushes.statuses())
	})
}

func TestBreaker(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	srv := newCRM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if failing.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		answer(http.StatusOK, "text/plain", "ok")(w, r, n)
	})
	other := newCRM(t, answer(http.StatusOK, "text/plain", "Ana"))
	clk := newClock()
	pushes := &fakePushes{}
	c := newClient(t, crm.Config{
		PushAgentInfo:   rest(srv.URL),
		IVRCode:         rest(srv.URL), // same URL, same breaker
		CallerIDName:    rest(other.URL),
		BreakerFailures: 3,
		BreakerCooldown: 30 * time.Second,
		Retries:         -1,
		Now:             clk.Now,
	}, pushes)
	push := func() error { _, err := c.PushAgentInfo(t.Context(), agentInfo); return err }

	// A caller that went away says nothing about the CRM.
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	for range 5 {
		_, err := c.PushAgentInfo(canceled, agentInfo)
		require.Error(t, err)
	}
	for range 3 {
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(push()))
	}
	require.Equal(t, 3, srv.count())

	// Open: fail fast, recorded as skipped, for both methods on that URL.
	start := time.Now()
	err := push()
	require.Less(t, time.Since(start), 100*time.Millisecond)
	require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	require.ErrorContains(t, err, "circuit breaker open")
	_, err = c.IVRCode(t.Context(), "1.2", "099", "menu", "")
	require.ErrorContains(t, err, "circuit breaker open")
	require.Equal(t, 3, srv.count())
	recs := pushes.all()
	last := recs[len(recs)-1]
	require.Equal(t, "skipped", last.Status)
	require.Equal(t, centralita.CRMIVRCode, last.Method)
	require.Equal(t, 1, last.Attempt)
	require.Equal(t, "circuit breaker open", last.Error)
	require.Contains(t, last.Request, `"IVRCode":"menu"`)
	require.Equal(t, "skipped", recs[len(recs)-2].Status)

	// Another URL is not affected.
	name, err := c.CallerIDName(t.Context(), "099")
	require.NoError(t, err)
	require.Equal(t, "Ana", name)

	// Still open just before the cooldown ends.
	clk.Add(30*time.Second - time.Millisecond)
	require.ErrorContains(t, push(), "circuit breaker open")

	// Half-open: one trial; it fails, so the breaker opens for another cooldown.
	clk.Add(time.Millisecond)
	require.ErrorContains(t, push(), "HTTP 502")
	require.Equal(t, 4, srv.count())
	require.ErrorContains(t, push(), "circuit breaker open")
	clk.Add(29 * time.Second)
	require.ErrorContains(t, push(), "circuit breaker open")

	// The next trial succeeds and closes it.
	clk.Add(time.Second)
	failing.Store(false)
	require.NoError(t, push())
	require.NoError(t, push())
	_, err = c.IVRCode(t.Context(), "1.2", "099", "menu", "")
	require.NoError(t, err)
	require.Equal(t, 7, srv.count())

	// Closed again: it takes 3 new consecutive failures to open it.
	failing.Store(true)
	for range 3 {
		require.ErrorContains(t, push(), "HTTP 502")
	}
	require.ErrorContains(t, push(), "circuit breaker open")
	require.Equal(t, 10, srv.count())
}

func TestBreakerHalfOpenLetsOneTrialThrough(t *testing.T) {
	release := make(chan struct{})
	var mode atomic.Int32 // 0 fail, 1 block then succeed
	arrived := make(chan struct{}, 1)
	srv := newCRM(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if mode.Load() == 0 {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		arrived <- struct{}{}
		<-release
		answer(http.StatusOK, "", "")(w, r, n)
	})
	clk := newClock()
	pushes := &fakePushes{}
	c := newClient(t, crm.Config{PushAgentInfo: rest(srv.URL), BreakerFailures: 1, BreakerCooldown: time.Second, Retries: -1, Now: clk.Now}, pushes)
	_, err := c.PushAgentInfo(t.Context(), agentInfo)
	require.ErrorContains(t, err, "HTTP 500")

	clk.Add(time.Second)
	mode.Store(1)
	var wg sync.WaitGroup
	var trialErr error
	wg.Go(func() { _, trialErr = c.PushAgentInfo(t.Context(), agentInfo) })
	<-arrived
	_, err = c.PushAgentInfo(t.Context(), agentInfo)
	require.ErrorContains(t, err, "circuit breaker open", "only one trial while half-open")
	close(release)
	wg.Wait()
	require.NoError(t, trialErr)
	_, err = c.PushAgentInfo(t.Context(), agentInfo)
	require.NoError(t, err, "closed: goes through")
	require.Equal(t, 3, srv.count())
	require.Equal(t, []string{"1:error", "1:skipped", "1:ok", "1:ok"}, pushes.statuses())
}

func TestRecordedTargetHasNoCredentials(t *testing.T) {
	srv := newCRM(t, answer(200, "application/json", `true`))
	pushes := &fakePushes{}
	u := strings.Replace(srv.URL, "http://", "http://crm:s3cret@", 1) + "/push?token=abc"
	c := newClient(t, crm.Config{PushAgentInfo: rest(u)}, pushes)
	_, err := c.PushAgentInfo(t.Context(), agentInfo)
	require.NoError(t, err)
	require.Len(t, pushes.all(), 1)
	got := pushes.all()[0].Target
	require.Equal(t, srv.URL+"/push", got)
	require.NotContains(t, got, "s3cret")
	require.NotContains(t, got, "abc")
}
