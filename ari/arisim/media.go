package arisim

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// playback is a simulated playback on a channel or bridge.
type playback struct {
	id      string
	media   []string
	idx     int
	target  string
	ch      *channel
	br      *bridge
	lang    string
	state   string
	timer   *simTimer
	started time.Time     // when the current stretch of playing began
	left    time.Duration // what is left of the current media
	skip    time.Duration
}

func (pb *playback) jsonState(state string) []byte {
	o := newObj().str("id", pb.id).str("media_uri", pb.media[pb.idx])
	if pb.idx+1 < len(pb.media) {
		o.str("next_media_uri", pb.media[pb.idx+1])
	}
	return o.str("target_uri", pb.target).str("language", pb.lang).str("state", state).bytes()
}

func (pb *playback) json() []byte { return pb.jsonState(pb.state) }

func (pb *playback) queue() *[]*playback {
	if pb.ch != nil {
		return &pb.ch.playQ
	}
	return &pb.br.playQ
}

func (s *Server) playbackEvent(typ string, pb *playback) {
	r := route{chans: []*channel{pb.ch}, bridge: pb.br}
	s.publish(s.newEvent(typ, newObj().raw("playback", pb.json())), r)
}

// mediaDuration is how long a media URI plays; ok is false when it does not
// exist.
func (s *Server) mediaDuration(uri string) (time.Duration, bool) {
	scheme, rest, _ := strings.Cut(uri, ":")
	switch scheme {
	case "sound":
		d, ok := s.st.sounds[rest]
		return d, ok
	case "recording":
		r, ok := s.st.stored[rest]
		if !ok {
			return 0, false
		}
		return r.duration, true
	case "digits", "characters":
		return time.Duration(len(rest)) * 500 * time.Millisecond, rest != ""
	case "number":
		_, err := strconv.Atoi(rest)
		return time.Second, err == nil
	case "tone":
		return 0, rest != ""
	}
	return 0, false
}

// startPlayback plays the current media of pb.
func (s *Server) startPlayback(pb *playback) {
	pb.state = "playing"
	s.playbackEvent("PlaybackStarted", pb)
	d, ok := s.mediaDuration(pb.media[pb.idx])
	if !ok {
		s.finishPlayback(pb, "failed")
		return
	}
	pb.left, pb.started = d, s.now()
	if d > 0 {
		pb.timer = s.after(d, func() { s.mediaEnded(pb) })
	}
}

// mediaEnded moves to the next media URI or finishes.
func (s *Server) mediaEnded(pb *playback) {
	if pb.idx+1 < len(pb.media) {
		pb.state = "continuing"
		s.playbackEvent("PlaybackContinuing", pb)
		pb.idx++
		s.startPlayback(pb)
		return
	}
	s.finishPlayback(pb, "done")
}

// finishPlayback ends pb and starts the next queued playback of its target.
func (s *Server) finishPlayback(pb *playback, state string) {
	s.cancel(pb.timer)
	pb.state = state
	s.playbackEvent("PlaybackFinished", pb)
	delete(s.st.playbacks, pb.id)
	q := pb.queue()
	for i, x := range *q {
		if x == pb {
			*q = append((*q)[:i], (*q)[i+1:]...)
			break
		}
	}
	if len(*q) > 0 && (*q)[0].state == "queued" {
		s.startPlayback((*q)[0])
	}
}

// play queues a playback on a channel or bridge and answers 201.
func (s *Server) play(p params, ch *channel, br *bridge) *resp {
	media := p.q["media"]
	if len(media) == 0 {
		if m := p.get("media"); m != "" {
			media = []string{m}
		}
	}
	var uris []string
	for _, m := range media {
		for _, u := range strings.Split(m, ",") {
			if u = strings.TrimSpace(u); u != "" {
				uris = append(uris, u)
			}
		}
	}
	if len(uris) == 0 {
		return errResp(500, "Internal Server Error", "Failed to queue media for playback")
	}
	id := p.path["playbackId"]
	if id == "" {
		id = p.get("playbackId")
	}
	if id == "" {
		id = uuid.NewString()
	}
	if _, dup := s.st.playbacks[id]; dup {
		return errResp(409, "Conflict", "Playback with given ID already exists")
	}
	lang := p.get("lang")
	if lang == "" {
		lang = "en"
	}
	pb := &playback{id: id, media: uris, ch: ch, br: br, lang: lang, state: "queued"}
	if ch != nil {
		pb.target = "channel:" + ch.id
	} else {
		pb.target = "bridge:" + br.id
		s.bridgeHelper(br, "Announcer/ARI")
	}
	if ms := p.intParam("skipms", 3000); ms > 0 {
		pb.skip = time.Duration(ms) * time.Millisecond
	}
	s.st.playbacks[id] = pb
	q := pb.queue()
	*q = append(*q, pb)
	body := pb.jsonState("queued")
	if len(*q) == 1 {
		s.startPlayback(pb)
	}
	return &resp{status: 201, reason: "Created", body: body, headers: [][2]string{{"Location", "/ari/playbacks/" + id}}}
}

// bridgeHelper adds an announcer or recorder to a bridge: the one channel in
// it sees the helper as BRIDGEPEER.
func (s *Server) bridgeHelper(b *bridge, prefix string) {
	name := s.unrealName(prefix) + ";2"
	if len(b.channels) == 1 {
		c := b.channels[0]
		s.setVar(c, "BRIDGEPEER", name)
		c.bpSet = true
	}
}

// stopMedia ends the playbacks and the recording of a channel that hangs up.
func (s *Server) stopMedia(c *channel) { s.stopQueuedMedia(&c.playQ, c.recording) }

// stopBridgeMedia ends the playbacks and recording of a bridge.
func (s *Server) stopBridgeMedia(b *bridge) { s.stopQueuedMedia(&b.playQ, b.recording) }

// stopQueuedMedia drops the queued playbacks, finishes the playing one and
// the recording, for a channel or a bridge.
func (s *Server) stopQueuedMedia(playQ *[]*playback, rec *liveRecording) {
	for len(*playQ) > 0 {
		pb := (*playQ)[0]
		if pb.state == "queued" {
			*playQ = (*playQ)[1:]
			delete(s.st.playbacks, pb.id)
			continue
		}
		s.finishPlayback(pb, "done")
	}
	if rec != nil {
		s.finishRecording(rec, "done")
	}
}

func (s *Server) playChannelHandler(_ *http.Request, p params) *resp {
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	return s.play(p, c, nil)
}

func (s *Server) playBridgeHandler(_ *http.Request, p params) *resp {
	b, e := s.bridgeByID(p)
	if e != nil {
		return e
	}
	return s.play(p, nil, b)
}

func (s *Server) getPlayback(_ *http.Request, p params) *resp {
	pb := s.st.playbacks[p.path["playbackId"]]
	if pb == nil {
		return errResp(404, "Not Found", "Playback not found")
	}
	return okResp(pb.json())
}

func (s *Server) stopPlayback(_ *http.Request, p params) *resp {
	pb := s.st.playbacks[p.path["playbackId"]]
	if pb == nil {
		return errResp(404, "Not Found", "Playback not found")
	}
	if pb.state == "queued" {
		q := pb.queue()
		for i, x := range *q {
			if x == pb {
				*q = append((*q)[:i], (*q)[i+1:]...)
				break
			}
		}
		delete(s.st.playbacks, pb.id)
		return noContent()
	}
	s.finishPlayback(pb, "done")
	return noContent()
}

// controlPlayback is pause, unpause, restart, reverse and forward.
func (s *Server) controlPlayback(_ *http.Request, p params) *resp {
	pb := s.st.playbacks[p.path["playbackId"]]
	if pb == nil {
		return errResp(404, "Not Found", "Playback not found")
	}
	op := p.get("operation")
	switch op {
	case "pause", "unpause", "restart", "reverse", "forward":
	case "":
		return errResp(400, "Bad Request", "Missing parameter operation")
	default:
		return errResp(400, "Bad Request", "Invalid operation "+op)
	}
	if pb.state == "queued" {
		return errResp(409, "Conflict", "Playback not in a state to allow control")
	}
	elapsed := s.now().Sub(pb.started)
	switch op {
	case "pause":
		if pb.state == "playing" && pb.left > 0 {
			s.cancel(pb.timer)
			pb.left -= elapsed
			pb.state = "paused"
		}
	case "unpause":
		if pb.state == "paused" {
			pb.state, pb.started = "playing", s.now()
			pb.timer = s.after(pb.left, func() { s.mediaEnded(pb) })
		}
	case "restart":
		s.cancel(pb.timer)
		s.startPlayback(pb)
	case "reverse", "forward":
		if pb.state != "playing" || pb.left <= 0 {
			break
		}
		s.cancel(pb.timer)
		left := pb.left - elapsed
		if op == "forward" {
			left -= pb.skip
		} else {
			full, _ := s.mediaDuration(pb.media[pb.idx])
			left = min(full, left+pb.skip)
		}
		pb.left, pb.started = max(left, 0), s.now()
		pb.timer = s.after(pb.left, func() { s.mediaEnded(pb) })
	}
	return noContent()
}

func (s *Server) listSounds(_ *http.Request, p params) *resp {
	if l := p.get("lang"); l != "" && l != "en" {
		return okResp([]byte("[]"))
	}
	if f := p.get("format"); f != "" && f != "slin" {
		return okResp([]byte("[]"))
	}
	items := make([][]byte, 0, len(s.st.soundIDs))
	for _, id := range s.st.soundIDs {
		items = append(items, soundJSON(id))
	}
	return okResp(rawArray(items))
}

func soundJSON(id string) []byte {
	f := newObj().str("language", "en").str("format", "slin").bytes()
	return newObj().str("id", id).raw("formats", rawArray([][]byte{f})).bytes()
}

func (s *Server) getSound(_ *http.Request, p params) *resp {
	id := p.path["soundId"]
	if _, ok := s.st.sounds[id]; !ok {
		return errResp(404, "Not Found", "Sound not found")
	}
	return okResp(soundJSON(id))
}
