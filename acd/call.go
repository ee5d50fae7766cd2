package acd

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// enterCall takes a new call whose arguments are ["queue", <queue>,
// "ivrcode=<code>"..., "ivrdata=<data>"] (an inbound call), or, for an
// answered outbound dialer call, ["queue", <queue>, "maxwait=<seconds>",
// "sound=<media>", "caller=<number>", "dialer=<campaign>"]: maxwait bounds
// its wait (then EXITWITHTIMEOUT, sound and hang up, never an overflow
// queue), caller is the number shown to the agent and logged in
// ENTERQUEUE. Either kind may add "list=<name>" (list routing, with
// Config.Lists): before the call enters its queue the caller's number is
// looked up in that list; a value naming an agent (number, else username)
// makes that agent the preferred one, offered the call first when
// available (see dispatch), and otherwise a value naming a queue sends the
// call to that queue instead. No entry, an unknown value or a failed
// lookup leaves the call to its own queue. Other arguments are ignored.
// The lock is held.
func (e *Engine) enterCall(ev centralita.ChannelEvent) {
	name := ev.Args[1]
	var codes []string
	data, number, sound := "", ev.CallerNumber, ""
	var maxWait time.Duration
	list := ""
	for _, arg := range ev.Args[2:] {
		key, v, _ := strings.Cut(arg, "=")
		switch key {
		case "ivrcode":
			if v != "" {
				codes = append(codes, v)
			}
		case "ivrdata":
			data = v
		case "caller":
			if v != "" {
				number = v
			}
		case "sound":
			sound = v
		case "maxwait":
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				maxWait = time.Duration(n) * time.Second
			}
		case "list":
			list = v
		}
	}
	c := &call{
		id: ev.ChannelID, number: clip(number, maxData), name: ev.CallerName, ivrData: data,
		state: stEntering, offers: map[string]*offer{}, tried: map[*agent]bool{},
		maxWaitArg: maxWait, sound: sound, list: list,
	}
	e.legs[c.id] = c
	c.rec = recordArgs(ev.Args[2:])
	q := e.queues[name]
	if q == nil {
		e.log.Warn("acd: call for an unknown queue; playing the overflow message and hanging up", "call", c.id, "queue", name)
		e.reject(c, centralita.DefaultOverflowSound, true)
		return
	}
	c.q, c.hold = q, true
	class := q.cfg.MusicClass
	e.spawn(func() { e.setup(c, codes, data, class) })
}

// reject plays sound to the caller and hangs it up a little later; the lock is held.
func (e *Engine) reject(c *call, sound string, answer bool) {
	c.state = stLeaving
	hold := c.hold
	c.hold = false
	e.spawn(func() {
		if answer {
			_ = e.pbx(func(ctx context.Context) error { return e.cfg.Media.Answer(ctx, c.id) })
		}
		if hold {
			e.destroyBridge(c.id + "-hold")
		}
		if err := e.pbx(func(ctx context.Context) error { return e.cfg.Media.PlayChannel(ctx, c.id, sound) }); err != nil {
			e.log.Info("acd: playing the overflow message failed", "call", c.id, "err", err)
		}
	})
	e.after(e.cfg.OverflowHangupDelay, func() { e.spawn(func() { e.hangup(c.id) }) })
}

// setup answers a new call, puts it on hold with music, asks the CRM, and
// then puts it in its queue.
func (e *Engine) setup(c *call, codes []string, ivr, class string) {
	hold := c.id + "-hold"
	err := e.pbx(func(ctx context.Context) error {
		if err := e.cfg.Media.Answer(ctx, c.id); err != nil {
			return err
		}
		return e.holdWithMusic(ctx, c.id, class)
	})
	if err != nil && e.runCtx.Err() == nil {
		e.log.Warn("acd: answering or holding a call failed", "call", c.id, "err", err)
	}
	name := ""
	if e.cfg.CRM != nil {
		name, ivr = e.askCRM(c, codes, ivr)
	}
	target := e.lookupList(c)
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.state != stEntering {
		e.spawn(func() { e.destroyBridge(hold) })
		c.hold = false
		return
	}
	if name != "" {
		c.name = name
	}
	c.ivrData = ivr
	qname := c.q.cfg.Name
	if target != "" {
		qname = e.routeByList(c, target)
	}
	q := e.queues[qname]
	if q == nil {
		e.reject(c, centralita.DefaultOverflowSound, false)
		return
	}
	if q.cfg.MusicClass != class && c.hold {
		moh := q.cfg.MusicClass
		e.spawn(func() {
			_ = e.pbx(func(ctx context.Context) error { return e.cfg.Media.StartBridgeMOH(ctx, hold, moh) })
		})
	}
	e.enqueue(c, q)
	e.dispatch()
}

// lookupList returns what the call's list maps its number to, "" when it
// has no list, there is no entry or the lookup fails (logged).
func (e *Engine) lookupList(c *call) string {
	if e.cfg.Lists == nil || c.list == "" || c.number == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(e.runCtx, e.cfg.RequestTimeout)
	defer cancel()
	v, err := e.cfg.Lists.LookupList(ctx, c.list, c.number)
	switch {
	case centralita.ErrorKind(err) == centralita.ENOTFOUND:
		return ""
	case err != nil:
		e.log.Warn("acd: list lookup failed; the call goes to its queue", "call", c.id, "list", c.list, "err", err)
		return ""
	}
	return v
}

// routeByList applies a list value to a call about to enter a queue. The
// value is tried, in this order, as an agent's number, an agent's
// username, the extension of a logged-in agent (the resource of its
// interface: "112" for SIP/112, as the manual's lists map callers to
// executives' extensions, rest-expandweb3.md §4.2) and a queue's name. An
// agent makes it the call's preferred agent, a queue is returned as the
// queue to enter; otherwise the call's own queue. The lock is held.
func (e *Engine) routeByList(c *call, target string) string {
	a := e.agents[target]
	if a == nil {
		a = e.agentBy(func(x *agent) bool { return x.cfg.Username == target })
	}
	if a == nil {
		a = e.agentBy(func(x *agent) bool {
			_, ext, ok := strings.Cut(x.iface, "/")
			return ok && ext == target
		})
	}
	switch {
	case a != nil:
		c.prefer = a
	case e.queues[target] != nil:
		return target
	default:
		e.log.Info("acd: list value names no agent, extension or queue; the call goes to its queue", "call", c.id, "list", c.list, "value", target)
	}
	return c.q.cfg.Name
}

// agentBy returns the agent match accepts, the lowest number of several
// (so the choice does not depend on map order); nil when none. The lock
// is held.
func (e *Engine) agentBy(match func(*agent) bool) *agent {
	var found *agent
	for _, x := range e.agents {
		if !x.removed && match(x) && (found == nil || x.cfg.Number < found.cfg.Number) {
			found = x
		}
	}
	return found
}

// askCRM looks the caller's name up and collects IVR data, within CRMTimeout overall.
func (e *Engine) askCRM(c *call, codes []string, ivr string) (name, data string) {
	ctx, cancel := context.WithTimeout(e.runCtx, e.cfg.CRMTimeout)
	defer cancel()
	n, err := e.cfg.CRM.CallerIDName(ctx, c.number)
	switch {
	case err != nil:
		e.log.Info("acd: CRM caller name lookup failed", "call", c.id, "err", err)
	case n != "":
		name = n
		if err := e.pbx(func(pctx context.Context) error { return e.cfg.Media.SetVariable(pctx, c.id, "CALLERID(name)", n) }); err != nil {
			e.log.Info("acd: setting the caller name failed", "call", c.id, "err", err)
		}
	}
	for _, code := range codes {
		if ctx.Err() != nil {
			e.log.Info("acd: CRM timeout; IVR codes left out", "call", c.id, "code", code)
			break
		}
		ans, err := e.cfg.CRM.IVRCode(ctx, c.id, c.number, code, ivr)
		if err != nil {
			e.log.Info("acd: CRM IVRCode failed", "call", c.id, "code", code, "err", err)
			continue
		}
		ivr += ans
	}
	return name, ivr
}

// enqueue puts a call at the end of q and writes ENTERQUEUE; the lock is held.
func (e *Engine) enqueue(c *call, q *queue) {
	c.q, c.state, c.enteredAt = q, stWaiting, e.cfg.Now()
	q.waiting = append(q.waiting, c)
	c.origPos = len(q.waiting)
	clear(c.tried)
	e.cancel(&c.retry)
	e.cancel(&c.widen)
	e.write(q.cfg.Name, c.id, nil, centralita.QLEnterQueue, "", c.number, strconv.Itoa(c.origPos))
	if wait := c.waitLimit(q); wait > 0 {
		c.maxWait = e.after(wait, func() {
			c.maxWait = nil
			e.overflow(c)
		})
	}
	if q.cfg.AnnounceSec > 0 {
		e.scheduleAnnounce(c)
	}
}

// scheduleAnnounce plays the caller's position every AnnounceSec; the lock is held.
func (e *Engine) scheduleAnnounce(c *call) {
	c.announce = e.after(time.Duration(c.q.cfg.AnnounceSec)*time.Second, func() {
		c.announce = nil
		if c.state != stWaiting {
			return
		}
		pos := strconv.Itoa(c.position())
		e.spawn(func() {
			_ = e.pbx(func(ctx context.Context) error {
				return e.cfg.Media.PlayChannel(ctx, c.id, "sound:queue-thereare", "digits:"+pos, "sound:queue-callswaiting")
			})
		})
		e.scheduleAnnounce(c)
	})
}

// overflow ends a call's wait after MaxWaitSec; the lock is held.
func (e *Engine) overflow(c *call) {
	if c.state != stWaiting {
		return
	}
	var next *queue
	if name := c.q.cfg.OverflowQueue; name != "" && c.maxWaitArg == 0 {
		next = e.queues[name]
	}
	e.exitQueue(c, next)
}

// waitLimit is how long c may wait in q: the queue's MaxWaitSec, or the
// call's own maxwait when shorter; 0 = no limit.
func (c *call) waitLimit(q *queue) time.Duration {
	wait := time.Duration(q.cfg.MaxWaitSec) * time.Second
	if c.maxWaitArg > 0 && (wait == 0 || c.maxWaitArg < wait) {
		wait = c.maxWaitArg
	}
	return wait
}

// exitQueue takes a waiting call out of its queue with EXITWITHTIMEOUT and
// into next, or, when next is nil, plays the queue's overflow sound and
// hangs it up; the lock is held.
func (e *Engine) exitQueue(c *call, next *queue) {
	pos, wait := c.position(), e.cfg.Now().Sub(c.enteredAt)
	e.leaveQueue(c)
	e.write(c.q.cfg.Name, c.id, nil, centralita.QLExitWithTimeout, strconv.Itoa(pos), strconv.Itoa(c.origPos), strconv.Itoa(secs(wait)))
	if next != nil {
		if class := next.cfg.MusicClass; class != c.q.cfg.MusicClass && c.hold {
			e.spawn(func() {
				_ = e.pbx(func(ctx context.Context) error { return e.cfg.Media.StartBridgeMOH(ctx, c.id+"-hold", class) })
			})
		}
		e.enqueue(c, next)
		return
	}
	sound := c.q.cfg.OverflowSound
	if c.sound != "" {
		sound = c.sound
	}
	e.reject(c, sound, false)
}

// leaveQueue takes a waiting call out of its queue, cancelling its ringing
// attempts (RINGCANCELED) and its timers; the lock is held.
func (e *Engine) leaveQueue(c *call) {
	if i := slices.Index(c.q.waiting, c); i >= 0 {
		c.q.waiting = slices.Delete(c.q.waiting, i, i+1)
	}
	c.state = stMoving
	for _, o := range c.offers {
		e.ringFailed(o, centralita.QLRingCanceled)
	}
	e.stopCallTimers(c)
}

func (e *Engine) stopCallTimers(c *call) {
	e.cancel(&c.retry)
	e.cancel(&c.maxWait)
	e.cancel(&c.announce)
	e.cancel(&c.widen)
}

// offerEntered handles an agent answering (its leg entered the
// application); a second ChannelEntered of a leg already connected (one
// reconcile made up, then the real one) changes nothing. The lock is held.
func (e *Engine) offerEntered(o *offer) {
	if o.answered && !o.gone && o.c.state == stConnected && o.c.conn == o {
		return
	}
	if o.done || o.c.state != stWaiting {
		// Too late: the attempt or the call is over. Never bridge it.
		e.spawn(func() { e.hangup(o.id) })
		return
	}
	c, a := o.c, o.a
	now := e.cfg.Now()
	o.done, o.answered = true, true
	e.cancel(&o.timer)
	delete(c.offers, o.id)
	for _, other := range c.offers { // ringall: the others stop ringing
		other.done = true
		e.cancel(&other.timer)
		delete(c.offers, other.id)
		if other.a.offer == other {
			other.a.offer = nil
			e.release(other.a)
		}
		e.spawn(func() { e.hangup(other.id) })
	}
	if i := slices.Index(c.q.waiting, c); i >= 0 {
		c.q.waiting = slices.Delete(c.q.waiting, i, i+1)
	}
	e.stopCallTimers(c)
	c.state, c.agent, c.leg, c.connectedAt = stConnected, a, o.id, now
	c.q.connected = append(c.q.connected, c)
	a.offer, a.call = nil, c
	e.setStatus(a, centralita.AgentInUse)
	e.write(c.q.cfg.Name, c.id, a, centralita.QLConnect,
		strconv.Itoa(secs(now.Sub(c.enteredAt))), o.id, strconv.Itoa(secs(now.Sub(o.start))))
	c.conn, c.linking = o, true
	e.spawn(func() { e.bridge(c, o) })
	if e.cfg.CRM != nil {
		info := centralita.AgentInfo{
			UniqueID: c.id, Queue: c.q.cfg.Name, CallerID: strings.TrimSpace(c.name + " <" + c.number + ">"),
			AgentChannel: a.iface, IVRData: c.ivrData,
		}
		e.spawn(func() {
			ctx, cancel := context.WithTimeout(e.runCtx, e.cfg.CRMPushTimeout)
			defer cancel()
			if _, err := e.cfg.CRM.PushAgentInfo(ctx, info); err != nil && e.runCtx.Err() == nil {
				e.log.Warn("acd: pushAgentInfo failed", "call", info.UniqueID, "err", err)
			}
		})
	}
}

// bridge puts the caller and the agent who answered in a mixing bridge and
// destroys the holding bridge.
func (e *Engine) bridge(c *call, o *offer) {
	e.mix(c.id+"-bridge", o.id, c.id, c.id+"-hold", func(err error) (hangup, destroy bool) {
		c.linking, c.hold = false, false
		switch {
		case c.state != stConnected || c.leg != o.id:
			return false, true // the call ended while it was being bridged
		case err != nil:
			// A leg left, or Asterisk refused: end both sides; their
			// hangups complete the call.
			e.log.Warn("acd: bridging caller and agent failed", "call", c.id, "agent", o.a.cfg.Number, "err", err)
			return true, false
		}
		e.startRecording(c, o)
		return false, false
	})
}

// mix puts channels a and b in a new mixing bridge br and then destroys the
// bridge hold ("" for none); settle, run under the lock with the outcome,
// says whether to hang up both channels (it failed, or the call ended
// meanwhile) and whether to destroy br. It runs in a spawned goroutine.
func (e *Engine) mix(br, a, b, hold string, settle func(err error) (hangup, destroy bool)) {
	err := e.pbx(func(ctx context.Context) error {
		if err := e.cfg.PBX.CreateBridge(ctx, br, "mixing"); err != nil {
			return err
		}
		if err := e.cfg.PBX.AddChannel(ctx, br, a); err != nil {
			return err
		}
		return e.cfg.PBX.AddChannel(ctx, br, b)
	})
	if hold != "" {
		e.destroyBridge(hold)
	}
	e.mu.Lock()
	hangup, destroy := settle(err)
	e.mu.Unlock()
	if hangup {
		e.hangup(a)
		e.hangup(b)
	}
	if destroy {
		e.destroyBridge(br)
	}
}

// holdWithMusic puts a channel in a new holding bridge "<id>-hold" with
// music on hold of class.
func (e *Engine) holdWithMusic(ctx context.Context, id, class string) error {
	hold := id + "-hold"
	if err := e.cfg.PBX.CreateBridge(ctx, hold, "holding"); err != nil {
		return err
	}
	if err := e.cfg.PBX.AddChannel(ctx, hold, id); err != nil {
		return err
	}
	return e.cfg.Media.StartBridgeMOH(ctx, hold, class)
}

// callerGone handles the caller's channel ending; the lock is held.
func (e *Engine) callerGone(c *call) {
	delete(e.legs, c.id)
	switch c.state {
	case stWaiting:
		pos, wait := c.position(), e.cfg.Now().Sub(c.enteredAt)
		e.leaveQueue(c)
		e.write(c.q.cfg.Name, c.id, nil, centralita.QLAbandon, strconv.Itoa(pos), strconv.Itoa(c.origPos), strconv.Itoa(secs(wait)))
	case stConnected:
		e.complete(c, centralita.QLCompleteCaller)
	}
	// stEntering and stMoving: the goroutine at work cleans up when it sees stDone.
	if c.hold && c.state != stEntering && c.state != stMoving {
		c.hold = false
		e.spawn(func() { e.destroyBridge(c.id + "-hold") })
	}
	c.state = stDone
	e.stopCallTimers(c)
}

// complete ends a connected call with COMPLETECALLER or COMPLETEAGENT and
// hangs the other side up; the lock is held.
func (e *Engine) complete(c *call, event string) {
	now := e.cfg.Now()
	o := c.conn
	e.write(c.q.cfg.Name, c.id, c.agent, event, strconv.Itoa(secs(c.connectedAt.Sub(c.enteredAt))),
		strconv.Itoa(secs(now.Sub(c.connectedAt))), strconv.Itoa(c.origPos))
	e.detach(c, o, !c.linking)
	c.state = stDone
	if event == centralita.QLCompleteCaller {
		e.spawn(func() { e.hangup(c.leg) })
	} else {
		e.spawn(func() { e.hangup(c.id) })
	}
}

// detach separates a connected call from its agent, who goes to wrap-up
// once its leg is gone, and destroys the agent bridge when asked; the lock
// is held.
func (e *Engine) detach(c *call, o *offer, destroy bool) {
	e.endRecording(c)
	if i := slices.Index(c.q.connected, c); i >= 0 {
		c.q.connected = slices.Delete(c.q.connected, i, i+1)
	}
	if destroy {
		br := c.id + "-bridge"
		e.spawn(func() { e.destroyBridge(br) })
	}
	if o == nil {
		return
	}
	o.ended = true
	if o.gone {
		e.finishAgent(o)
		return
	}
	// The agent is free once its leg is gone; should that event never come, anyway.
	o.timer = e.after(30*time.Second, func() {
		o.timer = nil
		e.finishAgent(o)
	})
}

// finishAgent frees the agent of an ended call, into wrap-up; the lock is held.
func (e *Engine) finishAgent(o *offer) {
	if o.released {
		return
	}
	o.released = true
	e.cancel(&o.timer)
	if o.a.call == o.c {
		o.a.call = nil
	}
	e.wrapup(o.a, time.Duration(o.q.cfg.WrapupSec)*time.Second)
}

// offerGone handles an agent leg ending; the lock is held.
func (e *Engine) offerGone(o *offer) {
	o.gone = true
	delete(e.legs, o.id)
	c := o.c
	switch {
	case !o.done:
		e.ringFailed(o, centralita.QLRingNoAnswer)
	case o.answered && c.state == stConnected && c.conn == o:
		e.complete(c, centralita.QLCompleteAgent)
	case o.answered && o.ended:
		e.finishAgent(o)
	}
}
