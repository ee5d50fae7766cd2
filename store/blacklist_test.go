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

func TestBlacklistService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewBlacklistService(db)
		start := time.Now().Add(-time.Second)
		e := &centralita.BlacklistEntry{Phone: "099124484", Campaign: "Ventas->", Username: "admin",
			Company: "ACME", JobTitle: "CEO", Name: "Ana"}
		require.NoError(t, s.AddBlacklist(ctx, e))
		require.NotZero(t, e.ID)
		require.False(t, e.CreatedAt.Before(start))
		global := &centralita.BlacklistEntry{Phone: "26001234", Campaign: centralita.BlacklistAll}
		require.NoError(t, s.AddBlacklist(ctx, global))

		// The same campaign and phone again: no error, same entry, new details.
		again := &centralita.BlacklistEntry{Phone: "099124484", Campaign: "Ventas->", Username: "sup", Name: "Ana P."}
		require.NoError(t, s.AddBlacklist(ctx, again))
		require.Equal(t, e.ID, again.ID)
		require.True(t, e.CreatedAt.Equal(again.CreatedAt))

		for _, tc := range []struct {
			campaign, phone string
			want            bool
		}{
			{"Ventas->", "099124484", true},
			{"Otra->", "099124484", false},
			{"Otra->", "26001234", true},
			{"Ventas->", "26001234", true},
			{"Ventas->", "099", false},
			{centralita.BlacklistAll, "099124484", false},
		} {
			got, err := s.Blacklisted(ctx, tc.campaign, tc.phone)
			require.NoError(t, err)
			require.Equal(t, tc.want, got, "%s %s", tc.campaign, tc.phone)
		}

		list, err := s.FindBlacklist(ctx, "Ventas->")
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "sup", list[0].Username)
		require.Equal(t, "Ana P.", list[0].Name)
		require.Empty(t, list[0].Company)
		list, err = s.FindBlacklist(ctx, centralita.BlacklistAll)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "26001234", list[0].Phone)
		list, err = s.FindBlacklist(ctx, "")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, []string{centralita.BlacklistAll, "Ventas->"}, []string{list[0].Campaign, list[1].Campaign})

		require.NoError(t, s.RemoveBlacklist(ctx, "Ventas->", "099124484"))
		got, err := s.Blacklisted(ctx, "Ventas->", "099124484")
		require.NoError(t, err)
		require.False(t, got)
		err = s.RemoveBlacklist(ctx, "Ventas->", "099124484")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `phone "099124484" is not blacklisted for campaign "Ventas->"`, centralita.ErrorMessage(err))

		for name, bad := range map[string]*centralita.BlacklistEntry{
			"nil":         nil,
			"no phone":    {Campaign: "*"},
			"no campaign": {Phone: "1"},
			"long phone":  {Phone: strings.Repeat("1", 41), Campaign: "*"},
			"long name":   {Phone: "1", Campaign: "*", Name: strings.Repeat("n", 129)},
			"long user":   {Phone: "1", Campaign: "*", Username: strings.Repeat("u", 81)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.AddBlacklist(ctx, bad)), name)
		}
	})
}
