package ari

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestOriginateSendsWhatARIExpects(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	f.handle("POST /ari/channels", 200, `{"id":"call-1","state":"Down"}`)

	err := c.Originate(context.Background(), centralita.OriginateRequest{
		ChannelID:      "call-1",
		Endpoint:       "PJSIP/5551234@trunk",
		CallerIDName:   `Sales "Team"`,
		CallerIDNumber: "5550002",
		Timeout:        2500 * time.Millisecond,
		AppArgs:        []string{"agent", "bridge-9"},
		Variables:      map[string]string{"CDR(userfield)": "campaign=7"},
		Originator:     "inbound-7",
	})
	require.NoError(t, err)

	r := f.last()
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/ari/channels", r.Path)
	assert.Equal(t, "PJSIP/5551234@trunk", r.Query["endpoint"][0])
	assert.Equal(t, "centralita", r.Query["app"][0])
	assert.Equal(t, "call-1", r.Query["channelId"][0])
	assert.Equal(t, "agent,bridge-9", r.Query["appArgs"][0])
	assert.Equal(t, `"Sales Team" <5550002>`, r.Query["callerId"][0])
	assert.Equal(t, "3", r.Query["timeout"][0], "timeout is rounded up to whole seconds")
	assert.Equal(t, "inbound-7", r.Query["originator"][0])
	assert.Equal(t, "application/json", r.ContentType)
	assert.Equal(t, "Basic YXN0ZXJpc2s6c2VjcmV0", r.Auth)
	var body map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.Body), &body))
	assert.Equal(t, map[string]string{"CDR(userfield)": "campaign=7"}, body["variables"])
}

func TestOriginateWithoutOptionalFields(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	f.handle("POST /ari/channels", 200, `{"id":"call-2"}`)

	require.NoError(t, c.Originate(context.Background(), centralita.OriginateRequest{ChannelID: "call-2", Endpoint: "PJSIP/101", CallerIDNumber: "200"}))
	r := f.last()
	assert.Empty(t, r.Body, "no body without variables")
	assert.NotContains(t, r.Query, "timeout")
	assert.NotContains(t, r.Query, "appArgs")
	assert.NotContains(t, r.Query, "originator")
	assert.Equal(t, "200", r.Query["callerId"][0])
}

func TestOriginateValidatesBeforeCalling(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	for name, req := range map[string]centralita.OriginateRequest{
		"no channel id":    {Endpoint: "PJSIP/101"},
		"no endpoint":      {ChannelID: "x"},
		"negative timeout": {ChannelID: "x", Endpoint: "PJSIP/101", Timeout: -time.Second},
		"comma in arg":     {ChannelID: "x", Endpoint: "PJSIP/101", AppArgs: []string{"a,b"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.Originate(context.Background(), req)
			assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Empty(t, f.requests, "nothing reached Asterisk")
}

// TestErrorsMapToKinds uses the statuses and bodies real Asterisk answers
// (traces 06f, 07, 12).
func TestErrorsMapToKinds(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	cases := []struct {
		status int
		body   string
		kind   centralita.Kind
		msg    string
	}{
		{400, `{"message":"Invalid endpoint specified"}`, centralita.EINVALID, "Invalid endpoint specified"},
		{404, `{"message":"Channel not found"}`, centralita.ENOTFOUND, "Channel not found"},
		{409, `{"message":"Channel with given unique ID already exists"}`, centralita.ECONFLICT, "Channel with given unique ID already exists"},
		{422, `{"message":"Channel not in Stasis application"}`, centralita.ECONFLICT, "Channel not in Stasis application"},
		{500, `{"error":"Allocation failed"}`, centralita.EUNAVAILABLE, "Allocation failed"},
		{503, `service down`, centralita.EUNAVAILABLE, "service down"},
		{405, `{"message":"Invalid method"}`, centralita.EINTERNAL, "Invalid method"},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			f.handle("POST /ari/channels", tc.status, tc.body)
			err := c.Originate(context.Background(), centralita.OriginateRequest{ChannelID: "c", Endpoint: "PJSIP/101"})
			require.Error(t, err)
			assert.Equal(t, tc.kind, centralita.ErrorKind(err))
			var se *StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.status, se.Status)
			assert.Equal(t, tc.msg, se.Message)
			assert.Contains(t, centralita.ErrorMessage(err), tc.msg)
		})
	}
}

func TestHangupNotFound(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	f.handle("DELETE /ari/channels/call-1", 204, "")
	require.NoError(t, c.Hangup(context.Background(), "call-1", "busy"))
	assert.Equal(t, "reason=busy", f.last().RawQuery)

	f.handle("DELETE /ari/channels/call-1", 404, `{"message":"Channel not found"}`)
	err := c.Hangup(context.Background(), "call-1", "")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	assert.Empty(t, f.last().RawQuery)
}

func TestRequestTimeout(t *testing.T) {
	f := newFakeARI(t)
	cfg := testConfig(f.url())
	cfg.RequestTimeout = 200 * time.Millisecond
	c, err := New(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	f.handleSlow("GET /ari/channels", 5*time.Second)

	start := time.Now()
	_, err = c.ListChannels(context.Background())
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.Contains(t, centralita.ErrorMessage(err), "did not answer in time")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCallerContextCancels(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	f.handleSlow("GET /ari/channels", 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.ListChannels(ctx)
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, centralita.ErrorMessage(err), "cancelled")
}

func TestUnreachableAsterisk(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	f.close()
	err := c.Hangup(context.Background(), "x", "")
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.Contains(t, centralita.ErrorMessage(err), "unreachable")
}

func TestBridges(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	ctx := context.Background()

	f.handle("POST /ari/bridges/b1", 200, `{"id":"b1","bridge_type":"mixing"}`)
	require.NoError(t, c.CreateBridge(ctx, "b1", ""))
	assert.Equal(t, "mixing", f.last().Query["type"][0])
	require.NoError(t, c.CreateBridge(ctx, "b1", "holding"))
	assert.Equal(t, "holding", f.last().Query["type"][0])

	f.handle("POST /ari/bridges/b1", 409, `{"message":"Bridge with id 'b1' already exists"}`)
	assert.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(c.CreateBridge(ctx, "b1", "mixing")))

	f.handle("POST /ari/bridges/b1/addChannel", 204, "")
	require.NoError(t, c.AddChannel(ctx, "b1", "call-1"))
	assert.Equal(t, "/ari/bridges/b1/addChannel", f.last().Path)
	assert.Equal(t, "call-1", f.last().Query["channel"][0])

	f.handle("POST /ari/bridges/b1/addChannel", 400, `{"message":"Channel not found"}`)
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(c.AddChannel(ctx, "b1", "gone")))
	f.handle("POST /ari/bridges/b1/addChannel", 422, `{"message":"Channel not in Stasis application"}`)
	assert.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(c.AddChannel(ctx, "b1", "x")))

	f.handle("POST /ari/bridges/b1/removeChannel", 204, "")
	require.NoError(t, c.RemoveChannel(ctx, "b1", "call-1"))

	f.handle("GET /ari/bridges", 200, `[{"id":"b1","technology":"simple_bridge","bridge_type":"mixing","bridge_class":"stasis","channels":["call-1","call-2"]}]`)
	bridges, err := c.ListBridges(ctx)
	require.NoError(t, err)
	assert.Equal(t, []BridgeInfo{{ID: "b1", Type: "mixing", ChannelIDs: []string{"call-1", "call-2"}}}, bridges)

	f.handle("DELETE /ari/bridges/b1", 204, "")
	require.NoError(t, c.DestroyBridge(ctx, "b1"))
	f.handle("DELETE /ari/bridges/b1", 404, `{"message":"Bridge not found"}`)
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(c.DestroyBridge(ctx, "b1")))
	assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(c.DestroyBridge(ctx, "")))
}

func TestListChannelsAndEndpoints(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	ctx := context.Background()

	f.handle("GET /ari/channels", 200, `[{"id":"trace02-out","name":"PJSIP/1001-00000000","state":"Up","protocol_id":"c3c1","caller":{"name":"Trace 02","number":"5550002"},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"from-sip","exten":"s","priority":1,"app_name":"Stasis","app_data":"trace"},"creationtime":"2026-11-21T19:50:04.678+0000","language":"en"}]`)
	chans, err := c.ListChannels(ctx)
	require.NoError(t, err)
	require.Len(t, chans, 1)
	assert.Equal(t, "trace02-out", chans[0].ID)
	assert.Equal(t, "PJSIP/1001-00000000", chans[0].Name)
	assert.Equal(t, "Up", chans[0].State)
	assert.Equal(t, "5550002", chans[0].CallerNumber)
	assert.Equal(t, time.Date(2026, 11, 21, 19, 50, 4, 678e6, time.UTC), chans[0].CreatedAt.UTC())

	f.handle("GET /ari/endpoints", 200, `[{"technology":"PJSIP","resource":"1001","state":"online","channel_ids":["a"]},{"technology":"PJSIP","resource":"2001","state":"offline","channel_ids":[]}]`)
	eps, err := c.ListEndpoints(ctx)
	require.NoError(t, err)
	assert.Equal(t, []centralita.EndpointInfo{
		{Technology: "PJSIP", Resource: "1001", State: "online", ChannelIDs: []string{"a"}},
		{Technology: "PJSIP", Resource: "2001", State: "offline", ChannelIDs: []string{}},
	}, eps)

	f.handle("GET /ari/endpoints/PJSIP/1001", 200, `{"technology":"PJSIP","resource":"1001","state":"online","channel_ids":[]}`)
	ep, err := c.Endpoint(ctx, "PJSIP/1001")
	require.NoError(t, err)
	assert.Equal(t, "online", ep.State)
	f.handle("GET /ari/endpoints/PJSIP/9999", 404, `{"message":"Endpoint not found"}`)
	_, err = c.Endpoint(ctx, "PJSIP/9999")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	for _, bad := range []string{"PJSIP", "/101", "PJSIP/", "PJSIP/1/2"} {
		_, err = c.Endpoint(ctx, bad)
		assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), bad)
	}

	f.handle("GET /ari/channels", 200, `not json`)
	_, err = c.ListChannels(ctx)
	assert.Equal(t, centralita.EINTERNAL, centralita.ErrorKind(err))
}

func TestBadCredentialsOnREST(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	c.auth = "Basic d3Jvbmc6d3Jvbmc=" // wrong:wrong
	_, err := c.ListChannels(context.Background())
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
	assert.Contains(t, centralita.ErrorMessage(err), "rejected the ARI credentials")
	assert.True(t, isAuthError(err))
}

func TestMediaAndVariables(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	ctx := context.Background()

	f.handle("POST /ari/channels/c1/answer", 204, "")
	require.NoError(t, c.Answer(ctx, "c1"))
	f.handle("POST /ari/channels/c1/answer", 409, `{"message":"Channel not in Stasis application"}`)
	assert.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(c.Answer(ctx, "c1")))

	f.handle("POST /ari/channels/c1/play", 201, `{"id":"pb-1","media_uri":"sound:beep","target_uri":"channel:c1","language":"en","state":"queued"}`)
	id, err := c.Play(ctx, ChannelTarget("c1"), "pb-1", "sound:beep", "sound:hello-world")
	require.NoError(t, err)
	assert.Equal(t, "pb-1", id)
	assert.Equal(t, "sound:beep,sound:hello-world", f.last().Query["media"][0])
	assert.Equal(t, "pb-1", f.last().Query["playbackId"][0])
	f.handle("POST /ari/bridges/b1/play", 201, `{"id":"auto-id","state":"queued"}`)
	id, err = c.Play(ctx, BridgeTarget("b1"), "", "sound:beep")
	require.NoError(t, err)
	assert.Equal(t, "auto-id", id)
	_, err = c.Play(ctx, ChannelTarget("c1"), "x")
	assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "no media")
	_, err = c.Play(ctx, Target{}, "x", "sound:beep")
	assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "no target")

	f.handle("DELETE /ari/playbacks/pb-1", 404, `{"message":"Playback not found"}`)
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(c.StopPlayback(ctx, "pb-1")))

	f.handle("POST /ari/bridges/b1/moh", 204, "")
	require.NoError(t, c.StartMOH(ctx, BridgeTarget("b1"), "default"))
	assert.Equal(t, "mohClass=default", f.last().RawQuery)
	f.handle("DELETE /ari/channels/c1/moh", 204, "")
	require.NoError(t, c.StopMOH(ctx, ChannelTarget("c1")))
	assert.Equal(t, "DELETE", f.last().Method)

	f.handle("POST /ari/bridges/b1/record", 201, `{"name":"rec-1","format":"wav","state":"queued","target_uri":"bridge:b1"}`)
	require.NoError(t, c.Record(ctx, BridgeTarget("b1"), RecordRequest{Name: "rec-1", MaxDuration: 1500 * time.Millisecond, IfExists: "overwrite"}))
	q := f.last().Query
	assert.Equal(t, "rec-1", q["name"][0])
	assert.Equal(t, "wav", q["format"][0])
	assert.Equal(t, "2", q["maxDurationSeconds"][0])
	assert.Equal(t, "overwrite", q["ifExists"][0])
	assert.Equal(t, "false", q["beep"][0])
	f.handle("POST /ari/bridges/b1/record", 409, `{"message":"Recording 'rec-1' already exists and can not be overwritten"}`)
	assert.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(c.Record(ctx, BridgeTarget("b1"), RecordRequest{Name: "rec-1"})))
	assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(c.Record(ctx, BridgeTarget("b1"), RecordRequest{})))

	f.handle("POST /ari/recordings/live/rec-1/stop", 204, "")
	require.NoError(t, c.StopRecording(ctx, "rec-1"))
	f.handle("DELETE /ari/recordings/stored/rec-1", 204, "")
	require.NoError(t, c.DeleteRecording(ctx, "rec-1"))

	f.handle("POST /ari/channels/c1/variable", 204, "")
	require.NoError(t, c.SetVariable(ctx, "c1", "CDR(userfield)", "x=1"))
	assert.Equal(t, "CDR(userfield)", f.last().Query["variable"][0])
	assert.Equal(t, "x=1", f.last().Query["value"][0])
	f.handle("GET /ari/channels/c1/variable", 200, `{"value":"42"}`)
	v, err := c.GetVariable(ctx, "c1", "TRACE_X")
	require.NoError(t, err)
	assert.Equal(t, "42", v)
	f.handle("GET /ari/channels/c1/variable", 404, `{"message":"Provided variable was not found"}`)
	_, err = c.GetVariable(ctx, "c1", "UNSET")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
}

func TestDownloadRecording(t *testing.T) {
	f := newFakeARI(t)
	cfg := testConfig(f.url())
	cfg.RequestTimeout = 300 * time.Millisecond
	c, err := New(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()

	wav := "RIFF....WAVEfmt fake audio"
	f.handle("GET /ari/recordings/stored/rec-1/file", 200, wav)
	rc, err := c.DownloadRecording(context.Background(), "rec-1")
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond) // past RequestTimeout: the body must still be readable
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, wav, string(b))

	f.handle("GET /ari/recordings/stored/nope/file", 404, `{"message":"Recording not found"}`)
	_, err = c.DownloadRecording(context.Background(), "nope")
	assert.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	_, err = c.DownloadRecording(context.Background(), "")
	assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
}

func TestRESTAfterClose(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	require.NoError(t, c.Close())
	_, err := c.ListChannels(context.Background())
	assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
}

func TestCloseAbortsRequestInFlight(t *testing.T) {
	f := newFakeARI(t)
	c := connect(t, f)
	f.handleSlow("GET /ari/channels", 5*time.Second)
	errc := make(chan error, 1)
	go func() {
		_, err := c.ListChannels(context.Background())
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, c.Close())
	select {
	case err := <-errc:
		assert.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
		assert.True(t, errors.Is(err, context.Canceled))
	case <-time.After(time.Second):
		t.Fatal("Close did not abort the request")
	}
}
