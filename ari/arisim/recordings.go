package arisim

import (
	"encoding/binary"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// liveRecording is a recording in progress.
type liveRecording struct {
	name, format, target string
	ch                   *channel
	br                   *bridge
	state                string
	started              time.Time
	pausedAt             time.Time
	paused               time.Duration
	maxDur               time.Duration
	timer                *simTimer
	terminateOn          string
	appendTo             bool
}

// storedRec is a finished recording.
type storedRec struct {
	name, format string
	duration     time.Duration
}

func (r *liveRecording) json(extra func(o *obj)) []byte {
	o := newObj().str("name", r.name).str("format", r.format).str("state", r.state).str("target_uri", r.target)
	if extra != nil {
		extra(o)
	}
	return o.bytes()
}

func (r *storedRec) json() []byte {
	return newObj().str("name", r.name).str("format", r.format).bytes()
}

// knownFormat reports whether f is a recording format Asterisk knows.
func knownFormat(f string) bool {
	switch f {
	case "wav", "wav16", "gsm", "ulaw", "alaw", "sln", "slin", "g722":
		return true
	}
	return false
}

func (s *Server) recordingEvent(typ string, r *liveRecording, extra func(o *obj)) {
	route := route{chans: []*channel{r.ch}, bridge: r.br}
	s.publish(s.newEvent(typ, newObj().raw("recording", r.json(extra))), route)
}

// record starts a recording on a channel or a bridge.
func (s *Server) record(p params, ch *channel, br *bridge) *resp {
	name, format := p.get("name"), p.get("format")
	if name == "" {
		return errResp(400, "Bad Request", "Recording name is required")
	}
	if format == "" {
		return errResp(400, "Bad Request", "Format is required")
	}
	ifExists := p.get("ifExists")
	if ifExists == "" {
		ifExists = "fail"
	}
	if ifExists != "fail" && ifExists != "overwrite" && ifExists != "append" {
		return errResp(400, "Bad Request", "ifExists invalid: "+ifExists)
	}
	term := p.get("terminateOn")
	if term == "" {
		term = "none"
	}
	if br != nil {
		s.bridgeHelper(br, "Recorder/ARI")
	}
	if !knownFormat(format) {
		return errResp(422, "Unprocessable Entity", "Format "+format+" is not recognized")
	}
	if _, busy := s.st.live[name]; busy {
		return errResp(409, "Conflict", "Recording '"+name+"' already in progress")
	}
	if _, exists := s.st.stored[name]; exists && ifExists == "fail" {
		return errResp(409, "Conflict", "Recording '"+name+"' already exists and can not be overwritten")
	}
	r := &liveRecording{name: name, format: format, ch: ch, br: br, state: "queued", terminateOn: term, appendTo: ifExists == "append"}
	if ch != nil {
		if ch.recording != nil {
			return errResp(409, "Conflict", "Channel is already being recorded")
		}
		r.target = "channel:" + ch.id
		ch.recording = r
	} else {
		if br.recording != nil {
			return errResp(409, "Conflict", "Bridge is already being recorded")
		}
		r.target = "bridge:" + br.id
		br.recording = r
	}
	body := r.json(nil)
	s.st.live[name] = r
	r.state, r.started = "recording", s.now()
	s.recordingEvent("RecordingStarted", r, nil)
	if secs := p.intParam("maxDurationSeconds", 0); secs > 0 {
		r.maxDur = time.Duration(secs) * time.Second
		r.timer = s.after(r.maxDur, func() { s.finishRecording(r, "done") })
	}
	return &resp{status: 201, reason: "Created", body: body, headers: [][2]string{{"Location", "/ari/recordings/live/" + name}}}
}

// recorded is how much audio r holds now.
func (s *Server) recorded(r *liveRecording) time.Duration {
	end := s.now()
	if r.state == "paused" {
		end = r.pausedAt
	}
	d := end.Sub(r.started) - r.paused
	if r.maxDur > 0 && d > r.maxDur {
		d = r.maxDur
	}
	return max(d, 0)
}

// finishRecording ends r: "done" stores it, "canceled" discards it.
func (s *Server) finishRecording(r *liveRecording, state string) {
	if r.state == "done" || r.state == "canceled" {
		return
	}
	s.cancel(r.timer)
	d := s.recorded(r)
	if r.timer == nil && r.maxDur > 0 {
		d = r.maxDur
	}
	r.state = state
	if r.ch != nil {
		r.ch.recording = nil
	}
	if r.br != nil {
		r.br.recording = nil
	}
	delete(s.st.live, r.name)
	secs := int64((d + 500*time.Millisecond) / time.Second)
	s.recordingEvent("RecordingFinished", r, func(o *obj) { o.num("duration", secs) })
	if state != "done" {
		return
	}
	sr := &storedRec{name: r.name, format: r.format, duration: d}
	if old, ok := s.st.stored[r.name]; ok && old.format == r.format && r.appendTo {
		sr.duration += old.duration
	}
	s.st.stored[r.name] = sr
	if dir := s.cfg.RecordingDir; dir != "" {
		path := filepath.Join(dir, r.name+"."+r.format)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			err = os.WriteFile(path, wavFile(sr.duration), 0o644)
			if err != nil {
				s.log.Error("arisim: writing recording failed", "path", path, "err", err)
			}
		}
	}
}

// wavFile is d of 8 kHz 16-bit mono PCM in a RIFF/WAVE container: a 440 Hz
// tone at a quarter of full scale, so that decoders and players see real
// audio of the recording's length. The size is 44 bytes of header plus 16
// bytes a millisecond.
func wavFile(d time.Duration) []byte {
	n := int(d/time.Millisecond) * 16
	b := make([]byte, 44+n)
	for i := 0; i < n/2; i++ {
		v := int16(8192 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
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
	return b
}

func (s *Server) recordChannelHandler(_ *http.Request, p params) *resp {
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	return s.record(p, c, nil)
}

func (s *Server) recordBridgeHandler(_ *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	return s.record(p, nil, b)
}

func recNotFound() *resp { return errResp(404, "Not Found", "Recording not found") }

func (s *Server) liveByName(p params) (*liveRecording, *resp) {
	r := s.st.live[p.path["recordingName"]]
	if r == nil {
		return nil, recNotFound()
	}
	return r, nil
}

func (s *Server) getLive(_ *http.Request, p params) *resp {
	r, e := s.liveByName(p)
	if e != nil {
		return e
	}
	return okResp(r.json(nil))
}

func (s *Server) stopLive(_ *http.Request, p params) *resp {
	r, e := s.liveByName(p)
	if e != nil {
		return e
	}
	s.finishRecording(r, "done")
	return noContent()
}

func (s *Server) cancelLive(_ *http.Request, p params) *resp {
	r, e := s.liveByName(p)
	if e != nil {
		return e
	}
	s.finishRecording(r, "canceled")
	return noContent()
}

func (s *Server) pauseLive(req *http.Request, p params) *resp {
	r, e := s.liveByName(p)
	if e != nil {
		return e
	}
	if req.Method == http.MethodPost && r.state == "recording" {
		r.state, r.pausedAt = "paused", s.now()
		if r.timer != nil {
			s.cancel(r.timer)
			r.timer = nil
		}
	} else if req.Method == http.MethodDelete && r.state == "paused" {
		r.paused += s.now().Sub(r.pausedAt)
		r.state = "recording"
		if r.maxDur > 0 {
			left := r.maxDur - s.recorded(r)
			r.timer = s.after(left, func() { s.finishRecording(r, "done") })
		}
	}
	return noContent()
}

func (s *Server) muteLive(_ *http.Request, p params) *resp {
	if _, e := s.liveByName(p); e != nil {
		return e
	}
	return noContent()
}

func (s *Server) listStored(*http.Request, params) *resp {
	names := make([]string, 0, len(s.st.stored))
	for n := range s.st.stored {
		names = append(names, n)
	}
	sort.Strings(names)
	items := make([][]byte, 0, len(names))
	for _, n := range names {
		items = append(items, s.st.stored[n].json())
	}
	return okResp(rawArray(items))
}

func (s *Server) getStored(_ *http.Request, p params) *resp {
	r := s.st.stored[p.path["recordingName"]]
	if r == nil {
		return recNotFound()
	}
	return okResp(r.json())
}

func (s *Server) deleteStored(_ *http.Request, p params) *resp {
	name := p.path["recordingName"]
	r := s.st.stored[name]
	if r == nil {
		return recNotFound()
	}
	delete(s.st.stored, name)
	if dir := s.cfg.RecordingDir; dir != "" {
		_ = os.Remove(filepath.Join(dir, name+"."+r.format))
	}
	return noContent()
}

// getStoredFile serves the recording as a WAV file.
func (s *Server) getStoredFile(_ *http.Request, p params) *resp {
	r := s.st.stored[p.path["recordingName"]]
	if r == nil {
		return recNotFound()
	}
	ctype := "audio/wav"
	if !strings.HasPrefix(r.format, "wav") {
		ctype = "application/octet-stream"
	}
	return &resp{status: 200, reason: "OK", body: wavFile(r.duration), ctype: ctype}
}

func (s *Server) copyStored(_ *http.Request, p params) *resp {
	r := s.st.stored[p.path["recordingName"]]
	if r == nil {
		return recNotFound()
	}
	dst := p.get("destinationRecordingName")
	if dst == "" {
		return errResp(400, "Bad Request", "Missing parameter destinationRecordingName")
	}
	if _, ok := s.st.stored[dst]; ok {
		return errResp(409, "Conflict", "A recording with the same name already exists on the system")
	}
	cp := &storedRec{name: dst, format: r.format, duration: r.duration}
	s.st.stored[dst] = cp
	return okResp(cp.json())
}
