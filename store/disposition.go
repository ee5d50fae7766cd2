package store

import (
	"context"
	"fmt"

	"github.com/centralita/centralita"
)

// DispositionService stores the dispositions configured per campaign and
// the ones agents gave calls.
type DispositionService struct{ db *DB }

// NewDispositionService returns the disposition store on db.
func NewDispositionService(db *DB) *DispositionService { return &DispositionService{db: db} }

var _ centralita.DispositionService = (*DispositionService)(nil)

const dispositionColumns = `campaign, l1, l2, l3, action, completes, txtcode, retry_delay_sec`

const callDispositionColumns = `campaign, agent, callerid, guid, l1, l2, l3, d1, d2, comment,
	schedule, camptoreschedule, tag, created_at`

// validateDisposition checks d and the column sizes.
func validateDisposition(d *centralita.Disposition) error {
	switch {
	case d == nil:
		return centralita.Errorf(centralita.EINVALID, "no disposition given")
	case d.Campaign == "" || len(d.Campaign) > 128:
		return centralita.Errorf(centralita.EINVALID, "disposition campaign must have 1 to 128 characters")
	case d.L1 == "" || len(d.L1) > 128 || len(d.L2) > 128 || len(d.L3) > 128:
		return centralita.Errorf(centralita.EINVALID, "disposition level 1 must have 1 to 128 characters, levels 2 and 3 at most 128")
	case !d.Action.Valid():
		return centralita.Errorf(centralita.EINVALID, "unknown disposition action %q", d.Action)
	case len(d.TxtCode) > 64:
		return centralita.Errorf(centralita.EINVALID, "disposition txtcode must have at most 64 characters")
	case d.RetryDelay < 0:
		return centralita.Errorf(centralita.EINVALID, "disposition retry delay must not be negative")
	}
	return nil
}

// dispositionName names a disposition in messages.
func dispositionName(campaign, l1, l2, l3 string) string {
	return fmt.Sprintf("disposition %q/%q/%q of campaign %q", l1, l2, l3, campaign)
}

// SetDisposition inserts d or replaces the disposition with its campaign
// and levels.
func (s *DispositionService) SetDisposition(ctx context.Context, d *centralita.Disposition) error {
	if err := validateDisposition(d); err != nil {
		return err
	}
	_, err := s.db.db.NamedExecContext(ctx, upsertSQL(s.db.dialect.name, "dispositions",
		[]string{"campaign", "l1", "l2", "l3"}, []string{"action", "completes", "txtcode", "retry_delay_sec"}), d)
	return s.db.translate(err, dispositionName(d.Campaign, d.L1, d.L2, d.L3))
}

// DeleteDisposition removes a configured disposition; ENOTFOUND when absent.
func (s *DispositionService) DeleteDisposition(ctx context.Context, campaign, l1, l2, l3 string) error {
	what := dispositionName(campaign, l1, l2, l3)
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM dispositions WHERE campaign = ? AND l1 = ? AND l2 = ? AND l3 = ?`,
		campaign, l1, l2, l3)
	if err != nil {
		return s.db.translate(err, what)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// FindDisposition returns the disposition configured with exactly those
// campaign and levels; ENOTFOUND when none.
func (s *DispositionService) FindDisposition(ctx context.Context, campaign, l1, l2, l3 string) (*centralita.Disposition, error) {
	var d centralita.Disposition
	if err := s.db.db.GetContext(ctx, &d, `SELECT `+dispositionColumns+` FROM dispositions
		WHERE campaign = ? AND l1 = ? AND l2 = ? AND l3 = ?`, campaign, l1, l2, l3); err != nil {
		return nil, s.db.translate(err, dispositionName(campaign, l1, l2, l3))
	}
	return &d, nil
}

// FindDispositions lists a campaign's dispositions ("" lists every
// campaign's), ordered by campaign and levels.
func (s *DispositionService) FindDispositions(ctx context.Context, campaign string) ([]*centralita.Disposition, error) {
	var c conds
	c.eq("campaign", campaign)
	q, args := c.query(`SELECT `+dispositionColumns+` FROM dispositions`, "campaign, l1, l2, l3", 0, 0)
	out := []*centralita.Disposition{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "dispositions")
	}
	return out, nil
}

// validateCallDisposition checks d against the column sizes.
func validateCallDisposition(d *centralita.CallDisposition) error {
	switch {
	case d == nil:
		return centralita.Errorf(centralita.EINVALID, "no call disposition given")
	case d.Campaign == "" || len(d.Campaign) > 128:
		return centralita.Errorf(centralita.EINVALID, "call disposition campaign must have 1 to 128 characters")
	case d.Agent == "" || len(d.Agent) > 80:
		return centralita.Errorf(centralita.EINVALID, "call disposition agent must have 1 to 80 characters")
	case len(d.CallerID) > 80:
		return centralita.Errorf(centralita.EINVALID, "call disposition callerid must have at most 80 characters")
	case len(d.GUID) > 150:
		return centralita.Errorf(centralita.EINVALID, "call disposition guid must have at most 150 characters")
	case len(d.L1) > 128 || len(d.L2) > 128 || len(d.L3) > 128 || len(d.Reschedule) > 128:
		return centralita.Errorf(centralita.EINVALID, "call disposition levels and camptoreschedule must have at most 128 characters")
	case len(d.D1) > 255 || len(d.D2) > 255 || len(d.Tag) > 255:
		return centralita.Errorf(centralita.EINVALID, "call disposition d1, d2 and tag must have at most 255 characters")
	case len(d.Comment) > maxJSONText:
		return centralita.Errorf(centralita.EINVALID, "call disposition comment must have at most %d bytes", maxJSONText)
	}
	return nil
}

// CreateCallDisposition inserts d and sets its ID, and its CreatedAt when
// zero (the clock's time).
func (s *DispositionService) CreateCallDisposition(ctx context.Context, d *centralita.CallDisposition) error {
	if err := validateCallDisposition(d); err != nil {
		return err
	}
	d.CreatedAt = utc(d.CreatedAt)
	if d.CreatedAt.IsZero() {
		d.CreatedAt = utc(s.db.now())
	}
	d.Schedule = utcPtr(d.Schedule)
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO call_dispositions (`+callDispositionColumns+`) VALUES (
		:campaign, :agent, :callerid, :guid, :l1, :l2, :l3, :d1, :d2, :comment,
		:schedule, :camptoreschedule, :tag, :created_at)`, d)
	if err != nil {
		return s.db.translate(err, "call disposition")
	}
	d.ID, err = res.LastInsertId()
	return err
}

// FindCallDispositions lists the dispositions given, filtered by campaign
// and guid when not empty, oldest first.
func (s *DispositionService) FindCallDispositions(ctx context.Context, campaign, guid string) ([]*centralita.CallDisposition, error) {
	var c conds
	c.eq("campaign", campaign)
	c.eq("guid", guid)
	q, args := c.query(`SELECT id, `+callDispositionColumns+` FROM call_dispositions`, "created_at, id", 0, 0)
	out := []*centralita.CallDisposition{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "call dispositions")
	}
	return out, nil
}
