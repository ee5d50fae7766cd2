// Package acd is the voice queue engine: it takes inbound calls into queues
// over ARI, routes them to logged-in agents by strategy, and writes
// Asterisk's queue_log.
//
// # Channels and ids
//
// An inbound call enters the Stasis application with the arguments
// ["queue", <queue>, "ivrcode=<code>"..., "ivrdata=<data>"]; its channel id
// (Asterisk's uniqueid) is the call id. The engine names what it creates
// after it: agent legs "<callid>-a<n>" (n counts attempts), transfer legs
// "<callid>-x<n>", the holding bridge "<callid>-hold", the agent bridge
// "<callid>-bridge" and the transfer bridge "<callid>-xbridge". Agent calls
// (AgentCall) are "<guid>-agent" and "<guid>-dst" in "<guid>-bridge".
// Channels with other arguments (the originate engine's) are not touched.
//
// # Concurrency
//
// All state sits behind one mutex. Events are applied in order by one
// goroutine; the PBX requests a change calls for run afterwards in their own
// goroutines, so a slow request never holds up other calls. queue_log rows
// are queued in memory in order and written by one goroutine that retries
// with backoff, so the lock never waits on the database and no row is lost
// while the engine runs; Close flushes them (bounded by FlushTimeout).
// Writes of logins and pauses are ordered by a one-slot store semaphore,
// taken before the lock; waiting for it respects the caller's context and
// each store request under it is bounded by RequestTimeout.
//
// # Live figures
//
// Every queue_log row the engine writes goes through one function that also
// updates the day's counters, and Start replays today's rows through the
// same function, so the counters agree with queue_log: a row the store
// refuses (EINVALID: logged in full and dropped) or that Close gives up on
// is taken back out, and rows still queued while the database is down are
// counted already (the backlog is logged every minute while it grows).
// Free text that goes into a data field is bounded first: a pause reason
// over 128 bytes is EINVALID, a caller number is cut to 255 bytes.
//
// # Routing
//
// Strategies follow app_queue (see route). Penalties: only the lowest
// penalty among the available, admitted members is rung (wrandom instead
// weighs every admitted member by its penalty, as app_queue does). With a
// queue's PenaltyStepSec > 0 the penalty levels are the distinct penalties
// of the queue's members available now (logged in, not paused, free): the
// lowest level is admitted at once and every PenaltyStepSec of waiting
// admits the next level up, whatever the numeric gap between them; with 0
// every penalty is admitted. Calls are served oldest first across queues
// (see dispatch); a call's place counts from its ENTERQUEUE, written once
// it is answered, on hold and past the CRM lookups (bounded by
// CRMTimeout). Just before ringing, the agent's device state is read: a
// phone INUSE, BUSY, RINGING, RINGINUSE, ONHOLD or UNAVAILABLE is skipped
// for that call's round without RINGNOANSWER. When a ringall call is
// answered the others stop ringing with no row; an agent logged out while
// ringing gets RINGNOANSWER.
//
// # Restart
//
// Start restores logins and pauses from the store (an agent the store has
// logged out is not restored, whatever the log says, and loses its pauses)
// and hangs up what a previous run left in Asterisk: legs named like this
// engine's, the callers of queue calls today's log leaves open, whose rows
// it closes with ABANDON (waiting) or COMPLETEAGENT (connected), and the
// callers of calls transferred to an extension, with their bridges. It
// closes with REMOVEMEMBER the sessions today's log leaves open that the
// restored logins do not continue. Inbound calls that enter while the
// event stream is down are not seen (ARI lists no arguments); after a gap
// in the stream, reconcile compares the engine's legs with the PBX's.
package acd

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/centralita/centralita"
)

// Config configures an Engine.
type Config struct {
	// PBX is the telephony; Media answers, plays and sets variables (an
	// *ari.Client implements both).
	PBX   centralita.PBX
	Media centralita.MediaController
	// Queues and Agents hold the configuration, the logins and the pauses.
	Queues centralita.QueueService
	Agents centralita.AgentService
	// QueueLog receives every queue_log row.
	QueueLog centralita.QueueLogService
	// CRM, when set, is asked for the caller's name and IVR data before a
	// call enters its queue, and told when an agent answers.
	CRM centralita.CRM
	// CRMTimeout bounds all CRM lookups of one call before ENTERQUEUE; default 2 s.
	CRMTimeout time.Duration
	// CRMPushTimeout bounds one pushAgentInfo; default 30 s. It never delays the call.
	CRMPushTimeout time.Duration
	// Lists, when set, serves the "list=<name>" call argument (list
	// routing, see enterCall); nil = the argument is ignored. Each lookup
	// is bounded by RequestTimeout.
	Lists centralita.ListLookup
	// Recorder, when set, records the calls of queues with Record (and
	// dialer calls whose arguments say "record=1") once caller and agent
	// are bridged, and is told when they part; nil = no recording.
	Recorder centralita.Recorder
	// Observe, when set, is given every queue_log row as the engine writes
	// it (the outbound dialer follows its calls this way). It is called with
	// the engine's lock held, so it must not block or call the engine.
	Observe func(centralita.QueueLogEntry)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Timer runs f after d and returns a function that stops it; default
	// time.AfterFunc(d, f).Stop. f must run in its own goroutine.
	Timer func(d time.Duration, f func()) (stop func() bool)
	// Location is where the day's counters restart at midnight; default time.Local.
	Location *time.Location
	// Rand drives the random and wrandom strategies; default seeded from the clock.
	Rand *rand.Rand
	// SIPToPJSIP dials "SIP/101" interfaces as the ARI endpoint "PJSIP/101"
	// (Asterisk 22 has no chan_sip).
	SIPToPJSIP bool
	// Trunk is the endpoint outside numbers are dialled through
	// ("PJSIP/<number>@<Trunk>"); default "trunk".
	Trunk string
	// DialTimeout is how long transfer destinations and agent-call legs ring; default 30 s.
	DialTimeout time.Duration
	// OverflowHangupDelay is how long the overflow sound plays before the
	// call is hung up; default 3 s.
	OverflowHangupDelay time.Duration
	// RequestTimeout bounds each PBX and store request; default 5 s.
	RequestTimeout time.Duration
	// MaxRequests bounds the PBX requests in flight at once, so a burst of
	// calls queues its requests instead of opening a connection each; default 64.
	MaxRequests int
	// FlushTimeout bounds how long Close keeps trying to write queue_log rows; default 10 s.
	FlushTimeout time.Duration
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
}

// Engine is the ACD. It implements centralita.ACD.
type Engine struct {
	cfg Config
	log *slog.Logger

	// store is a one-slot semaphore that orders the engine's writes of
	// logins and pauses (lockStore); it is taken before mu, never while
	// holding it, and waiting for it respects the caller's context.
	store   chan struct{}
	mu      sync.Mutex
	closed  bool
	queues  map[string]*queue
	agents  map[string]*agent
	reasons map[string]string // pause reason code → name
	legs    map[string]any    // channel id → *call, *offer, *outCall or *xfer
	outs    map[string]*outCall
	timers  map[*timer]struct{}
	stats   map[string]*qstats // by queue name, today's counters
	day     time.Time          // local midnight the counters started at
	rnd     *rand.Rand
	// listGen counts reconcile's channel listings; a leg records it when
	// its dial succeeds, so a listing never judges legs dialled after it
	// was requested.
	listGen uint64

	writer *logWriter
	work   sync.WaitGroup // PBX and store requests in flight
	slots  chan struct{}  // MaxRequests PBX requests at a time

	runCtx   context.Context // ends at Close
	stopRun  context.CancelFunc
	events   <-chan centralita.ChannelEvent
	unsub    func()
	loopDone chan struct{}
}

var _ centralita.ACD = (*Engine)(nil)

// New returns an engine; Start it before use.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.PBX == nil || cfg.Media == nil:
		return nil, centralita.Errorf(centralita.EINVALID, "acd: PBX and Media are required")
	case cfg.Queues == nil || cfg.Agents == nil || cfg.QueueLog == nil:
		return nil, centralita.Errorf(centralita.EINVALID, "acd: Queues, Agents and QueueLog are required")
	}
	if cfg.CRMTimeout <= 0 {
		cfg.CRMTimeout = 2 * time.Second
	}
	if cfg.CRMPushTimeout <= 0 {
		cfg.CRMPushTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timer == nil {
		cfg.Timer = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Rand == nil {
		seed := uint64(time.Now().UnixNano())
		cfg.Rand = rand.New(rand.NewPCG(seed, seed>>1|1))
	}
	if cfg.Trunk == "" {
		cfg.Trunk = "trunk"
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	if cfg.OverflowHangupDelay <= 0 {
		cfg.OverflowHangupDelay = 3 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = 64
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger.With("component", "acd"),
		queues: map[string]*queue{}, agents: map[string]*agent{}, reasons: map[string]string{},
		legs: map[string]any{}, outs: map[string]*outCall{}, timers: map[*timer]struct{}{},
		stats: map[string]*qstats{}, rnd: cfg.Rand, slots: make(chan struct{}, cfg.MaxRequests),
		store: make(chan struct{}, 1),
	}
	e.day = e.midnight(cfg.Now())
	e.runCtx, e.stopRun = context.WithCancel(context.Background())
	e.writer = newLogWriter(cfg.QueueLog, e.log, cfg.RequestTimeout)
	return e, nil
}

// Start loads the configuration, restores logins and pauses, replays
// today's queue_log into the counters, subscribes to the PBX's events,
// hangs up what a previous run left behind, and processes events until Close.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.load(ctx, true); err != nil {
		return err
	}
	left, err := e.replay(ctx)
	if err != nil {
		return err
	}
	e.events, e.unsub = e.cfg.PBX.Subscribe()
	e.cleanupPrevious(left)
	e.mu.Lock()
	e.closeSessions(left.sessions)
	e.mu.Unlock()
	e.loopDone = make(chan struct{})
	e.writer.start()
	go e.loop()
	e.mu.Lock()
	e.dispatch()
	e.mu.Unlock()
	return nil
}

// Close stops processing events, waits for the requests in flight and
// flushes the queue_log rows not yet written. Calls in Asterisk are left as
// they are; the next Start hangs them up.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for t := range e.timers {
		t.stop()
	}
	clear(e.timers)
	e.mu.Unlock()
	e.stopRun()
	if e.unsub != nil {
		e.unsub()
		<-e.loopDone
	}
	e.work.Wait()
	e.writer.close(e.cfg.FlushTimeout)
	return nil
}

func (e *Engine) loop() {
	defer close(e.loopDone)
	for {
		select {
		case <-e.runCtx.Done():
			return
		case ev, ok := <-e.events:
			if !ok {
				return
			}
			e.handle(ev)
		}
	}
}

// timer is a pending engine timer; its function runs under the lock.
type timer struct{ stop func() bool }

// after runs f under the lock after d, unless stopped first or the engine
// closed, then dispatches; the lock is held.
func (e *Engine) after(d time.Duration, f func()) *timer {
	t := &timer{}
	e.timers[t] = struct{}{}
	t.stop = e.cfg.Timer(d, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.timers[t]; !ok || e.closed {
			return
		}
		delete(e.timers, t)
		f()
		e.dispatch()
	})
	return t
}

// cancel stops t (nil is fine) and clears *tp; the lock is held.
func (e *Engine) cancel(tp **timer) {
	if t := *tp; t != nil {
		delete(e.timers, t)
		t.stop()
		*tp = nil
	}
}

// spawn runs fn in the background; the lock is held. Close waits for it.
func (e *Engine) spawn(fn func()) {
	if e.closed || fn == nil {
		return
	}
	e.work.Add(1)
	go func() {
		defer e.work.Done()
		fn()
	}()
}

// pbx runs one PBX request under the request timeout, once one of the
// MaxRequests slots is free.
func (e *Engine) pbx(fn func(ctx context.Context) error) error {
	select {
	case e.slots <- struct{}{}:
	case <-e.runCtx.Done():
		return e.runCtx.Err()
	}
	defer func() { <-e.slots }()
	ctx, cancel := context.WithTimeout(e.runCtx, e.cfg.RequestTimeout)
	defer cancel()
	return fn(ctx)
}

// hangup hangs a channel up; one already gone is fine.
func (e *Engine) hangup(id string) {
	err := e.pbx(func(ctx context.Context) error { return e.cfg.PBX.Hangup(ctx, id, "normal") })
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND && e.runCtx.Err() == nil {
		e.log.Warn("acd: hangup failed", "channel", id, "err", err)
	}
}

// destroyBridge destroys a bridge; one already gone is fine.
func (e *Engine) destroyBridge(id string) {
	err := e.pbx(func(ctx context.Context) error { return e.cfg.PBX.DestroyBridge(ctx, id) })
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND && e.runCtx.Err() == nil {
		e.log.Warn("acd: destroying bridge failed", "bridge", id, "err", err)
	}
}

// lockStore takes the store slot that orders writes of logins and pauses,
// waiting no longer than ctx allows (EUNAVAILABLE then); the lock must not
// be held. unlockStore gives it back.
func (e *Engine) lockStore(ctx context.Context) error {
	select {
	case e.store <- struct{}{}:
		return nil
	case <-ctx.Done():
		return centralita.WrapError(centralita.EUNAVAILABLE, ctx.Err(), "agent state store busy")
	}
}

func (e *Engine) unlockStore() { <-e.store }

// storeCall runs one store request under the request timeout, within ctx;
// every store request made while holding the store slot goes through it, so
// a database outage holds the slot for RequestTimeout at most.
func (e *Engine) storeCall(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	err := fn(ctx)
	if err != nil && ctx.Err() != nil && centralita.ErrorKind(err) == centralita.EINTERNAL {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "the store did not answer in time")
	}
	return err
}

// persist runs a store write of agent state in the background, after the
// writes before it, retrying with backoff until it lands or the engine
// closes. fn writes the state as it is when it runs, so a retry or a late
// write never puts back an older state.
func (e *Engine) persist(what string, fn func(ctx context.Context) error) {
	e.spawn(func() {
		delay := 100 * time.Millisecond
		for {
			err := e.lockStore(e.runCtx)
			if err == nil {
				err = e.storeCall(e.runCtx, fn)
				e.unlockStore()
			}
			if err == nil || centralita.ErrorKind(err) == centralita.ENOTFOUND {
				return // saved, or nothing left to save it to
			}
			if e.runCtx.Err() != nil {
				e.log.Error("acd: state not saved before shutdown", "what", what, "err", err)
				return
			}
			e.log.Warn("acd: saving state failed; retrying", "what", what, "err", err)
			select {
			case <-time.After(delay):
			case <-e.runCtx.Done():
			}
			delay = min(2*delay, 5*time.Second)
		}
	})
}

// endpoint is the ARI endpoint of an agent interface.
func (e *Engine) endpoint(iface string) string {
	if e.cfg.SIPToPJSIP {
		if rest, ok := strings.CutPrefix(iface, "SIP/"); ok {
			return "PJSIP/" + rest
		}
	}
	return iface
}

// ifacePattern is an agent interface or dial target, "TECH/resource";
// short enough for a queue_log data field.
var ifacePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}/[A-Za-z0-9_.@+*#-]{1,64}$`)

// midnight is the local midnight starting t's day.
func (e *Engine) midnight(t time.Time) time.Time {
	t = t.In(e.cfg.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, e.cfg.Location)
}

// maxData is the longest queue_log data field, in bytes.
const maxData = 255

// clip shortens s to at most n bytes, on a character boundary; for text
// from the PBX that goes into a queue_log data field, which the store
// would refuse whole.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for range utf8.UTFMax - 1 { // a character cut in two
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// secs is d in whole seconds, as queue_log writes it.
func secs(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return int(d / time.Second)
}
