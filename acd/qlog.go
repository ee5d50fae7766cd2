package acd

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// qstats are a queue's counters since local midnight.
type qstats struct {
	counts
	agents map[string]*agentStats // by agent number
}

// counts are a queue's call counters, or one row's share of them.
type counts struct {
	offered, answered, answeredSL, answeredSL2    int
	completed, abandoned, transferred, overflowed int
	hold, talk                                    time.Duration
}

// add adds sign×d to c.
func (c *counts) add(d *counts, sign int) {
	c.offered += sign * d.offered
	c.answered += sign * d.answered
	c.answeredSL += sign * d.answeredSL
	c.answeredSL2 += sign * d.answeredSL2
	c.completed += sign * d.completed
	c.abandoned += sign * d.abandoned
	c.transferred += sign * d.transferred
	c.overflowed += sign * d.overflowed
	c.hold += time.Duration(sign) * d.hold
	c.talk += time.Duration(sign) * d.talk
}

// agentStats are an agent's counters in one queue since local midnight.
type agentStats struct {
	calls int
	last  time.Time // end of the last call
}

// agent returns an agent's counters in the queue, creating them.
func (st *qstats) agent(number string) *agentStats {
	as := st.agents[number]
	if as == nil {
		as = &agentStats{}
		st.agents[number] = as
	}
	return as
}

// statsFor returns the counters of a queue name; the lock is held.
func (e *Engine) statsFor(name string) *qstats {
	st := e.stats[name]
	if st == nil {
		st = &qstats{agents: map[string]*agentStats{}}
		e.stats[name] = st
	}
	return st
}

// rollDay restarts the counters when t is on a later day; the lock is held.
// It reports false for a time before the counters' day.
func (e *Engine) rollDay(t time.Time) bool {
	day := e.midnight(t)
	switch {
	case day.After(e.day):
		e.day = day
		for _, st := range e.stats {
			agents := st.agents
			*st = qstats{agents: agents}
			for _, as := range agents { // zeroed in place: members point to them
				*as = agentStats{}
			}
		}
	case day.Before(e.day):
		return false
	}
	return true
}

// write appends a queue_log row for agent a ("NONE" when nil); the lock is held.
func (e *Engine) write(queue, callid string, a *agent, event string, data ...string) {
	name := "NONE"
	if a != nil {
		name = centralita.AgentLogName(a.cfg.Number)
	}
	e.writeRow(queue, callid, name, event, data...)
}

// writeRow counts a queue_log row and queues it for writing; the lock is
// held. Should the store refuse the row (EINVALID), or Close give up on it,
// the writer takes it back out of the counters, so they never count a row
// queue_log will not have; while rows wait to be written (a database
// outage) the counters are ahead of the log by those rows.
func (e *Engine) writeRow(queue, callid, agent, event string, data ...string) {
	r := &centralita.QueueLogEntry{Time: e.cfg.Now(), CallID: callid, QueueName: queue, Agent: agent, Event: event}
	for i, p := range []*string{&r.Data1, &r.Data2, &r.Data3, &r.Data4, &r.Data5} {
		if i < len(data) {
			*p = data[i]
		}
	}
	var drop func()
	if undo := e.count(r); undo != nil {
		drop = func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			undo()
		}
	}
	seen := *r // the writer owns r once pushed
	e.writer.push(r, drop)
	if e.cfg.Observe != nil {
		e.cfg.Observe(seen)
	}
}

// count applies one queue_log row to the day's counters and returns what
// takes it back out (nil when it counts nothing); the lock is held. It is
// the only place counters change, for rows written now and for the rows
// of today replayed at start-up, so the figures agree with the log.
func (e *Engine) count(r *centralita.QueueLogEntry) (undo func()) {
	if !e.rollDay(r.Time) {
		return nil
	}
	cfg := centralita.Queue{}.WithDefaults()
	if q := e.queues[r.QueueName]; q != nil {
		cfg = q.cfg
	}
	var d counts
	talk := ""
	switch r.Event {
	case centralita.QLEnterQueue:
		d.offered = 1
	case centralita.QLConnect:
		hold, _ := strconv.Atoi(r.Data1)
		d.answered, d.hold = 1, time.Duration(hold)*time.Second
		if hold <= cfg.ServiceLevelSec {
			d.answeredSL = 1
		}
		if hold <= cfg.ServiceLevel2Sec {
			d.answeredSL2 = 1
		}
	case centralita.QLCompleteCaller, centralita.QLCompleteAgent:
		d.completed, talk = 1, r.Data2
	case centralita.QLTransfer:
		d.transferred, talk = 1, r.Data4
	case centralita.QLAbandon:
		d.abandoned = 1
	case centralita.QLExitWithTimeout:
		d.overflowed = 1
	default:
		return nil
	}
	st := e.statsFor(r.QueueName)
	var as *agentStats
	var last time.Time
	if d.completed+d.transferred > 0 { // an agent's call ended
		t, _ := strconv.Atoi(talk)
		d.talk = time.Duration(t) * time.Second
		as = st.agent(centralita.AgentFromLogName(r.Agent))
		last = as.last
		as.calls++
		as.last = r.Time
	}
	st.add(&d, 1)
	day := e.day
	return func() {
		if !e.day.Equal(day) {
			return // the counters restarted since
		}
		st.add(&d, -1)
		if as != nil {
			as.calls--
			if as.last.Equal(r.Time) {
				as.last = last
			}
		}
	}
}

// replay applies today's queue_log to the counters and returns what it
// leaves open.
func (e *Engine) replay(ctx context.Context) (*leftovers, error) {
	const page = 5000
	from := e.midnight(e.cfg.Now())
	left := newLeftovers()
	for offset := 0; ; offset += page {
		rows, err := e.cfg.QueueLog.FindQueueLog(ctx, centralita.QueueLogFilter{From: from, Offset: offset, Limit: page})
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		for _, r := range rows {
			e.count(r)
			left.track(r)
		}
		e.mu.Unlock()
		if len(rows) < page {
			return left, nil
		}
	}
}

// logWriter writes queue_log rows in order from an unbounded in-memory
// queue, retrying with backoff while the store fails.
type logWriter struct {
	store   centralita.QueueLogService
	log     *slog.Logger
	timeout time.Duration
	// every is how often a backlog that keeps growing while the store
	// fails is reported; minDelay and maxDelay bound the backoff between
	// attempts. Set before start.
	every, minDelay, maxDelay time.Duration

	mu       sync.Mutex
	pending  []pendingRow
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	flushBy  time.Time
	started  bool
	finished bool // close returned: rows are no longer written
}

// pendingRow is a row not yet written, and what takes it back out of the
// counters when it is dropped (nil for nothing).
type pendingRow struct {
	r    *centralita.QueueLogEntry
	drop func()
}

func newLogWriter(store centralita.QueueLogService, log *slog.Logger, timeout time.Duration) *logWriter {
	return &logWriter{store: store, log: log, timeout: timeout, every: time.Minute, minDelay: 50 * time.Millisecond, maxDelay: 5 * time.Second,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// push queues a row; it never blocks. drop, when not nil, is called (from
// the writer, without the caller's locks) if the row is dropped instead of
// written. A row pushed after close is logged in full instead.
func (w *logWriter) push(r *centralita.QueueLogEntry, drop func()) {
	w.mu.Lock()
	finished := w.finished
	if !finished {
		w.pending = append(w.pending, pendingRow{r, drop})
	}
	w.mu.Unlock()
	if finished {
		logRow(w.log, "acd: queue_log row after shutdown; not written", r, nil)
		return
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// backlog is the number of rows not yet written.
func (w *logWriter) backlog() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// start runs the writer in the background until close.
func (w *logWriter) start() {
	w.mu.Lock()
	w.started = true
	w.mu.Unlock()
	go w.run()
}

func (w *logWriter) run() {
	defer close(w.done)
	delay := w.minDelay
	stopping := false
	var deadline time.Time
	var out outage
	for {
		w.mu.Lock()
		var head pendingRow
		if len(w.pending) > 0 {
			head = w.pending[0]
		}
		if stopping {
			deadline = w.flushBy
		}
		w.mu.Unlock()
		if head.r == nil {
			if stopping {
				return
			}
			select {
			case <-w.wake:
			case <-w.stop:
				stopping = true
			}
			continue
		}
		var ctx context.Context
		var cancel context.CancelFunc
		if stopping {
			ctx, cancel = context.WithDeadline(context.Background(), deadline)
		} else {
			ctx, cancel = context.WithTimeout(context.Background(), w.timeout)
		}
		err := w.store.AppendQueueLog(ctx, head.r)
		cancel()
		if err != nil && centralita.ErrorKind(err) != centralita.EINVALID {
			if stopping && !time.Now().Before(deadline) {
				w.dropAll("acd: queue_log row not written before shutdown", err)
				return
			}
			out.failed(w, err)
			wait := delay
			if stopping {
				wait = min(delay, time.Until(deadline))
			}
			t := time.NewTimer(wait)
			if stopping {
				<-t.C
			} else {
				select {
				case <-t.C:
				case <-w.stop:
					stopping = true
				}
			}
			t.Stop()
			delay = min(2*delay, w.maxDelay)
			continue
		}
		delay = w.minDelay
		out.over(w)
		w.mu.Lock()
		w.pending = w.pending[1:]
		w.mu.Unlock()
		if err != nil { // EINVALID: retrying cannot help
			logRow(w.log, "acd: queue_log row refused; dropped", head.r, err)
			if head.drop != nil {
				head.drop()
			}
		}
	}
}

// outage tracks a spell of failed writes, to report the backlog: at the
// first failure, then every w.every while it keeps growing.
type outage struct {
	failing    bool
	reportedAt time.Time
	reported   int
}

func (o *outage) failed(w *logWriter, err error) {
	n, now := w.backlog(), time.Now()
	switch {
	case !o.failing:
		o.failing = true
	case now.Sub(o.reportedAt) < w.every || n <= o.reported:
		return
	}
	o.reportedAt, o.reported = now, n
	w.log.Warn("acd: writing queue_log failed; retrying", "backlog", n, "err", err)
}

func (o *outage) over(w *logWriter) {
	if o.failing {
		*o = outage{}
		w.log.Info("acd: writing queue_log again", "backlog", w.backlog())
	}
}

// dropAll logs every row left, in full, at error level, and takes them
// back out of the counters.
func (w *logWriter) dropAll(msg string, err error) {
	w.mu.Lock()
	rows := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, p := range rows {
		logRow(w.log, msg, p.r, err)
		if p.drop != nil {
			p.drop()
		}
	}
}

// logRow logs a row in full at error level.
func logRow(log *slog.Logger, msg string, r *centralita.QueueLogEntry, err error) {
	log.Error(msg, "time", r.Time, "callid", r.CallID, "queuename", r.QueueName, "agent", r.Agent,
		"event", r.Event, "data1", r.Data1, "data2", r.Data2, "data3", r.Data3, "data4", r.Data4, "data5", r.Data5, "err", err)
}

// close writes what is left within timeout, then logs the rest and returns.
func (w *logWriter) close(timeout time.Duration) {
	w.mu.Lock()
	w.flushBy = time.Now().Add(timeout)
	started := w.started
	w.mu.Unlock()
	if started {
		close(w.stop)
		<-w.done
	}
	w.mu.Lock()
	w.finished = true
	w.mu.Unlock()
	w.dropAll("acd: queue_log row not written before shutdown", nil)
}
