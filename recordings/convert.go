package recordings

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
// file, checks the result and returns the audio's length in whole seconds
// (rounded). dst is complete or absent.
func (e *Engine) encodeFile(ctx context.Context, src, dst string) (int, error) {
	if e.encErr != nil {
		return 0, e.encErr
	}
	dur, err := audioSeconds(src)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.ConvertTimeout)
	defer cancel()
	err = writeAtomic(dst, func(w io.Writer) error {
		tmp := w.(*os.File).Name()
		var cmd *exec.Cmd
		if e.enc.name == "sox" {
			cmd = exec.CommandContext(ctx, e.enc.path, "-q", src, "-t", "mp3", "-C", "16", tmp)
		} else {
			in := src
			if strings.HasSuffix(src, ".gsm") {
				return errors.New("lame cannot read GSM: install sox and libsox-fmt-mp3")
			}
			cmd = exec.CommandContext(ctx, e.enc.path, "--quiet", "-b", "16", in, tmp)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w: %s", e.enc.name, err, strings.TrimSpace(stderr.String()))
		}
		return checkMP3(tmp)
	})
	if err != nil {
		return 0, err
	}
	return dur, nil
}

// checkMP3 checks that path starts like an MP3: an ID3 tag or a frame sync.
func checkMP3(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var head [3]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return fmt.Errorf("the MP3 is empty: %w", err)
	}
	if string(head[:]) != "ID3" && !(head[0] == 0xFF && head[1]&0xE0 == 0xE0) {
		return errors.New("the encoder's output is not MP3")
	}
	return nil
}

// audioSeconds returns the length of a WAV (from its header) or GSM file
// (33-byte frames of 20 ms), rounded to whole seconds.
func audioSeconds(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if strings.HasSuffix(path, ".gsm") {
		return int((st.Size()/33*20 + 500) / 1000), nil
	}
	var riff [12]byte
	if _, err := io.ReadFull(f, riff[:]); err != nil || string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return 0, fmt.Errorf("%s is not a WAV file", filepath.Base(path))
	}
	var byteRate uint32
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			return 0, fmt.Errorf("%s: no audio data in the WAV file", filepath.Base(path))
		}
		size := int64(binary.LittleEndian.Uint32(hdr[4:]))
		switch string(hdr[0:4]) {
		case "fmt ":
			var fmtc [16]byte
			if size < 16 {
				return 0, fmt.Errorf("%s: bad WAV format chunk", filepath.Base(path))
			}
			if _, err := io.ReadFull(f, fmtc[:]); err != nil {
				return 0, err
			}
			byteRate = binary.LittleEndian.Uint32(fmtc[8:])
			size -= 16
		case "data":
			if byteRate == 0 {
				return 0, fmt.Errorf("%s: WAV data before its format", filepath.Base(path))
			}
			pos, _ := f.Seek(0, io.SeekCurrent)
			// Asterisk may leave the size unset on a file cut short: trust the file.
			size = min(size, st.Size()-pos)
			if size <= 0 && st.Size() > pos {
				size = st.Size() - pos
			}
			return int((size*1000/int64(byteRate) + 500) / 1000), nil
		}
		if _, err := f.Seek(size+size%2, io.SeekCurrent); err != nil {
			return 0, err
		}
	}
}
