package centralita

import (
	"context"
	"strings"
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

// QueueLogStateFinder finds, for report periods that start while an agent
// is already logged in or paused, the state in force at a moment.
type QueueLogStateFinder interface {
	// FindQueueLogStates returns, for each (queuename, agent) pair, its last
	// row before f.Before whose event is one of f.Events, ordered by queue and agent.
	FindQueueLogStates(ctx context.Context, f QueueLogStateFilter) ([]*QueueLogEntry, error)
}

// QueueLogStateFilter selects the rows FindQueueLogStates looks at; empty
// QueueName and Agent match all.
type QueueLogStateFilter struct {
	Before           time.Time
	Events           []string
	QueueName, Agent string
}

// The queue_log events Centralita writes, with Asterisk's app_queue names and
// data fields. callid is the caller channel's uniqueid ("NONE" when no call
// is involved); agent is "Agent/<number>" (AgentLogName).
const (
	// QLEnterQueue: data1 url (empty), data2 caller number, data3 position.
	QLEnterQueue = "ENTERQUEUE"
	// QLConnect: data1 hold seconds, data2 the agent channel's uniqueid, data3 ring seconds.
	QLConnect = "CONNECT"
	// QLRingNoAnswer: data1 ring milliseconds (a refusal rings for ~0 ms).
	QLRingNoAnswer = "RINGNOANSWER"
	// QLRingCanceled: the caller left while the agent rang; data1 ring milliseconds.
	QLRingCanceled = "RINGCANCELED"
	// QLCompleteCaller and QLCompleteAgent: data1 hold seconds, data2 talk seconds, data3 original position.
	QLCompleteCaller = "COMPLETECALLER"
	QLCompleteAgent  = "COMPLETEAGENT"
	// QLTransfer (blind): data1 target, data2 context ("queue" or "extension"),
	// data3 hold seconds, data4 talk seconds, data5 original position.
	QLTransfer = "TRANSFER"
	// QLAbandon: data1 position, data2 original position, data3 wait seconds.
	QLAbandon = "ABANDON"
	// QLExitWithTimeout (overflow after MaxWaitSec): data1 position, data2 original position, data3 wait seconds.
	QLExitWithTimeout = "EXITWITHTIMEOUT"
	// QLAddMember (login to the queue) and QLRemoveMember (logout): data1 interface.
	QLAddMember    = "ADDMEMBER"
	QLRemoveMember = "REMOVEMEMBER"
	// QLPause and QLUnpause, one row per queue: data1 reason.
	QLPause   = "PAUSE"
	QLUnpause = "UNPAUSE"
	// QLDialOut and QLDialOutEnd are eXpand's agent outbound calls (not
	// Asterisk events): callid the call GUID, queue the outqueue or "NONE";
	// DIALOUT data1 destination; DIALOUTEND data1 talk seconds, data2 destination.
	QLDialOut    = "DIALOUT"
	QLDialOutEnd = "DIALOUTEND"
)

// AgentLogName is the queue_log agent field of an agent number: "Agent/157".
func AgentLogName(number string) string { return "Agent/" + number }

// AgentFromLogName is the inverse of AgentLogName; other values come back as they are.
func AgentFromLogName(name string) string { return strings.TrimPrefix(name, "Agent/") }
