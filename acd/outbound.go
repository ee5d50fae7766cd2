package acd

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// dialable is an extension or outside number.
var dialable = regexp.MustCompile(`^\+?[0-9*#]{1,40}$`)

// outCall is an agent's two-step call (AgentCall): the agent's phone, then
// the destination, bridged.
type outCall struct {
	id                       string // the GUID
	a                        *agent
	queue                    string // the outqueue; "" for none
	iface, dest, dstEndpoint string
	callerID, data, form     string
	agentLeg, dstLeg         string
	started, answered        time.Time
	agentDialed, agentUp     bool
	agentGone                bool
	dstRequested, dstDialed  bool
	dstUp, dstGone           bool
	logged, ended, linking   bool
	released                 bool
	guard                    *timer
	agentGen, dstGen         uint64 // listGen when each leg's dial succeeded
	record                   bool   // AgentCallRequest.Record
	campaign                 string // AgentCallRequest.Campaign
	rec                      callRecording
}

// legState reports whether a leg was dialled, when (listGen), and whether
// it was seen answering.
func (o *outCall) legState(id string) (dialed, up bool, gen uint64) {
	if id == o.agentLeg {
		return o.agentDialed, o.agentUp, o.agentGen
	}
	return o.dstDialed, o.dstUp, o.dstGen
}

// xfer is a caller blind-transferred out of the ACD to an extension or
// number, followed until both sides hang up.
type xfer struct {
	callID, dst, endpoint string
	name, number          string
	dialed, dstUp         bool
	callerGone, dstGone   bool
	linking               bool
	dstGen                uint64 // listGen when the target's dial succeeded
}

func (x *xfer) legState(id string) (dialed, up bool, gen uint64) {
	if id == x.callID {
		return true, true, 0
	}
	return x.dialed, x.dstUp, x.dstGen
}

// dialEndpoint is what to dial for a transfer or agent-call target: an
// interface as given ("PJSIP/102"; "SIP/102" mapped when SIPToPJSIP), a
// number that is a local endpoint as "PJSIP/<n>", any other number
// through the trunk.
func (e *Engine) dialEndpoint(ctx context.Context, target string) (string, error) {
	if strings.Contains(target, "/") {
		if !ifacePattern.MatchString(target) {
			return "", centralita.Errorf(centralita.EINVALID, "target %q: want TECH/extension or a number", target)
		}
		return e.endpoint(target), nil
	}
	if !dialable.MatchString(target) {
		return "", centralita.Errorf(centralita.EINVALID, "target %q: want an extension or number of 1 to 40 digits", target)
	}
	local := "PJSIP/" + target
	err := e.pbx(func(pctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
		defer cancel()
		_, err := e.cfg.PBX.Endpoint(pctx, local)
		return err
	})
	if err == nil {
		return local, nil
	}
	return "PJSIP/" + target + "@" + e.cfg.Trunk, nil
}

// lockConnected takes the lock and returns the call callID when it is
// talking to an agent; while its bridge is still being built it waits
// (within the request timeout). On error the lock is not held.
func (e *Engine) lockConnected(ctx context.Context, callID string) (*call, error) {
	deadline := time.Now().Add(e.cfg.RequestTimeout)
	for {
		e.mu.Lock()
		c, ok := e.legs[callID].(*call)
		switch {
		case !ok:
			e.mu.Unlock()
			return nil, centralita.Errorf(centralita.ENOTFOUND, "call %q not found", callID)
		case c.state != stConnected:
			e.mu.Unlock()
			return nil, centralita.Errorf(centralita.ECONFLICT, "call %q is not connected to an agent", callID)
		case !c.linking:
			return c, nil
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			return nil, centralita.Errorf(centralita.ECONFLICT, "call %q is still being connected; try again", callID)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Transfer blind-transfers a connected call: to "queue:<name>" (TRANSFER
// with context "queue"; the caller waits again with music on hold, with
// ENTERQUEUE in the new queue) or to an extension or number (TRANSFER with
// context "extension"; the caller leaves the ACD and is bridged to the
// target when it answers, or hung up when it does not). Either way the
// agent's leg is hung up and the agent goes to wrap-up.
func (e *Engine) Transfer(ctx context.Context, callID, target string) error {
	target = strings.TrimSpace(target)
	if name, ok := strings.CutPrefix(target, "queue:"); ok {
		return e.transferToQueue(ctx, callID, name)
	}
	endpoint, err := e.dialEndpoint(ctx, target)
	if err != nil {
		return err
	}
	c, err := e.lockConnected(ctx, callID)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	leg, class := c.leg, c.q.cfg.MusicClass
	e.transferRow(c, target, "extension")
	c.state = stDone
	c.attempts++
	x := &xfer{callID: c.id, dst: c.id + "-x" + strconv.Itoa(c.attempts), endpoint: endpoint, name: c.name, number: c.number}
	e.legs[c.id], e.legs[x.dst] = x, x
	e.spawn(func() { e.runXfer(x, leg, class) })
	return nil
}

// transferRow writes TRANSFER and frees the agent; the lock is held.
func (e *Engine) transferRow(c *call, target, context string) {
	now := e.cfg.Now()
	e.write(c.q.cfg.Name, c.id, c.agent, centralita.QLTransfer, target, context,
		strconv.Itoa(secs(c.connectedAt.Sub(c.enteredAt))), strconv.Itoa(secs(now.Sub(c.connectedAt))), strconv.Itoa(c.origPos))
	e.detach(c, c.conn, false) // moveToHold tears the agent bridge down
	c.agent, c.conn = nil, nil
}

// moveToHold puts the caller back in a holding bridge with music, then
// tears the agent bridge down and hangs the agent's leg up.
func (e *Engine) moveToHold(callID, agentLeg, class string) {
	err := e.pbx(func(ctx context.Context) error { return e.holdWithMusic(ctx, callID, class) })
	if err != nil && e.runCtx.Err() == nil {
		e.log.Warn("acd: putting a transferred caller on hold failed", "call", callID, "err", err)
	}
	e.destroyBridge(callID + "-bridge")
	e.hangup(agentLeg)
}

func (e *Engine) transferToQueue(ctx context.Context, callID, name string) error {
	c, err := e.lockConnected(ctx, callID)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	next := e.queues[name]
	if next == nil {
		return centralita.Errorf(centralita.ENOTFOUND, "queue %q not found", name)
	}
	leg := c.leg
	e.transferRow(c, name, "queue")
	c.state, c.hold = stMoving, true
	class := next.cfg.MusicClass
	e.spawn(func() {
		e.moveToHold(c.id, leg, class)
		e.mu.Lock()
		defer e.mu.Unlock()
		if c.state != stMoving { // the caller hung up meanwhile
			e.spawn(func() { e.destroyBridge(c.id + "-hold") })
			c.hold = false
			return
		}
		if q := e.queues[name]; q != nil {
			e.enqueue(c, q)
		} else {
			e.reject(c, centralita.DefaultOverflowSound, false)
		}
		e.dispatch()
	})
	return nil
}

// runXfer moves a caller transferred to an extension on hold and dials the target.
func (e *Engine) runXfer(x *xfer, agentLeg, class string) {
	e.moveToHold(x.callID, agentLeg, class)
	err := e.pbx(func(ctx context.Context) error {
		return e.cfg.PBX.Originate(ctx, centralita.OriginateRequest{
			ChannelID: x.dst, Endpoint: x.endpoint, CallerIDName: x.name, CallerIDNumber: x.number,
			Timeout: e.cfg.DialTimeout, AppArgs: []string{"acd", x.callID, "xfer"}, Originator: x.callID,
		})
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.log.Warn("acd: dialling the transfer target failed; hanging the caller up", "call", x.callID, "target", x.endpoint, "err", err)
		e.xferGone(x, x.dst)
		e.keepDead(x.dst, x)
		return
	}
	x.dialed, x.dstGen = true, e.listGen
	if x.callerGone && !x.dstGone {
		e.spawn(func() { e.hangup(x.dst) })
	}
}

// keepDead keeps a leg whose request failed known for a while, so that a
// channel Asterisk created anyway is matched and hung up; the lock is held.
func (e *Engine) keepDead(id string, ref any) {
	e.legs[id] = ref
	e.after(e.cfg.DialTimeout+time.Minute, func() {
		if e.legs[id] == ref {
			delete(e.legs, id)
		}
	})
}

// xferEntered bridges the transfer target with the caller when it answers;
// a second ChannelEntered of an answered target changes nothing. The lock
// is held.
func (e *Engine) xferEntered(x *xfer, id string) {
	if id != x.dst {
		return
	}
	switch {
	case x.dstGone || x.callerGone:
		e.spawn(func() { e.hangup(id) })
		return
	case x.dstUp:
		return
	}
	x.dstUp, x.linking = true, true
	e.spawn(func() {
		e.mix(x.callID+"-xbridge", x.callID, x.dst, x.callID+"-hold", func(err error) (hangup, destroy bool) {
			x.linking = false
			over := err != nil || x.callerGone || x.dstGone
			return over, over
		})
	})
}

// xferGone ends a transfer when either side hangs up; the lock is held.
func (e *Engine) xferGone(x *xfer, id string) {
	delete(e.legs, id)
	if id == x.callID {
		x.callerGone = true
	} else {
		x.dstGone = true
	}
	other := x.dst
	if id == x.dst {
		other = x.callID
	}
	linking := x.linking
	e.spawn(func() {
		e.hangup(other)
		e.destroyBridge(x.callID + "-hold")
		if !linking {
			e.destroyBridge(x.callID + "-xbridge")
		}
	})
}
