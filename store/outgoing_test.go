package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestOutgoingCallService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewOutgoingCallService(db)
		at := time.Date(2016, 11, 10, 18, 0, 0, 0, time.UTC)
		c1 := &centralita.OutgoingCall{Queue: "tecnologia", Phones: []string{"21232322", "099999999"}, Contact: "Pedro",
			Subject: "Confirmacion contrato ADSL", CallDate: at, Agent: "pperez",
			Links: map[string]string{"nombre de link": "http://www.link.com"}}
		require.NoError(t, s.CreateOutgoingCall(ctx, c1))
		require.NotZero(t, c1.ID)
		require.Equal(t, centralita.OutgoingPending, c1.Status)
		c2 := &centralita.OutgoingCall{Queue: "tecnologia", Phones: []string{"3344343"}, Contact: "Pepe",
			CallDate: at.Add(time.Hour), ExpirationSec: 600}
		require.NoError(t, s.CreateOutgoingCall(ctx, c2))
		c3 := &centralita.OutgoingCall{Queue: "ventas", Phones: []string{"2_%"}, Contact: "Ana", CallDate: at.Add(2 * time.Hour), Agent: "daguirre"}
		require.NoError(t, s.CreateOutgoingCall(ctx, c3))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateOutgoingCall(ctx, &centralita.OutgoingCall{Queue: "q", CallDate: at})))

		got, err := s.FindOutgoingCall(ctx, c1.ID)
		require.NoError(t, err)
		require.True(t, c1.CallDate.Equal(got.CallDate))
		got.CallDate, got.CreatedAt, got.UpdatedAt = c1.CallDate, c1.CreatedAt, c1.UpdatedAt
		require.Equal(t, *c1, *got)
		_, err = s.FindOutgoingCall(ctx, 999)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		ids := func(f centralita.OutgoingFilter) []int64 {
			t.Helper()
			cs, err := s.FindOutgoingCalls(ctx, f)
			require.NoError(t, err)
			out := []int64{}
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		before, after := at.Add(90*time.Minute), at.Add(90*time.Minute)
		expiredAt := at.Add(time.Hour + 10*time.Minute)
		for _, c := range []struct {
			name string
			f    centralita.OutgoingFilter
			want []int64
		}{
			{"all", centralita.OutgoingFilter{}, []int64{c1.ID, c2.ID, c3.ID}},
			{"queue", centralita.OutgoingFilter{Queue: "tecnologia"}, []int64{c1.ID, c2.ID}},
			{"agent", centralita.OutgoingFilter{Agent: "pperez"}, []int64{c1.ID}},
			{"phone", centralita.OutgoingFilter{Phone: "099999999"}, []int64{c1.ID}},
			{"phone is exact", centralita.OutgoingFilter{Phone: "09999999"}, []int64{}},
			{"phone wildcards are literal", centralita.OutgoingFilter{Phone: "2_%"}, []int64{c3.ID}},
			{"dates", centralita.OutgoingFilter{From: at.Add(time.Hour), To: at.Add(2 * time.Hour)}, []int64{c2.ID, c3.ID}},
			{"to", centralita.OutgoingFilter{To: before}, []int64{c1.ID, c2.ID}},
			{"from", centralita.OutgoingFilter{From: after}, []int64{c3.ID}},
			{"pending before expiry", centralita.OutgoingFilter{Status: centralita.OutgoingPending, Now: expiredAt.Add(-time.Second)}, []int64{c1.ID, c2.ID, c3.ID}},
			{"pending after expiry", centralita.OutgoingFilter{Status: centralita.OutgoingPending, Now: expiredAt}, []int64{c1.ID, c3.ID}},
			{"expired", centralita.OutgoingFilter{Status: centralita.OutgoingExpired, Now: expiredAt}, []int64{c2.ID}},
			{"visible to pperez", centralita.OutgoingFilter{Visible: &centralita.OutgoingVisibility{Agent: "pperez", Queues: []string{"tecnologia"}}}, []int64{c1.ID, c2.ID}},
			{"visible to ana in ventas", centralita.OutgoingFilter{Visible: &centralita.OutgoingVisibility{Agent: "ana", Queues: []string{"ventas"}}}, []int64{}},
			{"visible to ana in tecnologia", centralita.OutgoingFilter{Visible: &centralita.OutgoingVisibility{Agent: "ana", Queues: []string{"tecnologia", "ventas"}}}, []int64{c2.ID}},
			{"page", centralita.OutgoingFilter{Offset: 1, Limit: 1}, []int64{c2.ID}},
			// Names compare exactly on MariaDB too (utf8mb4_bin), as in SQLite.
			{"queue case", centralita.OutgoingFilter{Queue: "Tecnologia"}, []int64{}},
			{"agent case", centralita.OutgoingFilter{Agent: "PPEREZ"}, []int64{}},
			{"visible case", centralita.OutgoingFilter{Visible: &centralita.OutgoingVisibility{Agent: "PPerez", Queues: []string{"TECNOLOGIA"}}}, []int64{}},
		} {
			require.Equal(t, c.want, ids(c.f), c.name)
		}
		_, err = s.FindOutgoingCalls(ctx, centralita.OutgoingFilter{Status: "LOST"})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
		_, err = s.FindOutgoingCalls(ctx, centralita.OutgoingFilter{Limit: centralita.OutgoingMaxLimit + 1})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))

		// Complete one, cancel another: the default list hides CANCELED.
		c1.Status = centralita.OutgoingCompleted
		require.NoError(t, s.UpdateOutgoingCall(ctx, c1))
		c3.Status = centralita.OutgoingCanceled
		require.NoError(t, s.UpdateOutgoingCall(ctx, c3))
		require.Equal(t, []int64{c1.ID, c2.ID}, ids(centralita.OutgoingFilter{}))
		require.Equal(t, []int64{c3.ID}, ids(centralita.OutgoingFilter{Status: centralita.OutgoingCanceled}))
		require.Equal(t, []int64{c1.ID}, ids(centralita.OutgoingFilter{Status: centralita.OutgoingCompleted}))

		// Postpone the expired call: it is pending again.
		c2.CallDate = expiredAt.Add(time.Hour)
		require.NoError(t, s.UpdateOutgoingCall(ctx, c2))
		require.Equal(t, []int64{c2.ID}, ids(centralita.OutgoingFilter{Status: centralita.OutgoingPending, Now: expiredAt}))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.UpdateOutgoingCall(ctx, &centralita.OutgoingCall{ID: 999})))

		// Out-of-range dates and expirations are EINVALID, not a database error.
		for _, bad := range []centralita.OutgoingCall{
			{CallDate: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
			{CallDate: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), ExpirationSec: 86400},
			{CallDate: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)},
			{CallDate: at, ExpirationSec: centralita.MaxOutgoingExpirationSec + 1},
			{CallDate: at, ExpirationSec: 1 << 40},
		} {
			bad.Queue, bad.Phones = "tecnologia", []string{"1"}
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateOutgoingCall(ctx, &bad)), "%v %d", bad.CallDate, bad.ExpirationSec)
		}
		far := &centralita.OutgoingCall{Queue: "tecnologia", Phones: []string{"1"}, CallDate: time.Date(9998, 12, 31, 23, 0, 0, 0, time.UTC),
			ExpirationSec: centralita.MaxOutgoingExpirationSec}
		require.NoError(t, s.CreateOutgoingCall(ctx, far), "the last calldate and expiration allowed fit the database")
		far.Status = centralita.OutgoingCanceled
		require.NoError(t, s.UpdateOutgoingCall(ctx, far))
	})
}

func TestOutgoingCallStatusAt(t *testing.T) {
	at := time.Date(2016, 11, 10, 15, 0, 0, 0, time.UTC)
	c := &centralita.OutgoingCall{CallDate: at, Status: centralita.OutgoingPending}
	require.Equal(t, centralita.OutgoingPending, c.StatusAt(at.Add(1000*time.Hour)), "0 never expires")
	c.ExpirationSec = 60
	require.Equal(t, centralita.OutgoingPending, c.StatusAt(at.Add(59*time.Second)))
	require.Equal(t, centralita.OutgoingExpired, c.StatusAt(at.Add(60*time.Second)))
	c.Status = centralita.OutgoingCompleted
	require.Equal(t, centralita.OutgoingCompleted, c.StatusAt(at.Add(time.Hour)))
}
