package soap

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// seconds is a duration in whole seconds, rounded down, never negative: the
// way the reporter counts, so that totals are sums of what is shown.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(d / time.Second)
}

// interval is a [start, end) span of time.
type interval struct{ start, end time.Time }

// unionSeconds returns the seconds covered by at least one span: spans that
// overlap are merged first, and each merged span counts its whole seconds.
// Spans that only touch are not merged, so a single queue's sessions add up
// exactly as their own durations do.
func unionSeconds(spans []interval) int64 {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	var total int64
	var cur interval
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case s.start.Before(cur.end):
			if s.end.After(cur.end) {
				cur.end = s.end
			}
		default:
			total += seconds(cur.end.Sub(cur.start))
			cur = s
		}
	}
	if len(spans) > 0 {
		total += seconds(cur.end.Sub(cur.start))
	}
	return total
}

// agentFilter resolves getAgentTimes' and agentSessionDetail's optional
// queue and agent filters; queueOK and agentOK are false when one given
// does not exist.
func (a *acdOps) agentFilter(ctx context.Context, queue, agent string) (f centralita.ReportFilter, q *centralita.Queue, queueOK, agentOK bool, err error) {
	queueOK, agentOK = true, true
	if queue = strings.TrimSpace(queue); queue != "" {
		q, err = a.cfg.Queues.FindQueue(ctx, queue)
		switch {
		case centralita.ErrorKind(err) == centralita.ENOTFOUND:
			return f, nil, false, true, nil
		case err != nil:
			return f, nil, false, false, err
		}
		f.Queue = q.Name
	}
	if agent = strings.TrimSpace(agent); agent != "" {
		ag, err := a.findAgent(ctx, agent)
		switch {
		case centralita.ErrorKind(err) == centralita.ENOTFOUND:
			return f, q, true, false, nil
		case err != nil:
			return f, q, true, false, err
		}
		f.Agent = ag.Number
	}
	return f, q, true, true, nil
}

// sessionsByAgent groups sessions by bare agent number, keeping only those
// matching f (in case the reporter is wider), and returns the numbers in order.
func sessionsByAgent(sessions []centralita.AgentSession, f centralita.ReportFilter) (map[string][]centralita.AgentSession, []string) {
	by := map[string][]centralita.AgentSession{}
	var numbers []string
	for _, s := range sessions {
		n := centralita.AgentFromLogName(s.Agent)
		if f.Queue != "" && s.Queue != f.Queue || f.Agent != "" && n != f.Agent {
			continue
		}
		if _, ok := by[n]; !ok {
			numbers = append(numbers, n)
		}
		by[n] = append(by[n], s)
	}
	sort.Slice(numbers, func(i, j int) bool { return lessNumber(numbers[i], numbers[j]) })
	return by, numbers
}

// getAgentTimes writes the login and pause times of agents over a period
// (§7.12), from ACDReporter.AgentSessions, optionally for one agent
// (agente: username, or number) and one queue (cola).
//
// Codes, checked in this order: -2 when inicio or fin is not sent at all;
// -4 when inicio is not a date, -5 when fin is not; -8 when fin is not after
// inicio; -9 when inicio is after the current time; -6 when cola names no
// queue; -7 when agente names no agent; -10 when no session overlaps the
// period; -3 on other failures. Dates are read as queueData reads them.
//
// One agent element per agent with a session, by number: agent (number),
// user, name, and in seconds (A17) loged (sic), the time logged in to at
// least one of the queues counted, and paused, the time paused in at least
// one. Sessions and pauses are clipped to the period; overlapping spans of
// different queues are counted once, since the agent logs in to all its
// queues at the same time. queueagent lists the queue cola when given,
// else every queue the agent is a member of or had a session in, by name,
// with its description ("" for a queue deleted since).
func (a *acdOps) getAgentTimes(ctx context.Context, r *Request) (any, error) {
	if !r.Has("inicio") || !r.Has("fin") {
		return "-2", nil
	}
	p, st := a.period(r.Param("inicio"), r.Param("fin"))
	switch st {
	case periodBadStart:
		return "-4", nil
	case periodBadEnd:
		return "-5", nil
	case periodEmpty:
		return "-8", nil
	}
	if p.from.After(a.cfg.Now()) {
		return "-9", nil
	}
	f, q, queueOK, agentOK, err := a.agentFilter(ctx, r.Param("cola"), r.Param("agente"))
	switch {
	case err != nil:
		return nil, err
	case !queueOK:
		return "-6", nil
	case !agentOK:
		return "-7", nil
	}
	f.From, f.To = p.from, p.to
	sessions, err := a.cfg.Reports.AgentSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	by, numbers := sessionsByAgent(sessions, f)
	if len(numbers) == 0 {
		return "-10", nil
	}
	agents, err := a.agentsByNumber(ctx)
	if err != nil {
		return nil, err
	}
	lists, err := a.queueLists(ctx, f, q)
	if err != nil {
		return nil, err
	}
	w := newXMLWriter(declUTF8, false)
	w.start("agents")
	for _, n := range numbers {
		var logged, paused []interval
		queues := map[string]bool{}
		for _, s := range by[n] {
			logged = append(logged, interval{s.Start, s.End})
			for _, pa := range s.Pauses {
				paused = append(paused, interval{pa.Start, pa.End})
			}
			queues[s.Queue] = true
		}
		user, name := "", ""
		if ag := agents[n]; ag != nil {
			user, name = ag.Username, ag.Name
		}
		w.start("agent", "agent", n, "user", user, "name", name,
			"loged", strconv.FormatInt(unionSeconds(logged), 10), "paused", strconv.FormatInt(unionSeconds(paused), 10))
		for _, q := range lists.agentQueues(n, f.Queue, queues) {
			w.empty("queueagent", "name", q, "description", lists.descriptions[q])
		}
		w.end("agent")
	}
	w.end("agents")
	return w.String(), nil
}

// queueLists is what getAgentTimes lists under each agent: every queue's
// description ("" for a queue deleted since) and every agent's memberships.
type queueLists struct {
	descriptions map[string]string
	members      map[string][]string // agent number → queue names
}

// queueLists reads them with one query each, whatever the number of agents
// and queues: when f names a queue (q, found already) only its description
// is needed; otherwise every queue and the memberships of f.Agent (of every
// agent when empty).
func (a *acdOps) queueLists(ctx context.Context, f centralita.ReportFilter, q *centralita.Queue) (queueLists, error) {
	l := queueLists{descriptions: map[string]string{}, members: map[string][]string{}}
	if f.Queue != "" {
		if q != nil {
			l.descriptions[q.Name] = q.Description
		}
		return l, nil
	}
	queues, err := a.cfg.Queues.FindQueues(ctx)
	if err != nil {
		return l, err
	}
	for _, q := range queues {
		l.descriptions[q.Name] = q.Description
	}
	members, err := a.cfg.Queues.FindMembers(ctx, "", f.Agent)
	if err != nil {
		return l, err
	}
	for _, m := range members {
		l.members[m.Agent] = append(l.members[m.Agent], m.Queue)
	}
	return l, nil
}

// agentQueues returns the queues getAgentTimes lists for agent number: only
// queue when set, else its memberships and the queues of its sessions, by name.
func (l queueLists) agentQueues(number, queue string, fromSessions map[string]bool) []string {
	if queue != "" {
		return []string{queue}
	}
	set := map[string]bool{}
	for q := range fromSessions {
		set[q] = true
	}
	for _, q := range l.members[number] {
		set[q] = true
	}
	names := make([]string, 0, len(set))
	for q := range set {
		if q != "" {
			names = append(names, q)
		}
	}
	sort.Strings(names)
	return names
}

// agentSessionDetail writes the agents' login sessions and pauses over a
// period, by queue (§7.13), from ACDReporter.AgentSessions, optionally for
// one agent (userID: username, or number) and one queue (cola).
//
// Codes, in this operation's own numbering: -3 when inicio is not a date;
// -4 when fin is not a date or is not after inicio (the operation has no
// "invalid range" code; the end is what is wrong); -5 when cola names no
// queue; -6 when userID names no agent; -2 on other failures. A period in
// the future, or one with no session, gives an empty <agents/> (A18).
// Dates are read as queueData reads them.
//
// Agents by number (userID = username, agentID = number); each agent's
// queues in the order of their first session; sessions by start. Sessions
// still open at the end of the period are included, clipped to it, so that
// the totals agree with getAgentTimes and agentData. Every session and
// pause carries its length in seconds as both duration and time (A14), the
// values computed, not copied from the example's slips: a queue's logged is
// the sum of its sessions' lengths and paused the sum of its pauses',
// which is also the sum of the per-type totals under pauses. A pause type
// is the reason's name, "" for a pause without a reason; per-type totals
// are listed in the order the types first occur.
func (a *acdOps) agentSessionDetail(ctx context.Context, r *Request) (any, error) {
	p, st := a.period(r.Param("inicio"), r.Param("fin"))
	switch st {
	case periodBadStart:
		return "-3", nil
	case periodBadEnd, periodEmpty:
		return "-4", nil
	}
	f, _, queueOK, agentOK, err := a.agentFilter(ctx, r.Param("cola"), r.Param("userID"))
	switch {
	case err != nil:
		return nil, err
	case !queueOK:
		return "-5", nil
	case !agentOK:
		return "-6", nil
	}
	f.From, f.To = p.from, p.to
	sessions, err := a.cfg.Reports.AgentSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	by, numbers := sessionsByAgent(sessions, f)
	w := newXMLWriter(declUTF8, false)
	if len(numbers) == 0 {
		w.empty("agents")
		return w.String(), nil
	}
	agents, err := a.agentsByNumber(ctx)
	if err != nil {
		return nil, err
	}
	reasons, err := a.reasonNames(ctx)
	if err != nil {
		return nil, err
	}
	w.start("agents")
	for _, n := range numbers {
		user := ""
		if ag := agents[n]; ag != nil {
			user = ag.Username
		}
		w.start("agent", "userID", user, "agentID", n)
		list := by[n]
		sort.SliceStable(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
		var order []string
		byQueue := map[string][]centralita.AgentSession{}
		for _, s := range list {
			if _, ok := byQueue[s.Queue]; !ok {
				order = append(order, s.Queue)
			}
			byQueue[s.Queue] = append(byQueue[s.Queue], s)
		}
		for _, q := range order {
			a.writeQueueSessions(w, q, byQueue[q], reasons)
		}
		w.end("agent")
	}
	w.end("agents")
	return w.String(), nil
}

// writeQueueSessions writes one queue element of agentSessionDetail.
func (a *acdOps) writeQueueSessions(w *xmlWriter, queue string, sessions []centralita.AgentSession, reasons reasonNames) {
	var logged, paused int64
	var types []string
	perType := map[string]int64{}
	for _, s := range sessions {
		logged += seconds(s.Duration())
		pauses := append([]centralita.AgentPause(nil), s.Pauses...)
		sort.SliceStable(pauses, func(i, j int) bool { return pauses[i].Start.Before(pauses[j].Start) })
		for _, pa := range pauses {
			t := reasons.name(pa.Reason)
			if _, ok := perType[t]; !ok {
				types = append(types, t)
			}
			perType[t] += seconds(pa.Duration())
			paused += seconds(pa.Duration())
		}
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	loc := a.cfg.Location
	w.start("queue", "queuename", queue, "logged", itoa(logged), "paused", itoa(paused))
	if len(types) == 0 {
		w.empty("pauses")
	} else {
		w.start("pauses")
		for _, t := range types {
			w.empty("pause", "type", t, "duration", itoa(perType[t]), "time", itoa(perType[t]))
		}
		w.end("pauses")
	}
	w.start("sessions")
	for _, s := range sessions {
		d := itoa(seconds(s.Duration()))
		attrs := []string{"start", localDate(s.Start, loc), "end", localDate(s.End, loc), "duration", d, "time", d}
		if len(s.Pauses) == 0 {
			w.empty("session", attrs...)
			continue
		}
		w.start("session", attrs...)
		pauses := append([]centralita.AgentPause(nil), s.Pauses...)
		sort.SliceStable(pauses, func(i, j int) bool { return pauses[i].Start.Before(pauses[j].Start) })
		for _, pa := range pauses {
			pd := itoa(seconds(pa.Duration()))
			w.empty("pause", "type", reasons.name(pa.Reason), "start", localDate(pa.Start, loc),
				"end", localDate(pa.End, loc), "duration", pd, "time", pd)
		}
		w.end("session")
	}
	w.end("sessions")
	w.end("queue")
}
