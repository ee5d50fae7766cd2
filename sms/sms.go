// Package sms is Centralita's SMS engine: a persistent send queue with a
// messages-per-second limit, retries of transient provider failures, the
// minute scheduler of rest-integra.md §9.4, SMS base uploads as cancellable
// jobs, delivery receipts and received messages; and the providers that
// carry messages: SMPP (smpp.go), a generic HTTP gateway (http.go) and a
// log-only stand-in (log.go).
//
// Accepted messages are rows (PENDING) before Send returns. A worker claims
// due rows by priority then age, sends each through the Provider and marks
// it SENT, or PENDING again with a later NextAt after a transient failure
// (up to Config.Retries retries, exponential backoff), or ERROR. Claims
// carry the claiming engine's owner id and time; claims older than
// Config.Lease (a crashed process's) are released and the rows sent again.
// Before each attempt the worker renews its claim and skips the row if it
// lost it; the outcome is written only while the claim is still its own,
// so two engines never both send a row whose lease expired (a process
// that crashed mid-send can still cause one resend after the lease).
//
// A link outage uses up no retries: while a provider that implements
// Readier is not ready (SMPP: not bound) the worker claims nothing, and a
// Send that fails with ErrNotConnected (nothing was handed to the network)
// gives the row back as it was, its attempts not counted, to be sent once
// the link is back however long the outage lasts. Retries count only
// attempts that reached the network.
package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/centralita/centralita"
)

// Provider carries messages to the network.
type Provider interface {
	// Name names the provider in logs ("smpp", "http", "log").
	Name() string
	// Start connects (in the background if it must wait) and reports
	// receipts and received messages to sink until Close.
	Start(ctx context.Context, sink Sink) error
	// Send sends one message, split into parts as needed, and returns the
	// provider's id of each part. A failure worth retrying is EUNAVAILABLE
	// or ELIMITED (see Transient); any other kind fails the message. An
	// error wrapping ErrNotConnected counts no attempt.
	Send(ctx context.Context, m *centralita.SMS) ([]string, error)
	// Close disconnects.
	Close() error
}

// Readier is implemented by a provider that knows whether it can send now
// (SMPPProvider: bound to the SMSC). While Ready reports false the worker
// claims no message. A provider without it (HTTP, log) is always ready.
type Readier interface {
	// Ready reports whether Send can hand a message to the network now.
	Ready() bool
}

// ErrNotConnected is the cause (errors.Is) of a provider error that means
// the message was not handed to the network at all because the provider
// has no link (SMPP: not bound). Providers wrap it in an EUNAVAILABLE
// error; the worker then releases the message without counting an
// attempt. An error after any part of the message went out must not wrap
// it.
var ErrNotConnected = errors.New("provider not connected")

// Sink receives what a provider reports. A provider acknowledges a
// receipt or a received message to the network only once the Sink
// returned nil; on an error it answers a temporary failure so that the
// network delivers it again.
type Sink interface {
	// Receipt reports the delivery result of the part with that provider id.
	Receipt(ctx context.Context, providerID string, d centralita.SMSDelivery, at time.Time) error
	// Inbound reports a received message (Sender, Recipient, Text, MsgID).
	Inbound(ctx context.Context, m *centralita.SMS) error
}

// Transient reports whether a provider error is worth retrying.
func Transient(err error) bool {
	switch centralita.ErrorKind(err) {
	case centralita.EUNAVAILABLE, centralita.ELIMITED:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// Defaults of Config.
const (
	DefaultRate             = 10
	DefaultRetries          = 3
	DefaultBackoff          = 10 * time.Second
	DefaultMaxBackoff       = 10 * time.Minute
	DefaultPollInterval     = time.Second
	DefaultScheduleInterval = time.Minute
	DefaultLease            = 2 * time.Minute
	DefaultSendTimeout      = 30 * time.Second
	// MaxText bounds a message's text in characters (10 full UCS-2 parts… of GSM-7).
	MaxText = 1600
	// MaxRecipients bounds one send request.
	MaxRecipients = 1000
	// Field lengths Send checks, in characters (the MariaDB columns'; SQLite
	// would take more, so both refuse alike).
	MaxSender   = 32
	MaxCampaign = 255
	MaxAgent    = 80
	MaxMsgID    = 64
)

// Config configures an Engine.
type Config struct {
	// Store is the queue; Provider sends. Both are required.
	Store    centralita.SMSService
	Provider Provider
	// Rate is the messages-per-second limit of Send (a request for n
	// recipients counts n; see Engine.Send for requests above one second's
	// worth) and of the worker's sending, which counts parts (a 3-part
	// message takes 3 of the second's Rate); default 10.
	Rate float64
	// Retries is how many times a transient failure is retried; default 3,
	// negative for none. Only attempts that reached the network count: a
	// provider without a link (see Readier, ErrNotConnected) uses none.
	Retries int
	// Backoff is the wait before the first retry, doubled each time up to
	// MaxBackoff; defaults 10 s and 10 min.
	Backoff, MaxBackoff time.Duration
	// PollInterval is how often the worker looks for due rows when not
	// woken; default 1 s. ScheduleInterval is the scheduler's period;
	// default 1 min (shorter only for tests).
	PollInterval, ScheduleInterval time.Duration
	// Lease is how long a claim holds before another engine may take the
	// row over; default 2 min, and at least twice SendTimeout (a shorter
	// one is raised). SendTimeout bounds one attempt, which Close lets
	// finish so that its real outcome is stored; default 30 s.
	Lease, SendTimeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// Engine is the SMS engine; it implements centralita.SMSSender.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	owner string
	limit *bucket       // Send's admission limit, on cfg.Now
	pace  *rate.Limiter // the worker's sending pace in parts, on real time
	wake  chan struct{}

	mu       sync.Mutex
	jobs     centralita.JobList
	receipts map[string]stashed // receipts that came before their parts were stored
	cancel   context.CancelFunc
	runCtx   context.Context
	wg       sync.WaitGroup
	closed   bool
}

// stashed is an early receipt.
type stashed struct {
	d  centralita.SMSDelivery
	at time.Time
}

// maxStash bounds the early receipts kept.
const maxStash = 10000

var _ centralita.SMSSender = (*Engine)(nil)

// New checks cfg and returns an Engine; Start runs it.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Provider == nil {
		return nil, centralita.Errorf(centralita.EINVALID, "sms: a store and a provider are required")
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, centralita.Errorf(centralita.EINVALID, "sms: rate %v: want messages per second above 0", cfg.Rate)
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Backoff, DefaultBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.PollInterval, DefaultPollInterval)
	def(&cfg.ScheduleInterval, DefaultScheduleInterval)
	def(&cfg.Lease, DefaultLease)
	def(&cfg.SendTimeout, DefaultSendTimeout)
	cfg.Lease = max(cfg.Lease, 2*cfg.SendTimeout)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	burst := max(1, int(math.Ceil(cfg.Rate)))
	var b [4]byte
	_, _ = rand.Read(b[:])
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	if len(owner) > 64 {
		owner = owner[len(owner)-64:]
	}
	return &Engine{
		cfg: cfg, log: cfg.Logger, owner: owner,
		limit:    &bucket{rate: cfg.Rate, size: float64(burst), tokens: float64(burst)},
		pace:     rate.NewLimiter(rate.Limit(cfg.Rate), burst),
		wake:     make(chan struct{}, 1),
		receipts: make(map[string]stashed),
		jobs:     centralita.JobList{Max: maxJobs},
	}, nil
}

// Start starts the provider, the worker and the scheduler.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.runCtx != nil {
		e.mu.Unlock()
		return centralita.Errorf(centralita.ECONFLICT, "sms: already started")
	}
	e.runCtx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.mu.Unlock()
	if err := e.cfg.Provider.Start(e.runCtx, e); err != nil {
		e.cancel()
		return fmt.Errorf("sms: start the %s provider: %w", e.cfg.Provider.Name(), err)
	}
	e.spawn(e.workLoop)
	e.spawn(e.scheduleLoop)
	e.log.Info("sms: engine started", "provider", e.cfg.Provider.Name(), "rate", e.cfg.Rate, "retries", e.cfg.Retries)
	return nil
}

// spawn runs fn in a goroutine Close waits for, unless the engine is
// closed (then it reports false). The check and the wg.Add are under the
// lock Close takes to set closed, so no goroutine starts once Close waits.
func (e *Engine) spawn(fn func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.spawnLocked(fn)
}

// spawnLocked is spawn with the lock held.
func (e *Engine) spawnLocked(fn func()) bool {
	if e.closed {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		fn()
	}()
	return true
}

// Close stops the loops and jobs, waits for them (an attempt in flight for
// at most SendTimeout, and its outcome is stored) and closes the provider.
// Claimed rows not yet attempted are released; the messages of an SMS base
// still pending stay PENDING and are sent after the next start.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed || e.cancel == nil {
		e.closed = true
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	return e.cfg.Provider.Close()
}

// number is what a recipient may look like once spaces and dashes are gone.
var number = regexp.MustCompile(`^\+?[0-9]{2,20}$`)

// Recipients splits a recipient list on spaces and commas (soap-apiws.md
// §8.1) and checks each number; dashes, dots and parentheses are dropped.
func Recipients(list ...string) ([]string, error) {
	var out []string
	for _, l := range list {
		for _, f := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' }) {
			n := strings.NewReplacer("-", "", ".", "", "(", "", ")", "").Replace(f)
			if !number.MatchString(n) {
				return nil, centralita.Errorf(centralita.EINVALID, "recipient %q is not a phone number", f)
			}
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, centralita.Errorf(centralita.EINVALID, "no recipient")
	}
	if len(out) > MaxRecipients {
		return nil, centralita.Errorf(centralita.EINVALID, "%d recipients: at most %d per request", len(out), MaxRecipients)
	}
	return out, nil
}

// checkText refuses an empty or too long text.
func checkText(text string) error {
	switch n := len([]rune(text)); {
	case strings.TrimSpace(text) == "":
		return centralita.Errorf(centralita.EINVALID, "empty message")
	case n > MaxText:
		return centralita.Errorf(centralita.EINVALID, "message of %d characters: at most %d", n, MaxText)
	}
	return nil
}

// checkLen refuses a field longer than n characters, or not UTF-8.
func checkLen(field, v string, n int) error {
	if c := utf8.RuneCountInString(v); c > n {
		return centralita.Errorf(centralita.EINVALID, "%s of %d characters: at most %d", field, c, n)
	}
	if !utf8.ValidString(v) {
		return centralita.Errorf(centralita.EINVALID, "%s is not valid UTF-8", field)
	}
	return nil
}

// Send queues r's messages and returns the batch id; see centralita.SMSSender.
// Sender, Campaign, Agent and MsgID are bounded (MaxSender…). The rate
// limit is checked last, after every other check, so a refused request
// costs nothing; drafts are not limited.
//
// The limit is a bucket holding one second's worth of messages (Rate,
// rounded up) that refills at Rate per second. A request for n recipients
// is accepted when the bucket holds n; a request larger than the bucket
// (up to MaxRecipients) is accepted only when the bucket is full, and then
// takes n, leaving a debt that refuses the following requests until it is
// paid back at Rate per second. So over any stretch of time no more than
// Rate messages per second (plus one bucket) are accepted, and a batch
// larger than a second's worth is still possible, when nothing else was
// accepted in the last second.
func (e *Engine) Send(ctx context.Context, r centralita.SMSRequest) (int64, error) {
	rcpts, err := Recipients(r.Recipients...)
	if err != nil {
		return 0, err
	}
	if err := checkText(r.Text); err != nil {
		return 0, err
	}
	for _, f := range []struct {
		name, v string
		n       int
	}{{"sender", r.Sender, MaxSender}, {"campaign", r.Campaign, MaxCampaign}, {"agent", r.Agent, MaxAgent}, {"msgId", r.MsgID, MaxMsgID}} {
		if err := checkLen(f.name, f.v, f.n); err != nil {
			return 0, err
		}
	}
	status := centralita.SMSPending
	if r.Draft {
		status = centralita.SMSDraft
	} else if !e.limit.allow(e.cfg.Now(), len(rcpts)) {
		return 0, centralita.Errorf(centralita.ELIMITED, "more than %v messages per second", e.cfg.Rate)
	}
	ms := make([]*centralita.SMS, len(rcpts))
	for i, n := range rcpts {
		ms[i] = &centralita.SMS{
			MsgID: r.MsgID, Recipient: n, Sender: r.Sender, Text: r.Text, Status: status,
			Priority: centralita.SMSPriorityNormal, Campaign: r.Campaign, Agent: r.Agent,
		}
	}
	if err := e.cfg.Store.CreateSMS(ctx, ms); err != nil {
		return 0, err
	}
	e.poke()
	return ms[0].BatchID, nil
}

// poke wakes the worker.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Status returns the batch's messages.
func (e *Engine) Status(ctx context.Context, batchID int64) ([]*centralita.SMS, error) {
	return e.cfg.Store.FindSMSBatch(ctx, batchID)
}

// List lists messages.
func (e *Engine) List(ctx context.Context, f centralita.SMSFilter) ([]*centralita.SMS, error) {
	return e.cfg.Store.FindSMSList(ctx, f)
}

// Schedule checks s and adds it to the scheduler table.
func (e *Engine) Schedule(ctx context.Context, s *centralita.ScheduledSMS) error {
	rcpts, err := Recipients(s.Destination)
	if err != nil {
		return err
	}
	if len(rcpts) != 1 {
		return centralita.Errorf(centralita.EINVALID, "a scheduled SMS has one destination")
	}
	if err := checkText(s.Message); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		n       int
	}{{"source", s.Source, MaxSender}, {"campaign", s.Campaign, MaxCampaign}, {"agent", s.Agent, MaxAgent}, {"data", s.Data, 1000}} {
		if err := checkLen(f.name, f.v, f.n); err != nil {
			return err
		}
	}
	if s.CallDate.IsZero() {
		return centralita.Errorf(centralita.EINVALID, "calldate required")
	}
	s.Destination = rcpts[0]
	return e.cfg.Store.CreateScheduledSMS(ctx, s)
}

// Receipt records a delivery receipt (Sink). A receipt for a part whose
// message is not stored as sent yet (the SMSC can answer before the
// worker has written the parts) is kept in memory (at most maxStash) and
// applied once it is; it returns nil then. It returns an error only when
// the store failed, so that the SMSC delivers the receipt again.
//
// No lock is held during database I/O: the receipt is stashed first and
// looked up again; the worker takes stashed receipts after storing parts,
// so either the second look-up or the worker finds it (both may: applying
// a receipt twice is harmless).
func (e *Engine) Receipt(ctx context.Context, providerID string, d centralita.SMSDelivery, at time.Time) error {
	m, err := e.cfg.Store.RecordSMSDelivery(ctx, providerID, d, at)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		e.mu.Lock()
		if len(e.receipts) >= maxStash {
			e.mu.Unlock()
			e.log.Warn("sms: receipt for an unknown message dropped (too many kept)", "provider_id", providerID, "delivery", d)
			return nil
		}
		e.receipts[providerID] = stashed{d, at}
		e.mu.Unlock()
		m, err = e.cfg.Store.RecordSMSDelivery(ctx, providerID, d, at)
		if centralita.ErrorKind(err) == centralita.ENOTFOUND {
			e.log.Debug("sms: receipt before its message was stored; kept", "provider_id", providerID, "delivery", d)
			return nil
		}
		e.mu.Lock()
		delete(e.receipts, providerID)
		e.mu.Unlock()
	}
	if err != nil {
		e.log.Warn("sms: delivery receipt not recorded", "provider_id", providerID, "delivery", d, "err", err)
		return err
	}
	e.log.Info("sms: delivery receipt", "id", m.ID, "provider_id", providerID, "delivery", d, "message_delivery", m.Delivery)
	return nil
}

// applyStashed records the early receipts of ids.
func (e *Engine) applyStashed(ctx context.Context, ids []string) {
	e.mu.Lock()
	var found []string
	var rs []stashed
	for _, id := range ids {
		if r, ok := e.receipts[id]; ok {
			found, rs = append(found, id), append(rs, r)
			delete(e.receipts, id)
		}
	}
	e.mu.Unlock()
	for i, id := range found {
		_ = e.Receipt(ctx, id, rs[i].d, rs[i].at)
	}
}

// Inbound stores a received message (Sink); an error means it was not
// stored (and must not be acknowledged).
func (e *Engine) Inbound(ctx context.Context, m *centralita.SMS) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = e.cfg.Now()
	}
	if err := e.cfg.Store.CreateInboundSMS(ctx, m); err != nil {
		e.log.Error("sms: received message not stored; the network is asked to deliver it again", "from", m.Sender, "to", m.Recipient, "err", err)
		return err
	}
	e.log.Info("sms: message received", "id", m.ID, "from", m.Sender, "to", m.Recipient, "chars", len([]rune(m.Text)))
	return nil
}

// bucket is Send's admission limit (see Send): a token bucket whose
// tokens may go below zero after a request larger than it.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	size   float64 // capacity
	tokens float64
	last   time.Time
}

// allow takes n tokens at now if the rule of Send lets it.
func (b *bucket) allow(now time.Time, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.size, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < min(float64(n), b.size) {
		return false
	}
	b.tokens -= float64(n)
	return true
}
