package centralita

import (
	"context"
	"time"
)

// CRM is the customer's backend that eXpand-style deployments call during
// inbound calls (rest-expandweb3.md §7).
type CRM interface {
	// CallerIDName maps a caller number to the name the call carries.
	CallerIDName(ctx context.Context, number string) (string, error)
	// IVRCode reports that call uniqueID reached IVR node code with the data
	// collected so far; the answer is appended to the call's IVR data.
	IVRCode(ctx context.Context, uniqueID, callerNumber, code, ivrData string) (string, error)
	// PushAgentInfo is the screen-pop: an agent answered a queue call.
	PushAgentInfo(ctx context.Context, info AgentInfo) (bool, error)
}

// AgentInfo is the screen-pop of pushAgentInfo.
type AgentInfo struct {
	// UniqueID is the call's uniqueid ("1275586803.1502").
	UniqueID string
	// Queue is the queue the call came through.
	Queue string
	// CallerID is "Name <Number>".
	CallerID string
	// AgentChannel is the agent's interface, "SIP/107".
	AgentChannel string
	// IVRData is what was collected before the queue.
	IVRData string
}

// CRM methods, as CRMPush.Method records them.
const (
	CRMGetCallerIDName = "getCallerIDName"
	CRMIVRCode         = "IVRCode"
	CRMPushAgentInfo   = "pushAgentInfo"
)

// CRMPush is one attempt to call the CRM, kept so operators can see what
// was sent, what came back and why it failed.
type CRMPush struct {
	ID int64 `db:"id" json:"id"`
	// Method is getCallerIDName, IVRCode or pushAgentInfo.
	Method string `db:"method" json:"method"`
	// UniqueID is the call the attempt was for.
	UniqueID string `db:"uniqueid" json:"uniqueid"`
	// Target is the URL called.
	Target string `db:"target" json:"target"`
	// Attempt counts from 1 for retries of the same request.
	Attempt int `db:"attempt" json:"attempt"`
	// Request and Response are the bodies sent and received (truncated to 4 KiB).
	Request  string `db:"request" json:"request"`
	Response string `db:"response" json:"response"`
	// Status is "ok", "error" or "skipped" (the circuit breaker was open).
	Status     string    `db:"status" json:"status"`
	Error      string    `db:"error" json:"error"`
	DurationMS int64     `db:"duration_ms" json:"duration_ms"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// CRMPushFilter selects CRM attempts; zero fields do not filter.
type CRMPushFilter struct {
	Method, UniqueID, Status string
	From, To                 time.Time
	// Offset and Limit page the result, newest first.
	Offset, Limit int
}

// CRMPushService records CRM attempts.
type CRMPushService interface {
	CreateCRMPush(ctx context.Context, p *CRMPush) error
	FindCRMPushes(ctx context.Context, f CRMPushFilter) ([]*CRMPush, error)
}
