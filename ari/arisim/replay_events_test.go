package arisim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// eventKey groups an event with the others about the same thing: a channel
// (by name key), a bridge, playbacks, recordings, a device or an endpoint.
func eventKey(raw []byte, keys *nameKeys) string {
	var e map[string]any
	if json.Unmarshal(raw, &e) != nil {
		return "?"
	}
	for _, k := range []string{"channel", "peer"} {
		if c, ok := e[k].(map[string]any); ok {
			name, _ := c["name"].(string)
			if key, ok := keys.nameKey[name]; ok {
				return "chan:" + key
			}
			return "chan:" + name
		}
	}
	if b, ok := e["bridge"].(map[string]any); ok {
		if b["bridge_class"] == "basic" {
			return "bridge:dialplan"
		}
		return fmt.Sprint("bridge:", b["id"])
	}
	if _, ok := e["playback"]; ok {
		return "playback"
	}
	if _, ok := e["recording"]; ok {
		return "recording"
	}
	if d, ok := e["device_state"].(map[string]any); ok {
		return fmt.Sprint("device:", d["name"])
	}
	if ep, ok := e["endpoint"].(map[string]any); ok && e["type"] == "EndpointStateChange" {
		return fmt.Sprint("endpoint:", ep["resource"])
	}
	return fmt.Sprint(e["type"])
}

// eventSig is what must match, in order, per key.
func eventSig(n *jnode) string {
	typ := n.s("type")
	switch typ {
	case "ChannelVarset":
		return typ + ":" + n.s("variable")
	case "Dial":
		return typ + ":" + n.s("dialstatus")
	case "ChannelStateChange":
		return typ + ":" + n.get("channel").s("state")
	case "ChannelHangupRequest":
		return fmt.Sprintf("%s:cause=%s,soft=%s,tech=%s", typ, n.s("cause"), n.s("soft"), n.s("tech_cause"))
	case "ChannelDestroyed":
		return typ + ":" + n.s("cause")
	case "ChannelDialplan":
		return typ + ":" + n.s("dialplan_app")
	case "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished":
		return typ + ":" + n.get("playback").s("media_uri") + ":" + n.get("playback").s("state")
	case "RecordingStarted", "RecordingFinished":
		return typ + ":" + n.get("recording").s("name")
	case "DeviceStateChanged":
		return typ + ":" + n.get("device_state").s("state")
	case "ChannelDtmfReceived":
		return typ + ":" + n.s("digit")
	case "StasisStart":
		return typ + ":" + n.get("args").String()
	}
	return typ
}

type sigEvent struct {
	sig  string
	node *jnode
}

// churn events are re-published while a bridge settles; their relative
// order varies from run to run on a real Asterisk.
func churn(sig string) bool {
	return sig == "ChannelVarset:BRIDGEPEER" || sig == "ChannelVarset:BRIDGEPVTCALLID" || sig == "ChannelConnectedLine"
}

// canonical sorts the parts of a sequence whose order Asterisk does not
// fix: a 180's ChannelStateChange against its Dial RINGING, and blocks of
// bridge churn.
func canonical(seq []sigEvent) []sigEvent {
	out := append([]sigEvent(nil), seq...)
	for i := 0; i+1 < len(out); i++ {
		if out[i].sig == "Dial:RINGING" && out[i+1].sig == "ChannelStateChange:Ringing" {
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	for i := 0; i < len(out); {
		if !churn(out[i].sig) {
			i++
			continue
		}
		j := i
		for j < len(out) && churn(out[j].sig) {
			j++
		}
		block := out[i:j]
		sort.SliceStable(block, func(a, b int) bool { return block[a].sig < block[b].sig })
		i = j
	}
	return out
}

// eventSkip names the members whose values depend on an ordering that
// canonical() normalised: the connected line during bridge churn, and the
// channel state in a Dial RINGING that raced its ChannelStateChange.
func eventSkip(sig string) map[string]bool {
	switch {
	case churn(sig) || strings.HasPrefix(sig, "ChannelVarset:RTPAUDIOQOS"):
		return map[string]bool{"connected": true}
	case sig == "Dial:RINGING":
		return map[string]bool{"state": true}
	}
	return nil
}

func sigs(seq []sigEvent) string {
	s := make([]string, len(seq))
	for i, e := range seq {
		s[i] = e.sig
	}
	return strings.Join(s, " ")
}

// compareEvents compares, per WebSocket and per key, the sequence of events
// the simulator sent with the recorded one, then each event's shape.
func (r *replay) compareEvents() {
	deadline := time.Now().Add(3 * time.Second)
	for {
		r.absorb()
		if r.eventsComplete() || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := map[string][]sigEvent{}
	for _, rec := range r.recs {
		if rec.Kind != "event" {
			continue
		}
		n, err := parseJNode(rec.Event)
		if err != nil {
			r.diff("bad trace event: %v", err)
			continue
		}
		k := fmt.Sprintf("conn %d %s", rec.Conn, eventKey(rec.Event, r.traceIDs))
		want[k] = append(want[k], sigEvent{eventSig(n), n})
	}
	got := map[string][]sigEvent{}
	for c, ws := range r.conns {
		ws.mu.Lock()
		raws := append([][]byte(nil), ws.raw...)
		ws.mu.Unlock()
		for _, raw := range raws {
			n, err := parseJNode(raw)
			if err != nil {
				r.diff("simulator event is not JSON: %q", raw)
				continue
			}
			k := fmt.Sprintf("conn %d %s", c, eventKey(raw, r.simIDs))
			got[k] = append(got[k], sigEvent{eventSig(n), n})
		}
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, g := canonical(want[k]), canonical(got[k])
		if sigs(w) != sigs(g) {
			r.diff("%s: event sequence differs\n  trace:     %s\n  simulator: %s", k, sigs(w), sigs(g))
			continue
		}
		r.sequences++
		r.events += len(w)
		for i := range w {
			var d []string
			compareShape(fmt.Sprintf("%s event %d %s", k, i, w[i].sig), w[i].node, g[i].node, eventSkip(w[i].sig), &d)
			r.diffs = append(r.diffs, d...)
		}
	}
}

// eventsComplete reports whether every connection got at least as many
// events as the trace shows.
func (r *replay) eventsComplete() bool {
	want := map[int]int{}
	for _, rec := range r.recs {
		if rec.Kind == "event" {
			want[rec.Conn]++
		}
	}
	for c, n := range want {
		ws := r.conns[c]
		if ws == nil {
			return false
		}
		ws.mu.Lock()
		got := len(ws.raw)
		ws.mu.Unlock()
		if got < n {
			return false
		}
	}
	return true
}
