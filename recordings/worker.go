package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/centralita/centralita"
)

// enqueue queues j after delay; a GUID already queued is not queued twice.
func (e *Engine) enqueue(j job, delay time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	if delay <= 0 {
		e.push(j)
		return
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.timers[t]; !ok {
			return
		}
		delete(e.timers, t)
		e.push(j)
	})
	e.timers[t] = struct{}{}
}

// push adds j to the queue; the lock is held.
func (e *Engine) push(j job) {
	if e.closed || e.queued[j.guid] {
		return
	}
	e.queued[j.guid] = true
	e.queue = append(e.queue, j)
	e.cond.Signal()
}

// worker runs queued jobs until Close.
func (e *Engine) worker() {
	defer e.work.Done()
	for {
		e.mu.Lock()
		for len(e.queue) == 0 && !e.closed {
			e.cond.Wait()
		}
		if e.closed {
			e.mu.Unlock()
			return
		}
		j := e.queue[0]
		e.queue = e.queue[1:]
		e.inFlight++
		e.mu.Unlock()

		retry := e.process(j)

		e.mu.Lock()
		e.inFlight--
		delete(e.queued, j.guid)
		closed := e.closed
		e.mu.Unlock()
		if retry && !closed {
			if j.attempt >= e.cfg.Retries {
				e.log.Error("recordings: giving up until the next start", "guid", j.guid, "attempts", j.attempt+1)
				continue
			}
			e.enqueue(job{guid: j.guid, attempt: j.attempt + 1}, e.cfg.RetryDelay<<j.attempt)
		}
	}
}

// errTransient marks a failure worth retrying.
var errTransient = errors.New("transient")

// process brings one recording home and converts it; it reports whether to
// retry later.
func (e *Engine) process(j job) (retry bool) {
	ctx := e.runCtx
	var r *centralita.Recording
	err := e.storeCall(ctx, func(ctx context.Context) (err error) {
		r, err = e.cfg.Store.FindRecording(ctx, j.guid)
		return err
	})
	if err != nil {
		if centralita.ErrorKind(err) == centralita.ENOTFOUND || ctx.Err() != nil {
			return false
		}
		e.log.Warn("recordings: reading a recording failed", "guid", j.guid, "err", err)
		return true
	}
	if r.State == centralita.RecordingReady || r.State == centralita.RecordingFailed {
		return false
	}
	start := time.Now()
	err = e.bring(ctx, r)
	switch {
	case ctx.Err() != nil:
		return false // Close: the next Resume picks it up
	case errors.Is(err, errTransient):
		r.Error = err.Error()
		e.save(r)
		e.log.Warn("recordings: fetching a recording failed; retrying", "guid", r.GUID, "attempt", j.attempt+1, "err", err)
		return true
	case err != nil:
		r.State, r.Error = centralita.RecordingFailed, err.Error()
		e.save(r)
		e.log.Error("recordings: recording lost", "guid", r.GUID, "uniqueid", r.UniqueID, "err", err)
		return false
	}
	if e.encErr != nil {
		r.Error = e.encErr.Error()
		e.save(r)
		return false
	}
	if err := e.convert(ctx, r); err != nil {
		if ctx.Err() != nil {
			return false
		}
		r.State, r.Error = centralita.RecordingFailed, "conversion to MP3 failed: "+err.Error()
		e.save(r)
		e.log.Error("recordings: conversion failed; the source file is kept", "guid", r.GUID, "err", err)
		return false
	}
	e.log.Info("recordings: recording ready", "guid", r.GUID, "uniqueid", r.UniqueID, "duration", r.Duration,
		"took", time.Since(start).Round(time.Millisecond), "queued", e.Stats().Queued)
	return false
}

// bring makes sure r's file is in its dated folder in r.Format: a file
// there already is kept, otherwise Asterisk's live recording is stopped (r
// is still RecordingActive after a crash) and its file fetched.
func (e *Engine) bring(ctx context.Context, r *centralita.Recording) error {
	dir := filepath.Join(e.root, r.Folder(e.cfg.Location))
	dst := filepath.Join(dir, r.GUID+"."+r.Format)
	if _, err := os.Stat(dst); err == nil {
		return e.markStored(ctx, r)
	}
	if r.State == centralita.RecordingActive {
		if err := e.stopLive(ctx, r.GUID); err != nil {
			return fmt.Errorf("%w: stopping the live recording: %w", errTransient, err)
		}
		if err := e.markStored(ctx, r); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	err := writeAtomic(dst, func(w io.Writer) error {
		if e.cfg.SharedDir != "" {
			return copyShared(filepath.Join(e.cfg.SharedDir, r.GUID+"."+r.Format), w)
		}
		_, err := e.cfg.PBX.FetchRecording(ctx, r.GUID, w)
		return err
	})
	switch {
	case err == nil:
	case centralita.ErrorKind(err) == centralita.ENOTFOUND || errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("Asterisk has no recording %s: %w", r.GUID, err)
	default:
		return fmt.Errorf("%w: %w", errTransient, err)
	}
	return e.markStored(ctx, r)
}

// markStored records that the call's audio left the live state.
func (e *Engine) markStored(ctx context.Context, r *centralita.Recording) error {
	if r.State == centralita.RecordingStored && r.Error == "" {
		return nil
	}
	r.State, r.Error = centralita.RecordingStored, ""
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Store.UpdateRecording(ctx, r) }); err != nil {
		return fmt.Errorf("%w: %w", errTransient, err)
	}
	return nil
}

// copyShared copies Asterisk's file from the shared folder.
func copyShared(src string, w io.Writer) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// writeAtomic writes path through fill into a temporary file in the same
// folder, fsyncs it, renames it to path and fsyncs the folder, so path is
// either absent or complete whatever happens.
func writeAtomic(path string, fill func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a folder so a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
