// Package queuelog turns Asterisk queue_log rows into agent sessions, pauses and per-agent statistics.
package queuelog

import (
	"context"
	"fmt"
	"time"

	"github.com/centralita/centralita"
)

// DefaultPageSize is how many rows Reporter reads per FindQueueLog call.
const DefaultPageSize = 5000

// Config configures a Reporter.
type Config struct {
	// Log is the queue_log the reports read; required.
	Log centralita.QueueLogService
	// States finds the state in force at the period start; required unless
	// Log also implements centralita.QueueLogStateFinder.
	States centralita.QueueLogStateFinder
	// Now is the clock; default time.Now. Open sessions end at min(To, Now()).
	Now func() time.Time
	// ShortCallSec: answered calls that talked less are "short"
	// (atendidasCortas); 0 means DefaultShortCallSec, a negative value counts none.
	ShortCallSec int
	// PageSize is how many rows each FindQueueLog call reads; default DefaultPageSize.
	PageSize int
}

// Reporter answers agent reports from the queue_log history.
type Reporter struct {
	cfg Config
}

var _ centralita.ACDReporter = (*Reporter)(nil)

// New returns a Reporter; it fails with EINVALID when Log or States is missing.
func New(cfg Config) (*Reporter, error) {
	if cfg.Log == nil {
		return nil, centralita.Errorf(centralita.EINVALID, "queuelog: Log is required")
	}
	if cfg.States == nil {
		s, ok := cfg.Log.(centralita.QueueLogStateFinder)
		if !ok {
			return nil, centralita.Errorf(centralita.EINVALID, "queuelog: States is required")
		}
		cfg.States = s
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	return &Reporter{cfg: cfg}, nil
}

// AgentStats returns one row per agent and queue with activity in the
// period, sorted by agent then queue (see StatsOptions.Stats).
func (r *Reporter) AgentStats(ctx context.Context, f centralita.ReportFilter) ([]centralita.AgentStats, error) {
	sessions, rows, err := r.load(ctx, f)
	if err != nil {
		return nil, err
	}
	return StatsOptions{ShortCallSec: r.cfg.ShortCallSec}.Stats(sessions, rows), nil
}

// AgentSessions returns the login sessions overlapping the period, clipped
// to it, sorted by agent, queue and start (see Sessions).
func (r *Reporter) AgentSessions(ctx context.Context, f centralita.ReportFilter) ([]centralita.AgentSession, error) {
	sessions, _, err := r.load(ctx, f)
	if err != nil {
		return nil, err
	}
	return sessions, nil
}

// load reads the state at f.From and the rows of [f.From, f.To) that match
// f, and rebuilds the sessions up to min(f.To, Now()).
func (r *Reporter) load(ctx context.Context, f centralita.ReportFilter) ([]centralita.AgentSession, []*centralita.QueueLogEntry, error) {
	if !f.To.After(f.From) {
		return nil, nil, centralita.Errorf(centralita.EINVALID, "report period end must be after its start")
	}
	end := f.To
	if now := r.cfg.Now(); now.Before(end) {
		end = now
	}
	initial, err := r.cfg.States.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{
		Before: f.From, Events: StateEvents(), QueueName: f.Queue, Agent: agentFilter(f.Agent)})
	if err != nil {
		return nil, nil, fmt.Errorf("queuelog: state at period start: %w", err)
	}
	rows, err := r.rows(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	return Sessions(match(initial, f), rows, f.From, end), rows, nil
}

// rows reads the period's rows that match f, PageSize at a time.
func (r *Reporter) rows(ctx context.Context, f centralita.ReportFilter) ([]*centralita.QueueLogEntry, error) {
	q := centralita.QueueLogFilter{From: f.From, To: f.To, QueueName: f.Queue, Limit: r.cfg.PageSize}
	if f.Agent != "" {
		q.Agent = centralita.AgentLogName(f.Agent)
	}
	var all []*centralita.QueueLogEntry
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, err := r.cfg.Log.FindQueueLog(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("queuelog: read rows at offset %d: %w", q.Offset, err)
		}
		for _, e := range match(page, f) {
			if !e.Time.Before(f.From) && e.Time.Before(f.To) {
				all = append(all, e)
			}
		}
		if len(page) < q.Limit {
			return all, nil
		}
		q.Offset += len(page)
	}
}

// match keeps the non-nil rows of f's queue and agent (the store filters
// already; this guards against a looser one).
func match(rows []*centralita.QueueLogEntry, f centralita.ReportFilter) []*centralita.QueueLogEntry {
	out := make([]*centralita.QueueLogEntry, 0, len(rows))
	for _, e := range rows {
		if e == nil || (f.Queue != "" && e.QueueName != f.Queue) ||
			(f.Agent != "" && centralita.AgentFromLogName(e.Agent) != f.Agent) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// agentFilter is the queue_log agent of a report's agent filter ("" for all).
func agentFilter(number string) string {
	if number == "" {
		return ""
	}
	return centralita.AgentLogName(number)
}
