package store

import (
	"context"
	"fmt"

	"github.com/centralita/centralita"
)

// OriginationService stores click-to-call jobs.
type OriginationService struct{ db *DB }

// NewOriginationService returns the origination store on db.
func NewOriginationService(db *DB) *OriginationService { return &OriginationService{db: db} }

var _ centralita.OriginationService = (*OriginationService)(nil)

const originationColumns = `id, src, src_callerid, dst, dst_callerid, timeout_sec, callinfo, status,
	src_channel, dst_channel, bridge, cause, key_id, created_at, answered_at, ended_at`

// CreateOrigination inserts a job; a taken id is ECONFLICT.
func (s *OriginationService) CreateOrigination(ctx context.Context, o *centralita.Origination) error {
	if o.ID == "" || o.Src == "" || o.Dst == "" {
		return centralita.Errorf(centralita.EINVALID, "an origination needs an id, a source and a destination")
	}
	o.CreatedAt = utc(o.CreatedAt)
	if o.CreatedAt.IsZero() {
		o.CreatedAt = utc(s.db.now())
	}
	o.AnsweredAt, o.EndedAt = utcPtr(o.AnsweredAt), utcPtr(o.EndedAt)
	_, err := s.db.db.NamedExecContext(ctx, `INSERT INTO originations (`+originationColumns+`) VALUES (
		:id, :src, :src_callerid, :dst, :dst_callerid, :timeout_sec, :callinfo, :status,
		:src_channel, :dst_channel, :bridge, :cause, :key_id, :created_at, :answered_at, :ended_at)`, o)
	return s.db.translate(err, fmt.Sprintf("origination %q", o.ID))
}

// UpdateOrigination writes the job's status, channels, bridge, cause and times.
func (s *OriginationService) UpdateOrigination(ctx context.Context, o *centralita.Origination) error {
	o.AnsweredAt, o.EndedAt = utcPtr(o.AnsweredAt), utcPtr(o.EndedAt)
	res, err := s.db.db.NamedExecContext(ctx, `UPDATE originations SET status = :status,
		src_channel = :src_channel, dst_channel = :dst_channel, bridge = :bridge, cause = :cause,
		answered_at = :answered_at, ended_at = :ended_at WHERE id = :id`, o)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("origination %q", o.ID))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts changed rows only: check the job exists.
		if _, err := s.FindOrigination(ctx, o.ID); err != nil {
			return err
		}
	}
	return nil
}

// FindOrigination returns the job with that id.
func (s *OriginationService) FindOrigination(ctx context.Context, id string) (*centralita.Origination, error) {
	var o centralita.Origination
	if err := s.db.db.GetContext(ctx, &o, `SELECT `+originationColumns+` FROM originations WHERE id = ?`, id); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("origination %q", id))
	}
	return &o, nil
}

// FindOpenOriginations lists the jobs that have not ended, oldest first.
func (s *OriginationService) FindOpenOriginations(ctx context.Context) ([]*centralita.Origination, error) {
	out := []*centralita.Origination{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT `+originationColumns+` FROM originations WHERE ended_at IS NULL ORDER BY created_at`); err != nil {
		return nil, s.db.translate(err, "originations")
	}
	return out, nil
}
