package centralita

import (
	"context"
	"encoding/json"
	"time"
)

// ContactState is a dialer contact's state, with eXpand's names.
type ContactState string

// The contact states.
const (
	ContactPending   ContactState = "Pending"   // still to be called (or called again)
	ContactCompleted ContactState = "Completed" // reached a person
	ContactRejected  ContactState = "Rejected"  // all retries exhausted, or blacklisted
	ContactCanceled  ContactState = "Canceled"  // removed or disabled by a user
)

// Valid reports whether s is a known state.
func (s ContactState) Valid() bool {
	switch s {
	case ContactPending, ContactCompleted, ContactRejected, ContactCanceled:
		return true
	}
	return false
}

// Contact priorities: 1 is reserved for scheduled calls (rest-integra.md §6.4).
const (
	PriorityScheduled = 1
	PriorityDefault   = 9999
)

// TransitionAPI is the state-log transition of a contact added through the
// eXpand API, spelled as the manual prints it (B5).
const TransitionAPI = "_Source_API_Apl"

// Contact is one number of a campaign's base.
type Contact struct {
	ID         int64 `db:"id" json:"id"`
	CampaignID int64 `db:"campaign_id" json:"campaign_id"`
	// Number is the main number, canonical (no outside-line prefix).
	Number string `db:"number" json:"number"`
	Name   string `db:"name" json:"name"`
	// Data is uContact's "k=v:k=v" workflow data; Info eXpand's JSON object.
	Data string          `db:"data" json:"data"`
	Info json.RawMessage `db:"info" json:"info"`
	// Alternates are tried in order after the main number is exhausted;
	// AltIndex is the number being dialled now (0 = Number, n = Alternates[n-1]).
	Alternates []string `db:"-" json:"alternates"`
	AltIndex   int      `db:"alt_index" json:"alt_index"`
	// Priority: lower is dialled first; 1 is for scheduled calls.
	Priority int `db:"priority" json:"priority"`
	// TimeZone (IANA) decides the calling windows; "" uses the campaign's.
	TimeZone string `db:"time_zone" json:"time_zone"`
	// Agent owns the contact (uContact agentphone, progressive): only that
	// agent is given its calls.
	Agent string `db:"agent" json:"agent"`
	// Base is the name of the upload (uContact dialerbase) it came from.
	Base    string       `db:"base" json:"base"`
	Enabled bool         `db:"enabled" json:"enabled"`
	State   ContactState `db:"state" json:"state"`
	// Attempts counts dial attempts on the current number.
	Attempts int `db:"attempts" json:"attempts"`
	// NextAt is when it may be dialled next (a retry delay or a schedule); nil = now.
	NextAt *time.Time `db:"next_at" json:"next_at,omitempty"`
	// LastAttemptAt and LastOutcome describe the last attempt.
	LastAttemptAt *time.Time  `db:"last_attempt_at" json:"last_attempt_at,omitempty"`
	LastOutcome   CallOutcome `db:"last_outcome" json:"last_outcome"`
	StateAt       time.Time   `db:"state_at" json:"state_at"`
	AddedAt       time.Time   `db:"added_at" json:"added_at"`
	// InFlight is set while a call to it is being dialled or talked, so
	// that a number is never dialled twice at once and a restart knows it.
	InFlight bool `db:"in_flight" json:"in_flight"`
}

// Validate checks c; the error is EINVALID and names the field.
func (c Contact) Validate() error {
	switch {
	case c.Number == "" || len(c.Number) > 40:
		return Errorf(EINVALID, "contact number must have 1 to 40 characters")
	case len(c.Name) > 128 || len(c.Data) > 4096 || len(c.Info) > 16384:
		return Errorf(EINVALID, "contact name, data or info too long")
	case c.State != "" && !c.State.Valid():
		return Errorf(EINVALID, "unknown contact state %q", c.State)
	case c.Priority < 0:
		return Errorf(EINVALID, "priority must not be negative")
	case len(c.Alternates) > 10:
		return Errorf(EINVALID, "at most 10 alternate numbers")
	}
	for _, a := range c.Alternates {
		if a == "" || len(a) > 40 {
			return Errorf(EINVALID, "alternate numbers must have 1 to 40 characters")
		}
	}
	return nil
}

// ContactTransition is one entry of a contact's state log.
type ContactTransition struct {
	ContactID int64     `db:"contact_id" json:"-"`
	Time      time.Time `db:"time" json:"timestamp"`
	// Transition is free text: TransitionAPI, an outcome ("Answer"), a disposition.
	Transition string `db:"transition" json:"transition"`
}

// Attempt is one dial attempt of a contact.
type Attempt struct {
	ID         int64  `db:"id" json:"id"`
	ContactID  int64  `db:"contact_id" json:"contact_id"`
	CampaignID int64  `db:"campaign_id" json:"campaign_id"`
	Number     string `db:"number" json:"number"`
	// CallID is the dialled channel's id (the call's uniqueid in queue_log and cdr).
	CallID     string      `db:"call_id" json:"call_id"`
	Agent      string      `db:"agent" json:"agent"`
	StartedAt  time.Time   `db:"started_at" json:"started_at"`
	AnsweredAt *time.Time  `db:"answered_at" json:"answered_at,omitempty"`
	EndedAt    *time.Time  `db:"ended_at" json:"ended_at,omitempty"`
	Outcome    CallOutcome `db:"outcome" json:"outcome"`
}

// ContactFilter selects contacts (eXpand contacts and activity lists).
type ContactFilter struct {
	CampaignID int64
	State      ContactState
	// Like matches number or name containing it.
	Like string
	// StateFrom/StateTo bound StateAt; AddedFrom/AddedTo bound AddedAt.
	StateFrom, StateTo, AddedFrom, AddedTo time.Time
	// Number matches exactly.
	Number string
	// OrderBy is "id" (default), "name", "numcall", "timestampadd" or "statetimestamp".
	OrderBy string
	Desc    bool
	// Offset and Limit page the result (Limit 0 = 100, at most 1000).
	Offset, Limit int
}

// ContactService stores contacts, their state log and attempts.
type ContactService interface {
	// CreateContacts inserts contacts in one transaction and sets their IDs,
	// each with a first transition (transition, at AddedAt).
	CreateContacts(ctx context.Context, cs []*Contact, transition string) error
	// UpdateContact writes every field of c (and, when transition is not
	// empty, appends it to the state log).
	UpdateContact(ctx context.Context, c *Contact, transition string) error
	FindContact(ctx context.Context, id int64) (*Contact, error)
	// FindContacts returns the page and the count before paging.
	FindContacts(ctx context.Context, f ContactFilter) ([]*Contact, int, error)
	// ContactLog returns a contact's transitions, oldest first.
	ContactLog(ctx context.Context, id int64) ([]*ContactTransition, error)
	// ClaimContacts marks up to limit due contacts of a campaign in flight
	// and returns them: Pending, Enabled, not InFlight, NextAt nil or <= now,
	// agent-owned ones only for the agents in agents (nil = unowned only),
	// ordered by priority, NextAt, id. Claiming is atomic: two claimers
	// never get the same contact, nor two contacts with the same number.
	ClaimContacts(ctx context.Context, campaignID int64, now time.Time, limit int, agents []string) ([]*Contact, error)
	// ReleaseInFlight clears InFlight on every contact of the campaign (at
	// start-up, once the engine knows which calls survive); 0 = all campaigns.
	ReleaseInFlight(ctx context.Context, campaignID int64, except []int64) error

	// CreateAttempt inserts a and sets its ID; UpdateAttempt writes its end.
	CreateAttempt(ctx context.Context, a *Attempt) error
	UpdateAttempt(ctx context.Context, a *Attempt) error
	FindAttempts(ctx context.Context, contactID int64) ([]*Attempt, error)
	// FindOpenAttempts lists attempts not ended, for recovery.
	FindOpenAttempts(ctx context.Context) ([]*Attempt, error)
}
