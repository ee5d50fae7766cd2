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

// enqueue queues j after delay; a GUID already queued (or waiting for its
// delay, or being worked on) is not queued twice.
func (e *Engine) enqueue(j job, delay time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.queued[j.guid] {
		return
	}
	e.queued[j.guid] = true
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

// push adds j, marked queued already, to the queue; the lock is held.
func (e *Engine) push(j job) {
	if e.closed {
		return
	}
	e.queue = append(e.queue, j)
	e.cond.Signal()
}

// pending reports whether guid is queued, waiting or being worked on.
func (e *Engine) pending(guid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, busy := e.busy[guid]
	return e.queued[guid] || busy
}

// claim makes the caller the only one working on guid, waiting (within
// ctx) while a worker or a Convert is; release ends it.
func (e *Engine) claim(ctx context.Context, guid string) (release func(), err error) {
	for {
		release, wait := e.tryClaim(guid)
		if release != nil {
			return release, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryClaim claims guid, or returns what to wait on when someone has it.
func (e *Engine) tryClaim(guid string) (release func(), wait <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ch, ok := e.busy[guid]; ok {
		return nil, ch
	}
	ch := make(chan struct{})
	e.busy[guid] = ch
	return func() {
		e.mu.Lock()
		delete(e.busy, guid)
		e.mu.Unlock()
		close(ch)
	}, nil
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

		res := e.process(j)

		e.mu.Lock()
		e.inFlight--
		delete(e.queued, j.guid)
		closed := e.closed
		e.mu.Unlock()
		switch {
		case closed:
		case res == resBusy:
			// A Convert has it: look again once it is likely done.
			e.enqueue(j, e.cfg.RetryDelay)
		case res == resRetry:
			if j.attempt >= e.cfg.Retries {
				e.log.Error("recordings: giving up until the next sweep", "guid", j.guid, "attempts", j.attempt+1)
				continue
			}
			e.enqueue(job{guid: j.guid, attempt: j.attempt + 1}, e.cfg.RetryDelay<<j.attempt)
		}
	}
}

// result is what became of a job.
type result int

const (
	resDone  result = iota // finished, or nothing more to do now
	resRetry               // failed for a reason that may pass: retry with backoff
	resBusy                // someone else is working on the recording
)

// errTransient marks a failure worth retrying.
var errTransient = errors.New("transient")

// process brings one recording home and converts it.
func (e *Engine) process(j job) result {
	release, _ := e.tryClaim(j.guid)
	if release == nil {
		return resBusy
	}
	defer release()
	ctx := e.runCtx
	var r *centralita.Recording
	err := e.storeCall(ctx, func(ctx context.Context) (err error) {
		r, err = e.cfg.Store.FindRecording(ctx, j.guid)
		return err
	})
	if err != nil {
		if centralita.ErrorKind(err) == centralita.ENOTFOUND || ctx.Err() != nil {
			return resDone
		}
		e.log.Warn("recordings: reading a recording failed", "guid", j.guid, "err", err)
		return resRetry
	}
	if r.State == centralita.RecordingReady || r.State == centralita.RecordingFailed {
		return resDone
	}
	if e.finishedMP3(ctx, r) {
		return resDone
	}
	start := time.Now()
	err = e.bring(ctx, r)
	switch {
	case ctx.Err() != nil:
		return resDone // Close: the next Resume picks it up
	case errors.Is(err, errTransient):
		e.fail(r, centralita.RecordingStored, err.Error())
		e.log.Warn("recordings: fetching a recording failed; retrying", "guid", r.GUID, "attempt", j.attempt+1, "err", err)
		return resRetry
	case err != nil:
		e.fail(r, centralita.RecordingFailed, err.Error())
		e.log.Error("recordings: recording lost", "guid", r.GUID, "uniqueid", r.UniqueID, "err", err)
		return resDone
	}
	if e.encErr != nil {
		e.fail(r, centralita.RecordingStored, e.encErr.Error())
		return resDone
	}
	if err := e.convert(ctx, r); err != nil {
		if ctx.Err() != nil {
			return resDone
		}
		e.mu.Lock()
		e.convFails[r.GUID]++
		n := e.convFails[r.GUID]
		if n >= e.cfg.ConvertAttempts {
			delete(e.convFails, r.GUID)
		}
		e.mu.Unlock()
		if n >= e.cfg.ConvertAttempts {
			e.fail(r, centralita.RecordingFailed, fmt.Sprintf("conversion to MP3 failed %d times: %v", n, err))
			e.log.Error("recordings: conversion failed for good; the source file is kept", "guid", r.GUID, "err", err)
		} else {
			e.fail(r, centralita.RecordingStored, fmt.Sprintf("conversion to MP3 failed (attempt %d of %d): %v", n, e.cfg.ConvertAttempts, err))
			e.log.Warn("recordings: conversion failed; the source file is kept and the sweep retries", "guid", r.GUID, "err", err)
		}
		return resDone
	}
	e.mu.Lock()
	delete(e.convFails, r.GUID)
	e.mu.Unlock()
	e.log.Info("recordings: recording ready", "guid", r.GUID, "uniqueid", r.UniqueID, "duration", r.Duration,
		"took", time.Since(start).Round(time.Millisecond), "queued", e.Stats().Queued)
	return resDone
}

// finishedMP3 marks r RecordingReady when its MP3 is in its folder and its
// source file is not (it was converted, and the index not updated, by a
// run cut short); it reports whether it did.
func (e *Engine) finishedMP3(ctx context.Context, r *centralita.Recording) bool {
	dir := filepath.Join(e.root, r.Folder(e.cfg.Location))
	mp3 := filepath.Join(dir, r.GUID+".mp3")
	if _, err := os.Stat(mp3); err != nil || r.Format == "mp3" {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, r.GUID+"."+r.Format)); err == nil {
		return false
	}
	secs, err := mp3Length(mp3)
	if err != nil {
		return false
	}
	r.State, r.Format, r.Duration, r.Error = centralita.RecordingReady, "mp3", int(secs+0.5), ""
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Store.UpdateRecording(ctx, r) }); err != nil {
		e.log.Warn("recordings: marking a converted recording ready failed", "guid", r.GUID, "err", err)
	}
	return true
}

// fail saves state and msg on the recording r, read afresh so that a
// recording another goroutine made ready is left alone, and r updated.
func (e *Engine) fail(r *centralita.Recording, state centralita.RecordingState, msg string) {
	var fresh *centralita.Recording
	err := e.storeCall(context.WithoutCancel(e.runCtx), func(ctx context.Context) (err error) {
		fresh, err = e.cfg.Store.FindRecording(ctx, r.GUID)
		return err
	})
	if err == nil {
		if fresh.State == centralita.RecordingReady {
			*r = *fresh
			return
		}
		if fresh.State == state && fresh.Error == msg {
			return
		}
		r = fresh
	}
	r.State, r.Error = state, msg
	e.save(r)
}

// bring makes sure r's file is in its dated folder in r.Format: a file
// there already is kept, otherwise Asterisk's live recording is stopped (r
// is still RecordingActive after a crash), its end awaited and its file
// fetched.
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
	if err := e.waitClosed(ctx, r.GUID); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	err := writeAtomic(dst, func(w io.Writer) error {
		var err error
		if e.cfg.SharedDir != "" {
			err = copyShared(filepath.Join(e.cfg.SharedDir, r.GUID+"."+r.Format), w)
		} else {
			_, err = e.cfg.PBX.FetchRecording(ctx, r.GUID, w)
		}
		if err == nil && r.Format == "wav" {
			if fixed, ferr := fixWAVHeader(w.(*os.File)); ferr != nil {
				e.log.Warn("recordings: Asterisk's file is not a WAV", "guid", r.GUID, "err", ferr)
			} else if fixed {
				e.log.Warn("recordings: repaired the header of a WAV Asterisk had not closed", "guid", r.GUID)
			}
		}
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

// waitClosed waits until Asterisk no longer lists guid as a live recording
// (so its file is closed and its header written): up to LiveWait, then it
// stops the recording again and waits as long once more. A recording still
// live, or Asterisk not answering, is a transient error.
func (e *Engine) waitClosed(ctx context.Context, guid string) error {
	poll := min(max(e.cfg.LiveWait/50, 10*time.Millisecond), 250*time.Millisecond)
	for round := 0; ; round++ {
		deadline := time.Now().Add(e.cfg.LiveWait)
		for {
			var live bool
			err := e.pbxCall(ctx, func(ctx context.Context) (err error) {
				live, err = e.cfg.PBX.LiveRecording(ctx, guid)
				return err
			})
			switch {
			case err != nil:
				return fmt.Errorf("%w: asking Asterisk whether it still records: %w", errTransient, err)
			case !live:
				return nil
			case time.Now().After(deadline):
			default:
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(poll):
				}
				continue
			}
			break
		}
		if round == 1 {
			return fmt.Errorf("%w: Asterisk is still recording %s", errTransient, guid)
		}
		if err := e.stopLive(ctx, guid); err != nil {
			return fmt.Errorf("%w: stopping the live recording: %w", errTransient, err)
		}
	}
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
