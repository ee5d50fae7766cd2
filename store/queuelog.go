package store

import (
	"context"

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
