package centralita

import (
	"context"
	"time"
)

// OriginationStatus is the state of a click-to-call job, with eXpand's codes.
type OriginationStatus int

// The origination statuses (soap-apiws.md §6.1).
const (
	OriginationUnknown    OriginationStatus = 0 // no such job, or forgotten after retention
	OriginationRinging    OriginationStatus = 1 // being dialled
	OriginationAnswer     OriginationStatus = 2 // answered, in progress
	OriginationHungup     OriginationStatus = 3 // finished normally
	OriginationBusy       OriginationStatus = 4 // destination busy
	OriginationNoAnswer   OriginationStatus = 5 // nobody answered
	OriginationCongestion OriginationStatus = 6 // could not be placed, or rejected
	OriginationOffhook    OriginationStatus = 7 // the source extension was in use or off-hook
)

// Final reports whether the job has ended.
func (s OriginationStatus) Final() bool { return s >= OriginationHungup }

// Origination is a click-to-call job: ring Src, and when it answers, dial
// Dst and bridge the two.
type Origination struct {
	ID          string            `db:"id"`
	Src         string            `db:"src"`
	SrcCallerID string            `db:"src_callerid"`
	Dst         string            `db:"dst"`
	DstCallerID string            `db:"dst_callerid"`
	TimeoutSec  int               `db:"timeout_sec"`
	CallInfo    string            `db:"callinfo"`
	Status      OriginationStatus `db:"status"`
	// SrcChannel, DstChannel and Bridge are the PBX ids of the legs and their bridge.
	SrcChannel string `db:"src_channel"`
	DstChannel string `db:"dst_channel"`
	Bridge     string `db:"bridge"`
	// Cause is the Q.850 cause that ended the job, when one did.
	Cause      int        `db:"cause"`
	KeyID      int64      `db:"key_id"`
	CreatedAt  time.Time  `db:"created_at"`
	AnsweredAt *time.Time `db:"answered_at"`
	EndedAt    *time.Time `db:"ended_at"`
}

// SourceLegID is the PBX channel id of origination job id's source leg,
// "<id>-src", which is also the leg's CDR uniqueid (what cdrData lists) and
// the uniqueid its recording is indexed under.
func SourceLegID(id string) string { return id + "-src" }

// OriginationService persists origination jobs so a restart keeps their outcome.
type OriginationService interface {
	CreateOrigination(ctx context.Context, o *Origination) error
	// UpdateOrigination writes status, channels, bridge, cause and times.
	UpdateOrigination(ctx context.Context, o *Origination) error
	FindOrigination(ctx context.Context, id string) (*Origination, error)
	// FindOpenOriginations lists jobs not yet final, for recovery on start.
	FindOpenOriginations(ctx context.Context) ([]*Origination, error)
}

// OriginationRequest is one click-to-call request (eXpand originateCall).
type OriginationRequest struct {
	Src, SrcCallerID string
	Dst, DstCallerID string
	// Timeout is how long each leg rings; 0 means the engine's default.
	Timeout time.Duration
	// CallInfo is kept with the job and written to the legs' CDR userfield.
	CallInfo string
	// KeyID is the access key that asked, for the record.
	KeyID int64
}

// CallOriginator runs click-to-call jobs.
type CallOriginator interface {
	// Originate starts a job and returns it (RINGING, or already final).
	Originate(ctx context.Context, req OriginationRequest) (*Origination, error)
	// OriginationStatus is the job's status, OriginationUnknown once forgotten.
	OriginationStatus(ctx context.Context, id string) (OriginationStatus, error)
	// CancelOrigination ends a job in progress; ENOTFOUND when there is none.
	CancelOrigination(ctx context.Context, id string) error
}
