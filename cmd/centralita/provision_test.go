package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestProvisionIsRepeatableAndKeepsPauses(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "p.db")})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	queues, agents := store.NewQueueService(db), store.NewAgentService(db)

	what, err := provision(ctx, "testdata/acd_provision.json", queues, agents)
	require.NoError(t, err)
	require.Equal(t, "2 queues, 5 agents, 5 memberships, 2 pause reasons", what)
	q, err := queues.FindQueue(ctx, "sales")
	require.NoError(t, err)
	require.Equal(t, centralita.StrategyRRMemory, q.Strategy)
	require.Equal(t, centralita.DefaultMusicClass, q.MusicClass, "defaults are applied")

	// An agent pauses; provisioning again on the next start keeps the pause.
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, queues.SetMember(ctx, &centralita.QueueMember{Queue: "sales", Agent: "101", Position: 1, Paused: true, PauseReason: "Almuerzo", PausedAt: &now}))
	_, err = provision(ctx, "testdata/acd_provision.json", queues, agents)
	require.NoError(t, err)
	ms, err := queues.FindMembers(ctx, "sales", "101")
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.True(t, ms[0].Paused)
	require.Equal(t, "Almuerzo", ms[0].PauseReason)
	all, err := agents.FindAgents(ctx)
	require.NoError(t, err)
	require.Len(t, all, 5)

	for name, body := range map[string]string{
		"unknown field":  `{"queues":[{"name":"x","colour":"red"}]}`,
		"bad strategy":   `{"queues":[{"name":"x","strategy":"roundabout"}]}`,
		"agent no user":  `{"agents":[{"number":"9"}]}`,
		"member unknown": `{"members":[{"queue":"sales","agent":"999"}]}`,
		"not json":       `queues: []`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.json")
			require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
			_, err := provision(ctx, path, queues, agents)
			require.Error(t, err)
			require.Contains(t, err.Error(), "--provision")
		})
	}
}
