package centralita

import (
	"context"
	"time"
)

// Strategy is how a queue picks among its available agents, with the names
// and meanings of Asterisk's app_queue.
type Strategy string

// The queue strategies.
const (
	// StrategyRingAll rings every available agent at once; the first to answer takes the call.
	StrategyRingAll Strategy = "ringall"
	// StrategyLeastRecent rings the agent whose last call from this queue ended longest ago.
	StrategyLeastRecent Strategy = "leastrecent"
	// StrategyFewestCalls rings the agent who has taken the fewest calls from this queue.
	StrategyFewestCalls Strategy = "fewestcalls"
	// StrategyRandom rings a random agent.
	StrategyRandom Strategy = "random"
	// StrategyRRMemory rings agents in turn, remembering where the last call stopped.
	StrategyRRMemory Strategy = "rrmemory"
	// StrategyLinear rings agents in the order they are listed (membership order), always from the first.
	StrategyLinear Strategy = "linear"
	// StrategyWRandom rings a random agent, weighted by penalty (lower penalty, higher chance).
	StrategyWRandom Strategy = "wrandom"
)

// Valid reports whether s is a known strategy.
func (s Strategy) Valid() bool {
	switch s {
	case StrategyRingAll, StrategyLeastRecent, StrategyFewestCalls, StrategyRandom,
		StrategyRRMemory, StrategyLinear, StrategyWRandom:
		return true
	}
	return false
}

// Queue is an inbound call queue (an eXpand "cola", a uContact campaign or
// skill). Durations are whole seconds, as operators configure them.
type Queue struct {
	// Name identifies the queue; opaque (uContact names such as "Ventas->" are kept as they are).
	Name        string   `db:"name" json:"name"`
	Description string   `db:"description" json:"description"`
	Strategy    Strategy `db:"strategy" json:"strategy"`
	// RingTimeoutSec is how long one agent attempt rings before RINGNOANSWER. Default 15.
	RingTimeoutSec int `db:"ring_timeout_sec" json:"ring_timeout_sec"`
	// RetrySec is the pause between attempt rounds when nobody answered. Default 5.
	RetrySec int `db:"retry_sec" json:"retry_sec"`
	// WrapupSec is how long an agent stays in wrap-up after a queue call. 0 = none.
	WrapupSec int `db:"wrapup_sec" json:"wrapup_sec"`
	// ServiceLevelSec and ServiceLevel2Sec are the service-level thresholds: a
	// call answered within them counts as answered in time. Defaults 20 and 40.
	ServiceLevelSec  int `db:"service_level_sec" json:"service_level_sec"`
	ServiceLevel2Sec int `db:"service_level2_sec" json:"service_level2_sec"`
	// PenaltyStepSec widens the penalty ring: at first only agents with the
	// lowest penalty are tried; every PenaltyStepSec of waiting admits the next
	// penalty level. 0 admits every penalty from the start only when no
	// lower-penalty agent is available (Asterisk's default behaviour).
	PenaltyStepSec int `db:"penalty_step_sec" json:"penalty_step_sec"`
	// MaxWaitSec is how long a call may wait before overflowing. 0 = no limit.
	MaxWaitSec int `db:"max_wait_sec" json:"max_wait_sec"`
	// OverflowQueue receives calls that waited MaxWaitSec; empty means play
	// OverflowSound and hang up.
	OverflowQueue string `db:"overflow_queue" json:"overflow_queue"`
	// OverflowSound is played before hanging up an overflowed call. Default "sound:vm-goodbye".
	OverflowSound string `db:"overflow_sound" json:"overflow_sound"`
	// MusicClass is the music-on-hold class. Default "default".
	MusicClass string `db:"music_class" json:"music_class"`
	// AnnounceSec, when > 0, plays the caller's position every AnnounceSec while waiting.
	AnnounceSec int `db:"announce_sec" json:"announce_sec"`
	// Record records the queue's calls once caller and agent are bridged
	// (see Recorder).
	Record    bool      `db:"record" json:"record"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Queue defaults applied by WithDefaults.
const (
	DefaultRingTimeoutSec   = 15
	DefaultRetrySec         = 5
	DefaultServiceLevelSec  = 20
	DefaultServiceLevel2Sec = 40
	DefaultOverflowSound    = "sound:vm-goodbye"
	DefaultMusicClass       = "default"
)

// WithDefaults returns q with unset fields at their defaults.
func (q Queue) WithDefaults() Queue {
	if q.Strategy == "" {
		q.Strategy = StrategyRingAll
	}
	if q.RingTimeoutSec <= 0 {
		q.RingTimeoutSec = DefaultRingTimeoutSec
	}
	if q.RetrySec <= 0 {
		q.RetrySec = DefaultRetrySec
	}
	if q.ServiceLevelSec <= 0 {
		q.ServiceLevelSec = DefaultServiceLevelSec
	}
	if q.ServiceLevel2Sec <= 0 {
		q.ServiceLevel2Sec = DefaultServiceLevel2Sec
	}
	if q.OverflowSound == "" {
		q.OverflowSound = DefaultOverflowSound
	}
	if q.MusicClass == "" {
		q.MusicClass = DefaultMusicClass
	}
	return q
}

// Validate checks q; the error is EINVALID and names the field.
func (q Queue) Validate() error {
	switch {
	case q.Name == "" || len(q.Name) > 128:
		return Errorf(EINVALID, "queue name must have 1 to 128 characters")
	case q.Strategy != "" && !q.Strategy.Valid():
		return Errorf(EINVALID, "unknown strategy %q", q.Strategy)
	case q.RingTimeoutSec < 0 || q.RetrySec < 0 || q.WrapupSec < 0 || q.ServiceLevelSec < 0 ||
		q.ServiceLevel2Sec < 0 || q.PenaltyStepSec < 0 || q.MaxWaitSec < 0 || q.AnnounceSec < 0:
		return Errorf(EINVALID, "queue durations must not be negative")
	case q.OverflowQueue == q.Name:
		return Errorf(EINVALID, "a queue cannot overflow into itself")
	}
	return nil
}

// QueueMember makes an agent a member of a queue, with a penalty (lower is
// tried first) and, while logged in, a pause state of its own.
type QueueMember struct {
	Queue   string `db:"queue_name" json:"queue"`
	Agent   string `db:"agent_number" json:"agent"`
	Penalty int    `db:"penalty" json:"penalty"`
	// Position orders members for the linear strategy (then by agent number).
	Position int `db:"position" json:"position"`
	// Paused, PauseReason and PausedAt are the member's pause in this queue.
	Paused      bool       `db:"paused" json:"paused"`
	PauseReason string     `db:"pause_reason" json:"pause_reason"`
	PausedAt    *time.Time `db:"paused_at" json:"paused_at,omitempty"`
}

// QueueService stores queue configuration and memberships.
type QueueService interface {
	// CreateQueue inserts q; a taken name is ECONFLICT.
	CreateQueue(ctx context.Context, q *Queue) error
	// UpdateQueue replaces the queue named q.Name; ENOTFOUND when absent.
	UpdateQueue(ctx context.Context, q *Queue) error
	// DeleteQueue removes a queue and its memberships.
	DeleteQueue(ctx context.Context, name string) error
	FindQueue(ctx context.Context, name string) (*Queue, error)
	// FindQueues lists every queue by name.
	FindQueues(ctx context.Context) ([]*Queue, error)

	// SetMember inserts or updates a membership (penalty, position, pause);
	// ENOTFOUND when the queue or agent does not exist.
	SetMember(ctx context.Context, m *QueueMember) error
	// RemoveMember deletes a membership; ENOTFOUND when absent.
	RemoveMember(ctx context.Context, queue, agent string) error
	// FindMembers lists memberships, filtered by queue and/or agent when not
	// empty, ordered by queue, position, agent.
	FindMembers(ctx context.Context, queue, agent string) ([]*QueueMember, error)
}
