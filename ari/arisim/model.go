package arisim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// state is everything the simulated Asterisk knows. It is guarded by
// Server.mu.
type state struct {
	channels   map[string]*channel
	bridges    map[string]*bridge
	apps       map[string]*app
	appList    []*app
	endpoints  map[string]*endpoint // "PJSIP/101"
	epList     []*endpoint
	playbacks  map[string]*playback
	live       map[string]*liveRecording
	stored     map[string]*storedRec
	sounds     map[string]time.Duration
	soundIDs   []string
	globals    map[string]string
	devStates  map[string]string // Stasis: custom device states
	devCache   map[string]string // last published state per device
	queues     map[string][]string
	queueNames []string
	mailboxes  map[string][2]int
	rules      []Rule

	uniqueSeq int64 // uniqueid counter over all channels
	pjsipSeq  int64 // PJSIP channel name counter
	unrealSeq int64 // Local, Announcer and Recorder name counter
	chanOrder int64
	cdrSeq    int
	callSeq   int64 // inbound Call-ID counter
}

func newState(cfg Config) (*state, error) {
	st := &state{
		channels:  map[string]*channel{},
		bridges:   map[string]*bridge{},
		apps:      map[string]*app{},
		endpoints: map[string]*endpoint{},
		playbacks: map[string]*playback{},
		live:      map[string]*liveRecording{},
		stored:    map[string]*storedRec{},
		sounds:    map[string]time.Duration{},
		globals:   map[string]string{},
		devStates: map[string]string{},
		devCache:  map[string]string{},
		queues:    map[string][]string{},
		mailboxes: map[string][2]int{},
		rules:     append([]Rule(nil), cfg.Rules...),
	}
	for _, e := range cfg.Endpoints {
		if e.Technology == "" {
			e.Technology = "PJSIP"
		}
		if e.Resource == "" || strings.ContainsAny(e.Resource, "/@") {
			return nil, fmt.Errorf("arisim: invalid endpoint resource %q", e.Resource)
		}
		if e.CallerIDNumber == "" {
			e.CallerIDNumber = e.Resource
		}
		if e.CallerIDName == "" {
			e.CallerIDName = "Ext " + e.Resource
		}
		if err := e.Behavior.Outcome.validate(); err != nil {
			return nil, err
		}
		ep := &endpoint{cfg: e, key: e.Technology + "/" + e.Resource}
		if _, dup := st.endpoints[ep.key]; dup {
			return nil, fmt.Errorf("arisim: duplicate endpoint %s", ep.key)
		}
		st.endpoints[ep.key] = ep
		st.epList = append(st.epList, ep)
		st.devCache[ep.key] = ep.deviceState()
	}
	for _, snd := range cfg.Sounds {
		if _, dup := st.sounds[snd.ID]; !dup {
			st.soundIDs = append(st.soundIDs, snd.ID)
		}
		st.sounds[snd.ID] = snd.Duration
	}
	for _, r := range cfg.StoredRecordings {
		f := r.Format
		if f == "" {
			f = "wav"
		}
		st.stored[r.Name] = &storedRec{name: r.Name, format: f, duration: r.Duration}
	}
	for k, v := range cfg.GlobalVars {
		st.globals[k] = v
	}
	for q, members := range cfg.Queues {
		st.queues[q] = append([]string(nil), members...)
		st.queueNames = append(st.queueNames, q)
	}
	sort.Strings(st.queueNames)
	for _, q := range st.queueNames {
		st.devCache["Queue:"+q+"_avail"] = st.queueState(q)
	}
	return st, nil
}

// party is a caller id or connected line.
type party struct{ name, number string }

func (p party) json() []byte { return newObj().str("name", p.name).str("number", p.number).bytes() }

// String formats it as "name" <number>.
func (p party) String() string {
	switch {
	case p.name == "" && p.number == "":
		return ""
	case p.name == "":
		return "<" + p.number + ">"
	default:
		return `"` + p.name + `" <` + p.number + ">"
	}
}

// dialplanPos is where a channel is in the dialplan.
type dialplanPos struct {
	context, exten string
	priority       int
	app, data      string
}

// chanKind says how a channel came to be; it decides event details.
type chanKind int

const (
	kindOriginate chanKind = iota // POST /channels: AppDial2 until answered
	kindCreate                    // POST /channels/create, dialled with /dial
	kindInbound                   // a simulated caller calling in
	kindDialed                    // callee of a dialplan Dial()
	kindLocal2                    // the ;2 half of a Local channel
	kindUnreal                    // Announcer/Recorder helpers (not listed)
)

// channel is one simulated channel.
type channel struct {
	id, name   string
	order      int64
	tech       string    // "PJSIP" or "Local"
	ep         *endpoint // nil for trunks and Local channels
	trunk      string    // trunk name for external numbers
	number     string    // external number or Local exten
	kind       chanKind
	state      string
	protocolID string
	caller     party
	connected  party
	dp         dialplanPos
	base       dialplanPos // what ChannelDestroyed shows for non-dialplan channels
	pbx        bool        // runs the dialplan (inbound, Local ;2, after continue)
	created    time.Time
	answered   time.Time
	vars       map[string]string
	linkedID   string

	subs      map[string]int // app name -> subscription references
	stasisApp string
	inStasis  bool
	args      []string

	// outbound call progress
	dialing     bool
	dialString  string // what Dial events show as dialstring
	dialCreated bool   // made by /channels/create: can be dialled once
	far         Behavior
	farTimer    *simTimer
	byeTimer    *simTimer
	// talkFromBridge starts far.TalkDuration when the channel first shares a
	// mixing bridge with another channel (a queue caller talks to an agent),
	// not at answer; patienceTimer hangs it up if that has not happened.
	talkFromBridge, talking bool
	patienceTimer           *simTimer
	dialTimer               *simTimer
	after                   afterAnswer
	dialer                  *channel // dialplan Dial(): the calling channel
	callee                  *channel // dialplan Dial(): the called channel
	dialStart               time.Time

	peer    *channel // other half of a Local channel
	bridge  *bridge
	bpSet   bool // BRIDGEPEER set
	bpvcSet bool // BRIDGEPVTCALLID set

	dpTimer   *simTimer
	devActive bool // counts toward its device's state
	hungup    bool
	destroyed bool
	playQ     []*playback
	recording *liveRecording
	dtmfTimer *simTimer
	cdr       cdrState
	cdrExten  string
	cdrCtx    string
	inApp     string   // inbound: Stasis app chosen by the control request
	inArgs    []string // inbound: Stasis args chosen by the control request
	hangAfter *channel // dialplan callee to release once this caller is gone
}

// afterAnswer is what an outbound channel does once the far end answers.
type afterAnswer struct {
	app     string
	args    []string
	context string
	exten   string
	prio    int
}

func (c *channel) json() []byte {
	return newObj().
		str("id", c.id).
		str("name", c.name).
		str("state", c.state).
		str("protocol_id", c.protocolID).
		raw("caller", c.caller.json()).
		raw("connected", c.connected.json()).
		str("accountcode", "").
		raw("dialplan", newObj().
			str("context", c.dp.context).
			str("exten", c.dp.exten).
			num("priority", int64(c.dp.priority)).
			str("app_name", c.dp.app).
			str("app_data", c.dp.data).
			bytes()).
		str("creationtime", formatTS(c.created)).
		str("language", "en").
		bytes()
}

func (c *channel) isPJSIP() bool { return c.tech == "PJSIP" }

// endpoint is one simulated SIP endpoint.
type endpoint struct {
	cfg      Endpoint
	key      string
	offhook  bool
	channels []*channel
}

func (e *endpoint) state() string {
	if e.cfg.Unregistered {
		return "offline"
	}
	return "online"
}

func (e *endpoint) json() []byte {
	ids := make([]string, 0, len(e.channels))
	for _, c := range e.channels {
		ids = append(ids, c.id)
	}
	return newObj().str("technology", e.cfg.Technology).str("resource", e.cfg.Resource).
		str("state", e.state()).strs("channel_ids", ids).bytes()
}

// deviceState is the Asterisk device state of the endpoint.
func (e *endpoint) deviceState() string {
	if e.cfg.Unregistered {
		return "UNAVAILABLE"
	}
	inuse, ringing := e.offhook, false
	for _, c := range e.channels {
		if !c.devActive {
			continue
		}
		switch c.state {
		case "Ringing":
			ringing = true
		case "Down":
		default:
			inuse = true
		}
	}
	switch {
	case inuse && ringing:
		return "RINGINUSE"
	case inuse:
		return "INUSE"
	case ringing:
		return "RINGING"
	}
	return "NOT_INUSE"
}

func (e *endpoint) removeChannel(c *channel) {
	for i, x := range e.channels {
		if x == c {
			e.channels = append(e.channels[:i], e.channels[i+1:]...)
			return
		}
	}
}

// app is a Stasis application.
type app struct {
	name         string
	client       *wsClient
	subscribeAll bool
	channels     []string // subscribed channel ids, in subscription order
	bridges      []string
	endpoints    []string
	devices      []string
}

func (a *app) json() []byte {
	o := newObj().str("name", a.name)
	if a.subscribeAll {
		o.strs("channel_ids", append([]string{"__AST_CHANNEL_ALL_TOPIC"}, a.channels...)).
			strs("bridge_ids", append([]string{"__AST_BRIDGE_ALL_TOPIC"}, a.bridges...)).
			strs("endpoint_ids", append([]string{"__AST_ENDPOINT_ALL_TOPIC"}, a.endpoints...)).
			strs("device_names", append([]string{"__AST_DEVICE_STATE_ALL_TOPIC"}, a.devices...))
	} else {
		o.strs("channel_ids", nonNil(a.channels)).strs("bridge_ids", nonNil(a.bridges)).
			strs("endpoint_ids", nonNil(a.endpoints)).strs("device_names", nonNil(a.devices))
	}
	return o.strs("events_allowed", nil).strs("events_disallowed", nil).bytes()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func removeString(list []string, v string) ([]string, bool) {
	for i, x := range list {
		if x == v {
			return append(list[:i], list[i+1:]...), true
		}
	}
	return list, false
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// nextUniqueID returns an Asterisk uniqueid: epoch seconds and a counter.
func (s *Server) nextUniqueID() string {
	n := s.st.uniqueSeq
	s.st.uniqueSeq++
	return strconv.FormatInt(s.now().Unix(), 10) + "." + strconv.FormatInt(n, 10)
}

// channelIDInUse reports whether id names a live channel.
func (s *Server) channelIDInUse(id string) bool {
	_, ok := s.st.channels[id]
	return ok
}

// sortedChannels lists live channels in creation order.
func (s *Server) sortedChannels() []*channel {
	out := make([]*channel, 0, len(s.st.channels))
	for _, c := range s.st.channels {
		if c.kind != kindUnreal {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// queueState is the Queue:<name>_avail device state: NOT_INUSE while any
// member device is free, INUSE otherwise.
func (st *state) queueState(q string) string {
	for _, m := range st.queues[q] {
		if ep, ok := st.endpoints[m]; ok && ep.deviceState() == "NOT_INUSE" {
			return "NOT_INUSE"
		}
	}
	return "INUSE"
}
