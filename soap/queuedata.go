package soap

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// queueLogPage is how many queue_log rows queueData reads per query.
const queueLogPage = 1000

// activity is one row of queueData's document.
type activity struct {
	at                                       time.Time
	queue, uniqueid, action, callerid, agent string
	waitsec, talksec, dest, cause            string
}

// queueData lists the activity of queue Cola between FechaInicio and
// FechaFin (§7.3), read from queue_log, optionally for one agent (Agente,
// an agent number; empty means every agent, and leaves out the rows of no
// agent, ENTERQUEUE and ABANDON, when one is given).
//
// Asterisk's events become eXpand's actions:
//
//	ENTERQUEUE        ENTERQUEUE (callerid = data2)
//	CONNECT           RINGING at time − data3 (ring seconds), then CONNECT (waitsec = data1)
//	RINGNOANSWER      RINGING at time − data1 (ring ms), then NOANSWER, or CONGESTION when
//	                  it rang under a second: the agent refused the call at once (§7.1)
//	RINGCANCELED      RINGING at time − data1 (ring ms), then NOANSWER: the caller left
//	                  while it rang, which for the agent is a call not answered
//	COMPLETECALLER    COMPLETECALLER (talksec = data2)
//	COMPLETEAGENT     COMPLETEAGENT (talksec = data2)
//	TRANSFER          COMPLETETRANSFER (talksec = data4, dest = data1)
//	ABANDON           ABANDON (waitsec = data3)
//	EXITWITHTIMEOUT   ABANDON (waitsec = data3): eXpand has no action for an overflow,
//	                  and the call did leave this queue unanswered after that wait
//	DIALOUT           DIALOUT (dest = data1)
//	DIALOUTEND        DIALOUTEND (talksec = data1)
//	ADDMEMBER         LOGIN
//	REMOVEMEMBER      LOGOUT
//	PAUSE             PAUSE (cause = data1, a reason code shown by its name)
//	UNPAUSE           UNPAUSE
//
// Other events are left out. agent is the bare agent number ("157" for
// "Agent/157"), uniqueid the call's id or NONE for rows of no call, every
// attribute is always written ("" when it does not apply), and rows are in
// date order, a synthesized RINGING placed at its own time (before the row
// it comes from when they share a second). Dates are local
// (ACDConfig.Location), and the period is read as cdrData reads it (fin
// inclusive to the second; a bare date is the whole day).
//
// The spec documents no codes here (A18): a bad key, or no key when the
// Server has Config.RequireKey (A4), is -1; nothing matching is an empty
// <queue_activity/>; a missing Cola and bad or reversed dates are a
// soap:Client fault naming the parameter, as cdrData answers bad dates.
func (a *acdOps) queueData(ctx context.Context, r *Request) (any, error) {
	queue, p, err := a.reportArgs(r)
	if err != nil {
		return nil, err
	}
	filter := centralita.QueueLogFilter{From: p.from, To: p.to, QueueName: queue, Limit: queueLogPage}
	if agent := centralita.AgentFromLogName(strings.TrimSpace(r.Param("Agente"))); agent != "" {
		filter.Agent = centralita.AgentLogName(agent)
	}
	var rows []activity
	var reasons reasonNames
	for {
		page, err := a.cfg.QueueLog.FindQueueLog(ctx, filter)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Event == centralita.QLPause && reasons == nil {
				if reasons, err = a.reasonNames(ctx); err != nil {
					return nil, err
				}
			}
			rows = appendActivity(rows, e, reasons)
		}
		if len(page) != queueLogPage {
			break // a short page is the last; a longer one means paging was ignored
		}
		filter.Offset += queueLogPage
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at.Before(rows[j].at) })

	w := newXMLWriter(declUTF8, false)
	if len(rows) == 0 {
		w.empty("queue_activity")
		return w.String(), nil
	}
	w.start("queue_activity")
	for _, row := range rows {
		w.empty("activity", "date", localDate(row.at, a.cfg.Location), "queue", row.queue, "uniqueid", row.uniqueid,
			"action", row.action, "callerid", row.callerid, "agent", row.agent, "waitsec", row.waitsec,
			"talksec", row.talksec, "dest", row.dest, "cause", row.cause)
	}
	w.end("queue_activity")
	return w.String(), nil
}

// appendActivity appends the rows queue_log entry e gives (see queueData).
func appendActivity(rows []activity, e *centralita.QueueLogEntry, reasons reasonNames) []activity {
	base := activity{at: e.Time, queue: e.QueueName, uniqueid: orElse(e.CallID, "NONE"), agent: centralita.AgentFromLogName(e.Agent)}
	if base.agent == "NONE" {
		base.agent = ""
	}
	row := func(action string) activity {
		r := base
		r.action = action
		return r
	}
	ringing := func(rang time.Duration) activity {
		r := row("RINGING")
		if rang > 0 {
			r.at = r.at.Add(-rang)
		}
		return r
	}
	switch e.Event {
	case centralita.QLEnterQueue:
		r := row("ENTERQUEUE")
		r.callerid = e.Data2
		return append(rows, r)
	case centralita.QLConnect:
		r := row("CONNECT")
		r.waitsec = e.Data1
		return append(rows, ringing(time.Duration(number(e.Data3))*time.Second), r)
	case centralita.QLRingNoAnswer, centralita.QLRingCanceled:
		ms := number(e.Data1)
		action := "NOANSWER"
		if e.Event == centralita.QLRingNoAnswer && ms < 1000 {
			action = "CONGESTION"
		}
		return append(rows, ringing(time.Duration(ms)*time.Millisecond), row(action))
	case centralita.QLCompleteCaller, centralita.QLCompleteAgent:
		r := row(e.Event)
		r.talksec = e.Data2
		return append(rows, r)
	case centralita.QLTransfer:
		r := row("COMPLETETRANSFER")
		r.talksec, r.dest = e.Data4, e.Data1
		return append(rows, r)
	case centralita.QLAbandon, centralita.QLExitWithTimeout:
		r := row("ABANDON")
		r.waitsec = e.Data3
		return append(rows, r)
	case centralita.QLDialOut:
		r := row("DIALOUT")
		r.dest = e.Data1
		return append(rows, r)
	case centralita.QLDialOutEnd:
		r := row("DIALOUTEND")
		r.talksec = e.Data1
		return append(rows, r)
	case centralita.QLAddMember, centralita.QLRemoveMember, centralita.QLPause, centralita.QLUnpause:
		action := map[string]string{centralita.QLAddMember: "LOGIN", centralita.QLRemoveMember: "LOGOUT",
			centralita.QLPause: "PAUSE", centralita.QLUnpause: "UNPAUSE"}[e.Event]
		r := row(action)
		r.uniqueid = "NONE"
		if e.Event == centralita.QLPause {
			r.cause = reasons.name(e.Data1)
		}
		return append(rows, r)
	}
	return rows
}

// number reads a queue_log data field as a non-negative integer; anything
// else (empty, negative, not a number, over 2^31−1) is 0, and a decimal is
// rounded down, as the reports read these fields.
func number(s string) int64 {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0
	}
	return n
}
