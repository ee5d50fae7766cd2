package centralita

import (
	"context"
	"time"
)

// AccessKey is an API access key (eXpand's `authorizedKey`). Only a hash of
// the key is stored; the key itself is shown once, when created.
type AccessKey struct {
	ID          int64      `db:"id"`
	Description string     `db:"description"`
	Hash        string     `db:"hash"`
	CreatedAt   time.Time  `db:"created_at"`
	LastUsedAt  *time.Time `db:"last_used_at"`
	RevokedAt   *time.Time `db:"revoked_at"`
}

// Active reports whether the key may still be used.
func (k *AccessKey) Active() bool { return k.RevokedAt == nil }

// AccessKeyService stores access keys.
type AccessKeyService interface {
	// CreateAccessKey inserts key (with its Hash set) and sets its ID.
	CreateAccessKey(ctx context.Context, key *AccessKey) error
	// FindAccessKeyByHash returns the key with that hash, revoked or not.
	FindAccessKeyByHash(ctx context.Context, hash string) (*AccessKey, error)
	// FindAccessKeys lists every key, revoked ones included, oldest first.
	FindAccessKeys(ctx context.Context) ([]*AccessKey, error)
	// RevokeAccessKey marks a key revoked at the given time; revoking twice is a no-op.
	RevokeAccessKey(ctx context.Context, id int64, at time.Time) error
	// TouchAccessKeys records the last use of several keys in one write.
	TouchAccessKeys(ctx context.Context, lastUsed map[int64]time.Time) error
}
