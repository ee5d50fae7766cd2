package arisim

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// evLayout is where the envelope keys go; Asterisk is not uniform.
type evLayout uint8

const (
	layoutStd      evLayout = iota // type,timestamp,<body>,asterisk_id,application
	layoutDevice                   // type,application,timestamp,<body>,asterisk_id
	layoutReplaced                 // type,timestamp,application,asterisk_id
)

// event is one ARI event before the per-application envelope is added.
type event struct {
	typ    string
	ts     string
	pre    []byte // members before "type" (ChannelVarset, ChannelHangupRequest)
	body   []byte // members after "timestamp"
	layout evLayout
}

// frag returns the members of o without the braces.
func frag(o *obj) []byte {
	b := o.bytes()
	return b[1 : len(b)-1]
}

func (s *Server) newEvent(typ string, body *obj) *event {
	e := &event{typ: typ, ts: formatTS(s.now())}
	if body != nil && body.n > 0 {
		e.body = frag(body)
	}
	return e
}

// encode adds the envelope for one application.
func (e *event) encode(appName, asteriskID string) []byte {
	b := make([]byte, 0, len(e.pre)+len(e.body)+128)
	b = append(b, '{')
	switch e.layout {
	case layoutDevice:
		b = append(b, `"type":`...)
		b = appendString(b, e.typ)
		b = append(b, `,"application":`...)
		b = appendString(b, appName)
		b = append(b, `,"timestamp":`...)
		b = appendString(b, e.ts)
		b = append(b, ',')
		b = append(b, e.body...)
		b = append(b, `,"asterisk_id":`...)
		b = appendString(b, asteriskID)
		return append(b, '}')
	case layoutReplaced:
		b = append(b, `"type":`...)
		b = appendString(b, e.typ)
		b = append(b, `,"timestamp":`...)
		b = appendString(b, e.ts)
		b = append(b, `,"application":`...)
		b = appendString(b, appName)
		b = append(b, `,"asterisk_id":`...)
		b = appendString(b, asteriskID)
		return append(b, '}')
	}
	if len(e.pre) > 0 {
		b = append(b, e.pre...)
		b = append(b, ',')
	}
	b = append(b, `"type":`...)
	b = appendString(b, e.typ)
	b = append(b, `,"timestamp":`...)
	b = appendString(b, e.ts)
	if len(e.body) > 0 {
		b = append(b, ',')
		b = append(b, e.body...)
	}
	b = append(b, `,"asterisk_id":`...)
	b = appendString(b, asteriskID)
	b = append(b, `,"application":`...)
	b = appendString(b, appName)
	return append(b, '}')
}

// route says which applications an event goes to.
type route struct {
	chans    []*channel // apps subscribed to these channels
	epChan   *channel   // apps subscribed to this channel's endpoint
	bridge   *bridge    // apps subscribed to this bridge
	device   string     // apps subscribed to this device
	endpoint *endpoint  // apps subscribed to this endpoint (and not subscribeAll)
	noAll    bool       // not for subscribeAll apps
	only     string     // exactly this app
}

func (r route) wants(a *app) bool {
	if r.only != "" {
		return a.name == r.only
	}
	if a.subscribeAll && !r.noAll {
		return true
	}
	for _, c := range r.chans {
		if c != nil && c.subs[a.name] > 0 {
			return true
		}
	}
	if r.bridge != nil && r.bridge.subs[a.name] > 0 {
		return true
	}
	if r.epChan != nil && r.epChan.ep != nil && containsString(a.endpoints, r.epChan.ep.key) {
		return true
	}
	if r.endpoint != nil && containsString(a.endpoints, r.endpoint.key) {
		return true
	}
	if r.device != "" && containsString(a.devices, r.device) {
		return true
	}
	return false
}

// publish sends e to every application r selects that has a live socket.
// Events for an application without a socket are lost, as in Asterisk.
func (s *Server) publish(e *event, r route) {
	for _, a := range s.st.appList {
		if a.client == nil || a.client.dead || !r.wants(a) {
			continue
		}
		s.deliver(a.client, e.encode(a.name, s.cfg.AsteriskID))
	}
}

// chanEvent publishes a channel-topic event about c.
func (s *Server) chanEvent(typ string, c *channel, extra func(o *obj)) {
	o := newObj()
	if extra != nil {
		extra(o)
	}
	o.raw("channel", c.json())
	s.publish(s.newEvent(typ, o), route{chans: []*channel{c}, epChan: c})
}

// varset publishes ChannelVarset.
func (s *Server) varset(c *channel, name, value string) {
	e := s.newEvent("ChannelVarset", newObj().raw("channel", c.json()))
	e.pre = frag(newObj().str("variable", name).str("value", value))
	s.publish(e, route{chans: []*channel{c}, epChan: c})
}

// setVar sets a channel variable and publishes ChannelVarset.
func (s *Server) setVar(c *channel, name, value string) {
	if c.vars == nil {
		c.vars = map[string]string{}
	}
	c.vars[name] = value
	s.varset(c, name, value)
}

// hangupRequest publishes ChannelHangupRequest. cause < 0 omits the cause.
func (s *Server) hangupRequest(c *channel, cause int, soft bool, tech int) {
	e := s.newEvent("ChannelHangupRequest", newObj().raw("channel", c.json()))
	if cause >= 0 {
		p := newObj().num("cause", int64(cause))
		if soft {
			p.boolean("soft", true)
		} else if tech > 0 {
			p.num("tech_cause", int64(tech))
		}
		e.pre = frag(p)
	}
	s.publish(e, route{chans: []*channel{c}, epChan: c})
}

// stateChange sets c's state and publishes ChannelStateChange.
func (s *Server) stateChange(c *channel, st string) {
	c.state = st
	s.chanEvent("ChannelStateChange", c, nil)
	s.updateDevice(c)
}

// dialplanStep moves c to a dialplan position and publishes ChannelDialplan.
func (s *Server) dialplanStep(c *channel, ctx, exten string, prio int, appName, data string) {
	c.dp = dialplanPos{context: ctx, exten: exten, priority: prio, app: appName, data: data}
	s.chanEvent("ChannelDialplan", c, func(o *obj) {
		o.str("dialplan_app", appName).str("dialplan_app_data", data)
	})
}

// dialEvent publishes Dial with the given status. caller may be nil.
func (s *Server) dialEvent(caller, peer *channel, status, dialstring string) {
	o := newObj().str("dialstatus", status).str("forward", "").str("dialstring", dialstring)
	if caller != nil {
		o.raw("caller", caller.json())
	}
	o.raw("peer", peer.json())
	s.publish(s.newEvent("Dial", o), route{chans: []*channel{caller, peer}})
}

// callerIDEvent publishes ChannelCallerId.
func (s *Server) callerIDEvent(c *channel) {
	s.chanEvent("ChannelCallerId", c, func(o *obj) {
		o.num("caller_presentation", 0).str("caller_presentation_txt", "Presentation Allowed, Not Screened")
	})
}

// publishDevice publishes DeviceStateChanged when name's state changed.
func (s *Server) publishDevice(name, st string) {
	if old, ok := s.st.devCache[name]; ok && old == st {
		return
	}
	s.st.devCache[name] = st
	e := s.newEvent("DeviceStateChanged", newObj().raw("device_state",
		newObj().str("name", name).str("state", st).bytes()))
	e.layout = layoutDevice
	s.publish(e, route{device: name})
}

// updateDevice re-evaluates the device state of c's endpoint and of the
// queues it belongs to.
func (s *Server) updateDevice(c *channel) {
	if c == nil || c.ep == nil {
		return
	}
	s.refreshEndpointDevice(c.ep)
}

func (s *Server) refreshEndpointDevice(ep *endpoint) {
	s.publishDevice(ep.key, ep.deviceState())
	for _, q := range s.st.queueNames {
		for _, m := range s.st.queues[q] {
			if m == ep.key {
				s.publishDevice("Queue:"+q+"_avail", s.st.queueState(q))
				break
			}
		}
	}
}

// endpointStateChange publishes EndpointStateChange to apps subscribed to ep.
func (s *Server) endpointStateChange(ep *endpoint) {
	e := s.newEvent("EndpointStateChange", newObj().raw("endpoint", ep.json()))
	s.publish(e, route{endpoint: ep, noAll: true})
}

// wsClient is one events WebSocket.
type wsClient struct {
	apps []string
	q    chan []byte
	done chan struct{}
	once sync.Once
	dead bool            // guarded by Server.mu: closing, gets no more events
	conn *websocket.Conn // set once running, guarded by Server.mu
}

func (c *wsClient) stop() { c.once.Do(func() { close(c.done) }) }

// deliver queues b for c; a full queue disconnects the client. s.mu must
// be held.
func (s *Server) deliver(c *wsClient, b []byte) {
	if c.dead {
		return
	}
	select {
	case c.q <- b:
	default:
		s.log.Warn("arisim: events client too slow, disconnecting", "apps", strings.Join(c.apps, ","), "queued", len(c.q))
		c.dead = true
		c.stop()
		if c.conn != nil {
			// Abort a write stuck on the slow peer.
			_ = c.conn.SetWriteDeadline(time.Now())
		}
	}
}

// detachClient unregisters c from its applications; s.mu must be held.
func (s *Server) detachClient(c *wsClient) {
	for _, name := range c.apps {
		a := s.st.apps[name]
		if a == nil || a.client != c {
			continue
		}
		a.client = nil
		if len(a.channels) == 0 && len(a.bridges) == 0 {
			s.destroyApp(a)
		}
	}
}

func (s *Server) destroyApp(a *app) {
	delete(s.st.apps, a.name)
	for i, x := range s.st.appList {
		if x == a {
			s.st.appList = append(s.st.appList[:i], s.st.appList[i+1:]...)
			break
		}
	}
}

// appNamed returns the app called name, creating it when create is set.
func (s *Server) appNamed(name string, create bool) *app {
	if a := s.st.apps[name]; a != nil || !create {
		return a
	}
	a := &app{name: name}
	s.st.apps[name] = a
	s.st.appList = append(s.st.appList, a)
	return a
}

// appActive reports whether name is registered with a live WebSocket.
func (s *Server) appActive(name string) bool {
	a := s.st.apps[name]
	return a != nil && a.client != nil && !a.client.dead
}

// serveEvents upgrades GET /ari/events to the events WebSocket.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, p params) {
	appParam := p.get("app")
	if appParam == "" {
		body := "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>" +
			s.cfg.ServerName + "</address>\r\n</body></html>\r\n"
		w.Header()["Content-type"] = []string{"text/html"}
		w.Header()["Content-Type"] = nil
		w.WriteHeader(400)
		_, _ = w.Write([]byte(body))
		return
	}
	var apps []string
	for _, a := range strings.Split(appParam, ",") {
		if a = strings.TrimSpace(a); a != "" && !containsString(apps, a) {
			apps = append(apps, a)
		}
	}
	all := p.get("subscribeAll") == "true" || p.get("subscribeAll") == "yes" || p.get("subscribeAll") == "1"
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	c := &wsClient{apps: apps, q: make(chan []byte, s.cfg.EventQueueSize), done: make(chan struct{})}
	registered, started := false, false
	ws := websocket.Server{
		// The applications are registered before the 101 goes out, so a
		// client may originate as soon as its handshake completes.
		Handshake: func(*websocket.Config, *http.Request) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed {
				return errors.New("arisim: closed")
			}
			s.registerClient(c, all)
			registered = true
			return nil
		},
		Handler: func(conn *websocket.Conn) {
			started = true
			s.runClient(conn, c)
		},
	}
	ws.ServeHTTP(w, r)
	if registered && !started {
		s.mu.Lock()
		delete(s.clients, c)
		c.dead = true
		s.detachClient(c)
		s.mu.Unlock()
	}
}

// registerClient makes c the socket of its applications; the previous
// socket of each gets ApplicationReplaced. s.mu must be held.
func (s *Server) registerClient(c *wsClient, all bool) {
	for _, name := range c.apps {
		a := s.appNamed(name, true)
		if old := a.client; old != nil {
			e := s.newEvent("ApplicationReplaced", nil)
			e.layout = layoutReplaced
			s.deliver(old, e.encode(name, s.cfg.AsteriskID))
		}
		a.client = c
		a.subscribeAll = all
	}
	s.clients[c] = struct{}{}
}

// runClient pumps events to the socket until either side closes it.
func (s *Server) runClient(conn *websocket.Conn, c *wsClient) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	c.conn = conn
	s.wg.Add(1)
	s.mu.Unlock()

	writerDone := make(chan struct{})
	go func() {
		defer s.wg.Done()
		defer close(writerDone)
		s.writeLoop(conn, c)
	}()
	for {
		var msg []byte
		if err := websocket.Message.Receive(conn, &msg); err != nil {
			break
		}
	}
	c.stop()
	<-writerDone
	s.mu.Lock()
	delete(s.clients, c)
	c.dead = true
	s.detachClient(c)
	s.mu.Unlock()
}

func (s *Server) writeLoop(conn *websocket.Conn, c *wsClient) {
	defer func() { _ = conn.Close() }()
	for {
		select {
		case <-c.done:
			return
		case b := <-c.q:
			select {
			case <-c.done:
				return
			default:
			}
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := websocket.Message.Send(conn, string(b)); err != nil {
				c.stop()
				return
			}
		}
	}
}

// cutWebsockets closes every events WebSocket server-side; s.mu must be
// held. Events published from now on are lost until clients reconnect.
func (s *Server) cutWebsockets() int {
	n := 0
	for c := range s.clients {
		if !c.dead {
			n++
		}
		c.dead = true
		c.stop()
	}
	return n
}
