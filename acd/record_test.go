package acd_test

import (
	"context"
	"net/url"
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
	// hold, when set, holds the first Start until it can receive.
	hold chan struct{}
}

func (f *fakeRecorder) Start(_ context.Context, req centralita.RecordingRequest) (string, error) {
	f.mu.Lock()
	f.started = append(f.started, req)
	n := len(f.started)
	hold := f.hold
	f.mu.Unlock()
	if n == 1 && hold != nil {
		<-hold
	}
	return "guid-" + strconv.Itoa(n), nil
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
	id, err := h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234", Queue: "sales", Record: true, Campaign: "Ventas, norte"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { s, _ := rec.counts(); return s == 1 }, 10*time.Second, time.Millisecond)
	rec.mu.Lock()
	got := rec.started[0]
	rec.mu.Unlock()
	require.Equal(t, []string{id + "-bridge", id, "201", "5551234", "Ventas, norte"}, []string{got.BridgeID, got.UniqueID, got.Agent, got.Destination, got.Campaign})
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

// A dialer call of a recorded campaign carries "record=1" and the
// query-escaped campaign name (Stasis arguments cannot hold commas); the
// recording is indexed under the real name.
func TestDialerCallRecordingCampaignWithComma(t *testing.T) {
	h, rec := recEnv(t, false)
	id := h.call("5550100", "sales", "dialer=7", "caller=5550100", "record=1", "campaign="+url.QueryEscape("Ventas, norte"))
	h.waitConnected("sales", id)
	require.Eventually(t, func() bool { s, _ := rec.counts(); return s == 1 }, 5*time.Second, time.Millisecond)
	rec.mu.Lock()
	got := rec.started[0]
	rec.mu.Unlock()
	require.Equal(t, "Ventas, norte", got.Campaign)
	require.Equal(t, []string{"201", "5550100"}, []string{got.Source, got.Destination}, "the agent called the customer")
	h.farHangup(id)
	h.waitRow(id, "COMPLETECALLER")
	h.waitQuiet()
}

// A call blind-transferred to another queue while its first recording is
// still starting gets a recording of its second leg too; the first one,
// answering late, is stopped at once.
func TestTransferredCallRecordedWhileFirstStarting(t *testing.T) {
	rec := &fakeRecorder{hold: make(chan struct{})}
	h := newEnv(t, envConfig{
		queues: []centralita.Queue{{Name: "sales", Strategy: centralita.StrategyLinear, Record: true}, {Name: "support", Strategy: centralita.StrategyLinear, Record: true}},
		agents: 3, login: true, members: map[string][]string{"sales": {"201"}, "support": {"203"}}, rec: rec,
	})
	id := h.call("5550100", "sales")
	require.Equal(t, "201", h.waitConnected("sales", id))
	require.Eventually(t, func() bool { s, _ := rec.counts(); return s == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, h.eng.Transfer(context.Background(), id, "queue:support"))
	require.Equal(t, "203", h.waitConnected("support", id))
	require.Eventually(t, func() bool { s, _ := rec.counts(); return s == 2 }, 5*time.Second, time.Millisecond, "the second leg is recorded")
	close(rec.hold)
	require.Eventually(t, func() bool { _, s := rec.counts(); return s == 1 }, 5*time.Second, time.Millisecond)
	rec.mu.Lock()
	require.Equal(t, []string{"guid-1"}, rec.stopped, "the late first recording is stopped")
	require.Equal(t, []string{"sales", "support"}, []string{rec.started[0].Queue, rec.started[1].Queue})
	require.Equal(t, id, rec.started[1].UniqueID)
	rec.mu.Unlock()
	h.farHangup(id)
	h.waitRow(id, "COMPLETECALLER")
	require.Eventually(t, func() bool { _, s := rec.counts(); return s == 2 }, 5*time.Second, time.Millisecond)
	h.waitQuiet()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Equal(t, []string{"guid-1", "guid-2"}, rec.stopped)
}
