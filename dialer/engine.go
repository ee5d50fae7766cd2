package dialer

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// Config configures an Engine.
type Config struct {
	// PBX dials the contacts and reports their channels' events.
	PBX centralita.PBX
	// ACD takes the answered calls; its Snapshot gives agent availability
	// and its AgentCall makes preview and agent-owned calls.
	ACD centralita.ACD
	// The stores.
	Campaigns    centralita.CampaignService
	Contacts     centralita.ContactService
	Blacklist    centralita.BlacklistService
	Dispositions centralita.DispositionService
	// Agents resolves agent usernames, numbers and phones (optional).
	Agents centralita.AgentService
	// QueueLog, when set, lets a restart tell whether a call of an open
	// attempt reached an agent, and rebuilds the abandon rates.
	QueueLog centralita.QueueLogService
	// NewPacer returns the pacer of a campaign; default defaultPacer.
	NewPacer func(c centralita.Campaign) Pacer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Timer runs f after d and returns a function that stops it; default
	// time.AfterFunc(d, f).Stop. f must run in its own goroutine.
	Timer func(d time.Duration, f func()) (stop func() bool)
	// Location is the default time zone of campaigns and where "today"
	// starts; default time.Local.
	Location *time.Location
	// Trunk is the endpoint numbers are dialled through
	// ("PJSIP/<number>@<Trunk>"); default "trunk". Endpoint, when set,
	// replaces that rule.
	Trunk    string
	Endpoint func(number string) string
	// TickInterval is how often every active campaign is paced; default 1 s.
	TickInterval time.Duration
	// QueueLogGrace is how long after an answered call's hangup the engine
	// waits for the ACD's queue_log rows before settling it; default 10 s.
	QueueLogGrace time.Duration
	// AgentRingTimeout is how long an agent call may ring the agent before
	// the contact is given back; default 60 s.
	AgentRingTimeout time.Duration
	// AgentRetryDelay is how long a contact waits when its agent call could
	// not reach the agent (not counted as an attempt); default 30 s.
	AgentRetryDelay time.Duration
	// RequestTimeout bounds each PBX and store request; default 5 s.
	RequestTimeout time.Duration
	// MaxRequests bounds the dial requests in flight at once; default 32.
	MaxRequests int
	// BatchSize is how many lines of a base upload are inserted at once; default 1000.
	BatchSize int
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
}

// Engine is the live dialer. It implements centralita.Dialer.
//
// # Calls
//
// A contact is dialled as the channel "dl-<attempt id>" with the
// application arguments ["queue", <queue>, "maxwait=2", "sound=<abandon
// message>", "dialer=<campaign id>", "caller=<number>"], after its attempt
// row is written.
// When it answers it enters the ACD as a queue call; the ACD's queue_log
// rows (HandleQueueLog) tell the engine whether it reached an agent
// (CONNECT: outcome Answer) or not within 2 s (EXITWITHTIMEOUT or ABANDON:
// outcome Abandoned), and how long the agent talked. A hangup before the
// channel entered the application is a failed attempt: cause 17 Busy, 18,
// 19 and 21 NoAnswer, any other Failed. Answering machines cannot be told
// from people through ARI alone, so the live engine never produces
// OutcomeMachine; its retry rule is there for a future detector.
//
// Preview campaigns, and contacts owned by an agent, are called through
// ACD.AgentCall (the agent's phone first, then the contact) with the
// campaign's name as the queue; the ACD's DIALOUT and DIALOUTEND rows,
// whose callid is the GUID AgentCall returns, settle them: DIALOUTEND with
// talk seconds above 0 is an answered, connected call, and any other is
// NoAnswer (the hangup cause of the ACD's leg is not known here). When the
// agent does not answer its phone the contact is given back, not counted
// as an attempt.
//
// # Pacing
//
// Every TickInterval each Active campaign whose queue the ACD snapshot
// shows is paced: the pacer (preview: the free agents) says how many lines
// to open, capped by MaxLines; that many due contacts are claimed (owned
// ones only for their free owners). A contact outside the campaign's
// windows in its time zone (its own, else the campaign's, else Location)
// is given back due at the next opening; a number already in a call of
// the engine (in any campaign) is given back; a number on the do-not-call
// list is Rejected ("Blacklisted") without a call. Windows apply to
// scheduled calls too.
//
// # Outcomes
//
// Each attempt ends with its outcome on the attempt and the contact
// (LastOutcome, LastAttemptAt) and a state-log entry named by it
// ("Answer", "Busy", "NoAnswer", "Failed", "Abandoned"). Answer completes
// the contact. Any other outcome counts an attempt on the number being
// dialled and is retried after its rule's delay while the attempts on the
// number stay under the rule's MaxAttempts; then (or at once when the
// outcome has no rule) the next alternate number is dialled, attempts
// reset, and with none left the contact is Rejected.
//
// # Restarts
//
// Attempts are written before their call; Start settles those a previous
// run left open (see recover): a call that was answered is never dialled
// again, and no contact stays in flight.
//
// # Concurrency
//
// State sits behind one mutex; PBX events and queue_log rows are applied
// in order by one goroutine; store writes run afterwards, in order, each
// writing the state as it is when it runs. The engine never calls the ACD
// or the store while holding the mutex.
type Engine struct {
	cfg Config
	log *slog.Logger

	// storeMu orders contact and attempt writes and claims; taken before mu.
	storeMu sync.Mutex
	mu      sync.Mutex
	closed  bool
	camps   map[int64]*campaign
	calls   map[string]*call // by call id: "dl-<n>" or an agent call's GUID
	legs    map[string]*call // by channel id: "dl-<n>", "<guid>-agent", "<guid>-dst"
	byCont  map[int64]*call  // by contact id
	numbers map[string]int64 // number being dialled → contact id
	agents  map[string]*call // agent number → its agent call
	recent  recentCalls
	timers  map[*timer]struct{}
	jobs    centralita.JobList
	rows    []centralita.QueueLogEntry // queue_log rows not yet applied
	day     time.Time

	rowSignal chan struct{}
	work      sync.WaitGroup
	slots     chan struct{}
	tickMu    sync.Mutex
	tickStop  func() bool
	ticks     int

	runCtx   context.Context
	stopRun  context.CancelFunc
	events   <-chan centralita.ChannelEvent
	unsub    func()
	loopDone chan struct{}
}

var _ centralita.Dialer = (*Engine)(nil)

// New returns an engine; Start it before use.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.PBX == nil || cfg.ACD == nil:
		return nil, centralita.Errorf(centralita.EINVALID, "dialer: PBX and ACD are required")
	case cfg.Campaigns == nil || cfg.Contacts == nil || cfg.Blacklist == nil || cfg.Dispositions == nil:
		return nil, centralita.Errorf(centralita.EINVALID, "dialer: Campaigns, Contacts, Blacklist and Dispositions are required")
	}
	if cfg.NewPacer == nil {
		cfg.NewPacer = defaultPacer
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
	if cfg.Trunk == "" {
		cfg.Trunk = "trunk"
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = time.Second
	}
	if cfg.QueueLogGrace <= 0 {
		cfg.QueueLogGrace = 10 * time.Second
	}
	if cfg.AgentRingTimeout <= 0 {
		cfg.AgentRingTimeout = 60 * time.Second
	}
	if cfg.AgentRetryDelay <= 0 {
		cfg.AgentRetryDelay = 30 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = 32
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger.With("component", "dialer"),
		camps: map[int64]*campaign{}, calls: map[string]*call{}, legs: map[string]*call{},
		byCont: map[int64]*call{}, numbers: map[string]int64{}, agents: map[string]*call{},
		recent: newRecentCalls(10000), timers: map[*timer]struct{}{},
		rowSignal: make(chan struct{}, 1), slots: make(chan struct{}, cfg.MaxRequests),
		jobs: centralita.JobList{Max: maxJobs},
	}
	e.day = e.midnight(cfg.Now())
	e.runCtx, e.stopRun = context.WithCancel(context.Background())
	return e, nil
}

// defaultPacer picks a campaign's pacer by its mode: progressive (and
// preview, which the engine paces by free agents itself) one line per free
// agent, power PowerRatio lines, predictive the predictive pacer under the
// campaign's abandon limit.
func defaultPacer(c centralita.Campaign) Pacer {
	c = c.WithDefaults()
	switch c.Mode {
	case centralita.ModePower:
		return NewPower(c.PowerRatio)
	case centralita.ModePredictive:
		return NewPredictive(PredictiveConfig{AbandonLimitPct: c.AbandonLimitPct})
	}
	return NewProgressive()
}

// Start loads the campaigns, subscribes to the PBX's events, settles the
// attempts a previous run left open, and paces the active campaigns every
// TickInterval until Close.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.Reload(ctx); err != nil {
		return err
	}
	e.events, e.unsub = e.cfg.PBX.Subscribe()
	e.loopDone = make(chan struct{})
	go e.loop()
	if err := e.recover(ctx); err != nil {
		e.Close()
		return err
	}
	e.restoreAbandons(ctx)
	e.mu.Lock()
	e.scheduleTick()
	e.mu.Unlock()
	return nil
}

// Close stops pacing and processing events, cancels running uploads and
// waits for the requests in flight. Calls in progress stay in the store as
// open attempts, which the next Start settles.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	if e.tickStop != nil {
		e.tickStop()
	}
	for t := range e.timers {
		t.stop()
	}
	clear(e.timers)
	e.jobs.CancelAll()
	e.mu.Unlock()
	e.stopRun()
	e.tickMu.Lock() // a tick in progress ends
	e.tickMu.Unlock()
	if e.unsub != nil {
		e.unsub()
		<-e.loopDone
	}
	e.work.Wait()
}

// loop applies PBX events and queue_log rows in order.
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
			e.handleEvent(ev)
		case <-e.rowSignal:
			e.mu.Lock()
			rows := e.rows
			e.rows = nil
			e.mu.Unlock()
			for _, r := range rows {
				e.handleRow(r)
			}
		}
	}
}

// HandleQueueLog is told every queue_log row the ACD writes; the rows of
// the dialer's calls settle them. It never blocks: rows are applied by the
// engine's own goroutine.
func (e *Engine) HandleQueueLog(entry centralita.QueueLogEntry) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.rows = append(e.rows, entry)
	e.mu.Unlock()
	select {
	case e.rowSignal <- struct{}{}:
	default:
	}
}

// scheduleTick arms the next pacing round; the lock is held.
func (e *Engine) scheduleTick() {
	if e.closed {
		return
	}
	e.tickStop = e.cfg.Timer(e.cfg.TickInterval, func() {
		e.Tick(e.runCtx)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.scheduleTick()
	})
}

// timer is a pending engine timer; its function runs under the lock.
type timer struct{ stop func() bool }

// after runs f under the lock after d, unless stopped first or the engine
// closed; the lock is held.
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

// spawn runs fn in the background; Close waits for it.
func (e *Engine) spawn(fn func()) {
	e.work.Add(1)
	go func() {
		defer e.work.Done()
		fn()
	}()
}

// pbx runs one PBX request under the request timeout, once one of the
// MaxRequests slots is free.
func (e *Engine) pbx(ctx context.Context, fn func(ctx context.Context) error) error {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-e.slots }()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	return fn(ctx)
}

// storeCtx is a context for one store request: it outlives Close, so that
// the writes of a shutdown still land.
func (e *Engine) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
}

// endpoint is what the PBX dials for a number.
func (e *Engine) endpoint(number string) string {
	if e.cfg.Endpoint != nil {
		return e.cfg.Endpoint(number)
	}
	return "PJSIP/" + number + "@" + e.cfg.Trunk
}

// midnight is the local midnight starting t's day.
func (e *Engine) midnight(t time.Time) time.Time {
	t = t.In(e.cfg.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, e.cfg.Location)
}

// channelID is the channel of an attempt dialled by the engine.
func channelID(attemptID int64) string { return "dl-" + strconv.FormatInt(attemptID, 10) }

// recentCalls remembers which contact the last finished calls were for, so
// that a disposition given after the call finds it by its id.
type recentCalls struct {
	max   int
	ids   map[string]int64
	order []string
}

func newRecentCalls(n int) recentCalls { return recentCalls{max: n, ids: map[string]int64{}} }

func (r *recentCalls) add(callID string, contactID int64) {
	if _, ok := r.ids[callID]; !ok {
		r.order = append(r.order, callID)
	}
	r.ids[callID] = contactID
	if len(r.order) > r.max {
		delete(r.ids, r.order[0])
		r.order = r.order[1:]
	}
}
