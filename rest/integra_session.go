package rest

import (
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// sessionTokenBytes is the entropy of an Integra session token; the token
// is its hex form.
const sessionTokenBytes = 32

// sessionStore keeps the Integra sessions in memory: only the SHA-256 of
// each token, the user it belongs to and when it was last used. Sessions
// expire after idle time without use; at most max are kept, and when full
// the least recently used one is evicted. Expired sessions are swept on
// every access, so no goroutine is needed.
type sessionStore struct {
	idle time.Duration
	max  int
	now  func() time.Time

	mu     sync.Mutex
	byHash map[[sha256.Size]byte]*list.Element
	// lru holds *session, most recently used first.
	lru *list.List
}

// session is one signed-in user's session.
type session struct {
	hash     [sha256.Size]byte
	user     centralita.User
	lastUsed time.Time
}

func newSessionStore(idle time.Duration, max int, now func() time.Time) *sessionStore {
	return &sessionStore{idle: idle, max: max, now: now, byHash: map[[sha256.Size]byte]*list.Element{}, lru: list.New()}
}

// isSessionToken reports whether token has the form of a session token:
// 64 lowercase hexadecimal characters. Access keys (32) never do.
func isSessionToken(token string) bool {
	return isLowerHex(token, 2*sessionTokenBytes)
}

// isLowerHex reports whether s is n lowercase hexadecimal characters.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// create starts a session for u and returns its token.
func (st *sessionStore) create(u *centralita.User) (string, error) {
	b := make([]byte, sessionTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", centralita.WrapError(centralita.EINTERNAL, err, "generate session token")
	}
	token := hex.EncodeToString(b)
	user := *u
	user.PasswordHash = "" // a session never needs it
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(now)
	for st.lru.Len() >= st.max {
		st.drop(st.lru.Back())
	}
	s := &session{hash: sha256.Sum256([]byte(token)), user: user, lastUsed: now}
	st.byHash[s.hash] = st.lru.PushFront(s)
	return token, nil
}

// lookup returns a copy of the user of token's live session and marks it used.
func (st *sessionStore) lookup(token string) (*centralita.User, bool) {
	h := sha256.Sum256([]byte(token))
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(now)
	e, ok := st.byHash[h]
	if !ok {
		return nil, false
	}
	s := e.Value.(*session)
	s.lastUsed = now
	st.lru.MoveToFront(e)
	u := s.user
	return &u, true
}

// remove ends token's session; it reports whether there was one.
func (st *sessionStore) remove(token string) bool {
	h := sha256.Sum256([]byte(token))
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.byHash[h]
	if ok {
		st.drop(e)
	}
	return ok
}

// len returns how many sessions are kept.
func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.lru.Len()
}

// sweep drops the sessions idle for longer than st.idle; they sit at the
// back of the list. The caller holds st.mu.
func (st *sessionStore) sweep(now time.Time) {
	for e := st.lru.Back(); e != nil; e = st.lru.Back() {
		if now.Sub(e.Value.(*session).lastUsed) <= st.idle {
			return
		}
		st.drop(e)
	}
}

// drop removes one session. The caller holds st.mu.
func (st *sessionStore) drop(e *list.Element) {
	delete(st.byHash, e.Value.(*session).hash)
	st.lru.Remove(e)
}
