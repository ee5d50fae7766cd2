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

func TestAgentService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewAgentService(db)
		start := time.Now().Add(-time.Second)
		a := &centralita.Agent{Number: "157", Username: "jperez", Name: "Juan Pérez", Email: "jperez@example.com"}
		require.NoError(t, s.CreateAgent(ctx, a))
		require.False(t, a.CreatedAt.Before(start))
		require.Equal(t, a.CreatedAt, a.UpdatedAt)
		require.NoError(t, s.CreateAgent(ctx, &centralita.Agent{Number: "101", Username: "ana"}))

		got, err := s.FindAgent(ctx, "157")
		require.NoError(t, err)
		require.Equal(t, "jperez", got.Username)
		require.Equal(t, "Juan Pérez", got.Name)
		require.Equal(t, "jperez@example.com", got.Email)
		require.Empty(t, got.Interface)
		require.Nil(t, got.LoggedInAt)
		require.True(t, a.CreatedAt.Equal(got.CreatedAt))
		got, err = s.FindAgentByUsername(ctx, "ana")
		require.NoError(t, err)
		require.Equal(t, "101", got.Number)

		err = s.CreateAgent(ctx, &centralita.Agent{Number: "157", Username: "other"})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, `agent "157" already exists`, centralita.ErrorMessage(err))
		err = s.CreateAgent(ctx, &centralita.Agent{Number: "200", Username: "jperez"})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, `agent username "jperez" already exists`, centralita.ErrorMessage(err))

		all, err := s.FindAgents(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, []string{"101", "157"}, []string{all[0].Number, all[1].Number})

		// UpdateAgent replaces username, name and email and reads the rest back.
		at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		require.NoError(t, s.SetAgentLogin(ctx, "157", "SIP/157", &at))
		upd := &centralita.Agent{Number: "157", Username: "juan", Name: "Juan P.", Email: "", Interface: "ignored"}
		require.NoError(t, s.UpdateAgent(ctx, upd))
		require.Equal(t, "SIP/157", upd.Interface)
		require.True(t, a.CreatedAt.Equal(upd.CreatedAt))
		require.False(t, upd.UpdatedAt.Before(a.UpdatedAt))
		got, err = s.FindAgentByUsername(ctx, "juan")
		require.NoError(t, err)
		require.Equal(t, "Juan P.", got.Name)
		require.Empty(t, got.Email)
		_, err = s.FindAgentByUsername(ctx, "jperez")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.NoError(t, s.UpdateAgent(ctx, upd), "an unchanged update is fine")

		err = s.UpdateAgent(ctx, &centralita.Agent{Number: "157", Username: "ana"})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, `agent username "ana" already exists`, centralita.ErrorMessage(err))
		err = s.UpdateAgent(ctx, &centralita.Agent{Number: "999", Username: "x"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `agent "999" not found`, centralita.ErrorMessage(err))

		for name, bad := range map[string]*centralita.Agent{
			"nil":         nil,
			"no number":   {Username: "x"},
			"long number": {Number: strings.Repeat("1", 33), Username: "x"},
			"no username": {Number: "1"},
			"long name":   {Number: "1", Username: "x", Name: strings.Repeat("n", 129)},
			"long iface":  {Number: "1", Username: "x", Interface: strings.Repeat("i", 81)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateAgent(ctx, bad)), name)
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.UpdateAgent(ctx, bad)), name)
		}

		require.NoError(t, s.DeleteAgent(ctx, "101"))
		_, err = s.FindAgent(ctx, "101")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `agent "101" not found`, centralita.ErrorMessage(err))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteAgent(ctx, "101")))
		// The freed username can be taken again.
		require.NoError(t, s.CreateAgent(ctx, &centralita.Agent{Number: "102", Username: "ana"}))
	})
}

func TestAgentLogin(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewAgentService(db)
		require.NoError(t, s.CreateAgent(ctx, &centralita.Agent{Number: "101", Username: "ana"}))
		before, err := s.FindAgent(ctx, "101")
		require.NoError(t, err)

		at := time.Date(2026, 11, 21, 9, 30, 15, 987654321, time.FixedZone("UYT", -3*3600))
		require.NoError(t, s.SetAgentLogin(ctx, "101", "PJSIP/101", &at))
		require.NoError(t, s.SetAgentLogin(ctx, "101", "PJSIP/101", &at), "the same login again is fine")
		got, err := s.FindAgent(ctx, "101")
		require.NoError(t, err)
		require.Equal(t, "PJSIP/101", got.Interface)
		require.NotNil(t, got.LoggedInAt)
		require.True(t, at.Truncate(time.Microsecond).Equal(*got.LoggedInAt), "logged_in_at: %v", got.LoggedInAt)
		_, offset := got.LoggedInAt.Zone()
		require.Zero(t, offset, "stored in UTC")
		require.True(t, before.UpdatedAt.Equal(got.UpdatedAt), "a login is not a configuration change")

		require.NoError(t, s.SetAgentLogin(ctx, "101", "", nil))
		got, err = s.FindAgent(ctx, "101")
		require.NoError(t, err)
		require.Empty(t, got.Interface)
		require.Nil(t, got.LoggedInAt)
		require.NoError(t, s.SetAgentLogin(ctx, "101", "", nil), "logging out twice is fine")

		err = s.SetAgentLogin(ctx, "999", "SIP/999", &at)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `agent "999" not found`, centralita.ErrorMessage(err))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.SetAgentLogin(ctx, "999", "", nil)))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.SetAgentLogin(ctx, "101", "SIP/101", nil)))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.SetAgentLogin(ctx, "101", "", &at)))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.SetAgentLogin(ctx, "101", strings.Repeat("i", 81), &at)))

		// An agent created logged in keeps that state.
		require.NoError(t, s.CreateAgent(ctx, &centralita.Agent{Number: "102", Username: "bea", Interface: "SIP/102", LoggedInAt: &at}))
		got, err = s.FindAgent(ctx, "102")
		require.NoError(t, err)
		require.Equal(t, "SIP/102", got.Interface)
		require.True(t, at.Truncate(time.Microsecond).Equal(*got.LoggedInAt))
	})
}

func TestPauseReasons(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewAgentService(db)
		list, err := s.FindPauseReasons(ctx)
		require.NoError(t, err)
		require.NotNil(t, list)
		require.Empty(t, list)

		require.NoError(t, s.SetPauseReason(ctx, &centralita.PauseReason{Code: "2", Name: "Baño"}))
		require.NoError(t, s.SetPauseReason(ctx, &centralita.PauseReason{Code: "1", Name: "Almuerzo"}))
		require.NoError(t, s.SetPauseReason(ctx, &centralita.PauseReason{Code: "2", Name: "Descanso"}), "renames")
		require.NoError(t, s.SetPauseReason(ctx, &centralita.PauseReason{Code: "2", Name: "Descanso"}), "unchanged")
		list, err = s.FindPauseReasons(ctx)
		require.NoError(t, err)
		require.Equal(t, []*centralita.PauseReason{{Code: "1", Name: "Almuerzo"}, {Code: "2", Name: "Descanso"}}, list)

		require.NoError(t, s.DeletePauseReason(ctx, "1"))
		err = s.DeletePauseReason(ctx, "1")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, `pause reason "1" not found`, centralita.ErrorMessage(err))
		list, err = s.FindPauseReasons(ctx)
		require.NoError(t, err)
		require.Equal(t, []*centralita.PauseReason{{Code: "2", Name: "Descanso"}}, list)

		for name, r := range map[string]*centralita.PauseReason{
			"nil":       nil,
			"no code":   {Name: "x"},
			"long code": {Code: strings.Repeat("9", 33)},
			"long name": {Code: "3", Name: strings.Repeat("n", 129)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.SetPauseReason(ctx, r)), name)
		}
	})
}
