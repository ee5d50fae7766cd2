package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestCRMPushService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCRMPushService(db)
		t0 := time.Date(2026, 11, 21, 15, 0, 0, 500000000, time.UTC)
		pushes := []*centralita.CRMPush{
			{Method: centralita.CRMGetCallerIDName, UniqueID: "1.1", Target: "http://crm/cid", Attempt: 1,
				Request: `{"number":"5551234"}`, Response: `{"name":"Juan"}`, Status: "ok", DurationMS: 12, CreatedAt: t0},
			{Method: centralita.CRMIVRCode, UniqueID: "1.1", Target: "http://crm/ivr", Attempt: 1, Status: "error",
				Error: "timeout", DurationMS: 2000, CreatedAt: t0.Add(time.Second)},
			{Method: centralita.CRMIVRCode, UniqueID: "1.1", Target: "http://crm/ivr", Attempt: 2, Status: "ok", CreatedAt: t0.Add(2 * time.Second)},
			{Method: centralita.CRMPushAgentInfo, UniqueID: "2.5", Target: "http://crm/push", Attempt: 1, Status: "skipped", CreatedAt: t0.Add(3 * time.Second)},
			// Same time as the previous one: the higher id is newer.
			{Method: centralita.CRMGetCallerIDName, UniqueID: "2.5", Target: "http://crm/cid", Attempt: 1, Status: "ok", CreatedAt: t0.Add(3 * time.Second)},
		}
		for _, p := range pushes {
			require.NoError(t, s.CreateCRMPush(ctx, p))
			require.NotZero(t, p.ID)
		}
		ids := func(ps []*centralita.CRMPush) []int64 {
			out := make([]int64, len(ps))
			for i, p := range ps {
				out[i] = p.ID
			}
			return out
		}
		p := pushes

		all, err := s.FindCRMPushes(ctx, centralita.CRMPushFilter{})
		require.NoError(t, err)
		require.Equal(t, []int64{p[4].ID, p[3].ID, p[2].ID, p[1].ID, p[0].ID}, ids(all), "newest first")
		got := all[4]
		require.True(t, t0.Equal(got.CreatedAt))
		want := *p[0]
		want.CreatedAt = got.CreatedAt
		require.Equal(t, want, *got)

		for name, tc := range map[string]struct {
			f    centralita.CRMPushFilter
			want []int64
		}{
			"method":     {centralita.CRMPushFilter{Method: centralita.CRMIVRCode}, []int64{p[2].ID, p[1].ID}},
			"uniqueid":   {centralita.CRMPushFilter{UniqueID: "2.5"}, []int64{p[4].ID, p[3].ID}},
			"status":     {centralita.CRMPushFilter{Status: "ok"}, []int64{p[4].ID, p[2].ID, p[0].ID}},
			"from":       {centralita.CRMPushFilter{From: t0.Add(2 * time.Second)}, []int64{p[4].ID, p[3].ID, p[2].ID}},
			"to":         {centralita.CRMPushFilter{To: t0.Add(time.Second)}, []int64{p[0].ID}},
			"from to":    {centralita.CRMPushFilter{From: t0.Add(time.Millisecond), To: t0.Add(3 * time.Second)}, []int64{p[2].ID, p[1].ID}},
			"combined":   {centralita.CRMPushFilter{UniqueID: "1.1", Status: "ok"}, []int64{p[2].ID, p[0].ID}},
			"page":       {centralita.CRMPushFilter{Offset: 1, Limit: 2}, []int64{p[3].ID, p[2].ID}},
			"last page":  {centralita.CRMPushFilter{Offset: 4, Limit: 2}, []int64{p[0].ID}},
			"past end":   {centralita.CRMPushFilter{Offset: 5}, []int64{}},
			"no match":   {centralita.CRMPushFilter{Method: centralita.CRMPushAgentInfo, Status: "ok"}, []int64{}},
			"neg offset": {centralita.CRMPushFilter{Offset: -3, Limit: 1}, []int64{p[4].ID}},
		} {
			got, err := s.FindCRMPushes(ctx, tc.f)
			require.NoError(t, err, name)
			require.Equal(t, tc.want, ids(got), name)
		}
	})
}

func TestCRMPushCreate(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCRMPushService(db)
		start := time.Now().Add(-time.Second)
		// Bodies are cut to 4 KiB on a rune boundary and made valid UTF-8.
		long := strings.Repeat("a", 4095) + "ñ" + "tail"
		p := &centralita.CRMPush{Method: centralita.CRMPushAgentInfo, UniqueID: "3.1", Status: "error",
			Request: long, Response: "caf\xe9 con leche", Error: strings.Repeat("e", 5000)}
		require.NoError(t, s.CreateCRMPush(ctx, p))
		require.Equal(t, 1, p.Attempt, "attempt 0 counts as the first")
		require.False(t, p.CreatedAt.Before(start), "created_at stamped from the clock")
		got, err := s.FindCRMPushes(ctx, centralita.CRMPushFilter{UniqueID: "3.1"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, strings.Repeat("a", 4095), got[0].Request)
		require.Equal(t, "caf\uFFFD con leche", got[0].Response)
		require.Len(t, got[0].Error, 4096)
		require.Equal(t, 1, got[0].Attempt)
		require.True(t, p.CreatedAt.Equal(got[0].CreatedAt))

		for name, bad := range map[string]*centralita.CRMPush{
			"nil":           nil,
			"no method":     {Status: "ok"},
			"bad method":    {Method: "getCallerIdName", Status: "ok"},
			"bad status":    {Method: centralita.CRMIVRCode, Status: "failed"},
			"neg attempt":   {Method: centralita.CRMIVRCode, Status: "ok", Attempt: -1},
			"neg duration":  {Method: centralita.CRMIVRCode, Status: "ok", DurationMS: -1},
			"long uniqueid": {Method: centralita.CRMIVRCode, Status: "ok", UniqueID: strings.Repeat("1", 151)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateCRMPush(ctx, bad)), name)
		}
	})
}

func TestCRMPushLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCRMPushService(db)
		// 1,005 rows in one statement batch, faster than 1,005 CreateCRMPush calls.
		t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		raw := sqlx.NewDb(db.SQL(), db.Dialect())
		tx, err := raw.BeginTxx(ctx, nil)
		require.NoError(t, err)
		for i := range 1005 {
			_, err := tx.ExecContext(ctx, `INSERT INTO crm_pushes (method, uniqueid, target, attempt, request, response, status, error, duration_ms, created_at)
				VALUES ('IVRCode', '', '', 1, '', '', 'ok', '', 0, ?)`, t0.Add(time.Duration(i)*time.Second))
			require.NoError(t, err)
		}
		require.NoError(t, tx.Commit())

		got, err := s.FindCRMPushes(ctx, centralita.CRMPushFilter{})
		require.NoError(t, err)
		require.Len(t, got, 100, "default limit")
		require.True(t, t0.Add(1004*time.Second).Equal(got[0].CreatedAt))
		got, err = s.FindCRMPushes(ctx, centralita.CRMPushFilter{Limit: 5000})
		require.NoError(t, err)
		require.Len(t, got, 1000, "limit capped")
		got, err = s.FindCRMPushes(ctx, centralita.CRMPushFilter{Offset: 1000, Limit: 1000})
		require.NoError(t, err)
		require.Len(t, got, 5)
		require.True(t, t0.Equal(got[4].CreatedAt))
	})
}
