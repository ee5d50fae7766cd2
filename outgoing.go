package centralita

import (
	"context"
	"slices"
	"time"
)

// OutgoingStatus is a pending outgoing call's status (rest-expandweb3.md §5).
type OutgoingStatus string

// The outgoing call statuses. Only PENDING, COMPLETED and CANCELED are
// stored; EXPIRED is computed on read (§5.1 proposal): a PENDING call whose
// CallDate + ExpirationSec has passed, when ExpirationSec > 0. An expired
// call can still be made and completed.
const (
	OutgoingPending   OutgoingStatus = "PENDING"
	OutgoingCompleted OutgoingStatus = "COMPLETED"
	OutgoingCanceled  OutgoingStatus = "CANCELED"
	OutgoingExpired   OutgoingStatus = "EXPIRED"
)

// MaxOutgoingExpirationSec bounds OutgoingCall.ExpirationSec: 365 days.
const MaxOutgoingExpirationSec = 365 * 24 * 60 * 60

// Valid reports whether s is one of the four statuses.
func (s OutgoingStatus) Valid() bool {
	switch s {
	case OutgoingPending, OutgoingCompleted, OutgoingCanceled, OutgoingExpired:
		return true
	}
	return false
}

// OutgoingCall is a call the callcenter must make, shown in the agents'
// panel of pending outgoing calls.
type OutgoingCall struct {
	ID     int64
	Queue  string
	Phones []string
	// Contact is whom to call; Subject why.
	Contact string
	Subject string
	// CallDate is when the call must be made.
	CallDate time.Time
	// ExpirationSec is how long after CallDate the call stays in its
	// warning colours; 0 = it never expires (B12).
	ExpirationSec int
	// Agent is the username of the one agent who sees and makes the call;
	// "" = every agent of Queue.
	Agent string
	// Status is the stored status: PENDING, COMPLETED or CANCELED.
	Status OutgoingStatus
	// Links map a link name to a URL (a CRM page of the contact).
	Links     map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ExpiresAt is when a pending call expires; zero when it never does.
func (c *OutgoingCall) ExpiresAt() time.Time {
	if c.ExpirationSec <= 0 {
		return time.Time{}
	}
	return c.CallDate.Add(time.Duration(c.ExpirationSec) * time.Second)
}

// StatusAt is the call's status at now: EXPIRED for a PENDING call past
// ExpiresAt, otherwise the stored status.
func (c *OutgoingCall) StatusAt(now time.Time) OutgoingStatus {
	if exp := c.ExpiresAt(); c.Status == OutgoingPending && !exp.IsZero() && !now.Before(exp) {
		return OutgoingExpired
	}
	return c.Status
}

// Validate checks c; the error is EINVALID and names the field.
func (c *OutgoingCall) Validate() error {
	switch {
	case c.Queue == "" || len(c.Queue) > 128:
		return Errorf(EINVALID, "queue must have 1 to 128 characters")
	case len(c.Phones) == 0 || len(c.Phones) > 16:
		return Errorf(EINVALID, "phone must list 1 to 16 numbers")
	case slices.ContainsFunc(c.Phones, func(p string) bool { return p == "" || len(p) > 64 }):
		return Errorf(EINVALID, "each phone must have 1 to 64 characters")
	case len(c.Contact) > 255 || len(c.Subject) > 1024:
		return Errorf(EINVALID, "contact must have at most 255 characters and subject 1024")
	case c.CallDate.IsZero():
		return Errorf(EINVALID, "calldate is required")
	case c.CallDate.UTC().Year() < 2000 || c.CallDate.UTC().Year() > 9998:
		return Errorf(EINVALID, "calldate must be in the years 2000 to 9998")
	case c.ExpirationSec < 0 || c.ExpirationSec > MaxOutgoingExpirationSec:
		return Errorf(EINVALID, "expiration must be 0 to %d seconds (365 days)", MaxOutgoingExpirationSec)
	case len(c.Agent) > 64:
		return Errorf(EINVALID, "agent must have at most 64 characters")
	case c.Status != OutgoingPending && c.Status != OutgoingCompleted && c.Status != OutgoingCanceled:
		return Errorf(EINVALID, "status must be PENDING, COMPLETED or CANCELED, not %q", c.Status)
	case len(c.Links) > 32:
		return Errorf(EINVALID, "at most 32 links")
	}
	for k, v := range c.Links {
		if k == "" || len(k) > 128 || len(v) > 2048 {
			return Errorf(EINVALID, "a link needs a name of 1 to 128 characters and a URL of at most 2048")
		}
	}
	return nil
}

// OutgoingVisibility is what one agent sees of the panel: the calls
// assigned to it, and the unassigned calls of its queues.
type OutgoingVisibility struct {
	// Agent is the agent's username.
	Agent string
	// Queues are the agent's queues.
	Queues []string
}

// Sees reports whether the agent of v sees c (CANCELED calls aside).
func (v *OutgoingVisibility) Sees(c *OutgoingCall) bool {
	if c.Agent != "" {
		return c.Agent == v.Agent
	}
	return slices.Contains(v.Queues, c.Queue)
}

// OutgoingFilter selects outgoing calls. Zero fields do not filter.
type OutgoingFilter struct {
	// Queue and Agent match exactly; Phone matches one of the call's phones.
	Queue, Phone, Agent string
	// From and To bound CallDate: From <= calldate <= To.
	From, To time.Time
	// Status selects by status at Now (EXPIRED and PENDING are told apart
	// there); "" selects every status but CANCELED.
	Status OutgoingStatus
	// Now is the moment statuses are evaluated at; required with Status.
	Now time.Time
	// Visible, when set, keeps the calls its agent sees.
	Visible *OutgoingVisibility
	// Offset and Limit page the result, ordered by CallDate then ID;
	// Limit 0 reads OutgoingDefaultLimit, and more than OutgoingMaxLimit
	// is EINVALID.
	Offset, Limit int
}

// The page sizes of FindOutgoingCalls.
const (
	OutgoingDefaultLimit = 100
	OutgoingMaxLimit     = 1000
)

// OutgoingCallService stores the pending outgoing calls.
type OutgoingCallService interface {
	// CreateOutgoingCall inserts c (Status PENDING when empty) and sets
	// its ID and timestamps.
	CreateOutgoingCall(ctx context.Context, c *OutgoingCall) error
	// UpdateOutgoingCall replaces every field of call c.ID but its
	// CreatedAt; ENOTFOUND when absent.
	UpdateOutgoingCall(ctx context.Context, c *OutgoingCall) error
	// FindOutgoingCall returns the call with that id, whatever its status.
	FindOutgoingCall(ctx context.Context, id int64) (*OutgoingCall, error)
	// FindOutgoingCalls returns the calls f selects.
	FindOutgoingCalls(ctx context.Context, f OutgoingFilter) ([]*OutgoingCall, error)
}
