package centralita

import (
	"context"
	"time"
)

// BlacklistAll is the campaign of a blacklist entry that applies to every campaign.
const BlacklistAll = "*"

// BlacklistEntry is a do-not-call number (Integra admin/addblack).
type BlacklistEntry struct {
	ID    int64  `db:"id" json:"id"`
	Phone string `db:"phone" json:"phone"`
	// Campaign is a campaign name, or BlacklistAll.
	Campaign  string    `db:"campaign" json:"campaign"`
	Username  string    `db:"username" json:"username"`
	Company   string    `db:"company" json:"company"`
	JobTitle  string    `db:"job_title" json:"job_title"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// BlacklistService stores the do-not-call list.
type BlacklistService interface {
	// AddBlacklist inserts e; the same phone and campaign again is not an error.
	AddBlacklist(ctx context.Context, e *BlacklistEntry) error
	// Blacklisted reports whether phone may not be called for campaign
	// (an entry for that campaign or for BlacklistAll).
	Blacklisted(ctx context.Context, campaign, phone string) (bool, error)
	RemoveBlacklist(ctx context.Context, campaign, phone string) error
	FindBlacklist(ctx context.Context, campaign string) ([]*BlacklistEntry, error)
}
