// Package auth checks access keys and user passwords for every facade: keys
// and passwords are stored hashed and compared in constant time, key use is
// recorded without a write per request, and failed attempts are limited per
// client address.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/centralita/centralita"
)

// Config configures a Service.
type Config struct {
	Keys  centralita.AccessKeyService
	Users centralita.UserService
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// FailureBurst is how many failed attempts a client address may make
	// before it is refused; default 10.
	FailureBurst int
	// FailureRefill is how often one failed attempt is forgiven; default 30 s.
	FailureRefill time.Duration
	// TouchInterval is how often key last-use times are written; default 1 min.
	TouchInterval time.Duration
	// PasswordCacheTTL is how long a verified password is remembered so that
	// HTTP Basic requests do not pay bcrypt each time; default 5 min.
	PasswordCacheTTL time.Duration
}

// Service implements centralita.Authenticator.
type Service struct {
	cfg     Config
	limiter *limiter

	mu       sync.Mutex
	lastUsed map[int64]time.Time // key id → last use not yet written
	verified map[string]verifiedPassword
	secret   []byte // per-process HMAC key for the password cache
	// dummyHash is a bcrypt hash of a random string, compared against when
	// the user does not exist; made on first need.
	dummyHash func() []byte
}

// verifiedPassword remembers one successful bcrypt check.
type verifiedPassword struct {
	hash    string // the stored bcrypt hash it was checked against
	mac     []byte // HMAC of the password under Service.secret
	expires time.Time
}

var _ centralita.Authenticator = (*Service)(nil)

// New returns a Service; call Run to write key last-use times.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FailureBurst <= 0 {
		cfg.FailureBurst = 10
	}
	if cfg.FailureRefill <= 0 {
		cfg.FailureRefill = 30 * time.Second
	}
	if cfg.TouchInterval <= 0 {
		cfg.TouchInterval = time.Minute
	}
	if cfg.PasswordCacheTTL <= 0 {
		cfg.PasswordCacheTTL = 5 * time.Minute
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	return &Service{
		cfg:      cfg,
		limiter:  newLimiter(cfg.FailureBurst, cfg.FailureRefill),
		lastUsed: map[int64]time.Time{},
		verified: map[string]verifiedPassword{},
		secret:   secret,
		dummyHash: sync.OnceValue(func() []byte {
			h, _ := bcrypt.GenerateFromPassword([]byte(NewPassword()), bcrypt.DefaultCost)
			return h
		}),
	}
}

// AuthenticateKey checks an access key: 32 hex characters, known, not revoked.
func (s *Service) AuthenticateKey(ctx context.Context, key, clientIP string) (*centralita.AccessKey, error) {
	now := s.cfg.Now()
	if s.limiter.blocked(clientIP, now) {
		return nil, centralita.Errorf(centralita.ELIMITED, "too many failed attempts from %s; try again later", clientIP)
	}
	if !ValidKeyFormat(key) {
		return nil, s.fail(clientIP, now, "malformed access key")
	}
	hash := HashKey(key)
	k, err := s.cfg.Keys.FindAccessKeyByHash(ctx, hash)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		return nil, s.fail(clientIP, now, "unknown access key")
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) != 1 || !k.Active() {
		return nil, s.fail(clientIP, now, "revoked access key")
	}
	s.mu.Lock()
	s.lastUsed[k.ID] = now
	s.mu.Unlock()
	return k, nil
}

// AuthenticateUser checks a username and password.
func (s *Service) AuthenticateUser(ctx context.Context, username, password, clientIP string) (*centralita.User, error) {
	now := s.cfg.Now()
	if s.limiter.blocked(clientIP, now) {
		return nil, centralita.Errorf(centralita.ELIMITED, "too many failed attempts from %s; try again later", clientIP)
	}
	u, err := s.cfg.Users.FindUserByUsername(ctx, username)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		// Spend the same time as a real check, so absent users cannot be told apart.
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return nil, s.fail(clientIP, now, "bad username or password")
	} else if err != nil {
		return nil, err
	}
	if s.cachedPassword(u, password, now) {
		return u, nil
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, s.fail(clientIP, now, "bad username or password")
	}
	s.mu.Lock()
	s.verified[u.Username] = verifiedPassword{hash: u.PasswordHash, mac: s.mac(password), expires: now.Add(s.cfg.PasswordCacheTTL)}
	s.mu.Unlock()
	return u, nil
}

// cachedPassword reports whether password was verified recently against the
// user's current hash.
func (s *Service) cachedPassword(u *centralita.User, password string, now time.Time) bool {
	s.mu.Lock()
	v, ok := s.verified[u.Username]
	if ok && (now.After(v.expires) || v.hash != u.PasswordHash) {
		delete(s.verified, u.Username)
		ok = false
	}
	s.mu.Unlock()
	return ok && hmac.Equal(v.mac, s.mac(password))
}

func (s *Service) mac(password string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(password))
	return m.Sum(nil)
}

// fail counts a failed attempt and returns the EUNAUTHORIZED error.
func (s *Service) fail(clientIP string, now time.Time, why string) error {
	if s.limiter.fail(clientIP, now) {
		s.cfg.Logger.Warn("authentication: client now limited after repeated failures", "client_ip", clientIP)
	}
	return centralita.Errorf(centralita.EUNAUTHORIZED, "%s", why)
}

// Run writes key last-use times every TouchInterval until ctx ends, then
// writes what is left once more.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.TouchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.Flush(fctx); err != nil {
				s.cfg.Logger.Error("authentication: writing key last-use times", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil {
				s.cfg.Logger.Error("authentication: writing key last-use times", "err", err)
			}
			s.sweep()
		}
	}
}

// Flush writes pending key last-use times now; on error they are kept for the next try.
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	pending := s.lastUsed
	s.lastUsed = map[int64]time.Time{}
	s.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	if err := s.cfg.Keys.TouchAccessKeys(ctx, pending); err != nil {
		s.mu.Lock()
		for id, t := range pending {
			if t.After(s.lastUsed[id]) {
				s.lastUsed[id] = t
			}
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// sweep forgets expired password verifications and idle limiter entries.
func (s *Service) sweep() {
	now := s.cfg.Now()
	s.mu.Lock()
	for name, v := range s.verified {
		if now.After(v.expires) {
			delete(s.verified, name)
		}
	}
	s.mu.Unlock()
	s.limiter.sweep(now)
}

// HashKey returns the stored form of an access key: hex SHA-256. Keys carry
// 128 random bits, so a fast hash is safe and keeps checks cheap.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ValidKeyFormat reports whether key is 32 lowercase hexadecimal characters.
func ValidKeyFormat(key string) bool {
	if len(key) != 32 {
		return false
	}
	for _, c := range key {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// NewKey returns a new access key (32 hex characters, 128 random bits) and its hash.
func NewKey() (key, hash string) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	key = hex.EncodeToString(b)
	return key, HashKey(key)
}

// NewPassword returns a random password of 20 URL-safe characters (about 119 bits).
func NewPassword() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// HashPassword returns a bcrypt hash of password; passwords must be 8 to 72 bytes.
func HashPassword(password string) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", centralita.Errorf(centralita.EINVALID, "a password must be 8 to 72 bytes long")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", centralita.WrapError(centralita.EINTERNAL, err, "hashing password")
	}
	return string(h), nil
}

// CheckPassword reports whether password matches a bcrypt hash, in constant time.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
