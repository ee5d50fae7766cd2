package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestOriginationService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewOriginationService(db)
		created := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
		o := &centralita.Origination{ID: "e68af1aa", Src: "701", SrcCallerID: "Juan Perez", Dst: "927126666", DstCallerID: "Netgate",
			TimeoutSec: 20, CallInfo: "01-43-1", Status: centralita.OriginationRinging, SrcChannel: "e68af1aa-src", KeyID: 3, CreatedAt: created}
		require.NoError(t, s.CreateOrigination(ctx, o))
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.CreateOrigination(ctx, o)))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateOrigination(ctx, &centralita.Origination{ID: "x"})))

		open, err := s.FindOpenOriginations(ctx)
		require.NoError(t, err)
		require.Len(t, open, 1)

		answered, ended := created.Add(3*time.Second), created.Add(40*time.Second)
		o.Status, o.DstChannel, o.Bridge, o.AnsweredAt = centralita.OriginationAnswer, "e68af1aa-dst", "e68af1aa-br", &answered
		require.NoError(t, s.UpdateOrigination(ctx, o))
		require.NoError(t, s.UpdateOrigination(ctx, o), "an unchanged update is fine")
		o.Status, o.Cause, o.EndedAt = centralita.OriginationHungup, 16, &ended
		require.NoError(t, s.UpdateOrigination(ctx, o))

		got, err := s.FindOrigination(ctx, "e68af1aa")
		require.NoError(t, err)
		require.Equal(t, centralita.OriginationHungup, got.Status)
		require.Equal(t, "01-43-1", got.CallInfo)
		require.Equal(t, "e68af1aa-br", got.Bridge)
		require.Equal(t, 16, got.Cause)
		require.True(t, ended.Equal(*got.EndedAt))
		require.True(t, answered.Equal(*got.AnsweredAt))
		require.True(t, created.Equal(got.CreatedAt))

		open, err = s.FindOpenOriginations(ctx)
		require.NoError(t, err)
		require.Empty(t, open)
		_, err = s.FindOrigination(ctx, "nope")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.UpdateOrigination(ctx, &centralita.Origination{ID: "nope"})))
	})
}
