package acd_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
)

// slowAgents is an AgentService whose SetAgentLogin waits for gate when
// set, or for its context when hang is set, or until the test is over.
type slowAgents struct {
	centralita.AgentService
	mu   sync.Mutex
	gate chan struct{}
	hang bool
	done chan struct{}
}

func (s *slowAgents) SetAgentLogin(ctx context.Context, number, iface string, at *time.Time) error {
	s.mu.Lock()
	gate, hang := s.gate, s.hang
	s.mu.Unlock()
	switch {
	case hang:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errors.New("test over")
		}
	case gate != nil:
		select {
		case <-gate:
		case <-s.done:
		}
	}
	return s.AgentService.SetAgentLogin(ctx, number, iface, at)
}

func (s *slowAgents) set(gate chan struct{}, hang bool) {
	s.mu.Lock()
	s.gate, s.hang = gate, hang
	s.mu.Unlock()
}

// newSlowAgents is a scripted engine whose agent store is a slowAgents.
func newSlowAgents(t *testing.T, tweak ...func(*acd.Config)) (*scripted, *slowAgents) {
	var slow *slowAgents
	h := newScripted(t, append(tweak, func(c *acd.Config) {
		slow = &slowAgents{AgentService: c.Agents, done: make(chan struct{})}
		c.Agents = slow
	})...)
	t.Cleanup(func() { close(slow.done) }) // runs before the engine closes
	return h, slow
}

// TestPauseRacingLogout checks that a pause that waited for a logout's
// store write finds the agent logged out: no pause is stored.
func TestPauseRacingLogout(t *testing.T) {
	h, slow := newSlowAgents(t)
	ctx := context.Background()
	gate := make(chan struct{})
	slow.set(gate, false)
	logout := make(chan error, 1)
	go func() { logout <- h.eng.Logout(ctx, "201") }()
	time.Sleep(20 * time.Millisecond) // the logout is writing
	pause := make(chan error, 1)
	go func() { pause <- h.eng.Pause(ctx, "201", nil, "Almuerzo") }()
	time.Sleep(20 * time.Millisecond) // the pause found the agent logged in, and waits to write
	close(gate)
	require.NoError(t, <-logout)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(<-pause))
	ms, err := h.queues.FindMembers(ctx, "sales", "201")
	require.NoError(t, err)
	require.False(t, ms[0].Paused, "no pause is stored for a logged-out agent")
	require.Empty(t, h.rows(centralita.QueueLogFilter{Event: "PAUSE"}))
	st := h.agentState("201")
	require.False(t, st.LoggedIn)
	require.False(t, st.Paused)
}

// TestStoreSlotBounded checks that a store that does not answer holds the
// agent API for RequestTimeout at most, and that a request waiting behind
// it gives up when its own context ends.
func TestStoreSlotBounded(t *testing.T) {
	h, slow := newSlowAgents(t, func(c *acd.Config) { c.RequestTimeout = 500 * time.Millisecond })
	ctx := context.Background()
	slow.set(nil, true)
	start := time.Now()
	logout := make(chan error, 1)
	go func() { logout <- h.eng.Logout(ctx, "201") }()
	time.Sleep(20 * time.Millisecond) // the logout holds the store slot

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	pause := make(chan error, 1)
	go func() { pause <- h.eng.Pause(short, "202", nil, "") }()
	select {
	case err := <-pause:
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err), "%v", err)
		require.Less(t, time.Since(start), 400*time.Millisecond, "the waiting request gave up with its context")
	case <-time.After(2 * time.Second):
		t.Fatal("a request waiting for the store slot ignores its context")
	}
	select {
	case err := <-logout:
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err), "%v", err)
		require.Less(t, time.Since(start), 2*time.Second)
	case <-time.After(3 * time.Second):
		t.Fatal("a store request is not bounded by RequestTimeout")
	}
	require.True(t, h.agentState("201").LoggedIn, "the logout did not happen")
	slow.set(nil, false)
	require.NoError(t, h.eng.Pause(ctx, "202", nil, ""), "the slot is free again")
	require.True(t, h.agentState("202").Paused)
}

// lenientQueues is a QueueService that stores any pause reason, cut to 128 bytes.
type lenientQueues struct{ centralita.QueueService }

func (l lenientQueues) SetMember(ctx context.Context, m *centralita.QueueMember) error {
	c := *m
	c.PauseReason = c.PauseReason[:min(len(c.PauseReason), 128)]
	return l.QueueService.SetMember(ctx, &c)
}

// TestPauseReasonBounded checks that a pause reason too long for the store
// or for queue_log is refused before anything is written.
func TestPauseReasonBounded(t *testing.T) {
	h := newScripted(t, func(c *acd.Config) { c.Queues = lenientQueues{c.Queues} })
	ctx := context.Background()
	for _, n := range []int{300, 129} {
		err := h.eng.Pause(ctx, "201", nil, strings.Repeat("x", n))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%d bytes: %v", n, err)
	}
	require.False(t, h.agentState("201").Paused)
	require.NoError(t, h.eng.Pause(ctx, "201", nil, strings.Repeat("x", 128)))
	p := h.waitRow("", "PAUSE")
	require.Len(t, p.Data1, 128)
}
