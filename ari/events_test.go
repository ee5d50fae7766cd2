package ari

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// lines splits a trace constant into its messages.
func lines(trace string) []string {
	return strings.Split(strings.TrimSpace(trace), "\n")
}

// translateAll translates every message of a trace, failing on errors.
func translateAll(t *testing.T, trace string) []centralita.ChannelEvent {
	t.Helper()
	var out []centralita.ChannelEvent
	for _, m := range lines(trace) {
		ev, typ, ok, err := translate([]byte(m), time.Now)
		require.NoError(t, err, typ)
		if ok {
			out = append(out, ev)
		}
	}
	return out
}

// summary renders events compactly for comparison.
func summary(evs []centralita.ChannelEvent) []string {
	var out []string
	for _, ev := range evs {
		s := fmt.Sprintf("%s %s %s", ev.Type, ev.ChannelID, ev.State)
		switch ev.Type {
		case centralita.ChannelHungup:
			s += fmt.Sprintf(" %d %s", ev.Cause, ev.CauseText)
		case centralita.ChannelEntered:
			s += " " + strings.Join(ev.Args, ",")
		case centralita.ChannelDTMF:
			s += " " + ev.Digit
		}
		out = append(out, s)
	}
	return out
}

func TestTranslateRealTraces(t *testing.T) {
	cases := map[string]struct {
		trace string
		want  []string
	}{
		"02 originate, answer, remote hangup": {trace02AnswerRemoteHangup, []string{
			"ringing trace02-out Ringing",
			"answered trace02-out Up",
			"entered trace02-out Up arg1,arg2",
			"left trace02-out Up",
			"hungup trace02-out Up 0 Unknown",
		}},
		"04 busy": {trace04Busy, []string{"hungup trace04-out Down 17 User busy"}},
		"06 congestion": {trace06Congestion, []string{
			"hungup trace06-out Down 34 Circuit/channel congestion",
		}},
		"15 inbound with DTMF": {trace15InboundDTMF, []string{
			"entered 1795290733.43 Ring 5551234",
			"answered 1795290733.43 Up",
			"dtmf 1795290733.43 Up 1",
			"dtmf 1795290733.43 Up 2",
			"dtmf 1795290733.43 Up #",
			"dtmf 1795290733.43 Up *",
			"left 1795290733.43 Up",
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, summary(translateAll(t, tc.trace)))
		})
	}
}

func TestTranslateFields(t *testing.T) {
	evs := translateAll(t, trace02AnswerRemoteHangup)
	entered := evs[2]
	assert.Equal(t, "Trace 02", entered.CallerName)
	assert.Equal(t, "5550002", entered.CallerNumber)
	assert.Equal(t, time.Date(2026, 11, 21, 19, 50, 5, 687e6, time.UTC), entered.Time.UTC())
}

func TestTranslateIgnoresUnusedTypes(t *testing.T) {
	for _, m := range []string{
		`{"type":"ChannelToneDetected","timestamp":"2026-11-21T19:50:04.679+0000","channel":{"id":"x","state":"Up"}}`,
		`{"type":"ChannelTransfer","timestamp":"2026-11-21T19:50:04.679+0000","refer_to":{"requested_destination":{}},"channel":"not-an-object"}`,
		`{"type":"RESTResponse","transaction_id":"1","status_code":200}`,
		`{"type":"Dial","dialstatus":"ANSWER","peer":{"id":"x"}}`,
		`{"type":"ChannelStateChange","channel":{"id":"x","state":"Ring"}}`,
		`{"type":"StasisStart"}`,
		`{"type":"CallBroadcast","weird":[1,2,3]}`,
	} {
		_, _, ok, err := translate([]byte(m), time.Now)
		assert.NoError(t, err, m)
		assert.False(t, ok, m)
	}
	_, _, _, err := translate([]byte(`{not json`), time.Now)
	assert.Error(t, err)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ev, _, ok, err := translate([]byte(`{"type":"StasisEnd","channel":{"id":"x","state":"Up"}}`), func() time.Time { return now })
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, now, ev.Time, "missing timestamp falls back to Now")
}

// TestSubscribeDeliversTraceInOrder feeds a real trace, with event types the
// adapter ignores and a malformed message in between, through the WebSocket.
func TestSubscribeDeliversTraceInOrder(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	events, cancel := c.Subscribe()
	defer cancel()

	msgs := append([]string{`{"type":"ChannelToneDetected","channel":{"id":"x"}}`, `garbage`}, lines(trace02AnswerRemoteHangup)...)
	f.send(msgs...)
	var got []centralita.ChannelEvent
	for range 5 {
		got = append(got, next(t, events))
	}
	assert.Equal(t, summary(translateAll(t, trace02AnswerRemoteHangup)), summary(got))
	assert.Equal(t, StateConnected, c.State(), "bad messages do not drop the connection")
}

// TestBurstWithSlowConsumers checks that no event is lost or reordered when
// consumers fall far behind a burst.
func TestBurstWithSlowConsumers(t *testing.T) {
	const n = 3000
	f := newFakeARI(t)
	c := connect(t, f)
	slow, cancelSlow := c.Subscribe()
	defer cancelSlow()
	late, cancelLate := c.Subscribe()
	defer cancelLate()

	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = eventJSONFor("ChannelDtmfReceived", fmt.Sprintf("ch-%d", i), "Up", map[string]any{"digit": "5"})
	}
	f.send(msgs...)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			var ev centralita.ChannelEvent
			select {
			case ev = <-slow:
			case <-time.After(5 * time.Second):
				assert.Fail(t, "slow consumer starved", "after %d events", i)
				return
			}
			if !assert.Equal(t, fmt.Sprintf("ch-%d", i), ev.ChannelID) {
				return
			}
			if i < 200 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	// The second consumer reads nothing until the whole burst is queued.
	time.Sleep(300 * time.Millisecond)
	for i := range n {
		ev := next(t, late)
		require.Equal(t, fmt.Sprintf("ch-%d", i), ev.ChannelID)
		require.Equal(t, centralita.ChannelDTMF, ev.Type)
	}
	wg.Wait()
}

func TestSubscriptionCancel(t *testing.T) {
	h := newHub()
	a, cancelA := h.subscribe()
	b, cancelB := h.subscribe()
	h.publish(centralita.ChannelEvent{Type: centralita.ChannelDTMF, Digit: "1"})
	assert.Equal(t, "1", (<-a).Digit)

	cancelA()
	_, open := <-a
	assert.False(t, open, "cancel closes the channel")
	cancelA() // idempotent

	h.publish(centralita.ChannelEvent{Type: centralita.ChannelDTMF, Digit: "2"})
	assert.Equal(t, "1", (<-b).Digit)
	assert.Equal(t, "2", (<-b).Digit)

	// A consumer may cancel from its own loop while events are still queued.
	h.publish(centralita.ChannelEvent{Digit: "3"})
	h.publish(centralita.ChannelEvent{Digit: "4"})
	for ev := range b {
		if ev.Digit == "3" {
			cancelB()
		}
	}

	h.close()
	c, cancelC := h.subscribe()
	_, open = <-c
	assert.False(t, open, "subscribing to a closed hub gives a closed channel")
	cancelC()
}
