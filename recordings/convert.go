package recordings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/centralita/centralita"
)

// encoder is the program that writes MP3: sox (with libsox-fmt-mp3) or lame.
type encoder struct {
	name, path string
}

// probeEncoder finds the MP3 encoder: want when given, else sox when it
// lists the mp3 format, else lame.
func probeEncoder(ctx context.Context, want string) (encoder, error) {
	if want == "" || want == "sox" {
		if p, err := exec.LookPath("sox"); err == nil {
			out, _ := exec.CommandContext(ctx, p, "-h").CombinedOutput()
			if soxWritesMP3(string(out)) {
				return encoder{name: "sox", path: p}, nil
			}
			if want == "sox" {
				return encoder{}, errors.New("sox cannot write MP3: install libsox-fmt-mp3")
			}
		} else if want == "sox" {
			return encoder{}, errors.New("sox is not installed (Debian: apt install sox libsox-fmt-mp3)")
		}
	}
	if p, err := exec.LookPath("lame"); err == nil {
		return encoder{name: "lame", path: p}, nil
	}
	return encoder{}, errors.New("no MP3 encoder: install sox and libsox-fmt-mp3, or lame (Debian: apt install sox libsox-fmt-mp3 lame)")
}

// soxWritesMP3 reads `sox -h`'s list of file formats.
func soxWritesMP3(help string) bool {
	_, formats, ok := strings.Cut(help, "AUDIO FILE FORMATS:")
	if !ok {
		return false
	}
	formats, _, _ = strings.Cut(formats, "\n")
	for _, f := range strings.Fields(formats) {
		if f == "mp3" {
			return true
		}
	}
	return false
}

// convert turns r's source file into <guid>.mp3 next to it, checks it,
// removes the source and Asterisk's copy and marks r RecordingReady.
func (e *Engine) convert(ctx context.Context, r *centralita.Recording) error {
	dir := filepath.Join(e.root, r.Folder(e.cfg.Location))
	src := filepath.Join(dir, r.GUID+"."+r.Format)
	dur, err := e.encodeFile(ctx, src, filepath.Join(dir, r.GUID+".mp3"))
	if err != nil {
		return err
	}
	r.State, r.Format, r.Duration, r.Error = centralita.RecordingReady, "mp3", dur, ""
	if err := e.storeCall(ctx, func(ctx context.Context) error { return e.cfg.Store.UpdateRecording(ctx, r) }); err != nil {
		return err
	}
	if err := os.Remove(src); err != nil && !errors.Is(err, os.ErrNotExist) {
		e.log.Warn("recordings: removing the source file failed", "path", src, "err", err)
	}
	if e.cfg.SharedDir == "" {
		err = e.pbxCall(ctx, func(ctx context.Context) error { return e.cfg.PBX.DeleteRecording(ctx, r.GUID) })
	} else {
		err = os.Remove(filepath.Join(e.cfg.SharedDir, r.GUID+".wav"))
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	}
	if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
		e.log.Warn("recordings: deleting Asterisk's copy failed", "guid", r.GUID, "err", err)
	}
	return nil
}

// encodeFile writes src (WAV or GSM) as MP3 to dst through a temporary
// file and returns the audio's length in whole seconds (rounded). A WAV
// whose header Asterisk had not finished is repaired first (fixWAVHeader);
// the MP3 must last as long as its source (checkLengths) or it is not
// kept. dst is complete or absent; src is never touched otherwise. At most
// Workers encodings run at once, on-demand conversions included.
func (e *Engine) encodeFile(ctx context.Context, src, dst string) (int, error) {
	if e.encErr != nil {
		return 0, e.encErr
	}
	if strings.HasSuffix(src, ".wav") {
		if err := fixWAVFile(src); err != nil {
			return 0, err
		}
	}
	secs, err := audioLength(src)
	if err != nil {
		return 0, err
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-e.sem }()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.ConvertTimeout)
	defer cancel()
	err = writeAtomic(dst, func(w io.Writer) error {
		tmp := w.(*os.File).Name()
		var cmd *exec.Cmd
		if e.enc.name == "sox" {
			cmd = exec.CommandContext(ctx, e.enc.path, "-q", src, "-t", "mp3", "-C", "16", tmp)
		} else {
			if strings.HasSuffix(src, ".gsm") {
				return errors.New("lame cannot read GSM: install sox and libsox-fmt-mp3")
			}
			cmd = exec.CommandContext(ctx, e.enc.path, "--quiet", "-b", "16", src, tmp)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w: %s", e.enc.name, err, strings.TrimSpace(stderr.String()))
		}
		got, err := mp3Length(tmp)
		if err != nil {
			return err
		}
		return checkLengths(got, secs)
	})
	if err != nil {
		return 0, err
	}
	return int(math.Round(secs)), nil
}
