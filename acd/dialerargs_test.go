package acd_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// An answered outbound dialer call names its own wait limit, abandon
// message and customer number; the dialer follows it through Observe.
func TestDialerCallArguments(t *testing.T) {
	var mu sync.Mutex
	var seen []centralita.QueueLogEntry
	e := newEnv(t, envConfig{
		queues: []centralita.Queue{{Name: "out", Strategy: centralita.StrategyRingAll, OverflowQueue: "other"}, {Name: "other"}},
	})
	e.close()
	e.cfg.Observe = func(r centralita.QueueLogEntry) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
	}
	e.start()

	id := e.call("5550100", "out", "maxwait=2", "sound=sound:sorry", "dialer=7", "caller=099123456")
	enter := e.waitRow(id, centralita.QLEnterQueue)
	require.Equal(t, "099123456", enter.Data2, "the customer's number, not the campaign's caller id")
	exit := e.waitRow(id, centralita.QLExitWithTimeout)
	require.Equal(t, "out", exit.QueueName)
	require.Eventually(t, func() bool { return len(e.channels()) == 0 }, 10*time.Second, 10*time.Millisecond, "hung up after the message")
	require.Empty(t, e.rows(centralita.QueueLogFilter{QueueName: "other"}), "a dialer call never overflows into another queue")

	mu.Lock()
	defer mu.Unlock()
	var events []string
	for _, r := range seen {
		if r.CallID == id {
			events = append(events, r.Event)
		}
	}
	require.Equal(t, []string{centralita.QLEnterQueue, centralita.QLExitWithTimeout}, events)
}
