package arisim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// traceDir is where the recorded Asterisk traces live, relative to this
// package.
const traceDir = "../../../shared/ari/traces"

// replayScale runs the traces four times faster than they were recorded:
// fast enough to keep the test short, slow enough that the simulator's
// shortest timers (Answer's 500 ms wait for media is 125 ms here) are not
// overtaken by a replay delayed on a loaded machine.
const replayScale = 0.25

// traceRec is one line of a trace file.
type traceRec struct {
	TMS        float64           `json:"t_ms"`
	Kind       string            `json:"kind"`
	Req        int               `json:"req"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Query      map[string]string `json:"query"`
	Body       json.RawMessage   `json:"body"`
	BodyFormat string            `json:"body_format"`
	BodyBytes  int               `json:"body_bytes"`
	Auth       string            `json:"auth"`
	Websocket  bool              `json:"websocket"`
	Status     int               `json:"status"`
	Reason     string            `json:"reason"`
	Headers    [][2]string       `json:"headers"`
	App        string            `json:"app"`
	Conn       int               `json:"conn"`
	Event      json.RawMessage   `json:"event"`
	Src        string            `json:"src"`
	Text       string            `json:"text"`
}

// harnessConfig reproduces the reference system the traces were recorded
// on: endpoints 1001..1005 online, 2001..2005 and loopback offline, the
// same sounds, stored recording, global variable and queue.
func harnessConfig() Config {
	var eps []Endpoint
	for i := 2001; i <= 2005; i++ {
		eps = append(eps, Endpoint{Resource: strconv.Itoa(i), CallerIDName: "Agent " + strconv.Itoa(i), Unregistered: true})
	}
	eps = append(eps, Endpoint{Resource: "loopback", CallerIDName: "loopback", Unregistered: true})
	for i := 1001; i <= 1005; i++ {
		eps = append(eps, Endpoint{Resource: strconv.Itoa(i), CallerIDName: "Agent " + strconv.Itoa(i)})
	}
	var sounds []Sound
	for _, id := range []string{"silence/1", "silence/3", "silence/2", "silence/5", "silence/4", "silence/7", "silence/6",
		"silence/9", "harness-tone-10s", "silence/8", "silence/10", "harness-tone-1s", "beep", "hello-world", "tt-monkeys"} {
		d := time.Second
		switch {
		case id == "beep":
			d = 250 * time.Millisecond
		case id == "hello-world":
			d = 2 * time.Second
		case strings.HasPrefix(id, "silence/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(id, "silence/"))
			d = time.Duration(n) * time.Second
		case id == "harness-tone-10s":
			d = 10 * time.Second
		}
		sounds = append(sounds, Sound{ID: id, Duration: d})
	}
	return Config{
		Endpoints:        eps,
		Sounds:           sounds,
		StoredRecordings: []StoredRecording{{Name: "harness-rec", Format: "wav", Duration: time.Second}},
		GlobalVars:       map[string]string{"INBOUND_APP": "inbound"},
		Queues:           map[string][]string{"support": {"PJSIP/1001", "PJSIP/1002"}},
		TimeScale:        replayScale,
		ServerName:       "Asterisk-harness",
	}
}

func loadTrace(t *testing.T, path string) []traceRec {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open trace: %v", err)
	}
	defer f.Close()
	var recs []traceRec
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var r traceRec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: bad line: %v", path, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read trace: %v", err)
	}
	return recs
}

// TestTraceReplay replays every recorded Asterisk exchange against the
// simulator and compares status codes, reason phrases, body shapes and the
// per-channel event sequences. Far-end actions that SIPp performed in the
// recording are driven through the /sim/ control API at the same point.
func TestTraceReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(traceDir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces found in %s (err %v): the trace replay cannot run", traceDir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newReplay(t, loadTrace(t, f))
			r.run()
			r.compareEvents()
			for _, d := range r.diffs {
				t.Error(d)
			}
			if r.responses == 0 {
				t.Error("no response was compared")
			}
			t.Logf("compared %d responses and %d events in %d sequences", r.responses, r.events, r.sequences)
		})
	}
}

// replay is one trace being replayed.
type replay struct {
	t        *testing.T
	h        *harness
	recs     []traceRec
	start    time.Time
	conns    map[int]*wsClientT
	nextConn int
	results  map[int]httpResult
	reqs     map[int]traceRec
	traceIDs *nameKeys
	simIDs   *nameKeys
	simSeen  map[int]int
	sent     map[int]time.Time // request number -> when it was sent
	answered map[int]time.Time // request number -> when its answer came
	inbound  map[string]string // UAC endpoint -> sim channel id
	invite   map[string]bool   // UAS endpoint -> INVITE pending
	dtmf     map[string]string // UAC endpoint -> digits to send after the ACK
	diffs    []string

	responses, events, sequences int
}

func newReplay(t *testing.T, recs []traceRec) *replay {
	r := &replay{
		t: t, h: newHarness(t, harnessConfig()), recs: recs,
		conns: map[int]*wsClientT{}, results: map[int]httpResult{}, reqs: map[int]traceRec{},
		traceIDs: newNameKeys(), simIDs: newNameKeys(), simSeen: map[int]int{},
		sent: map[int]time.Time{}, answered: map[int]time.Time{},
		inbound: map[string]string{}, invite: map[string]bool{}, dtmf: map[string]string{},
	}
	for _, rec := range recs {
		switch rec.Kind {
		case "response":
			if rec.BodyFormat == "json" {
				r.traceIDs.register(rec.Body)
			}
		case "event":
			r.traceIDs.register(rec.Event)
		}
	}
	return r
}

func (r *replay) diff(format string, args ...any) {
	r.diffs = append(r.diffs, fmt.Sprintf(format, args...))
}

func (r *replay) run() {
	r.start = time.Now()
	for i, rec := range r.recs {
		switch rec.Kind {
		case "request":
			r.waitUntil(i, rec.TMS)
			r.reqs[rec.Req] = rec
			r.request(rec)
		case "response":
			r.compareResponse(rec)
		case "note":
			r.waitUntil(i, rec.TMS)
			r.note(rec)
		}
	}
	r.waitUntil(len(r.recs), r.recs[len(r.recs)-1].TMS)
	time.Sleep(50 * time.Millisecond)
	r.absorb()
}

// waitUntil waits for the scaled trace time of record i and for the events
// the trace shows before it.
func (r *replay) waitUntil(i int, tms float64) {
	if d := time.Until(r.start.Add(time.Duration(tms * replayScale * float64(time.Millisecond)))); d > 0 {
		time.Sleep(d)
	}
	want := map[string]int{}
	for _, rec := range r.recs[:i] {
		if rec.Kind == "event" {
			want[fmt.Sprintf("%d|%s", rec.Conn, eventKey(rec.Event, r.traceIDs))]++
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.absorb()
		got := map[string]int{}
		for n, ws := range r.conns {
			ws.mu.Lock()
			for _, raw := range ws.raw {
				got[fmt.Sprintf("%d|%s", n, eventKey(raw, r.simIDs))]++
			}
			ws.mu.Unlock()
		}
		var missing []string
		for k, n := range want {
			if got[k] < n {
				missing = append(missing, fmt.Sprintf("%s (%d of %d)", k, got[k], n))
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(missing)
			r.diff("before record %d (t=%.1fms): the simulator did not send events the trace has: %s", i, tms, strings.Join(missing, "; "))
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// absorb registers channel names from newly received events.
func (r *replay) absorb() {
	for n := 1; n <= r.nextConn; n++ {
		ws := r.conns[n]
		if ws == nil {
			continue
		}
		ws.mu.Lock()
		raw := append([][]byte(nil), ws.raw[r.simSeen[n]:]...)
		r.simSeen[n] = len(ws.raw)
		ws.mu.Unlock()
		for _, b := range raw {
			r.simIDs.register(b)
		}
	}
}

var hexCounter = regexp.MustCompile(`-[0-9a-f]{8}(;[12])?$`)

// nameKeys gives each channel a key that is the same in the trace and in
// the simulator: its name without the counter, and which channel of that
// kind it was (0, 1, ...).
type nameKeys struct {
	idName  map[string]string
	nameKey map[string]string
	count   map[string]int
	keyID   map[string]string
}

func newNameKeys() *nameKeys {
	return &nameKeys{idName: map[string]string{}, nameKey: map[string]string{}, count: map[string]int{}, keyID: map[string]string{}}
}

func (k *nameKeys) register(raw []byte) {
	var v any
	if json.Unmarshal(raw, &v) == nil {
		k.walk(v)
	}
}

func (k *nameKeys) walk(v any) {
	switch x := v.(type) {
	case map[string]any:
		id, _ := x["id"].(string)
		name, _ := x["name"].(string)
		if _, isChan := x["dialplan"]; isChan && id != "" && name != "" {
			if _, ok := k.nameKey[name]; !ok {
				base := hexCounter.ReplaceAllString(name, "-#$1")
				key := fmt.Sprintf("%s#%d", base, k.count[base])
				k.count[base]++
				k.nameKey[name] = key
				k.keyID[key] = id
			}
			k.idName[id] = name
		}
		for _, c := range x {
			k.walk(c)
		}
	case []any:
		for _, c := range x {
			k.walk(c)
		}
	}
}

// keyOfID is the key of a channel id, or "" when it is not a channel.
func (k *nameKeys) keyOfID(id string) string {
	if name, ok := k.idName[id]; ok {
		return k.nameKey[name]
	}
	return ""
}

// mapID turns a trace channel id into the simulator's id for the same
// channel; other ids are kept.
func (r *replay) mapID(id string) string {
	if key := r.traceIDs.keyOfID(id); key != "" {
		if sim, ok := r.simIDs.keyID[key]; ok {
			return sim
		}
	}
	return id
}

func (r *replay) mapList(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		parts[i] = r.mapID(p)
	}
	return strings.Join(parts, ",")
}

func authOf(rec traceRec, h *harness) (string, string, bool) {
	switch rec.Auth {
	case "none", "api_key query parameter":
		return "", "", false
	case "basic asterisk:wrong":
		return h.user, "wrong", true
	}
	return h.user, h.pass, true
}

// request performs a recorded request against the simulator.
func (r *replay) request(rec traceRec) {
	segs := strings.Split(rec.Path, "/")
	for i, s := range segs {
		segs[i] = r.mapID(s)
	}
	path := strings.Join(segs, "/")
	q := url.Values{}
	for k, v := range rec.Query {
		q.Set(k, r.mapList(v))
	}
	user, pass, _ := authOf(rec, r.h)
	if rec.Websocket {
		r.openWebsocket(rec, q, user, pass)
		return
	}
	var body any
	if len(rec.Body) > 0 && string(rec.Body) != "null" {
		if rec.BodyFormat == "text" {
			var s string
			_ = json.Unmarshal(rec.Body, &s)
			body = s
		} else {
			body = string(rec.Body)
		}
	}
	r.sent[rec.Req] = time.Now()
	res := r.h.callAuth(rec.Method, path, q, body, user, pass)
	r.answered[rec.Req] = time.Now()
	if strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		r.simIDs.register(res.body)
	}
	r.results[rec.Req] = res
}

func (r *replay) openWebsocket(rec traceRec, q url.Values, user, pass string) {
	if rec.Auth == "basic asterisk:asterisk" && q.Get("app") != "" {
		ws, err := r.h.dialEvents(q.Get("app"), q.Get("subscribeAll") == "true")
		if err != nil {
			r.diff("req %d: websocket: %v", rec.Req, err)
			r.results[rec.Req] = httpResult{status: 0}
			return
		}
		r.nextConn++
		r.conns[r.nextConn] = ws
		r.results[rec.Req] = httpResult{status: 101, reason: "Switching Protocols"}
		return
	}
	r.results[rec.Req] = r.h.callAuth("GET", "/ari/events", q, nil, user, pass)
}

// compareResponse checks the simulator's answer to request rec.Req.
func (r *replay) compareResponse(rec traceRec) {
	res, ok := r.results[rec.Req]
	req := r.reqs[rec.Req]
	where := fmt.Sprintf("req %d %s %s", rec.Req, req.Method, req.Path)
	if !ok {
		r.diff("%s: no simulator response", where)
		return
	}
	r.responses++
	if res.status != rec.Status || (rec.Status != 101 && res.reason != rec.Reason) {
		r.diff("%s: status %d %q, trace %d %q (body %s)", where, res.status, res.reason, rec.Status, rec.Reason, res.body)
		return
	}
	for _, h := range rec.Headers {
		switch strings.ToLower(h[0]) {
		case "content-type", "allow", "www-authenticate", "location":
			if got := res.header.Get(h[0]); rec.Status != 101 && got != h[1] && !strings.HasPrefix(h[1], "/ari/playbacks/") {
				r.diff("%s: header %s %q, trace %q", where, h[0], got, h[1])
			}
		}
	}
	switch rec.BodyFormat {
	case "json":
		want, err := parseJNode(rec.Body)
		if err != nil {
			r.diff("%s: bad trace body: %v", where, err)
			return
		}
		got, err := parseJNode(res.body)
		if err != nil {
			r.diff("%s: body is not JSON: %q", where, res.body)
			return
		}
		skip := map[string]bool{}
		if strings.HasSuffix(req.Path, "/variable") && strings.HasPrefix(req.Query["variable"], "CHANNEL(") {
			skip["value"] = true
		}
		var d []string
		compareShape(where, want, got, skip, &d)
		r.diffs = append(r.diffs, d...)
	case "text":
		var want string
		_ = json.Unmarshal(rec.Body, &want)
		if strings.TrimSpace(string(res.body)) != strings.TrimSpace(want) {
			r.diff("%s: body %q, trace %q", where, res.body, want)
		}
	case "binary-not-stored":
		lo, hi := r.audioBounds(req, rec.BodyBytes)
		if len(res.body) < lo || len(res.body) > hi || string(res.body[:4]) != "RIFF" || string(res.body[8:12]) != "WAVE" {
			r.diff("%s: %d bytes of audio, trace %d bytes of WAV", where, len(res.body), rec.BodyBytes)
		}
	case "empty":
		if len(res.body) != 0 {
			r.diff("%s: body %q, trace empty", where, res.body)
		}
	}
}

var (
	reUASStarted = regexp.MustCompile(`SIPp uas(\w+) started: (.*)`)
	reNoListener = regexp.MustCompile(`contact of endpoint (\w+)`)
	reUACDTMF    = regexp.MustCompile(`SIPp uac(\w+) started: .*plays DTMF ([0-9*#]+)`)
	reSIP        = regexp.MustCompile(`^SIPp (ua[cs])(\w+) (sent|received) (\S+) (\S+)`)
)

// note replays what SIPp did, through the control API.
func (r *replay) note(rec traceRec) {
	switch rec.Src {
	case "harness":
		if m := reUASStarted.FindStringSubmatch(rec.Text); m != nil {
			r.setBehavior(m[1], uasOutcome(m[2]))
		}
		if strings.Contains(rec.Text, "nothing listens") {
			if m := reNoListener.FindStringSubmatch(rec.Text); m != nil {
				r.setBehavior(m[1], OutcomeNoResponse)
			}
		}
		if m := reUACDTMF.FindStringSubmatch(rec.Text); m != nil {
			r.dtmf[m[1]] = m[2]
		}
		if strings.HasPrefix(rec.Text, "harness closes websocket conn ") {
			n, _ := strconv.Atoi(strings.Fields(strings.TrimPrefix(rec.Text, "harness closes websocket conn "))[0])
			if ws := r.conns[n]; ws != nil {
				ws.close()
			}
		}
	case "sip":
		m := reSIP.FindStringSubmatch(rec.Text)
		if m == nil {
			return
		}
		role, ep, dir, what, arg := m[1], m[2], m[3], m[4], m[5]
		switch {
		case role == "uac" && dir == "sent" && what == "INVITE":
			to := strings.TrimPrefix(strings.SplitN(arg, "@", 2)[0], "sip:")
			res := r.h.call("POST", "/sim/calls", nil, map[string]any{"from": ep, "to": to})
			m := r.h.mustJSON(201, res)
			r.inbound[ep] = m["channel_id"].(string)
		case role == "uac" && dir == "sent" && what == "BYE":
			r.simHangup(r.inbound[ep])
		case role == "uac" && dir == "sent" && what == "ACK" && r.dtmf[ep] != "":
			r.h.call("POST", "/sim/channels/"+r.inbound[ep]+"/dtmf", nil,
				map[string]any{"digits": r.dtmf[ep], "duration_ms": 200, "gap_ms": 200, "delay_ms": 1400})
			delete(r.dtmf, ep)
		case role == "uas" && dir == "received" && what == "INVITE":
			r.invite[ep] = true
		case role == "uas" && dir == "received" && what == "CANCEL":
			r.invite[ep] = false
		case role == "uas" && dir == "sent" && what == "SIP/2.0" && arg == "200" && r.invite[ep]:
			r.invite[ep] = false
			for _, id := range r.endpointChannels(ep) {
				r.h.call("POST", "/sim/channels/"+id+"/answer", nil, nil)
			}
		case role == "uas" && dir == "sent" && what == "BYE":
			for _, id := range r.endpointChannels(ep) {
				r.simHangup(id)
			}
		}
	}
}

func (r *replay) simHangup(id string) {
	if res := r.h.call("POST", "/sim/channels/"+id+"/hangup", nil, nil); res.status != 204 {
		r.diff("far-end hangup of %s: %d %s", id, res.status, res.body)
	}
}

// uasOutcome reads the SIPp UAS description of the harness note.
func uasOutcome(desc string) Outcome {
	for code, o := range map[string]Outcome{"486": OutcomeBusy, "503": OutcomeCongestion, "603": OutcomeDecline,
		"404": OutcomeNotFound, "480": OutcomeUnavailable} {
		if strings.Contains(desc, "with "+code) {
			return o
		}
	}
	return OutcomeNoAnswer
}

func (r *replay) setBehavior(ep string, o Outcome) {
	res := r.h.call("PUT", "/sim/endpoints/"+ep, nil, map[string]any{"behavior": map[string]any{"outcome": o}})
	r.h.mustJSON(200, res)
}

func (r *replay) endpointChannels(ep string) []string {
	res := r.h.call("GET", "/sim/endpoints", nil, nil)
	var eps []simEndpoint
	if err := json.Unmarshal(res.body, &eps); err != nil {
		r.t.Fatalf("sim endpoints: %v", err)
	}
	for _, e := range eps {
		if e.Resource == ep {
			return e.ChannelIDs
		}
	}
	return nil
}

// audioBounds is the size range a stored recording's file may have. When the
// replay itself started and stopped the recording, the range comes from when
// those requests were sent and answered, so a loaded machine that delays the
// replay does not fail it; otherwise it is the trace's size ±10%.
func (r *replay) audioBounds(file traceRec, traceBytes int) (lo, hi int) {
	lo, hi = traceBytes*9/10, traceBytes*11/10
	name := strings.TrimSuffix(strings.TrimPrefix(file.Path, "/ari/recordings/stored/"), "/file")
	// The last record request followed by a stop request for this name.
	var start, stop, candidate int
	for _, q := range r.recs {
		if q.Kind != "request" || q.Req >= file.Req || q.Method != "POST" {
			continue
		}
		switch {
		case strings.HasSuffix(q.Path, "/record") && q.Query["name"] == name:
			candidate = q.Req
		case q.Path == "/ari/recordings/live/"+name+"/stop" && candidate != 0:
			start, stop, candidate = candidate, q.Req, 0
		}
	}
	if start == 0 || stop == 0 || r.sent[start].IsZero() || r.answered[stop].IsZero() {
		return lo, hi
	}
	// 8 kHz 16-bit mono after a 44-byte header, in trace time.
	size := func(d time.Duration) int {
		return 44 + int(float64(d)/replayScale/float64(time.Millisecond))*16
	}
	shortest, longest := r.sent[stop].Sub(r.answered[start]), r.answered[stop].Sub(r.sent[start])
	return size(shortest) * 95 / 100, size(longest) * 105 / 100
}
