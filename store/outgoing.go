package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// OutgoingCallService stores the agents' pending outgoing calls.
type OutgoingCallService struct{ db *DB }

// NewOutgoingCallService returns the outgoing call store on db.
func NewOutgoingCallService(db *DB) *OutgoingCallService { return &OutgoingCallService{db: db} }

var _ centralita.OutgoingCallService = (*OutgoingCallService)(nil)

const outgoingColumns = `id, queue_name, phones, contact, subject, calldate, expiration_sec,
	agent, status, links, created_at, updated_at`

// outgoingRow is an outgoing_calls row; phones and links are JSON.
type outgoingRow struct {
	ID            int64     `db:"id"`
	Queue         string    `db:"queue_name"`
	Phones        string    `db:"phones"`
	Contact       string    `db:"contact"`
	Subject       string    `db:"subject"`
	CallDate      time.Time `db:"calldate"`
	ExpirationSec int       `db:"expiration_sec"`
	// ExpiresAt is CallDate + ExpirationSec, nil when it never expires.
	ExpiresAt *time.Time `db:"expires_at"`
	Agent     string     `db:"agent"`
	Status    string     `db:"status"`
	Links     string     `db:"links"`
	CreatedAt time.Time  `db:"created_at"`
	UpdatedAt time.Time  `db:"updated_at"`
}

// outgoingToRow validates c and converts it to its row.
func outgoingToRow(c *centralita.OutgoingCall) (*outgoingRow, error) {
	if c == nil {
		return nil, centralita.Errorf(centralita.EINVALID, "no outgoing call given")
	}
	if c.Status == "" {
		c.Status = centralita.OutgoingPending
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	phones, err := json.Marshal(c.Phones)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "phones")
	}
	links := []byte(`{}`)
	if len(c.Links) > 0 {
		if links, err = json.Marshal(c.Links); err != nil {
			return nil, centralita.WrapError(centralita.EINVALID, err, "links")
		}
	}
	r := &outgoingRow{ID: c.ID, Queue: c.Queue, Phones: string(phones), Contact: c.Contact, Subject: c.Subject,
		CallDate: utc(c.CallDate), ExpirationSec: c.ExpirationSec, Agent: c.Agent, Status: string(c.Status),
		Links: string(links), CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt)}
	if exp := c.ExpiresAt(); !exp.IsZero() {
		r.ExpiresAt = utcPtr(&exp)
	}
	return r, nil
}

// call converts a row to the domain type.
func (r *outgoingRow) call() (*centralita.OutgoingCall, error) {
	c := &centralita.OutgoingCall{ID: r.ID, Queue: r.Queue, Contact: r.Contact, Subject: r.Subject,
		CallDate: r.CallDate, ExpirationSec: r.ExpirationSec, Agent: r.Agent,
		Status: centralita.OutgoingStatus(r.Status), Links: map[string]string{},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Phones), &c.Phones); err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "outgoing call %d: stored phones", r.ID)
	}
	if err := json.Unmarshal([]byte(r.Links), &c.Links); err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "outgoing call %d: stored links", r.ID)
	}
	return c, nil
}

// CreateOutgoingCall inserts c (PENDING when Status is empty) and sets its
// ID, CreatedAt and UpdatedAt.
func (s *OutgoingCallService) CreateOutgoingCall(ctx context.Context, c *centralita.OutgoingCall) error {
	now := utc(s.db.now())
	c.CreatedAt, c.UpdatedAt = now, now
	r, err := outgoingToRow(c)
	if err != nil {
		return err
	}
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO outgoing_calls (queue_name, phones, contact, subject,
		calldate, expiration_sec, expires_at, agent, status, links, created_at, updated_at)
		VALUES (:queue_name, :phones, :contact, :subject, :calldate, :expiration_sec, :expires_at, :agent,
		:status, :links, :created_at, :updated_at)`, r)
	if err != nil {
		return s.db.translate(err, "outgoing call")
	}
	c.ID, err = res.LastInsertId()
	return s.db.translate(err, "outgoing call")
}

// UpdateOutgoingCall replaces every field of call c.ID but CreatedAt,
// which it reads back, and sets UpdatedAt; ENOTFOUND when absent.
func (s *OutgoingCallService) UpdateOutgoingCall(ctx context.Context, c *centralita.OutgoingCall) error {
	what := fmt.Sprintf("outgoing call %d", c.ID)
	cur, err := s.FindOutgoingCall(ctx, c.ID)
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = cur.CreatedAt, utc(s.db.now())
	r, err := outgoingToRow(c)
	if err != nil {
		return err
	}
	_, err = s.db.db.NamedExecContext(ctx, `UPDATE outgoing_calls SET queue_name = :queue_name,
		phones = :phones, contact = :contact, subject = :subject, calldate = :calldate,
		expiration_sec = :expiration_sec, expires_at = :expires_at, agent = :agent, status = :status,
		links = :links, updated_at = :updated_at WHERE id = :id`, r)
	return s.db.translate(err, what)
}

// FindOutgoingCall returns the call with that id, whatever its status.
func (s *OutgoingCallService) FindOutgoingCall(ctx context.Context, id int64) (*centralita.OutgoingCall, error) {
	var r outgoingRow
	if err := s.db.db.GetContext(ctx, &r, `SELECT `+outgoingColumns+` FROM outgoing_calls WHERE id = ?`, id); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("outgoing call %d", id))
	}
	return r.call()
}

// FindOutgoingCalls returns the calls f selects, by calldate then id, at
// most f.Limit (OutgoingDefaultLimit when 0). From
// and To bound calldate inclusively. EXPIRED and PENDING are told apart at
// f.Now (the store's clock when zero).
func (s *OutgoingCallService) FindOutgoingCalls(ctx context.Context, f centralita.OutgoingFilter) ([]*centralita.OutgoingCall, error) {
	if f.Offset < 0 || f.Limit < 0 || f.Limit > centralita.OutgoingMaxLimit {
		return nil, centralita.Errorf(centralita.EINVALID, "offset must not be negative, limit must be 0 to %d", centralita.OutgoingMaxLimit)
	}
	if f.Limit == 0 {
		f.Limit = centralita.OutgoingDefaultLimit
	}
	now := f.Now
	if now.IsZero() {
		now = s.db.now()
	}
	var c conds
	c.eq("queue_name", f.Queue)
	c.eq("agent", f.Agent)
	if f.Phone != "" {
		p, _ := json.Marshal(f.Phone)
		c.where, c.args = append(c.where, `phones LIKE ? ESCAPE '!'`), append(c.args, likePattern(string(p)))
	}
	if !f.From.IsZero() {
		c.where, c.args = append(c.where, "calldate >= ?"), append(c.args, utc(f.From))
	}
	if !f.To.IsZero() {
		c.where, c.args = append(c.where, "calldate <= ?"), append(c.args, utc(f.To))
	}
	switch f.Status {
	case "":
		c.where, c.args = append(c.where, "status <> ?"), append(c.args, string(centralita.OutgoingCanceled))
	case centralita.OutgoingPending:
		c.where = append(c.where, "status = ? AND (expires_at IS NULL OR expires_at > ?)")
		c.args = append(c.args, string(centralita.OutgoingPending), utc(now))
	case centralita.OutgoingExpired:
		c.where = append(c.where, "status = ? AND expires_at IS NOT NULL AND expires_at <= ?")
		c.args = append(c.args, string(centralita.OutgoingPending), utc(now))
	case centralita.OutgoingCompleted, centralita.OutgoingCanceled:
		c.eq("status", string(f.Status))
	default:
		return nil, centralita.Errorf(centralita.EINVALID, "unknown status %q", f.Status)
	}
	if v := f.Visible; v != nil {
		w := "(agent = ?"
		c.args = append(c.args, v.Agent)
		if len(v.Queues) > 0 {
			w += " OR (agent = '' AND queue_name IN (?" + strings.Repeat(", ?", len(v.Queues)-1) + "))"
			for _, q := range v.Queues {
				c.args = append(c.args, q)
			}
		}
		c.where = append(c.where, w+")")
	}
	q, args := c.query(`SELECT `+outgoingColumns+` FROM outgoing_calls`, "calldate, id", f.Offset, f.Limit)
	var rows []outgoingRow
	if err := s.db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.db.translate(err, "outgoing calls")
	}
	out := make([]*centralita.OutgoingCall, 0, len(rows))
	for i := range rows {
		oc, err := rows[i].call()
		if err != nil {
			return nil, err
		}
		out = append(out, oc)
	}
	return out, nil
}
