package arisim

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// dialTarget is a parsed ARI endpoint string.
type dialTarget struct {
	tech     string
	resource string    // text after the slash
	ep       *endpoint // PJSIP extension
	trunk    string    // PJSIP/<number>@<trunk>
	number   string    // external number, or Local exten
	context  string    // Local context
}

// parseTarget resolves an endpoint; the error is the response Asterisk gives.
func (s *Server) parseTarget(endpoint string) (dialTarget, *resp) {
	tech, res, ok := strings.Cut(endpoint, "/")
	if !ok || res == "" || tech == "" {
		return dialTarget{}, errResp(400, "Bad Request", "Invalid endpoint specified")
	}
	t := dialTarget{tech: tech, resource: res}
	switch {
	case strings.EqualFold(tech, "Local"):
		t.tech = "Local"
		t.number, t.context, _ = strings.Cut(res, "@")
		if t.context == "" {
			t.context = "default"
		}
		if i := strings.IndexAny(t.context, "/"); i >= 0 {
			t.context = t.context[:i]
		}
		return t, nil
	case strings.EqualFold(tech, "PJSIP"):
		t.tech = "PJSIP"
		if num, trunk, ok := strings.Cut(res, "@"); ok && num != "" && trunk != "" {
			t.number, t.trunk = num, trunk
			return t, nil
		}
		ep := s.st.endpoints["PJSIP/"+res]
		if ep == nil || ep.cfg.Unregistered {
			return t, allocFailed()
		}
		t.ep = ep
		return t, nil
	}
	return t, allocFailed()
}

// parseCallerID is ast_callerid_parse: `"Name" <num>`, `Name <num>` or a
// bare number or name.
func parseCallerID(s string) (name, num string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "<"); i >= 0 {
		if j := strings.Index(s[i:], ">"); j > 0 {
			num = strings.TrimSpace(s[i+1 : i+j])
			name = strings.Trim(strings.TrimSpace(s[:i]), `"`)
			return name, num
		}
	}
	isNum := s != ""
	for _, r := range s {
		if !strings.ContainsRune("0123456789+*#-() .", r) {
			isNum = false
		}
	}
	if isNum {
		return "", strings.Map(func(r rune) rune {
			if strings.ContainsRune("-() .", r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.Trim(s, `"`), ""
}

// outbound is a parsed originate or create request.
type outbound struct {
	target    dialTarget
	id        string
	otherID   string
	app       string
	args      []string
	callerID  string
	vars      [][2]string
	timeout   time.Duration
	context   string
	exten     string
	priority  int
	create    bool
	linkedID  string
	originApp *channel
}

// newOutbound allocates the channel(s) for o and publishes what only
// subscribeAll apps see (creation, dialplan, caller id, variables). It
// returns the channel to dial and the snapshot to answer with.
func (s *Server) newOutbound(o *outbound) (*channel, []byte) {
	t := o.target
	kind := kindOriginate
	if o.create {
		kind = kindCreate
	}
	var c, c2 *channel
	switch t.tech {
	case "Local":
		base := s.unrealName("Local/" + t.number + "@" + t.context)
		c = s.newChannel(o.id, base+";1", "Local", kind)
		c2 = s.newChannel(o.otherID, base+";2", "Local", kindLocal2)
		c.peer, c2.peer = c2, c
		c.number = t.number + "@" + t.context
		c.dp = dialplanPos{context: t.context, exten: t.number, priority: 1}
		c2.dp = c.dp
		c2.state = "Ring"
		c2.linkedID = c.linkedID
		c2.pbx = true
	default:
		resName := t.resource
		if t.trunk != "" {
			resName = t.trunk
		}
		c = s.newChannel(o.id, s.pjsipName(resName), "PJSIP", kind)
		c.trunk, c.number = t.trunk, t.number
		c.dp = dialplanPos{context: "from-sip", exten: "s", priority: 1}
		if t.ep != nil {
			c.caller = party{t.ep.cfg.CallerIDName, t.ep.cfg.CallerIDNumber}
			s.attachEndpoint(c, t.ep)
		}
		c.devActive = true
	}
	if o.linkedID != "" {
		c.linkedID = o.linkedID
		if c2 != nil {
			c2.linkedID = o.linkedID
		}
	}
	c.dialString = t.resource
	c.base = c.dp
	if !o.create {
		c.base.app, c.base.data = "AppDial2", "(Outgoing Line)"
	}
	s.chanEvent("ChannelCreated", c, nil)
	if c2 != nil {
		s.chanEvent("ChannelCreated", c2, nil)
	}
	if c.isPJSIP() {
		c.protocolID = uuid.NewString()
	}
	if !o.create {
		s.dialplanStep(c, c.dp.context, c.dp.exten, 1, "AppDial2", "(Outgoing Line)")
	}
	c.cdr.lastApp, c.cdr.lastData = "AppDial2", "(Outgoing Line)"
	if o.create {
		c.cdr.lastApp, c.cdr.lastData = "", ""
	}
	if o.callerID != "" {
		name, num := parseCallerID(o.callerID)
		if name != "" {
			c.caller.name = name
		}
		if num != "" {
			c.caller.number = num
		}
		s.callerIDEvent(c)
		c.connected = party{name, num}
		s.chanEvent("ChannelConnectedLine", c, nil)
	}
	for _, kv := range o.vars {
		if strings.HasSuffix(kv[0], ")") {
			if !s.writeFunction(c, kv[0], kv[1]) {
				s.log.Warn("arisim: unknown function in originate variables", "name", kv[0])
			}
			continue
		}
		s.setVar(c, kv[0], kv[1])
	}
	if o.app != "" {
		s.subscribe(c, o.app)
		if c2 != nil {
			s.subscribe(c2, o.app)
		}
		if o.originApp != nil {
			s.subscribe(o.originApp, o.app)
		}
	}
	c.after = afterAnswer{app: o.app, args: o.args, context: o.context, exten: o.exten, prio: o.priority}
	return c, c.json()
}

// originate is POST /channels: allocate, then dial in the background.
func (s *Server) originate(o *outbound) []byte {
	c, snap := s.newOutbound(o)
	if c.tech == "Local" {
		s.startLocal(c, o.vars, o.timeout)
	} else {
		s.startDial(c, o.timeout)
	}
	return snap
}

// startLocal dials a Local channel: its ;2 half runs the dialplan (or, for
// an extension the built-in dialplan does not have, the rule table decides
// the outcome as for an external number).
func (s *Server) startLocal(c *channel, vars [][2]string, timeout time.Duration) {
	c2 := c.peer
	for _, kv := range vars {
		if !strings.HasSuffix(kv[0], ")") {
			s.setVar(c2, kv[0], kv[1])
		}
	}
	if _, ok := localSteps(c2.dp.context, c2.dp.exten); !ok {
		s.startDial(c, timeout)
		return
	}
	c.dialing = true
	c.dialStart = s.now()
	s.dialEvent(nil, c, "", c.dialString)
	if timeout > 0 {
		c.dialTimer = s.after(timeout, func() { s.dialTimedOut(c) })
	}
	s.execStep(c2, c2.dp.context, c2.dp.exten, 1)
}

// behaviorFor is how the far end of c responds.
func (s *Server) behaviorFor(c *channel) Behavior {
	if c.ep != nil {
		if c.ep.offhook {
			return Behavior{Outcome: OutcomeBusy}
		}
		b := c.ep.cfg.Behavior
		if b.Outcome == "" {
			b.Outcome = OutcomeAnswer
		}
		if b.Outcome == OutcomeAnswer && b.RingDelay <= 0 {
			b.RingDelay = s.cfg.AnswerDelay
		}
		return b
	}
	num := c.number
	if i := strings.Index(num, "@"); i >= 0 {
		num = num[:i]
	}
	return s.matchRule(num)
}

// startDial sends the INVITE: Dial "" now, then the far end's responses on
// timers, and the dial timeout.
func (s *Server) startDial(c *channel, timeout time.Duration) {
	c.dialing = true
	c.dialStart = s.now()
	s.dialEvent(c.dialer, c, "", c.dialString)
	b := s.behaviorFor(c)
	c.far = b
	switch b.Outcome {
	case OutcomeAnswer:
		c.farTimer = s.after(0, func() {
			s.farRinging(c)
			c.farTimer = s.after(b.RingDelay, func() { s.farAnswered(c) })
		})
	case OutcomeNoAnswer:
		c.farTimer = s.after(0, func() { s.farRinging(c) })
	case OutcomeNoResponse:
		c.farTimer = s.after(s.cfg.SIPTimerB, func() { s.farFailed(c, 408, 18) })
	default:
		code, cause := b.Outcome.sip()
		if b.RingDelay > 0 {
			c.farTimer = s.after(0, func() {
				s.farRinging(c)
				c.farTimer = s.after(b.RingDelay, func() { s.farFailed(c, code, cause) })
			})
		} else {
			c.farTimer = s.after(0, func() { s.farFailed(c, code, cause) })
		}
	}
	if timeout > 0 {
		c.dialTimer = s.after(timeout, func() { s.dialTimedOut(c) })
	}
}

// farRinging is the far end's 180 Ringing.
func (s *Server) farRinging(c *channel) {
	if !c.dialing || c.state != "Down" {
		return
	}
	s.stateChange(c, "Ringing")
	if d := c.dialer; d != nil {
		s.setVar(d, "RINGTIME", "0")
		s.setVar(d, "RINGTIME_MS", "0")
	}
	s.dialEvent(c.dialer, c, "RINGING", c.laterDialString())
	if d := c.dialer; d != nil && !d.devActive {
		d.devActive = true
		s.updateDevice(d)
	}
}

// farAnswered is the far end's 200 OK.
func (s *Server) farAnswered(c *channel) {
	if !c.dialing || c.hungup {
		return
	}
	c.dialing = false
	s.cancel(c.dialTimer)
	c.answered = s.now()
	if p := c.peer; p != nil && p.state != "Up" {
		p.answered = c.answered
		s.stateChange(p, "Up")
	}
	s.stateChange(c, "Up")
	if c.kind == kindDialed {
		c.dp.exten = ""
	}
	if d := c.dialer; d != nil {
		s.setVar(d, "DIALSTATUS", "ANSWER")
		s.setVar(d, "DIALEDPEERNAME", c.name)
		s.setVar(d, "DIALEDPEERNUMBER", c.dialString)
	}
	s.dialEvent(c.dialer, c, "ANSWER", c.laterDialString())
	if c.far.TalkDuration > 0 {
		c.byeTimer = s.after(c.far.TalkDuration, func() { s.remoteHangup(c, -1) })
	}
	switch c.kind {
	case kindOriginate:
		if c.after.app != "" {
			if !s.enterStasis(c, c.after.app, c.after.args) {
				s.hangup(c, hangupSpec{reqCause: 16, reqSoft: true, cause: 16})
			}
			return
		}
		c.pbx = true
		ctx, exten, prio := c.after.context, c.after.exten, c.after.prio
		if ctx == "" {
			ctx = "default"
		}
		if prio <= 0 {
			prio = 1
		}
		s.execStep(c, ctx, exten, prio)
	case kindDialed:
		s.calleeAnswered(c.dialer, c)
	}
}

// farFailed is a final failure response (4xx, 5xx, 6xx) to the INVITE.
func (s *Server) farFailed(c *channel, code, cause int) {
	if !c.dialing || c.hungup {
		return
	}
	h := hangupSpec{reqCause: cause, reqTech: code, cause: cause, tech: code}
	if c.kind != kindCreate {
		h.dialStatus = dialStatusFor(code)
	}
	s.hangup(c, h)
}

func dialStatusFor(code int) string {
	switch code {
	case 486, 600:
		return "BUSY"
	case 503:
		return "CONGESTION"
	}
	return "NOANSWER"
}

// dialTimedOut gives up ringing: Asterisk CANCELs with cause 19.
func (s *Server) dialTimedOut(c *channel) {
	if !c.dialing || c.hungup {
		return
	}
	switch c.kind {
	case kindCreate:
		s.hangup(c, hangupSpec{reqCause: 32, reqSoft: true, cause: 19, tech: 480})
	case kindDialed:
		s.hangup(c, hangupSpec{noRequest: true, cause: 19, tech: 480, dialStatus: "NOANSWER"})
	default:
		h := hangupSpec{noRequest: true, cause: 19, tech: 480}
		if c.tech == "Local" {
			h.tech = 0
		}
		s.hangup(c, h)
	}
}

// createChannel is POST /channels/create: the channel enters Stasis at once
// in state Down and waits for /dial.
func (s *Server) createChannel(o *outbound) []byte {
	c, snap := s.newOutbound(o)
	c.dialCreated = true
	s.dialplanStep(c, c.dp.context, c.dp.exten, c.dp.priority, "Stasis", stasisData(o.app, o.args))
	if !s.enterStasis(c, o.app, o.args) {
		s.hangup(c, hangupSpec{reqCause: 16, reqSoft: true, cause: 16})
	}
	return snap
}

// dialCreatedChannel is POST /channels/{id}/dial.
func (s *Server) dialCreatedChannel(c *channel, caller *channel, timeout time.Duration) {
	c.dialCreated = false
	if caller != nil {
		c.connected = caller.caller
		c.linkedID = caller.linkedID
	}
	if c.tech == "Local" {
		s.startLocal(c, nil, timeout)
		return
	}
	s.startDial(c, timeout)
}
