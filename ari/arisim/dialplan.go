package arisim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The built-in dialplan is the one of the reference system:
//
//	[from-sip]   ; every SIP endpoint's context
//	_8XXXX => Goto(agents,${EXTEN:1},1)     ; when ${EXTEN:1} is an extension
//	_X.    => NoOp(inbound ...), Stasis(<app>,${EXTEN}), Hangup()
//	[agents]
//	<ext>  => NoOp(ring agent <ext>), Dial(PJSIP/<ext>,30), Hangup()
//	[local-test]
//	s      => Answer(), NoOp(), Echo()
//	tone   => Answer(), Milliwatt()
//	wait   => Answer(), Wait(3600)
//	hold   => Answer(), MusicOnHold(default)
//
// Answer() is followed by a 500 ms pause before the next priority, as
// observed on the reference system.

// dpStep is one dialplan priority.
type dpStep struct{ app, data string }

// localSteps returns the [local-test] extension's priorities.
func localSteps(ctx, exten string) ([]dpStep, bool) {
	if ctx != "local-test" {
		return nil, false
	}
	switch exten {
	case "s":
		return []dpStep{{"Answer", ""}, {"NoOp", ""}, {"Echo", ""}}, true
	case "tone":
		return []dpStep{{"Answer", ""}, {"Milliwatt", ""}}, true
	case "wait":
		return []dpStep{{"Answer", ""}, {"Wait", "3600"}}, true
	case "hold":
		return []dpStep{{"Answer", ""}, {"MusicOnHold", "default"}}, true
	}
	return nil, false
}

// steps returns the priorities of ctx/exten for channel c.
func (s *Server) steps(c *channel, ctx, exten string) ([]dpStep, bool) {
	if st, ok := localSteps(ctx, exten); ok {
		return st, true
	}
	switch ctx {
	case "from-sip":
		if c.inApp == "" && len(exten) > 1 && exten[0] == '8' {
			if _, ok := s.st.endpoints["PJSIP/"+exten[1:]]; ok {
				return []dpStep{{"Goto", "agents," + exten[1:] + ",1"}}, true
			}
		}
		if exten == "" || exten == "s" {
			return nil, false
		}
		appName, args := c.inApp, c.inArgs
		if appName == "" {
			appName = s.cfg.InboundApp
		}
		if args == nil {
			args = []string{exten}
		}
		via := ""
		if c.ep != nil {
			via = c.ep.cfg.Resource
		} else {
			via = c.trunk
		}
		return []dpStep{
			{"NoOp", fmt.Sprintf("inbound %s from %s via %s", exten, c.caller.String(), via)},
			{"Stasis", stasisData(appName, args)},
			{"Hangup", ""},
		}, true
	case "agents":
		if _, ok := s.st.endpoints["PJSIP/"+exten]; ok {
			return []dpStep{{"NoOp", "ring agent " + exten}, {"Dial", "PJSIP/" + exten + ",30"}, {"Hangup", ""}}, true
		}
	}
	return nil, false
}

// execStep runs priority prio of ctx/exten on c.
func (s *Server) execStep(c *channel, ctx, exten string, prio int) {
	if c.hungup {
		return
	}
	steps, ok := s.steps(c, ctx, exten)
	if !ok || prio < 1 || prio > len(steps) {
		s.hangup(c, hangupSpec{noRequest: true, cause: 16})
		return
	}
	st := steps[prio-1]
	s.dialplanStep(c, ctx, exten, prio, st.app, st.data)
	c.cdr.lastApp, c.cdr.lastData = st.app, st.data
	next := func() { s.execStep(c, ctx, exten, prio+1) }
	switch st.app {
	case "Answer":
		if c.state == "Up" {
			next()
			return
		}
		s.answerChannel(c)
		if p := c.peer; p != nil && p.dialing {
			s.farAnswered(p)
		}
		// Answer() waits up to 500 ms for the first audio frame, which a
		// simulated channel never sends.
		c.dpTimer = s.after(500*time.Millisecond, next)
	case "NoOp":
		next()
	case "Goto":
		parts := strings.Split(st.data, ",")
		p, _ := strconv.Atoi(parts[2])
		s.execStep(c, parts[0], parts[1], p)
	case "Stasis":
		parts := strings.Split(st.data, ",")
		if !s.enterStasis(c, parts[0], parts[1:]) {
			next()
		}
	case "Dial":
		target, tmo, _ := strings.Cut(st.data, ",")
		secs, _ := strconv.Atoi(tmo)
		s.dialplanDial(c, target, time.Duration(secs)*time.Second)
	case "Hangup":
		s.hangup(c, hangupSpec{noRequest: true, cause: 16})
	case "Wait":
		secs, _ := strconv.Atoi(st.data)
		c.dpTimer = s.after(time.Duration(secs)*time.Second, next)
	}
}

// answerChannel answers c from the Asterisk side.
func (s *Server) answerChannel(c *channel) {
	c.answered = s.now()
	c.devActive = true
	s.stateChange(c, "Up")
	if c.far.TalkDuration > 0 && c.kind == kindInbound && !c.talkFromBridge {
		c.byeTimer = s.after(c.far.TalkDuration, func() { s.remoteHangup(c, -1) })
	}
}

// dialplanDial is Dial(PJSIP/<ext>,<timeout>) run by caller.
func (s *Server) dialplanDial(caller *channel, target string, timeout time.Duration) {
	for _, v := range []string{"DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME", "ANSWEREDTIME_MS",
		"DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME", "PROGRESSTIME_MS"} {
		s.setVar(caller, v, "")
	}
	t, errr := s.parseTarget(target)
	if errr != nil || t.ep == nil {
		s.setVar(caller, "DIALSTATUS", "CHANUNAVAIL")
		s.execStep(caller, caller.dp.context, caller.dp.exten, caller.dp.priority+1)
		return
	}
	callee := s.newChannel("", s.pjsipName(t.ep.cfg.Resource), "PJSIP", kindDialed)
	callee.caller = party{t.ep.cfg.CallerIDName, t.ep.cfg.CallerIDNumber}
	callee.dp = dialplanPos{context: "from-sip", exten: "s", priority: 1}
	callee.linkedID = caller.linkedID
	callee.devActive = true
	s.attachEndpoint(callee, t.ep)
	s.chanEvent("ChannelCreated", callee, nil)
	callee.protocolID = uuid.NewString()
	s.setVar(callee, "DIALEDPEERNUMBER", t.ep.cfg.Resource)
	callee.connected = caller.caller
	s.dialplanStep(callee, "from-sip", t.ep.cfg.Resource, 1, "AppDial", "(Outgoing Line)")
	s.chanEvent("ChannelConnectedLine", callee, nil)
	callee.base = dialplanPos{context: "from-sip", priority: 1, app: "AppDial", data: "(Outgoing Line)"}
	callee.cdr.lastApp, callee.cdr.lastData = "AppDial", "(Outgoing Line)"
	callee.dialer, caller.callee = caller, callee
	callee.dialString = t.ep.cfg.Resource
	caller.dialStart = s.now()
	s.startDial(callee, timeout)
	caller.connected = callee.caller
	s.chanEvent("ChannelConnectedLine", caller, nil)
}

// calleeAnswered bridges a dialplan Dial()'s caller and callee in a basic
// bridge, as app_dial does.
func (s *Server) calleeAnswered(caller, callee *channel) {
	if caller == nil || caller.hungup {
		s.hangup(callee, hangupSpec{noRequest: true, cause: 16})
		return
	}
	if caller.state != "Up" {
		s.answerChannel(caller)
	}
	caller.cdr.peer = callee
	b := s.newBridge(uuid.NewString(), "", "mixing", true)
	s.dialplanStep(callee, callee.dp.context, callee.dp.exten, 1, "AppDial", "(Outgoing Line)")
	s.joinBridge(b, callee)
	s.joinBridge(b, caller)
}

// dialAppReturns ends caller's Dial(): the result variables, and the end of
// the dialplan bridge.
func (s *Server) dialAppReturns(caller, callee *channel, status string) {
	caller.callee = nil
	if callee != nil && callee.dialing {
		s.hangup(callee, hangupSpec{noRequest: true, cause: 16})
		status = "CANCEL"
	}
	now := s.now()
	if callee != nil && !callee.answered.IsZero() {
		ans := now.Sub(callee.answered)
		s.setVar(caller, "ANSWEREDTIME", strconv.Itoa(int(ans/time.Second)))
		s.setVar(caller, "ANSWEREDTIME_MS", strconv.FormatInt(ans.Milliseconds(), 10))
		status = "ANSWER"
	}
	dialed := now.Sub(caller.dialStart)
	s.setVar(caller, "DIALEDTIME", strconv.Itoa(int(dialed/time.Second)))
	s.setVar(caller, "DIALEDTIME_MS", strconv.FormatInt(dialed.Milliseconds(), 10))
	if status == "" {
		status = "NOANSWER"
	}
	s.setVar(caller, "DIALSTATUS", status)
	if callee != nil && !callee.hungup && callee.bridge != nil && callee.bridge.dialplan {
		caller.hangAfter = callee
	}
}

// finishDialBridge lets the callee of a dialplan bridge go once its caller
// is gone: it leaves, the bridge is destroyed and the callee hangs up.
func (s *Server) finishDialBridge(callee *channel) {
	if callee.hungup {
		return
	}
	if b := callee.bridge; b != nil {
		s.leaveBridge(callee, false)
		s.destroyBridge(b)
	}
}

// inboundRequest is a simulated call into the system.
type inboundRequest struct {
	From         string   `json:"from"`
	To           string   `json:"to"`
	App          string   `json:"app"`
	Args         []string `json:"args"`
	CallerName   string   `json:"caller_name"`
	TalkDuration string   `json:"talk_duration"`
	// Queue is a shortcut for a call into an ACD queue: the call goes to
	// Stasis(App or Config.InboundApp, queue, <Queue>) and To defaults to
	// "queue". The caller's TalkDuration then counts from when it is first
	// bridged with another channel (its conversation with an agent).
	Queue string `json:"queue"`
	// Patience, with Queue, makes the caller hang up when it has not been
	// bridged with anyone this long after the call started (an abandon).
	Patience string `json:"patience"`
}

// inboundCall places a call from a caller into the from-sip dialplan.
func (s *Server) inboundCall(req inboundRequest, talk time.Duration) (*channel, error) {
	if req.Queue != "" {
		if len(req.Args) > 0 {
			return nil, fmt.Errorf("queue and args are exclusive")
		}
		req.Args = []string{"queue", req.Queue}
		if req.To == "" {
			req.To = "queue"
		}
	}
	if req.From == "" || req.To == "" {
		return nil, fmt.Errorf("from and to are required")
	}
	ep := s.st.endpoints["PJSIP/"+req.From]
	var c *channel
	if ep != nil {
		if ep.cfg.Unregistered {
			return nil, fmt.Errorf("endpoint %s is not registered", ep.key)
		}
		c = s.newChannel("", s.pjsipName(ep.cfg.Resource), "PJSIP", kindInbound)
		c.caller = party{ep.cfg.CallerIDName, ep.cfg.CallerIDNumber}
		if req.CallerName != "" {
			c.caller.name = req.CallerName
		}
	} else {
		c = s.newChannel("", s.pjsipName(s.cfg.Trunk), "PJSIP", kindInbound)
		c.trunk = s.cfg.Trunk
		c.caller = party{req.CallerName, req.From}
	}
	c.state = "Ring"
	c.pbx = true
	c.inApp, c.inArgs = req.App, req.Args
	c.far.TalkDuration = talk
	c.talkFromBridge = req.Queue != ""
	if req.Patience != "" {
		if req.Queue == "" {
			return nil, fmt.Errorf("patience needs queue")
		}
		p, err := parseDurationJSON(json.RawMessage(quoteIfNeeded(req.Patience)))
		if err != nil {
			return nil, fmt.Errorf("patience: %w", err)
		}
		c.patienceTimer = s.after(p, func() {
			if !c.talking {
				s.remoteHangup(c, -1)
			}
		})
	}
	c.dp = dialplanPos{context: "from-sip", exten: req.To, priority: 1}
	c.base = c.dp
	if ep != nil {
		s.attachEndpoint(c, ep)
	}
	s.chanEvent("ChannelCreated", c, nil)
	s.st.callSeq++
	c.protocolID = fmt.Sprintf("%d-%d@arisim", s.st.callSeq, c.order)
	s.setVar(c, "SIPDOMAIN", "127.0.0.1")
	s.execStep(c, "from-sip", req.To, 1)
	return c, nil
}
