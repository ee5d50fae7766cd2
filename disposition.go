package centralita

import (
	"context"
	"time"
)

// DispositionAction is what a disposition does to the dialer record.
type DispositionAction string

// The disposition actions (rest-integra.md §4.4).
const (
	// ActionNone only records the disposition.
	ActionNone DispositionAction = ""
	// ActionRespool puts the contact back in the pool to be called again.
	ActionRespool DispositionAction = "RESPOOL"
	// ActionRespoolAlternative puts it back to be called on its next alternate number.
	ActionRespoolAlternative DispositionAction = "RESPOOLALTERNATIVE"
	// ActionBlacklist adds the number to the campaign's do-not-call list.
	ActionBlacklist DispositionAction = "BLACKLIST"
	// ActionReschedule schedules a call at the disposition's date.
	ActionReschedule DispositionAction = "RESCHEDULE"
)

// Valid reports whether a is a known action.
func (a DispositionAction) Valid() bool {
	switch a {
	case ActionNone, ActionRespool, ActionRespoolAlternative, ActionBlacklist, ActionReschedule:
		return true
	}
	return false
}

// Disposition is a configured call classification of a campaign
// (tipificación), three levels deep, with its dialer action.
type Disposition struct {
	Campaign   string            `db:"campaign" json:"campaign"`
	L1         string            `db:"l1" json:"l1"`
	L2         string            `db:"l2" json:"l2"`
	L3         string            `db:"l3" json:"l3"`
	Action     DispositionAction `db:"action" json:"action"`
	Completes  bool              `db:"completes" json:"completes"` // the contact is Completed by it
	TxtCode    string            `db:"txtcode" json:"txtcode"`
	RetryDelay int               `db:"retry_delay_sec" json:"retry_delay_sec"` // RESPOOL delay
}

// CallDisposition is one disposition an agent gave a call.
type CallDisposition struct {
	ID         int64      `db:"id" json:"id"`
	Campaign   string     `db:"campaign" json:"campaign"`
	Agent      string     `db:"agent" json:"agent"`
	CallerID   string     `db:"callerid" json:"callerid"`
	GUID       string     `db:"guid" json:"guid"`
	L1         string     `db:"l1" json:"l1"`
	L2         string     `db:"l2" json:"l2"`
	L3         string     `db:"l3" json:"l3"`
	D1         string     `db:"d1" json:"d1"`
	D2         string     `db:"d2" json:"d2"`
	Comment    string     `db:"comment" json:"comment"`
	Schedule   *time.Time `db:"schedule" json:"schedule,omitempty"`
	Reschedule string     `db:"camptoreschedule" json:"camptoreschedule"`
	Tag        string     `db:"tag" json:"tag"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
}

// DispositionService stores the configured dispositions and the ones given.
type DispositionService interface {
	SetDisposition(ctx context.Context, d *Disposition) error
	DeleteDisposition(ctx context.Context, campaign, l1, l2, l3 string) error
	// FindDisposition returns the configured disposition; ENOTFOUND when none.
	FindDisposition(ctx context.Context, campaign, l1, l2, l3 string) (*Disposition, error)
	FindDispositions(ctx context.Context, campaign string) ([]*Disposition, error)
	CreateCallDisposition(ctx context.Context, d *CallDisposition) error
	FindCallDispositions(ctx context.Context, campaign, guid string) ([]*CallDisposition, error)
}
