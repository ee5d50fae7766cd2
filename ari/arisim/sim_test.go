package arisim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// fastConfig runs simulated time 100 times faster than real time.
func fastConfig() Config {
	return Config{TimeScale: 0.01}
}

func originate(h *harness, endpoint, app string, extra url.Values) string {
	h.t.Helper()
	q := url.Values{"endpoint": {endpoint}, "app": {app}}
	for k, v := range extra {
		q[k] = v
	}
	res := h.mustJSON(200, h.call("POST", "/ari/channels", q, nil))
	if res["state"] != "Down" {
		h.t.Fatalf("originate state %v, want Down", res["state"])
	}
	return res["id"].(string)
}

func destroyedCause(t *testing.T, ev map[string]any) (int, string) {
	t.Helper()
	c, _ := ev["cause"].(float64)
	txt, _ := ev["cause_txt"].(string)
	return int(c), txt
}

func TestOriginateExtensionAnswersAfterDelay(t *testing.T) {
	cfg := fastConfig()
	cfg.AnswerDelay = 3 * time.Second // 30 ms real
	h := newHarness(t, cfg)
	ws := h.events("app", false)
	start := time.Now()
	id := originate(h, "PJSIP/101", "app", url.Values{"appArgs": {"a,b"}, "callerId": {`"Click" <5550100>`}})
	ev := ws.waitEvent("StasisStart", id, 5*time.Second)
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Errorf("answered after %v, want at least the 3 s answer delay (30 ms scaled)", el)
	}
	ch := ev["channel"].(map[string]any)
	if ch["state"] != "Up" || !strings.HasPrefix(ch["name"].(string), "PJSIP/101-") {
		t.Errorf("StasisStart channel %v", ch)
	}
	if args := ev["args"].([]any); len(args) != 2 || args[0] != "a" || args[1] != "b" {
		t.Errorf("args %v", args)
	}
	want := "Dial ChannelStateChange Dial ChannelStateChange Dial ChannelVarset StasisStart"
	if got := strings.Join(ws.typesFor(id), " "); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	// It stays up until hung up.
	time.Sleep(50 * time.Millisecond)
	got := h.mustJSON(200, h.call("GET", "/ari/channels/"+id, nil, nil))
	if got["state"] != "Up" {
		t.Fatalf("state %v", got["state"])
	}
	ep := h.mustJSON(200, h.call("GET", "/ari/endpoints/PJSIP/101", nil, nil))
	if ids := ep["channel_ids"].([]any); len(ids) != 1 || ids[0] != id {
		t.Errorf("endpoint channel_ids %v", ids)
	}
	if r := h.call("DELETE", "/ari/channels/"+id, nil, nil); r.status != 204 {
		t.Fatalf("hangup: %d", r.status)
	}
	d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	if c, txt := destroyedCause(t, d); c != 16 || txt != "Normal Clearing" {
		t.Errorf("destroyed cause %d %q", c, txt)
	}
}

func TestExternalNumberOutcomes(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("app", false)
	cases := []struct {
		number, dialstatus string
		cause, tech        int
	}{
		{"5551237", "BUSY", 17, 486},
		{"5551239", "CONGESTION", 34, 503},
	}
	for _, tc := range cases {
		id := originate(h, "PJSIP/"+tc.number+"@trunk", "app", nil)
		d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
		if c, _ := destroyedCause(t, d); c != tc.cause || int(d["tech_cause"].(float64)) != tc.tech {
			t.Errorf("%s: destroyed %v", tc.number, d)
		}
		types := ws.typesFor(id)
		if strings.Join(types, " ") != "Dial ChannelHangupRequest Dial ChannelDestroyed" {
			t.Errorf("%s: events %v", tc.number, types)
		}
		for _, e := range ws.snapshot() {
			if e["type"] == "Dial" && eventChannelID(e) == id && e["dialstatus"] != "" && e["dialstatus"] != tc.dialstatus {
				t.Errorf("%s: dialstatus %v, want %s", tc.number, e["dialstatus"], tc.dialstatus)
			}
		}
	}

	// A number ending in 8 rings until the originate timeout.
	start := time.Now()
	id := originate(h, "PJSIP/5551238@trunk", "app", url.Values{"timeout": {"5"}})
	ws.waitEvent("ChannelStateChange", id, 5*time.Second)
	d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("no-answer ended after %v, before the 5 s timeout (50 ms scaled)", el)
	}
	if c, txt := destroyedCause(t, d); c != 19 || txt != "User alerting, no answer" {
		t.Errorf("no answer: %v", d)
	}

	// Any other number answers after 1 s and the far end hangs up 4 s later.
	start = time.Now()
	id = originate(h, "PJSIP/5551234@trunk", "app", nil)
	ws.waitEvent("StasisStart", id, 5*time.Second)
	d = ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("call lasted %v, want 1 s ringing + 4 s talking (50 ms scaled)", el)
	}
	if c, txt := destroyedCause(t, d); c != 0 || txt != "Unknown" {
		t.Errorf("remote BYE on an originated channel: %v", d)
	}
	if got := strings.Join(ws.typesFor(id), " "); !strings.HasSuffix(got, "ChannelHangupRequest StasisEnd ChannelVarset ChannelDestroyed") {
		t.Errorf("far-end hangup events: %s", got)
	}
}

func TestRuleTableFromFile(t *testing.T) {
	path := t.TempDir() + "/rules.json"
	data := `{"rules":[{"match":"exact","pattern":"600","outcome":"decline"},
		{"match":"prefix","pattern":"61","outcome":"unavailable","ring_delay":"2s"},
		{"match":"suffix","pattern":"00","outcome":"answer","ring_delay":500,"talk_duration":"1s"}]}`
	if err := writeFile(path, data); err != nil {
		t.Fatal(err)
	}
	rules, err := LoadRules(path)
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	if len(rules) != 3 || rules[1].RingDelay != 2*time.Second || rules[2].RingDelay != 500*time.Millisecond {
		t.Fatalf("rules %+v", rules)
	}
	if _, err := ParseRules([]byte(`[{"match":"regex","pattern":"x"}]`)); err == nil {
		t.Error("unknown match accepted")
	}
	cfg := fastConfig()
	cfg.Rules = rules
	h := newHarness(t, cfg)
	ws := h.events("app", false)
	id := originate(h, "PJSIP/600@carrier", "app", nil)
	if d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second); int(d["cause"].(float64)) != 21 {
		t.Errorf("exact 600: %v", d)
	}
	id = originate(h, "PJSIP/6123@carrier", "app", nil)
	ws.waitEvent("ChannelStateChange", id, 5*time.Second) // rings first
	if d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second); int(d["tech_cause"].(float64)) != 480 {
		t.Errorf("prefix 61: %v", d)
	}
	id = originate(h, "PJSIP/7700@carrier", "app", nil)
	ws.waitEvent("StasisStart", id, 5*time.Second)
	ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	// A number no rule matches falls back to the default table: 7 is busy.
	id = originate(h, "PJSIP/5557@carrier", "app", nil)
	if d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second); int(d["cause"].(float64)) != 17 {
		t.Errorf("default rule: %v", d)
	}
	if r := h.call("GET", "/sim/rules", nil, nil); r.status != 200 || !strings.Contains(string(r.body), `"decline"`) {
		t.Errorf("GET /sim/rules: %d %s", r.status, r.body)
	}
}

func TestOffHookAndUnregistered(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("app", false)
	h.mustJSON(200, h.call("POST", "/ari/applications/app/subscription", url.Values{"eventSource": {"deviceState:PJSIP/102"}}, nil))

	h.mustJSON(200, h.call("PUT", "/sim/endpoints/102", nil, map[string]any{"offhook": true}))
	ws.waitFor("INUSE", 5*time.Second, func(evs []map[string]any) bool {
		for _, e := range evs {
			if d, ok := e["device_state"].(map[string]any); ok && d["name"] == "PJSIP/102" && d["state"] == "INUSE" {
				return true
			}
		}
		return false
	})
	id := originate(h, "PJSIP/102", "app", nil)
	d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	if int(d["cause"].(float64)) != 17 || int(d["tech_cause"].(float64)) != 486 {
		t.Errorf("off-hook extension: %v", d)
	}
	h.mustJSON(200, h.call("PUT", "/sim/endpoints/102", nil, map[string]any{"offhook": false}))

	h.mustJSON(200, h.call("PUT", "/sim/endpoints/103", nil, map[string]any{"registered": false}))
	if ep := h.mustJSON(200, h.call("GET", "/ari/endpoints/PJSIP/103", nil, nil)); ep["state"] != "offline" {
		t.Errorf("unregistered endpoint state %v", ep["state"])
	}
	r := h.call("POST", "/ari/channels", url.Values{"endpoint": {"PJSIP/103"}, "app": {"app"}}, nil)
	if r.status != 500 || strings.TrimSpace(string(r.body)) != `{"error":"Allocation failed"}` {
		t.Errorf("originate to unregistered: %d %s", r.status, r.body)
	}
	h.mustJSON(200, h.call("PUT", "/sim/endpoints/103", nil, map[string]any{"registered": true}))
	if ep := h.mustJSON(200, h.call("GET", "/ari/endpoints/PJSIP/103", nil, nil)); ep["state"] != "online" {
		t.Errorf("re-registered endpoint state %v", ep["state"])
	}

	// Per-extension behaviour: refuse, then ring without answer.
	h.mustJSON(200, h.call("PUT", "/sim/endpoints/104", nil, map[string]any{"behavior": map[string]any{"outcome": "decline"}}))
	id = originate(h, "PJSIP/104", "app", nil)
	if d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second); int(d["cause"].(float64)) != 21 {
		t.Errorf("declining extension: %v", d)
	}
	h.mustJSON(200, h.call("PUT", "/sim/endpoints/104", nil, map[string]any{"behavior": map[string]any{"outcome": "noanswer"}}))
	id = originate(h, "PJSIP/104", "app", url.Values{"timeout": {"2"}})
	if d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second); int(d["cause"].(float64)) != 19 {
		t.Errorf("ringing extension: %v", d)
	}
}

func TestInboundCallFarEndHangupAndDTMF(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("ivr", false)
	res := h.mustJSON(201, h.call("POST", "/sim/calls", nil, map[string]any{"from": "5550199", "to": "900", "app": "ivr", "args": []string{"x", "y"}}))
	id := res["channel_id"].(string)
	start := ws.waitEvent("StasisStart", id, 5*time.Second)
	ch := start["channel"].(map[string]any)
	if ch["state"] != "Ring" || ch["caller"].(map[string]any)["number"] != "5550199" || !strings.HasPrefix(ch["name"].(string), "PJSIP/trunk-") {
		t.Errorf("inbound channel %v", ch)
	}
	if dp := ch["dialplan"].(map[string]any); dp["app_name"] != "Stasis" || dp["app_data"] != "ivr,x,y" || dp["priority"].(float64) != 2 {
		t.Errorf("inbound dialplan %v", dp)
	}
	if r := h.call("POST", "/ari/channels/"+id+"/answer", nil, nil); r.status != 204 {
		t.Fatalf("answer %d", r.status)
	}
	ws.waitEvent("ChannelStateChange", id, 5*time.Second)
	if r := h.call("POST", "/sim/channels/"+id+"/dtmf", nil, map[string]any{"digits": "1#"}); r.status != 204 {
		t.Fatalf("dtmf %d %s", r.status, r.body)
	}
	evs := ws.waitFor("two digits", 5*time.Second, func(evs []map[string]any) bool {
		n := 0
		for _, e := range evs {
			if e["type"] == "ChannelDtmfReceived" {
				n++
			}
		}
		return n == 2
	})
	var digits []string
	for _, e := range evs {
		if e["type"] == "ChannelDtmfReceived" {
			digits = append(digits, e["digit"].(string))
			if e["duration_ms"].(float64) != 200 {
				t.Errorf("duration_ms %v", e["duration_ms"])
			}
		}
	}
	if strings.Join(digits, "") != "1#" {
		t.Errorf("digits %v", digits)
	}
	if r := h.call("POST", "/sim/channels/"+id+"/hangup", nil, map[string]any{"cause": 16}); r.status != 204 {
		t.Fatalf("far-end hangup %d", r.status)
	}
	ws.waitEvent("StasisEnd", id, 5*time.Second)
	time.Sleep(20 * time.Millisecond)
	if got := strings.Join(ws.typesFor(id), " "); !strings.HasSuffix(got, "ChannelHangupRequest StasisEnd") {
		t.Errorf("after StasisEnd an inbound channel's app gets nothing more: %s", got)
	}
	if r := h.call("GET", "/ari/channels/"+id, nil, nil); r.status != 404 {
		t.Errorf("channel still there: %d", r.status)
	}
}

func TestCutWebsocketsKeepsChannels(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("app", false)
	id := originate(h, "Local/wait@local-test", "app", nil)
	ws.waitEvent("StasisStart", id, 5*time.Second)

	res := h.call("POST", "/sim/websockets/cut", nil, nil)
	if res.status != 200 || !strings.Contains(string(res.body), `"closed":1`) {
		t.Fatalf("cut: %d %s", res.status, res.body)
	}
	select {
	case <-ws.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("server did not close the websocket")
	}
	// Channels and timers live on; events in the gap are lost.
	h.call("POST", "/ari/channels/"+id+"/variable", url.Values{"variable": {"GAP"}, "value": {"1"}}, nil)
	list := h.call("GET", "/ari/channels", nil, nil).json(t).([]any)
	if len(list) != 2 {
		t.Fatalf("channels after cut: %v", list)
	}
	app := h.mustJSON(200, h.call("GET", "/ari/applications/app", nil, nil))
	if ids := app["channel_ids"].([]any); len(ids) != 2 {
		t.Errorf("app lost its channels: %v", app)
	}

	ws2 := h.events("app", false)
	// The client saw the close; the server forgets the old socket when its
	// reader ends, which may be a moment later.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st := h.mustJSON(200, h.call("GET", "/sim/state", nil, nil))
		if st["websockets"].(float64) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sim state after reconnect: %v websockets, want 1", st["websockets"])
		}
	}
	if r := h.call("DELETE", "/ari/channels/"+id, nil, nil); r.status != 204 {
		t.Fatalf("hangup: %d", r.status)
	}
	ws2.waitEvent("ChannelDestroyed", id, 5*time.Second)
	for _, e := range ws2.snapshot() {
		if e["type"] == "ChannelVarset" && e["variable"] == "GAP" {
			t.Error("an event from the gap was replayed")
		}
	}
}

func TestApplicationReplacedAndUnregisteredApp(t *testing.T) {
	h := newHarness(t, fastConfig())
	first := h.events("app", false)
	second := h.events("app", false)
	first.waitEvent("ApplicationReplaced", "", 5*time.Second)
	id := originate(h, "Local/wait@local-test", "app", nil)
	second.waitEvent("StasisStart", id, 5*time.Second)
	if n := len(first.snapshot()); n != 1 {
		t.Errorf("replaced socket got %d events", n)
	}

	// Originating into an app nobody registered: the call is answered, Stasis
	// fails and the channel is hung up, as trace 20 shows for inbound calls.
	obs := h.events("observer", true)
	id = originate(h, "PJSIP/105", "nosuchapp", nil)
	obs.waitFor("STASISSTATUS=FAILED", 5*time.Second, func(evs []map[string]any) bool {
		for _, e := range evs {
			if e["variable"] == "STASISSTATUS" && e["value"] == "FAILED" && eventChannelID(e) == id {
				return true
			}
		}
		return false
	})
	obs.waitEvent("ChannelDestroyed", id, 5*time.Second)
}

func TestDeliverDropsSlowClient(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &wsClient{q: make(chan []byte, 1), done: make(chan struct{})}
	s.mu.Lock()
	s.deliver(c, []byte("a"))
	s.deliver(c, []byte("b"))
	s.mu.Unlock()
	select {
	case <-c.done:
	default:
		t.Fatal("a client with a full queue was not disconnected")
	}
	if !c.dead || len(c.q) != 1 {
		t.Errorf("dead=%v queued=%d", c.dead, len(c.q))
	}
}

func TestDefaultEndpoints(t *testing.T) {
	h := newHarness(t, Config{})
	list := h.call("GET", "/ari/endpoints", nil, nil).json(t).([]any)
	if len(list) != 20 {
		t.Fatalf("%d endpoints, want PJSIP/101..120", len(list))
	}
	first := list[0].(map[string]any)
	if first["technology"] != "PJSIP" || first["resource"] != "101" || first["state"] != "online" {
		t.Errorf("first endpoint %v", first)
	}
	if l := h.call("GET", "/ari/endpoints/PJSIP", nil, nil).json(t).([]any); len(l) != 20 {
		t.Errorf("by tech: %d", len(l))
	}
	if r := h.call("GET", "/ari/endpoints/PJSIP/999", nil, nil); r.status != 404 {
		t.Errorf("unknown endpoint: %d", r.status)
	}
	if r := h.call("GET", "/ari/endpoints/SIP", nil, nil); r.status != 404 || !strings.Contains(string(r.body), "invalid tech SIP") {
		t.Errorf("unknown tech: %d %s", r.status, r.body)
	}
}

func TestAuthAndErrors(t *testing.T) {
	h := newHarness(t, Config{Username: "u", Password: "p"})
	if r := h.callAuth("GET", "/ari/channels", nil, nil, "u", "bad"); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("wrong password: %d %v", r.status, r.header)
	}
	if r := h.callAuth("GET", "/ari/channels", url.Values{"api_key": {"u:p"}}, nil, "", ""); r.status != 200 {
		t.Errorf("api_key: %d", r.status)
	}
	if _, err := h.dialEvents("x", false); err != nil {
		t.Errorf("websocket with good credentials: %v", err)
	}
	h.pass = "bad"
	if _, err := h.dialEvents("x", false); err == nil {
		t.Error("websocket with a wrong password was accepted")
	}
	h.pass = "p"
	r := h.call("GET", "/ari/channels/nope/variable", url.Values{"variable": {"X"}}, nil)
	if r.status != 404 || r.reason != "Channel Not Found" {
		t.Errorf("custom reason phrase: %d %q", r.status, r.reason)
	}
	if r := h.call("PUT", "/ari/channels", nil, nil); r.status != 405 || r.header.Get("Allow") != "OPTIONS,GET,POST" {
		t.Errorf("405: %d %v", r.status, r.header)
	}
	if r := h.call("GET", "/ari/nosuch", nil, nil); r.status != 404 || !strings.Contains(string(r.body), "Resource not found") {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
}

func TestRecordingWAV(t *testing.T) {
	h := newHarness(t, Config{TimeScale: 0.05, RecordingDir: t.TempDir()})
	ws := h.events("app", false)
	id := originate(h, "Local/tone@local-test", "app", nil)
	ws.waitEvent("StasisStart", id, 5*time.Second)
	r := h.call("POST", "/ari/channels/"+id+"/record", url.Values{"name": {"rec1"}, "format": {"wav"}, "maxDurationSeconds": {"2"}}, nil)
	if r.status != 201 || r.header.Get("Location") != "/ari/recordings/live/rec1" {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	fin := ws.waitEvent("RecordingFinished", "", 5*time.Second)
	if d := fin["recording"].(map[string]any)["duration"].(float64); d != 2 {
		t.Errorf("duration %v", d)
	}
	f := h.call("GET", "/ari/recordings/stored/rec1/file", nil, nil)
	if f.status != 200 || f.header.Get("Content-Type") != "audio/wav" || len(f.body) != 32044 {
		t.Fatalf("file: %d %s %d bytes", f.status, f.header.Get("Content-Type"), len(f.body))
	}
	if string(f.body[:4]) != "RIFF" || string(f.body[8:16]) != "WAVEfmt " || string(f.body[36:40]) != "data" {
		t.Errorf("not a WAV header: %q", f.body[:44])
	}
	disk, err := readFile(h.srv.cfg.RecordingDir + "/rec1.wav")
	if err != nil || len(disk) != 32044 {
		t.Errorf("recording file on disk: %d bytes, %v", len(disk), err)
	}
}

// TestOriginateJSONBody sends every parameter in the JSON body, as the
// CyCoreSystems ARI client does.
func TestOriginateJSONBody(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("native", false)
	body := map[string]any{"endpoint": "PJSIP/110", "app": "native", "appArgs": "x", "callerId": `"Web" <5551000>`,
		"timeout": 10, "channelId": "web-1", "variables": map[string]string{"ORIGIN": "web"}}
	res := h.mustJSON(200, h.call("POST", "/ari/channels", nil, body))
	if res["id"] != "web-1" || res["caller"].(map[string]any)["number"] != "5551000" {
		t.Fatalf("originate %v", res)
	}
	ws.waitEvent("StasisStart", "web-1", 5*time.Second)
	v := h.mustJSON(200, h.call("GET", "/ari/channels/web-1/variable", url.Values{"variable": {"ORIGIN"}}, nil))
	if v["value"] != "web" {
		t.Errorf("variable %v", v)
	}
	if r := h.call("POST", "/ari/channels", nil, `{"endpoint": "PJSIP/110",`); r.status != 400 {
		t.Errorf("invalid JSON: %d %s", r.status, r.body)
	}
	// Local/<number>@<context> outside the built-in dialplan follows the rules.
	id := originate(h, "Local/5551237@outbound", "native", nil)
	if d := ws.waitEvent("ChannelDestroyed", id, 5*time.Second); int(d["cause"].(float64)) != 17 {
		t.Errorf("Local busy number: %v", d)
	}
}

func TestInboundCallIntoQueue(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("acd", false)
	res := h.mustJSON(201, h.call("POST", "/sim/calls", nil, map[string]any{"from": "5550123", "queue": "Ventas->", "app": "acd"}))
	start := ws.waitEvent("StasisStart", res["channel_id"].(string), 5*time.Second)
	args, _ := start["args"].([]any)
	if len(args) != 2 || args[0] != "queue" || args[1] != "Ventas->" {
		t.Errorf("args %v, want [queue Ventas->]", start["args"])
	}
	if r := h.call("POST", "/sim/calls", nil, map[string]any{"from": "5550123", "queue": "q", "args": []string{"x"}}); r.status != 400 {
		t.Errorf("queue with args: status %d, want 400", r.status)
	}
}

func TestQueueCallerTalksFromBridgeAndAbandons(t *testing.T) {
	h := newHarness(t, fastConfig())
	ws := h.events("acd", false)
	// Answered but never bridged: talk_duration does not start; patience ends it.
	res := h.mustJSON(201, h.call("POST", "/sim/calls", nil, map[string]any{"from": "5550123", "queue": "q", "app": "acd", "talk_duration": "1s", "patience": "30s"}))
	id := res["channel_id"].(string)
	ws.waitEvent("StasisStart", id, 5*time.Second)
	if r := h.call("POST", "/ari/channels/"+id+"/answer", nil, nil); r.status != 204 {
		t.Fatalf("answer %d", r.status)
	}
	began := time.Now()
	ws.waitEvent("StasisEnd", id, 5*time.Second)
	if waited := time.Since(began); waited < 200*time.Millisecond {
		t.Errorf("the caller left after %v: talk_duration (10 ms) ran before any bridge; patience is 300 ms", waited)
	}
	// Bridged with an agent: talk_duration runs from the bridge.
	res = h.mustJSON(201, h.call("POST", "/sim/calls", nil, map[string]any{"from": "5550124", "queue": "q", "app": "acd", "talk_duration": "20s"}))
	id = res["channel_id"].(string)
	ws.waitEvent("StasisStart", id, 5*time.Second)
	agent := originate(h, "PJSIP/101", "acd", nil)
	ws.waitEvent("StasisStart", agent, 5*time.Second)
	h.call("POST", "/ari/channels/"+id+"/answer", nil, nil)
	h.call("POST", "/ari/bridges/b1", url.Values{"type": {"mixing"}}, nil)
	time.Sleep(300 * time.Millisecond) // more than talk_duration after the answer
	if r := h.call("POST", "/ari/bridges/b1/addChannel", url.Values{"channel": {id + "," + agent}}, nil); r.status != 204 {
		t.Fatalf("addChannel %d %s", r.status, r.body)
	}
	began = time.Now()
	ws.waitEvent("StasisEnd", id, 5*time.Second)
	if waited := time.Since(began); waited < 150*time.Millisecond {
		t.Errorf("the caller hung up %v after the bridge, want about 200 ms", waited)
	}
}
