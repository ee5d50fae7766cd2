// Package recordings records calls through Asterisk and keeps their audio:
// it starts and stops ARI recordings of bridges (or channels), brings each
// finished file from Asterisk into <data-dir>/records/YYYYMMDD/<guid>.wav,
// converts it to MP3 with sox or lame, indexes it with the call, and deletes
// recordings older than the retention.
//
// # Life of a recording
//
// Start indexes the recording in RecordingActive and asks Asterisk to record
// (the Asterisk recording's name is the GUID, format wav, overwriting). Stop
// stops it, marks it RecordingStored and queues a job. A bounded pool of
// Workers runs the jobs: wait until Asterisk no longer lists the recording
// as live (it has closed the file), fetch Asterisk's file (HTTP, or from
// SharedDir when Asterisk's recording folder is mounted locally) to a
// temporary name, repair its WAV header if Asterisk had not written it yet,
// fsync and rename it to <guid>.wav in the call's dated folder (CallDate's
// date in Location), convert it to <guid>.mp3 the same way, check that the
// MP3 lasts as long as the WAV, remove the WAV and Asterisk's copy, and
// mark the recording RecordingReady with its duration. A recording is
// worked on by one goroutine at a time (a worker or an on-demand Convert),
// and at most Workers encoders run at once. Every step leaves the files and the index so that a
// crash anywhere is picked up by the next Start: recordings still in
// RecordingActive (their call ended with the server; a live Asterisk
// recording is stopped first) or RecordingStored are queued again, and a
// WAV already fetched is not fetched again.
//
// A fetch that fails for a reason that may pass (Asterisk unreachable) is
// retried with backoff a few times; after that the recording stays in
// RecordingStored with Error set and the sweep (every SweepEvery) tries
// again. The sweep also picks up recordings left in RecordingActive for
// longer than SweepAge whose Asterisk recording is no longer live (a Stop
// lost to an outage, a Start whose answer never came), and removes
// temporary files a hard kill left behind. A conversion that fails (the
// encoder failed or timed out, the MP3 is shorter than the WAV) keeps the
// WAV and the recording in RecordingStored with Error for the sweep,
// ConvertAttempts times in all, then RecordingFailed. A recording Asterisk
// does not have is RecordingFailed. Without an MP3
// encoder (neither sox with MP3 support nor lame is installed) files are
// still fetched, recordings stay in RecordingStored in WAV with Error
// saying so, and the next Start with an encoder converts them.
package recordings

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// PBX is what the engine needs of Asterisk; an *ari.Client implements it.
type PBX interface {
	// RecordBridge and RecordChannel start recording a bridge or a channel
	// to the stored recording name in format, overwriting one that exists.
	RecordBridge(ctx context.Context, bridgeID, name, format string) error
	RecordChannel(ctx context.Context, channelID, name, format string) error
	// StopRecording stops a live recording, keeping its file; ENOTFOUND
	// when it is not live (anymore).
	StopRecording(ctx context.Context, name string) error
	// FetchRecording copies a stored recording's file to w; ENOTFOUND when
	// Asterisk has no such recording.
	FetchRecording(ctx context.Context, name string, w io.Writer) (int64, error)
	// DeleteRecording deletes a stored recording; ENOTFOUND when absent.
	DeleteRecording(ctx context.Context, name string) error
	// LiveRecording reports whether Asterisk still lists name as a live
	// recording (it closes the file, and writes the WAV header, only once
	// the live recording is gone).
	LiveRecording(ctx context.Context, name string) (bool, error)
}

// Config configures an Engine.
type Config struct {
	// PBX is Asterisk; Store the recordings index. Both are required.
	PBX   PBX
	Store centralita.RecordingService
	// DataDir is the data folder; files go to DataDir/records. Required.
	DataDir string
	// SharedDir, when set, is Asterisk's recording folder (usually
	// /var/spool/asterisk/recording) mounted locally: files are copied from
	// SharedDir/<guid>.<format> instead of fetched over HTTP.
	SharedDir string
	// Workers bounds how many recordings are fetched and converted at once; default 2.
	Workers int
	// Retention deletes recordings (files and index) whose call is older
	// than this many days, every hour and at Start; 0 keeps them forever.
	Retention int
	// Delay is how long after Stop a recording's file is fetched;
	// recordings picked up again at Start are fetched at once. Default 0:
	// the fetch waits for Asterisk to close the file anyway (LiveWait).
	Delay time.Duration
	// LiveWait is how long a fetch waits for Asterisk's live recording to
	// end (polling it), stops it again and waits as long once more; a
	// recording still live then is retried later. Default 10 s.
	LiveWait time.Duration
	// SweepEvery is how often unfinished recordings are looked for (see the
	// package doc); default 5 min. SweepAge is how long a recording must
	// have been left in RecordingActive or RecordingStored before the sweep
	// takes it; default 5 min.
	SweepEvery, SweepAge time.Duration
	// ConvertAttempts is how many times a recording's conversion is tried
	// (once per sweep) before it is RecordingFailed; default 3.
	ConvertAttempts int
	// Encoder is "sox" or "lame" to force one; empty probes: sox when it
	// can write MP3, else lame.
	Encoder string
	// Location dates the folders; default time.Local.
	Location *time.Location
	// Now is the clock; default time.Now.
	Now func() time.Time
	// RequestTimeout bounds each PBX and store request (a fetch's transfer
	// has its own, longer bound); default 10 s.
	RequestTimeout time.Duration
	// ConvertTimeout bounds one conversion; default 10 min.
	ConvertTimeout time.Duration
	// Retries is how many times a failing fetch is retried before waiting
	// for the next Start; default 4, backoff starting at RetryDelay (default 1 s), doubling.
	Retries    int
	RetryDelay time.Duration
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
}

// Engine records calls and keeps their files. It implements
// centralita.Recorder and centralita.RecordingFiles.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	root    string // DataDir/records
	enc     encoder
	encErr  error
	runCtx  context.Context
	stopRun context.CancelFunc

	// sem bounds the encoders running at once (workers and Convert).
	sem chan struct{}

	mu       sync.Mutex
	cond     *sync.Cond
	closed   bool
	queue    []job
	queued   map[string]bool // guids queued (or waiting for their delay) or being worked on
	inFlight int
	// busy holds the guids a worker or Convert is working on; the channel
	// is closed when it is done.
	busy map[string]chan struct{}
	// convFails counts a recording's failed conversions in this run.
	convFails map[string]int
	timers    map[*time.Timer]struct{}
	work      sync.WaitGroup
}

// job is one recording to bring home and convert; attempt counts retries.
type job struct {
	guid    string
	attempt int
}

var (
	_ centralita.Recorder       = (*Engine)(nil)
	_ centralita.RecordingFiles = (*Engine)(nil)
)

// New returns an engine; Resume it before use.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.PBX == nil || cfg.Store == nil:
		return nil, centralita.Errorf(centralita.EINVALID, "recordings: PBX and Store are required")
	case cfg.DataDir == "":
		return nil, centralita.Errorf(centralita.EINVALID, "recordings: a data folder is required")
	case cfg.Retention < 0:
		return nil, centralita.Errorf(centralita.EINVALID, "recordings: retention must not be negative")
	case cfg.Encoder != "" && cfg.Encoder != "sox" && cfg.Encoder != "lame":
		return nil, centralita.Errorf(centralita.EINVALID, "recordings: encoder must be sox or lame, not %q", cfg.Encoder)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.ConvertTimeout <= 0 {
		cfg.ConvertTimeout = 10 * time.Minute
	}
	if cfg.LiveWait <= 0 {
		cfg.LiveWait = 10 * time.Second
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 5 * time.Minute
	}
	if cfg.SweepAge <= 0 {
		cfg.SweepAge = 5 * time.Minute
	}
	if cfg.ConvertAttempts <= 0 {
		cfg.ConvertAttempts = 3
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 4
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{
		cfg: cfg, log: cfg.Logger, root: filepath.Join(cfg.DataDir, "records"),
		queued: map[string]bool{}, timers: map[*time.Timer]struct{}{},
		busy: map[string]chan struct{}{}, convFails: map[string]int{}, sem: make(chan struct{}, cfg.Workers),
	}
	e.cond = sync.NewCond(&e.mu)
	e.runCtx, e.stopRun = context.WithCancel(context.Background())
	return e, nil
}

// Resume starts the engine (Start is the Recorder's): it probes the MP3
// encoder, queues the recordings a previous run left unfinished and starts
// the workers and the retention. Call it before the engines that record.
func (e *Engine) Resume(ctx context.Context) error {
	if err := os.MkdirAll(e.root, 0o750); err != nil {
		return centralita.WrapError(centralita.EINTERNAL, err, "recordings: cannot create %s", e.root)
	}
	e.enc, e.encErr = probeEncoder(ctx, e.cfg.Encoder)
	if e.encErr != nil {
		e.log.Error("recordings: no MP3 encoder; recordings are kept in WAV until one is installed", "err", e.encErr)
	} else {
		e.log.Info("recordings: MP3 encoder", "encoder", e.enc.name, "path", e.enc.path)
	}
	left, _, err := e.cfg.Store.FindRecordings(ctx, centralita.RecordingFilter{
		States: []centralita.RecordingState{centralita.RecordingActive, centralita.RecordingStored},
	})
	if err != nil {
		return err
	}
	for _, r := range left {
		e.enqueue(job{guid: r.GUID}, 0)
	}
	if len(left) > 0 {
		e.log.Info("recordings: picking up recordings a previous run left unfinished", "count", len(left))
	}
	for range e.cfg.Workers {
		e.work.Add(1)
		go e.worker()
	}
	if e.cfg.Retention > 0 {
		e.work.Add(1)
		go e.retentionLoop()
	}
	e.work.Add(1)
	go e.sweepLoop()
	return nil
}

// Close stops the workers (a job cut short is picked up by the next Resume)
// and waits for them.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for t := range e.timers {
		t.Stop()
	}
	clear(e.timers)
	e.cond.Broadcast()
	e.mu.Unlock()
	e.stopRun()
	e.work.Wait()
	return nil
}

// Stats is the work in the pool: jobs waiting and jobs being worked on.
type Stats struct {
	Queued, InFlight int
}

// Stats returns the pool's queue length and in-flight count.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{Queued: len(e.queue), InFlight: e.inFlight}
}

// guidPattern is what a GUID may look like: it names files and Asterisk
// recordings, so no separators or dots.
var guidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidGUID reports whether guid is a safe recording name.
func ValidGUID(guid string) bool { return guidPattern.MatchString(guid) }

// newGUID returns a random UUID-shaped GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Start indexes a new recording of req.BridgeID (or, when empty,
// req.ChannelID) and asks Asterisk to record it; it returns the GUID. When
// Asterisk refuses (ENOTFOUND, EINVALID, ECONFLICT) the recording is marked
// RecordingFailed and the error returned. Any other failure (a timeout,
// Asterisk unreachable) may have started the recording all the same: it
// stays RecordingActive with Error set, the error is returned, and the
// sweep fetches whatever Asterisk recorded once it is no longer live.
// CallDate defaults to now.
func (e *Engine) Start(ctx context.Context, req centralita.RecordingRequest) (string, error) {
	if req.BridgeID == "" && req.ChannelID == "" {
		return "", centralita.Errorf(centralita.EINVALID, "record: a bridge or channel is required")
	}
	if req.CallDate.IsZero() {
		req.CallDate = e.cfg.Now()
	}
	r := &centralita.Recording{
		GUID: newGUID(), UniqueID: req.UniqueID, CallDate: req.CallDate, Queue: req.Queue, Campaign: req.Campaign,
		Agent: req.Agent, Source: req.Source, Destination: req.Destination, Format: "wav", State: centralita.RecordingActive,
	}
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Store.CreateRecording(ctx, r) }); err != nil {
		return "", err
	}
	err := e.pbxCall(ctx, func(ctx context.Context) error {
		if req.BridgeID != "" {
			return e.cfg.PBX.RecordBridge(ctx, req.BridgeID, r.GUID, r.Format)
		}
		return e.cfg.PBX.RecordChannel(ctx, req.ChannelID, r.GUID, r.Format)
	})
	if err != nil {
		switch centralita.ErrorKind(err) {
		case centralita.ENOTFOUND, centralita.EINVALID, centralita.ECONFLICT:
			r.State, r.Error = centralita.RecordingFailed, "Asterisk did not record: "+centralita.ErrorMessage(err)
		default:
			r.Error = "starting the recording: " + centralita.ErrorMessage(err)
		}
		e.save(r)
		return "", err
	}
	e.log.Info("recordings: recording", "guid", r.GUID, "uniqueid", r.UniqueID, "bridge", req.BridgeID, "channel", req.ChannelID)
	return r.GUID, nil
}

// Stop ends the recording guid and queues its file to be fetched and
// converted. An unknown recording, or one not in RecordingActive, is a no-op.
func (e *Engine) Stop(ctx context.Context, guid string) error {
	if !ValidGUID(guid) {
		return nil
	}
	var r *centralita.Recording
	err := e.storeCall(ctx, func(ctx context.Context) (err error) {
		r, err = e.cfg.Store.FindRecording(ctx, guid)
		return err
	})
	switch {
	case centralita.ErrorKind(err) == centralita.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case r.State != centralita.RecordingActive:
		return nil
	}
	if err := e.stopLive(ctx, guid); err != nil {
		// Left in RecordingActive: the next Start stops and fetches it.
		return err
	}
	r.State = centralita.RecordingStored
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Store.UpdateRecording(ctx, r) }); err != nil {
		return err
	}
	e.enqueue(job{guid: guid}, e.cfg.Delay)
	return nil
}

// stopLive stops Asterisk's live recording; one that already ended (its
// bridge was destroyed) is fine.
func (e *Engine) stopLive(ctx context.Context, guid string) error {
	err := e.pbxCall(ctx, func(ctx context.Context) error { return e.cfg.PBX.StopRecording(ctx, guid) })
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
		return err
	}
	return nil
}

// pbxCall runs fn under RequestTimeout, ended early by Close.
func (e *Engine) pbxCall(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	stop := context.AfterFunc(e.runCtx, cancel)
	defer stop()
	return fn(ctx)
}

// storeCall is pbxCall for the store.
func (e *Engine) storeCall(ctx context.Context, fn func(ctx context.Context) error) error {
	return e.pbxCall(ctx, fn)
}

// save writes r's state, logging a failure (the next Start repairs it).
func (e *Engine) save(r *centralita.Recording) {
	err := e.storeCall(context.WithoutCancel(e.runCtx), func(ctx context.Context) error { return e.cfg.Store.UpdateRecording(ctx, r) })
	if err != nil {
		e.log.Error("recordings: saving a recording's state failed", "guid", r.GUID, "state", r.State, "err", err)
	}
}
