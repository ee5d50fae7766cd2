package centralita

import (
	"context"
	"time"
)

// SMSStatus is where an outgoing SMS is in the send queue; the four values
// are eXpand's statusSms results (soap-apiws.md §8.2).
type SMSStatus string

// The SMS statuses.
const (
	SMSPending SMSStatus = "PENDING" // queued, waiting to be sent (or retried)
	SMSSent    SMSStatus = "SENT"    // accepted by the provider
	SMSError   SMSStatus = "ERROR"   // failed for good, or cancelled
	SMSDraft   SMSStatus = "DRAFT"   // stored, never sent until released
)

// SMSDelivery is the final delivery result a provider reported for a sent
// SMS (an SMPP delivery receipt's stat, spelled out); "" while unknown.
type SMSDelivery string

// The delivery results (SMPP v3.4 appendix B message states).
const (
	SMSDelivered   SMSDelivery = "DELIVERED"   // DELIVRD
	SMSUndelivered SMSDelivery = "UNDELIVERED" // UNDELIV
	SMSExpired     SMSDelivery = "EXPIRED"     // EXPIRED
	SMSRejected    SMSDelivery = "REJECTED"    // REJECTD
	SMSDeleted     SMSDelivery = "DELETED"     // DELETED
	SMSUnknown     SMSDelivery = "UNKNOWN"     // UNKNOWN, or a stat not in SMPP
)

// SMSDirection tells outgoing messages from received ones.
type SMSDirection string

// The directions.
const (
	SMSOut SMSDirection = "out"
	SMSIn  SMSDirection = "in"
)

// SMS priorities: 1 is reserved for scheduled messages moved to the spool by
// the scheduler (rest-integra.md §9.4, like the dialer's §6.4 convention);
// everything else is queued at SMSPriorityNormal.
const (
	SMSPriorityScheduled = 1
	SMSPriorityNormal    = 5
)

// SMS is one message to or from one number. A send request to several
// recipients becomes one SMS per recipient sharing a BatchID (the ID of the
// first), which is the id callers track.
type SMS struct {
	ID        int64        `db:"id" json:"id"`
	BatchID   int64        `db:"batch_id" json:"batch_id"`
	Direction SMSDirection `db:"direction" json:"direction"`
	// MsgID is the caller's own identifier (eXpand sendSms msgId), kept verbatim.
	MsgID string `db:"msg_id" json:"msg_id"`
	// Recipient is the destination number (the sender's for inbound messages
	// is Sender); Sender is the source address or caller id, "" = the provider's default.
	Recipient string    `db:"recipient" json:"recipient"`
	Sender    string    `db:"sender" json:"sender"`
	Text      string    `db:"text" json:"text"`
	Status    SMSStatus `db:"status" json:"status"`
	// Delivery is the provider's delivery result, when it reported one.
	Delivery    SMSDelivery `db:"delivery" json:"delivery"`
	DeliveredAt *time.Time  `db:"delivered_at" json:"delivered_at,omitempty"`
	// Parts is how many parts the message was sent as (concatenated SMS);
	// ProviderIDs are the provider's message ids, one per part.
	Parts       int      `db:"parts" json:"parts"`
	ProviderIDs []string `db:"-" json:"provider_ids"`
	// Attempts counts send attempts; NextAt is when the queue may try it
	// (again); nil = at once.
	Attempts int        `db:"attempts" json:"attempts"`
	NextAt   *time.Time `db:"next_at" json:"next_at,omitempty"`
	Priority int        `db:"priority" json:"priority"`
	// Campaign, Agent and Base (the SMS base or "Schedule"+date, §9.4) say
	// where it came from.
	Campaign string `db:"campaign" json:"campaign"`
	Agent    string `db:"agent" json:"agent"`
	Base     string `db:"base" json:"base"`
	// Error is why the last attempt failed.
	Error     string     `db:"error" json:"error,omitempty"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt time.Time  `db:"updated_at" json:"updated_at"`
	SentAt    *time.Time `db:"sent_at" json:"sent_at,omitempty"`
}

// ScheduledSMS is a row of the SMS scheduler (rest-integra.md §9.4's
// sms_scheduler: calldate, campaign, destination, data, plus the text).
type ScheduledSMS struct {
	ID          int64     `db:"id" json:"id"`
	CallDate    time.Time `db:"calldate" json:"calldate"`
	Campaign    string    `db:"campaign" json:"campaign"`
	Destination string    `db:"destination" json:"destination"`
	Message     string    `db:"message" json:"message"`
	Data        string    `db:"data" json:"data"`
	Source      string    `db:"source" json:"source"`
	Agent       string    `db:"agent" json:"agent"`
	// SpooledID is the spool SMS it became; DateProcessed when (nil: not yet).
	SpooledID     int64      `db:"spooled_id" json:"spooled_id"`
	DateProcessed *time.Time `db:"dateprocessed" json:"dateprocessed,omitempty"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
}

// SMSFilter selects SMS in listings; zero fields do not filter.
type SMSFilter struct {
	Direction SMSDirection
	Status    SMSStatus
	Campaign  string
	Base      string
	// From and To bound CreatedAt to [From, To).
	From, To      time.Time
	Offset, Limit int
}

// SMSService stores SMS: the persistent send queue (spool), the parts'
// provider ids, the scheduler table and received messages.
type SMSService interface {
	// CreateSMS inserts outgoing messages in one transaction and sets their
	// ID, BatchID (the first's ID unless set) and timestamps.
	CreateSMS(ctx context.Context, ms []*SMS) error
	// FindSMS returns the message with that id, its ProviderIDs filled in.
	FindSMS(ctx context.Context, id int64) (*SMS, error)
	// FindSMSBatch returns the messages of a batch, by ID; ENOTFOUND when none.
	FindSMSBatch(ctx context.Context, batchID int64) ([]*SMS, error)
	// FindSMSList lists messages matching f, newest first.
	FindSMSList(ctx context.Context, f SMSFilter) ([]*SMS, error)
	// ClaimSMS marks up to limit PENDING outgoing messages due at now
	// (NextAt nil or <= now) claimed by owner, by priority then age, and
	// returns them. A claimed message is not claimed again until released.
	ClaimSMS(ctx context.Context, owner string, now time.Time, limit int) ([]*SMS, error)
	// ReleaseSMSClaims frees messages claimed before the given time (by a
	// process that died); owner "" releases any owner's.
	ReleaseSMSClaims(ctx context.Context, owner string, before time.Time) (int, error)
	// RenewSMSClaim restamps owner's claim on message id at now, before an
	// attempt, so that the lease runs from then; false (no error) when the
	// claim is no longer owner's (it expired and was released or retaken).
	RenewSMSClaim(ctx context.Context, owner string, id int64, now time.Time) (bool, error)
	// FinishSMSAttempt writes the outcome of owner's attempt at a claimed
	// message (status, attempts, next try, error, parts, provider ids, sent
	// time) and releases it; ECONFLICT, writing nothing, when the message is
	// not claimed by owner any more. Error is stored as valid UTF-8, cut to
	// 500 characters.
	FinishSMSAttempt(ctx context.Context, owner string, m *SMS) error
	// RecordSMSDelivery stores a receipt for the part with that provider
	// id; the message's Delivery is set once every part has one (the worst
	// wins). It returns the message; ENOTFOUND for an unknown id.
	RecordSMSDelivery(ctx context.Context, providerID string, d SMSDelivery, at time.Time) (*SMS, error)
	// CancelPendingSMS marks the PENDING, unclaimed messages of a base
	// ERROR ("cancelled") and returns how many.
	CancelPendingSMS(ctx context.Context, base string) (int, error)

	// CreateScheduledSMS adds a row to the scheduler table.
	CreateScheduledSMS(ctx context.Context, s *ScheduledSMS) error
	// SpoolDueSMS moves the scheduled messages due at now into the spool
	// with priority 1 and base "Schedule"+date, in one transaction, and
	// returns them.
	SpoolDueSMS(ctx context.Context, now time.Time) ([]*ScheduledSMS, error)

	// CreateInboundSMS stores a received message; invalid UTF-8 in its
	// fields is replaced, so a garbled message is kept rather than refused.
	CreateInboundSMS(ctx context.Context, m *SMS) error
}

// SMSRequest is a send request from a facade.
type SMSRequest struct {
	// Recipients are one or more numbers.
	Recipients []string
	Text       string
	MsgID      string
	Sender     string
	Campaign   string
	Agent      string
	// Draft stores the messages as DRAFT instead of queueing them.
	Draft bool
}

// SMSSender is the SMS engine as the facades drive it.
type SMSSender interface {
	// Send queues the messages (rows exist before it returns) and returns
	// the batch id; ELIMITED when the caller exceeds the messages-per-second
	// limit, EINVALID for a bad number or text.
	Send(ctx context.Context, r SMSRequest) (int64, error)
	// Status returns the batch's messages; ENOTFOUND for an unknown id.
	Status(ctx context.Context, batchID int64) ([]*SMS, error)
	// Schedule adds a message to the scheduler table, sent in its minute.
	Schedule(ctx context.Context, s *ScheduledSMS) error
	// UploadBase stores every valid line of an SMS base (see the sms
	// package for the format) before it returns, and returns the id of
	// the background job that follows their sending.
	UploadBase(ctx context.Context, u SMSBase) (string, error)
	// List lists messages, inbound ones included (Direction SMSIn).
	List(ctx context.Context, f SMSFilter) ([]*SMS, error)
	// Jobs lists the running and recent long jobs; CancelJob stops one.
	Jobs(ctx context.Context) ([]Job, error)
	CancelJob(ctx context.Context, id string) error
}

// SMSBase is an SMS base file to send (rest-integra.md §9.5, whose format
// the source leaves out).
type SMSBase struct {
	Campaign, Filename, Username string
	// Message is the text for lines that carry none.
	Message string
	Content []byte
	// Declared is the line count the caller announced; 0 = unknown.
	Declared int
}

// BatchStatus folds the statuses of a batch's messages into one, as eXpand
// statusSms reports a job: PENDING while any is pending, else ERROR if any
// failed, else DRAFT if any is a draft, else SENT. With delivery set, a batch
// whose messages all have a delivery result reports it (the first
// non-DELIVERED one, else DELIVERED) instead of SENT.
func BatchStatus(ms []*SMS, delivery bool) string {
	var pending, failed, draft bool
	for _, m := range ms {
		switch m.Status {
		case SMSPending:
			pending = true
		case SMSError:
			failed = true
		case SMSDraft:
			draft = true
		}
	}
	switch {
	case len(ms) == 0:
		return ""
	case pending:
		return string(SMSPending)
	case failed:
		return string(SMSError)
	case draft:
		return string(SMSDraft)
	case !delivery:
		return string(SMSSent)
	}
	result := SMSDelivered
	for _, m := range ms {
		if m.Delivery == "" {
			return string(SMSSent)
		}
		if m.Delivery != SMSDelivered && result == SMSDelivered {
			result = m.Delivery
		}
	}
	return string(result)
}
