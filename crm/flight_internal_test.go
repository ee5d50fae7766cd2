package crm

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConcurrentLookupsShareOneRequest joins callers to one flight (the cache
// is off, so only sharing can explain a single request).
func TestConcurrentLookupsShareOneRequest(t *testing.T) {
	var requests atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
		_, _ = w.Write([]byte(`"Ana"`))
	}))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	c, err := New(Config{CallerIDName: Target{URL: srv.URL}, CacheTTL: -1, HTTPClient: &http.Client{Transport: tr}})
	require.NoError(t, err)

	const callers = 10
	names := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { names[i], errs[i] = c.CallerIDName(t.Context(), "099") })
	}
	require.Eventually(t, func() bool { return c.flights.waiting("099") == callers-1 }, 5*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	for i := range callers {
		require.NoError(t, errs[i])
		require.Equal(t, "Ana", names[i])
	}
	require.EqualValues(t, 1, requests.Load())
	require.Zero(t, c.flights.waiting("099"))
}

// TestFollowerOutlivesCanceledLeader: when the leader's caller goes away, a
// waiting caller asks again instead of taking the cancellation.
func TestFollowerOutlivesCanceledLeader(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so that the server notices the client going away
		if requests.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		_, _ = w.Write([]byte(`Bo`))
	}))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	c, err := New(Config{CallerIDName: Target{URL: srv.URL}, HTTPClient: &http.Client{Transport: tr}})
	require.NoError(t, err)

	leaderCtx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var leaderErr error
	wg.Go(func() { _, leaderErr = c.CallerIDName(leaderCtx, "099") })
	require.Eventually(t, func() bool { return requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	var name string
	var followerErr error
	wg.Go(func() { name, followerErr = c.CallerIDName(t.Context(), "099") })
	require.Eventually(t, func() bool { return c.flights.waiting("099") == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	wg.Wait()
	require.ErrorIs(t, leaderErr, context.Canceled)
	require.NoError(t, followerErr)
	require.Equal(t, "Bo", name)
	require.EqualValues(t, 2, requests.Load())
}

func TestCacheEntriesAreBounded(t *testing.T) {
	now := time.Now()
	ch := newCache(time.Minute, 3)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ch.put(n, "x", now)
	}
	require.Equal(t, 3, ch.len())
	_, ok := ch.get("b", now)
	require.False(t, ok)
	v, ok := ch.get("e", now)
	require.True(t, ok)
	require.Equal(t, "x", v)
	_, ok = ch.get("e", now.Add(time.Minute))
	require.False(t, ok)
	require.Equal(t, 2, ch.len(), "an expired entry is dropped when seen")
}
