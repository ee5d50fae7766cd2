package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter counts failed authentication attempts per client address with a
// token bucket: burst failures are allowed, one is forgiven every refill.
type limiter struct {
	burst  int
	every  rate.Limit
	mu     sync.Mutex
	client map[string]*rate.Limiter
}

func newLimiter(burst int, refill time.Duration) *limiter {
	return &limiter{burst: burst, every: rate.Every(refill), client: map[string]*rate.Limiter{}}
}

// blocked reports whether ip has no failed attempts left.
func (l *limiter) blocked(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.client[ip]
	return ok && b.TokensAt(now) < 1
}

// fail counts one failure for ip and reports whether ip is now blocked.
func (l *limiter) fail(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.client[ip]
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.client[ip] = b
	}
	b.AllowN(now, 1)
	return b.TokensAt(now) < 1
}

// sweep forgets addresses whose failures have all been forgiven.
func (l *limiter) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ip, b := range l.client {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.client, ip)
		}
	}
}
