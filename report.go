package centralita

import (
	"context"
	"time"
)

// ReportFilter selects the period, queue and agent of a report; empty
// Queue or Agent (an agent number) mean all.
type ReportFilter struct {
	From, To     time.Time
	Queue, Agent string
}

// AgentStats are one agent's figures in one queue over a period (eXpand
// agentData). Durations are whole seconds; Available = Logged − Paused − Talk.
type AgentStats struct {
	Agent, Queue string
	// LoggedSec and PausedSec count the time logged in and paused within the period.
	LoggedSec, PausedSec int64
	// TalkSec is talk time in inbound queue calls, OutTalkSec in agent outbound calls.
	TalkSec, OutTalkSec int64
	// AvailableSec = LoggedSec − PausedSec − TalkSec (never negative).
	AvailableSec int64
	// Offered counts calls rung at the agent, Answered those it took;
	// Outbound counts its DIALOUTs; Transferred its calls ended by transfer;
	// Short its answered calls under the short-call threshold.
	Offered, Answered, Outbound, Transferred, Short int
}

// AgentSession is one login→logout of an agent in a queue, clipped to the
// report period, with the pauses inside it.
type AgentSession struct {
	Agent, Queue string
	Start, End   time.Time
	// Open is true when the agent was still logged in at the period's end.
	Open   bool
	Pauses []AgentPause
}

// Duration is the session's length.
func (s AgentSession) Duration() time.Duration { return s.End.Sub(s.Start) }

// AgentPause is one pause inside a session.
type AgentPause struct {
	Reason     string
	Start, End time.Time
}

// Duration is the pause's length.
func (p AgentPause) Duration() time.Duration { return p.End.Sub(p.Start) }

// ACDReporter answers agent reports from the queue_log history, so that
// every report agrees with the log.
type ACDReporter interface {
	// AgentStats returns one row per agent and queue with activity in the period.
	AgentStats(ctx context.Context, f ReportFilter) ([]AgentStats, error)
	// AgentSessions returns the login sessions overlapping the period, by agent, queue and start.
	AgentSessions(ctx context.Context, f ReportFilter) ([]AgentSession, error)
}
