package originate

import (
	"context"

	"github.com/centralita/centralita"
)

// recover takes back the jobs left open by a previous run, then settles
// them against the channels the PBX still has.
func (e *Engine) recover(ctx context.Context) error {
	open, err := e.cfg.Store.FindOpenOriginations(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	for _, o := range open {
		j := &job{o: *o}
		j.dstDialed = o.DstChannel != ""
		j.srcUp = j.dstDialed
		if o.Status == centralita.OriginationAnswer {
			j.dstUp, j.bridged = true, true
		}
		e.jobs[o.ID], e.legs[o.SrcChannel] = j, j
		if j.dstDialed {
			e.legs[o.DstChannel] = j
		}
	}
	e.mu.Unlock()
	if len(open) > 0 {
		e.cfg.Logger.Info("originate: taking back open jobs", "jobs", len(open))
	}
	e.reconcile(ctx)
	return nil
}

// reconcile compares open jobs with the PBX's live channels after events
// may have been lost: a leg that is gone ends (with the cause its CDR gives,
// when there is one), a leg that is up but was not seen answering is
// treated as answered.
func (e *Engine) reconcile(ctx context.Context) {
	var chans []centralita.ChannelInfo
	err := e.pbx(ctx, func(ctx context.Context) (err error) { chans, err = e.cfg.PBX.ListChannels(ctx); return err })
	if err != nil {
		e.cfg.Logger.Warn("originate: cannot list channels to reconcile; will retry on the next reconnect", "err", err)
		return
	}
	live := map[string]string{}
	for _, c := range chans {
		live[c.ID] = c.State
	}
	var events []centralita.ChannelEvent
	e.mu.Lock()
	type leg struct {
		id       string
		up, gone bool
	}
	for _, j := range e.jobs {
		legs := []leg{{j.o.SrcChannel, j.srcUp, j.srcGone}}
		if j.dstDialed {
			legs = append(legs, leg{j.o.DstChannel, j.dstUp, j.dstGone})
		}
		for _, l := range legs {
			state, alive := live[l.id]
			switch {
			case l.gone:
			case !alive:
				events = append(events, centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: l.id})
			case state == "Up" && !l.up:
				events = append(events, centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: l.id})
			}
		}
	}
	e.mu.Unlock()
	for _, ev := range events {
		if ev.Type == centralita.ChannelHungup {
			ev.Cause = e.causeFromCDR(ctx, ev.ChannelID)
		}
		e.handle(ctx, ev)
	}
}

// causeFromCDR recovers a missed hangup's cause from the leg's CDR disposition.
func (e *Engine) causeFromCDR(ctx context.Context, channelID string) int {
	if e.cfg.CDRs == nil {
		return 0
	}
	cdrs, err := e.cfg.CDRs.FindCDRs(ctx, centralita.CDRFilter{UniqueID: channelID})
	if err != nil || len(cdrs) == 0 {
		return 0
	}
	switch cdrs[len(cdrs)-1].Disposition {
	case centralita.DispositionAnswered:
		return centralita.CauseNormalClearing
	case centralita.DispositionBusy:
		return centralita.CauseUserBusy
	case centralita.DispositionNoAnswer:
		return centralita.CauseNoAnswer
	}
	return centralita.CauseCongestion
}
