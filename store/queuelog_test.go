package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestFindQueueLogStates(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewQueueLogService(db)
		t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
		before := t0.Add(time.Hour)
		a101, a102, a103 := centralita.AgentLogName("101"), centralita.AgentLogName("102"), centralita.AgentLogName("103")
		rows := []*centralita.QueueLogEntry{
			// ventas/101: logged in, paused, unpaused; a call; logged out after `before`.
			{Time: t0, QueueName: "ventas", Agent: a101, Event: centralita.QLAddMember, Data1: "SIP/101"},
			{Time: t0.Add(10 * time.Minute), QueueName: "ventas", Agent: a101, Event: centralita.QLPause, Data1: "Almuerzo"},
			{Time: t0.Add(40 * time.Minute), QueueName: "ventas", Agent: a101, Event: centralita.QLUnpause},
			{Time: t0.Add(50 * time.Minute), CallID: "1.1", QueueName: "ventas", Agent: a101, Event: centralita.QLConnect, Data1: "3"},
			{Time: before.Add(time.Minute), QueueName: "ventas", Agent: a101, Event: centralita.QLRemoveMember},
			// ventas/102: logged in only.
			{Time: t0.Add(5 * time.Minute), QueueName: "ventas", Agent: a102, Event: centralita.QLAddMember, Data1: "SIP/102"},
			// soporte/101: two pauses at the same time; the later row (higher id) wins.
			{Time: t0, QueueName: "soporte", Agent: a101, Event: centralita.QLAddMember, Data1: "SIP/101"},
			{Time: t0.Add(10 * time.Minute), QueueName: "soporte", Agent: a101, Event: centralita.QLPause, Data1: "first"},
			{Time: t0.Add(10 * time.Minute), QueueName: "soporte", Agent: a101, Event: centralita.QLPause, Data1: "second"},
			// soporte/103: its only state row is exactly at `before`, which is not before it.
			{Time: before, QueueName: "soporte", Agent: a103, Event: centralita.QLAddMember},
			// soporte/102: only events that are not asked for.
			{Time: t0, CallID: "2.1", QueueName: "soporte", Agent: a102, Event: centralita.QLRingNoAnswer, Data1: "15000"},
		}
		for _, r := range rows {
			require.NoError(t, s.AppendQueueLog(ctx, r))
		}
		states := []string{centralita.QLAddMember, centralita.QLRemoveMember, centralita.QLPause, centralita.QLUnpause}
		got, err := s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: before, Events: states})
		require.NoError(t, err)
		summary := make([]string, len(got))
		for i, e := range got {
			summary[i] = e.QueueName + " " + e.Agent + " " + e.Event + " " + e.Data1
		}
		require.Equal(t, []string{
			"soporte Agent/101 PAUSE second",
			"ventas Agent/101 UNPAUSE ",
			"ventas Agent/102 ADDMEMBER SIP/102",
		}, summary)
		require.Equal(t, rows[2].ID, got[1].ID)
		require.True(t, rows[2].Time.Equal(got[1].Time))

		// After `before`, ventas/101 is logged out and soporte/103 logged in.
		got, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: before.Add(time.Hour), Events: states})
		require.NoError(t, err)
		require.Len(t, got, 4)
		require.Equal(t, a103, got[1].Agent)
		require.Equal(t, centralita.QLRemoveMember, got[2].Event)

		// Only logins and logouts: the pauses do not count.
		got, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: before, Events: []string{centralita.QLAddMember, centralita.QLRemoveMember}})
		require.NoError(t, err)
		require.Len(t, got, 3)
		for _, e := range got {
			require.Equal(t, centralita.QLAddMember, e.Event)
		}

		// Narrowed to one queue, or one agent.
		got, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: before.Add(time.Hour), Events: states, QueueName: "soporte"})
		require.NoError(t, err)
		require.NotEmpty(t, got)
		for _, e := range got {
			require.Equal(t, "soporte", e.QueueName)
		}
		got, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: before.Add(time.Hour), Events: states, Agent: a103})
		require.NoError(t, err)
		require.NotEmpty(t, got)
		for _, e := range got {
			require.Equal(t, a103, e.Agent)
		}

		got, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: t0, Events: states})
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Empty(t, got, "nothing before the first row")
		got, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: before, Events: nil})
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Empty(t, got)
		_, err = s.FindQueueLogStates(ctx, centralita.QueueLogStateFilter{Before: time.Time{}, Events: states})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	})
}
