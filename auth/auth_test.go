package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/auth"
	"github.com/centralita/centralita/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	keys  *store.AccessKeyService
	users *store.UserService
	clock *clock
	svc   *auth.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite::memory:"})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	f := &fixture{keys: store.NewAccessKeyService(db), users: store.NewUserService(db), clock: &clock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}}
	f.svc = auth.New(auth.Config{Keys: f.keys, Users: f.users, Now: f.clock.Now, FailureBurst: 3, FailureRefill: time.Minute})
	return f
}

func (f *fixture) newKey(t *testing.T, desc string) (string, *centralita.AccessKey) {
	key, hash := auth.NewKey()
	k := &centralita.AccessKey{Description: desc, Hash: hash}
	require.NoError(t, f.keys.CreateAccessKey(context.Background(), k))
	return key, k
}

func TestNewKeyFormat(t *testing.T) {
	a, ha := auth.NewKey()
	b, _ := auth.NewKey()
	require.True(t, auth.ValidKeyFormat(a), a)
	require.NotEqual(t, a, b)
	require.Len(t, ha, 64)
	require.NotContains(t, ha, a)
	for _, bad := range []string{"", "319a67432f51ed53938542b809320dd", "319A67432F51ED53938542B809320DD2", "319a67432f51ed53938542b809320dzz"} {
		require.False(t, auth.ValidKeyFormat(bad), bad)
	}
	require.True(t, auth.ValidKeyFormat("319a67432f51ed53938542b809320dd2"))
}

func TestAuthenticateKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	key, k := f.newKey(t, "crm")
	revokedKey, rk := f.newKey(t, "old")
	require.NoError(t, f.keys.RevokeAccessKey(ctx, rk.ID, f.clock.Now()))

	got, err := f.svc.AuthenticateKey(ctx, key, "10.0.0.1")
	require.NoError(t, err)
	require.Equal(t, k.ID, got.ID)

	for _, tc := range []struct{ name, key string }{
		{"malformed", "nope"},
		{"unknown", "00000000000000000000000000000000"},
		{"revoked", revokedKey},
	} {
		_, err := f.svc.AuthenticateKey(ctx, tc.key, "10.0.0.2")
		require.Equal(t, centralita.EUNAUTHORIZED, centralita.ErrorKind(err), tc.name)
	}
	// Three failures from 10.0.0.2 exhaust its burst: even the good key is refused now.
	_, err = f.svc.AuthenticateKey(ctx, key, "10.0.0.2")
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(err))
	// Another client is not affected.
	_, err = f.svc.AuthenticateKey(ctx, key, "10.0.0.3")
	require.NoError(t, err)
	// One failure is forgiven per minute.
	f.clock.Advance(61 * time.Second)
	_, err = f.svc.AuthenticateKey(ctx, key, "10.0.0.2")
	require.NoError(t, err)
}

func TestKeyLastUsedIsBatched(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	key, k := f.newKey(t, "crm")
	for range 100 {
		_, err := f.svc.AuthenticateKey(ctx, key, "10.0.0.1")
		require.NoError(t, err)
		f.clock.Advance(time.Second)
	}
	stored, err := f.keys.FindAccessKeyByHash(ctx, k.Hash)
	require.NoError(t, err)
	require.Nil(t, stored.LastUsedAt, "no write per request")

	require.NoError(t, f.svc.Flush(ctx))
	stored, err = f.keys.FindAccessKeyByHash(ctx, k.Hash)
	require.NoError(t, err)
	require.NotNil(t, stored.LastUsedAt)
	require.True(t, f.clock.Now().Add(-time.Second).Equal(*stored.LastUsedAt), "%v", stored.LastUsedAt)
}

func TestRunFlushesOnStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFixture(t)
	key, k := f.newKey(t, "crm")
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	_, err := f.svc.AuthenticateKey(ctx, key, "10.0.0.1")
	require.NoError(t, err)
	cancel()
	<-done
	stored, err := f.keys.FindAccessKeyByHash(context.Background(), k.Hash)
	require.NoError(t, err)
	require.NotNil(t, stored.LastUsedAt)
}

func TestAuthenticateUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	hash, err := auth.HashPassword("correct horse battery")
	require.NoError(t, err)
	require.NoError(t, f.users.CreateUser(ctx, &centralita.User{Username: "ana", PasswordHash: hash, Role: centralita.RoleAdmin}))

	u, err := f.svc.AuthenticateUser(ctx, "ana", "correct horse battery", "10.0.0.1")
	require.NoError(t, err)
	require.Equal(t, centralita.RoleAdmin, u.Role)
	// The cached verification still checks the password.
	_, err = f.svc.AuthenticateUser(ctx, "ana", "wrong", "10.0.0.1")
	require.Equal(t, centralita.EUNAUTHORIZED, centralita.ErrorKind(err))
	_, err = f.svc.AuthenticateUser(ctx, "ana", "correct horse battery", "10.0.0.1")
	require.NoError(t, err)

	// A changed password invalidates the cache.
	require.NoError(t, f.users.DeleteUser(ctx, "ana"))
	hash2, err := auth.HashPassword("another password")
	require.NoError(t, err)
	require.NoError(t, f.users.CreateUser(ctx, &centralita.User{Username: "ana", PasswordHash: hash2, Role: centralita.RoleAgent}))
	_, err = f.svc.AuthenticateUser(ctx, "ana", "correct horse battery", "10.0.0.1")
	require.Equal(t, centralita.EUNAUTHORIZED, centralita.ErrorKind(err))

	_, err = f.svc.AuthenticateUser(ctx, "ghost", "whatever1", "10.0.0.1")
	require.Equal(t, centralita.EUNAUTHORIZED, centralita.ErrorKind(err))
	_, err = f.svc.AuthenticateUser(ctx, "ana", "another password", "10.0.0.1")
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(err), "three failures from 10.0.0.1")
}

func TestHashPassword(t *testing.T) {
	_, err := auth.HashPassword("short")
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	h, err := auth.HashPassword("long enough")
	require.NoError(t, err)
	require.True(t, auth.CheckPassword(h, "long enough"))
	require.False(t, auth.CheckPassword(h, "long enougH"))
	p1, p2 := auth.NewPassword(), auth.NewPassword()
	require.Len(t, p1, 20)
	require.NotEqual(t, p1, p2)
}

// failingKeys fails TouchAccessKeys, to check pending times survive a failed write.
type failingKeys struct {
	centralita.AccessKeyService
	fail bool
	got  map[int64]time.Time
}

func (k *failingKeys) TouchAccessKeys(_ context.Context, m map[int64]time.Time) error {
	if k.fail {
		return errors.New("database down")
	}
	k.got = m
	return nil
}

func TestFlushKeepsPendingOnError(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	key, k := f.newKey(t, "crm")
	fk := &failingKeys{AccessKeyService: f.keys, fail: true}
	svc := auth.New(auth.Config{Keys: fk, Users: f.users, Now: f.clock.Now})
	_, err := svc.AuthenticateKey(ctx, key, "10.0.0.1")
	require.NoError(t, err)
	require.Error(t, svc.Flush(ctx))
	fk.fail = false
	require.NoError(t, svc.Flush(ctx))
	require.Contains(t, fk.got, k.ID, fmt.Sprint(fk.got))
}
