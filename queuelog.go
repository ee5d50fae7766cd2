package centralita

import (
	"context"
	"time"
)

// QueueLogEntry is one row of Asterisk's realtime `queue_log` table:
// time|callid|queuename|agent|event|data1..data5.
type QueueLogEntry struct {
	ID        int64     `db:"id"`
	Time      time.Time `db:"time"`
	CallID    string    `db:"callid"`
	QueueName string    `db:"queuename"`
	Agent     string    `db:"agent"`
	Event     string    `db:"event"`
	Data1     string    `db:"data1"`
	Data2     string    `db:"data2"`
	Data3     string    `db:"data3"`
	Data4     string    `db:"data4"`
	Data5     string    `db:"data5"`
}

// QueueLogFilter selects queue_log rows. Zero fields do not filter.
type QueueLogFilter struct {
	// From and To bound time: From <= time < To.
	From, To time.Time
	// QueueName, Agent, Event and CallID match exactly.
	QueueName, Agent, Event, CallID string
	// Offset and Limit page the result, ordered by time then id.
	Offset, Limit int
}

// QueueLogService appends to and reads the queue activity log.
type QueueLogService interface {
	// AppendQueueLog inserts entry and sets its ID.
	AppendQueueLog(ctx context.Context, entry *QueueLogEntry) error
	// FindQueueLog returns the rows that match filter, oldest first.
	FindQueueLog(ctx context.Context, filter QueueLogFilter) ([]*QueueLogEntry, error)
}
