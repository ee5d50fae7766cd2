// Package arisim is an in-process simulator of Asterisk 22's REST Interface
// (ARI): the same /ari/ paths, HTTP Basic auth, status codes, reason phrases,
// JSON bodies, event types, field names and event order as a real Asterisk
// 22.10.1, as recorded in /work/shared/ari/traces.
//
// The simulated system has SIP extensions (PJSIP/101..PJSIP/120 by default)
// that ring and answer, external numbers dialled through any trunk
// (PJSIP/<number>@<trunk>) whose outcome comes from a rule table, Local
// channels into a small built-in dialplan, bridges, playbacks, recordings
// (with real WAV files), device states, applications and the events
// WebSocket. A control API under /sim/ plays the far end: it starts inbound
// calls, hangs up channels from the far end, sends DTMF, takes extensions
// off hook or unregisters them and cuts the events WebSockets. See README.md
// and the doc comment of Server.ServeHTTP for the routes.
//
// All state lives behind one mutex; calls advance with time.AfterFunc timers
// scaled by Config.TimeScale, so thousands of concurrent calls cost no
// goroutines. Events fan out to each WebSocket through a bounded queue; a
// client that falls behind is disconnected instead of slowing the others.
//
// When channels end the simulator writes call detail records to Config.CDR
// the way Asterisk's CDR engine does, one per party pair: a channel never
// bridged gets its own record; of two bridged channels the older (party A)
// gets the record, naming the other as dstchannel, and the newer writes none.
// So click-to-call (originate the source, then the destination with
// originator=<source>, bridge both) yields one record whose linkedid is the
// source's uniqueid. Dispositions are ANSWERED, BUSY, NO ANSWER and FAILED;
// duration and billsec are whole simulated seconds from creation and from
// answer to hangup. A failing sink is retried, then the record is logged in
// full at error level.
package arisim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// Config configures a Server. The zero value is usable: every field has a
// documented default.
type Config struct {
	// Username and Password are the ARI credentials (Basic auth or the
	// api_key query parameter). Both default to "asterisk".
	Username, Password string
	// Now is the wall clock; it defaults to time.Now, or to a virtual clock
	// that runs 1/TimeScale times faster when TimeScale is not 1, so that
	// reported durations stay in simulated seconds.
	Now func() time.Time
	// Logger receives diagnostics; it defaults to slog.Default().
	Logger *slog.Logger
	// AnswerDelay is how long an extension rings before it answers when its
	// behaviour does not say otherwise. Default 1s.
	AnswerDelay time.Duration
	// TimeScale multiplies every simulated delay (ringing, talk time,
	// playback length, timeouts). 0.01 makes a 1 s ring last 10 ms. Default 1.
	TimeScale float64
	// Endpoints lists the SIP endpoints. Default: PJSIP/101..PJSIP/120,
	// registered, answering after AnswerDelay.
	Endpoints []Endpoint
	// Rules decides the outcome of calls to external numbers; the first match
	// wins and numbers no rule matches use DefaultRules. Default DefaultRules().
	Rules []Rule
	// CDR receives one call detail record per call. Nil disables CDRs.
	CDR centralita.CDRService
	// CDRRetries is how many times a failing CDR write is retried. Default 3.
	CDRRetries int
	// CDRRetryDelay is the first retry delay; it doubles each time. Default 100ms.
	CDRRetryDelay time.Duration
	// EventQueueSize bounds each WebSocket's queue of unsent events; a client
	// whose queue is full is disconnected. Default 4096.
	EventQueueSize int
	// AsteriskID is the entity id reported as asterisk_id. Default "02:fc:00:00:00:01".
	AsteriskID string
	// ServerName is the HTTP Server header. Default "Asterisk/22.10.1".
	ServerName string
	// Trunk is the endpoint name of inbound calls from numbers that are not
	// extensions. Default "trunk".
	Trunk string
	// InboundApp is the Stasis application the built-in dialplan sends
	// inbound calls to when the control request names none. Default "inbound".
	InboundApp string
	// Sounds lists the sounds that exist. Default DefaultSounds().
	Sounds []Sound
	// StoredRecordings are recordings present at start-up.
	StoredRecordings []StoredRecording
	// RecordingDir, when set, is where finished recordings are also written
	// as files (<name>.<format>).
	RecordingDir string
	// GlobalVars are the dialplan global variables at start-up.
	GlobalVars map[string]string
	// Queues maps a queue name to its member devices (e.g. "PJSIP/101"); each
	// queue publishes a Queue:<name>_avail device state as Asterisk does.
	Queues map[string][]string
	// SIPTimerB is how long an INVITE that gets no answer at all lasts
	// before it fails with 408 (outcome "noresponse"). Default 32s.
	SIPTimerB time.Duration
}

// Endpoint is one simulated SIP endpoint.
type Endpoint struct {
	// Technology is the channel technology. Default "PJSIP".
	Technology string `json:"technology"`
	// Resource is the endpoint name, for example "101".
	Resource string `json:"resource"`
	// CallerIDName and CallerIDNumber are the endpoint's configured caller
	// id; the number defaults to Resource and the name to "Ext <Resource>".
	CallerIDName   string `json:"callerid_name"`
	CallerIDNumber string `json:"callerid_number"`
	// Unregistered endpoints have no contact: they are offline and calls to
	// them fail with 500 {"error":"Allocation failed"}.
	Unregistered bool `json:"unregistered"`
	// Behavior is how the phone answers calls; zero means ring for
	// Config.AnswerDelay, answer and stay up until hung up.
	Behavior Behavior `json:"behavior"`
}

// Behavior is how a simulated far end responds to a call.
type Behavior struct {
	// Outcome is what the far end does. Default OutcomeAnswer.
	Outcome Outcome `json:"outcome"`
	// RingDelay is how long it rings before answering (OutcomeAnswer), or
	// before it sends the failure response; zero sends the failure at once
	// without ringing. For extensions zero means Config.AnswerDelay when the
	// outcome is answer.
	RingDelay time.Duration `json:"ring_delay"`
	// TalkDuration is how long after answering the far end hangs up; zero
	// means never.
	TalkDuration time.Duration `json:"talk_duration"`
}

// Sound is a sound file the simulator knows, with its playing time.
type Sound struct {
	// ID is the sound's id, as in sound:<ID>.
	ID string
	// Duration is how long it plays.
	Duration time.Duration
}

// StoredRecording is a recording that exists at start-up.
type StoredRecording struct {
	// Name and Format identify it (Format defaults to "wav").
	Name, Format string
	// Duration is its length, for the WAV file served.
	Duration time.Duration
}

// DefaultSounds returns the sounds of the reference system the traces were
// recorded on.
func DefaultSounds() []Sound {
	s := []Sound{
		{ID: "hello-world", Duration: 2 * time.Second},
		{ID: "beep", Duration: 250 * time.Millisecond},
		{ID: "tt-monkeys", Duration: 4 * time.Second},
		{ID: "harness-tone-1s", Duration: time.Second},
		{ID: "harness-tone-10s", Duration: 10 * time.Second},
	}
	for i := 1; i <= 10; i++ {
		s = append(s, Sound{ID: "silence/" + strconv.Itoa(i), Duration: time.Duration(i) * time.Second})
	}
	return s
}

// DefaultEndpoints returns PJSIP/101..PJSIP/120.
func DefaultEndpoints() []Endpoint {
	var eps []Endpoint
	for i := 101; i <= 120; i++ {
		eps = append(eps, Endpoint{Technology: "PJSIP", Resource: strconv.Itoa(i)})
	}
	return eps
}

func (c Config) withDefaults() Config {
	if c.Username == "" && c.Password == "" {
		c.Username, c.Password = "asterisk", "asterisk"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.AnswerDelay <= 0 {
		c.AnswerDelay = time.Second
	}
	if c.TimeScale <= 0 {
		c.TimeScale = 1
	}
	if c.Endpoints == nil {
		c.Endpoints = DefaultEndpoints()
	}
	if c.Rules == nil {
		c.Rules = DefaultRules()
	}
	if c.CDRRetries <= 0 {
		c.CDRRetries = 3
	}
	if c.CDRRetryDelay <= 0 {
		c.CDRRetryDelay = 100 * time.Millisecond
	}
	if c.EventQueueSize <= 0 {
		c.EventQueueSize = 4096
	}
	if c.AsteriskID == "" {
		c.AsteriskID = "02:fc:00:00:00:01"
	}
	if c.ServerName == "" {
		c.ServerName = "Asterisk/" + asteriskVersion
	}
	if c.Trunk == "" {
		c.Trunk = "trunk"
	}
	if c.InboundApp == "" {
		c.InboundApp = "inbound"
	}
	if c.Sounds == nil {
		c.Sounds = DefaultSounds()
	}
	if c.SIPTimerB <= 0 {
		c.SIPTimerB = 32 * time.Second
	}
	return c
}

const asteriskVersion = "22.10.1"

// Server is a running ARI simulator. It is an http.Handler; Start also
// serves it on a TCP address.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	startup time.Time

	mu        sync.Mutex
	closed    bool
	st        *state
	timers    map[*simTimer]struct{}
	clients   map[*wsClient]struct{}
	wg        sync.WaitGroup
	baseCtx   context.Context
	cancelCtx context.CancelFunc

	routes []*ariRoute

	srv *http.Server
	ln  net.Listener
}

// New validates cfg and returns a Server that is ready to serve.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("arisim: Username and Password must both be set")
	}
	for _, r := range cfg.Rules {
		if err := r.validate(); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "arisim"),
		timers:  map[*simTimer]struct{}{},
		clients: map[*wsClient]struct{}{},
		routes:  ariRoutes(),
	}
	s.baseCtx, s.cancelCtx = context.WithCancel(context.Background())
	if cfg.Now != nil {
		s.now = cfg.Now
	} else if cfg.TimeScale == 1 {
		s.now = time.Now
	} else {
		origin := time.Now()
		scale := cfg.TimeScale
		s.now = func() time.Time {
			return origin.Add(time.Duration(float64(time.Since(origin)) / scale))
		}
	}
	s.startup = s.now()
	st, err := newState(cfg)
	if err != nil {
		return nil, err
	}
	s.st = st
	return s, nil
}

// Start serves the simulator on addr ("127.0.0.1:0" when empty) in the
// background; the listener stops when ctx ends, and Close releases the rest.
func (s *Server) Start(ctx context.Context, addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("arisim: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.closed || s.srv != nil {
		s.mu.Unlock()
		_ = ln.Close()
		return errors.New("arisim: server closed or already started")
	}
	s.srv, s.ln = srv, ln
	s.wg.Add(2)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("arisim: serve failed", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			_ = s.shutdownHTTP()
		case <-s.baseCtx.Done():
		}
	}()
	return nil
}

// URL returns the base URL (http://host:port) Start listens on, or "" when
// the server was not started.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

func (s *Server) shutdownHTTP() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// Close stops the HTTP listener, closes every events WebSocket, stops all
// call timers and waits for pending CDR writes. Channels are dropped without
// events or CDRs.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for t := range s.timers {
		t.t.Stop()
	}
	s.timers = map[*simTimer]struct{}{}
	for c := range s.clients {
		c.dead = true
		c.stop()
	}
	s.mu.Unlock()
	err := s.shutdownHTTP()
	s.cancelCtx()
	s.wg.Wait()
	return err
}

// simTimer is a call timer registered with the server so Close can stop it.
type simTimer struct {
	t       *time.Timer
	stopped bool
}

// after runs fn with s.mu held once the scaled delay d has passed, unless the
// timer is cancelled or the server closed first. s.mu must be held.
func (s *Server) after(d time.Duration, fn func()) *simTimer {
	st := &simTimer{}
	st.t = time.AfterFunc(s.scaled(d), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || st.stopped {
			return
		}
		st.stopped = true
		delete(s.timers, st)
		fn()
	})
	s.timers[st] = struct{}{}
	return st
}

// cancel stops t; s.mu must be held. A nil timer is ignored.
func (s *Server) cancel(t *simTimer) {
	if t == nil || t.stopped {
		return
	}
	t.stopped = true
	t.t.Stop()
	delete(s.timers, t)
}

// scaled converts a simulated duration to a real one.
func (s *Server) scaled(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) * s.cfg.TimeScale)
}

// ServeHTTP serves the ARI under /ari/ and the control API under /sim/.
//
// Control routes (JSON bodies, same credentials as ARI):
//
//	GET    /sim/state                      channels, endpoints and websockets, for debugging
//	POST   /sim/calls                      start an inbound call: {"from","to","app","args","caller_name","talk_duration"}
//	POST   /sim/channels/{id}/hangup       far-end hangup: {"cause":16}
//	POST   /sim/channels/{id}/answer       the far end answers a ringing outbound channel now
//	POST   /sim/channels/{id}/dtmf         far-end DTMF: {"digits":"12#","duration_ms":200,"gap_ms":200,"delay_ms":0}
//	GET    /sim/endpoints                  endpoint states and behaviours
//	PUT    /sim/endpoints/{resource}       {"behavior":{...},"offhook":bool,"registered":bool} (fields optional)
//	GET    /sim/rules, PUT /sim/rules      the external-number rule table
//	POST   /sim/websockets/cut             close every events WebSocket server-side: {"closed":n}
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Server"] = []string{s.cfg.ServerName}
	switch {
	case strings.HasPrefix(r.URL.Path, "/ari/") || r.URL.Path == "/ari":
		s.serveARI(w, r)
	case strings.HasPrefix(r.URL.Path, "/sim/"):
		if !s.authorized(r) {
			s.writeUnauthorized(w)
			return
		}
		s.serveSim(w, r)
	default:
		http.NotFound(w, r)
	}
}

// authorized checks Basic auth or the api_key query parameter.
func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.cfg.Username && p == s.cfg.Password
	}
	if k := r.URL.Query().Get("api_key"); k != "" {
		u, p, _ := strings.Cut(k, ":")
		return u == s.cfg.Username && p == s.cfg.Password
	}
	return false
}

func (s *Server) writeUnauthorized(w http.ResponseWriter) {
	w.Header()["WWW-Authenticate"] = []string{`Basic realm="Asterisk REST Interface"`}
	writeJSON(w, 401, "Unauthorized", newObj().str("message", "Authentication required").bytes())
}
