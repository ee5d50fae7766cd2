package originate

import (
	"context"

	"github.com/centralita/centralita"
)

// startRecording records a bridged job that asks for it; a failure is
// logged and the call goes on. It runs outside the lock. The recording's
// UniqueID is the source leg's channel id "<originatedID>-src", which is
// also its CDR's uniqueid (what cdrData lists); recordingPbx finds it by
// that or by the originatedID.
func (e *Engine) startRecording(ctx context.Context, j *job, o centralita.Origination) {
	if e.cfg.Recorder == nil || !centralita.AsksRecording(o.CallInfo) {
		return
	}
	req := centralita.RecordingRequest{
		BridgeID: o.Bridge, UniqueID: o.SrcChannel, Source: o.Src, Destination: o.Dst,
	}
	if o.AnsweredAt != nil {
		req.CallDate = *o.AnsweredAt
	}
	var guid string
	err := e.pbx(ctx, func(ctx context.Context) (err error) {
		guid, err = e.cfg.Recorder.Start(ctx, req)
		return err
	})
	if err != nil {
		e.cfg.Logger.Warn("originate: recording the call failed", "job", o.ID, "err", err)
		return
	}
	e.mu.Lock()
	over := j.srcGone || j.dstGone
	if !over {
		j.recording = guid
	}
	e.mu.Unlock()
	if over { // a leg hung up while the recording started
		e.stopRecording(ctx, guid)
	}
}

// takeRecording returns the function that stops the job's recording, nil
// when it has none; the lock is held.
func (e *Engine) takeRecording(ctx context.Context, j *job) func() {
	guid := j.recording
	if guid == "" {
		return nil
	}
	j.recording = ""
	return func() { e.stopRecording(ctx, guid) }
}

// stopRecording tells the Recorder the call is over.
func (e *Engine) stopRecording(ctx context.Context, guid string) {
	err := e.pbx(ctx, func(ctx context.Context) error { return e.cfg.Recorder.Stop(ctx, guid) })
	if err != nil {
		e.cfg.Logger.Warn("originate: stopping a recording failed", "guid", guid, "err", err)
	}
}
