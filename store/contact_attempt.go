package store

import (
	"context"
	"fmt"

	"github.com/centralita/centralita"
)

const attemptColumns = `contact_id, campaign_id, number, call_id, agent, started_at, answered_at, ended_at, outcome`

// validateAttempt checks a against the column sizes.
func validateAttempt(a *centralita.Attempt) error {
	switch {
	case a == nil:
		return centralita.Errorf(centralita.EINVALID, "no attempt given")
	case a.ContactID <= 0:
		return centralita.Errorf(centralita.EINVALID, "an attempt needs its contact")
	case a.Number == "" || len(a.Number) > 40:
		return centralita.Errorf(centralita.EINVALID, "attempt number must have 1 to 40 characters")
	case len(a.CallID) > 150:
		return centralita.Errorf(centralita.EINVALID, "attempt call id must have at most 150 characters")
	case len(a.Agent) > 80:
		return centralita.Errorf(centralita.EINVALID, "attempt agent must have at most 80 characters")
	case len(a.Outcome) > 16:
		return centralita.Errorf(centralita.EINVALID, "unknown outcome %q", a.Outcome)
	}
	return nil
}

// CreateAttempt inserts a and sets its ID; a zero StartedAt is the clock's
// time and a zero CampaignID the contact's. ENOTFOUND when the contact does
// not exist.
func (s *ContactService) CreateAttempt(ctx context.Context, a *centralita.Attempt) error {
	if err := validateAttempt(a); err != nil {
		return err
	}
	what := fmt.Sprintf("attempt of contact %d", a.ContactID)
	if a.CampaignID == 0 {
		if err := s.db.db.GetContext(ctx, &a.CampaignID, `SELECT campaign_id FROM contacts WHERE id = ?`, a.ContactID); err != nil {
			return s.db.translate(err, fmt.Sprintf("contact %d", a.ContactID))
		}
	}
	a.StartedAt = utc(a.StartedAt)
	if a.StartedAt.IsZero() {
		a.StartedAt = utc(s.db.now())
	}
	a.AnsweredAt, a.EndedAt = utcPtr(a.AnsweredAt), utcPtr(a.EndedAt)
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO attempts (`+attemptColumns+`) VALUES (
		:contact_id, :campaign_id, :number, :call_id, :agent, :started_at, :answered_at, :ended_at, :outcome)`, a)
	if err != nil {
		err = s.db.translate(err, what)
		if centralita.ErrorKind(err) == centralita.EINVALID {
			if _, ferr := s.FindContact(ctx, a.ContactID); centralita.ErrorKind(ferr) == centralita.ENOTFOUND {
				return ferr
			}
		}
		return err
	}
	a.ID, err = res.LastInsertId()
	return err
}

// UpdateAttempt writes the attempt's call id, agent, answer and end times
// and outcome; ENOTFOUND when absent.
func (s *ContactService) UpdateAttempt(ctx context.Context, a *centralita.Attempt) error {
	if err := validateAttempt(a); err != nil {
		return err
	}
	what := fmt.Sprintf("attempt %d", a.ID)
	a.AnsweredAt, a.EndedAt = utcPtr(a.AnsweredAt), utcPtr(a.EndedAt)
	res, err := s.db.db.NamedExecContext(ctx, `UPDATE attempts SET call_id = :call_id, agent = :agent,
		answered_at = :answered_at, ended_at = :ended_at, outcome = :outcome WHERE id = :id`, a)
	if err != nil {
		return s.db.translate(err, what)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts changed rows only: check the attempt exists.
		var id int64
		if err := s.db.db.GetContext(ctx, &id, `SELECT id FROM attempts WHERE id = ?`, a.ID); err != nil {
			return s.db.translate(err, what)
		}
	}
	return nil
}

// FindAttempts lists a contact's attempts, oldest first.
func (s *ContactService) FindAttempts(ctx context.Context, contactID int64) ([]*centralita.Attempt, error) {
	out := []*centralita.Attempt{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT id, `+attemptColumns+` FROM attempts
		WHERE contact_id = ? ORDER BY started_at, id`, contactID); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("attempts of contact %d", contactID))
	}
	return out, nil
}

// FindOpenAttempts lists the attempts not ended, of every campaign, oldest first.
func (s *ContactService) FindOpenAttempts(ctx context.Context) ([]*centralita.Attempt, error) {
	out := []*centralita.Attempt{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT id, `+attemptColumns+` FROM attempts
		WHERE ended_at IS NULL ORDER BY started_at, id`); err != nil {
		return nil, s.db.translate(err, "open attempts")
	}
	return out, nil
}
