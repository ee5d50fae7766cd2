package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// AccessKeyService stores access keys.
type AccessKeyService struct{ db *DB }

// NewAccessKeyService returns the access key store on db.
func NewAccessKeyService(db *DB) *AccessKeyService { return &AccessKeyService{db: db} }

var _ centralita.AccessKeyService = (*AccessKeyService)(nil)

// CreateAccessKey inserts key and sets its ID and CreatedAt.
func (s *AccessKeyService) CreateAccessKey(ctx context.Context, key *centralita.AccessKey) error {
	if strings.TrimSpace(key.Description) == "" {
		return centralita.Errorf(centralita.EINVALID, "an access key needs a description naming the system that uses it")
	}
	if len(key.Hash) != 64 {
		return centralita.Errorf(centralita.EINVALID, "access key hash must be 64 hex characters")
	}
	key.CreatedAt = utc(s.db.now())
	res, err := s.db.db.ExecContext(ctx,
		`INSERT INTO access_keys (description, hash, created_at) VALUES (?, ?, ?)`,
		key.Description, key.Hash, key.CreatedAt)
	if err != nil {
		return s.db.translate(err, "access key")
	}
	key.ID, err = res.LastInsertId()
	return err
}

// FindAccessKeyByHash returns the key with that hash, revoked or not.
func (s *AccessKeyService) FindAccessKeyByHash(ctx context.Context, hash string) (*centralita.AccessKey, error) {
	var k centralita.AccessKey
	err := s.db.db.GetContext(ctx, &k, `SELECT id, description, hash, created_at, last_used_at, revoked_at FROM access_keys WHERE hash = ?`, hash)
	if err != nil {
		return nil, s.db.translate(err, "access key")
	}
	return &k, nil
}

// FindAccessKeys lists every key, oldest first.
func (s *AccessKeyService) FindAccessKeys(ctx context.Context) ([]*centralita.AccessKey, error) {
	keys := []*centralita.AccessKey{}
	err := s.db.db.SelectContext(ctx, &keys, `SELECT id, description, hash, created_at, last_used_at, revoked_at FROM access_keys ORDER BY id`)
	if err != nil {
		return nil, s.db.translate(err, "access keys")
	}
	return keys, nil
}

// RevokeAccessKey marks a key revoked; revoking a revoked key keeps the first time.
func (s *AccessKeyService) RevokeAccessKey(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.db.ExecContext(ctx, `UPDATE access_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, utc(at), id)
	if err != nil {
		return s.db.translate(err, "access key")
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL reports 0 affected rows when nothing changed; tell "absent" from "already revoked".
		var exists int
		if err := s.db.db.GetContext(ctx, &exists, `SELECT COUNT(*) FROM access_keys WHERE id = ?`, id); err != nil {
			return s.db.translate(err, "access key")
		}
		if exists == 0 {
			return centralita.Errorf(centralita.ENOTFOUND, "access key %d not found", id)
		}
	}
	return nil
}

// TouchAccessKeys records last use times in one transaction; a time never moves backwards.
func (s *AccessKeyService) TouchAccessKeys(ctx context.Context, lastUsed map[int64]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(lastUsed))
	for id := range lastUsed {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) // stable lock order
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.db.translate(err, "access key")
	}
	defer tx.Rollback()
	for _, id := range ids {
		t := utc(lastUsed[id])
		if _, err := tx.ExecContext(ctx,
			`UPDATE access_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, t, id, t); err != nil {
			return s.db.translate(err, "access key")
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: touch access keys: %w", s.db.translate(err, "access key"))
	}
	return nil
}
