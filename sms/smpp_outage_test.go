package sms_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
)

// link is a TCP relay to an SMSC that can be cut: while down it closes
// every connection it accepts (a bind fails) and Down drops the relayed
// ones, as an SMSC outage or a broken network would.
type link struct {
	l      net.Listener
	target string
	up     atomic.Bool
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

// newLink relays to target, down at first; cleanup closes it.
func newLink(t *testing.T, target string) *link {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	k := &link{l: l, target: target}
	k.wg.Add(1)
	go k.serve()
	t.Cleanup(func() {
		_ = l.Close()
		k.Down()
		k.wg.Wait()
	})
	return k
}

func (k *link) Addr() string { return k.l.Addr().String() }

// Up lets connections through.
func (k *link) Up() { k.up.Store(true) }

// Down refuses new connections and drops the open ones.
func (k *link) Down() {
	k.up.Store(false)
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.conns {
		_ = c.Close()
	}
	k.conns = nil
}

func (k *link) serve() {
	defer k.wg.Done()
	for {
		c, err := k.l.Accept()
		if err != nil {
			return
		}
		if !k.up.Load() {
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", k.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		k.mu.Lock()
		k.conns = append(k.conns, c, s)
		k.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer k.wg.Done()
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
		}
		k.wg.Add(2)
		go pipe(c, s)
		go pipe(s, c)
	}
}

// An SMSC outage longer than the whole retry budget costs no attempt: the
// messages wait, PENDING with 0 attempts, and go out once the SMSC is
// back, with attempts counting only the submits it answered — both when
// the SMSC is down from the start and when the bind breaks later.
func TestSMPPOutageLongerThanRetriesSpendsNoAttempt(t *testing.T) {
	smsc := newTestSMSC(t, "centralita", "s3cret", false)
	k := newLink(t, smsc.Addr())
	// One retry after 20 ms: the budget is spent in well under 100 ms.
	e, p, _ := smppEngineAt(t, k.Addr(), "s3cret", 1)
	ctx := context.Background()
	send := func() int64 {
		id, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"098344484"}, Text: "hola"})
		require.NoError(t, err)
		return id
	}
	waiting := func(id int64) {
		t.Helper()
		time.Sleep(400 * time.Millisecond)
		ms, err := e.Status(ctx, id)
		require.NoError(t, err)
		require.Equal(t, centralita.SMSPending, ms[0].Status, "error %q", ms[0].Error)
		require.Zero(t, ms[0].Attempts)
	}

	// Down from the start.
	first := send()
	waiting(first)
	require.False(t, p.Ready())
	k.Up()
	ms := waitStatus(t, e, first, string(centralita.SMSSent))
	require.Equal(t, 1, ms[0].Attempts)
	require.True(t, p.Ready())

	// The bind breaks; the SMSC then throttles the first submit after it
	// is back: one real failed submit, one retry.
	k.Down()
	require.Eventually(t, func() bool { return !p.Ready() }, 5*time.Second, 5*time.Millisecond, "the drop went unnoticed")
	smsc.mu.Lock()
	smsc.refuse = 1
	smsc.mu.Unlock()
	second := send()
	waiting(second)
	k.Up()
	ms = waitStatus(t, e, second, string(centralita.SMSSent))
	require.Equal(t, 2, ms[0].Attempts, "the throttled submit and the accepted one")
	require.Len(t, smsc.Submitted(), 2)
}

// notConnected is a provider whose Send fails with ErrNotConnected while
// down, and whose Ready is always true (a link lost between the check and
// the send).
type notConnected struct {
	fakeProvider
	down  atomic.Bool
	tries atomic.Int32
}

func (p *notConnected) Ready() bool { return true }
func (p *notConnected) Send(ctx context.Context, m *centralita.SMS) ([]string, error) {
	p.tries.Add(1)
	if p.down.Load() {
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, errors.Join(sms.ErrNotConnected, errors.New("link lost")), "no link")
	}
	return p.fakeProvider.Send(ctx, m)
}

func TestNotConnectedSendIsNoAttempt(t *testing.T) {
	p := &notConnected{}
	p.down.Store(true)
	e, _ := newEngine(t, sms.Config{Provider: p, Rate: 100, Retries: 1, Backoff: time.Millisecond}, true)
	ctx := context.Background()
	id, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"098344484", "098344485"}, Text: "hola"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.tries.Load() >= 5 }, 5*time.Second, 5*time.Millisecond)
	ms, err := e.Status(ctx, id)
	require.NoError(t, err)
	for _, m := range ms {
		require.Equal(t, centralita.SMSPending, m.Status)
		require.Zero(t, m.Attempts)
	}
	p.down.Store(false)
	ms = waitStatus(t, e, id, string(centralita.SMSSent))
	for _, m := range ms {
		require.Equal(t, 1, m.Attempts)
	}
}
