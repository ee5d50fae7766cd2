package originate

import (
	"context"
	"time"

	"github.com/centralita/centralita"
)

// handle applies one channel event. State changes happen in order, under
// the lock; the PBX requests they call for run after it is released, in
// their own goroutine, so one slow request never holds up other calls.
func (e *Engine) handle(ctx context.Context, ev centralita.ChannelEvent) {
	switch ev.Type {
	case centralita.PBXReconnected:
		e.reconcile(ctx)
		return
	case centralita.ChannelEntered, centralita.ChannelHungup:
	default:
		return
	}
	e.mu.Lock()
	j, ok := e.legs[ev.ChannelID]
	if !ok {
		e.mu.Unlock()
		return
	}
	isSrc := ev.ChannelID == j.o.SrcChannel
	var next func()
	if ev.Type == centralita.ChannelEntered {
		next = e.entered(ctx, j, isSrc)
	} else {
		next = e.gone(ctx, j, isSrc, ev.Cause)
	}
	e.mu.Unlock()
	e.async(next)
}

// async runs PBX work in the background; Close waits for it.
func (e *Engine) async(fn func()) {
	if fn == nil {
		return
	}
	e.work.Add(1)
	go func() {
		defer e.work.Done()
		fn()
	}()
}

// entered handles a leg answering; it returns the PBX work to do unlocked.
func (e *Engine) entered(ctx context.Context, j *job, isSrc bool) func() {
	if isSrc {
		if j.srcUp || j.srcGone {
			return nil
		}
		j.srcUp = true
		if j.o.Status.Final() {
			return func() { e.hangup(ctx, j.o.SrcChannel) }
		}
		if j.dstDialed {
			return nil
		}
		j.dstDialed = true
		j.o.DstChannel = j.o.ID + "-dst"
		e.legs[j.o.DstChannel] = j
		e.save(ctx, j)
		o := j.o
		return func() { e.dialDst(ctx, j, o) }
	}
	if j.dstUp || j.dstGone {
		return nil
	}
	j.dstUp = true
	if j.o.Status.Final() || j.srcGone {
		return func() { e.hangup(ctx, j.o.DstChannel) }
	}
	j.o.Bridge = j.o.ID + "-bridge"
	o := j.o
	return func() { e.bridge(ctx, j, o) }
}

// dialDst dials the destination once the source answered.
func (e *Engine) dialDst(ctx context.Context, j *job, o centralita.Origination) {
	err := e.pbx(ctx, func(ctx context.Context) error {
		return e.cfg.PBX.Originate(ctx, centralita.OriginateRequest{
			ChannelID: o.DstChannel, Endpoint: e.endpoint(o.Dst),
			CallerIDName: o.DstCallerID, CallerIDNumber: o.Src, Timeout: time.Duration(o.TimeoutSec) * time.Second,
			AppArgs: []string{"originate", o.ID, "dst"}, Variables: cdrVars(o.CallInfo),
			Originator: o.SrcChannel,
		})
	})
	if err == nil || e.channelExists(ctx, o.DstChannel) {
		e.mu.Lock()
		cancelled := j.o.Status.Final() && !j.dstGone
		e.mu.Unlock()
		if cancelled { // the job ended while the destination was being dialled
			e.hangup(ctx, o.DstChannel)
		}
		return
	}
	e.cfg.Logger.Warn("originate: destination could not be dialled", "job", o.ID, "dst", o.Dst, "err", err)
	e.mu.Lock()
	next := e.gone(ctx, j, false, 0)
	e.mu.Unlock()
	e.async(next)
}

// bridge joins both answered legs in a mixing bridge.
func (e *Engine) bridge(ctx context.Context, j *job, o centralita.Origination) {
	err := e.pbx(ctx, func(ctx context.Context) error {
		if err := e.cfg.PBX.CreateBridge(ctx, o.Bridge, "mixing"); err != nil {
			return err
		}
		if err := e.cfg.PBX.AddChannel(ctx, o.Bridge, o.SrcChannel); err != nil {
			return err
		}
		return e.cfg.PBX.AddChannel(ctx, o.Bridge, o.DstChannel)
	})
	e.mu.Lock()
	j.bridged = true // destroyed with the job, even if only partly built
	switch {
	case centralita.ErrorKind(err) == centralita.ENOTFOUND:
		// A leg hung up before it could be bridged: its hangup event
		// settles the status; the other leg is hung up below.
		e.cfg.Logger.Info("originate: a leg left before bridging", "job", o.ID, "err", err)
		e.mu.Unlock()
		e.hangup(ctx, o.SrcChannel)
		e.hangup(ctx, o.DstChannel)
		return
	case err != nil:
		e.cfg.Logger.Warn("originate: bridging failed", "job", o.ID, "err", err)
		e.finish(ctx, j, centralita.OriginationCongestion, 0)
	case !j.o.Status.Final():
		now := e.cfg.Now()
		j.o.Status, j.o.AnsweredAt = centralita.OriginationAnswer, &now
		e.save(ctx, j)
	}
	hangBoth := j.o.Status.Final()
	o = j.o
	e.mu.Unlock()
	if hangBoth {
		e.hangup(ctx, o.SrcChannel)
		e.hangup(ctx, o.DstChannel)
		return
	}
	e.startRecording(ctx, j, o)
}

// gone handles a leg ending with a Q.850 cause (0 when unknown).
func (e *Engine) gone(ctx context.Context, j *job, isSrc bool, cause int) func() {
	// This leg, and the other one while it is still up.
	up, gone, failure := j.dstUp, &j.dstGone, dstFailure
	other, otherLive := j.o.SrcChannel, !j.srcGone
	if isSrc {
		up, gone, failure = j.srcUp, &j.srcGone, srcFailure
		other, otherLive = j.o.DstChannel, j.dstDialed && !j.dstGone
	}
	if *gone {
		return nil
	}
	*gone = true
	stopRec := e.takeRecording(ctx, j)
	switch {
	case j.o.Status.Final():
	case !up:
		e.finish(ctx, j, failure(cause), cause)
	default:
		e.finish(ctx, j, centralita.OriginationHungup, cause)
	}
	if !otherLive {
		other = ""
	}
	over := j.srcGone && (j.dstGone || !j.dstDialed)
	bridge := ""
	if over {
		if j.bridged {
			bridge = j.o.Bridge
		}
		e.forget(j)
	}
	if other == "" && bridge == "" {
		return stopRec
	}
	return func() {
		if stopRec != nil {
			stopRec()
		}
		if other != "" {
			e.hangup(ctx, other)
		}
		if bridge != "" {
			err := e.pbx(ctx, func(ctx context.Context) error { return e.cfg.PBX.DestroyBridge(ctx, bridge) })
			if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
				e.cfg.Logger.Warn("originate: destroying bridge failed", "bridge", bridge, "err", err)
			}
		}
	}
}

// srcFailure is the status of a job whose source ended before answering:
// busy means the extension was in use or off-hook.
func srcFailure(cause int) centralita.OriginationStatus {
	switch cause {
	case centralita.CauseUserBusy:
		return centralita.OriginationOffhook
	case centralita.CauseNoAnswer:
		return centralita.OriginationNoAnswer
	}
	return centralita.OriginationCongestion
}

// dstFailure is the status of a job whose destination ended before answering.
func dstFailure(cause int) centralita.OriginationStatus {
	switch cause {
	case centralita.CauseUserBusy:
		return centralita.OriginationBusy
	case centralita.CauseNoAnswer:
		return centralita.OriginationNoAnswer
	}
	return centralita.OriginationCongestion
}

// finish gives an open job its final status; the lock is held.
func (e *Engine) finish(ctx context.Context, j *job, st centralita.OriginationStatus, cause int) {
	if j.o.Status.Final() {
		return
	}
	now := e.cfg.Now()
	j.o.Status, j.o.Cause, j.o.EndedAt = st, cause, &now
	e.save(ctx, j)
}

// forget drops a job whose legs are all gone; the lock is held.
func (e *Engine) forget(j *job) {
	delete(e.jobs, j.o.ID)
	delete(e.legs, j.o.SrcChannel)
	if j.o.DstChannel != "" {
		delete(e.legs, j.o.DstChannel)
	}
}

// save writes the job; the lock is held. A failed write is logged and the
// job kept in unsaved, where Status still finds it, and retried until it lands.
func (e *Engine) save(ctx context.Context, j *job) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RequestTimeout)
	defer cancel()
	if err := e.cfg.Store.UpdateOrigination(ctx, &j.o); err != nil {
		e.cfg.Logger.Error("originate: saving job failed; will retry", "job", j.o.ID, "status", j.o.Status, "err", err)
		e.unsaved[j.o.ID] = j.o
		return
	}
	delete(e.unsaved, j.o.ID)
}

// retryUnsaved writes the jobs whose last write failed.
func (e *Engine) retryUnsaved(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, o := range e.unsaved {
		wctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
		err := e.cfg.Store.UpdateOrigination(wctx, &o)
		cancel()
		if err != nil {
			return // the database is still down; try again later
		}
		delete(e.unsaved, id)
		e.cfg.Logger.Info("originate: saved job after retry", "job", id, "status", o.Status)
	}
}
