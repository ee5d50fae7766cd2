package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/centralita/centralita"
)

// SMSService stores SMS: the send queue (sms_spool, which keeps sent
// messages as the archive), their parts (sms_parts), the scheduler table
// (sms_scheduler) and received messages (sms_inbound).
type SMSService struct {
	db  *DB
	loc *time.Location // the zone of the scheduler's base names
}

// NewSMSService returns the SMS store on db; scheduler base names use
// time.Local until InLocation.
func NewSMSService(db *DB) *SMSService { return &SMSService{db: db, loc: time.Local} }

// InLocation returns a copy of the service whose scheduler base names
// ("Schedule"+date) read the calldate in loc (the server's --timezone).
func (s *SMSService) InLocation(loc *time.Location) *SMSService {
	cp := *s
	if loc != nil {
		cp.loc = loc
	}
	return &cp
}

// maxSMSError is the length of sms_spool.error, in characters.
const maxSMSError = 500

// validText replaces invalid UTF-8 (which MariaDB refuses, Error 1366) and
// cuts s to at most n characters, on a character boundary.
func validText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i]
}

var _ centralita.SMSService = (*SMSService)(nil)

// maxSMSLimit bounds a listing or a claim.
const maxSMSLimit = 1000

const smsColumns = `id, batch_id, direction, msg_id, recipient, sender, text, status, delivery,
	delivered_at, parts, attempts, next_at, priority, campaign, agent, base, error, created_at, updated_at, sent_at`

// inboundSelect reads sms_inbound rows as SMS.
const inboundSelect = `SELECT id, id AS batch_id, 'in' AS direction, provider_id AS msg_id, recipient, sender, text,
	'SENT' AS status, '' AS delivery, NULL AS delivered_at, 1 AS parts, 0 AS attempts, NULL AS next_at, 0 AS priority,
	'' AS campaign, '' AS agent, '' AS base, '' AS error, created_at, created_at AS updated_at, created_at AS sent_at
	FROM sms_inbound`

// CreateSMS inserts ms in one transaction; see centralita.SMSService. A
// zero Priority is SMSPriorityNormal, an empty Status PENDING.
func (s *SMSService) CreateSMS(ctx context.Context, ms []*centralita.SMS) error {
	if len(ms) == 0 {
		return nil
	}
	now := utc(s.db.now())
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.db.translate(err, "sms")
	}
	defer tx.Rollback()
	batch := ms[0].BatchID
	for _, m := range ms {
		if m.Recipient == "" {
			return centralita.Errorf(centralita.EINVALID, "an SMS needs a recipient")
		}
		if m.Priority == 0 {
			m.Priority = centralita.SMSPriorityNormal
		}
		if m.Status == "" {
			m.Status = centralita.SMSPending
		}
		m.Direction = centralita.SMSOut
		m.CreatedAt, m.UpdatedAt = now, now
		m.NextAt, m.SentAt, m.DeliveredAt = utcPtr(m.NextAt), utcPtr(m.SentAt), utcPtr(m.DeliveredAt)
		m.BatchID = batch
		res, err := tx.NamedExecContext(ctx, `INSERT INTO sms_spool (batch_id, direction, msg_id, recipient, sender, text,
			status, delivery, delivered_at, parts, attempts, next_at, priority, campaign, agent, base, error, created_at, updated_at, sent_at)
			VALUES (:batch_id, :direction, :msg_id, :recipient, :sender, :text, :status, :delivery, :delivered_at, :parts,
			:attempts, :next_at, :priority, :campaign, :agent, :base, :error, :created_at, :updated_at, :sent_at)`, m)
		if err != nil {
			return s.db.translate(err, "sms")
		}
		if m.ID, err = res.LastInsertId(); err != nil {
			return s.db.translate(err, "sms")
		}
		if batch == 0 {
			batch = m.ID
			m.BatchID = batch
			if _, err := tx.ExecContext(ctx, `UPDATE sms_spool SET batch_id = ? WHERE id = ?`, batch, m.ID); err != nil {
				return s.db.translate(err, "sms")
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return s.db.translate(err, "sms")
	}
	return nil
}

// FindSMS returns the outgoing message with that id and its provider ids.
func (s *SMSService) FindSMS(ctx context.Context, id int64) (*centralita.SMS, error) {
	var m centralita.SMS
	if err := s.db.db.GetContext(ctx, &m, `SELECT `+smsColumns+` FROM sms_spool WHERE id = ?`, id); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("sms %d", id))
	}
	if err := s.fillParts(ctx, []*centralita.SMS{&m}); err != nil {
		return nil, err
	}
	return &m, nil
}

// FindSMSBatch returns the messages of a batch by id; ENOTFOUND when none.
func (s *SMSService) FindSMSBatch(ctx context.Context, batchID int64) ([]*centralita.SMS, error) {
	out := []*centralita.SMS{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT `+smsColumns+` FROM sms_spool WHERE batch_id = ? ORDER BY id`, batchID); err != nil {
		return nil, s.db.translate(err, "sms")
	}
	if len(out) == 0 {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "sms %d not found", batchID)
	}
	return out, s.fillParts(ctx, out)
}

// fillParts sets ProviderIDs of ms from sms_parts.
func (s *SMSService) fillParts(ctx context.Context, ms []*centralita.SMS) error {
	if len(ms) == 0 {
		return nil
	}
	byID := make(map[int64]*centralita.SMS, len(ms))
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		m.ProviderIDs = []string{}
		byID[m.ID] = m
		ids = append(ids, m.ID)
	}
	q, args, err := sqlx.In(`SELECT sms_id, provider_id FROM sms_parts WHERE sms_id IN (?) ORDER BY sms_id, seq`, ids)
	if err != nil {
		return centralita.WrapError(centralita.EINTERNAL, err, "sms parts query")
	}
	var rows []struct {
		SMSID      int64  `db:"sms_id"`
		ProviderID string `db:"provider_id"`
	}
	if err := s.db.db.SelectContext(ctx, &rows, s.db.db.Rebind(q), args...); err != nil {
		return s.db.translate(err, "sms parts")
	}
	for _, r := range rows {
		m := byID[r.SMSID]
		m.ProviderIDs = append(m.ProviderIDs, r.ProviderID)
	}
	return nil
}

// FindSMSList lists messages matching f, newest first; Direction SMSIn
// lists received messages (Status, Campaign and Base do not apply to them).
func (s *SMSService) FindSMSList(ctx context.Context, f centralita.SMSFilter) ([]*centralita.SMS, error) {
	var c conds
	head := `SELECT ` + smsColumns + ` FROM sms_spool`
	if f.Direction == centralita.SMSIn {
		head = inboundSelect
	} else {
		c.eq("status", string(f.Status))
		c.eq("campaign", f.Campaign)
		c.eq("base", f.Base)
	}
	c.between("created_at", f.From, f.To)
	limit := f.Limit
	if limit <= 0 || limit > maxSMSLimit {
		limit = maxSMSLimit
	}
	q, args := c.query(head, "created_at DESC, id DESC", f.Offset, limit)
	out := []*centralita.SMS{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "sms")
	}
	if f.Direction == centralita.SMSIn {
		for _, m := range out {
			m.ProviderIDs = []string{m.MsgID}
		}
		return out, nil
	}
	return out, s.fillParts(ctx, out)
}

// ClaimSMS claims due PENDING messages for owner; see centralita.SMSService.
// On MariaDB candidates are read FOR UPDATE SKIP LOCKED, so concurrent
// claimers never get the same row; SQLite's BEGIN IMMEDIATE excludes them.
func (s *SMSService) ClaimSMS(ctx context.Context, owner string, now time.Time, limit int) ([]*centralita.SMS, error) {
	out := []*centralita.SMS{}
	if limit <= 0 || owner == "" {
		return out, nil
	}
	limit = min(limit, maxSMSLimit)
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, s.db.translate(err, "sms")
	}
	defer tx.Rollback()
	lock := ""
	if s.db.dialect.name == "mysql" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	if err := tx.SelectContext(ctx, &out, `SELECT `+smsColumns+` FROM sms_spool
		WHERE status = ? AND claimed_by = '' AND direction = 'out' AND (next_at IS NULL OR next_at <= ?)
		ORDER BY priority, created_at, id LIMIT ?`+lock, string(centralita.SMSPending), utc(now), limit); err != nil {
		return nil, s.db.translate(err, "sms")
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	for i, m := range out {
		ids[i] = m.ID
	}
	q, args, err := sqlx.In(`UPDATE sms_spool SET claimed_by = ?, claimed_at = ? WHERE id IN (?)`, owner, utc(now), ids)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "sms claim query")
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return nil, s.db.translate(err, "sms")
	}
	if err := tx.Commit(); err != nil {
		return nil, s.db.translate(err, "sms")
	}
	return out, nil
}

// ReleaseSMSClaims frees the claims taken before the given time, of owner
// or (owner "") of anyone.
func (s *SMSService) ReleaseSMSClaims(ctx context.Context, owner string, before time.Time) (int, error) {
	q, args := `UPDATE sms_spool SET claimed_by = '', claimed_at = NULL WHERE claimed_by <> '' AND claimed_at < ?`, []any{utc(before)}
	if owner != "" {
		q, args = q+` AND claimed_by = ?`, append(args, owner)
	}
	res, err := s.db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, s.db.translate(err, "sms")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// RenewSMSClaim restamps owner's claim on id; see centralita.SMSService.
func (s *SMSService) RenewSMSClaim(ctx context.Context, owner string, id int64, now time.Time) (bool, error) {
	if owner == "" {
		return false, centralita.Errorf(centralita.EINVALID, "a claim owner is required")
	}
	res, err := s.db.db.ExecContext(ctx, `UPDATE sms_spool SET claimed_at = ? WHERE id = ? AND claimed_by = ?`, utc(now), id, owner)
	if err != nil {
		return false, s.db.translate(err, fmt.Sprintf("sms %d", id))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.db.translate(err, fmt.Sprintf("sms %d", id))
	}
	return n > 0, nil
}

// FinishSMSAttempt writes the outcome of owner's attempt and releases the
// claim; the parts (ProviderIDs) replace those stored. ECONFLICT when
// owner no longer holds the claim.
func (s *SMSService) FinishSMSAttempt(ctx context.Context, owner string, m *centralita.SMS) error {
	if owner == "" {
		return centralita.Errorf(centralita.EINVALID, "a claim owner is required")
	}
	m.UpdatedAt = utc(s.db.now())
	m.NextAt, m.SentAt = utcPtr(m.NextAt), utcPtr(m.SentAt)
	m.Error = validText(m.Error, maxSMSError)
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.db.translate(err, "sms")
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE sms_spool SET status = ?, attempts = ?, next_at = ?, error = ?, parts = ?,
		sent_at = ?, updated_at = ?, claimed_by = '', claimed_at = NULL WHERE id = ? AND claimed_by = ?`,
		string(m.Status), m.Attempts, m.NextAt, m.Error, m.Parts, m.SentAt, m.UpdatedAt, m.ID, owner)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("sms %d", m.ID))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("sms %d", m.ID))
	}
	if n == 0 {
		return centralita.Errorf(centralita.ECONFLICT, "sms %d is not claimed by %s", m.ID, owner)
	}
	if len(m.ProviderIDs) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sms_parts WHERE sms_id = ?`, m.ID); err != nil {
			return s.db.translate(err, "sms parts")
		}
		for i, pid := range m.ProviderIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sms_parts (sms_id, seq, provider_id) VALUES (?, ?, ?)`, m.ID, i+1, pid); err != nil {
				return s.db.translate(err, "sms parts")
			}
		}
	}
	return s.db.translate(tx.Commit(), "sms")
}

// deliveryRank orders results for "the worst wins": any failure beats
// DELIVERED.
func deliveryRank(d centralita.SMSDelivery) int {
	if d == centralita.SMSDelivered {
		return 0
	}
	return 1
}

// RecordSMSDelivery stores a receipt; see centralita.SMSService.
func (s *SMSService) RecordSMSDelivery(ctx context.Context, providerID string, d centralita.SMSDelivery, at time.Time) (*centralita.SMS, error) {
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, s.db.translate(err, "sms")
	}
	defer tx.Rollback()
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT sms_id FROM sms_parts WHERE provider_id = ? ORDER BY sms_id DESC LIMIT 1`, providerID); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("sms part %q", providerID))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sms_parts SET delivery = ?, delivered_at = ? WHERE sms_id = ? AND provider_id = ?`,
		string(d), utc(at), id, providerID); err != nil {
		return nil, s.db.translate(err, "sms parts")
	}
	var parts []string
	if err := tx.SelectContext(ctx, &parts, `SELECT delivery FROM sms_parts WHERE sms_id = ? ORDER BY seq`, id); err != nil {
		return nil, s.db.translate(err, "sms parts")
	}
	result := centralita.SMSDelivered
	for _, p := range parts {
		if p == "" {
			result = ""
			break
		}
		if deliveryRank(centralita.SMSDelivery(p)) > deliveryRank(result) {
			result = centralita.SMSDelivery(p)
		}
	}
	if result != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE sms_spool SET delivery = ?, delivered_at = ?, updated_at = ? WHERE id = ?`,
			string(result), utc(at), utc(s.db.now()), id); err != nil {
			return nil, s.db.translate(err, "sms")
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.db.translate(err, "sms")
	}
	return s.FindSMS(ctx, id)
}

// CancelPendingSMS marks the unclaimed PENDING messages of base ERROR.
func (s *SMSService) CancelPendingSMS(ctx context.Context, base string) (int, error) {
	if base == "" {
		return 0, centralita.Errorf(centralita.EINVALID, "a base name is required")
	}
	res, err := s.db.db.ExecContext(ctx, `UPDATE sms_spool SET status = ?, error = 'cancelled', updated_at = ?
		WHERE base = ? AND status = ? AND claimed_by = ''`, string(centralita.SMSError), utc(s.db.now()), base, string(centralita.SMSPending))
	if err != nil {
		return 0, s.db.translate(err, "sms")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CreateScheduledSMS adds a scheduler row and sets its ID and CreatedAt.
func (s *SMSService) CreateScheduledSMS(ctx context.Context, m *centralita.ScheduledSMS) error {
	if m.Destination == "" || m.CallDate.IsZero() {
		return centralita.Errorf(centralita.EINVALID, "a scheduled SMS needs a destination and a calldate")
	}
	m.CallDate, m.CreatedAt, m.DateProcessed = utc(m.CallDate), utc(s.db.now()), nil
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO sms_scheduler (calldate, campaign, destination, message, data,
		source, agent, spooled_id, dateprocessed, created_at) VALUES (:calldate, :campaign, :destination, :message, :data,
		:source, :agent, 0, NULL, :created_at)`, m)
	if err != nil {
		return s.db.translate(err, "scheduled sms")
	}
	m.ID, err = res.LastInsertId()
	return s.db.translate(err, "scheduled sms")
}

// SpoolDueSMS moves the due scheduler rows into the spool; see
// centralita.SMSService. The base name is "Schedule" + the calldate's
// date as YYYYMMDD in the service's zone (InLocation), so the archive tells which were scheduled and for when.
func (s *SMSService) SpoolDueSMS(ctx context.Context, now time.Time) ([]*centralita.ScheduledSMS, error) {
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, s.db.translate(err, "scheduled sms")
	}
	defer tx.Rollback()
	lock := ""
	if s.db.dialect.name == "mysql" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	due := []*centralita.ScheduledSMS{}
	if err := tx.SelectContext(ctx, &due, `SELECT id, calldate, campaign, destination, message, data, source, agent,
		spooled_id, dateprocessed, created_at FROM sms_scheduler WHERE dateprocessed IS NULL AND calldate <= ?
		ORDER BY calldate, id LIMIT ?`+lock, utc(now), maxSMSLimit); err != nil {
		return nil, s.db.translate(err, "scheduled sms")
	}
	stamp := utc(s.db.now())
	processed := utc(now)
	for _, d := range due {
		m := &centralita.SMS{
			Direction: centralita.SMSOut, Recipient: d.Destination, Sender: d.Source, Text: d.Message,
			Status: centralita.SMSPending, Priority: centralita.SMSPriorityScheduled, Campaign: d.Campaign,
			Agent: d.Agent, Base: "Schedule" + d.CallDate.In(s.loc).Format("20060102"), CreatedAt: stamp, UpdatedAt: stamp,
		}
		res, err := tx.NamedExecContext(ctx, `INSERT INTO sms_spool (batch_id, direction, msg_id, recipient, sender, text,
			status, priority, campaign, agent, base, created_at, updated_at) VALUES (0, :direction, '', :recipient, :sender,
			:text, :status, :priority, :campaign, :agent, :base, :created_at, :updated_at)`, m)
		if err != nil {
			return nil, s.db.translate(err, "sms")
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, s.db.translate(err, "sms")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sms_spool SET batch_id = id WHERE id = ?`, id); err != nil {
			return nil, s.db.translate(err, "sms")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sms_scheduler SET spooled_id = ?, dateprocessed = ? WHERE id = ?`, id, processed, d.ID); err != nil {
			return nil, s.db.translate(err, "scheduled sms")
		}
		d.SpooledID, d.DateProcessed = id, &processed
	}
	if err := tx.Commit(); err != nil {
		return nil, s.db.translate(err, "scheduled sms")
	}
	return due, nil
}

// CreateInboundSMS stores a received message (Sender, Recipient, Text and
// MsgID, the provider's id) and sets its ID and CreatedAt.
func (s *SMSService) CreateInboundSMS(ctx context.Context, m *centralita.SMS) error {
	m.Direction, m.Status = centralita.SMSIn, centralita.SMSSent
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.db.now()
	}
	m.CreatedAt = utc(m.CreatedAt)
	m.UpdatedAt = m.CreatedAt
	m.Sender, m.Recipient = validText(m.Sender, 32), validText(m.Recipient, 32)
	m.Text, m.MsgID = strings.ToValidUTF8(m.Text, "\uFFFD"), validText(m.MsgID, 100)
	res, err := s.db.db.ExecContext(ctx, `INSERT INTO sms_inbound (sender, recipient, text, provider_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		m.Sender, m.Recipient, m.Text, m.MsgID, m.CreatedAt)
	if err != nil {
		return s.db.translate(err, "inbound sms")
	}
	m.ID, err = res.LastInsertId()
	m.BatchID = m.ID
	return s.db.translate(err, "inbound sms")
}
