// Package originate runs eXpand-style click-to-call jobs: ring the source for
// the job's timeout, and when it answers dial the destination and bridge the
// two, following the job through eXpand's status codes 1 to 7.
package originate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// Config configures an Engine.
type Config struct {
	// PBX is the telephony the jobs run on.
	PBX centralita.PBX
	// Store persists jobs so a restart keeps their outcome.
	Store centralita.OriginationService
	// CDRs, when set, settle a job whose end was missed (a restart or an
	// event gap) from the CDR the PBX wrote for its legs.
	CDRs CDRFinder
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Retention is how long a finished job's status is still answered; after
	// that the job is unknown (0). Default 60 s (soap-apiws.md §6.1 proposal).
	Retention time.Duration
	// DefaultTimeout is the ring time when a request gives none; default 30 s.
	DefaultTimeout time.Duration
	// MaxTimeout bounds the ring time a request may ask for; default 300 s.
	MaxTimeout time.Duration
	// ExtensionPattern tells internal extensions from outside numbers;
	// default 2 to 5 digits.
	ExtensionPattern *regexp.Regexp
	// ExtensionEndpoint and ExternalEndpoint are fmt templates of the endpoint
	// dialled for an extension and for an outside number; defaults
	// "PJSIP/%s" and "PJSIP/%s@trunk".
	ExtensionEndpoint, ExternalEndpoint string
	// RequestTimeout bounds each PBX request; default 5 s.
	RequestTimeout time.Duration
	// RetryInterval is how often failed job writes are retried; default 2 s.
	RetryInterval time.Duration
	// Recorder, when set, records the bridged calls whose callinfo holds
	// record=1 (centralita.AsksRecording); nil = no recording.
	Recorder centralita.Recorder
}

// CDRFinder reads CDRs; the engine uses it to settle jobs whose end it missed.
type CDRFinder interface {
	FindCDRs(ctx context.Context, filter centralita.CDRFilter) ([]*centralita.CDR, error)
}

// Engine runs origination jobs. The source leg presents "srcCallerID" <src>
// (so its CDR names the originating party), the destination leg
// "dstCallerID" <src>; both carry callinfo in CDR(userfield).
type Engine struct {
	cfg Config

	mu   sync.Mutex
	jobs map[string]*job // open jobs by id
	legs map[string]*job // open jobs by channel id
	// unsaved holds jobs whose last write failed, retried every RetryInterval.
	unsaved map[string]centralita.Origination

	work     sync.WaitGroup // PBX requests in flight
	events   <-chan centralita.ChannelEvent
	unsub    func()
	done     chan struct{}
	stopLoop context.CancelFunc
}

// job is an open origination and what the engine knows of its legs.
type job struct {
	o            centralita.Origination
	srcUp, dstUp bool // entered our application (answered)
	srcGone      bool
	dstGone      bool
	dstDialed    bool
	bridged      bool
	cancelled    bool
	recording    string // GUID of the call's recording, while it runs
}

var _ centralita.CallOriginator = (*Engine)(nil)

// New returns an engine; Start it before originating.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 60 * time.Second
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 30 * time.Second
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = 300 * time.Second
	}
	if cfg.ExtensionPattern == nil {
		cfg.ExtensionPattern = regexp.MustCompile(`^[0-9]{2,5}$`)
	}
	if cfg.ExtensionEndpoint == "" {
		cfg.ExtensionEndpoint = "PJSIP/%s"
	}
	if cfg.ExternalEndpoint == "" {
		cfg.ExternalEndpoint = "PJSIP/%s@trunk"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 2 * time.Second
	}
	return &Engine{cfg: cfg, jobs: map[string]*job{}, legs: map[string]*job{}, unsaved: map[string]centralita.Origination{}}
}

// Start subscribes to channel events, takes back the jobs a previous run left
// open, and processes events until Close.
func (e *Engine) Start(ctx context.Context) error {
	e.events, e.unsub = e.cfg.PBX.Subscribe()
	if err := e.recover(ctx); err != nil {
		e.unsub()
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopLoop, e.done = cancel, make(chan struct{})
	go e.loop(loopCtx)
	return nil
}

// Close stops processing events. Calls in progress keep their state in the
// store and are taken back by the next Start.
func (e *Engine) Close() {
	if e.stopLoop == nil {
		return
	}
	e.stopLoop()
	e.unsub()
	<-e.done
	e.work.Wait()
}

func (e *Engine) loop(ctx context.Context) {
	defer close(e.done)
	retry := time.NewTicker(e.cfg.RetryInterval)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
			e.retryUnsaved(ctx)
		case ev, ok := <-e.events:
			if !ok {
				return
			}
			e.handle(ctx, ev)
		}
	}
}

// Originate starts a job and returns it with status RINGING, or OFFHOOK when
// the source extension is already in use.
func (e *Engine) Originate(ctx context.Context, r centralita.OriginationRequest) (*centralita.Origination, error) {
	if err := e.validate(&r); err != nil {
		return nil, err
	}
	id := newID()
	now := e.cfg.Now()
	j := &job{o: centralita.Origination{
		ID: id, Src: r.Src, SrcCallerID: r.SrcCallerID, Dst: r.Dst, DstCallerID: r.DstCallerID,
		TimeoutSec: int(r.Timeout / time.Second), CallInfo: r.CallInfo, KeyID: r.KeyID,
		Status: centralita.OriginationRinging, SrcChannel: centralita.SourceLegID(id), CreatedAt: now,
	}}
	if e.srcInUse(ctx, r.Src) {
		j.o.Status, j.o.EndedAt = centralita.OriginationOffhook, &now
		if err := e.cfg.Store.CreateOrigination(ctx, &j.o); err != nil {
			return nil, err
		}
		o := j.o
		return &o, nil
	}
	// Persist first: a job accepted is never lost.
	if err := e.cfg.Store.CreateOrigination(ctx, &j.o); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.jobs[id], e.legs[j.o.SrcChannel] = j, j
	e.mu.Unlock()

	err := e.pbx(ctx, func(ctx context.Context) error {
		return e.cfg.PBX.Originate(ctx, centralita.OriginateRequest{
			ChannelID: j.o.SrcChannel, Endpoint: e.endpoint(r.Src),
			CallerIDName: r.SrcCallerID, CallerIDNumber: r.Src, Timeout: r.Timeout,
			AppArgs: []string{"originate", id, "src"}, Variables: cdrVars(r.CallInfo),
		})
	})
	if err != nil && !e.channelExists(ctx, j.o.SrcChannel) {
		e.cfg.Logger.Warn("originate: source could not be dialled", "job", id, "src", r.Src, "err", err)
		e.mu.Lock()
		e.finish(ctx, j, centralita.OriginationCongestion, 0)
		j.srcGone = true
		e.forget(j)
		e.mu.Unlock()
	}
	e.mu.Lock()
	o := j.o
	e.mu.Unlock()
	return &o, nil
}

func (e *Engine) validate(r *centralita.OriginationRequest) error {
	for _, f := range []struct{ name, v string }{{"src", r.Src}, {"dst", r.Dst}} {
		if !dialable.MatchString(f.v) {
			return centralita.Errorf(centralita.EINVALID, "%s %q: want an extension or number of 1 to 40 digits, *, # or a leading +", f.name, f.v)
		}
	}
	if r.Timeout < 0 || r.Timeout > e.cfg.MaxTimeout {
		return centralita.Errorf(centralita.EINVALID, "timeout %v: want 1 to %d seconds", r.Timeout, int(e.cfg.MaxTimeout/time.Second))
	}
	if r.Timeout == 0 {
		r.Timeout = e.cfg.DefaultTimeout
	}
	if len(r.CallInfo) > 255 || len(r.SrcCallerID) > 80 || len(r.DstCallerID) > 80 {
		return centralita.Errorf(centralita.EINVALID, "callinfo is limited to 255 characters and caller ids to 80")
	}
	return nil
}

var dialable = regexp.MustCompile(`^\+?[0-9*#]{1,40}$`)

// endpoint is what the PBX dials for an extension or an outside number.
func (e *Engine) endpoint(number string) string {
	if e.cfg.ExtensionPattern.MatchString(number) {
		return fmt.Sprintf(e.cfg.ExtensionEndpoint, number)
	}
	return fmt.Sprintf(e.cfg.ExternalEndpoint, number)
}

// srcInUse reports whether the source is an extension that is busy already:
// a call on its endpoint, or a device state of in use, busy or on hold (a
// phone off-hook), so that 7 OFFHOOK is reached without ringing it.
func (e *Engine) srcInUse(ctx context.Context, src string) bool {
	if !e.cfg.ExtensionPattern.MatchString(src) {
		return false
	}
	name := e.endpoint(src)
	var ep centralita.EndpointInfo
	var state string
	err := e.pbx(ctx, func(ctx context.Context) (err error) {
		if ep, err = e.cfg.PBX.Endpoint(ctx, name); err != nil || len(ep.ChannelIDs) > 0 {
			return err
		}
		state, err = e.cfg.PBX.DeviceState(ctx, name)
		return err
	})
	if err != nil {
		return false // not knowable: ring it, and a busy answer still gives OFFHOOK
	}
	switch state {
	case "INUSE", "BUSY", "RINGINUSE", "ONHOLD":
		return true
	}
	return len(ep.ChannelIDs) > 0
}

func (e *Engine) channelExists(ctx context.Context, id string) bool {
	var chans []centralita.ChannelInfo
	if err := e.pbx(ctx, func(ctx context.Context) (err error) { chans, err = e.cfg.PBX.ListChannels(ctx); return err }); err != nil {
		return false
	}
	for _, c := range chans {
		if c.ID == id {
			return true
		}
	}
	return false
}

// pbx runs one PBX request under the request timeout.
func (e *Engine) pbx(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	return fn(ctx)
}

// OriginationStatus returns a job's status: its live status while it runs and for
// Retention after it ends, then OriginationUnknown.
func (e *Engine) OriginationStatus(ctx context.Context, id string) (centralita.OriginationStatus, error) {
	e.mu.Lock()
	j, ok := e.jobs[id]
	var st centralita.OriginationStatus
	if ok {
		st = j.o.Status
	}
	e.mu.Unlock()
	if ok {
		return st, nil
	}
	e.mu.Lock()
	u, ok := e.unsaved[id]
	e.mu.Unlock()
	o := &u
	var err error
	if !ok {
		o, err = e.cfg.Store.FindOrigination(ctx, id)
	}
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		return centralita.OriginationUnknown, nil
	} else if err != nil {
		return centralita.OriginationUnknown, err
	}
	if o.EndedAt != nil && e.cfg.Now().Sub(*o.EndedAt) > e.cfg.Retention {
		return centralita.OriginationUnknown, nil
	}
	return o.Status, nil
}

// CancelOrigination ends a job that is ringing or talking; ENOTFOUND when the job is
// unknown or already over.
func (e *Engine) CancelOrigination(ctx context.Context, id string) error {
	e.mu.Lock()
	j, ok := e.jobs[id]
	if !ok || j.o.Status.Final() {
		e.mu.Unlock()
		return centralita.Errorf(centralita.ENOTFOUND, "origination %q is not in progress", id)
	}
	j.cancelled = true
	legs := []string{j.o.SrcChannel}
	if j.dstDialed {
		legs = append(legs, j.o.DstChannel)
	}
	e.finish(ctx, j, centralita.OriginationHungup, centralita.CauseNormalClearing)
	e.mu.Unlock()
	for _, ch := range legs {
		e.hangup(ctx, ch)
	}
	return nil
}

func (e *Engine) hangup(ctx context.Context, channelID string) {
	err := e.pbx(ctx, func(ctx context.Context) error { return e.cfg.PBX.Hangup(ctx, channelID, "normal") })
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
		e.cfg.Logger.Warn("originate: hangup failed", "channel", channelID, "err", err)
	}
}

func cdrVars(callinfo string) map[string]string {
	if callinfo == "" {
		return nil
	}
	return map[string]string{"CDR(userfield)": callinfo}
}

// newID returns a 16-hex-character job id.
func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
