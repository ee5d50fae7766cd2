package store

import (
	"context"

	"github.com/centralita/centralita"
)

// CDRService stores call detail records in Asterisk's cdr table.
type CDRService struct{ db *DB }

// NewCDRService returns the CDR store on db.
func NewCDRService(db *DB) *CDRService { return &CDRService{db: db} }

var _ centralita.CDRService = (*CDRService)(nil)

const cdrColumns = `calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata,
	duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, linkedid, peeraccount, sequence`

// CreateCDR inserts cdr and sets its ID. calldate is stored in UTC, whole seconds, as Asterisk does.
func (s *CDRService) CreateCDR(ctx context.Context, c *centralita.CDR) error {
	if c.CallDate.IsZero() {
		return centralita.Errorf(centralita.EINVALID, "cdr needs a calldate")
	}
	if c.Duration < 0 || c.BillSec < 0 || c.BillSec > c.Duration {
		return centralita.Errorf(centralita.EINVALID, "cdr: duration %d and billsec %d: want 0 <= billsec <= duration", c.Duration, c.BillSec)
	}
	c.CallDate = c.CallDate.UTC().Truncate(1e9)
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO cdr (`+cdrColumns+`) VALUES (
		:calldate, :clid, :src, :dst, :dcontext, :channel, :dstchannel, :lastapp, :lastdata,
		:duration, :billsec, :disposition, :amaflags, :accountcode, :uniqueid, :userfield, :linkedid, :peeraccount, :sequence)`, c)
	if err != nil {
		return s.db.translate(err, "cdr")
	}
	c.ID, err = res.LastInsertId()
	return err
}

// FindCDRs returns the records that match filter, oldest first.
func (s *CDRService) FindCDRs(ctx context.Context, f centralita.CDRFilter) ([]*centralita.CDR, error) {
	var c conds
	c.between("calldate", f.From, f.To)
	c.eq("uniqueid", f.UniqueID)
	c.eq("linkedid", f.LinkedID)
	c.eq("src", f.Src)
	c.eq("dst", f.Dst)
	q, args := c.query(`SELECT id, `+cdrColumns+` FROM cdr`, "calldate, id", f.Offset, f.Limit)
	out := []*centralita.CDR{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "cdr")
	}
	return out, nil
}
