package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/centralita/centralita"
)

// CampaignService stores dialer campaigns.
type CampaignService struct{ db *DB }

// NewCampaignService returns the campaign store on db.
func NewCampaignService(db *DB) *CampaignService { return &CampaignService{db: db} }

var _ centralita.CampaignService = (*CampaignService)(nil)

const campaignColumns = `name, mode, state, queue_name, callerid, max_lines, ring_timeout_sec,
	power_ratio, abandon_limit_pct, time_zone, windows, retries, abandon_message, record, created_at, updated_at`

// maxJSONText is the size of a TEXT column: the windows and retries JSON.
const maxJSONText = 65535

// campaignRow is a campaigns row: the campaign and its JSON columns.
type campaignRow struct {
	centralita.Campaign
	WindowsJSON string `db:"windows"`
	RetriesJSON string `db:"retries"`
}

// campaign decodes the JSON columns into the campaign.
func (r *campaignRow) campaign() (*centralita.Campaign, error) {
	c := r.Campaign
	if err := unmarshalColumn(r.WindowsJSON, &c.Windows); err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "campaign %q: stored windows unreadable", c.Name)
	}
	if err := unmarshalColumn(r.RetriesJSON, &c.Retries); err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "campaign %q: stored retries unreadable", c.Name)
	}
	return &c, nil
}

// unmarshalColumn decodes a JSON column; "" decodes as null.
func unmarshalColumn(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// campaignRowOf validates c (Campaign.Validate and the column sizes) and
// encodes its JSON columns.
func campaignRowOf(c *centralita.Campaign) (*campaignRow, error) {
	if c == nil {
		return nil, centralita.Errorf(centralita.EINVALID, "no campaign given")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch {
	case len(c.Queue) > 128:
		return nil, centralita.Errorf(centralita.EINVALID, "campaign %q: queue name must have at most 128 characters", c.Name)
	case len(c.CallerID) > 80:
		return nil, centralita.Errorf(centralita.EINVALID, "campaign %q: caller id must have at most 80 characters", c.Name)
	case len(c.TimeZone) > 64:
		return nil, centralita.Errorf(centralita.EINVALID, "campaign %q: time zone must have at most 64 characters", c.Name)
	case len(c.AbandonMessage) > 255:
		return nil, centralita.Errorf(centralita.EINVALID, "campaign %q: abandon message must have at most 255 characters", c.Name)
	}
	w, err := json.Marshal(c.Windows)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "campaign %q: windows", c.Name)
	}
	r, err := json.Marshal(c.Retries)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "campaign %q: retries", c.Name)
	}
	if len(w) > maxJSONText || len(r) > maxJSONText {
		return nil, centralita.Errorf(centralita.EINVALID, "campaign %q: too many windows or retry rules", c.Name)
	}
	return &campaignRow{Campaign: *c, WindowsJSON: string(w), RetriesJSON: string(r)}, nil
}

// CreateCampaign inserts c as given (no defaults applied), sets its ID,
// CreatedAt and UpdatedAt; a taken name is ECONFLICT.
func (s *CampaignService) CreateCampaign(ctx context.Context, c *centralita.Campaign) error {
	row, err := campaignRowOf(c)
	if err != nil {
		return err
	}
	now := utc(s.db.now())
	row.CreatedAt, row.UpdatedAt = now, now
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO campaigns (`+campaignColumns+`) VALUES (
		:name, :mode, :state, :queue_name, :callerid, :max_lines, :ring_timeout_sec,
		:power_ratio, :abandon_limit_pct, :time_zone, :windows, :retries, :abandon_message, :record, :created_at, :updated_at)`, row)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("campaign %q", c.Name))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("campaign %q", c.Name))
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	return nil
}

// UpdateCampaign replaces every field of the campaign c.ID (its name too),
// sets its UpdatedAt and reads back its CreatedAt; ENOTFOUND when absent,
// ECONFLICT when the name is another campaign's.
func (s *CampaignService) UpdateCampaign(ctx context.Context, c *centralita.Campaign) error {
	row, err := campaignRowOf(c)
	if err != nil {
		return err
	}
	row.UpdatedAt = utc(s.db.now())
	_, err = s.db.db.NamedExecContext(ctx, `UPDATE campaigns SET name = :name, mode = :mode, state = :state,
		queue_name = :queue_name, callerid = :callerid, max_lines = :max_lines,
		ring_timeout_sec = :ring_timeout_sec, power_ratio = :power_ratio,
		abandon_limit_pct = :abandon_limit_pct, time_zone = :time_zone, windows = :windows,
		retries = :retries, abandon_message = :abandon_message, record = :record, updated_at = :updated_at
		WHERE id = :id`, row)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("campaign %q", c.Name))
	}
	// MySQL counts changed rows only: reading created_at back tells "absent" apart.
	var created time.Time
	if err := s.db.db.GetContext(ctx, &created, `SELECT created_at FROM campaigns WHERE id = ?`, c.ID); err != nil {
		return s.db.translate(err, fmt.Sprintf("campaign %d", c.ID))
	}
	c.CreatedAt, c.UpdatedAt = created, row.UpdatedAt
	return nil
}

// DeleteCampaign removes a campaign and (by cascade) its contacts, their
// logs and attempts; ENOTFOUND when absent. Its blacklist entries and
// dispositions, kept by campaign name, stay.
func (s *CampaignService) DeleteCampaign(ctx context.Context, id int64) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM campaigns WHERE id = ?`, id)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("campaign %d", id))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "campaign %d not found", id)
	}
	return nil
}

// FindCampaign returns the campaign with that id.
func (s *CampaignService) FindCampaign(ctx context.Context, id int64) (*centralita.Campaign, error) {
	return s.findOne(ctx, fmt.Sprintf("campaign %d", id), `id = ?`, id)
}

// FindCampaignByName returns the campaign with that name (compared as the
// database compares names: exactly on SQLite, case-insensitively on MariaDB).
func (s *CampaignService) FindCampaignByName(ctx context.Context, name string) (*centralita.Campaign, error) {
	return s.findOne(ctx, fmt.Sprintf("campaign %q", name), `name = ?`, name)
}

func (s *CampaignService) findOne(ctx context.Context, what, where string, arg any) (*centralita.Campaign, error) {
	var row campaignRow
	if err := s.db.db.GetContext(ctx, &row, `SELECT id, `+campaignColumns+` FROM campaigns WHERE `+where, arg); err != nil {
		return nil, s.db.translate(err, what)
	}
	return row.campaign()
}

// FindCampaigns lists the campaigns in f.State (all when empty), ordered by
// id (default) or name, descending with f.Desc; any other order is EINVALID.
func (s *CampaignService) FindCampaigns(ctx context.Context, f centralita.CampaignFilter) ([]*centralita.Campaign, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, centralita.Errorf(centralita.EINVALID, "unknown campaign state %q", f.State)
	}
	var order string
	switch f.OrderBy {
	case "", "id":
		order = "id"
	case "name":
		order = "LOWER(name)" // regardless of case on both databases
	default:
		return nil, centralita.Errorf(centralita.EINVALID, "campaigns cannot be ordered by %q: want id or name", f.OrderBy)
	}
	if f.Desc {
		order += " DESC"
	}
	if order != "id" && order != "id DESC" {
		order += ", id" // names are unique, but keep the order total
	}
	var c conds
	c.eq("state", string(f.State))
	q, args := c.query(`SELECT id, `+campaignColumns+` FROM campaigns`, order, 0, 0)
	var rows []*campaignRow
	if err := s.db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.db.translate(err, "campaigns")
	}
	out := make([]*centralita.Campaign, 0, len(rows))
	for _, r := range rows {
		c, err := r.campaign()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
