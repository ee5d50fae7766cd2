package arisim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// causeText is Asterisk's ast_cause2str.
func causeText(c int) string {
	switch c {
	case 1:
		return "Unallocated (unassigned) number"
	case 3:
		return "No route to destination"
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 18:
		return "No user responding"
	case 19:
		return "User alerting, no answer"
	case 20:
		return "Subscriber absent"
	case 21:
		return "Call Rejected"
	case 26:
		return "Answered elsewhere"
	case 27:
		return "Destination out of order"
	case 28:
		return "Invalid number format (incomplete number)"
	case 31:
		return "Normal, unspecified"
	case 34:
		return "Circuit/channel congestion"
	case 38:
		return "Network out of order"
	case 41:
		return "Temporary failure"
	case 58:
		return "Bearer capability not available"
	case 127:
		return "Interworking, unspecified"
	}
	return "Unknown"
}

// reasonCause maps an ARI hangup reason name to its cause.
func reasonCause(reason string) (int, bool) {
	switch reason {
	case "normal":
		return 16, true
	case "busy":
		return 17, true
	case "congestion":
		return 34, true
	case "no_answer":
		return 19, true
	case "timeout":
		return 18, true
	case "rejected":
		return 21, true
	case "unallocated":
		return 1, true
	case "normal_unspecified":
		return 31, true
	case "number_incomplete":
		return 28, true
	case "codec_mismatch":
		return 58, true
	case "interworking":
		return 127, true
	case "failure":
		return 38, true
	case "answered_elsewhere":
		return 26, true
	}
	return 0, false
}

// newChannel allocates and registers a channel. s.mu must be held.
func (s *Server) newChannel(id, name, tech string, kind chanKind) *channel {
	if id == "" {
		id = s.nextUniqueID()
	} else {
		s.st.uniqueSeq++
	}
	s.st.chanOrder++
	c := &channel{
		id: id, name: name, tech: tech, kind: kind, order: s.st.chanOrder,
		state: "Down", created: s.now(), subs: map[string]int{}, vars: map[string]string{},
	}
	c.linkedID = c.id
	s.st.channels[c.id] = c
	return c
}

func (s *Server) pjsipName(resource string) string {
	n := s.st.pjsipSeq
	s.st.pjsipSeq++
	return fmt.Sprintf("PJSIP/%s-%08x", resource, n)
}

func (s *Server) unrealName(prefix string) string {
	n := s.st.unrealSeq
	s.st.unrealSeq++
	return fmt.Sprintf("%s-%08x", prefix, n)
}

// attachEndpoint puts c on ep and tells endpoint subscribers.
func (s *Server) attachEndpoint(c *channel, ep *endpoint) {
	c.ep = ep
	ep.channels = append(ep.channels, c)
	s.endpointStateChange(ep)
}

// subscribe adds a reference from app name to c; unknown apps are ignored.
func (s *Server) subscribe(c *channel, name string) {
	a := s.st.apps[name]
	if a == nil {
		return
	}
	c.subs[name]++
	if c.subs[name] == 1 {
		a.channels = append(a.channels, c.id)
	}
}

// unsubscribe drops one reference from app name to c.
func (s *Server) unsubscribe(c *channel, name string) {
	if c.subs[name] == 0 {
		return
	}
	c.subs[name]--
	if c.subs[name] > 0 {
		return
	}
	delete(c.subs, name)
	if a := s.st.apps[name]; a != nil {
		a.channels, _ = removeString(a.channels, c.id)
		s.maybeDestroyApp(a)
	}
}

// maybeDestroyApp forgets an app that has no socket and nothing subscribed.
func (s *Server) maybeDestroyApp(a *app) {
	if a.client == nil && len(a.channels) == 0 && len(a.bridges) == 0 {
		s.destroyApp(a)
	}
}

// stasisData is the Stasis() argument string.
func stasisData(appName string, args []string) string {
	if len(args) == 0 {
		return appName
	}
	return appName + "," + strings.Join(args, ",")
}

// enterStasis runs Stasis(app,args) on c: STASISSTATUS="" and StasisStart,
// or STASISSTATUS=FAILED when the app has no WebSocket.
func (s *Server) enterStasis(c *channel, appName string, args []string) bool {
	c.dp.app, c.dp.data = "Stasis", stasisData(appName, args)
	c.cdr.lastApp, c.cdr.lastData = c.dp.app, c.dp.data
	s.setVar(c, "STASISSTATUS", "")
	if !s.appActive(appName) {
		s.log.Warn("arisim: Stasis app not registered", "app", appName, "channel", c.name)
		s.setVar(c, "STASISSTATUS", "FAILED")
		return false
	}
	c.inStasis, c.stasisApp, c.args = true, appName, args
	s.subscribe(c, appName)
	if args == nil {
		args = []string{}
	}
	s.publish(s.newEvent("StasisStart", newObj().strs("args", args).raw("channel", c.json())), route{only: appName})
	return true
}

// leaveStasis ends Stasis on c: StasisEnd to its app, then STASISSTATUS.
func (s *Server) leaveStasis(c *channel) {
	if !c.inStasis {
		return
	}
	c.inStasis = false
	name := c.stasisApp
	s.publish(s.newEvent("StasisEnd", newObj().raw("channel", c.json())), route{only: name})
	s.unsubscribe(c, name)
	s.setVar(c, "STASISSTATUS", "SUCCESS")
}

// hangupSpec describes how a channel goes away.
type hangupSpec struct {
	reqCause   int  // cause in ChannelHangupRequest; -1 for none
	reqSoft    bool // ChannelHangupRequest carries soft:true
	reqTech    int  // tech_cause in ChannelHangupRequest
	noRequest  bool // no ChannelHangupRequest at all
	cause      int  // ChannelDestroyed cause
	tech       int  // ChannelDestroyed tech_cause, 0 for none
	dialStatus string
}

// stopTimers cancels every pending timer of c.
func (s *Server) stopTimers(c *channel) {
	for _, t := range []*simTimer{c.farTimer, c.byeTimer, c.dialTimer, c.dpTimer, c.dtmfTimer, c.patienceTimer} {
		s.cancel(t)
	}
}

// rtpVars publishes the RTP statistics variables chan_pjsip sets when an
// answered call ends; a PJSIP bridge peer gets the *BRIDGED copies.
func (s *Server) rtpVars(c *channel) {
	if !c.isPJSIP() || c.answered.IsZero() {
		return
	}
	var peer *channel
	if b := c.bridge; b != nil && len(b.channels) == 2 {
		for _, o := range b.channels {
			if o != c && o.isPJSIP() {
				peer = o
			}
		}
	}
	ssrc := rand.Uint32()
	vals := [][2]string{
		{"RTPAUDIOQOS", fmt.Sprintf("ssrc=%d;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000", ssrc)},
		{"RTPAUDIOQOSJITTER", "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;"},
		{"RTPAUDIOQOSLOSS", "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;"},
		{"RTPAUDIOQOSRTT", "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;"},
		{"RTPAUDIOQOSMES", "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;"},
	}
	for _, kv := range vals {
		s.setVar(c, kv[0], kv[1])
		if peer != nil {
			s.setVar(peer, kv[0]+"BRIDGED", kv[1])
		}
	}
}

// hangup tears c down with the event sequence Asterisk produces. s.mu must
// be held.
func (s *Server) hangup(c *channel, h hangupSpec) {
	if c.hungup || c.destroyed {
		return
	}
	c.hungup = true
	s.stopTimers(c)
	if c.state == "Up" {
		s.rtpVars(c)
	}
	if !h.noRequest {
		s.hangupRequest(c, h.reqCause, h.reqSoft, h.reqTech)
	}
	c.cdr.cause = h.cause
	s.stopMedia(c)
	if c.bridge != nil {
		s.leaveBridge(c, true)
	}
	if c.dialing {
		c.dialing = false
		if h.dialStatus != "" {
			s.dialEvent(c.dialer, c, h.dialStatus, c.laterDialString())
		}
	}
	s.leaveStasis(c)
	if c.callee != nil {
		s.dialAppReturns(c, c.callee, "")
	}
	if c.kind == kindInbound || c.kind == kindLocal2 || c.pbx {
		s.hangupRequest(c, 16, true, 0)
	}
	callee := c.hangAfter
	if callee != nil {
		s.finishDialBridge(callee)
	}
	dialer := c.dialer
	notifyDialer := c.kind == kindDialed && dialer != nil && dialer.callee == c && !dialer.hungup
	peer := c.peer
	if peer != nil && !peer.hungup {
		s.hangupRequest(peer, 16, false, 0)
	}
	s.destroy(c, h.cause, h.tech)
	if callee != nil {
		s.hangup(callee, hangupSpec{noRequest: true, cause: 16})
	}
	if notifyDialer {
		s.dialAppReturns(dialer, c, h.dialStatus)
		if b := dialer.bridge; b != nil && b.dialplan {
			s.leaveBridge(dialer, false)
			s.destroyBridge(b)
		}
		s.execStep(dialer, dialer.dp.context, dialer.dp.exten, dialer.dp.priority+1)
	}
	if peer != nil && !peer.hungup {
		peer.hungup = true
		s.stopTimers(peer)
		s.stopMedia(peer)
		if peer.bridge != nil {
			s.leaveBridge(peer, true)
		}
		s.leaveStasis(peer)
		if peer.kind == kindLocal2 || peer.pbx {
			s.hangupRequest(peer, 16, true, 0)
		}
		s.destroy(peer, 16, 0)
	}
}

// laterDialString is the dialstring Dial events carry after the first one.
func (c *channel) laterDialString() string {
	if c.kind == kindOriginate {
		return c.dialString
	}
	return ""
}

// destroy publishes ChannelDestroyed and forgets c.
func (s *Server) destroy(c *channel, cause, tech int) {
	if c.destroyed {
		return
	}
	c.destroyed = true
	c.hungup = true
	s.stopTimers(c)
	c.cdrExten, c.cdrCtx = c.dp.exten, c.dp.context
	if c.kind == kindInbound || c.kind == kindLocal2 || c.pbx {
		c.dp.app, c.dp.data = "", ""
	} else {
		c.dp = c.base
	}
	if c.kind != kindUnreal {
		s.chanEvent("ChannelDestroyed", c, func(o *obj) {
			o.num("cause", int64(cause)).str("cause_txt", causeText(cause))
			if tech > 0 {
				o.num("tech_cause", int64(tech))
			}
		})
	}
	for name := range c.subs {
		c.subs[name] = 1
		s.unsubscribe(c, name)
	}
	delete(s.st.channels, c.id)
	c.cdr.end = s.now()
	c.cdr.cause = cause
	if c.ep != nil {
		c.ep.removeChannel(c)
		s.endpointStateChange(c.ep)
		s.updateDevice(c)
	}
	if c.dialer != nil && c.dialer.callee == c {
		c.dialer.callee = nil
	}
	s.channelCDR(c)
}

// remoteHangup is the far end hanging up (a BYE, or a CANCEL from a caller
// that gives up). cause < 0 uses what Asterisk reports for a BYE.
func (s *Server) remoteHangup(c *channel, cause int) {
	if c.hungup {
		return
	}
	if c.dialing {
		if cause < 0 {
			cause = 21
		}
		s.farFailed(c, sipForCause(cause), cause)
		return
	}
	h := hangupSpec{reqCause: -1, cause: 16}
	if c.bridge != nil {
		h.reqCause = 16
	}
	if c.kind == kindOriginate && c.tech == "PJSIP" {
		h.cause = 0
	}
	if cause >= 0 {
		h.reqCause, h.cause = cause, cause
	}
	s.hangup(c, h)
}

// clientHangup is DELETE /channels/{id}.
func (s *Server) clientHangup(c *channel, cause int) {
	h := hangupSpec{reqCause: 32, reqSoft: true, cause: cause}
	if c.dialing && c.kind != kindCreate {
		h.dialStatus = "NOANSWER"
	}
	if c.dialing && cause == 19 {
		h.tech = 480
	}
	s.hangup(c, h)
}

// sipForCause maps a cause to the SIP response a far end would send.
func sipForCause(cause int) int {
	switch cause {
	case 1:
		return 404
	case 17:
		return 486
	case 18:
		return 408
	case 19:
		return 480
	case 34, 41, 42:
		return 503
	}
	return 603
}
