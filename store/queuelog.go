package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/centralita/centralita"
)

// QueueLogService stores queue activity in Asterisk's realtime queue_log table.
type QueueLogService struct{ db *DB }

// NewQueueLogService returns the queue_log store on db.
func NewQueueLogService(db *DB) *QueueLogService { return &QueueLogService{db: db} }

var _ centralita.QueueLogService = (*QueueLogService)(nil)

const queueLogColumns = `time, callid, queuename, agent, event, data1, data2, data3, data4, data5`

// AppendQueueLog inserts entry and sets its ID.
func (s *QueueLogService) AppendQueueLog(ctx context.Context, e *centralita.QueueLogEntry) error {
	if e.Time.IsZero() || e.Event == "" {
		return centralita.Errorf(centralita.EINVALID, "queue_log entry needs a time and an event")
	}
	// The column widths, checked here so SQLite refuses what MariaDB's
	// strict mode would.
	switch {
	case len(e.QueueName) > 128 || len(e.CallID) > 80 || len(e.Agent) > 80 || len(e.Event) > 32:
		return centralita.Errorf(centralita.EINVALID, "queue_log entry: queue name over 128 bytes, or callid, agent or event too long")
	case len(e.Data1) > 255 || len(e.Data2) > 255 || len(e.Data3) > 255 || len(e.Data4) > 255 || len(e.Data5) > 255:
		return centralita.Errorf(centralita.EINVALID, "queue_log entry: a data field is over 255 bytes")
	}
	e.Time = utc(e.Time)
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO queue_log (`+queueLogColumns+`) VALUES (
		:time, :callid, :queuename, :agent, :event, :data1, :data2, :data3, :data4, :data5)`, e)
	if err != nil {
		return s.db.translate(err, "queue_log entry")
	}
	e.ID, err = res.LastInsertId()
	return err
}

// FindQueueLog returns the rows that match filter, oldest first.
func (s *QueueLogService) FindQueueLog(ctx context.Context, f centralita.QueueLogFilter) ([]*centralita.QueueLogEntry, error) {
	var c conds
	c.between("time", f.From, f.To)
	c.eq("queuename", f.QueueName)
	c.eq("agent", f.Agent)
	c.eq("event", f.Event)
	c.eq("callid", f.CallID)
	q, args := c.query(`SELECT id, `+queueLogColumns+` FROM queue_log`, "time, id", f.Offset, f.Limit)
	out := []*centralita.QueueLogEntry{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "queue_log")
	}
	return out, nil
}

var _ centralita.QueueLogStateFinder = (*QueueLogService)(nil)

// FindQueueLogStates returns, for each (queuename, agent) pair, its last row
// (highest time, then id) before f.Before whose event is one of f.Events,
// ordered by queue and agent. No events means no rows. A queue or agent in
// f narrows the scan to that pair's rows (index queue_log_queue_agent_time).
func (s *QueueLogService) FindQueueLogStates(ctx context.Context, f centralita.QueueLogStateFilter) ([]*centralita.QueueLogEntry, error) {
	out := []*centralita.QueueLogEntry{}
	if f.Before.IsZero() {
		return nil, centralita.Errorf(centralita.EINVALID, "queue_log states need a time")
	}
	if len(f.Events) == 0 {
		return out, nil
	}
	where, args := `time < ? AND event IN (?)`, []any{utc(f.Before), f.Events}
	if f.QueueName != "" {
		where, args = where+` AND queuename = ?`, append(args, f.QueueName)
	}
	if f.Agent != "" {
		where, args = where+` AND agent = ?`, append(args, f.Agent)
	}
	q, args, err := sqlx.In(`SELECT id, `+queueLogColumns+` FROM (
		SELECT id, `+queueLogColumns+`,
			ROW_NUMBER() OVER (PARTITION BY queuename, agent ORDER BY time DESC, id DESC) AS rn
		FROM queue_log WHERE `+where+`) last
		WHERE rn = 1 ORDER BY queuename, agent`, args...)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "queue_log states query")
	}
	if err := s.db.db.SelectContext(ctx, &out, s.db.db.Rebind(q), args...); err != nil {
		return nil, s.db.translate(err, "queue_log")
	}
	return out, nil
}
