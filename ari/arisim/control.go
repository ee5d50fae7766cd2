package arisim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// MarshalJSON writes a behaviour with duration strings.
func (b Behavior) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Outcome      Outcome `json:"outcome"`
		RingDelay    string  `json:"ring_delay"`
		TalkDuration string  `json:"talk_duration"`
	}{b.Outcome, b.RingDelay.String(), b.TalkDuration.String()})
}

// UnmarshalJSON reads a behaviour; durations are strings ("1s") or
// milliseconds.
func (b *Behavior) UnmarshalJSON(data []byte) error {
	var j struct {
		Outcome      Outcome         `json:"outcome"`
		RingDelay    json.RawMessage `json:"ring_delay"`
		TalkDuration json.RawMessage `json:"talk_duration"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	ring, err := parseDurationJSON(j.RingDelay)
	if err != nil {
		return err
	}
	talk, err := parseDurationJSON(j.TalkDuration)
	if err != nil {
		return err
	}
	*b = Behavior{Outcome: j.Outcome, RingDelay: ring, TalkDuration: talk}
	return j.Outcome.validate()
}

type simResp struct {
	status int
	body   any
}

func simErr(status int, msg string) simResp {
	return simResp{status, map[string]string{"error": msg}}
}

// serveSim serves the /sim/ control API (see ServeHTTP for the routes).
func (s *Server) serveSim(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	res := simErr(400, "cannot read body")
	if err == nil {
		segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/sim/"), "/"), "/")
		s.mu.Lock()
		if s.closed {
			res = simErr(503, "simulator closed")
		} else {
			res = s.simRoute(r.Method, segs, body)
		}
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	if res.body != nil {
		_ = json.NewEncoder(w).Encode(res.body)
	}
}

func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	return json.Unmarshal(body, v)
}

func (s *Server) simRoute(method string, segs []string, body []byte) simResp {
	route := method + " " + segs[0]
	switch {
	case route == "GET state" && len(segs) == 1:
		return simResp{200, s.simState()}
	case route == "POST calls" && len(segs) == 1:
		var req inboundRequest
		if err := decode(body, &req); err != nil {
			return simErr(400, err.Error())
		}
		talk, err := parseDurationJSON(json.RawMessage(quoteIfNeeded(req.TalkDuration)))
		if err != nil {
			return simErr(400, "talk_duration: "+err.Error())
		}
		c, err := s.inboundCall(req, talk)
		if err != nil {
			return simErr(400, err.Error())
		}
		return simResp{201, map[string]string{"channel_id": c.id, "name": c.name}}
	case method == "POST" && segs[0] == "channels" && len(segs) == 3:
		return s.simChannelOp(segs[1], segs[2], body)
	case route == "GET endpoints" && len(segs) == 1:
		return simResp{200, s.simEndpoints()}
	case route == "PUT endpoints" && len(segs) == 2:
		return s.simPutEndpoint(segs[1], body)
	case route == "GET rules" && len(segs) == 1:
		return simResp{200, s.st.rules}
	case route == "PUT rules" && len(segs) == 1:
		rules, err := ParseRules(body)
		if err != nil {
			return simErr(400, err.Error())
		}
		s.st.rules = rules
		return simResp{200, rules}
	case route == "POST websockets" && len(segs) == 2 && segs[1] == "cut":
		return simResp{200, map[string]int{"closed": s.cutWebsockets()}}
	}
	return simErr(404, "no such control route")
}

func quoteIfNeeded(v string) string {
	if v == "" {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// simChannelOp is a far-end action on a channel: hangup, answer or dtmf.
func (s *Server) simChannelOp(id, op string, body []byte) simResp {
	c := s.channelByID(id)
	if c == nil || c.hungup {
		return simErr(404, "channel not found")
	}
	switch op {
	case "hangup":
		req := struct {
			Cause *int `json:"cause"`
		}{}
		if err := decode(body, &req); err != nil {
			return simErr(400, err.Error())
		}
		cause := -1
		if req.Cause != nil {
			cause = *req.Cause
		}
		s.remoteHangup(c, cause)
		return simResp{204, nil}
	case "answer":
		if !c.dialing {
			return simErr(409, "channel is not ringing")
		}
		s.cancel(c.farTimer)
		s.farAnswered(c)
		return simResp{204, nil}
	case "dtmf":
		req := struct {
			Digits     string `json:"digits"`
			DurationMS int    `json:"duration_ms"`
			GapMS      int    `json:"gap_ms"`
			DelayMS    int    `json:"delay_ms"`
		}{DurationMS: 200, GapMS: 200}
		if err := decode(body, &req); err != nil {
			return simErr(400, err.Error())
		}
		if req.Digits == "" {
			return simErr(400, "digits are required")
		}
		dur, gap := time.Duration(req.DurationMS)*time.Millisecond, time.Duration(req.GapMS)*time.Millisecond
		s.cancel(c.dtmfTimer)
		c.dtmfTimer = s.after(time.Duration(req.DelayMS)*time.Millisecond, func() { s.sendDTMF(c, req.Digits, dur, gap) })
		return simResp{204, nil}
	}
	return simErr(404, "no such channel operation")
}

// sendDTMF delivers far-end digits: one ChannelDtmfReceived at the end of
// each digit.
func (s *Server) sendDTMF(c *channel, digits string, dur, gap time.Duration) {
	if digits == "" || c.hungup {
		return
	}
	d := string(digits[0])
	c.dtmfTimer = s.after(dur, func() {
		s.chanEvent("ChannelDtmfReceived", c, func(o *obj) {
			o.str("digit", d).num("duration_ms", dur.Milliseconds())
		})
		if r := c.recording; r != nil && (r.terminateOn == "any" || r.terminateOn == d) {
			s.finishRecording(r, "done")
		}
		if len(digits) > 1 {
			c.dtmfTimer = s.after(gap, func() { s.sendDTMF(c, digits[1:], dur, gap) })
		}
	})
}

type simEndpoint struct {
	Endpoint
	State       string   `json:"state"`
	DeviceState string   `json:"device_state"`
	OffHook     bool     `json:"offhook"`
	ChannelIDs  []string `json:"channel_ids"`
}

func (s *Server) simEndpoints() []simEndpoint {
	out := make([]simEndpoint, 0, len(s.st.epList))
	for _, ep := range s.st.epList {
		ids := []string{}
		for _, c := range ep.channels {
			ids = append(ids, c.id)
		}
		out = append(out, simEndpoint{Endpoint: ep.cfg, State: ep.state(), DeviceState: ep.deviceState(), OffHook: ep.offhook, ChannelIDs: ids})
	}
	return out
}

// simPutEndpoint changes an extension: its behaviour, off-hook state or
// registration.
func (s *Server) simPutEndpoint(res string, body []byte) simResp {
	ep := s.st.endpoints["PJSIP/"+res]
	if ep == nil {
		return simErr(404, "endpoint not found")
	}
	var req struct {
		Behavior   *Behavior `json:"behavior"`
		OffHook    *bool     `json:"offhook"`
		Registered *bool     `json:"registered"`
	}
	if err := decode(body, &req); err != nil {
		return simErr(400, err.Error())
	}
	if req.Behavior != nil {
		ep.cfg.Behavior = *req.Behavior
	}
	if req.OffHook != nil {
		ep.offhook = *req.OffHook
	}
	if req.Registered != nil && ep.cfg.Unregistered == *req.Registered {
		ep.cfg.Unregistered = !*req.Registered
		s.endpointStateChange(ep)
	}
	s.refreshEndpointDevice(ep)
	for _, e := range s.simEndpoints() {
		if e.Resource == res {
			return simResp{200, e}
		}
	}
	return simResp{200, nil}
}

func (s *Server) simState() map[string]any {
	type chanInfo struct {
		ID, Name, State, App string
		InStasis             bool
		Bridge               string
	}
	var chans []chanInfo
	for _, c := range s.sortedChannels() {
		ci := chanInfo{ID: c.id, Name: c.name, State: c.state, App: c.stasisApp, InStasis: c.inStasis}
		if c.bridge != nil {
			ci.Bridge = c.bridge.id
		}
		chans = append(chans, ci)
	}
	var apps []string
	for _, a := range s.st.appList {
		apps = append(apps, a.name)
	}
	return map[string]any{
		"channels":   chans,
		"bridges":    len(s.st.bridges),
		"apps":       apps,
		"websockets": len(s.clients),
		"endpoints":  s.simEndpoints(),
	}
}
