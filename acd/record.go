package acd

import (
	"context"
	"net/url"
	"strings"

	"github.com/centralita/centralita"
)

// callRecording is what a call knows about its recording: whether its
// arguments ask for one (an outbound dialer call of a campaign with Record:
// "record=1", "campaign=<query-escaped name>") and the GUID of the recording running now.
// gen counts the recordings asked for: a Start still in flight when the
// call was bridged again (a blind transfer to another queue) does not hold
// up the new one, and its recording is stopped once it answers. Each leg
// thus has its own recording, all with the call's uniqueid;
// recordingPbx sends the latest.
type callRecording struct {
	asked    bool
	campaign string
	dialer   bool
	guid     string
	gen      int
}

// recordArgs reads the recording arguments of a call: "record=1" (or
// "record=true"), "campaign=<name>" and "dialer=<id>".
func recordArgs(args []string) callRecording {
	var r callRecording
	for _, arg := range args {
		key, v, _ := strings.Cut(arg, "=")
		switch key {
		case "record":
			r.asked = v == "1" || strings.EqualFold(v, "true")
		case "campaign":
			// The dialer query-escapes the name (Stasis arguments cannot
			// hold commas); a value that does not unescape is kept as is.
			if u, err := url.QueryUnescape(v); err == nil {
				v = u
			}
			r.campaign = v
		case "dialer":
			r.dialer = true
		}
	}
	return r
}

// startRecording records a call just bridged with the agent of o, when its
// queue has Record or its arguments ask for it and a Recorder is
// configured. The lock is held.
func (e *Engine) startRecording(c *call, o *offer) {
	if e.cfg.Recorder == nil || !(c.q.cfg.Record || c.rec.asked) {
		return
	}
	req := centralita.RecordingRequest{
		BridgeID: c.id + "-bridge", UniqueID: c.id, CallDate: c.connectedAt, Queue: c.q.cfg.Name,
		Campaign: c.rec.campaign, Agent: o.a.cfg.Number, Source: c.number, Destination: c.q.cfg.Name,
	}
	if c.rec.dialer {
		// The dialer dialled the customer (c.number) for the agent.
		req.Source, req.Destination = o.a.cfg.Number, c.number
	}
	e.beginRecording(req, &c.rec, func() bool { return c.state == stConnected && c.conn == o })
}

// recordOut records an agent call (AgentCall with Record) just bridged;
// the lock is held.
func (e *Engine) recordOut(oc *outCall) {
	if e.cfg.Recorder == nil {
		return
	}
	req := centralita.RecordingRequest{
		BridgeID: oc.id + "-bridge", UniqueID: oc.id, CallDate: oc.answered, Queue: oc.queue, Campaign: oc.campaign,
		Agent: oc.a.cfg.Number, Source: oc.a.cfg.Number, Destination: oc.dest,
	}
	e.beginRecording(req, &oc.rec, func() bool { return !oc.ended })
}

// beginRecording asks the Recorder to record req and keeps its GUID in st.
// It never holds the call up: the request runs in its own goroutine,
// bounded by RequestTimeout, and a failure is only logged. When live says
// the call is over by the time the recording started, or another
// recording was asked for meanwhile, the recording is stopped at once. The
// lock is held.
func (e *Engine) beginRecording(req centralita.RecordingRequest, st *callRecording, live func() bool) {
	if st.guid != "" {
		return
	}
	st.gen++
	gen := st.gen
	e.spawn(func() {
		var guid string
		err := e.pbx(func(ctx context.Context) (err error) {
			guid, err = e.cfg.Recorder.Start(ctx, req)
			return err
		})
		e.mu.Lock()
		defer e.mu.Unlock()
		switch {
		case err != nil:
			if e.runCtx.Err() == nil {
				e.log.Warn("acd: recording the call failed", "call", req.UniqueID, "agent", req.Agent, "err", err)
			}
		case !live() || st.gen != gen || st.guid != "":
			// The call ended while the recording started.
			e.spawn(func() { e.stopRecording(guid) })
		default:
			st.guid = guid
		}
	})
}

// endRecording stops the call's recording, if any; the lock is held.
func (e *Engine) endRecording(c *call) { e.stopRec(&c.rec) }

// stopRec stops the recording st holds, if any; the lock is held.
func (e *Engine) stopRec(st *callRecording) {
	if guid := st.guid; guid != "" {
		st.guid = ""
		e.spawn(func() { e.stopRecording(guid) })
	}
}

// stopRecording tells the Recorder a recording is over; a failure leaves
// the recording for the Recorder's next start to finish.
func (e *Engine) stopRecording(guid string) {
	err := e.pbx(func(ctx context.Context) error { return e.cfg.Recorder.Stop(ctx, guid) })
	if err != nil && e.runCtx.Err() == nil {
		e.log.Warn("acd: stopping a call's recording failed", "guid", guid, "err", err)
	}
}
