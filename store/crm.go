package store

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/centralita/centralita"
)

// CRMPushService records CRM attempts.
type CRMPushService struct{ db *DB }

// NewCRMPushService returns the CRM attempt store on db.
func NewCRMPushService(db *DB) *CRMPushService { return &CRMPushService{db: db} }

var _ centralita.CRMPushService = (*CRMPushService)(nil)

const crmPushColumns = `method, uniqueid, target, attempt, request, response, status, error, duration_ms, created_at`

// Limits of FindCRMPushes.
const (
	defaultCRMPushLimit = 100
	maxCRMPushLimit     = 1000
)

// maxCRMBody is how much of a request, response, error or target is kept.
const maxCRMBody = 4096

// CreateCRMPush inserts p and sets its ID, its CreatedAt when zero and its
// Attempt to 1 when zero.
// Method must be one of the CRM* constants and Status "ok", "error" or
// "skipped". Request, response, error and target are cut to 4 KiB and made
// valid UTF-8 (a CRM may answer in Latin-1), so recording never fails on them.
func (s *CRMPushService) CreateCRMPush(ctx context.Context, p *centralita.CRMPush) error {
	if p == nil {
		return centralita.Errorf(centralita.EINVALID, "no CRM push given")
	}
	switch p.Method {
	case centralita.CRMGetCallerIDName, centralita.CRMIVRCode, centralita.CRMPushAgentInfo:
	default:
		return centralita.Errorf(centralita.EINVALID, "CRM method %q: want %s, %s or %s", p.Method,
			centralita.CRMGetCallerIDName, centralita.CRMIVRCode, centralita.CRMPushAgentInfo)
	}
	switch {
	case p.Status != "ok" && p.Status != "error" && p.Status != "skipped":
		return centralita.Errorf(centralita.EINVALID, "CRM push status %q: want ok, error or skipped", p.Status)
	case p.Attempt < 0:
		return centralita.Errorf(centralita.EINVALID, "CRM push attempt %d: attempts count from 1", p.Attempt)
	case p.DurationMS < 0:
		return centralita.Errorf(centralita.EINVALID, "CRM push duration must not be negative")
	case len(p.UniqueID) > 150:
		return centralita.Errorf(centralita.EINVALID, "CRM push uniqueid must have at most 150 characters")
	}
	if p.Attempt == 0 {
		p.Attempt = 1
	}
	p.Request, p.Response = clip(p.Request, maxCRMBody), clip(p.Response, maxCRMBody)
	p.Error, p.Target = clip(p.Error, maxCRMBody), clip(p.Target, 1024)
	p.CreatedAt = utc(p.CreatedAt)
	if p.CreatedAt.IsZero() {
		p.CreatedAt = utc(s.db.now())
	}
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO crm_pushes (`+crmPushColumns+`) VALUES (
		:method, :uniqueid, :target, :attempt, :request, :response, :status, :error, :duration_ms, :created_at)`, p)
	if err != nil {
		return s.db.translate(err, "CRM push")
	}
	p.ID, err = res.LastInsertId()
	return err
}

// FindCRMPushes returns the attempts that match f, newest first; the limit
// is 100 when not given and at most 1000.
func (s *CRMPushService) FindCRMPushes(ctx context.Context, f centralita.CRMPushFilter) ([]*centralita.CRMPush, error) {
	var c conds
	c.between("created_at", f.From, f.To)
	c.eq("method", f.Method)
	c.eq("uniqueid", f.UniqueID)
	c.eq("status", f.Status)
	limit := f.Limit
	if limit <= 0 {
		limit = defaultCRMPushLimit
	}
	limit = min(limit, maxCRMPushLimit)
	q, args := c.query(`SELECT id, `+crmPushColumns+` FROM crm_pushes`, "created_at DESC, id DESC", f.Offset, limit)
	out := []*centralita.CRMPush{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "CRM pushes")
	}
	return out, nil
}

// clip makes s valid UTF-8 and cuts it to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
