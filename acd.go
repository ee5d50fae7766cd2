package centralita

import (
	"context"
	"time"
)

// ACD is the voice queue engine as the facades drive it. Agents are named
// by number; facades resolve usernames with AgentService first.
type ACD interface {
	// Login logs the agent in to every queue it is a member of, at iface
	// ("SIP/101" or "PJSIP/101"). Logging in again at another interface moves
	// the agent; ENOTFOUND for an unknown agent, EINVALID for a bad interface.
	Login(ctx context.Context, agent, iface string) error
	// Logout logs the agent out of all its queues. A call in progress is not
	// cut: the agent is logged out when it ends.
	Logout(ctx context.Context, agent string) error
	// Pause pauses the agent in queues (all of its queues when empty) with an
	// optional reason (a PauseReason name or code). EINVALID when the agent is
	// not logged in or a queue is not one of its queues.
	Pause(ctx context.Context, agent string, queues []string, reason string) error
	// Unpause ends the agent's pause in queues (all when empty).
	Unpause(ctx context.Context, agent string, queues []string) error

	// AgentCall makes a two-step outbound call for an agent: ring the agent's
	// phone, and when it answers dial the destination and bridge both. It
	// returns the call's id (a GUID) at once. The call is logged as
	// DIALOUT/DIALOUTEND in req.Queue when set.
	AgentCall(ctx context.Context, req AgentCallRequest) (string, error)
	// HangupAgent hangs up every call of the agent's phone (an interface such
	// as "SIP/101" or a bare extension); ENOTFOUND when it has none.
	HangupAgent(ctx context.Context, phone string) error
	// Transfer blind-transfers the connected queue call callID to another
	// queue ("queue:<name>") or to an extension or number ("<digits>" or
	// "PJSIP/102"); the agent's leg is hung up and the agent goes to wrap-up.
	Transfer(ctx context.Context, callID, target string) error

	// Snapshot returns the live state: every queue with its figures, members
	// and calls, and every agent. It is computed from memory.
	Snapshot(ctx context.Context) (*ACDSnapshot, error)
	// Reload re-reads queues, agents, memberships and pause reasons after a
	// configuration change; calls in progress keep going.
	Reload(ctx context.Context) error
}

// AgentCallRequest is an agent's two-step outbound call (Integra Agents/AgentCall).
type AgentCallRequest struct {
	// Agent is the agent number or username; Phone the agent's phone (an
	// extension "1001" or an interface "SIP/1001"), used when the agent is
	// not logged in or Phone is set.
	Agent, Phone string
	// Tech is the phone's technology when Phone is a bare extension; default "SIP".
	Tech string
	// Destination is the number to call; CallerID is presented to it.
	Destination, CallerID string
	// Queue (Integra outqueue) is the queue or campaign the call counts against.
	Queue string
	// Data and Form are kept with the call (AgentCallwithData).
	Data, Form string
	// Record records the call once both legs are bridged (Integra form
	// field record=1, or record=1 among Data's k=v pairs).
	Record bool
	// Campaign is the dialer campaign the call is made for (a preview
	// call, or a contact owned by the agent); its recording is indexed
	// under it.
	Campaign string
}

// ACDSnapshot is the live state of the ACD.
type ACDSnapshot struct {
	// Generated is when the snapshot was taken.
	Generated time.Time
	Queues    []QueueStatus
	Agents    []AgentState
}

// QueueStatus is one queue's live state and its figures since local midnight.
type QueueStatus struct {
	Queue Queue
	// Waiting calls and the longest current wait.
	Waiting     int
	LongestWait time.Duration
	// Ongoing is calls connected to an agent now.
	Ongoing int
	// Agent counts among the queue's members.
	Members, Logged, Available, Paused, Busy, BusyPaused, Wrapup int
	// Counters since local midnight.
	Offered, Answered, Completed, Abandoned, Transferred, Overflowed int
	// AnsweredInSL and AnsweredInSL2 were answered within the service-level thresholds.
	AnsweredInSL, AnsweredInSL2 int
	// HoldTotal and TalkTotal sum the waits of answered calls and the talk of completed ones.
	HoldTotal, TalkTotal time.Duration
	// Calls are the calls waiting or connected, oldest first.
	Calls []QueueCall
	// MemberStates are the queue's members, in membership order.
	MemberStates []MemberState
}

// CompletedTotal counts the calls an agent finished: completed by either
// side or transferred (Asterisk's callscompleted). Every facade reports this.
func (s QueueStatus) CompletedTotal() int { return s.Completed + s.Transferred }

// AbandonedTotal counts the calls that left the queue without an agent: the
// caller hung up, or the wait limit sent them elsewhere (eXpand's queueData
// shows both as ABANDON). Every facade reports this.
func (s QueueStatus) AbandonedTotal() int { return s.Abandoned + s.Overflowed }

// ServiceLevel returns the percentage of the calls that left the queue (answered or AbandonedTotal)
// answered within the first threshold (0 when there were none).
func (s QueueStatus) ServiceLevel() float64 {
	return pct(s.AnsweredInSL, s.Answered+s.AbandonedTotal())
}

// ServiceLevel2 is ServiceLevel for the second threshold.
func (s QueueStatus) ServiceLevel2() float64 {
	return pct(s.AnsweredInSL2, s.Answered+s.AbandonedTotal())
}

// AbandonRate returns the percentage of finished-waiting calls that were abandoned.
func (s QueueStatus) AbandonRate() float64 {
	return pct(s.AbandonedTotal(), s.Answered+s.AbandonedTotal())
}

// AvgHold returns the average wait of answered calls.
func (s QueueStatus) AvgHold() time.Duration { return avg(s.HoldTotal, s.Answered) }

// AvgTalk returns the average talk time of completed calls.
func (s QueueStatus) AvgTalk() time.Duration { return avg(s.TalkTotal, s.CompletedTotal()) }

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

func avg(t time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return t / time.Duration(n)
}

// QueueCall is a call waiting in or connected through a queue.
type QueueCall struct {
	// ID is the caller channel's uniqueid.
	ID string
	// Direction is "in" for queue calls and "out" for agent calls.
	Direction                string
	CallerNumber, CallerName string
	EnteredAt                time.Time
	// ConnectedAt is zero while waiting; Agent is the agent number once connected.
	ConnectedAt time.Time
	Agent       string
	// Position is the 1-based place in the queue while waiting.
	Position int
	// IVRData is what the IVR and the CRM collected.
	IVRData string
}

// MemberState is an agent as a member of one queue.
type MemberState struct {
	// Queue is the queue this membership is in.
	Queue                  string
	Agent, Name, Interface string
	Penalty                int
	LoggedIn               bool
	Paused                 bool
	PauseReason            string
	Status                 AgentStatus
	// CallsTaken and LastCall count this queue's calls since local midnight.
	CallsTaken int
	LastCall   time.Time
	// InCall is true while the agent is on a call of this queue.
	InCall bool
}

// AgentState is an agent's live state across its queues.
type AgentState struct {
	Agent      Agent
	LoggedIn   bool
	LoggedInAt time.Time
	Interface  string
	Status     AgentStatus
	// Paused is true when paused in at least one queue; PauseReason is the last reason.
	Paused      bool
	PauseReason string
	// StatusChangedAt is when Status last changed; LastRejectAt when the agent last refused or missed a call.
	StatusChangedAt time.Time
	LastRejectAt    time.Time
	// Call is the id of the agent's current call, if any.
	Call string
	// Queues are the agent's queues with its pause in each.
	Queues []MemberState
}

// MediaController is what the ACD needs of the PBX beyond PBX: answering,
// music on hold, announcements and channel variables.
type MediaController interface {
	Answer(ctx context.Context, channelID string) error
	// StartBridgeMOH plays music on hold of class to a bridge.
	StartBridgeMOH(ctx context.Context, bridgeID, class string) error
	// PlayChannel starts playing media ("sound:queue-thankyou") to a channel.
	PlayChannel(ctx context.Context, channelID string, media ...string) error
	// SetVariable sets a channel variable or function, e.g. CALLERID(name).
	SetVariable(ctx context.Context, channelID, name, value string) error
	// RemoveChannel takes a channel out of a bridge.
	RemoveChannel(ctx context.Context, bridgeID, channelID string) error
}
