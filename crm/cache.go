package crm

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// cache holds caller names per number, for a TTL, evicting the oldest
// entry when full.
type cache struct {
	ttl  time.Duration
	size int

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry
	order   list.List                // oldest first
}

// entry is one cached name.
type entry struct {
	number  string
	name    string
	expires time.Time
}

func newCache(ttl time.Duration, size int) *cache {
	return &cache{ttl: ttl, size: size, entries: map[string]*list.Element{}}
}

// get returns the live name of number.
func (c *cache) get(number string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[number]
	if !ok {
		return "", false
	}
	e := el.Value.(*entry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, number)
		return "", false
	}
	return e.name, true
}

// put stores name for number, evicting the oldest entries beyond size.
func (c *cache) put(number, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[number]; ok {
		c.order.Remove(el)
	}
	c.entries[number] = c.order.PushBack(&entry{number: number, name: name, expires: now.Add(c.ttl)})
	for c.order.Len() > c.size {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*entry).number)
	}
}

// len is the number of entries held, expired ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// flights shares one lookup per number among concurrent callers.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// flight is a lookup in progress; done is closed when name and err are set.
type flight struct {
	done     chan struct{}
	waiters  int // callers that joined after the leader
	name     string
	err      error
	canceled bool // the leader's own caller went away
}

func newFlights() *flights { return &flights{m: map[string]*flight{}} }

// join returns the flight of number, starting one (leader true) if none is
// in progress.
func (fs *flights) join(number string) (f *flight, leader bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.m[number]; f != nil {
		f.waiters++
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	fs.m[number] = f
	return f, true
}

// finish ends the leader's flight with its result.
func (fs *flights) finish(number string, f *flight, name string, err error) {
	fs.mu.Lock()
	delete(fs.m, number)
	fs.mu.Unlock()
	f.name, f.err = name, err
	f.canceled = errors.Is(err, context.Canceled)
	close(f.done)
}

// waiting is how many callers wait on the flight of number.
func (fs *flights) waiting(number string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.m[number]; f != nil {
		return f.waiters
	}
	return 0
}
