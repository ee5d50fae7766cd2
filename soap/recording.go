package soap

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// Defaults of RecordingsConfig.
const (
	// DefaultMaxRecordingBytes bounds the MP3 recordingPbx will send: 32 MiB
	// of MP3 is over two hours at 32 kbit/s, and 43 MiB once in Base64.
	DefaultMaxRecordingBytes = 32 << 20
	// DefaultRecordingConvertTimeout bounds an on-demand conversion.
	DefaultRecordingConvertTimeout = 2 * time.Minute
	// DefaultMaxConcurrentRecordings bounds the recordingPbx answers built
	// at once: each holds up to MaxBytes of MP3 plus its Base64 (about
	// 2.3 × MaxBytes, 75 MiB at the default cap), so 4 bound them to about
	// 300 MiB.
	DefaultMaxConcurrentRecordings = 4
)

// RecordingsConfig is what recordingPbx uses (soap-apiws.md §6.7).
type RecordingsConfig struct {
	// Recordings finds a call's recordings by uniqueid.
	Recordings centralita.RecordingService
	// Files opens the MP3, and converts a recording stored only as WAV or
	// GSM before it is sent.
	Files centralita.RecordingFiles
	// CDRs, when set, makes a call with a CDR (uniqueid or linkedid) but no
	// recording answer status 0 rather than -1; without it only calls with
	// a recording row count as known.
	CDRs CDRFinder
	// MaxBytes bounds the MP3 read into the answer; a larger recording
	// answers status 0 and is logged. Default DefaultMaxRecordingBytes.
	MaxBytes int64
	// ConvertTimeout bounds a conversion run for the request (within the
	// request's own context). Default DefaultRecordingConvertTimeout.
	ConvertTimeout time.Duration
	// MaxConcurrent bounds the answers carrying audio built at once (memory:
	// each holds the MP3 and its Base64); a request beyond it waits for a
	// slot, within its own context. Default DefaultMaxConcurrentRecordings.
	MaxConcurrent int
	// Logger receives why a known call had no recording to send; default
	// the Server's logger.
	Logger *slog.Logger
}

// RegisterRecordings serves recordingPbx. It fails with EINVALID when
// Recordings or Files is nil or recordingPbx is registered already.
//
// The answer's status (§6.7): 1 with the MP3 in Base64 when the call has a
// recording; 0 when the uniqueid is a known call (a recording row, or a CDR
// through CDRs) with no MP3 to send (still recording, failed, missing file,
// conversion failed, or larger than MaxBytes); -1 for a bad key or an
// unknown (or empty) uniqueid. An originateCall's originatedID finds the
// recording of its source leg ("<originatedID>-src", the uniqueid cdrData
// gives). Of several recordings of one call the
// latest ready one is sent; when none is ready, the latest one stored in
// another format (WAV, GSM) is converted first, within the request.
// At most MaxConcurrent answers carrying audio are built at once; further
// requests wait for one to finish (within their own context), so that
// recordingPbx's memory stays bounded by about MaxConcurrent × 2.3 × MaxBytes.
func (s *Server) RegisterRecordings(cfg RecordingsConfig) error {
	if cfg.Recordings == nil || cfg.Files == nil {
		return centralita.Errorf(centralita.EINVALID, "soap: RegisterRecordings needs Recordings and Files")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxRecordingBytes
	}
	if cfg.ConvertTimeout <= 0 {
		cfg.ConvertTimeout = DefaultRecordingConvertTimeout
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrentRecordings
	}
	if cfg.Logger == nil {
		cfg.Logger = s.log
	}
	s.mu.RLock()
	_, dup := s.routes["recordingPbx"]
	s.mu.RUnlock()
	if dup {
		return centralita.Errorf(centralita.EINVALID, "soap: operation recordingPbx is registered already")
	}
	r := &recordingOps{cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent)}
	s.Handle("recordingPbx", r.recordingPbx)
	return nil
}

// recordingOps implements recordingPbx; slots bounds the answers with
// audio built at once.
type recordingOps struct {
	cfg   RecordingsConfig
	slots chan struct{}
}

// recordingsPerCall bounds the recordings of one uniqueid looked at.
const recordingsPerCall = 100

// recordingPbx answers §6.7 (see RegisterRecordings).
func (o *recordingOps) recordingPbx(ctx context.Context, req *Request) (any, error) {
	uid := strings.TrimSpace(req.Param("uniqueId"))
	if uid == "" {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "no uniqueId given")
	}
	f := centralita.RecordingFilter{UniqueID: uid, Limit: recordingsPerCall}
	recs, total, err := o.cfg.Recordings.FindRecordings(ctx, f)
	if err != nil {
		return nil, err
	}
	if total > len(recs) && total > recordingsPerCall {
		// The latest ones are last (ordered by CallDate, then ID).
		f.Offset = total - recordingsPerCall
		if recs, _, err = o.cfg.Recordings.FindRecordings(ctx, f); err != nil {
			return nil, err
		}
	}
	if len(recs) == 0 {
		// originateCall's originatedID: the recording is the source leg's.
		f.UniqueID = centralita.SourceLegID(uid)
		if recs, _, err = o.cfg.Recordings.FindRecordings(ctx, f); err != nil {
			return nil, err
		}
	}
	if len(recs) == 0 {
		known, err := o.knownCall(ctx, uid)
		if err != nil {
			return nil, err
		}
		if !known {
			return nil, centralita.Errorf(centralita.ENOTFOUND, "no call %q", uid)
		}
		return renderRecording(req, 0), nil
	}
	// The audio and its Base64 are what cost memory: bounded by slots.
	select {
	case o.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, ctx.Err(), "recordingPbx: too many recordings being sent")
	}
	defer func() { <-o.slots }()
	audio, err := o.mp3(ctx, recs)
	if err != nil {
		o.cfg.Logger.WarnContext(ctx, "soap: recordingPbx: no recording to send", "uniqueid", uid, "err", err)
		return renderRecording(req, 0), nil
	}
	var b strings.Builder
	b.Grow(base64.StdEncoding.EncodedLen(len(audio)) + 200)
	b.WriteString(xml.Header)
	b.WriteString(`<record><recording status="1" uniqueid="`)
	_ = xml.EscapeText(&b, []byte(req.Param("uniqueId")))
	b.WriteString(`" encoding="base64">`)
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	_, _ = enc.Write(audio)
	_ = enc.Close()
	b.WriteString(`</recording></record>`)
	return b.String(), nil
}

// knownCall reports whether a CDR names uid as its uniqueid or linkedid.
func (o *recordingOps) knownCall(ctx context.Context, uid string) (bool, error) {
	if o.cfg.CDRs == nil {
		return false, nil
	}
	for _, f := range []centralita.CDRFilter{{UniqueID: uid, Limit: 1}, {LinkedID: uid, Limit: 1}} {
		cdrs, err := o.cfg.CDRs.FindCDRs(ctx, f)
		if err != nil {
			return false, err
		}
		if len(cdrs) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// mp3 returns the MP3 of the latest ready recording of recs (ordered
// oldest first), or converts the latest one stored in another format; an
// error says why there is none.
func (o *recordingOps) mp3(ctx context.Context, recs []*centralita.Recording) ([]byte, error) {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].State == centralita.RecordingReady {
			return o.read(ctx, recs[i].GUID)
		}
	}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.State == centralita.RecordingActive || r.Format == "" || r.Format == "mp3" {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, o.cfg.ConvertTimeout)
		err := o.cfg.Files.Convert(cctx, r.GUID, "")
		cancel()
		if err != nil {
			return nil, fmt.Errorf("convert %s from %s: %w", r.GUID, r.Format, err)
		}
		return o.read(ctx, r.GUID)
	}
	return nil, fmt.Errorf("none of the call's %d recordings is ready or convertible (latest %s: %s)",
		len(recs), recs[len(recs)-1].GUID, recs[len(recs)-1].State)
}

// read returns the MP3 of recording guid, at most MaxBytes of it.
func (o *recordingOps) read(ctx context.Context, guid string) ([]byte, error) {
	f, _, size, err := o.cfg.Files.Open(ctx, guid, "", "mp3")
	if err != nil {
		return nil, fmt.Errorf("open %s.mp3: %w", guid, err)
	}
	defer f.Close()
	if size > o.cfg.MaxBytes {
		return nil, fmt.Errorf("%s.mp3 has %d bytes, above the limit of %d", guid, size, o.cfg.MaxBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, o.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s.mp3: %w", guid, err)
	}
	if int64(len(b)) > o.cfg.MaxBytes {
		return nil, fmt.Errorf("%s.mp3 grew above the limit of %d bytes", guid, o.cfg.MaxBytes)
	}
	return b, nil
}
