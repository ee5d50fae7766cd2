package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestAccessKeyService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewAccessKeyService(db)
		hash := strings.Repeat("ab", 32)

		k := &centralita.AccessKey{Description: "crm", Hash: hash}
		require.NoError(t, s.CreateAccessKey(ctx, k))
		require.NotZero(t, k.ID)

		err := s.CreateAccessKey(ctx, &centralita.AccessKey{Description: "other", Hash: hash})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateAccessKey(ctx, &centralita.AccessKey{Description: " ", Hash: strings.Repeat("cd", 32)})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateAccessKey(ctx, &centralita.AccessKey{Description: "x", Hash: "short"})))

		got, err := s.FindAccessKeyByHash(ctx, hash)
		require.NoError(t, err)
		require.Equal(t, "crm", got.Description)
		require.True(t, got.Active())
		require.Nil(t, got.LastUsedAt)
		_, err = s.FindAccessKeyByHash(ctx, strings.Repeat("00", 32))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		t1 := time.Date(2026, 11, 21, 10, 0, 0, 123456000, time.UTC)
		require.NoError(t, s.TouchAccessKeys(ctx, map[int64]time.Time{k.ID: t1}))
		// An older time never moves last use backwards.
		require.NoError(t, s.TouchAccessKeys(ctx, map[int64]time.Time{k.ID: t1.Add(-time.Hour)}))
		got, err = s.FindAccessKeyByHash(ctx, hash)
		require.NoError(t, err)
		require.NotNil(t, got.LastUsedAt)
		require.True(t, t1.Equal(*got.LastUsedAt), "last used %v, want %v", got.LastUsedAt, t1)

		revokedAt := time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)
		require.NoError(t, s.RevokeAccessKey(ctx, k.ID, revokedAt))
		require.NoError(t, s.RevokeAccessKey(ctx, k.ID, revokedAt.Add(time.Hour)), "revoking twice is a no-op")
		got, err = s.FindAccessKeyByHash(ctx, hash)
		require.NoError(t, err)
		require.False(t, got.Active())
		require.True(t, revokedAt.Equal(*got.RevokedAt))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.RevokeAccessKey(ctx, 9999, revokedAt)))

		list, err := s.FindAccessKeys(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
}
