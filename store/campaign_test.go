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

func TestCampaignService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCampaignService(db)
		start := time.Now().Add(-time.Second)
		c := &centralita.Campaign{Name: "Ventas->", Mode: centralita.ModePredictive, State: centralita.CampaignActive,
			Queue: "ventas", CallerID: "099000000", MaxLines: 30, RingTimeoutSec: 25, PowerRatio: 2.5,
			AbandonLimitPct: 2.75, TimeZone: "America/Montevideo",
			Windows: []centralita.CallWindow{{Weekday: time.Monday, Start: "09:00", End: "13:00"}, {Weekday: time.Saturday, Start: "10:00", End: "24:00"}},
			Retries: map[centralita.CallOutcome]centralita.RetryRule{
				centralita.OutcomeBusy:     {DelaySec: 300, MaxAttempts: 3},
				centralita.OutcomeNoAnswer: {DelaySec: 3600, MaxAttempts: 5},
			},
			AbandonMessage: "sound:sorry"}
		require.NoError(t, s.CreateCampaign(ctx, c))
		require.NotZero(t, c.ID)
		require.False(t, c.CreatedAt.Before(start))
		require.Equal(t, c.CreatedAt, c.UpdatedAt)

		got, err := s.FindCampaign(ctx, c.ID)
		require.NoError(t, err)
		require.True(t, c.CreatedAt.Equal(got.CreatedAt))
		want := *c
		want.CreatedAt, want.UpdatedAt = got.CreatedAt, got.UpdatedAt
		require.Equal(t, want, *got)
		byName, err := s.FindCampaignByName(ctx, "Ventas->")
		require.NoError(t, err)
		require.Equal(t, got, byName)

		// The store keeps zero values: defaults are the engine's business.
		bare := &centralita.Campaign{Name: "Power<-", Queue: "soporte"}
		require.NoError(t, s.CreateCampaign(ctx, bare))
		require.Greater(t, bare.ID, c.ID)
		got, err = s.FindCampaign(ctx, bare.ID)
		require.NoError(t, err)
		require.Nil(t, got.Windows)
		require.Nil(t, got.Retries)
		require.Empty(t, got.Mode)
		require.Zero(t, got.PowerRatio)

		err = s.CreateCampaign(ctx, &centralita.Campaign{Name: "Ventas->", Queue: "q"})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, `campaign "Ventas->" already exists`, centralita.ErrorMessage(err))

		created := c.CreatedAt
		c.Name, c.State, c.Windows, c.Retries = "Ventas2->", centralita.CampaignFinalized, nil, map[centralita.CallOutcome]centralita.RetryRule{}
		c.CreatedAt = time.Time{}
		require.NoError(t, s.UpdateCampaign(ctx, c))
		require.True(t, created.Equal(c.CreatedAt))
		require.NoError(t, s.UpdateCampaign(ctx, c), "an unchanged update is fine")
		got, err = s.FindCampaign(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Ventas2->", got.Name)
		require.Equal(t, centralita.CampaignFinalized, got.State)
		require.Nil(t, got.Windows)
		require.NotNil(t, got.Retries)
		require.Empty(t, got.Retries)
		_, err = s.FindCampaignByName(ctx, "Ventas->")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `campaign "Ventas->" not found`, centralita.ErrorMessage(err))

		bare.Name = "Ventas2->"
		err = s.UpdateCampaign(ctx, bare)
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		err = s.UpdateCampaign(ctx, &centralita.Campaign{ID: 999, Name: "x", Queue: "q"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, "campaign 999 not found", centralita.ErrorMessage(err))

		require.NoError(t, s.DeleteCampaign(ctx, bare.ID))
		_, err = s.FindCampaign(ctx, bare.ID)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteCampaign(ctx, bare.ID)))
	})
}

func TestFindCampaigns(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCampaignService(db)
		for _, c := range []struct {
			name  string
			state centralita.CampaignState
		}{{"b", centralita.CampaignActive}, {"c", centralita.CampaignIncomplete}, {"a", centralita.CampaignActive}} {
			require.NoError(t, s.CreateCampaign(ctx, &centralita.Campaign{Name: c.name, Queue: "q", State: c.state}))
		}
		names := func(f centralita.CampaignFilter) []string {
			t.Helper()
			cs, err := s.FindCampaigns(ctx, f)
			require.NoError(t, err)
			out := []string{}
			for _, c := range cs {
				out = append(out, c.Name)
			}
			return out
		}
		for _, tc := range []struct {
			f    centralita.CampaignFilter
			want []string
		}{
			{centralita.CampaignFilter{}, []string{"b", "c", "a"}},
			{centralita.CampaignFilter{OrderBy: "id", Desc: true}, []string{"a", "c", "b"}},
			{centralita.CampaignFilter{OrderBy: "name"}, []string{"a", "b", "c"}},
			{centralita.CampaignFilter{OrderBy: "name", Desc: true}, []string{"c", "b", "a"}},
			{centralita.CampaignFilter{State: centralita.CampaignActive, OrderBy: "name"}, []string{"a", "b"}},
			{centralita.CampaignFilter{State: centralita.CampaignStored}, []string{}},
		} {
			require.Equal(t, tc.want, names(tc.f), "%+v", tc.f)
		}
		_, err := s.FindCampaigns(ctx, centralita.CampaignFilter{OrderBy: "state"})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
		_, err = s.FindCampaigns(ctx, centralita.CampaignFilter{State: "Running"})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	})
}

func TestCampaignServiceRejectsInvalid(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCampaignService(db)
		for name, c := range map[string]*centralita.Campaign{
			"nil":          nil,
			"no name":      {Queue: "q"},
			"long name":    {Name: strings.Repeat("n", 129), Queue: "q"},
			"no queue":     {Name: "a"},
			"bad mode":     {Name: "a", Queue: "q", Mode: "blast"},
			"bad zone":     {Name: "a", Queue: "q", TimeZone: "Mars/Olympus"},
			"bad window":   {Name: "a", Queue: "q", Windows: []centralita.CallWindow{{Start: "9:00", End: "10:00"}}},
			"bad retry":    {Name: "a", Queue: "q", Retries: map[centralita.CallOutcome]centralita.RetryRule{centralita.OutcomeBusy: {DelaySec: -1}}},
			"long queue":   {Name: "a", Queue: strings.Repeat("q", 129)},
			"long callid":  {Name: "a", Queue: "q", CallerID: strings.Repeat("1", 81)},
			"long message": {Name: "a", Queue: "q", AbandonMessage: strings.Repeat("m", 256)},
			"abandon >100": {Name: "a", Queue: "q", AbandonLimitPct: 101},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateCampaign(ctx, c)), name)
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.UpdateCampaign(ctx, c)), name)
		}
		long := &centralita.Campaign{Name: strings.Repeat("n", 128), Queue: strings.Repeat("q", 128),
			CallerID: strings.Repeat("1", 80), AbandonMessage: strings.Repeat("m", 255)}
		require.NoError(t, s.CreateCampaign(ctx, long))
		all, err := s.FindCampaigns(ctx, centralita.CampaignFilter{})
		require.NoError(t, err)
		require.Len(t, all, 1)
	})
}
