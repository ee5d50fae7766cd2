package rest

import (
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestSessionStoreKeepsOnlyHashesAndSweeps(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st := newSessionStore(time.Minute, 100, clock)

	u := &centralita.User{ID: 3, Username: "sue", Role: centralita.RoleSupervisor, PasswordHash: "$2a$hash"}
	tok, err := st.create(u)
	require.NoError(t, err)
	require.True(t, isSessionToken(tok))
	require.False(t, isSessionToken(strings.Repeat("0", 32)), "an access key is not a session token")

	// Only the SHA-256 of the token is kept, and no password hash.
	st.mu.Lock()
	e, ok := st.byHash[sha256.Sum256([]byte(tok))]
	require.True(t, ok)
	require.Empty(t, e.Value.(*session).user.PasswordHash)
	st.mu.Unlock()

	got, ok := st.lookup(tok)
	require.True(t, ok)
	require.Equal(t, "sue", got.Username)
	got.Role = centralita.RoleAdmin // the caller's copy
	got, _ = st.lookup(tok)
	require.Equal(t, centralita.RoleSupervisor, got.Role)

	// Sessions idle past the limit are swept on the next access, even
	// when that access is about another session.
	for range 5 {
		_, err := st.create(u)
		require.NoError(t, err)
	}
	require.Equal(t, 6, st.len())
	advance(time.Minute + time.Second)
	fresh, err := st.create(u)
	require.NoError(t, err)
	require.Equal(t, 1, st.len())
	_, ok = st.lookup(tok)
	require.False(t, ok)
	require.True(t, st.remove(fresh))
	require.False(t, st.remove(fresh))
	require.Equal(t, 0, st.len())
}

func TestSessionStoreBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	st := newSessionStore(time.Hour, 3, func() time.Time { return now })
	var toks []string
	for range 10 {
		tok, err := st.create(&centralita.User{Username: "a"})
		require.NoError(t, err)
		toks = append(toks, tok)
	}
	require.Equal(t, 3, st.len())
	for i, tok := range toks {
		_, ok := st.lookup(tok)
		require.Equal(t, i >= 7, ok, "token %d", i)
	}
}
