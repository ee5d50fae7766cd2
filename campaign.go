package centralita

import (
	"context"
	"time"
)

// DialMode is how an outbound campaign paces its calls.
type DialMode string

// The dialing modes.
const (
	// ModePreview gives a free agent the next contact and calls the agent's
	// phone first, then the contact (an agent call).
	ModePreview DialMode = "preview"
	// ModeProgressive dials one line per free agent.
	ModeProgressive DialMode = "progressive"
	// ModePower dials a fixed number of lines (PowerRatio) per free agent.
	ModePower DialMode = "power"
	// ModePredictive dials as many lines as the pacer predicts keep agents
	// busy within the abandon limit.
	ModePredictive DialMode = "predictive"
)

// Valid reports whether m is a known mode.
func (m DialMode) Valid() bool {
	switch m {
	case ModePreview, ModeProgressive, ModePower, ModePredictive:
		return true
	}
	return false
}

// CampaignState is a campaign's state, with eXpand's names.
type CampaignState string

// The campaign states.
const (
	CampaignIncomplete CampaignState = "Incomplete" // being set up; not dialing
	CampaignActive     CampaignState = "Active"     // dialing within its windows
	CampaignFinalized  CampaignState = "Finalized"  // done; no more dialing
	CampaignStored     CampaignState = "Stored"     // archived
)

// Valid reports whether s is a known state.
func (s CampaignState) Valid() bool {
	switch s {
	case CampaignIncomplete, CampaignActive, CampaignFinalized, CampaignStored:
		return true
	}
	return false
}

// CallOutcome is how one dial attempt ended.
type CallOutcome string

// The attempt outcomes.
const (
	OutcomeAnswered   CallOutcome = "Answer"      // a person answered and was connected to an agent
	OutcomeBusy       CallOutcome = "Busy"        // busy (cause 17)
	OutcomeNoAnswer   CallOutcome = "NoAnswer"    // rang out (cause 19, 18, 21)
	OutcomeFailed     CallOutcome = "Failed"      // congestion, unallocated, unreachable
	OutcomeMachine    CallOutcome = "Machine"     // an answering machine was detected
	OutcomeAbandoned  CallOutcome = "Abandoned"   // a person answered and no agent took the call within 2 s
	OutcomeBlacklist  CallOutcome = "Blacklisted" // not dialed: on the do-not-call list at dial time
	OutcomeInProgress CallOutcome = ""            // not finished
)

// RetryRule says when to dial a contact again after an outcome.
type RetryRule struct {
	// DelaySec is the wait before the next attempt.
	DelaySec int `json:"delay_sec"`
	// MaxAttempts is how many attempts in all this outcome allows; reaching
	// it rejects the contact (or moves to its next alternate number).
	MaxAttempts int `json:"max_attempts"`
}

// CallWindow is a daily calling window, in the contact's time zone.
type CallWindow struct {
	// Weekday is 0 (Sunday) to 6.
	Weekday time.Weekday `json:"weekday"`
	// Start and End are "HH:MM", End exclusive.
	Start string `json:"start"`
	End   string `json:"end"`
}

// Campaign is an outbound dialer campaign (an eXpand campaign, a uContact
// dialer). Its calls are answered by the agents of Queue, through the ACD.
type Campaign struct {
	ID int64 `db:"id" json:"id"`
	// Name is opaque; uContact's "Ventas->" and "Power<-" suffixes are part of it.
	Name  string        `db:"name" json:"name"`
	Mode  DialMode      `db:"mode" json:"mode"`
	State CampaignState `db:"state" json:"state"`
	// Queue is the ACD queue whose agents take the calls.
	Queue    string `db:"queue_name" json:"queue"`
	CallerID string `db:"callerid" json:"callerid"`
	// MaxLines caps the simultaneous calls being dialed or waiting. 0 = no cap.
	MaxLines int `db:"max_lines" json:"max_lines"`
	// RingTimeoutSec is how long a number rings before NoAnswer. Default 20.
	RingTimeoutSec int `db:"ring_timeout_sec" json:"ring_timeout_sec"`
	// PowerRatio is the lines per free agent of power mode. Default 2.
	PowerRatio float64 `db:"power_ratio" json:"power_ratio"`
	// AbandonLimitPct is the highest abandon rate allowed (percent of live
	// answers) over 30 days and over 24 hours. Default 3.
	AbandonLimitPct float64 `db:"abandon_limit_pct" json:"abandon_limit_pct"`
	// TimeZone is the contacts' default zone (IANA). Default the server's.
	TimeZone string `db:"time_zone" json:"time_zone"`
	// Windows are when contacts may be called, in their zone; none = always.
	Windows []CallWindow `db:"-" json:"windows"`
	// Retries maps an outcome to its retry rule; outcomes without a rule are
	// not retried.
	Retries map[CallOutcome]RetryRule `db:"-" json:"retries"`
	// AbandonMessage is played to a person no agent could take before
	// hanging up. Default "sound:vm-goodbye".
	AbandonMessage string `db:"abandon_message" json:"abandon_message"`
	// Record records the campaign's answered calls once bridged to an agent.
	Record    bool      `db:"record" json:"record"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Campaign defaults applied by WithDefaults.
const (
	DefaultCampaignRingTimeoutSec = 20
	DefaultPowerRatio             = 2
	DefaultAbandonLimitPct        = 3
)

// WithDefaults returns c with unset fields at their defaults.
func (c Campaign) WithDefaults() Campaign {
	if c.Mode == "" {
		c.Mode = ModeProgressive
	}
	if c.State == "" {
		c.State = CampaignIncomplete
	}
	if c.RingTimeoutSec <= 0 {
		c.RingTimeoutSec = DefaultCampaignRingTimeoutSec
	}
	if c.PowerRatio <= 0 {
		c.PowerRatio = DefaultPowerRatio
	}
	if c.AbandonLimitPct <= 0 {
		c.AbandonLimitPct = DefaultAbandonLimitPct
	}
	if c.AbandonMessage == "" {
		c.AbandonMessage = DefaultOverflowSound
	}
	return c
}

// Validate checks c; the error is EINVALID and names the field.
func (c Campaign) Validate() error {
	switch {
	case c.Name == "" || len(c.Name) > 128:
		return Errorf(EINVALID, "campaign name must have 1 to 128 characters")
	case c.Mode != "" && !c.Mode.Valid():
		return Errorf(EINVALID, "unknown mode %q", c.Mode)
	case c.State != "" && !c.State.Valid():
		return Errorf(EINVALID, "unknown campaign state %q", c.State)
	case c.Queue == "":
		return Errorf(EINVALID, "a campaign needs the queue whose agents take its calls")
	case c.MaxLines < 0 || c.RingTimeoutSec < 0 || c.PowerRatio < 0 || c.AbandonLimitPct < 0 || c.AbandonLimitPct > 100:
		return Errorf(EINVALID, "campaign limits out of range")
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			return Errorf(EINVALID, "unknown time zone %q", c.TimeZone)
		}
	}
	for _, w := range c.Windows {
		if _, _, ok := ParseClock(w.Start); !ok {
			return Errorf(EINVALID, "window start %q: want HH:MM", w.Start)
		}
		if _, _, ok := ParseClock(w.End); !ok {
			return Errorf(EINVALID, "window end %q: want HH:MM", w.End)
		}
	}
	for o, r := range c.Retries {
		if r.DelaySec < 0 || r.MaxAttempts < 0 {
			return Errorf(EINVALID, "retry rule for %q out of range", o)
		}
	}
	return nil
}

// ParseClock reads "HH:MM" (00:00 to 24:00).
func ParseClock(s string) (h, m int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	h = int(s[0]-'0')*10 + int(s[1]-'0')
	m = int(s[3]-'0')*10 + int(s[4]-'0')
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9' {
		return 0, 0, false
	}
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, 0, false
	}
	return h, m, true
}

// CampaignFilter selects campaigns (eXpand GET /campaigns).
type CampaignFilter struct {
	State CampaignState
	// OrderBy is "id" (default) or "name"; Desc reverses.
	OrderBy string
	Desc    bool
}

// CampaignService stores campaigns.
type CampaignService interface {
	// CreateCampaign inserts c and sets its ID; a taken name is ECONFLICT.
	CreateCampaign(ctx context.Context, c *Campaign) error
	// UpdateCampaign replaces the campaign c.ID.
	UpdateCampaign(ctx context.Context, c *Campaign) error
	DeleteCampaign(ctx context.Context, id int64) error
	FindCampaign(ctx context.Context, id int64) (*Campaign, error)
	FindCampaignByName(ctx context.Context, name string) (*Campaign, error)
	FindCampaigns(ctx context.Context, f CampaignFilter) ([]*Campaign, error)
}
