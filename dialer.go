package centralita

import (
	"context"
	"time"
)

// Dialer is the outbound engine as the facades drive it. Campaigns are
// named by name (uContact) or found by id (eXpand) through CampaignService.
type Dialer interface {
	// AddContacts validates and inserts contacts into a campaign; numbers on
	// the do-not-call list are inserted Rejected. transition starts each
	// contact's state log (TransitionAPI for the eXpand API).
	AddContacts(ctx context.Context, campaignID int64, cs []*Contact, transition string) error
	// UpdateContact edits a contact's number, name, data and enabled flag
	// (eXpand PUT); a contact in flight keeps its call.
	UpdateContact(ctx context.Context, c *Contact) error
	// Respool puts a dialer record back in the pool with modified data (Integra Dialers/Respool).
	Respool(ctx context.Context, r RespoolRequest) error
	// Schedule schedules a call at r.At (ScheduleDialerCall, DialerTask mode 4, callbacks).
	Schedule(ctx context.Context, r ScheduleRequest) error
	// Task runs one of Integra DialerTask's four modes.
	Task(ctx context.Context, t DialerTask) error
	// RemoveContact cancels every pending contact of the campaign with that number.
	RemoveContact(ctx context.Context, campaign, number string) (int, error)
	// RemoveScheduled cancels the campaign's scheduled calls to number due in [from, to].
	RemoveScheduled(ctx context.Context, campaign, number string, from, to time.Time) (int, error)
	// Dispose records an agent's disposition of a call and applies its
	// configured action; ENOTFOUND when no such disposition is configured.
	Dispose(ctx context.Context, d *CallDisposition) (*Disposition, error)
	// UploadBase starts loading a base in the Integra format in the
	// background and returns its job id.
	UploadBase(ctx context.Context, u BaseUpload) (string, error)
	// Jobs lists the running and recent long jobs (base uploads); CancelJob stops one.
	Jobs(ctx context.Context) ([]Job, error)
	CancelJob(ctx context.Context, id string) error
	// Status returns the live state of every campaign.
	Status(ctx context.Context) ([]CampaignStatus, error)
	// Reload re-reads the campaigns after a configuration change.
	Reload(ctx context.Context) error
}

// RespoolRequest is Integra's Respool object (rest-integra.md §6.2).
type RespoolRequest struct {
	Campaign     string   `json:"campaign"`
	Destination  string   `json:"destination"`
	DialerBase   string   `json:"dialerbase"`
	Status       int      `json:"status"`
	Data         string   `json:"data"`
	Alternatives []string `json:"-"`
	Contact      int64    `json:"contact"`
	Retries      int      `json:"retries"`
	Priority     int      `json:"priority"`
	AgentPhone   string   `json:"agentphone"`
}

// ScheduleRequest schedules a call of a campaign at At, optionally for one agent.
type ScheduleRequest struct {
	Campaign     string
	At           time.Time
	Destination  string
	Alternatives []string
	// Agent is an agent username or number, or an agent phone; "" = anyone.
	Agent string
	Data  string
}

// DialerTask is Integra's DialerTask call object (rest-integra.md §6.4).
type DialerTask struct {
	// CallDate nil means now (modes 1–3).
	CallDate     *time.Time
	Campaign     string
	Destination  string
	Alternatives []string
	Agent        string
	Data         string
	Source       string
	Bulk         bool
	Automatic    bool
}

// BaseUpload is a base (dialer list) file in the Integra format:
// campaign;number;k=v:k=v;alt1:alt2;priority;agentphone per line.
type BaseUpload struct {
	Campaign, Filename, Username string
	// Content is the decoded file.
	Content []byte
	// Declared is the record count the caller announced (cant); 0 = unknown.
	Declared int
	// TimeZone applies to every contact of the base ("" = the campaign's).
	TimeZone string
}

// JobState is where a long job is.
type JobState string

// The job states.
const (
	JobRunning  JobState = "running"
	JobDone     JobState = "done"
	JobFailed   JobState = "failed"
	JobCanceled JobState = "canceled"
)

// Job is a long-running piece of work (a base upload), with its progress.
type Job struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	Description string   `json:"description"`
	State       JobState `json:"state"`
	Done        int64    `json:"done"`
	Total       int64    `json:"total"`
	Rejected    int64    `json:"rejected"`
	// Rejections are the first rejected lines with their reasons (all are logged).
	Rejections []Rejection `json:"rejections"`
	Error      string      `json:"error,omitempty"`
	StartedAt  time.Time   `json:"started_at"`
	EndedAt    *time.Time  `json:"ended_at,omitempty"`
}

// Rejection is one input line refused, and why.
type Rejection struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// CampaignStatus is a campaign's live figures.
type CampaignStatus struct {
	Campaign Campaign
	// Contacts by state, and those due now.
	Pending, Completed, Rejected, Canceled, Due int
	// Lines dialling now, and calls answered and waiting for an agent.
	Dialing, Waiting int
	// Today's counters: dialled, answered live, abandoned, connected.
	Dialed, Answered, Abandoned, Connected int
	// AbandonRate30d and AbandonRate24h are percentages of live answers.
	AbandonRate30d, AbandonRate24h float64
	// Ratio is the lines per free agent the pacer used last.
	Ratio float64
}
