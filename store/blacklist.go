package store

import (
	"context"
	"fmt"

	"github.com/centralita/centralita"
)

// BlacklistService stores the do-not-call list.
type BlacklistService struct{ db *DB }

// NewBlacklistService returns the do-not-call store on db.
func NewBlacklistService(db *DB) *BlacklistService { return &BlacklistService{db: db} }

var _ centralita.BlacklistService = (*BlacklistService)(nil)

const blacklistColumns = `phone, campaign, username, company, job_title, name, created_at`

// validateBlacklist checks e against the column sizes.
func validateBlacklist(e *centralita.BlacklistEntry) error {
	switch {
	case e == nil:
		return centralita.Errorf(centralita.EINVALID, "no blacklist entry given")
	case e.Phone == "" || len(e.Phone) > 40:
		return centralita.Errorf(centralita.EINVALID, "blacklisted phone must have 1 to 40 characters")
	case e.Campaign == "" || len(e.Campaign) > 128:
		return centralita.Errorf(centralita.EINVALID, "blacklist campaign must be a campaign name of 1 to 128 characters or %q", centralita.BlacklistAll)
	case len(e.Username) > 80:
		return centralita.Errorf(centralita.EINVALID, "blacklist username must have at most 80 characters")
	case len(e.Company) > 128 || len(e.JobTitle) > 128 || len(e.Name) > 128:
		return centralita.Errorf(centralita.EINVALID, "blacklist company, job title and name must have at most 128 characters")
	}
	return nil
}

// AddBlacklist inserts e and sets its ID and CreatedAt (the clock's time
// when zero). The same campaign and phone again is not an error: the entry
// keeps its ID and CreatedAt, which are read back into e, and takes e's
// username, company, job title and name.
func (s *BlacklistService) AddBlacklist(ctx context.Context, e *centralita.BlacklistEntry) error {
	if err := validateBlacklist(e); err != nil {
		return err
	}
	what := fmt.Sprintf("blacklist entry %q of campaign %q", e.Phone, e.Campaign)
	e.CreatedAt = utc(e.CreatedAt)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = utc(s.db.now())
	}
	q := `INSERT INTO blacklist (` + blacklistColumns + `) VALUES
		(:phone, :campaign, :username, :company, :job_title, :name, :created_at)`
	if s.db.dialect.name == "mysql" {
		q += ` ON DUPLICATE KEY UPDATE username = VALUES(username), company = VALUES(company),
			job_title = VALUES(job_title), name = VALUES(name)`
	} else {
		q += ` ON CONFLICT (campaign, phone) DO UPDATE SET username = excluded.username,
			company = excluded.company, job_title = excluded.job_title, name = excluded.name`
	}
	_, err := s.db.db.NamedExecContext(ctx, q, e)
	if err != nil {
		return s.db.translate(err, what)
	}
	var got centralita.BlacklistEntry
	if err := s.db.db.GetContext(ctx, &got, `SELECT id, created_at FROM blacklist WHERE campaign = ? AND phone = ?`, e.Campaign, e.Phone); err != nil {
		return s.db.translate(err, what)
	}
	e.ID, e.CreatedAt = got.ID, got.CreatedAt
	return nil
}

// Blacklisted reports whether phone has an entry for campaign or for
// BlacklistAll.
func (s *BlacklistService) Blacklisted(ctx context.Context, campaign, phone string) (bool, error) {
	var n int
	if err := s.db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM blacklist WHERE campaign IN (?, ?) AND phone = ?`,
		campaign, centralita.BlacklistAll, phone); err != nil {
		return false, s.db.translate(err, "blacklist")
	}
	return n > 0, nil
}

// RemoveBlacklist deletes the entry of that campaign (or BlacklistAll) and
// phone; ENOTFOUND when absent.
func (s *BlacklistService) RemoveBlacklist(ctx context.Context, campaign, phone string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM blacklist WHERE campaign = ? AND phone = ?`, campaign, phone)
	if err != nil {
		return s.db.translate(err, "blacklist")
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "phone %q is not blacklisted for campaign %q", phone, campaign)
	}
	return nil
}

// FindBlacklist lists the entries of campaign exactly (BlacklistAll lists
// the global ones; "" every entry), ordered by campaign and phone.
func (s *BlacklistService) FindBlacklist(ctx context.Context, campaign string) ([]*centralita.BlacklistEntry, error) {
	var c conds
	c.eq("campaign", campaign)
	q, args := c.query(`SELECT id, `+blacklistColumns+` FROM blacklist`, "campaign, phone", 0, 0)
	out := []*centralita.BlacklistEntry{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "blacklist")
	}
	return out, nil
}
