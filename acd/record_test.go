package acd_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// fakeRecorder records what the engine asks of a Recorder.
type fakeRecorder struct {
	mu      sync.Mutex
	started []centralita.RecordingRequest
	stopped []string
}

func (f *fakeRecorder) Start(_ context.Context, req centralita.RecordingRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, req)
	return "guid-" + strconv.Itoa(len(f.started)), nil
}

func (f *fakeRecorder) Stop(_ context.Context, guid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, guid)
	return nil
}

func (f *fakeRecorder) counts() (started, stopped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.started), len(f.stopped)
}

func recEnv(t *testing.T, record bool) (*env, *fakeRecorder) {
	t.Helper()
	rec := &fakeRecorder{}
	q := centralita.Queue{Name: "sales", Strategy: centralita.StrategyLinear, Record: record}
	h := newEnv(t, envConfig{queues: []centralita.Queue{q}, agents: 1, members: map[string][]string{"sales": {"201"}}, login: true, rec: rec})
	return h, rec
}

// A queue with Record has each connected call recorded from its mixing
// bridge until it ends; a queue without Record has none.
func TestQueueCallRecording(t *testing.T) {
	for _, record := range []bool{true, false} {
		t.Run("record="+strconv.FormatBool(record), func(t *testing.T) {
			h, rec := recEnv(t, record)
			id := h.call("5550100", "sales")
			h.waitConnected("sales", id)
			if record {
				require.Eventually(t, func() bool { s, _ := rec.counts(); return s == 1 }, 5*time.Second, time.Millisecond)
				rec.mu.Lock()
				got := rec.started[0]
				rec.mu.Unlock()
				require.Equal(t, id+"-bridge", got.BridgeID)
				require.Equal(t, []string{id, "sales", "201", "5550100", "sales"}, []string{got.UniqueID, got.Queue, got.Agent, got.Source, got.Destination})
				require.False(t, got.CallDate.IsZero())
			}
			h.farHangup(id)
			h.waitRow(id, "COMPLETECALLER")
			h.waitQuiet()
			if !record {
				s, st := rec.counts()
				require.Equal(t, []int{0, 0}, []int{s, st}, "nothing recorded")
				return
			}
			require.Eventually(t, func() bool { _, s := rec.counts(); return s == 1 }, 5*time.Second, time.Millisecond)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.Equal(t, []string{"guid-1"}, rec.stopped)
		})
	}
}

// An agent call made with Record is recorded once both legs are bridged;
// one without is not.
func TestAgentCallRecording(t *testing.T) {
	h, rec := recEnv(t, false)
	ctx := context.Background()
	h.control("PUT", "/sim/rules", []map[string]any{{"match": "exact", "pattern": "5551234", "outcome": "answer", "ring_delay": "1s", "talk_duration": "5s"}})
	id, err := h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234", Queue: "sales", Record: true})
	require.NoError(t, err)
	require.Eventually(t, func() bool { s, _ := rec.counts(); return s == 1 }, 10*time.Second, time.Millisecond)
	rec.mu.Lock()
	got := rec.started[0]
	rec.mu.Unlock()
	require.Equal(t, []string{id + "-bridge", id, "201", "5551234"}, []string{got.BridgeID, got.UniqueID, got.Agent, got.Destination})
	h.waitRow(id, "DIALOUTEND")
	require.Eventually(t, func() bool { _, s := rec.counts(); return s == 1 }, 5*time.Second, time.Millisecond)
	h.waitQuiet()

	id, err = h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234"})
	require.NoError(t, err)
	h.waitRow(id, "DIALOUTEND")
	h.waitQuiet()
	s, _ := rec.counts()
	require.Equal(t, 1, s, "the second call did not ask to be recorded")
}
