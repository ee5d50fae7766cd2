package recordings_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/recordings"
	"github.com/centralita/centralita/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tone is d of a 440 Hz tone, 8 kHz 16-bit mono, as a WAV file.
func tone(d time.Duration) []byte {
	n := int(d/time.Millisecond) * 16
	b := make([]byte, 44+n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	for i := 0; i < n/2; i++ {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(8000*math.Sin(2*math.Pi*440*float64(i)/8000))))
	}
	return b
}

// fakePBX records into memory: a live recording becomes a stored WAV of
// length[name] (default 3 s) when stopped.
type fakePBX struct {
	mu        sync.Mutex
	live      map[string]string // name → target
	stored    map[string][]byte
	length    map[string]time.Duration
	fetchErrs []error // returned by the next fetches, in order
	fetches   int
	deleted   []string
	refuse    error
	stopErr   error
	// unclosed stores WAVs whose header sizes are 0, as Asterisk's file
	// reads until it is closed; linger keeps a stopped recording live for
	// that many more LiveRecording calls; fetchedLive counts fetches of a
	// recording still live.
	unclosed    bool
	linger      int
	lingering   map[string]int
	fetchedLive int
}

func newFakePBX() *fakePBX {
	return &fakePBX{live: map[string]string{}, stored: map[string][]byte{}, length: map[string]time.Duration{}, lingering: map[string]int{}}
}

func (p *fakePBX) record(target, name, format string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse != nil {
		return p.refuse
	}
	if format != "wav" {
		return errors.New("want wav")
	}
	p.live[name] = target
	return nil
}

func (p *fakePBX) RecordBridge(_ context.Context, id, name, format string) error {
	return p.record("bridge:"+id, name, format)
}

func (p *fakePBX) RecordChannel(_ context.Context, id, name, format string) error {
	return p.record("channel:"+id, name, format)
}

func (p *fakePBX) StopRecording(_ context.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopErr != nil {
		return p.stopErr
	}
	if _, ok := p.live[name]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "not live")
	}
	delete(p.live, name)
	d := p.length[name]
	if d == 0 {
		d = 3 * time.Second
	}
	p.stored[name] = tone(d)
	if p.unclosed {
		binary.LittleEndian.PutUint32(p.stored[name][4:], 0)
		binary.LittleEndian.PutUint32(p.stored[name][40:], 0)
	}
	if p.linger > 0 {
		p.lingering[name] = p.linger
	}
	return nil
}

func (p *fakePBX) LiveRecording(_ context.Context, name string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := p.lingering[name]; n > 0 {
		p.lingering[name] = n - 1
		return true, nil
	}
	_, ok := p.live[name]
	return ok, nil
}

func (p *fakePBX) FetchRecording(_ context.Context, name string, w io.Writer) (int64, error) {
	p.mu.Lock()
	p.fetches++
	if len(p.fetchErrs) > 0 {
		err := p.fetchErrs[0]
		p.fetchErrs = p.fetchErrs[1:]
		p.mu.Unlock()
		return 0, err
	}
	b, ok := p.stored[name]
	if _, live := p.live[name]; live || p.lingering[name] > 0 {
		p.fetchedLive++
	}
	p.mu.Unlock()
	if !ok {
		return 0, centralita.Errorf(centralita.ENOTFOUND, "no recording %s", name)
	}
	n, err := w.Write(b)
	return int64(n), err
}

func (p *fakePBX) DeleteRecording(_ context.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.stored[name]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "no recording %s", name)
	}
	delete(p.stored, name)
	p.deleted = append(p.deleted, name)
	return nil
}

func (p *fakePBX) isLive(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.live[name]
	return ok
}

type harness struct {
	pbx   *fakePBX
	store *store.RecordingService
	dir   string
	loc   *time.Location
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "r.db")})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	return &harness{pbx: newFakePBX(), store: store.NewRecordingService(db), dir: t.TempDir(), loc: time.FixedZone("UYT", -3*3600)}
}

func (h *harness) engine(t *testing.T, mod func(c *recordings.Config)) *recordings.Engine {
	t.Helper()
	cfg := recordings.Config{PBX: h.pbx, Store: h.store, DataDir: h.dir, Location: h.loc, RetryDelay: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	e, err := recordings.New(cfg)
	require.NoError(t, err)
	require.NoError(t, e.Resume(context.Background()))
	t.Cleanup(func() { e.Close() })
	return e
}

func (h *harness) waitState(t *testing.T, guid string, want centralita.RecordingState) *centralita.Recording {
	t.Helper()
	var r *centralita.Recording
	require.Eventually(t, func() bool {
		var err error
		r, err = h.store.FindRecording(context.Background(), guid)
		return err == nil && r.State == want
	}, 15*time.Second, 10*time.Millisecond, "recording %s never %s: %+v", guid, want, r)
	return r
}

// soxSeconds is the length sox reads in an audio file.
func soxSeconds(t *testing.T, path string) float64 {
	t.Helper()
	out, err := exec.Command("sox", "--i", "-D", path).CombinedOutput()
	require.NoError(t, err, string(out))
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	require.NoError(t, err)
	return d
}

func TestRecordStopConvert(t *testing.T) {
	for _, enc := range []string{"sox", "lame"} {
		t.Run(enc, func(t *testing.T) {
			h := newHarness(t)
			e := h.engine(t, func(c *recordings.Config) { c.Encoder = enc })
			ctx := context.Background()
			// 01:30 UTC is still the previous day in Montevideo.
			when := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
			guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "call1-bridge", UniqueID: "call1", CallDate: when,
				Queue: "ventas", Agent: "101", Source: "099123", Destination: "ventas"})
			require.NoError(t, err)
			require.True(t, recordings.ValidGUID(guid))
			require.True(t, h.pbx.isLive(guid))
			r, err := h.store.FindRecording(ctx, guid)
			require.NoError(t, err)
			require.Equal(t, centralita.RecordingActive, r.State)
			h.pbx.mu.Lock()
			h.pbx.length[guid] = 7 * time.Second
			h.pbx.mu.Unlock()

			require.NoError(t, e.Stop(ctx, guid))
			require.NoError(t, e.Stop(ctx, guid), "stopping twice is a no-op")
			require.NoError(t, e.Stop(ctx, "unknown"))
			r = h.waitState(t, guid, centralita.RecordingReady)
			require.Equal(t, "mp3", r.Format)
			require.Equal(t, 7, r.Duration)
			require.Empty(t, r.Error)
			require.Equal(t, "call1", r.UniqueID)
			require.Equal(t, "101", r.Agent)

			mp3 := filepath.Join(h.dir, "records", "20260301", guid+".mp3")
			require.InDelta(t, 7.0, soxSeconds(t, mp3), 0.3)
			// The row is Ready before the WAV goes: removed a moment later.
			gone(t, filepath.Join(h.dir, "records", "20260301", guid+".wav"), "the WAV is removed")
			entries, err := os.ReadDir(filepath.Join(h.dir, "records", "20260301"))
			require.NoError(t, err)
			require.Len(t, entries, 1, "no temporary files left")
			require.Eventually(t, func() bool {
				h.pbx.mu.Lock()
				defer h.pbx.mu.Unlock()
				return len(h.pbx.deleted) == 1
			}, 5*time.Second, 10*time.Millisecond, "Asterisk's copy is deleted")

			f, mod, size, err := e.Open(ctx, guid, "", "mp3")
			require.NoError(t, err)
			defer f.Close()
			require.False(t, mod.IsZero())
			st, _ := os.Stat(mp3)
			require.Equal(t, st.Size(), size)
			f2, _, _, err := e.Open(ctx, guid, "20260301", "")
			require.NoError(t, err)
			f2.Close()
			_, _, _, err = e.Open(ctx, guid, "20260302", "mp3")
			require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "the wrong folder")
			_, _, _, err = e.Open(ctx, guid, "", "wav")
			require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
			require.NoError(t, e.Convert(ctx, guid, ""), "converting an MP3 is a no-op")
			require.Equal(t, recordings.Stats{}, e.Stats())
		})
	}
}

func TestStartChannelAndRefusal(t *testing.T) {
	h := newHarness(t)
	e := h.engine(t, nil)
	ctx := context.Background()
	_, err := e.Start(ctx, centralita.RecordingRequest{UniqueID: "x"})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))

	guid, err := e.Start(ctx, centralita.RecordingRequest{ChannelID: "chan-1", UniqueID: "c"})
	require.NoError(t, err)
	h.pbx.mu.Lock()
	require.Equal(t, "channel:chan-1", h.pbx.live[guid])
	h.pbx.refuse = centralita.Errorf(centralita.ENOTFOUND, "no such bridge")
	h.pbx.mu.Unlock()
	r, err := h.store.FindRecording(ctx, guid)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), r.CallDate, time.Minute, "the call date defaults to now")

	_, err = e.Start(ctx, centralita.RecordingRequest{BridgeID: "gone", UniqueID: "d"})
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	failed, _, err := h.store.FindRecordings(ctx, centralita.RecordingFilter{UniqueID: "d"})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, centralita.RecordingFailed, failed[0].State)
	require.Contains(t, failed[0].Error, "no such bridge")
}

func TestRecoveryAfterCrash(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	when := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	folder := filepath.Join(h.dir, "records", "20260302")
	add := func(guid string, st centralita.RecordingState) {
		require.NoError(t, h.store.CreateRecording(ctx, &centralita.Recording{GUID: guid, UniqueID: "u-" + guid, CallDate: when, Format: "wav", State: st}))
	}
	// A call still being recorded when the server died: Asterisk's recording is live.
	add("active", centralita.RecordingActive)
	h.pbx.live["active"] = "bridge:b1"
	// Stopped, not yet fetched.
	add("stored", centralita.RecordingStored)
	h.pbx.stored["stored"] = tone(2 * time.Second)
	// Fetched (Asterisk's copy deleted already), not converted.
	add("fetched", centralita.RecordingStored)
	require.NoError(t, os.MkdirAll(folder, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(folder, "fetched.wav"), tone(4*time.Second), 0o640))
	// Stored, but Asterisk lost it: failed, not retried forever.
	add("lost", centralita.RecordingStored)
	// Done already.
	add("done", centralita.RecordingReady)

	h.engine(t, nil)
	h.waitState(t, "active", centralita.RecordingReady)
	require.False(t, h.pbx.isLive("active"), "the live recording was stopped")
	require.Equal(t, 2, h.waitState(t, "stored", centralita.RecordingReady).Duration)
	require.Equal(t, 4, h.waitState(t, "fetched", centralita.RecordingReady).Duration)
	lost := h.waitState(t, "lost", centralita.RecordingFailed)
	require.Contains(t, lost.Error, "Asterisk has no recording")
	for _, g := range []string{"active", "stored", "fetched"} {
		_, err := os.Stat(filepath.Join(folder, g+".mp3"))
		require.NoError(t, err, g)
	}
}

func TestFetchRetries(t *testing.T) {
	h := newHarness(t)
	unavailable := centralita.Errorf(centralita.EUNAVAILABLE, "Asterisk is unreachable")
	h.pbx.fetchErrs = []error{unavailable, unavailable}
	e := h.engine(t, nil)
	ctx := context.Background()
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u"})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, guid))
	h.waitState(t, guid, centralita.RecordingReady)
	h.pbx.mu.Lock()
	require.Equal(t, 3, h.pbx.fetches)
	h.pbx.mu.Unlock()

	// Failing for good: stays stored with the error, for the next start.
	h.pbx.mu.Lock()
	for range 10 {
		h.pbx.fetchErrs = append(h.pbx.fetchErrs, unavailable)
	}
	h.pbx.mu.Unlock()
	e2 := h.engine(t, func(c *recordings.Config) { c.Retries = 2 })
	guid, err = e2.Start(ctx, centralita.RecordingRequest{BridgeID: "b2", UniqueID: "u2"})
	require.NoError(t, err)
	require.NoError(t, e2.Stop(ctx, guid))
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		return h.pbx.fetches >= 6
	}, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return e2.Stats() == recordings.Stats{} }, 5*time.Second, 10*time.Millisecond)
	r, err := h.store.FindRecording(ctx, guid)
	require.NoError(t, err)
	require.Equal(t, centralita.RecordingStored, r.State)
	require.Contains(t, r.Error, "unreachable")
}

func TestDelayAndCloseKeepsWork(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	e := h.engine(t, func(c *recordings.Config) { c.Delay = time.Hour })
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u"})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, guid))
	require.NoError(t, e.Close())
	r, err := h.store.FindRecording(ctx, guid)
	require.NoError(t, err)
	require.Equal(t, centralita.RecordingStored, r.State)

	h.engine(t, func(c *recordings.Config) { c.Delay = time.Hour })
	h.waitState(t, guid, centralita.RecordingReady)
}

func TestSharedDir(t *testing.T) {
	h := newHarness(t)
	shared := t.TempDir()
	ctx := context.Background()
	e := h.engine(t, func(c *recordings.Config) { c.SharedDir = shared })
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shared, guid+".wav"), tone(5*time.Second), 0o640))
	require.NoError(t, e.Stop(ctx, guid))
	r := h.waitState(t, guid, centralita.RecordingReady)
	require.Equal(t, 5, r.Duration)
	gone(t, filepath.Join(shared, guid+".wav"), "the shared copy is deleted")
	h.pbx.mu.Lock()
	require.Zero(t, h.pbx.fetches, "nothing fetched over HTTP")
	h.pbx.mu.Unlock()
}

func TestOpenConvertPaths(t *testing.T) {
	h := newHarness(t)
	e := h.engine(t, nil)
	ctx := context.Background()
	root := filepath.Join(h.dir, "records")
	for _, bad := range []struct{ guid, folder, format string }{
		{"../etc/passwd", "", "mp3"}, {"a/b", "", "mp3"}, {"a.b", "", "mp3"}, {"", "", "mp3"},
		{"ok", "../x", "mp3"}, {"ok", "2026030", "mp3"}, {"ok", "", "exe"}, {strings.Repeat("g", 65), "", "mp3"},
	} {
		_, _, _, err := e.Open(ctx, bad.guid, bad.folder, bad.format)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", bad)
		if bad.format == "mp3" {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(e.Convert(ctx, bad.guid, bad.folder)), "%+v", bad)
		}
	}
	// The spec's undated form: records/<guid>.wav, converted on demand.
	require.NoError(t, os.WriteFile(filepath.Join(root, "legacy.wav"), tone(2*time.Second), 0o640))
	f, _, size, err := e.Open(ctx, "legacy", "", "wav")
	require.NoError(t, err)
	f.Close()
	require.Equal(t, int64(44+2000*16), size)
	require.NoError(t, e.Convert(ctx, "legacy", ""))
	require.InDelta(t, 2.0, soxSeconds(t, filepath.Join(root, "legacy.mp3")), 0.3)
	_, err = os.Stat(filepath.Join(root, "legacy.wav"))
	require.ErrorIs(t, err, os.ErrNotExist)
	// A dated GSM file with no index row.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "20250101"), 0o750))
	out, err := exec.Command("sox", "-q", "-n", "-r", "8000", "-c", "1", filepath.Join(root, "20250101", "old.gsm"), "synth", "3", "sine", "440").CombinedOutput()
	require.NoError(t, err, string(out))
	require.NoError(t, e.Convert(ctx, "old", "20250101"))
	require.InDelta(t, 3.0, soxSeconds(t, filepath.Join(root, "20250101", "old.mp3")), 0.3)
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(e.Convert(ctx, "nothing", "20250101")))

	// An indexed recording in WAV (no encoder back then) becomes ready.
	when := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	require.NoError(t, h.store.CreateRecording(ctx, &centralita.Recording{GUID: "kept", CallDate: when, Format: "wav", State: centralita.RecordingFailed}))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "20260302"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(root, "20260302", "kept.wav"), tone(3*time.Second), 0o640))
	require.NoError(t, e.Convert(ctx, "kept", ""))
	r, err := h.store.FindRecording(ctx, "kept")
	require.NoError(t, err)
	require.Equal(t, centralita.RecordingReady, r.State)
	require.Equal(t, 3, r.Duration)
	// A call still being recorded cannot be converted.
	require.NoError(t, h.store.CreateRecording(ctx, &centralita.Recording{GUID: "live", CallDate: when, Format: "wav", State: centralita.RecordingActive}))
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(e.Convert(ctx, "live", "")))
}

func TestRetention(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		guid string
		age  time.Duration
	}{{"old1", 40 * 24 * time.Hour}, {"old2", 31 * 24 * time.Hour}, {"new", 29 * 24 * time.Hour}} {
		rec := &centralita.Recording{GUID: r.guid, CallDate: now.Add(-r.age), Format: "mp3", State: centralita.RecordingReady}
		require.NoError(t, h.store.CreateRecording(ctx, rec))
		dir := filepath.Join(h.dir, "records", rec.Folder(h.loc))
		require.NoError(t, os.MkdirAll(dir, 0o750))
		require.NoError(t, os.WriteFile(filepath.Join(dir, r.guid+".mp3"), []byte("ID3"), 0o640))
	}
	e := h.engine(t, func(c *recordings.Config) {
		c.Retention = 30
		c.Now = func() time.Time { return now }
	})
	require.Eventually(t, func() bool {
		_, n, err := h.store.FindRecordings(ctx, centralita.RecordingFilter{})
		return err == nil && n == 1
	}, 5*time.Second, 10*time.Millisecond, "the retention runs at start")
	left, _, err := h.store.FindRecordings(ctx, centralita.RecordingFilter{})
	require.NoError(t, err)
	require.Equal(t, "new", left[0].GUID)
	entries, err := os.ReadDir(filepath.Join(h.dir, "records"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "the emptied folders are removed")
	require.Zero(t, e.Expire(ctx))
}

func TestNoEncoder(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	h := newHarness(t)
	ctx := context.Background()
	e := h.engine(t, nil)
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u"})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, guid))
	require.Eventually(t, func() bool {
		r, err := h.store.FindRecording(ctx, guid)
		return err == nil && r.State == centralita.RecordingStored && strings.Contains(r.Error, "no MP3 encoder")
	}, 5*time.Second, 10*time.Millisecond)
	f, _, _, err := e.Open(ctx, guid, "", "wav")
	require.NoError(t, err, "the WAV is kept and served")
	f.Close()
	require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(e.Convert(ctx, guid, "")))
}

func TestNewRejects(t *testing.T) {
	h := newHarness(t)
	for name, cfg := range map[string]recordings.Config{
		"no pbx":      {Store: h.store, DataDir: h.dir},
		"no store":    {PBX: h.pbx, DataDir: h.dir},
		"no dir":      {PBX: h.pbx, Store: h.store},
		"retention":   {PBX: h.pbx, Store: h.store, DataDir: h.dir, Retention: -1},
		"bad encoder": {PBX: h.pbx, Store: h.store, DataDir: h.dir, Encoder: "ffmpeg"},
	} {
		_, err := recordings.New(cfg)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), name)
	}
}

// gone waits until path does not exist: a recording is marked Ready before
// its source files are removed, so that nothing is deleted before the MP3
// is recorded as durable.
func gone(t *testing.T, path, what string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, os.ErrNotExist)
	}, 5*time.Second, 5*time.Millisecond, what)
}
