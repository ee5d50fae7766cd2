package recordings_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/recordings"
)

// A WAV fetched before Asterisk closed it says it holds no audio: the
// engine waits for the live recording to end, repairs the header, and the
// MP3 lasts as long as the call.
func TestUnclosedWAVHeader(t *testing.T) {
	for _, enc := range []string{"sox", "lame"} {
		t.Run(enc, func(t *testing.T) {
			h := newHarness(t)
			h.pbx.unclosed, h.pbx.linger = true, 3
			e := h.engine(t, func(c *recordings.Config) { c.Encoder = enc; c.LiveWait = time.Second })
			ctx := context.Background()
			when := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
			guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u", CallDate: when})
			require.NoError(t, err)
			h.pbx.mu.Lock()
			h.pbx.length[guid] = 7 * time.Second
			h.pbx.mu.Unlock()
			require.NoError(t, e.Stop(ctx, guid))
			r := h.waitState(t, guid, centralita.RecordingReady)
			require.Equal(t, 7, r.Duration)
			require.InDelta(t, 7.0, soxSeconds(t, filepath.Join(h.dir, "records", "20260302", guid+".mp3")), 0.3)
			h.pbx.mu.Lock()
			defer h.pbx.mu.Unlock()
			require.Zero(t, h.pbx.fetchedLive, "fetched only once Asterisk's recording was gone")
		})
	}
}

// fakeSox puts a "sox" in PATH that runs script (a shell fragment; $out is
// the output file, $log a log file) instead of converting, and returns the
// log's path.
func fakeSox(t *testing.T, script string) string {
	t.Helper()
	bin := t.TempDir()
	log := filepath.Join(bin, "log")
	body := `#!/bin/sh
if [ "$1" = "-h" ]; then exec /usr/bin/sox "$@"; fi
log=` + log + `
lock=` + filepath.Join(bin, "lock") + `
for a; do out=$a; done
` + script + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "sox"), []byte(body), 0o755))
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return log
}

// An MP3 shorter than its WAV is not trusted: the WAV and Asterisk's copy
// are kept, the recording stays stored with the error for the sweep, and
// after ConvertAttempts failures it is failed.
func TestShortMP3KeepsWAV(t *testing.T) {
	fakeSox(t, `/usr/bin/sox -q -n -r 8000 -c 1 -t mp3 -C 16 "$out" synth 0.5 sine 440`)
	h := newHarness(t)
	var later atomic.Bool
	e := h.engine(t, func(c *recordings.Config) {
		c.Encoder = "sox"
		c.ConvertAttempts = 2
		c.Now = func() time.Time {
			if later.Load() {
				return time.Now().Add(time.Hour)
			}
			return time.Now()
		}
	})
	ctx := context.Background()
	when := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u", CallDate: when})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, guid))
	require.Eventually(t, func() bool {
		r, err := h.store.FindRecording(ctx, guid)
		return err == nil && r.State == centralita.RecordingStored && strings.Contains(r.Error, "attempt 1 of 2")
	}, 10*time.Second, 10*time.Millisecond)
	r, _ := h.store.FindRecording(ctx, guid)
	require.Contains(t, r.Error, "the MP3 lasts")
	folder := filepath.Join(h.dir, "records", "20260302")
	_, err = os.Stat(filepath.Join(folder, guid+".wav"))
	require.NoError(t, err, "the WAV is kept")
	_, err = os.Stat(filepath.Join(folder, guid+".mp3"))
	require.ErrorIs(t, err, os.ErrNotExist, "the short MP3 is not kept")
	h.pbx.mu.Lock()
	require.Empty(t, h.pbx.deleted, "Asterisk's copy is kept")
	h.pbx.mu.Unlock()

	require.Zero(t, e.Sweep(ctx), "too recent for the sweep")
	later.Store(true)
	require.Eventually(t, func() bool { return e.Stats() == recordings.Stats{} }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 1, e.Sweep(ctx))
	r = h.waitState(t, guid, centralita.RecordingFailed)
	require.Contains(t, r.Error, "failed 2 times")
	_, err = os.Stat(filepath.Join(folder, guid+".wav"))
	require.NoError(t, err, "the WAV is still kept")
}

// An on-demand Convert of a recording a worker is converting waits for it
// and finds the MP3; the recording ends ready, converted once.
func TestConvertWaitsForWorker(t *testing.T) {
	log := fakeSox(t, `echo run >> "$log"; sleep 0.3; exec /usr/bin/sox "$@"`)
	h := newHarness(t)
	e := h.engine(t, func(c *recordings.Config) { c.Encoder = "sox" })
	ctx := context.Background()
	when := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u", CallDate: when})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, guid))
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(log)
		return len(b) > 0
	}, 10*time.Second, 5*time.Millisecond, "the worker is converting")
	require.NoError(t, e.Convert(ctx, guid, ""))
	r := h.waitState(t, guid, centralita.RecordingReady)
	require.Empty(t, r.Error)
	require.Eventually(t, func() bool { return e.Stats() == recordings.Stats{} }, 5*time.Second, 10*time.Millisecond)
	r, err = h.store.FindRecording(ctx, guid)
	require.NoError(t, err)
	require.Equal(t, centralita.RecordingReady, r.State)
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, "run\n", string(b), "converted once")
}

// On-demand conversions share the workers' bound on encoders.
func TestConvertsAreBounded(t *testing.T) {
	log := fakeSox(t, `echo run >> "$log"; mkdir "$lock" 2>/dev/null || echo overlap >> "$log"; sleep 0.2; /usr/bin/sox "$@"; rc=$?; rmdir "$lock" 2>/dev/null; exit $rc`)
	h := newHarness(t)
	e := h.engine(t, func(c *recordings.Config) { c.Encoder = "sox"; c.Workers = 1 })
	ctx := context.Background()
	root := filepath.Join(h.dir, "records")
	var wg sync.WaitGroup
	for _, g := range []string{"a", "b", "c"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, g+".wav"), tone(time.Second), 0o640))
		wg.Go(func() { require.NoError(t, e.Convert(ctx, g, "")) })
	}
	guid, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "u"})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, guid))
	wg.Wait()
	h.waitState(t, guid, centralita.RecordingReady)
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("run\n", 4), string(b), "one encoder at a time")
}

// A Stop lost to an outage, or a fetch that ran out of retries, is picked
// up by the sweep once old enough, not at the next start.
func TestSweepPicksUpStuckRecordings(t *testing.T) {
	h := newHarness(t)
	var offset atomic.Int64
	e := h.engine(t, func(c *recordings.Config) {
		c.Retries = 1
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	ctx := context.Background()
	unavailable := centralita.Errorf(centralita.EUNAVAILABLE, "Asterisk is unreachable")

	// Stop fails: the recording stays active.
	active, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b1", UniqueID: "u1"})
	require.NoError(t, err)
	h.pbx.mu.Lock()
	h.pbx.stopErr = unavailable
	h.pbx.mu.Unlock()
	require.Error(t, e.Stop(ctx, active))
	// The fetch fails beyond its retries: the recording stays stored.
	h.pbx.mu.Lock()
	h.pbx.stopErr = nil
	h.pbx.fetchErrs = []error{unavailable, unavailable}
	h.pbx.mu.Unlock()
	stored, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b2", UniqueID: "u2"})
	require.NoError(t, err)
	require.NoError(t, e.Stop(ctx, stored))
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		return h.pbx.fetches == 2
	}, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return e.Stats() == recordings.Stats{} }, 5*time.Second, 10*time.Millisecond)
	r, err := h.store.FindRecording(ctx, stored)
	require.NoError(t, err)
	require.Equal(t, centralita.RecordingStored, r.State)

	require.Zero(t, e.Sweep(ctx), "too recent")
	offset.Store(int64(10 * time.Minute))
	require.Equal(t, 1, e.Sweep(ctx), "the active one is still live: only the stored one")
	h.waitState(t, stored, centralita.RecordingReady)

	// The call's bridge went away: Asterisk's recording ended by itself.
	h.pbx.mu.Lock()
	delete(h.pbx.live, active)
	h.pbx.stored[active] = tone(2 * time.Second)
	h.pbx.mu.Unlock()
	require.Equal(t, 1, e.Sweep(ctx))
	require.Equal(t, 2, h.waitState(t, active, centralita.RecordingReady).Duration)
}

// A Start that times out may have started recording: it stays active for
// the sweep; a definite refusal is failed.
func TestStartTimeoutStaysActive(t *testing.T) {
	h := newHarness(t)
	e := h.engine(t, nil)
	ctx := context.Background()
	h.pbx.mu.Lock()
	h.pbx.refuse = centralita.Errorf(centralita.EUNAVAILABLE, "timed out")
	h.pbx.mu.Unlock()
	_, err := e.Start(ctx, centralita.RecordingRequest{BridgeID: "b", UniqueID: "slow"})
	require.Error(t, err)
	rs, _, err := h.store.FindRecordings(ctx, centralita.RecordingFilter{UniqueID: "slow"})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, centralita.RecordingActive, rs[0].State)
	require.Contains(t, rs[0].Error, "timed out")
}

// The retention leaves recordings still on their way alone, and stale
// temporary files are removed.
func TestRetentionSkipsUnfinishedAndStaleParts(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	now := time.Now()
	old := now.AddDate(0, 0, -40)
	dir := filepath.Join(h.dir, "records", now.In(h.loc).Format("20060102"))
	require.NoError(t, os.MkdirAll(dir, 0o750))
	stale, fresh := filepath.Join(dir, ".x.wav.123.part"), filepath.Join(dir, ".y.wav.456.part")
	require.NoError(t, os.WriteFile(stale, nil, 0o640))
	require.NoError(t, os.WriteFile(fresh, nil, 0o640))
	require.NoError(t, os.Chtimes(stale, now.Add(-2*time.Hour), now.Add(-2*time.Hour)))

	e := h.engine(t, func(c *recordings.Config) { c.Retention = 30 })
	require.Eventually(t, func() bool {
		_, err := os.Stat(stale)
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the stale temporary file is removed at start")
	_, err := os.Stat(fresh)
	require.NoError(t, err, "a recent temporary file is left")
	require.Zero(t, e.RemoveStaleParts())

	// Created after the start, so that no worker takes the stored one.
	require.NoError(t, h.store.CreateRecording(ctx, &centralita.Recording{GUID: "oldready", CallDate: old, Format: "mp3", State: centralita.RecordingReady}))
	require.NoError(t, h.store.CreateRecording(ctx, &centralita.Recording{GUID: "oldstored", CallDate: old, Format: "wav", State: centralita.RecordingStored}))
	require.Equal(t, 1, e.Expire(ctx))
	_, err = h.store.FindRecording(ctx, "oldstored")
	require.NoError(t, err, "a stored recording is not expired")
	_, err = h.store.FindRecording(ctx, "oldready")
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
}
