package acd_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
)

func TestRaceAgentAnswersAfterCallerLeft(t *testing.T) {
	h := newScripted(t)
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.destroy("c1", 16)
	require.Equal(t, []string{"ENTERQUEUE", "RINGCANCELED", "ABANDON"}, h.callEvents("c1", "ABANDON"))
	// The agent's StasisStart arrives after the caller left: hung up, never bridged.
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	require.Eventually(t, func() bool { return h.pbx.hangups("c1-a1") >= 2 }, 5*time.Second, time.Millisecond)
	require.False(t, h.pbx.inBridge("c1-a1"))
	h.pbx.destroy("c1-a1", 16)
	h.waitStatus("201", centralita.AgentNotInUse)
	require.Len(t, h.rows(centralita.QueueLogFilter{CallID: "c1"}), 3, "nothing more is logged")
}

func TestRaceDestroyedBeforeStasisStart(t *testing.T) {
	h := newScripted(t)
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.destroy("c1-a1", 21)                 // declined: ChannelDestroyed first...
	h.waitDialled("c1-a2")                     // ...the next agent is rung...
	h.pbx.enter("c1-a1", "acd", "c1", "agent") // ...and a stray StasisStart is hung up.
	require.Eventually(t, func() bool { return h.pbx.hangups("c1-a1") >= 1 }, 5*time.Second, time.Millisecond)
	h.pbx.enter("c1-a2", "acd", "c1", "agent")
	require.Eventually(t, func() bool { return h.pbx.inBridge("c1-a2") && h.pbx.inBridge("c1") }, 5*time.Second, time.Millisecond)
	require.False(t, h.pbx.inBridge("c1-a1"))
	conn := h.waitRow("c1", "CONNECT")
	require.Equal(t, "Agent/202", conn.Agent)
	require.Len(t, h.rows(centralita.QueueLogFilter{Event: "RINGNOANSWER"}), 1)
	h.pbx.destroy("c1-a2", 16)
	require.Equal(t, "COMPLETEAGENT", h.waitRow("c1", "COMPLETEAGENT").Event)
	require.Eventually(t, func() bool { return h.pbx.hangups("c1") >= 1 }, 5*time.Second, time.Millisecond, "the caller is not left alone")
	h.waitStatus("202", centralita.AgentNotInUse)
	require.Eventually(t, func() bool { h.pbx.mu.Lock(); defer h.pbx.mu.Unlock(); return len(h.pbx.bridges) == 0 }, 5*time.Second, time.Millisecond)
}

func TestRaceOriginateFailsButChannelExists(t *testing.T) {
	h := newScripted(t)
	h.pbx.mu.Lock()
	h.pbx.failNext = centralita.Errorf(centralita.EUNAVAILABLE, "request timed out")
	h.pbx.mu.Unlock()
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	rna := h.waitRow("c1", "RINGNOANSWER")
	require.Equal(t, "Agent/201", rna.Agent)
	h.waitDialled("c1-a2")
	// The channel Asterisk created anyway answers: it is hung up, never bridged.
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	require.Eventually(t, func() bool { return h.pbx.hangups("c1-a1") >= 1 }, 5*time.Second, time.Millisecond)
	require.False(t, h.pbx.inBridge("c1-a1"))
	h.pbx.enter("c1-a2", "acd", "c1", "agent")
	require.Equal(t, "Agent/202", h.waitRow("c1", "CONNECT").Agent)
	h.pbx.destroy("c1", 16)
	h.waitRow("c1", "COMPLETECALLER")
	require.Eventually(t, func() bool { return h.pbx.hangups("c1-a2") >= 1 }, 5*time.Second, time.Millisecond)
	h.pbx.destroy("c1-a2", 16)
	h.waitStatus("201", centralita.AgentNotInUse)
	h.waitStatus("202", centralita.AgentNotInUse)
}

func TestRaceCallerLeavesWhileBridging(t *testing.T) {
	h := newScripted(t)
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	gate := make(chan struct{})
	h.pbx.mu.Lock()
	h.pbx.gate = gate
	h.pbx.mu.Unlock()
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.waitRow("c1", "CONNECT")
	h.pbx.destroy("c1", 16) // the caller leaves while the bridge is being built
	h.waitRow("c1", "COMPLETECALLER")
	close(gate)
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		_, live := h.pbx.live["c1-a1"]
		return len(h.pbx.bridges) == 0 && !live
	}, 5*time.Second, time.Millisecond, "no bridge and no agent leg are left")
	h.pbx.destroy("c1-a1", 16)
	h.waitStatus("201", centralita.AgentNotInUse)
}

func TestRaceReconcileAfterGap(t *testing.T) {
	h := newScripted(t)
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.waitRow("c1", "CONNECT")
	h.pbx.inbound("c2", "sales")
	h.waitDialled("c2-a1")
	// Events lost: c1's legs end; c2's agent answers; then the stream is back.
	h.pbx.mu.Lock()
	delete(h.pbx.live, "c1")
	delete(h.pbx.live, "c1-a1")
	h.pbx.live["c2-a1"] = "Up"
	h.pbx.mu.Unlock()
	h.pbx.events <- centralita.ChannelEvent{Type: centralita.PBXReconnected}
	require.Eventually(t, func() bool {
		return len(h.rows(centralita.QueueLogFilter{CallID: "c1", Event: "COMPLETECALLER"}))+
			len(h.rows(centralita.QueueLogFilter{CallID: "c1", Event: "COMPLETEAGENT"})) == 1
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, "Agent/202", h.waitRow("c2", "CONNECT").Agent, "an answer seen only by listing channels connects")
	require.Eventually(t, func() bool { return h.pbx.inBridge("c2-a1") }, 5*time.Second, time.Millisecond)
}

func TestAnnouncePosition(t *testing.T) {
	h := newScripted(t)
	ctx := context.Background()
	q, err := h.queues.FindQueue(ctx, "sales")
	require.NoError(t, err)
	q.AnnounceSec = 5
	require.NoError(t, h.queues.UpdateQueue(ctx, q))
	require.NoError(t, h.eng.Reload(ctx))
	for _, a := range []string{"201", "202"} {
		require.NoError(t, h.eng.Pause(ctx, a, nil, ""))
	}
	h.pbx.inbound("c1", "sales")
	require.Eventually(t, func() bool { return h.queueStatus("sales").Waiting == 1 }, 5*time.Second, time.Millisecond)
	h.pbx.inbound("c2", "sales")
	want := "c2 sound:queue-thereare,digits:2,sound:queue-callswaiting"
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		n := 0
		for _, p := range h.pbx.plays {
			if p == want {
				n++
			}
		}
		return n >= 2
	}, 5*time.Second, time.Millisecond, "the position is announced every AnnounceSec")
	h.pbx.destroy("c1", 16)
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		return slices.Contains(h.pbx.plays, "c2 sound:queue-thereare,digits:1,sound:queue-callswaiting")
	}, 5*time.Second, time.Millisecond, "positions move up")
}

// flakyLog is a queue_log store that fails while down.
type flakyLog struct {
	centralita.QueueLogService
	mu   sync.Mutex
	down bool
}

func (f *flakyLog) AppendQueueLog(ctx context.Context, r *centralita.QueueLogEntry) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errors.New("database restarting")
	}
	return f.QueueLogService.AppendQueueLog(ctx, r)
}

func (f *flakyLog) set(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func TestQueueLogSurvivesDatabaseOutage(t *testing.T) {
	var flaky *flakyLog
	h := newScripted(t, func(c *acd.Config) {
		flaky = &flakyLog{QueueLogService: c.QueueLog, down: true}
		c.QueueLog = flaky
	})
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	require.Eventually(t, func() bool { return h.queueStatus("sales").Answered == 1 }, 5*time.Second, time.Millisecond, "the call goes on while the database is down")
	h.pbx.destroy("c1", 16)
	require.Eventually(t, func() bool { return h.queueStatus("sales").Completed == 1 }, 5*time.Second, time.Millisecond)
	require.Empty(t, h.rows(centralita.QueueLogFilter{}))
	flaky.set(false)
	require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER"}, h.callEvents("c1", "COMPLETECALLER"), "every row lands, in order")
	h.requireCountersMatchLog()
}

// records keeps the log records at error level.
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := rec.Message
	rec.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	r.msgs = append(r.msgs, line)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func TestCloseGivesUpOnRowsAfterFlushTimeout(t *testing.T) {
	rec := &records{}
	h := newScripted(t, func(c *acd.Config) {
		c.QueueLog = &flakyLog{QueueLogService: c.QueueLog, down: true}
		c.FlushTimeout = 50 * time.Millisecond
		c.Logger = slog.New(rec)
	})
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	start := time.Now()
	h.close()
	require.Less(t, time.Since(start), 2*time.Second, "Close is bounded")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Contains(t, strings.Join(rec.msgs, "\n"), "event=ENTERQUEUE", "the rows left are logged in full")
}

func TestRaceAgentCallLegFails(t *testing.T) {
	h := newScripted(t)
	ctx := context.Background()
	h.pbx.mu.Lock()
	h.pbx.failNext = centralita.Errorf(centralita.EUNAVAILABLE, "request timed out")
	h.pbx.mu.Unlock()
	id, err := h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234"})
	require.NoError(t, err)
	h.waitDialled(id + "-agent")
	h.waitStatus("201", centralita.AgentNotInUse)
	// The channel Asterisk created anyway answers: hung up, nothing dialled.
	h.pbx.enter(id+"-agent", "acd", id, "dialout-agent")
	require.Eventually(t, func() bool { return h.pbx.hangups(id+"-agent") >= 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	require.NotContains(t, h.pbx.dialled(), id+"-dst")
	require.Empty(t, h.rows(centralita.QueueLogFilter{CallID: id}))

	// A normal one: the agent answers, the destination is dialled and bridged.
	id, err = h.eng.AgentCall(ctx, centralita.AgentCallRequest{Agent: "201", Destination: "5551234", Queue: "sales"})
	require.NoError(t, err)
	h.waitDialled(id + "-agent")
	h.pbx.enter(id+"-agent", "acd", id, "dialout-agent")
	h.waitDialled(id + "-dst")
	h.pbx.enter(id+"-dst", "acd", id, "dialout-dst")
	require.Eventually(t, func() bool { return h.pbx.inBridge(id+"-agent") && h.pbx.inBridge(id+"-dst") }, 5*time.Second, time.Millisecond)
	h.pbx.destroy(id+"-dst", 16)
	end := h.waitRow(id, "DIALOUTEND")
	require.Equal(t, "sales", end.QueueName)
	require.Eventually(t, func() bool { return h.pbx.hangups(id+"-agent") >= 1 }, 5*time.Second, time.Millisecond)
	h.pbx.destroy(id+"-agent", 16)
	h.waitStatus("201", centralita.AgentNotInUse)
	require.Eventually(t, func() bool { h.pbx.mu.Lock(); defer h.pbx.mu.Unlock(); return len(h.pbx.bridges) == 0 }, 5*time.Second, time.Millisecond)
}

// refusingLog is a queue_log store that refuses (EINVALID) the rows refuse matches.
type refusingLog struct {
	centralita.QueueLogService
	refuse func(r *centralita.QueueLogEntry) bool
}

func (f *refusingLog) AppendQueueLog(ctx context.Context, r *centralita.QueueLogEntry) error {
	if f.refuse(r) {
		return centralita.Errorf(centralita.EINVALID, "queue_log entry refused")
	}
	return f.QueueLogService.AppendQueueLog(ctx, r)
}

// TestRefusedRowNotCounted checks that a row the store refuses is logged in
// full and is not counted: the counters keep agreeing with queue_log.
func TestRefusedRowNotCounted(t *testing.T) {
	rec := &records{}
	h := newScripted(t, func(c *acd.Config) {
		c.QueueLog = &refusingLog{QueueLogService: c.QueueLog, refuse: func(r *centralita.QueueLogEntry) bool {
			return r.CallID == "c1" && r.Event == centralita.QLEnterQueue
		}}
		c.Logger = slog.New(rec)
	})
	h.pbx.inbound("c1", "sales")
	h.waitDialled("c1-a1")
	h.pbx.enter("c1-a1", "acd", "c1", "agent")
	h.pbx.destroy("c1", 16)
	h.waitRow("c1", "COMPLETECALLER")
	require.Eventually(t, func() bool {
		q := h.queueStatus("sales")
		return q.Offered == 0 && q.Answered == 1 && q.Completed == 1
	}, 5*time.Second, time.Millisecond, "the refused ENTERQUEUE is not counted")
	h.requireCountersMatchLog()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Contains(t, strings.Join(rec.msgs, "\n"), "acd: queue_log row refused; dropped time=")
	require.Contains(t, strings.Join(rec.msgs, "\n"), "callid=c1 queuename=sales agent=NONE event=ENTERQUEUE data1= data2=5550100 data3=1")
}

// TestLongCallerNumberClipped checks that a caller number longer than a
// queue_log data field is cut to fit, so ENTERQUEUE is not refused.
func TestLongCallerNumberClipped(t *testing.T) {
	h := newScripted(t)
	h.pbx.mu.Lock()
	h.pbx.live["c1"] = "Ring"
	h.pbx.mu.Unlock()
	h.pbx.events <- centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: "c1", Args: []string{"queue", "sales"}, CallerNumber: strings.Repeat("5", 300)}
	enter := h.waitRow("c1", "ENTERQUEUE")
	require.Equal(t, strings.Repeat("5", 255), enter.Data2)
	require.Equal(t, 1, h.queueStatus("sales").Offered)
}
