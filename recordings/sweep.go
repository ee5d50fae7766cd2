package recordings

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// staleParts is how old a temporary ".<name>.*.part" file must be before
// the sweep deletes it: none is written for that long (a fetch is bounded
// to ten minutes, a conversion to ConvertTimeout's default).
const staleParts = time.Hour

// sweepLoop runs Sweep every SweepEvery, and removes stale temporary files
// at start and every hour, until Close.
func (e *Engine) sweepLoop() {
	defer e.work.Done()
	t := time.NewTicker(e.cfg.SweepEvery)
	defer t.Stop()
	e.RemoveStaleParts()
	lastParts := time.Now()
	for {
		select {
		case <-e.runCtx.Done():
			return
		case <-t.C:
		}
		e.Sweep(e.runCtx)
		if time.Since(lastParts) >= staleParts {
			e.RemoveStaleParts()
			lastParts = time.Now()
		}
	}
}

// Sweep queues the recordings a run left behind without waiting for the
// next start, and returns how many it queued: recordings in
// RecordingActive unchanged for SweepAge (on the engine's clock) whose
// Asterisk recording is no longer live (their Stop was lost, or their
// Start timed out), and recordings in RecordingStored unchanged for
// SweepAge that are not queued or being worked on (a fetch that ran out of
// retries, a conversion that failed). Recordings kept in WAV for want of an
// encoder are left alone.
func (e *Engine) Sweep(ctx context.Context) int {
	const pageSize = 500
	cutoff := e.cfg.Now().Add(-e.cfg.SweepAge)
	queued := 0
	for offset := 0; ctx.Err() == nil; offset += pageSize {
		var page []*centralita.Recording
		err := e.storeCall(ctx, func(ctx context.Context) (err error) {
			page, _, err = e.cfg.Store.FindRecordings(ctx, centralita.RecordingFilter{Offset: offset, Limit: pageSize,
				States: []centralita.RecordingState{centralita.RecordingActive, centralita.RecordingStored}})
			return err
		})
		if err != nil {
			e.log.Warn("recordings: the sweep could not list recordings", "err", err)
			break
		}
		for _, r := range page {
			if r.UpdatedAt.After(cutoff) || e.pending(r.GUID) {
				continue
			}
			if r.State == centralita.RecordingStored && e.encErr != nil && r.Error == e.encErr.Error() {
				continue
			}
			if r.State == centralita.RecordingActive {
				var live bool
				err := e.pbxCall(ctx, func(ctx context.Context) (err error) {
					live, err = e.cfg.PBX.LiveRecording(ctx, r.GUID)
					return err
				})
				if err != nil || live {
					continue
				}
			}
			e.enqueue(job{guid: r.GUID}, 0)
			queued++
		}
		if len(page) < pageSize {
			break
		}
	}
	if queued > 0 {
		e.log.Info("recordings: the sweep picked up unfinished recordings", "count", queued)
	}
	return queued
}

// RemoveStaleParts deletes the temporary ".<name>.*.part" files older than
// an hour that a hard kill left in the records folder and its dated
// folders, and returns how many it deleted.
func (e *Engine) RemoveStaleParts() int {
	removed := 0
	old := time.Now().Add(-staleParts)
	_ = filepath.WalkDir(e.root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir():
			if path != e.root && !folderPattern.MatchString(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		case !strings.HasPrefix(d.Name(), ".") || !strings.HasSuffix(d.Name(), ".part"):
			return nil
		}
		if info, err := d.Info(); err != nil || !info.Mode().IsRegular() || info.ModTime().After(old) {
			return nil
		}
		if err := os.Remove(path); err == nil {
			removed++
		}
		return nil
	})
	if removed > 0 {
		e.log.Info("recordings: removed temporary files left by a previous run", "count", removed)
	}
	return removed
}
