package acd

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/centralita/centralita"
)

// AgentCall rings the agent's phone (req.Phone, or the interface it is
// logged in at) and, when it answers, dials the destination and bridges
// both. The agent is busy (INUSE) meanwhile and gets no queue calls. The
// call is logged as DIALOUT when the destination is dialled and DIALOUTEND
// (talk seconds, destination) when it ends, under req.Queue or "NONE".
// Data and Form stay with the call: AgentCallData returns them, and the
// snapshot shows Data as the call's IVRData. ECONFLICT when the agent is
// ringing or on a call.
func (e *Engine) AgentCall(ctx context.Context, req centralita.AgentCallRequest) (string, error) {
	if req.Agent == "" {
		return "", centralita.Errorf(centralita.EINVALID, "an agent is required")
	}
	if len(req.Queue) > 128 {
		return "", centralita.Errorf(centralita.EINVALID, "outqueue: at most 128 characters")
	}
	dest := strings.TrimSpace(req.Destination)
	if !dialable.MatchString(dest) {
		return "", centralita.Errorf(centralita.EINVALID, "destination %q: want an extension or number of 1 to 40 digits", req.Destination)
	}
	number, err := e.resolveAgent(ctx, req.Agent)
	if err != nil {
		return "", err
	}
	iface := ""
	if p := strings.TrimSpace(req.Phone); p != "" {
		iface = p
		if !strings.Contains(p, "/") {
			tech := req.Tech
			if tech == "" {
				tech = "SIP"
			}
			iface = tech + "/" + p
		}
		if !ifacePattern.MatchString(iface) {
			return "", centralita.Errorf(centralita.EINVALID, "phone %q: want an extension or TECH/extension", req.Phone)
		}
	}
	dstEndpoint, err := e.dialEndpoint(ctx, dest)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.findAgent(number)
	if err != nil {
		return "", err
	}
	if iface == "" {
		iface = a.iface
	}
	switch {
	case iface == "":
		return "", centralita.Errorf(centralita.EINVALID, "agent %q is not logged in and no phone was given", number)
	case a.offer != nil || a.call != nil || a.out != nil:
		return "", centralita.Errorf(centralita.ECONFLICT, "agent %q is busy", number)
	}
	id := uuid.NewString()
	oc := &outCall{
		id: id, a: a, queue: req.Queue, iface: iface, dest: dest, dstEndpoint: dstEndpoint,
		callerID: req.CallerID, data: req.Data, form: req.Form, record: req.Record, campaign: req.Campaign,
		agentLeg: id + "-agent", dstLeg: id + "-dst", started: e.cfg.Now(),
	}
	a.out = oc
	e.cancel(&a.wrap)
	e.setStatus(a, centralita.AgentInUse)
	e.outs[id] = oc
	e.legs[oc.agentLeg] = oc
	endpoint := e.endpoint(iface)
	e.spawn(func() {
		err := e.pbx(func(ctx context.Context) error {
			return e.cfg.PBX.Originate(ctx, centralita.OriginateRequest{
				ChannelID: oc.agentLeg, Endpoint: endpoint, CallerIDNumber: dest,
				Timeout: e.cfg.DialTimeout, AppArgs: []string{"acd", id, "dialout-agent"},
			})
		})
		e.mu.Lock()
		defer e.mu.Unlock()
		if err != nil {
			e.log.Warn("acd: ringing the agent's phone failed", "call", id, "phone", endpoint, "err", err)
			if !oc.agentGone {
				e.outGone(oc, oc.agentLeg)
			}
			e.keepDead(oc.agentLeg, oc)
			return
		}
		oc.agentDialed, oc.agentGen = true, e.listGen
		if oc.ended && !oc.agentGone {
			e.spawn(func() { e.hangup(oc.agentLeg) })
		}
	})
	return id, nil
}

// AgentCallData returns the Data and Form an agent call was made with,
// while it is in progress.
func (e *Engine) AgentCallData(id string) (data, form string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	oc := e.outs[id]
	if oc == nil {
		return "", "", false
	}
	return oc.data, oc.form, true
}

// resolveAgent returns the number of the agent named by number or username.
func (e *Engine) resolveAgent(ctx context.Context, name string) (string, error) {
	find := func() string {
		e.mu.Lock()
		defer e.mu.Unlock()
		if a := e.agents[name]; a != nil {
			return name
		}
		for num, a := range e.agents {
			if a.cfg.Username == name {
				return num
			}
		}
		return ""
	}
	if n := find(); n != "" {
		return n, nil
	}
	a, err := e.cfg.Agents.FindAgent(ctx, name)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		a, err = e.cfg.Agents.FindAgentByUsername(ctx, name)
	}
	if err != nil {
		return "", err
	}
	if err := e.Reload(ctx); err != nil {
		return "", err
	}
	return a.Number, nil
}

// outEntered handles a leg of an agent call answering; the lock is held.
func (e *Engine) outEntered(oc *outCall, id string) {
	if (id == oc.agentLeg && oc.agentGone) || (id == oc.dstLeg && oc.dstGone) {
		// A leg whose request failed, created by Asterisk anyway.
		e.spawn(func() { e.hangup(id) })
		return
	}
	if id == oc.agentLeg {
		if oc.agentUp {
			return
		}
		oc.agentUp = true
		if oc.ended {
			e.spawn(func() { e.hangup(id) })
			return
		}
		oc.dstRequested = true
		e.legs[oc.dstLeg] = oc
		e.write(oc.queueName(), oc.id, oc.a, centralita.QLDialOut, oc.dest)
		oc.logged = true
		e.spawn(func() { e.dialDst(oc) })
		return
	}
	if oc.dstUp {
		return
	}
	oc.dstUp = true
	if oc.ended {
		e.spawn(func() { e.hangup(id) })
		return
	}
	oc.answered, oc.linking = e.cfg.Now(), true
	e.spawn(func() {
		e.mix(oc.id+"-bridge", oc.agentLeg, oc.dstLeg, "", func(err error) (hangup, destroy bool) {
			oc.linking = false
			if err != nil {
				e.log.Warn("acd: bridging an agent call failed", "call", oc.id, "err", err)
			}
			over := err != nil || oc.ended
			if !over && oc.record {
				e.recordOut(oc)
			}
			return over, over
		})
	})
}

func (oc *outCall) queueName() string {
	if oc.queue == "" {
		return "NONE"
	}
	return oc.queue
}

// dialDst dials an agent call's destination once the agent answered.
func (e *Engine) dialDst(oc *outCall) {
	err := e.pbx(func(ctx context.Context) error {
		return e.cfg.PBX.Originate(ctx, centralita.OriginateRequest{
			ChannelID: oc.dstLeg, Endpoint: oc.dstEndpoint, CallerIDNumber: oc.callerID,
			Timeout: e.cfg.DialTimeout, AppArgs: []string{"acd", oc.id, "dialout-dst"}, Originator: oc.agentLeg,
		})
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.log.Warn("acd: dialling an agent call's destination failed", "call", oc.id, "destination", oc.dstEndpoint, "err", err)
		if !oc.dstGone {
			e.outGone(oc, oc.dstLeg)
		}
		e.keepDead(oc.dstLeg, oc)
		return
	}
	oc.dstDialed, oc.dstGen = true, e.listGen
	if oc.ended && !oc.dstGone {
		e.spawn(func() { e.hangup(oc.dstLeg) })
	}
}

// outGone handles a leg of an agent call ending: the call ends
// (DIALOUTEND), the other leg is hung up, and the agent is free once its
// own leg is gone; the lock is held.
func (e *Engine) outGone(oc *outCall, id string) {
	delete(e.legs, id)
	if id == oc.agentLeg {
		oc.agentGone = true
	} else {
		oc.dstGone = true
	}
	if !oc.ended {
		oc.ended = true
		delete(e.outs, oc.id)
		e.stopRec(&oc.rec)
		if oc.logged {
			talk := 0
			if !oc.answered.IsZero() {
				talk = secs(e.cfg.Now().Sub(oc.answered))
			}
			e.write(oc.queueName(), oc.id, oc.a, centralita.QLDialOutEnd, strconv.Itoa(talk), oc.dest)
		}
		other, live := oc.agentLeg, !oc.agentGone
		if id == oc.agentLeg {
			other, live = oc.dstLeg, oc.dstRequested && !oc.dstGone
		}
		bridged := oc.dstUp && !oc.linking
		e.spawn(func() {
			if live {
				e.hangup(other)
			}
			if bridged {
				e.destroyBridge(oc.id + "-bridge")
			}
		})
		if !oc.agentGone {
			oc.guard = e.after(30*time.Second, func() {
				oc.guard = nil
				e.releaseOut(oc)
			})
		}
	}
	if oc.agentGone {
		e.releaseOut(oc)
	}
}

// releaseOut frees the agent of an ended agent call; the lock is held.
func (e *Engine) releaseOut(oc *outCall) {
	if oc.released {
		return
	}
	oc.released = true
	e.cancel(&oc.guard)
	if oc.a.out == oc {
		oc.a.out = nil
		e.release(oc.a)
	}
}

// HangupAgent hangs up every channel the engine has for a phone (an
// interface such as "SIP/101" or a bare extension): the agent legs of
// queue calls ringing or connected there, and agent calls made from it.
// The rest follows from those hangups. ENOTFOUND when there is none.
func (e *Engine) HangupAgent(ctx context.Context, phone string) error {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return centralita.Errorf(centralita.EINVALID, "a phone is required")
	}
	match := func(iface string) bool {
		switch {
		case iface == "":
			return false
		case strings.Contains(phone, "/"):
			return iface == phone || e.endpoint(iface) == e.endpoint(phone)
		}
		_, res, _ := strings.Cut(iface, "/")
		return res == phone
	}
	var ids []string
	e.mu.Lock()
	for _, a := range e.agents {
		if !match(a.iface) {
			continue
		}
		if a.offer != nil {
			ids = append(ids, a.offer.id)
		}
		if a.call != nil && a.call.conn != nil && !a.call.conn.gone {
			ids = append(ids, a.call.conn.id)
		}
	}
	for _, oc := range e.outs {
		if match(oc.iface) {
			ids = append(ids, oc.agentLeg)
			if oc.dstRequested && !oc.dstGone {
				ids = append(ids, oc.dstLeg)
			}
		}
	}
	e.mu.Unlock()
	if len(ids) == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "phone %q has no call", phone)
	}
	for _, id := range ids {
		err := e.pbx(func(pctx context.Context) error {
			pctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
			defer cancel()
			return e.cfg.PBX.Hangup(pctx, id, "normal")
		})
		if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
			return err
		}
	}
	return nil
}
