package arisim

import (
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centralita/centralita"
)

// TestTwoThousandConcurrentCalls originates 2,000 calls, holds them all up
// at the same time, then hangs them up, and checks every event and CDR.
func TestTwoThousandConcurrentCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	const calls = 2000
	sink := &fakeCDRs{}
	cfg := Config{
		TimeScale:      0.01,
		CDR:            sink,
		EventQueueSize: 1 << 16,
		Rules:          []Rule{{Match: MatchPrefix, Outcome: OutcomeAnswer, RingDelay: time.Second}},
	}
	h := newHarness(t, cfg)
	ws := h.events("load", false)
	start := time.Now()

	ids := make([]string, calls)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= calls {
					return
				}
				q := url.Values{"endpoint": {"PJSIP/555" + strconv.Itoa(1000+i) + "@trunk"}, "app": {"load"}}
				r := h.call("POST", "/ari/channels", q, nil)
				if r.status != 200 {
					t.Errorf("originate %d: %d %s", i, r.status, r.body)
					return
				}
				ids[i] = r.json(t).(map[string]any)["id"].(string)
			}
		}()
	}
	wg.Wait()
	ws.waitCount("StasisStart", calls, 60*time.Second)
	list := h.call("GET", "/ari/channels", nil, nil).json(t).([]any)
	if len(list) != calls {
		t.Fatalf("%d channels up at once, want %d", len(list), calls)
	}
	for _, c := range list {
		if c.(map[string]any)["state"] != "Up" {
			t.Fatalf("channel not up: %v", c)
		}
	}
	t.Logf("%d calls up after %v", calls, time.Since(start))

	next.Store(0)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= calls {
					return
				}
				if r := h.call("DELETE", "/ari/channels/"+ids[i], nil, nil); r.status != 204 {
					t.Errorf("hangup %d: %d", i, r.status)
					return
				}
			}
		}()
	}
	wg.Wait()
	ws.waitCount("ChannelDestroyed", calls, 60*time.Second)
	ws.mu.Lock()
	counts := map[string]int{}
	for k, v := range ws.counts {
		counts[k] = v
	}
	ws.mu.Unlock()
	if counts["StasisEnd"] != calls || counts["Dial"] != 3*calls {
		t.Errorf("event counts %v", counts)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sink.mu.Lock()
		n := len(sink.rows)
		sink.mu.Unlock()
		if n == calls {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.rows) != calls {
		t.Fatalf("%d CDRs, want %d", len(sink.rows), calls)
	}
	for _, r := range sink.rows {
		if r.Disposition != centralita.DispositionAnswered {
			t.Fatalf("CDR %+v", r)
		}
	}
	t.Logf("%d calls completed in %v", calls, time.Since(start))
}
