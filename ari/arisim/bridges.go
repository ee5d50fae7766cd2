package arisim

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// bridge is a simulated bridge.
type bridge struct {
	id, name, typ, tech, class, creator, video string
	channels                                   []*channel
	created                                    time.Time
	subs                                       map[string]int
	dialplan                                   bool // made by Dial() in the dialplan
	moh                                        bool
	destroyed                                  bool
	playQ                                      []*playback
	recording                                  *liveRecording
}

func (b *bridge) json() []byte {
	ids := make([]string, 0, len(b.channels))
	for _, c := range b.channels {
		ids = append(ids, c.id)
	}
	return newObj().str("id", b.id).str("technology", b.tech).str("bridge_type", b.typ).
		str("bridge_class", b.class).str("creator", b.creator).str("name", b.name).
		strs("channels", ids).str("creationtime", formatTS(b.created)).str("video_mode", b.video).bytes()
}

// newBridge registers a bridge and publishes BridgeCreated (which only
// subscribeAll apps see: nobody is subscribed to a new bridge).
func (s *Server) newBridge(id, name, typ string, dialplan bool) *bridge {
	b := &bridge{id: id, name: name, typ: typ, created: s.now(), subs: map[string]int{}, dialplan: dialplan}
	if dialplan {
		b.class, b.creator, b.video, b.tech = "basic", "", "none", "simple_bridge"
	} else {
		b.class, b.creator, b.video = "stasis", "Stasis", "talker"
		b.tech = "simple_bridge"
		if typ == "holding" {
			b.tech = "holding_bridge"
		}
	}
	s.st.bridges[id] = b
	s.publish(s.newEvent("BridgeCreated", newObj().raw("bridge", b.json())), route{bridge: b})
	return b
}

func (s *Server) bridgeEvent(typ string, b *bridge, c *channel) {
	o := newObj().raw("bridge", b.json())
	r := route{bridge: b}
	if c != nil {
		o.raw("channel", c.json())
		r.chans = []*channel{c}
	}
	s.publish(s.newEvent(typ, o), r)
}

// joinBridge puts c into b, moving it out of any other bridge first.
func (s *Server) joinBridge(b *bridge, c *channel) {
	if c.bridge == b {
		return
	}
	if c.bridge != nil {
		s.leaveBridge(c, false)
	}
	b.channels = append(b.channels, c)
	c.bridge = b
	if c.inStasis {
		s.subscribeBridge(b, c.stasisApp)
	}
	s.bridgeEvent("ChannelEnteredBridge", b, c)
	s.bridgePeers(b, c)
	if b.typ == "mixing" && len(b.channels) > 1 {
		for _, m := range b.channels {
			s.startTalking(m)
		}
	}
}

// startTalking starts the talk time of a queue caller once it is bridged
// with someone.
func (s *Server) startTalking(c *channel) {
	if !c.talkFromBridge || c.talking || c.hungup {
		return
	}
	c.talking = true
	s.cancel(c.patienceTimer)
	if c.far.TalkDuration > 0 {
		c.byeTimer = s.after(c.far.TalkDuration, func() { s.remoteHangup(c, -1) })
	}
}

func (s *Server) subscribeBridge(b *bridge, name string) {
	a := s.st.apps[name]
	if a == nil {
		return
	}
	b.subs[name]++
	if b.subs[name] == 1 {
		a.bridges = append(a.bridges, b.id)
	}
}

func (s *Server) unsubscribeBridge(b *bridge, name string) {
	if b.subs[name] == 0 {
		return
	}
	b.subs[name]--
	if b.subs[name] > 0 {
		return
	}
	delete(b.subs, name)
	if a := s.st.apps[name]; a != nil {
		a.bridges, _ = removeString(a.bridges, b.id)
		s.maybeDestroyApp(a)
	}
}

// setBridgePeer sets BRIDGEPEER (and BRIDGEPVTCALLID for a SIP peer) on c.
func (s *Server) setBridgePeer(c, peer *channel) {
	s.setVar(c, "BRIDGEPEER", peer.name)
	c.bpSet = true
	if peer.isPJSIP() && peer.protocolID != "" {
		s.setVar(c, "BRIDGEPVTCALLID", peer.protocolID)
		c.bpvcSet = true
	}
}

func (s *Server) clearBridgePeer(c *channel) {
	if c.bpSet {
		c.bpSet = false
		s.setVar(c, "BRIDGEPEER", "")
	}
	if c.bpvcSet {
		c.bpvcSet = false
		s.setVar(c, "BRIDGEPVTCALLID", "")
	}
}

// bridgePeers publishes what Asterisk does when a second party joins a
// two-party bridge: BRIDGEPEER/BRIDGEPVTCALLID on both, repeated while the
// bridge technology settles (three times for two SIP channels, which then
// share native_rtp), and the connected line update of both parties.
func (s *Server) bridgePeers(b *bridge, n *channel) {
	if b.typ == "holding" || len(b.channels) != 2 {
		return
	}
	a := b.channels[0]
	rounds := 1
	if a.isPJSIP() && n.isPJSIP() {
		rounds = 3
	}
	for i := 0; i < rounds; i++ {
		s.setBridgePeer(n, a)
		s.setBridgePeer(a, n)
	}
	if rounds == 3 {
		b.tech = "native_rtp"
	}
	if !b.dialplan {
		a.connected = n.caller
		s.chanEvent("ChannelConnectedLine", a, nil)
		n.connected = a.caller
		s.chanEvent("ChannelConnectedLine", n, nil)
	}
	first, second := a, n
	if second.order < first.order {
		first, second = second, first
	}
	if first.cdr.peer == nil {
		first.cdr.peer = second
	}
	second.cdr.partyB = true
}

// leaveBridge takes c out of its bridge; byHangup keeps the application's
// bridge subscription, as Asterisk does.
func (s *Server) leaveBridge(c *channel, byHangup bool) {
	b := c.bridge
	if b == nil {
		return
	}
	s.clearBridgePeer(c)
	if b.dialplan {
		for _, o := range b.channels {
			if o != c {
				s.clearBridgePeer(o)
			}
		}
	}
	for i, x := range b.channels {
		if x == c {
			b.channels = append(b.channels[:i], b.channels[i+1:]...)
			break
		}
	}
	c.bridge = nil
	s.bridgeEvent("ChannelLeftBridge", b, c)
	if !b.dialplan && b.tech == "native_rtp" && len(b.channels) < 2 {
		b.tech = "simple_bridge"
	}
	if !byHangup && c.stasisApp != "" {
		s.unsubscribeBridge(b, c.stasisApp)
	}
}

// destroyBridge empties b and publishes BridgeDestroyed.
func (s *Server) destroyBridge(b *bridge) {
	if b.destroyed {
		return
	}
	for len(b.channels) > 0 {
		s.leaveBridge(b.channels[0], true)
	}
	s.stopBridgeMedia(b)
	b.destroyed = true
	s.bridgeEvent("BridgeDestroyed", b, nil)
	for name := range b.subs {
		b.subs[name] = 1
		s.unsubscribeBridge(b, name)
	}
	delete(s.st.bridges, b.id)
}

// validBridgeType reports whether ARI accepts tok in a bridge type list.
func validBridgeType(tok string) bool {
	switch tok {
	case "mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label":
		return true
	}
	return false
}

func (s *Server) listBridges(*http.Request, params) *resp {
	var list []*bridge
	for _, b := range s.st.bridges {
		list = append(list, b)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
	items := make([][]byte, 0, len(list))
	for _, b := range list {
		items = append(items, b.json())
	}
	return okResp(rawArray(items))
}

func (s *Server) createBridgeHandler(_ *http.Request, p params) *resp {
	id := p.path["bridgeId"]
	if id == "" {
		id = p.get("bridgeId")
	}
	typ := "mixing"
	if t := p.get("type"); t != "" {
		holding := false
		for _, tok := range strings.Split(t, ",") {
			tok = strings.TrimSpace(tok)
			if !validBridgeType(tok) {
				shown := id
				if shown == "" {
					shown = "(null)"
				}
				return errResp(500, "Internal Error", "Unable to create bridge. Possible duplicate bridge id '"+shown+"'")
			}
			holding = holding || tok == "holding"
		}
		if holding {
			typ = "holding"
		}
	}
	if id == "" {
		id = uuid.NewString()
	}
	if _, dup := s.st.bridges[id]; dup {
		return errResp(409, "Conflict", "Bridge with id '"+id+"' already exists")
	}
	b := s.newBridge(id, p.get("name"), typ, false)
	return okResp(b.json())
}

func (s *Server) bridgeByID(p params) (*bridge, *resp) {
	b := s.st.bridges[p.path["bridgeId"]]
	if b == nil {
		return nil, errResp(404, "Not found", "Bridge not found")
	}
	return b, nil
}

func (s *Server) getBridge(_ *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	return okResp(b.json())
}

func (s *Server) destroyBridgeHandler(_ *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	s.destroyBridge(b)
	return noContent()
}

// bridgeChannels resolves the comma-separated channel parameter.
func (s *Server) bridgeChannels(p params) ([]*channel, *resp) {
	v := p.get("channel")
	if v == "" {
		return nil, errResp(400, "Bad Request", "Missing parameter channel")
	}
	var out []*channel
	for _, id := range strings.Split(v, ",") {
		c := s.st.channels[strings.TrimSpace(id)]
		if c == nil || c.kind == kindUnreal {
			return nil, errResp(400, "Bad Request", "Channel not found")
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Server) addChannelHandler(_ *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	chans, e := s.bridgeChannels(p)
	if e != nil {
		return e
	}
	for _, c := range chans {
		if !c.inStasis {
			return errResp(422, "Unprocessable Entity", "Channel not in Stasis application")
		}
	}
	for _, c := range chans {
		s.joinBridge(b, c)
	}
	return noContent()
}

func (s *Server) removeChannelHandler(_ *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	chans, e := s.bridgeChannels(p)
	if e != nil {
		return e
	}
	for _, c := range chans {
		if c.bridge != b {
			return errResp(422, "Unprocessable Entity", "Channel not in this bridge")
		}
	}
	for _, c := range chans {
		s.leaveBridge(c, false)
	}
	return noContent()
}

func (s *Server) bridgeNoop(_ *http.Request, p params) *resp {
	if _, e := s.bridgeByID(p); e != nil {
		return e
	}
	return noContent()
}

// bridgeMohHandler starts or stops music on hold; ARI apps see no event,
// subscribeAll apps see the announcer's device state when it stops.
func (s *Server) bridgeMohHandler(r *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	if r.Method == http.MethodPost {
		b.moh = true
		return noContent()
	}
	if b.moh {
		b.moh = false
		s.publishDevice("Announcer/ARI_MOH", "INUSE")
		s.publishDevice("Announcer/ARI_MOH", "UNKNOWN")
	}
	return noContent()
}
