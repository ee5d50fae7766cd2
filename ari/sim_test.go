package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/ari/arisim"
)

// simTimeScale runs the simulator 20 times faster than real time: an
// extension rings 50 ms, an external number talks 200 ms.
const simTimeScale = 0.05

// simEnv is a running simulator and a Client connected to it.
type simEnv struct {
	t      *testing.T
	sim    *arisim.Server
	client *Client
	events <-chan centralita.ChannelEvent
	// pending holds events read while waiting for another channel's.
	pending []centralita.ChannelEvent
}

// newSimEnv starts the project's ARI simulator and connects a Client that
// is subscribed from the start.
func newSimEnv(t *testing.T) *simEnv {
	t.Helper()
	sim, err := arisim.New(arisim.Config{TimeScale: simTimeScale, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, sim.Start(context.Background(), "127.0.0.1:0"))
	t.Cleanup(func() { require.NoError(t, sim.Close()) })

	cfg := testConfig(sim.URL() + "/ari")
	cfg.Password = "asterisk"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := New(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	events, unsubscribe := c.Subscribe()
	t.Cleanup(unsubscribe)
	return &simEnv{t: t, sim: sim, client: c, events: events}
}

// control calls the simulator's /sim/ API and returns the decoded answer.
func (e *simEnv) control(method, path string, body any) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.sim.URL()+path, rd)
	require.NoError(e.t, err)
	req.SetBasicAuth("asterisk", "asterisk")
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Less(e.t, resp.StatusCode, 300, "%s %s: %d %s", method, path, resp.StatusCode, raw)
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}

// until collects, in order, the events of channelID (or, for "", the
// connection events) until one of type stop arrives. Events of other
// channels are kept for later calls.
func (e *simEnv) until(channelID string, stop centralita.ChannelEventType) []centralita.ChannelEvent {
	e.t.Helper()
	var got []centralita.ChannelEvent
	for {
		var ev centralita.ChannelEvent
		if i := e.pendingIndex(channelID); i >= 0 {
			ev = e.pending[i]
			e.pending = append(e.pending[:i], e.pending[i+1:]...)
		} else {
			ev = next(e.t, e.events)
			if ev.ChannelID != channelID {
				e.pending = append(e.pending, ev)
				continue
			}
		}
		got = append(got, ev)
		if ev.Type == stop {
			return got
		}
	}
}

// pendingIndex finds the first kept event of channelID.
func (e *simEnv) pendingIndex(channelID string) int {
	for i, ev := range e.pending {
		if ev.ChannelID == channelID {
			return i
		}
	}
	return -1
}

// types lists the event types.
func types(evs []centralita.ChannelEvent) []centralita.ChannelEventType {
	out := make([]centralita.ChannelEventType, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

func TestSimOriginateAnswerHangup(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	require.NoError(t, e.client.Originate(ctx, centralita.OriginateRequest{
		ChannelID: "out-1", Endpoint: "PJSIP/101", CallerIDName: "Centralita", CallerIDNumber: "5550002",
		Timeout: 30 * time.Second, AppArgs: []string{"agent", "b1"}, Variables: map[string]string{"CAMPAIGN": "7"},
	}))
	evs := e.until("out-1", centralita.ChannelEntered)
	assert.Equal(t, []centralita.ChannelEventType{centralita.ChannelRinging, centralita.ChannelAnswered, centralita.ChannelEntered}, types(evs))
	entered := evs[len(evs)-1]
	assert.Equal(t, []string{"agent", "b1"}, entered.Args)
	assert.Equal(t, "Up", entered.State)

	v, err := e.client.GetVariable(ctx, "out-1", "CAMPAIGN")
	require.NoError(t, err)
	assert.Equal(t, "7", v)

	require.NoError(t, e.client.Hangup(ctx, "out-1", "normal"))
	evs = e.until("out-1", centralita.ChannelHungup)
	assert.Equal(t, []centralita.ChannelEventType{centralita.ChannelLeft, centralita.ChannelHungup}, types(evs))
	assert.Equal(t, centralita.CauseNormalClearing, evs[1].Cause)
	assert.Equal(t, "Normal Clearing", evs[1].CauseText)

	err = e.client.Hangup(ctx, "out-1", "normal")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "already gone")
}

func TestSimExternalNumberFarEndHangsUp(t *testing.T) {
	e := newSimEnv(t)
	require.NoError(t, e.client.Originate(context.Background(), centralita.OriginateRequest{
		ChannelID: "ext-1", Endpoint: "PJSIP/5551234@trunk", Timeout: 30 * time.Second,
	}))
	evs := e.until("ext-1", centralita.ChannelHungup)
	assert.Equal(t, []centralita.ChannelEventType{
		centralita.ChannelRinging, centralita.ChannelAnswered, centralita.ChannelEntered,
		centralita.ChannelLeft, centralita.ChannelHungup,
	}, types(evs))
	// A far-end BYE on a POST /channels call is cause 0 "Unknown" on Asterisk 22 (trace 02).
	assert.Equal(t, 0, evs[4].Cause)
}

func TestSimFailedCallsCarryCauses(t *testing.T) {
	e := newSimEnv(t)
	cases := []struct {
		id, endpoint string
		timeout      time.Duration
		cause        int
	}{
		{"busy-1", "PJSIP/5551237@trunk", 30 * time.Second, centralita.CauseUserBusy},
		{"cong-1", "PJSIP/5551239@trunk", 30 * time.Second, centralita.CauseCongestion},
		{"noans-1", "PJSIP/5551238@trunk", 2 * time.Second, centralita.CauseNoAnswer},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			require.NoError(t, e.client.Originate(context.Background(), centralita.OriginateRequest{
				ChannelID: tc.id, Endpoint: tc.endpoint, Timeout: tc.timeout,
			}))
			evs := e.until(tc.id, centralita.ChannelHungup)
			last := evs[len(evs)-1]
			assert.Equal(t, tc.cause, last.Cause)
			assert.NotEmpty(t, last.CauseText)
			assert.NotContains(t, types(evs), centralita.ChannelEntered, "a failed call never enters the app")
		})
	}
}

func TestSimErrorsMapToKinds(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	kind := func(err error) centralita.Kind { return centralita.ErrorKind(err) }

	assert.Equal(t, centralita.EUNAVAILABLE, kind(e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "a", Endpoint: "PJSIP/999"})),
		"an endpoint that does not exist: 500 Allocation failed")
	assert.Equal(t, centralita.EINVALID, kind(e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "b", Endpoint: "garbage"})))

	require.NoError(t, e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "dup", Endpoint: "PJSIP/102"}))
	assert.Equal(t, centralita.ECONFLICT, kind(e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "dup", Endpoint: "PJSIP/103"})))

	assert.Equal(t, centralita.ENOTFOUND, kind(e.client.Hangup(ctx, "no-such-channel", "")))
	assert.Equal(t, centralita.ENOTFOUND, kind(e.client.DestroyBridge(ctx, "no-such-bridge")))
	assert.Equal(t, centralita.ENOTFOUND, kind(e.client.Answer(ctx, "no-such-channel")))

	ep, err := e.client.Endpoint(ctx, "PJSIP/101")
	require.NoError(t, err)
	assert.Equal(t, centralita.EndpointInfo{Technology: "PJSIP", Resource: "101", State: "online", ChannelIDs: []string{}}, ep)
	_, err = e.client.Endpoint(ctx, "PJSIP/999")
	assert.Equal(t, centralita.ENOTFOUND, kind(err))
	eps, err := e.client.ListEndpoints(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(eps), 20)
}

// TestSimWebSocketCutMidCall: the events WebSocket is cut during a call;
// consumers see disconnected then reconnected, ListChannels still shows the
// live call, and its later events arrive on the new connection.
func TestSimWebSocketCutMidCall(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	require.NoError(t, e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "live-1", Endpoint: "PJSIP/105"}))
	e.until("live-1", centralita.ChannelEntered)

	e.control("POST", "/sim/websockets/cut", nil)
	evs := e.until("", centralita.PBXReconnected)
	assert.Equal(t, []centralita.ChannelEventType{centralita.PBXDisconnected, centralita.PBXReconnected}, types(evs))
	require.NoError(t, e.client.Check(ctx))

	chans, err := e.client.ListChannels(ctx)
	require.NoError(t, err)
	var found *centralita.ChannelInfo
	for i := range chans {
		if chans[i].ID == "live-1" {
			found = &chans[i]
		}
	}
	require.NotNil(t, found, "the call survived the cut")
	assert.Equal(t, "Up", found.State)
	assert.False(t, found.CreatedAt.IsZero())

	e.control("POST", "/sim/channels/live-1/hangup", map[string]int{"cause": 16})
	evs = e.until("live-1", centralita.ChannelHungup)
	assert.Equal(t, []centralita.ChannelEventType{centralita.ChannelLeft, centralita.ChannelHungup}, types(evs))
}

func TestSimInboundCallWithDTMF(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	res := e.control("POST", "/sim/calls", map[string]any{"from": "5550001", "to": "5551234", "app": "centralita", "args": []string{"5551234"}})
	id, _ := res["channel_id"].(string)
	require.NotEmpty(t, id)

	entered := e.until(id, centralita.ChannelEntered)
	assert.Equal(t, []string{"5551234"}, entered[len(entered)-1].Args)
	assert.Equal(t, "5550001", entered[len(entered)-1].CallerNumber)

	require.NoError(t, e.client.Answer(ctx, id))
	e.until(id, centralita.ChannelAnswered)
	e.control("POST", "/sim/channels/"+id+"/dtmf", map[string]any{"digits": "12#", "duration_ms": 10, "gap_ms": 10})
	var digits string
	for len(digits) < 3 {
		evs := e.until(id, centralita.ChannelDTMF)
		digits += evs[len(evs)-1].Digit
	}
	assert.Equal(t, "12#", digits)

	require.NoError(t, e.client.Hangup(ctx, id, "normal"))
	e.until(id, centralita.ChannelLeft)
}

func TestSimBridgeAndMedia(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	require.NoError(t, e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "leg-a", Endpoint: "PJSIP/110"}))
	require.NoError(t, e.client.Originate(ctx, centralita.OriginateRequest{ChannelID: "leg-b", Endpoint: "PJSIP/111"}))
	e.until("leg-a", centralita.ChannelEntered)
	e.until("leg-b", centralita.ChannelEntered)

	require.NoError(t, e.client.CreateBridge(ctx, "br-1", "mixing"))
	assert.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(e.client.CreateBridge(ctx, "br-1", "mixing")))
	require.NoError(t, e.client.AddChannel(ctx, "br-1", "leg-a"))
	require.NoError(t, e.client.AddChannel(ctx, "br-1", "leg-b"))
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(e.client.AddChannel(ctx, "br-1", "no-such-channel")))
	bridges, err := e.client.ListBridges(ctx)
	require.NoError(t, err)
	require.Len(t, bridges, 1)
	assert.Equal(t, "mixing", bridges[0].Type)
	assert.ElementsMatch(t, []string{"leg-a", "leg-b"}, bridges[0].ChannelIDs)

	require.NoError(t, e.client.StartMOH(ctx, ChannelTarget("leg-a"), ""))
	require.NoError(t, e.client.StopMOH(ctx, ChannelTarget("leg-a")))
	id, err := e.client.Play(ctx, BridgeTarget("br-1"), "pb-1", "sound:beep")
	require.NoError(t, err)
	assert.Equal(t, "pb-1", id)

	require.NoError(t, e.client.Record(ctx, BridgeTarget("br-1"), RecordRequest{Name: "call-rec", IfExists: "overwrite"}))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, e.client.StopRecording(ctx, "call-rec"))
	var rc io.ReadCloser
	require.Eventually(t, func() bool {
		rc, err = e.client.DownloadRecording(ctx, "call-rec")
		return err == nil
	}, 2*time.Second, 20*time.Millisecond)
	wav, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Greater(t, len(wav), 44)
	assert.Equal(t, "RIFF", string(wav[:4]))
	require.NoError(t, e.client.DeleteRecording(ctx, "call-rec"))
	_, err = e.client.DownloadRecording(ctx, "call-rec")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

	require.NoError(t, e.client.SetVariable(ctx, "leg-a", "CAMPAIGN_ID", "7"))
	v, err := e.client.GetVariable(ctx, "leg-a", "CAMPAIGN_ID")
	require.NoError(t, err)
	assert.Equal(t, "7", v)
	_, err = e.client.GetVariable(ctx, "leg-a", "NEVER_SET")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	require.NoError(t, e.client.RemoveChannel(ctx, "br-1", "leg-b"))
	require.NoError(t, e.client.DestroyBridge(ctx, "br-1"))
	require.NoError(t, e.client.Hangup(ctx, "leg-a", "normal"))
	require.NoError(t, e.client.Hangup(ctx, "leg-b", "normal"))
	e.until("leg-a", centralita.ChannelHungup)
	e.until("leg-b", centralita.ChannelHungup)
}

func TestSimDeviceState(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	st, err := e.client.DeviceState(ctx, "PJSIP/105")
	require.NoError(t, err)
	require.Equal(t, "NOT_INUSE", st)
	e.control(http.MethodPut, "/sim/endpoints/105", map[string]any{"offhook": true})
	st, err = e.client.DeviceState(ctx, "PJSIP/105")
	require.NoError(t, err)
	require.Equal(t, "INUSE", st, "an off-hook phone is in use")
	_, err = e.client.DeviceState(ctx, "")
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
}
