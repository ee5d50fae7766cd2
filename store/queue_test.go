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

func TestQueueService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewQueueService(db)
		start := time.Now().Add(-time.Second)
		q := &centralita.Queue{Name: "ventas->", Description: "Ventas", Strategy: centralita.StrategyLinear,
			RingTimeoutSec: 12, RetrySec: 3, WrapupSec: 10, ServiceLevelSec: 25, ServiceLevel2Sec: 50,
			PenaltyStepSec: 30, MaxWaitSec: 300, OverflowQueue: "soporte", OverflowSound: "sound:bye",
			MusicClass: "jazz", AnnounceSec: 45}
		require.NoError(t, s.CreateQueue(ctx, q))
		require.False(t, q.CreatedAt.Before(start), "created_at stamped from the clock")
		require.Equal(t, q.CreatedAt, q.UpdatedAt)

		got, err := s.FindQueue(ctx, "ventas->")
		require.NoError(t, err)
		require.True(t, q.CreatedAt.Equal(got.CreatedAt))
		require.True(t, q.UpdatedAt.Equal(got.UpdatedAt))
		want := *q
		want.CreatedAt, want.UpdatedAt = got.CreatedAt, got.UpdatedAt
		require.Equal(t, want, *got)

		// Defaults are the engine's business: the store keeps zero values.
		bare := &centralita.Queue{Name: "bare"}
		require.NoError(t, s.CreateQueue(ctx, bare))
		got, err = s.FindQueue(ctx, "bare")
		require.NoError(t, err)
		require.Equal(t, centralita.Strategy(""), got.Strategy)
		require.Zero(t, got.RingTimeoutSec)
		require.Empty(t, got.MusicClass)

		err = s.CreateQueue(ctx, &centralita.Queue{Name: "ventas->"})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, `queue "ventas->" already exists`, centralita.ErrorMessage(err))

		all, err := s.FindQueues(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, []string{"bare", "ventas->"}, []string{all[0].Name, all[1].Name})

		created := q.CreatedAt
		q.Description, q.Strategy, q.WrapupSec, q.OverflowQueue = "Ventas 2", centralita.StrategyRRMemory, 0, ""
		q.CreatedAt = time.Time{}
		require.NoError(t, s.UpdateQueue(ctx, q))
		require.True(t, created.Equal(q.CreatedAt), "created_at read back: %v", q.CreatedAt)
		require.False(t, q.UpdatedAt.Before(created))
		require.NoError(t, s.UpdateQueue(ctx, q), "an unchanged update is fine")
		got, err = s.FindQueue(ctx, "ventas->")
		require.NoError(t, err)
		require.Equal(t, "Ventas 2", got.Description)
		require.Equal(t, centralita.StrategyRRMemory, got.Strategy)
		require.Zero(t, got.WrapupSec)
		require.Empty(t, got.OverflowQueue)
		require.Equal(t, 300, got.MaxWaitSec)
		require.True(t, created.Equal(got.CreatedAt))

		err = s.UpdateQueue(ctx, &centralita.Queue{Name: "nope"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `queue "nope" not found`, centralita.ErrorMessage(err))
		_, err = s.FindQueue(ctx, "nope")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		require.NoError(t, s.DeleteQueue(ctx, "bare"))
		_, err = s.FindQueue(ctx, "bare")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteQueue(ctx, "bare")))
	})
}

func TestQueueServiceRejectsInvalid(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewQueueService(db)
		for name, q := range map[string]*centralita.Queue{
			"nil":            nil,
			"no name":        {},
			"long name":      {Name: strings.Repeat("q", 129)},
			"bad strategy":   {Name: "a", Strategy: "roundrobin"},
			"negative":       {Name: "a", RetrySec: -1},
			"self overflow":  {Name: "a", OverflowQueue: "a"},
			"long desc":      {Name: "a", Description: strings.Repeat("d", 256)},
			"long overflow":  {Name: "a", OverflowQueue: strings.Repeat("o", 129)},
			"long sound":     {Name: "a", OverflowSound: strings.Repeat("s", 256)},
			"long moh class": {Name: "a", MusicClass: strings.Repeat("m", 81)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateQueue(ctx, q)), name)
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.UpdateQueue(ctx, q)), name)
		}
		require.NoError(t, s.CreateQueue(ctx, &centralita.Queue{Name: strings.Repeat("q", 128), Description: strings.Repeat("d", 255)}))
		all, err := s.FindQueues(ctx)
		require.NoError(t, err)
		require.Len(t, all, 1)
	})
}

// seedACD creates queues and agents for membership tests.
func seedACD(t *testing.T, db *store.DB, queues []string, agents []string) {
	t.Helper()
	ctx := context.Background()
	for _, name := range queues {
		require.NoError(t, store.NewQueueService(db).CreateQueue(ctx, &centralita.Queue{Name: name}))
	}
	for _, n := range agents {
		require.NoError(t, store.NewAgentService(db).CreateAgent(ctx, &centralita.Agent{Number: n, Username: "u" + n}))
	}
}

func memberKeys(ms []*centralita.QueueMember) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Queue + "/" + m.Agent
	}
	return out
}

func TestQueueMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewQueueService(db)
		seedACD(t, db, []string{"soporte", "ventas"}, []string{"101", "102", "103"})

		for _, m := range []*centralita.QueueMember{
			{Queue: "ventas", Agent: "103", Penalty: 0, Position: 1},
			{Queue: "ventas", Agent: "101", Penalty: 1, Position: 2},
			{Queue: "ventas", Agent: "102", Penalty: 0, Position: 1},
			{Queue: "soporte", Agent: "101", Penalty: 2},
		} {
			require.NoError(t, s.SetMember(ctx, m))
		}
		all, err := s.FindMembers(ctx, "", "")
		require.NoError(t, err)
		require.Equal(t, []string{"soporte/101", "ventas/102", "ventas/103", "ventas/101"}, memberKeys(all),
			"ordered by queue, position, agent")
		ventas, err := s.FindMembers(ctx, "ventas", "")
		require.NoError(t, err)
		require.Equal(t, []string{"ventas/102", "ventas/103", "ventas/101"}, memberKeys(ventas))
		of101, err := s.FindMembers(ctx, "", "101")
		require.NoError(t, err)
		require.Equal(t, []string{"soporte/101", "ventas/101"}, memberKeys(of101))
		one, err := s.FindMembers(ctx, "soporte", "101")
		require.NoError(t, err)
		require.Equal(t, &centralita.QueueMember{Queue: "soporte", Agent: "101", Penalty: 2}, one[0])
		none, err := s.FindMembers(ctx, "soporte", "102")
		require.NoError(t, err)
		require.NotNil(t, none)
		require.Empty(t, none)

		// Setting again updates in place: penalty, position and the pause.
		pausedAt := time.Date(2026, 11, 21, 15, 0, 0, 123456000, time.FixedZone("UYT", -3*3600))
		require.NoError(t, s.SetMember(ctx, &centralita.QueueMember{Queue: "ventas", Agent: "101", Penalty: 5, Position: 0,
			Paused: true, PauseReason: "Almuerzo", PausedAt: &pausedAt}))
		got, err := s.FindMembers(ctx, "ventas", "101")
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, 5, got[0].Penalty)
		require.Zero(t, got[0].Position)
		require.True(t, got[0].Paused)
		require.Equal(t, "Almuerzo", got[0].PauseReason)
		require.NotNil(t, got[0].PausedAt)
		require.True(t, pausedAt.Equal(*got[0].PausedAt), "paused_at kept to the microsecond: %v", got[0].PausedAt)
		_, offset := got[0].PausedAt.Zone()
		require.Zero(t, offset, "stored in UTC")
		ventas, err = s.FindMembers(ctx, "ventas", "")
		require.NoError(t, err)
		require.Equal(t, []string{"ventas/101", "ventas/102", "ventas/103"}, memberKeys(ventas))

		require.NoError(t, s.SetMember(ctx, &centralita.QueueMember{Queue: "ventas", Agent: "101", Penalty: 5}))
		got, err = s.FindMembers(ctx, "ventas", "101")
		require.NoError(t, err)
		require.False(t, got[0].Paused)
		require.Empty(t, got[0].PauseReason)
		require.Nil(t, got[0].PausedAt, "a nil paused_at clears it")

		err = s.SetMember(ctx, &centralita.QueueMember{Queue: "nope", Agent: "101"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `queue "nope" not found`, centralita.ErrorMessage(err))
		err = s.SetMember(ctx, &centralita.QueueMember{Queue: "ventas", Agent: "999"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `agent "999" not found`, centralita.ErrorMessage(err))
		for name, m := range map[string]*centralita.QueueMember{
			"nil":              nil,
			"no queue":         {Agent: "101"},
			"no agent":         {Queue: "ventas"},
			"negative penalty": {Queue: "ventas", Agent: "101", Penalty: -1},
			"negative pos":     {Queue: "ventas", Agent: "101", Position: -1},
			"long reason":      {Queue: "ventas", Agent: "101", PauseReason: strings.Repeat("r", 129)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.SetMember(ctx, m)), name)
		}

		require.NoError(t, s.RemoveMember(ctx, "ventas", "103"))
		err = s.RemoveMember(ctx, "ventas", "103")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `agent "103" is not a member of queue "ventas"`, centralita.ErrorMessage(err))
		all, err = s.FindMembers(ctx, "", "")
		require.NoError(t, err)
		require.Equal(t, []string{"soporte/101", "ventas/101", "ventas/102"}, memberKeys(all))
	})
}

func TestQueueMembersCascade(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, as := store.NewQueueService(db), store.NewAgentService(db)
		seedACD(t, db, []string{"soporte", "ventas"}, []string{"101", "102"})
		for _, m := range []*centralita.QueueMember{
			{Queue: "ventas", Agent: "101"}, {Queue: "ventas", Agent: "102"},
			{Queue: "soporte", Agent: "101"}, {Queue: "soporte", Agent: "102"},
		} {
			require.NoError(t, s.SetMember(ctx, m))
		}
		require.NoError(t, s.DeleteQueue(ctx, "ventas"))
		all, err := s.FindMembers(ctx, "", "")
		require.NoError(t, err)
		require.Equal(t, []string{"soporte/101", "soporte/102"}, memberKeys(all))

		require.NoError(t, as.DeleteAgent(ctx, "101"))
		all, err = s.FindMembers(ctx, "", "")
		require.NoError(t, err)
		require.Equal(t, []string{"soporte/102"}, memberKeys(all))

		// Re-creating the queue does not bring its old members back.
		require.NoError(t, s.CreateQueue(ctx, &centralita.Queue{Name: "ventas"}))
		ventas, err := s.FindMembers(ctx, "ventas", "")
		require.NoError(t, err)
		require.Empty(t, ventas)
	})
}
