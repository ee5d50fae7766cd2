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

func TestDispositions(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewDispositionService(db)
		sale := &centralita.Disposition{Campaign: "Ventas->", L1: "Venta", L2: "Contado", Action: centralita.ActionNone,
			Completes: true, TxtCode: "V1"}
		later := &centralita.Disposition{Campaign: "Ventas->", L1: "Volver a llamar", Action: centralita.ActionReschedule}
		busy := &centralita.Disposition{Campaign: "Ventas->", L1: "Ocupado", L2: "x", L3: "y", Action: centralita.ActionRespool, RetryDelay: 600}
		otherCamp := &centralita.Disposition{Campaign: "Power<-", L1: "Venta", Action: centralita.ActionBlacklist}
		for _, d := range []*centralita.Disposition{sale, later, busy, otherCamp} {
			require.NoError(t, s.SetDisposition(ctx, d))
		}

		got, err := s.FindDisposition(ctx, "Ventas->", "Venta", "Contado", "")
		require.NoError(t, err)
		require.Equal(t, sale, got)
		got, err = s.FindDisposition(ctx, "Ventas->", "Ocupado", "x", "y")
		require.NoError(t, err)
		require.Equal(t, busy, got)
		for _, levels := range [][4]string{
			{"Ventas->", "Venta", "", ""},         // levels match exactly
			{"Ventas->", "Venta", "Contado", "z"}, // an extra level does not match
			{"Otra->", "Venta", "Contado", ""},    // another campaign
			{"Power<-", "Venta", "Contado", ""},   // that campaign has l1 only
			{"Ventas->", "Volver a llamar", "", "x"},
		} {
			_, err := s.FindDisposition(ctx, levels[0], levels[1], levels[2], levels[3])
			require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "%q", levels)
		}
		_, err = s.FindDisposition(ctx, "Otra->", "Venta", "", "")
		require.Equal(t, `disposition "Venta"/""/"" of campaign "Otra->" not found`, centralita.ErrorMessage(err))

		// Setting again replaces the action.
		sale.Action, sale.Completes, sale.TxtCode = centralita.ActionRespoolAlternative, false, ""
		require.NoError(t, s.SetDisposition(ctx, sale))
		got, err = s.FindDisposition(ctx, "Ventas->", "Venta", "Contado", "")
		require.NoError(t, err)
		require.Equal(t, sale, got)

		list, err := s.FindDispositions(ctx, "Ventas->")
		require.NoError(t, err)
		require.Equal(t, []*centralita.Disposition{busy, sale, later}, list)
		list, err = s.FindDispositions(ctx, "")
		require.NoError(t, err)
		require.Len(t, list, 4)

		require.NoError(t, s.DeleteDisposition(ctx, "Ventas->", "Ocupado", "x", "y"))
		err = s.DeleteDisposition(ctx, "Ventas->", "Ocupado", "x", "y")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		for name, bad := range map[string]*centralita.Disposition{
			"nil":         nil,
			"no campaign": {L1: "a"},
			"no l1":       {Campaign: "c", L2: "a"},
			"bad action":  {Campaign: "c", L1: "a", Action: "CALLBACK"},
			"long l3":     {Campaign: "c", L1: "a", L3: strings.Repeat("l", 129)},
			"neg delay":   {Campaign: "c", L1: "a", RetryDelay: -1},
			"long code":   {Campaign: "c", L1: "a", TxtCode: strings.Repeat("t", 65)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.SetDisposition(ctx, bad)), name)
		}
	})
}

func TestCallDispositions(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewDispositionService(db)
		when := time.Date(2019, 2, 26, 13, 45, 0, 0, time.UTC)
		t0 := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
		a := &centralita.CallDisposition{Campaign: "Ventas->", Agent: "agente1", CallerID: "099124484", GUID: "g1",
			L1: "Volver a llamar", D1: "x", D2: "y", Comment: "llamar de tarde", Schedule: &when,
			Reschedule: "Power<-", Tag: "Volver a llamar||", CreatedAt: t0}
		b := &centralita.CallDisposition{Campaign: "Ventas->", Agent: "agente2", GUID: "g2", L1: "Venta", CreatedAt: t0.Add(time.Minute)}
		c := &centralita.CallDisposition{Campaign: "Power<-", Agent: "agente1", GUID: "g1", L1: "Venta"}
		for _, d := range []*centralita.CallDisposition{a, b, c} {
			require.NoError(t, s.CreateCallDisposition(ctx, d))
			require.NotZero(t, d.ID)
		}
		require.False(t, c.CreatedAt.IsZero(), "created now")

		got, err := s.FindCallDispositions(ctx, "Ventas->", "")
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, []int64{a.ID, b.ID}, []int64{got[0].ID, got[1].ID})
		require.True(t, when.Equal(*got[0].Schedule))
		require.True(t, t0.Equal(got[0].CreatedAt))
		g := *got[0]
		g.Schedule, g.CreatedAt = a.Schedule, a.CreatedAt
		require.Equal(t, *a, g)
		require.Nil(t, got[1].Schedule)

		got, err = s.FindCallDispositions(ctx, "", "g1")
		require.NoError(t, err)
		require.Equal(t, []int64{a.ID, c.ID}, []int64{got[0].ID, got[1].ID})
		got, err = s.FindCallDispositions(ctx, "Power<-", "g1")
		require.NoError(t, err)
		require.Len(t, got, 1)
		got, err = s.FindCallDispositions(ctx, "Nada", "")
		require.NoError(t, err)
		require.Empty(t, got)

		for name, bad := range map[string]*centralita.CallDisposition{
			"nil":         nil,
			"no campaign": {Agent: "a"},
			"no agent":    {Campaign: "c"},
			"long guid":   {Campaign: "c", Agent: "a", GUID: strings.Repeat("g", 151)},
			"long d1":     {Campaign: "c", Agent: "a", D1: strings.Repeat("d", 256)},
			"long tag":    {Campaign: "c", Agent: "a", Tag: strings.Repeat("t", 256)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateCallDisposition(ctx, bad)), name)
		}
	})
}
