package queuelog_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/queuelog"
)

// fakeLog is an in-memory QueueLogService and QueueLogStateFinder that
// records the filters it was asked with.
type fakeLog struct {
	mu    sync.Mutex
	rows  []*centralita.QueueLogEntry
	calls []centralita.QueueLogFilter
	// loose makes FindQueueLog ignore the time, queue and agent filters.
	loose              bool
	findErr, statesErr error
}

// add appends rows, numbering them.
func (l *fakeLog) add(rows ...*centralita.QueueLogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range rows {
		e.ID = int64(len(l.rows) + 1)
		l.rows = append(l.rows, e)
	}
}

func (l *fakeLog) AppendQueueLog(_ context.Context, e *centralita.QueueLogEntry) error {
	l.add(e)
	return nil
}

// sorted returns the rows by time then id.
func (l *fakeLog) sorted() []*centralita.QueueLogEntry {
	out := slices.Clone(l.rows)
	slices.SortFunc(out, func(a, b *centralita.QueueLogEntry) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (l *fakeLog) FindQueueLog(_ context.Context, f centralita.QueueLogFilter) ([]*centralita.QueueLogEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, f)
	if l.findErr != nil {
		return nil, l.findErr
	}
	var out []*centralita.QueueLogEntry
	for _, e := range l.sorted() {
		if !l.loose && ((!f.From.IsZero() && e.Time.Before(f.From)) || (!f.To.IsZero() && !e.Time.Before(f.To)) ||
			(f.QueueName != "" && e.QueueName != f.QueueName) || (f.Agent != "" && e.Agent != f.Agent)) {
			continue
		}
		if (f.Event != "" && e.Event != f.Event) || (f.CallID != "" && e.CallID != f.CallID) {
			continue
		}
		out = append(out, e)
	}
	if f.Offset >= len(out) {
		return []*centralita.QueueLogEntry{}, nil
	}
	out = out[f.Offset:]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (l *fakeLog) FindQueueLogStates(_ context.Context, f centralita.QueueLogStateFilter) ([]*centralita.QueueLogEntry, error) {
	before, events := f.Before, f.Events
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.statesErr != nil {
		return nil, l.statesErr
	}
	last := map[[2]string]*centralita.QueueLogEntry{}
	for _, e := range l.sorted() {
		if e.Time.Before(before) && slices.Contains(events, e.Event) {
			last[[2]string{e.QueueName, e.Agent}] = e
		}
	}
	out := make([]*centralita.QueueLogEntry, 0, len(last))
	for _, e := range last {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *centralita.QueueLogEntry) int {
		return cmp.Or(cmp.Compare(a.QueueName, b.QueueName), cmp.Compare(a.Agent, b.Agent))
	})
	return out, nil
}

// logOnly is a QueueLogService that is not a state finder.
type logOnly struct{ centralita.QueueLogService }

// newReporter returns a Reporter over l whose clock reads now.
func newReporter(t *testing.T, l *fakeLog, now time.Time, pageSize int) *queuelog.Reporter {
	t.Helper()
	r, err := queuelog.New(queuelog.Config{Log: l, States: l, Now: func() time.Time { return now }, PageSize: pageSize})
	require.NoError(t, err)
	return r
}

// dayLog is a log with history before t0 and activity of two agents after it.
func dayLog() *fakeLog {
	l := &fakeLog{}
	l.add(
		row(-7200, "q", "157", add, "SIP/101"),
		row(-3600, "q", "157", pse, "Almuerzo"), // paused at t0
		row(-3600, "q", "152", add, "SIP/102"),
		row(-1800, "q", "152", remove, "SIP/102"), // logged out at t0
		row(-10, "q", "157", centralita.QLConnect, "1", "x", "1"),
		row(60, "q", "157", unpse),
		row(100, "q", "152", add, "SIP/102"),
		row(200, "q", "152", centralita.QLRingNoAnswer, "15000"),
		row(220, "q", "152", centralita.QLConnect, "10", "y", "3"),
		row(320, "q", "152", centralita.QLCompleteAgent, "10", "100", "1"),
		row(400, "q", "157", centralita.QLConnect, "1", "z", "2"),
		row(405, "q", "157", centralita.QLCompleteCaller, "1", "5", "1"),
		row(500, "NONE", "157", centralita.QLDialOut, "099"),
		row(530, "NONE", "157", centralita.QLDialOutEnd, "25", "099"),
		row(600, "q2", "152", add, "SIP/102"),
		row(900, "q", "152", pse, "Baño"),
		row(1000, "q", "157", remove, "SIP/101"),
		row(5000, "q", "157", add, "SIP/101"), // after the period
	)
	return l
}

func TestReporterPagesAcrossChunks(t *testing.T) {
	ctx := context.Background()
	f := centralita.ReportFilter{From: at(0), To: at(1200)}
	var want []centralita.AgentStats
	for _, size := range []int{1, 2, 3, 4, 11, 12, 13, 0} {
		l := dayLog()
		r := newReporter(t, l, at(100000), size)
		got, err := r.AgentStats(ctx, f)
		require.NoError(t, err)
		if want == nil {
			want = got
			require.Equal(t, []centralita.AgentStats{
				{Agent: "152", Queue: "q", LoggedSec: 1100, PausedSec: 300, TalkSec: 100, AvailableSec: 700, Offered: 2, Answered: 1},
				{Agent: "152", Queue: "q2", LoggedSec: 600, AvailableSec: 600},
				{Agent: "157", Queue: "NONE", Outbound: 1, OutTalkSec: 25},
				{Agent: "157", Queue: "q", LoggedSec: 1000, PausedSec: 60, TalkSec: 5, AvailableSec: 935, Offered: 1, Answered: 1, Short: 1},
			}, got)
		}
		require.Equal(t, want, got, "page size %d", size)

		// 12 rows fall in the period: a short last page ends the reading,
		// a full one needs one more (empty) read.
		pages := 12/max(size, 1) + 1
		if size == 0 || size > 12 {
			pages = 1
		}
		l.mu.Lock()
		calls := slices.Clone(l.calls)
		l.mu.Unlock()
		require.Len(t, calls, pages, "page size %d", size)
		for i, c := range calls {
			limit := size
			if size == 0 {
				limit = queuelog.DefaultPageSize
			}
			require.Equal(t, centralita.QueueLogFilter{From: f.From, To: f.To, Offset: i * limit, Limit: limit}, c)
		}
	}
}

func TestReporterDefaultPageSize(t *testing.T) {
	l := &fakeLog{}
	l.add(row(0, "q", "157", add))
	const n = 2*queuelog.DefaultPageSize + 1
	for i := range n - 1 {
		l.add(row(1+i%3000, "q", "157", centralita.QLRingNoAnswer, "100"))
	}
	r := newReporter(t, l, at(100000), 0)
	got, err := r.AgentStats(context.Background(), centralita.ReportFilter{From: at(0), To: at(3600)})
	require.NoError(t, err)
	require.Equal(t, []centralita.AgentStats{{Agent: "157", Queue: "q", LoggedSec: 3600, AvailableSec: 3600, Offered: n - 1}}, got)
	require.Len(t, l.calls, 3)
	require.Equal(t, []int{0, queuelog.DefaultPageSize, 2 * queuelog.DefaultPageSize},
		[]int{l.calls[0].Offset, l.calls[1].Offset, l.calls[2].Offset})
}

func TestReporterSessions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		f    centralita.ReportFilter
		now  int
		want []centralita.AgentSession
	}{
		{
			name: "all agents and queues",
			f:    centralita.ReportFilter{From: at(0), To: at(1200)},
			now:  100000,
			want: []centralita.AgentSession{
				sess("152", "q", 100, 1200, true, pause("Baño", 900, 1200)),
				sess("152", "q2", 600, 1200, true),
				sess("157", "q", 0, 1000, false, pause("Almuerzo", 0, 60)),
			},
		},
		{
			name: "one agent, by number",
			f:    centralita.ReportFilter{From: at(0), To: at(1200), Agent: "157"},
			now:  100000,
			want: []centralita.AgentSession{sess("157", "q", 0, 1000, false, pause("Almuerzo", 0, 60))},
		},
		{
			name: "one queue",
			f:    centralita.ReportFilter{From: at(0), To: at(1200), Queue: "q2"},
			now:  100000,
			want: []centralita.AgentSession{sess("152", "q2", 600, 1200, true)},
		},
		{
			name: "open sessions end now",
			f:    centralita.ReportFilter{From: at(0), To: at(86400)},
			now:  950,
			want: []centralita.AgentSession{
				sess("152", "q", 100, 950, true, pause("Baño", 900, 950)),
				sess("152", "q2", 600, 950, true),
				sess("157", "q", 0, 950, true, pause("Almuerzo", 0, 60)),
			},
		},
		{
			name: "a period in the future has no sessions",
			f:    centralita.ReportFilter{From: at(0), To: at(1200)},
			now:  -50,
			want: []centralita.AgentSession{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := dayLog()
			got, err := newReporter(t, l, at(tt.now), 5).AgentSessions(ctx, tt.f)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			if tt.f.Agent != "" {
				require.Equal(t, centralita.AgentLogName(tt.f.Agent), l.calls[0].Agent)
			}
			require.Equal(t, tt.f.Queue, l.calls[0].QueueName)
		})
	}
}

// TestReporterFiltersLooseStore checks that rows of other queues, agents or
// times are dropped even when the store does not filter them.
func TestReporterFiltersLooseStore(t *testing.T) {
	ctx := context.Background()
	strict, loose := dayLog(), dayLog()
	loose.loose = true
	for _, f := range []centralita.ReportFilter{
		{From: at(0), To: at(1200)},
		{From: at(0), To: at(1200), Agent: "152"},
		{From: at(0), To: at(1200), Queue: "q"},
		{From: at(0), To: at(1200), Queue: "q", Agent: "157"},
	} {
		want, err := newReporter(t, strict, at(100000), 4).AgentStats(ctx, f)
		require.NoError(t, err)
		got, err := newReporter(t, loose, at(100000), 4).AgentStats(ctx, f)
		require.NoError(t, err)
		require.Equal(t, want, got, "%+v", f)
		for _, st := range got {
			require.True(t, f.Agent == "" || st.Agent == f.Agent)
			require.True(t, f.Queue == "" || st.Queue == f.Queue)
		}
	}
}

func TestReporterErrors(t *testing.T) {
	ctx := context.Background()
	r := newReporter(t, dayLog(), at(100000), 0)
	for _, f := range []centralita.ReportFilter{
		{From: at(10), To: at(10)},
		{From: at(10), To: at(5)},
		{},
	} {
		_, err := r.AgentStats(ctx, f)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", f)
		_, err = r.AgentSessions(ctx, f)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", f)
	}

	down := centralita.Errorf(centralita.EUNAVAILABLE, "database down")
	l := dayLog()
	l.findErr = down
	_, err := newReporter(t, l, at(100000), 0).AgentStats(ctx, centralita.ReportFilter{From: at(0), To: at(10)})
	require.ErrorIs(t, err, down)
	require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))

	l = dayLog()
	l.statesErr = down
	_, err = newReporter(t, l, at(100000), 0).AgentSessions(ctx, centralita.ReportFilter{From: at(0), To: at(10)})
	require.ErrorIs(t, err, down)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = newReporter(t, dayLog(), at(100000), 0).AgentStats(cctx, centralita.ReportFilter{From: at(0), To: at(10)})
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}

func TestNew(t *testing.T) {
	_, err := queuelog.New(queuelog.Config{})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))

	_, err = queuelog.New(queuelog.Config{Log: logOnly{&fakeLog{}}})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))

	// A log that is also a state finder serves as both.
	l := dayLog()
	r, err := queuelog.New(queuelog.Config{Log: l, Now: func() time.Time { return at(100000) }})
	require.NoError(t, err)
	got, err := r.AgentSessions(context.Background(), centralita.ReportFilter{From: at(0), To: at(1200), Agent: "157"})
	require.NoError(t, err)
	require.Equal(t, []centralita.AgentSession{sess("157", "q", 0, 1000, false, pause("Almuerzo", 0, 60))}, got)

	// The short-call threshold comes from the config.
	for sc, want := range map[int]int{0: 1, 3: 0, 6: 1, -1: 0} {
		r, err := queuelog.New(queuelog.Config{Log: dayLog(), Now: func() time.Time { return at(100000) }, ShortCallSec: sc})
		require.NoError(t, err)
		st, err := r.AgentStats(context.Background(), centralita.ReportFilter{From: at(0), To: at(1200), Agent: "157", Queue: "q"})
		require.NoError(t, err)
		require.Len(t, st, 1)
		require.Equal(t, want, st[0].Short, "ShortCallSec %d", sc)
	}
}
