package acd

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// memLog is a queue_log store in memory that fails with err while it is set.
type memLog struct {
	centralita.QueueLogService
	mu   sync.Mutex
	err  error
	rows []string
}

func (m *memLog) AppendQueueLog(_ context.Context, r *centralita.QueueLogEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if r.Event == "BAD" {
		return centralita.Errorf(centralita.EINVALID, "queue_log entry: a data field is over 255 bytes")
	}
	m.rows = append(m.rows, r.CallID)
	return nil
}

func (m *memLog) set(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
}

func (m *memLog) written() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.rows...)
}

// logged keeps every log record as "LEVEL message key=value...".
type logged struct {
	mu    sync.Mutex
	lines []string
	backs []int64 // the backlog attribute of each warning
}

func (l *logged) Enabled(context.Context, slog.Level) bool { return true }
func (l *logged) Handle(_ context.Context, rec slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		if a.Key == "backlog" && rec.Level == slog.LevelWarn {
			l.backs = append(l.backs, a.Value.Int64())
		}
		return true
	})
	l.lines = append(l.lines, line)
	return nil
}
func (l *logged) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logged) WithGroup(string) slog.Handler      { return l }

func (l *logged) warnings() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.backs...)
}

func (l *logged) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func row(id, event string) *centralita.QueueLogEntry {
	return &centralita.QueueLogEntry{Time: time.Now(), CallID: id, QueueName: "sales", Agent: "NONE", Event: event}
}

// TestWriterReportsGrowingBacklog checks that while the store fails the
// backlog is reported at warn level at the first failure and then once
// every period while it grows (not at every retry), and that every row
// lands, in order, once the store is back.
func TestWriterReportsGrowingBacklog(t *testing.T) {
	st := &memLog{err: errors.New("database restarting")}
	rec := &logged{}
	w := newLogWriter(st, slog.New(rec), time.Second)
	w.every, w.minDelay, w.maxDelay = 60*time.Millisecond, time.Millisecond, 5*time.Millisecond
	w.start()
	var ids []string
	start := time.Now()
	for i := range 60 { // 300 ms of rows while the store is down
		id := "c" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		ids = append(ids, id)
		w.push(row(id, "ENTERQUEUE"), nil)
		time.Sleep(5 * time.Millisecond)
	}
	require.Eventually(t, func() bool { // one more period: the last growth is reported
		ws := rec.warnings()
		return len(ws) > 0 && ws[len(ws)-1] == int64(len(ids))
	}, 2*time.Second, time.Millisecond)
	growing := rec.warnings()
	periods := int(time.Since(start) / w.every)
	require.GreaterOrEqual(t, len(growing), 3, "reported while it grows: %v", growing)
	require.LessOrEqual(t, len(growing), periods+2, "once a period, not at every retry: %v", growing)
	require.IsIncreasing(t, growing)
	time.Sleep(200 * time.Millisecond) // still failing, no longer growing
	require.Equal(t, growing, rec.warnings(), "a backlog that does not grow is not reported again")
	st.set(nil)
	require.Eventually(t, func() bool { return len(st.written()) == len(ids) }, 5*time.Second, time.Millisecond)
	require.Equal(t, ids, st.written(), "every row lands, in order")
	require.Contains(t, rec.text(), "INFO acd: writing queue_log again")
	w.close(time.Second)
}

// TestWriterDropsRefusedRow checks that a row the store refuses (EINVALID)
// is logged in full, dropped, and taken back out of the counters, and that
// the rows after it are written.
func TestWriterDropsRefusedRow(t *testing.T) {
	st := &memLog{}
	rec := &logged{}
	w := newLogWriter(st, slog.New(rec), time.Second)
	w.start()
	drops := 0
	var mu sync.Mutex
	bad := row("c1", "BAD")
	bad.Data1 = "x"
	w.push(bad, func() { mu.Lock(); drops++; mu.Unlock() })
	w.push(row("c2", "ENTERQUEUE"), func() { t.Error("a written row is not dropped") })
	require.Eventually(t, func() bool { return len(st.written()) == 1 }, 5*time.Second, time.Millisecond)
	w.close(time.Second)
	require.Equal(t, []string{"c2"}, st.written())
	require.Equal(t, 1, drops)
	require.Contains(t, rec.text(), "ERROR acd: queue_log row refused; dropped")
	require.Contains(t, rec.text(), "callid=c1 queuename=sales agent=NONE event=BAD data1=x")
}

// TestCountTakesBack checks that a counted row can be taken back out, and
// that it is not once the counters restarted at midnight.
func TestCountTakesBack(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	e := &Engine{cfg: Config{Now: func() time.Time { return now }, Location: time.UTC}, queues: map[string]*queue{}, stats: map[string]*qstats{}}
	e.day = e.midnight(now)
	st := e.statsFor("sales")
	done := &centralita.QueueLogEntry{Time: now.Add(-time.Hour), QueueName: "sales", Agent: "Agent/201", Event: centralita.QLCompleteAgent, Data2: "30"}
	e.count(done)
	conn := &centralita.QueueLogEntry{Time: now, QueueName: "sales", Agent: "Agent/201", Event: centralita.QLConnect, Data1: "5"}
	undoConn := e.count(conn)
	last := &centralita.QueueLogEntry{Time: now, QueueName: "sales", Agent: "Agent/201", Event: centralita.QLCompleteAgent, Data2: "40"}
	undo := e.count(last)
	require.Equal(t, []int{1, 2, 2}, []int{st.answered, st.completed, st.agent("201").calls})
	undo()
	undoConn()
	require.Equal(t, []int{0, 1, 1}, []int{st.answered, st.completed, st.agent("201").calls})
	require.Equal(t, 30*time.Second, st.talk)
	require.Equal(t, now.Add(-time.Hour), st.agent("201").last, "the last call is the one before again")
	require.Nil(t, e.count(&centralita.QueueLogEntry{Time: now, QueueName: "sales", Event: centralita.QLPause}), "a row that counts nothing")

	undo = e.count(&centralita.QueueLogEntry{Time: now, QueueName: "sales", Event: centralita.QLEnterQueue})
	e.rollDay(now.Add(24 * time.Hour))
	undo()
	require.Zero(t, st.offered, "a new day's counters are left alone")
}

func TestClip(t *testing.T) {
	require.Equal(t, "abc", clip("abc", 5))
	require.Equal(t, "ab", clip("abc", 2))
	require.Equal(t, "a", clip("añ", 2), "a character is not cut in two")
	require.Equal(t, "añ", clip("añb", 3))
}
