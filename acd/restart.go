package acd

import (
	"cmp"
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/centralita/centralita"
)

// ownLeg matches the channel ids this engine gives its legs.
var ownLeg = regexp.MustCompile(`-[ax][0-9]+$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-(agent|dst)$`)

// xferLeg matches a transfer leg "<callid>-x<n>", capturing the call id.
var xferLeg = regexp.MustCompile(`^(.+)-x[0-9]+$`)

// openCall is a queue call a previous run left unfinished in queue_log.
type openCall struct {
	queue, agent string
	entered      time.Time
	pos          int
	connected    time.Time
	hold         int
}

// session is a queue membership of an agent ("Agent/<n>") in queue_log.
type session struct{ queue, agent string }

// leftovers is what today's queue_log leaves open: queue calls, calls
// transferred to an extension (the ACD's part of them is over, but a
// previous run may have left their caller bridged), and member sessions
// (ADDMEMBER without REMOVEMEMBER, with the interface).
type leftovers struct {
	open     map[string]*openCall
	xfers    map[string]bool
	sessions map[session]string
}

func newLeftovers() *leftovers {
	return &leftovers{open: map[string]*openCall{}, xfers: map[string]bool{}, sessions: map[session]string{}}
}

// track follows one row of today's log.
func (l *leftovers) track(r *centralita.QueueLogEntry) {
	switch r.Event {
	case centralita.QLEnterQueue:
		pos, _ := strconv.Atoi(r.Data3)
		l.open[r.CallID] = &openCall{queue: r.QueueName, entered: r.Time, pos: pos}
	case centralita.QLConnect:
		if oc := l.open[r.CallID]; oc != nil {
			oc.agent, oc.connected = r.Agent, r.Time
			oc.hold, _ = strconv.Atoi(r.Data1)
		}
	case centralita.QLTransfer:
		delete(l.open, r.CallID)
		if r.Data2 == "extension" {
			l.xfers[r.CallID] = true
		}
	case centralita.QLAbandon, centralita.QLExitWithTimeout, centralita.QLCompleteCaller, centralita.QLCompleteAgent:
		delete(l.open, r.CallID)
	case centralita.QLAddMember:
		l.sessions[session{r.QueueName, r.Agent}] = r.Data1
	case centralita.QLRemoveMember:
		delete(l.sessions, session{r.QueueName, r.Agent})
	}
}

// cleanupPrevious hangs up what a previous run left in Asterisk: legs
// named like this engine's, the callers of queue calls its log left open,
// whose rows it closes (ABANDON for a waiting call, COMPLETEAGENT for a
// connected one: the side Centralita ends), and the callers of calls
// transferred to an extension (found by their "<id>-x<n>" leg or by their
// TRANSFER row; no row, TRANSFER closed them), with their bridges. Open
// calls whose channels are already gone are left as the log has them: when
// they ended is unknown.
func (e *Engine) cleanupPrevious(left *leftovers) {
	var chans []centralita.ChannelInfo
	err := e.pbx(func(pctx context.Context) (err error) { chans, err = e.cfg.PBX.ListChannels(pctx); return err })
	if err != nil {
		e.log.Warn("acd: cannot list channels to clean up after a previous run", "err", err)
		return
	}
	live := map[string]bool{}
	for _, ch := range chans {
		live[ch.ID] = true
	}
	var ids, bridges []string
	seen := map[string]bool{}
	add := func(id string, bs ...string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
			bridges = append(bridges, bs...)
		}
	}
	e.mu.Lock()
	now := e.cfg.Now()
	for _, ch := range chans {
		oc := left.open[ch.ID]
		switch {
		case ownLeg.MatchString(ch.ID):
			add(ch.ID)
			if m := xferLeg.FindStringSubmatch(ch.ID); m != nil && live[m[1]] {
				add(m[1], m[1]+"-xbridge", m[1]+"-hold")
			}
		case left.xfers[ch.ID]:
			add(ch.ID, ch.ID+"-xbridge", ch.ID+"-hold")
		case oc == nil:
		case oc.connected.IsZero():
			e.writeRow(oc.queue, ch.ID, "NONE", centralita.QLAbandon, strconv.Itoa(oc.pos), strconv.Itoa(oc.pos), strconv.Itoa(secs(now.Sub(oc.entered))))
			add(ch.ID, ch.ID+"-hold", ch.ID+"-bridge")
		default:
			e.writeRow(oc.queue, ch.ID, oc.agent, centralita.QLCompleteAgent, strconv.Itoa(oc.hold), strconv.Itoa(secs(now.Sub(oc.connected))), strconv.Itoa(oc.pos))
			add(ch.ID, ch.ID+"-hold", ch.ID+"-bridge")
		}
	}
	e.mu.Unlock()
	if len(ids) > 0 {
		e.log.Info("acd: hanging up channels left by a previous run", "channels", len(ids))
	}
	for _, id := range ids {
		e.hangup(id)
	}
	for _, b := range bridges {
		e.destroyBridge(b)
	}
}

// closeSessions ends the member sessions today's log leaves open that the
// restored state does not continue: REMOVEMEMBER for an agent logged out
// (a logout that was pending when the last run stopped, say) or no longer
// a member, and REMOVEMEMBER then ADDMEMBER for one logged in at another
// interface meanwhile; the lock is held.
func (e *Engine) closeSessions(open map[session]string) {
	keys := slices.SortedFunc(maps.Keys(open), func(x, y session) int {
		return cmp.Or(cmp.Compare(x.queue, y.queue), cmp.Compare(x.agent, y.agent))
	})
	for _, s := range keys {
		iface := open[s]
		var a *agent
		var m *member
		if a = e.agents[centralita.AgentFromLogName(s.agent)]; a != nil {
			m = e.memberOf(a, s.queue)
		}
		switch {
		case a == nil || m == nil || !a.loggedIn():
			e.writeRow(s.queue, "NONE", s.agent, centralita.QLRemoveMember, iface)
		case a.iface != iface:
			e.writeRow(s.queue, "NONE", s.agent, centralita.QLRemoveMember, iface)
			e.write(s.queue, "NONE", a, centralita.QLAddMember, a.iface)
		}
	}
}
