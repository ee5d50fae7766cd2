package ari

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no URL":         {Application: "a"},
		"bad scheme":     {URL: "ftp://x/ari", Application: "a"},
		"no host":        {URL: "http:///ari", Application: "a"},
		"no application": {URL: "http://127.0.0.1:8088/ari"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(context.Background(), cfg)
			assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
		})
	}
}

func TestEventsURL(t *testing.T) {
	u, err := eventsURL(Config{URL: "https://pbx:8089/ari", Application: "cc app", SubscribeAll: true})
	require.NoError(t, err)
	assert.Equal(t, "wss://pbx:8089/ari/events?app=cc+app&subscribeAll=true", u)
	u, err = eventsURL(Config{URL: "http://127.0.0.1:8088/ari", Application: "cc"})
	require.NoError(t, err)
	assert.Equal(t, "ws://127.0.0.1:8088/ari/events?app=cc", u)
}

func TestNewRejectsBadCredentialsAtOnce(t *testing.T) {
	f := newFakeARI(t)
	f.handle("GET /ari/asterisk/ping", 200, `{"ping":"pong"}`)
	cfg := testConfig(f.url())
	cfg.Password = "wrong"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := New(ctx, cfg)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "no retrying on bad credentials")
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.True(t, isAuthError(err))
}

func TestNewWaitsForAsterisk(t *testing.T) {
	f := newFakeARI(t)
	f.setRefuse(http.StatusServiceUnavailable)
	go func() {
		time.Sleep(300 * time.Millisecond)
		f.setRefuse(0)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := New(ctx, testConfig(f.url()))
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, StateConnected, c.State())
	assert.Greater(t, len(f.dialTimes()), 2, "it retried")
}

// TestNewWaitsForRegistration: Asterisk registers the application only
// after the handshake; New returns once the application is listed.
func TestNewWaitsForRegistration(t *testing.T) {
	f := newFakeARI(t)
	f.handle("GET /ari/applications/centralita", 404, `{"message":"Application not found"}`)
	go func() {
		time.Sleep(200 * time.Millisecond)
		f.handle("GET /ari/applications/centralita", 200, `{"name":"centralita"}`)
	}()
	start := time.Now()
	c, err := New(context.Background(), testConfig(f.url()))
	require.NoError(t, err)
	defer c.Close()
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	f.mu.Lock()
	polls := len(f.requests)
	f.mu.Unlock()
	assert.Greater(t, polls, 1)
}

func TestNewGivesUpWithContext(t *testing.T) {
	f := newFakeARI(t)
	f.setRefuse(http.StatusServiceUnavailable)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := New(ctx, testConfig(f.url()))
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestReconnectAfterCut: the WebSocket drops mid-call; subscribers get
// disconnected, then reconnected, and events flow again on the new socket.
func TestReconnectAfterCut(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	events, cancel := c.Subscribe()
	defer cancel()

	f.send(eventJSONFor("StasisStart", "call-1", "Up", map[string]any{"args": []string{"agent"}}))
	assert.Equal(t, centralita.ChannelEntered, next(t, events).Type)

	require.Equal(t, 1, f.cut())
	ev := next(t, events)
	assert.Equal(t, centralita.PBXDisconnected, ev.Type)
	assert.False(t, ev.Time.IsZero())
	f.waitConnected(2 * time.Second)
	assert.Equal(t, centralita.PBXReconnected, next(t, events).Type)
	assert.Equal(t, StateConnected, c.State())
	require.NoError(t, c.Check(context.Background()))

	f.send(eventJSONFor("ChannelDestroyed", "call-1", "Up", map[string]any{"cause": 16, "cause_txt": "Normal Clearing"}))
	ev = next(t, events)
	assert.Equal(t, centralita.ChannelHungup, ev.Type)
	assert.Equal(t, 16, ev.Cause)
}

// TestStateWhileDown: Check fails while Asterisk refuses the WebSocket, and
// the redial delays grow exponentially with jitter up to the cap.
func TestStateWhileDown(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	events, cancel := c.Subscribe()
	defer cancel()

	f.setRefuse(http.StatusServiceUnavailable)
	before := len(f.dialTimes())
	f.cut()
	assert.Equal(t, centralita.PBXDisconnected, next(t, events).Type)
	assert.Equal(t, StateDisconnected, c.State())
	err := c.Check(context.Background())
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.Contains(t, centralita.ErrorMessage(err), "disconnected")

	time.Sleep(600 * time.Millisecond)
	dials := f.dialTimes()[before:]
	require.GreaterOrEqual(t, len(dials), 6)
	// ReconnectMin 10ms doubling to ReconnectMax 80ms, each delay in [step/2, step].
	steps := []time.Duration{20, 40, 80, 80, 80}
	for i, step := range steps {
		gap := dials[i+1].Sub(dials[i])
		assert.GreaterOrEqual(t, gap, step*time.Millisecond/2, "gap %d", i)
		assert.Less(t, gap, step*time.Millisecond+150*time.Millisecond, "gap %d", i)
	}
	assert.Less(t, len(dials), 25, "the cap holds")

	select {
	case ev := <-events:
		t.Fatalf("unexpected event while down: %+v", ev)
	default:
	}
	f.setRefuse(0)
	f.waitConnected(2 * time.Second)
	assert.Equal(t, centralita.PBXReconnected, next(t, events).Type)
	require.NoError(t, c.Check(context.Background()))
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: 5 * time.Second}
	step := 100 * time.Millisecond
	for range 12 {
		d := b.next()
		assert.GreaterOrEqual(t, d, step/2)
		assert.LessOrEqual(t, d, step)
		step = min(2*step, 5*time.Second)
	}
}

// TestApplicationReplaced: another connection took the application; the
// client drops this socket, reports it, and later takes the app back.
func TestApplicationReplaced(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	events, cancel := c.Subscribe()
	defer cancel()
	f.send(trace17Replaced)
	assert.Equal(t, centralita.PBXDisconnected, next(t, events).Type)
	assert.Error(t, c.Check(context.Background()))
	f.waitConnected(2 * time.Second)
	assert.Equal(t, centralita.PBXReconnected, next(t, events).Type)
}

// TestCloseWhileDown: Close returns promptly during redialling, closes the
// subscriptions and leaves no goroutine (checked by TestMain).
func TestCloseWhileDown(t *testing.T) {
	f := newFakeARI(t)
	cfg := testConfig(f.url())
	cfg.ReconnectMin = time.Second
	cfg.ReconnectMax = 10 * time.Second
	c, err := New(context.Background(), cfg)
	require.NoError(t, err)
	f.waitConnected(time.Second)
	events, cancel := c.Subscribe()
	defer cancel()
	f.setRefuse(http.StatusServiceUnavailable)
	f.cut()
	assert.Equal(t, centralita.PBXDisconnected, next(t, events).Type)

	start := time.Now()
	require.NoError(t, c.Close())
	assert.Less(t, time.Since(start), 500*time.Millisecond)
	_, open := <-events
	assert.False(t, open)
	assert.Equal(t, StateClosed, c.State())
	assert.Error(t, c.Check(context.Background()))
	require.NoError(t, c.Close(), "Close is idempotent")
	late, lateCancel := c.Subscribe()
	_, open = <-late
	assert.False(t, open)
	lateCancel()
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	f := newFakeARI(t)
	c, err := New(context.Background(), testConfig(f.url()))
	require.NoError(t, err)
	f.waitConnected(time.Second)
	a, _ := c.Subscribe()
	_, cancelB := c.Subscribe()
	f.send(eventJSONFor("StasisEnd", "x", "Up", nil))
	f.handle("GET /ari/channels", 200, `[]`)
	_, err = c.ListChannels(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	cancelB()
	for range a {
	}
	f.close()
	goleak.VerifyNone(t)
}
