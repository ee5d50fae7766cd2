package queuelog

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/centralita/centralita"
)

// DefaultShortCallSec is the default short-call threshold (atendidasCortas).
const DefaultShortCallSec = 10

// StatsOptions tunes Stats.
type StatsOptions struct {
	// ShortCallSec: completed or transferred calls with fewer talk seconds
	// are Short. 0 means DefaultShortCallSec; a negative value counts none.
	ShortCallSec int
}

// threshold is the effective short-call threshold in seconds.
func (o StatsOptions) threshold() int64 {
	switch {
	case o.ShortCallSec == 0:
		return DefaultShortCallSec
	case o.ShortCallSec < 0:
		return 0
	}
	return int64(o.ShortCallSec)
}

// Stats is StatsOptions{}.Stats: figures with the default short-call threshold.
func Stats(sessions []centralita.AgentSession, rows []*centralita.QueueLogEntry) []centralita.AgentStats {
	return StatsOptions{}.Stats(sessions, rows)
}

// statKey is one bare agent number in one queue.
type statKey struct{ agent, queue string }

// Stats computes one row per (agent, queue) with a session or a counted call
// row, sorted by agent then queue:
//
//   - LoggedSec and PausedSec sum the sessions' and their pauses' durations,
//     each rounded down to whole seconds (Seconds) before adding;
//   - Offered counts CONNECT, RINGNOANSWER and RINGCANCELED rows (every
//     ring of the agent: queueData shows the last two as RINGING then
//     NOANSWER or CONGESTION), Answered CONNECT rows, so Offered − Answered
//     is the rings not answered;
//   - TalkSec sums talk seconds of COMPLETECALLER/COMPLETEAGENT (data2) and
//     TRANSFER (data4); Transferred counts TRANSFER rows; Short counts those
//     completed or transferred calls that talked less than ShortCallSec;
//   - Outbound counts DIALOUT rows and OutTalkSec sums DIALOUTEND data1, under
//     the row's queue (the outqueue, "NONE" when none; an empty queue is "NONE");
//   - AvailableSec = LoggedSec − PausedSec − TalkSec, or 0 when that is negative.
//
// Every call row given is counted: pass the period's rows. Data fields that
// are not a number, are negative or exceed 2^31−1 count as 0; a decimal is
// rounded down. Rows with no agent (empty or "NONE") are skipped.
func (o StatsOptions) Stats(sessions []centralita.AgentSession, rows []*centralita.QueueLogEntry) []centralita.AgentStats {
	short := o.threshold()
	acc := map[statKey]*centralita.AgentStats{}
	get := func(agent, queue string) *centralita.AgentStats {
		k := statKey{agent, queue}
		st, ok := acc[k]
		if !ok {
			st = &centralita.AgentStats{Agent: agent, Queue: queue}
			acc[k] = st
		}
		return st
	}
	for _, s := range sessions {
		st := get(s.Agent, s.Queue)
		st.LoggedSec += Seconds(s.Duration())
		for _, p := range s.Pauses {
			st.PausedSec += Seconds(p.Duration())
		}
	}
	for _, e := range rows {
		if e == nil || e.Agent == "" || e.Agent == "NONE" {
			continue
		}
		agent := centralita.AgentFromLogName(e.Agent)
		completed := func(talk int64) {
			st := get(agent, e.QueueName)
			st.TalkSec += talk
			if talk < short {
				st.Short++
			}
		}
		switch e.Event {
		case centralita.QLConnect:
			st := get(agent, e.QueueName)
			st.Offered++
			st.Answered++
		case centralita.QLRingNoAnswer, centralita.QLRingCanceled:
			get(agent, e.QueueName).Offered++
		case centralita.QLCompleteCaller, centralita.QLCompleteAgent:
			completed(seconds(e.Data2))
		case centralita.QLTransfer:
			get(agent, e.QueueName).Transferred++
			completed(seconds(e.Data4))
		case centralita.QLDialOut:
			get(agent, outQueue(e.QueueName)).Outbound++
		case centralita.QLDialOutEnd:
			get(agent, outQueue(e.QueueName)).OutTalkSec += seconds(e.Data1)
		}
	}
	out := make([]centralita.AgentStats, 0, len(acc))
	for _, st := range acc {
		st.AvailableSec = max(0, st.LoggedSec-st.PausedSec-st.TalkSec)
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b centralita.AgentStats) int {
		return cmp.Or(compareAgents(a.Agent, b.Agent), strings.Compare(a.Queue, b.Queue))
	})
	return out
}

// outQueue is the queue an outbound row is kept under.
func outQueue(q string) string {
	if q == "" {
		return "NONE"
	}
	return q
}

// seconds parses a data field holding seconds; anything else is 0.
func seconds(s string) int64 {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt32 {
			return 0
		}
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= math.MaxInt32) { // also rejects NaN
		return 0
	}
	return int64(f)
}
