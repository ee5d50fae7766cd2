package ari

import (
	"sync"

	"github.com/centralita/centralita"
)

// hub fans events out to subscribers. Each subscriber has an unbounded
// queue drained by its own goroutine, so publishing never blocks and a slow
// subscriber never loses events or delays the others.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

// maxSpare is the largest queue buffer kept for reuse after a burst.
const maxSpare = 4096

// newHub returns an empty hub.
func newHub() *hub {
	return &hub{subs: make(map[*subscriber]struct{})}
}

// subscriber is one Subscribe call: its queue and delivery goroutine.
type subscriber struct {
	mu    sync.Mutex
	queue []centralita.ChannelEvent
	spare []centralita.ChannelEvent

	wake   chan struct{} // capacity 1: the queue is not empty
	stop   chan struct{} // closed by cancel
	exited chan struct{} // closed when the delivery goroutine ends
	out    chan centralita.ChannelEvent
	once   sync.Once
}

// subscribe adds a subscriber; on a closed hub the channel is already closed.
func (h *hub) subscribe() (<-chan centralita.ChannelEvent, func()) {
	s := &subscriber{
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
		out:    make(chan centralita.ChannelEvent),
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go s.deliver()
	cancel := func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
		s.cancel()
	}
	return s.out, cancel
}

// publish queues ev for every subscriber.
func (h *hub) publish(ev centralita.ChannelEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(ev)
	}
}

// close cancels every subscriber; later subscriptions get a closed channel.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	subs := h.subs
	h.subs = make(map[*subscriber]struct{})
	h.mu.Unlock()
	for s := range subs {
		s.cancel()
	}
}

// push appends ev to the queue and wakes the delivery goroutine.
func (s *subscriber) push(ev centralita.ChannelEvent) {
	s.mu.Lock()
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// cancel stops delivery and waits until the channel is closed.
func (s *subscriber) cancel() {
	s.once.Do(func() { close(s.stop) })
	<-s.exited
}

// deliver sends queued events in order until cancelled, then closes out.
func (s *subscriber) deliver() {
	defer close(s.exited)
	defer close(s.out)
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = s.spare
		s.spare = nil
		s.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-s.wake:
				continue
			case <-s.stop:
				return
			}
		}
		for _, ev := range batch {
			select {
			case s.out <- ev:
			case <-s.stop:
				return
			}
		}
		clear(batch)
		s.mu.Lock()
		if s.spare == nil && cap(batch) <= maxSpare {
			s.spare = batch[:0]
		}
		s.mu.Unlock()
	}
}
