package recordings

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/centralita/centralita"
)

// folderPattern is a dated folder's name.
var folderPattern = regexp.MustCompile(`^[0-9]{8}$`)

// checkName validates a GUID, a folder ("" or YYYYMMDD) and, when not
// empty, a format, so that no path built from them leaves the records folder.
func checkName(guid, folder, format string) error {
	switch {
	case !ValidGUID(guid):
		return centralita.Errorf(centralita.EINVALID, "invalid recording guid %q", guid)
	case folder != "" && !folderPattern.MatchString(folder):
		return centralita.Errorf(centralita.EINVALID, "invalid recording folder %q: want YYYYMMDD", folder)
	}
	switch format {
	case "", "mp3", "wav", "gsm":
		return nil
	}
	return centralita.Errorf(centralita.EINVALID, "invalid recording format %q: want mp3, wav or gsm", format)
}

// candidates are the paths a recording's file may have, in order: the
// dated folder asked for or indexed, then the undated records/<guid>.<ext>.
func (e *Engine) candidates(ctx context.Context, guid, folder, format string) []string {
	var out []string
	if folder == "" {
		var r *centralita.Recording
		err := e.storeCall(ctx, func(ctx context.Context) (err error) {
			r, err = e.cfg.Store.FindRecording(ctx, guid)
			return err
		})
		if err == nil {
			folder = r.Folder(e.cfg.Location)
		}
	}
	if folder != "" {
		out = append(out, filepath.Join(e.root, folder, guid+"."+format))
	}
	return append(out, filepath.Join(e.root, guid+"."+format))
}

// Open returns the recording's file in format ("mp3", "wav" or "gsm"), its
// modification time and size. folder, when given, is the dated folder to
// look in; otherwise the index says which. A file directly in records/
// (the spec's undated form) is found too. ENOTFOUND when there is none.
func (e *Engine) Open(ctx context.Context, guid, folder, format string) (io.ReadSeekCloser, time.Time, int64, error) {
	if format == "" {
		format = "mp3"
	}
	if err := checkName(guid, folder, format); err != nil {
		return nil, time.Time{}, 0, err
	}
	for _, p := range e.candidates(ctx, guid, folder, format) {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			f.Close()
			continue
		}
		return f, st.ModTime(), st.Size(), nil
	}
	return nil, time.Time{}, 0, centralita.Errorf(centralita.ENOTFOUND, "recording %s has no %s file", guid, format)
}

// Convert makes the MP3 of a recording whose WAV or GSM file is in its
// folder (or records/) now, and marks an indexed recording RecordingReady;
// one that has its MP3 already is a no-op. ENOTFOUND when there is no file
// to convert; EUNAVAILABLE when no MP3 encoder is installed. It waits
// (within ctx) while a worker works on the same recording, and for an
// encoder slot (at most Workers encoders run at once).
func (e *Engine) Convert(ctx context.Context, guid, folder string) error {
	if err := checkName(guid, folder, ""); err != nil {
		return err
	}
	release, err := e.claim(ctx, guid)
	if err != nil {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "recording %s is being converted", guid)
	}
	defer release()
	var r *centralita.Recording
	err = e.storeCall(ctx, func(ctx context.Context) (err error) {
		r, err = e.cfg.Store.FindRecording(ctx, guid)
		return err
	})
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
		return err
	}
	if r != nil && r.State == centralita.RecordingActive {
		return centralita.Errorf(centralita.ECONFLICT, "recording %s: the call is still being recorded", guid)
	}
	for _, mp3 := range e.candidates(ctx, guid, folder, "mp3") {
		if _, err := os.Stat(mp3); err == nil {
			return nil
		}
	}
	if e.encErr != nil {
		return centralita.WrapError(centralita.EUNAVAILABLE, e.encErr, "cannot convert recording %s", guid)
	}
	for _, format := range []string{"wav", "gsm"} {
		for _, src := range e.candidates(ctx, guid, folder, format) {
			if _, err := os.Stat(src); err != nil {
				continue
			}
			if r != nil && r.Format == format && filepath.Dir(src) == filepath.Join(e.root, r.Folder(e.cfg.Location)) {
				return e.convert(ctx, r)
			}
			dst := src[:len(src)-len(format)] + "mp3"
			if _, err := e.encodeFile(ctx, src, dst); err != nil {
				return centralita.WrapError(centralita.EINTERNAL, err, "converting recording %s", guid)
			}
			if err := os.Remove(src); err != nil {
				e.log.Warn("recordings: removing the source file failed", "path", src, "err", err)
			}
			e.log.Info("recordings: converted", "guid", guid, "from", src)
			return nil
		}
	}
	return centralita.Errorf(centralita.ENOTFOUND, "recording %s has no WAV or GSM file to convert", guid)
}

// retentionLoop applies the retention now and every hour until Close.
func (e *Engine) retentionLoop() {
	defer e.work.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		e.Expire(e.runCtx)
		select {
		case <-e.runCtx.Done():
			return
		case <-t.C:
		}
	}
}

// Expire deletes the recordings whose call is older than Retention days
// and that are RecordingReady or RecordingFailed,
// their files and index rows, and logs how many it deleted; it returns
// that count. With Retention 0 it does nothing.
func (e *Engine) Expire(ctx context.Context) int {
	if e.cfg.Retention <= 0 {
		return 0
	}
	before := e.cfg.Now().AddDate(0, 0, -e.cfg.Retention)
	deleted, failed := 0, 0
	for ctx.Err() == nil {
		var page []*centralita.Recording
		err := e.storeCall(ctx, func(ctx context.Context) (err error) {
			// Recordings still on their way (Active, Stored) are left to
			// the workers; they are deleted once Ready or Failed.
			page, _, err = e.cfg.Store.FindRecordings(ctx, centralita.RecordingFilter{Before: before, Offset: failed, Limit: 200,
				States: []centralita.RecordingState{centralita.RecordingReady, centralita.RecordingFailed}})
			return err
		})
		if err != nil {
			e.log.Warn("recordings: retention could not list recordings", "err", err)
			break
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if e.remove(ctx, r) {
				deleted++
			} else {
				failed++
			}
		}
	}
	if deleted > 0 || failed > 0 {
		e.log.Info("recordings: retention deleted old recordings", "deleted", deleted, "failed", failed,
			"older_than_days", e.cfg.Retention, "before", before.Format(time.DateOnly))
	}
	return deleted
}

// remove deletes a recording's files, its empty folder and its index row.
func (e *Engine) remove(ctx context.Context, r *centralita.Recording) bool {
	if !ValidGUID(r.GUID) {
		return false
	}
	dir := filepath.Join(e.root, r.Folder(e.cfg.Location))
	for _, ext := range []string{"mp3", "wav", "gsm"} {
		if err := os.Remove(filepath.Join(dir, r.GUID+"."+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			e.log.Warn("recordings: retention could not delete a file", "guid", r.GUID, "err", err)
			return false
		}
	}
	_ = os.Remove(dir) // only succeeds once the folder is empty
	err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Store.DeleteRecording(ctx, r.GUID) })
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
		e.log.Warn("recordings: retention could not delete a recording", "guid", r.GUID, "err", err)
		return false
	}
	return true
}
