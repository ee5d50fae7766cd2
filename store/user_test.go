package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestUserService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewUserService(db)

		n, err := s.CountUsers(ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		u := &centralita.User{Username: "ana", PasswordHash: "$2a$10$x", Role: centralita.RoleSupervisor}
		require.NoError(t, s.CreateUser(ctx, u))
		require.NotZero(t, u.ID)

		dup := &centralita.User{Username: "ana", PasswordHash: "$2a$10$y", Role: centralita.RoleAgent}
		err = s.CreateUser(ctx, dup)
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err), "%v", err)
		require.Contains(t, centralita.ErrorMessage(err), "ana")

		got, err := s.FindUserByUsername(ctx, "ana")
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)
		require.Equal(t, centralita.RoleSupervisor, got.Role)
		require.Equal(t, "$2a$10$x", got.PasswordHash)
		require.WithinDuration(t, u.CreatedAt, got.CreatedAt, 0)

		_, err = s.FindUserByUsername(ctx, "nobody")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		for _, bad := range []*centralita.User{
			{Username: "", PasswordHash: "h", Role: centralita.RoleAgent},
			{Username: "a b", PasswordHash: "h", Role: centralita.RoleAgent},
			{Username: "a:b", PasswordHash: "h", Role: centralita.RoleAgent},
			{Username: "ok", PasswordHash: "h", Role: "root"},
			{Username: "ok", PasswordHash: "", Role: centralita.RoleAgent},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateUser(ctx, bad)), "%+v", bad)
		}

		list, err := s.FindUsers(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)

		require.NoError(t, s.DeleteUser(ctx, "ana"))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteUser(ctx, "ana")))
	})
}

// TestUserServiceConcurrentWriters: 50 goroutines creating users at once all
// succeed; on SQLite none sees "database is locked".
func TestUserServiceConcurrentWriters(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewUserService(db)
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.CreateUser(ctx, &centralita.User{Username: fmt.Sprintf("agent%02d", i), PasswordHash: "h", Role: centralita.RoleAgent})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		count, err := s.CountUsers(ctx)
		require.NoError(t, err)
		require.Equal(t, n, count)
	})
}
