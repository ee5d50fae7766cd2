package acd

import (
	"context"

	"github.com/centralita/centralita"
)

// handle applies one PBX event. Unknown channels are left alone, except
// legs named like this engine's ("acd" arguments) that it no longer
// tracks: those are hung up, never bridged.
func (e *Engine) handle(ev centralita.ChannelEvent) {
	switch ev.Type {
	case centralita.PBXReconnected:
		e.reconcile()
		return
	case centralita.PBXDisconnected:
		e.log.Warn("acd: PBX events lost; will reconcile on reconnection")
		return
	case centralita.ChannelEntered, centralita.ChannelHungup, centralita.ChannelLeft:
	default:
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	ref, known := e.legs[ev.ChannelID]
	switch {
	case ev.Type == centralita.ChannelEntered && known:
		e.entered(ref, ev.ChannelID)
	case ev.Type == centralita.ChannelEntered:
		switch {
		case len(ev.Args) >= 2 && ev.Args[0] == "queue":
			e.enterCall(ev)
		case len(ev.Args) >= 1 && ev.Args[0] == "acd":
			e.log.Info("acd: a leg entered after its call ended; hanging it up", "channel", ev.ChannelID)
			id := ev.ChannelID
			e.spawn(func() { e.hangup(id) })
		}
	case known:
		// ChannelLeft (StasisEnd) or ChannelHungup, whichever comes first:
		// the engine never lets a channel continue in the dialplan.
		e.gone(ref, ev.ChannelID)
	}
	e.dispatch()
}

// entered dispatches a ChannelEntered of a known channel; the lock is held.
func (e *Engine) entered(ref any, id string) {
	switch l := ref.(type) {
	case *offer:
		e.offerEntered(l)
	case *outCall:
		e.outEntered(l, id)
	case *xfer:
		e.xferEntered(l, id)
	}
}

// gone dispatches the end of a known channel; the lock is held.
func (e *Engine) gone(ref any, id string) {
	switch l := ref.(type) {
	case *call:
		e.callerGone(l)
	case *offer:
		e.offerGone(l)
	case *outCall:
		e.outGone(l, id)
	case *xfer:
		e.xferGone(l, id)
	}
}

// reconcile compares what the engine tracks with the PBX's live channels
// after events may have been lost: a channel that is gone ends as if hung
// up (and is hung up, should it show up after all); an agent or
// destination leg that is up but was not seen answering is treated as
// answered; a channel the engine had ended, or a leg named like the
// engine's that it no longer tracks, that is still up is hung up again.
// Legs dialled after the listing was requested are not judged by it: it
// may predate them.
func (e *Engine) reconcile() {
	e.mu.Lock()
	e.listGen++
	gen := e.listGen
	e.mu.Unlock()
	var chans []centralita.ChannelInfo
	err := e.pbx(func(ctx context.Context) (err error) { chans, err = e.cfg.PBX.ListChannels(ctx); return err })
	if err != nil {
		e.log.Warn("acd: cannot list channels to reconcile; will retry on the next reconnection", "err", err)
		return
	}
	live := map[string]string{}
	for _, c := range chans {
		live[c.ID] = c.State
	}
	var events []centralita.ChannelEvent
	var stale []string
	e.mu.Lock()
	for id, ref := range e.legs {
		state, alive := live[id]
		up := state == "Up"
		switch l := ref.(type) {
		case *call:
			switch {
			case !alive:
				events = append(events, hungup(id))
			case l.state == stDone:
				stale = append(stale, id)
			}
		case *offer:
			switch {
			case l.dialed && l.dialGen >= gen: // dialled after the listing was asked for
			case !alive && (l.dialed || l.done):
				events = append(events, hungup(id))
			case alive && up && !l.done && l.dialed:
				events = append(events, centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id})
			case alive && l.done && (!l.answered || l.ended):
				stale = append(stale, id)
			}
		case legStater: // agent calls and transfers
			dialed, seen, dgen := l.legState(id)
			switch {
			case dialed && dgen >= gen:
			case !alive && dialed:
				events = append(events, hungup(id))
			case alive && up && dialed && !seen:
				events = append(events, centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id})
			}
		}
	}
	for id := range live {
		if _, known := e.legs[id]; !known && ownLeg.MatchString(id) {
			stale = append(stale, id)
		}
	}
	for _, ev := range events {
		if ev.Type == centralita.ChannelHungup {
			stale = append(stale, ev.ChannelID) // gone by the listing; if not, it is now
		}
	}
	for _, id := range stale {
		e.spawn(func() { e.hangup(id) })
	}
	e.mu.Unlock()
	if len(events) > 0 || len(stale) > 0 {
		e.log.Info("acd: reconciled with the PBX", "events", len(events), "stale", len(stale))
	}
	for _, ev := range events {
		e.handle(ev)
	}
}

func hungup(id string) centralita.ChannelEvent {
	return centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: id}
}

// legStater is a call (an agent call or a transfer) that can tell whether
// one of its legs was dialled, at which listGen, and whether its answer
// was seen.
type legStater interface {
	legState(id string) (dialed, seen bool, gen uint64)
}
