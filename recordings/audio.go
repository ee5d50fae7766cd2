package recordings

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// fixWAVHeader makes the RIFF and data chunk sizes of the WAV file f agree
// with its length. Asterisk writes them only when it closes the file, so a
// WAV fetched (or copied) while Asterisk still had it open says it holds
// no audio, and sox and lame believe it: the MP3 would be empty. A data
// size that is 0, larger than what the file holds, or smaller with no
// chunk after it is replaced by the audio the file holds (whole sample
// frames); the RIFF size then becomes the file's length less 8. It reports
// whether it rewrote anything; a file that is not a WAV is an error.
func fixWAVHeader(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	size := st.Size()
	var riff [12]byte
	if _, err := f.ReadAt(riff[:], 0); err != nil || string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return false, fmt.Errorf("%s is not a WAV file", filepath.Base(f.Name()))
	}
	pos := int64(12)
	blockAlign := int64(1)
	for {
		var hdr [8]byte
		if _, err := f.ReadAt(hdr[:], pos); err != nil {
			return false, fmt.Errorf("%s: no audio data in the WAV file", filepath.Base(f.Name()))
		}
		n := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if string(hdr[0:4]) == "fmt " {
			var fmtc [16]byte
			if n < 16 {
				return false, fmt.Errorf("%s: bad WAV format chunk", filepath.Base(f.Name()))
			}
			if _, err := f.ReadAt(fmtc[:], pos+8); err != nil {
				return false, fmt.Errorf("%s: bad WAV format chunk: %w", filepath.Base(f.Name()), err)
			}
			blockAlign = max(int64(binary.LittleEndian.Uint16(fmtc[12:])), 1)
		}
		if string(hdr[0:4]) != "data" {
			pos += 8 + n + n%2
			if pos > size {
				return false, fmt.Errorf("%s: a WAV chunk runs past the end of the file", filepath.Base(f.Name()))
			}
			continue
		}
		held := size - pos - 8
		want := n
		if n == 0 || n > held || (n < held && !chunkAt(f, pos+8+n+n%2, size)) {
			want = held - held%blockAlign
		}
		fixed := false
		if want != n {
			if err := putUint32At(f, pos+4, want); err != nil {
				return false, err
			}
			fixed = true
		}
		riffSize := int64(binary.LittleEndian.Uint32(riff[4:]))
		if riffSize != size-8 && (fixed || riffSize == 0 || riffSize > size-8) {
			if err := putUint32At(f, 4, size-8); err != nil {
				return false, err
			}
			fixed = true
		}
		return fixed, nil
	}
}

// chunkAt reports whether a plausible RIFF chunk (a printable id and a
// size within the file) starts at pos.
func chunkAt(f *os.File, pos, size int64) bool {
	var hdr [8]byte
	if pos+8 > size {
		return false
	}
	if _, err := f.ReadAt(hdr[:], pos); err != nil {
		return false
	}
	for _, c := range hdr[0:4] {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return pos+8+int64(binary.LittleEndian.Uint32(hdr[4:])) <= size
}

// putUint32At writes v little-endian at off, clamped to 32 bits.
func putUint32At(f *os.File, off, v int64) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(min(v, math.MaxUint32)))
	_, err := f.WriteAt(b[:], off)
	return err
}

// fixWAVFile is fixWAVHeader on a path.
func fixWAVFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	_, err = fixWAVHeader(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// audioLength returns the length in seconds of a WAV (from its header,
// bounded by what the file holds) or GSM file (33-byte frames of 20 ms).
func audioLength(path string) (float64, error) {
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
		return float64(st.Size()/33) * 0.020, nil
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
			size = max(min(size, st.Size()-pos), 0)
			return float64(size) / float64(byteRate), nil
		}
		if _, err := f.Seek(size+size%2, io.SeekCurrent); err != nil {
			return 0, err
		}
	}
}

// MPEG audio layer III tables: bitrates (kbit/s) by index for MPEG-1 and
// for MPEG-2/2.5, sample rates by version.
var (
	mp3Bitrates1  = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}
	mp3Bitrates2  = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0}
	mp3SampleRate = map[byte][3]int{3: {44100, 48000, 32000}, 2: {22050, 24000, 16000}, 0: {11025, 12000, 8000}}
)

// errNotMP3 is an encoder output with no MPEG audio frames.
var errNotMP3 = errors.New("the encoder's output is not MP3")

// mp3Length returns the length in seconds of an MP3 file by walking its
// MPEG layer III frames (after an ID3v2 tag, before an ID3v1 one); a
// leading Xing/Info frame (no audio) is not counted. It does not depend on
// any tool, so it checks lame's output as well as sox's.
func mp3Length(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pos := 0
	if len(b) >= 10 && string(b[0:3]) == "ID3" {
		n := int(b[6]&0x7f)<<21 | int(b[7]&0x7f)<<14 | int(b[8]&0x7f)<<7 | int(b[9]&0x7f)
		pos = 10 + n
		if b[5]&0x10 != 0 {
			pos += 10
		}
	}
	var secs float64
	frames := 0
	for pos+4 <= len(b) {
		h := b[pos : pos+4]
		if string(h[0:3]) == "TAG" && len(b)-pos == 128 {
			break
		}
		version, layer := (h[1]>>3)&3, (h[1]>>1)&3
		bri, sri := h[2]>>4, (h[2]>>2)&3
		rates, okVersion := mp3SampleRate[version]
		if h[0] != 0xFF || h[1]&0xE0 != 0xE0 || !okVersion || layer != 1 || bri == 0 || bri == 15 || sri == 3 {
			pos++ // lost sync: look for the next frame
			continue
		}
		rate := rates[sri]
		var length, samples int
		if version == 3 {
			length, samples = 144*mp3Bitrates1[bri]*1000/rate, 1152
		} else {
			length, samples = 72*mp3Bitrates2[bri]*1000/rate, 576
		}
		length += int(h[2]>>1) & 1
		if frames == 0 && isInfoFrame(b[pos:min(pos+length, len(b))]) {
			frames++
			pos += length
			continue
		}
		frames++
		secs += float64(samples) / float64(rate)
		pos += length
	}
	if frames == 0 {
		return 0, errNotMP3
	}
	return secs, nil
}

// isInfoFrame reports whether an MP3 frame is a Xing or Info header.
func isInfoFrame(frame []byte) bool {
	head := string(frame[:min(len(frame), 48)])
	return strings.Contains(head, "Xing") || strings.Contains(head, "Info")
}

// checkLengths compares an MP3's length with its source's: they may differ
// by the encoder's padding, within half a second plus 5 %.
func checkLengths(mp3, src float64) error {
	if math.Abs(mp3-src) > 0.5+0.05*src {
		return fmt.Errorf("the MP3 lasts %.2f s but its source %.2f s", mp3, src)
	}
	return nil
}
