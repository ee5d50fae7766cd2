package soap

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/centralita/centralita"
)

// Status words of statusQueues' agent@status and qagent@status (A19: the
// spec shows offline, busyout and waiting; the others are ours).
const (
	statusOffline = "offline" // logged out, or logged in at a phone that cannot take calls
	statusBusyout = "busyout" // agent@status only: logged in and paused in every queue
	statusWaiting = "waiting" // logged in and free (qagent@status: paused or not)
	statusRinging = "ringing" // a call is being offered
	statusBusy    = "busy"    // on a call (or holding one)
	statusWrapup  = "wrapup"  // after a queue call, not yet available
)

// statusWord maps an agent's state to a status word. A call in progress
// (ringing, busy, wrap-up) wins over a pause, since it is what the agent is
// doing now; then a pause gives busyout (pass paused false for a qagent,
// whose pause is shown by its paused attribute); a logged-in agent whose
// device is UNAVAILABLE or INVALID is offline; anything else is waiting.
func statusWord(logged, paused bool, st centralita.AgentStatus) string {
	switch {
	case !logged:
		return statusOffline
	case st == centralita.AgentRinging || st == centralita.AgentRingInUse:
		return statusRinging
	case st == centralita.AgentInUse || st == centralita.AgentBusy || st == centralita.AgentOnHold:
		return statusBusy
	case st == centralita.AgentWrapup:
		return statusWrapup
	case paused:
		return statusBusyout
	case st == centralita.AgentUnavailable || st == centralita.AgentInvalid:
		return statusOffline
	}
	return statusWaiting
}

// pausedEverywhere reports whether the agent is paused in every queue it is
// logged in to (its AgentState.Queues; when the engine lists none, its
// Paused flag).
func pausedEverywhere(st *centralita.AgentState) bool {
	logged := 0
	for _, m := range st.Queues {
		if !m.LoggedIn {
			continue
		}
		logged++
		if !m.Paused {
			return false
		}
	}
	if logged == 0 {
		return st.Paused
	}
	return true
}

// statusQueues writes the live panel (§7.2) from ACD.Snapshot.
//
// The document declares encoding="iso-8859-1" as the spec's example does.
// A SOAP string result travels inside the UTF-8 response envelope, so the
// document is made of US-ASCII only: every other character is written as a
// numeric character reference (&#233;). Its bytes are then the same in
// ISO-8859-1 and UTF-8, and a client that parses the string with the
// declared encoding, or re-encodes it either way first, reads the right
// names; characters outside Latin-1 survive too.
//
// Values (A19, our definitions):
//   - panel@generated: the snapshot's time, epoch seconds with two decimals (truncated).
//   - agent: every agent, by number; text the agent number; status as
//     statusWord with paused meaning paused in all its queues (busyout);
//     laststatuschange the epoch of its last status change, lastcongestion
//     of the last call it refused or missed, 0 for never; warning is always 0.
//   - queue@qname is the queue's name, @name its description; queues by name.
//   - qstatus, counting since local midnight, with the totals every facade
//     reports (Integra's campaignstatus too): abandoned is
//     QueueStatus.AbandonedTotal, the calls that left the queue without an
//     agent (ABANDON plus EXITWITHTIMEOUT overflows, as queueData lists
//     both as ABANDON); completed is QueueStatus.CompletedTotal, those
//     answered and finished, transfers included; counterabn, undocumented,
//     is AbandonedTotal as well (the abandon counter; there is no other
//     count of unanswered calls to give) and counterans the answered calls;
//     numongoing every call in progress, the calls listed under qcalls
//     (waiting, connected, and agents' outbound calls: the example has
//     numongoing 3 with three call rows, one of them waiting); numwaiting
//     those waiting now; ratio the service level (percent of
//     answered-or-abandoned calls answered within the queue's threshold)
//     rounded to one decimal and printed as PHP echoes it ("0", "87.5", "100").
//   - qagent: the queue's members in membership order; text the agent
//     number; logged/paused "true"/"false"; status as statusWord without
//     the pause, which the paused attribute shows: a paused agent otherwise
//     free is "waiting" with paused="true", as agent 106 of the example
//     (busyout appears only in the agents list); pausetype the pause
//     reason, as the ACD keeps it (by name), "" when not paused.
//   - call: waiting and connected calls, oldest first; type "in" for queue
//     calls, "out" for agent outbound ones; intime and connecttime epoch
//     seconds ("0" while not connected); text the connected agent's number,
//     "0" while waiting.
func (a *acdOps) statusQueues(ctx context.Context, _ *Request) (any, error) {
	snap, err := a.cfg.ACD.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	generated := snap.Generated
	if generated.IsZero() {
		generated = a.cfg.Now()
	}
	agents := make([]*centralita.AgentState, len(snap.Agents))
	for i := range snap.Agents {
		agents[i] = &snap.Agents[i]
	}
	sort.SliceStable(agents, func(i, j int) bool { return lessNumber(agents[i].Agent.Number, agents[j].Agent.Number) })
	queues := make([]*centralita.QueueStatus, len(snap.Queues))
	for i := range snap.Queues {
		queues[i] = &snap.Queues[i]
	}
	sort.SliceStable(queues, func(i, j int) bool { return queues[i].Queue.Name < queues[j].Queue.Name })

	w := newXMLWriter(declLatin1, true)
	w.start("panel", "generated", epochCenti(generated))
	if len(agents) == 0 {
		w.empty("agents")
	} else {
		w.start("agents")
		for _, st := range agents {
			w.leaf("agent", st.Agent.Number,
				"lastcongestion", epoch(st.LastRejectAt), "laststatuschange", epoch(st.StatusChangedAt),
				"name", st.Agent.Name, "status", statusWord(st.LoggedIn, pausedEverywhere(st), st.Status), "warning", "0")
		}
		w.end("agents")
	}
	if len(queues) == 0 {
		w.empty("queues")
	} else {
		w.start("queues")
		for _, q := range queues {
			writeQueueStatus(w, q)
		}
		w.end("queues")
	}
	w.end("panel")
	return w.String(), nil
}

// writeQueueStatus writes one queue element of statusQueues.
func writeQueueStatus(w *xmlWriter, q *centralita.QueueStatus) {
	w.start("queue", "qname", q.Queue.Name, "name", q.Queue.Description)
	w.start("qstatus")
	w.leaf("abandoned", strconv.Itoa(q.AbandonedTotal()))
	w.leaf("completed", strconv.Itoa(q.CompletedTotal()))
	w.leaf("counterabn", strconv.Itoa(q.AbandonedTotal()))
	w.leaf("counterans", strconv.Itoa(q.Answered))
	w.leaf("numongoing", strconv.Itoa(len(q.Calls)))
	w.leaf("numwaiting", strconv.Itoa(q.Waiting))
	w.leaf("ratio", phpFloat(math.Round(q.ServiceLevel()*10)/10))
	w.end("qstatus")
	if len(q.MemberStates) == 0 {
		w.empty("qagents")
	} else {
		w.start("qagents")
		for _, m := range q.MemberStates {
			pausetype := ""
			if m.Paused {
				pausetype = m.PauseReason
			}
			w.leaf("qagent", m.Agent, "logged", strconv.FormatBool(m.LoggedIn), "paused", strconv.FormatBool(m.Paused),
				"status", statusWord(m.LoggedIn, false, m.Status), "pausetype", pausetype)
		}
		w.end("qagents")
	}
	if len(q.Calls) == 0 {
		w.empty("qcalls")
	} else {
		w.start("qcalls")
		for _, c := range q.Calls {
			typ := c.Direction
			if typ != "out" {
				typ = "in"
			}
			agent := c.Agent
			if agent == "" || c.ConnectedAt.IsZero() {
				agent = "0"
			}
			w.leaf("call", agent, "type", typ, "callerid", c.CallerNumber, "calleridname", c.CallerName,
				"connecttime", epoch(c.ConnectedAt), "intime", epoch(c.EnteredAt), "uniqueid", c.ID)
		}
		w.end("qcalls")
	}
	w.end("queue")
}

// extensionPattern is a well-formed getAgentLogin extension: word
// characters, optionally after a technology, a letter then letters or
// digits ("SIP/101", "PJSIP/101", "IAX2/101").
var extensionPattern = regexp.MustCompile(`^(?:([A-Za-z][A-Za-z0-9]*)/)?(\w+)$`)

// getAgentLogin reports who is logged in at each extension of a
// comma-separated list (§7.14), from ACD.Snapshot.
//
//   - -4 when the list has no extension (blanks between commas are skipped);
//     -5 when one is not correct (A16): not well formed (word characters
//     [0-9A-Za-z_], optionally prefixed by a technology, "SIP/101"), or,
//     when ACDConfig.Endpoints is set, naming no endpoint of the PBX. The
//     endpoint looked up is the technology given, SIP by default, mapped
//     SIP→PJSIP as the ACD dials it ("101" and "SIP/101" are "PJSIP/101").
//     -3 on other failures; -2 is not used, a missing list being -4.
//   - A correct extension at which nobody is logged in is not an error:
//     the state of the extension is that no agent is there, so it is listed
//     with no agent and no queue. Without ACDConfig.Endpoints every
//     well-formed extension is correct. Extensions are listed once each, in
//     the order given.
//   - extension@channelType and @channelId are the technology and resource
//     of the agent's interface; with no agent, the technology given or SIP
//     (loginAgent's default) and the extension.
//   - agent carries number, user and name only (A15); each agent logged in
//     there is followed by one queue element per queue it is a member of,
//     in the snapshot's queue order: is_logged and is_paused "true"/"false",
//     logged_date the agent's login time (YYYY-MM-DD HH:MM:SS, local; ""
//     when not logged in to that queue) and pause_type the pause reason as
//     the ACD keeps it (by name), "" when not paused.
func (a *acdOps) getAgentLogin(ctx context.Context, r *Request) (any, error) {
	var exts []string
	seen := map[string]bool{}
	for _, e := range strings.Split(r.Param("extensions"), ",") {
		if e = strings.TrimSpace(e); e != "" && !seen[e] {
			seen[e] = true
			exts = append(exts, e)
		}
	}
	if len(exts) == 0 {
		return "-4", nil
	}
	for _, e := range exts {
		if !extensionPattern.MatchString(e) {
			return "-5", nil
		}
	}
	switch ok, err := a.endpointsExist(ctx, exts); {
	case err != nil:
		return nil, err
	case !ok:
		return "-5", nil
	}
	snap, err := a.cfg.ACD.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	w := newXMLWriter(declUTF8, false)
	w.start("extensions")
	for _, e := range exts {
		m := extensionPattern.FindStringSubmatch(e)
		wantTech, resource := m[1], m[2]
		var here []*centralita.AgentState
		for i := range snap.Agents {
			st := &snap.Agents[i]
			tech, res := splitInterface(st.Interface)
			if st.LoggedIn && res == resource && (wantTech == "" || strings.EqualFold(tech, wantTech)) {
				here = append(here, st)
			}
		}
		sort.SliceStable(here, func(i, j int) bool { return lessNumber(here[i].Agent.Number, here[j].Agent.Number) })
		tech := orElse(wantTech, "SIP")
		if len(here) > 0 {
			if t, _ := splitInterface(here[0].Interface); t != "" {
				tech = t
			}
		}
		if len(here) == 0 {
			w.empty("extension", "number", resource, "channelType", tech, "channelId", resource)
			continue
		}
		w.start("extension", "number", resource, "channelType", tech, "channelId", resource)
		for _, st := range here {
			w.empty("agent", "number", st.Agent.Number, "user", st.Agent.Username, "name", st.Agent.Name)
			a.writeAgentQueues(w, snap, st)
		}
		w.end("extension")
	}
	w.end("extensions")
	return w.String(), nil
}

// endpointsExist reports whether every well-formed extension of exts names
// an endpoint of ACDConfig.Endpoints (true when it is nil; see getAgentLogin).
func (a *acdOps) endpointsExist(ctx context.Context, exts []string) (bool, error) {
	if a.cfg.Endpoints == nil {
		return true, nil
	}
	checked := map[string]bool{}
	for _, e := range exts {
		m := extensionPattern.FindStringSubmatch(e)
		tech := orElse(m[1], "SIP")
		if strings.EqualFold(tech, "SIP") {
			tech = "PJSIP"
		}
		name := tech + "/" + m[2]
		if checked[name] {
			continue
		}
		checked[name] = true
		_, err := a.cfg.Endpoints.Endpoint(ctx, name)
		switch {
		case centralita.ErrorKind(err) == centralita.ENOTFOUND:
			return false, nil
		case err != nil:
			return false, fmt.Errorf("soap: endpoint %s: %w", name, err)
		}
	}
	return true, nil
}

// writeAgentQueues writes getAgentLogin's queue elements of one agent.
func (a *acdOps) writeAgentQueues(w *xmlWriter, snap *centralita.ACDSnapshot, st *centralita.AgentState) {
	for i := range snap.Queues {
		q := &snap.Queues[i]
		for _, m := range q.MemberStates {
			if m.Agent != st.Agent.Number {
				continue
			}
			loggedDate, pauseType := "", ""
			if m.LoggedIn {
				loggedDate = localDate(st.LoggedInAt, a.cfg.Location)
			}
			if m.Paused {
				pauseType = m.PauseReason
			}
			w.empty("queue", "name", q.Queue.Name, "description", q.Queue.Description,
				"is_logged", strconv.FormatBool(m.LoggedIn), "logged_date", loggedDate,
				"is_paused", strconv.FormatBool(m.Paused), "pause_type", pauseType)
		}
	}
}
