package rest

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// Integra supervisor endpoints (rest-integra.md §8). Access keys and users
// of role supervisor or admin may call them. Times in numbers are seconds
// (C12), rounded to the nearest second.

// integraQueueSummary is one queue of Supervisor/queuesummary (§8.1).
type integraQueueSummary struct {
	Queue            string `json:"queue"`
	LoggedIn         int    `json:"loggedIn"`
	Available        int    `json:"available"`
	Callers          int    `json:"callers"`
	HoldTime         int64  `json:"holdTime"`
	TalkTime         int64  `json:"talkTime"`
	LongestHoldTime  int64  `json:"longestHoldTime"`
	InternalActionID string `json:"internalActionId"`
	DateReceived     string `json:"dateReceived"`
}

// integraSummaryEnd is the element that ends a queuesummary array.
type integraSummaryEnd struct {
	InternalActionID string `json:"internalActionId"`
	DateReceived     string `json:"dateReceived"`
}

// integraCampaign is a campaign entry of Supervisor/campaignstatus (§8.2),
// with the JSON types of the spec's table (some numbers are strings).
type integraCampaign struct {
	Campaign       string `json:"campaign"`
	Availables     int    `json:"availables"`
	NotAvailables  int    `json:"notavailables"`
	Paused         int    `json:"paused"`
	Busy           int    `json:"busy"`
	BusyPaused     int    `json:"busypaused"`
	TotalAgents    int    `json:"totalagents"`
	Logged         int    `json:"logged"`
	OnWrapup       int    `json:"onwrapup"`
	Completed      int    `json:"completed"`
	Abandoned      int    `json:"abandoned"`
	Talked         string `json:"talked"`
	Hold           string `json:"hold"`
	AbandonedLevel string `json:"abandonedlevel"`
	TotalCalls     int    `json:"totalcalls"`
	ACD            int    `json:"acd"`
	ServiceLevel   string `json:"servicelevel"`
	ServiceLevel2  string `json:"servicelevel2"`
	Strategy       string `json:"strategy"`
	SLevelThresh   string `json:"slevelthreshold"`
	Wrapup         int    `json:"wrapup"`
}

// integraMember is an agent entry of Supervisor/campaignstatus (§8.2).
type integraMember struct {
	Queue            string `json:"queue"`
	Location         string `json:"location"`
	Membership       string `json:"membership"`
	Name             string `json:"name"`
	Penalty          int    `json:"penalty"`
	CallsTaken       int    `json:"callsTaken"`
	LastCall         int64  `json:"lastCall"`
	Status           int    `json:"status"`
	Paused           bool   `json:"paused"`
	StateInterface   string `json:"stateinterface"`
	InCall           int    `json:"incall"`
	PausedReason     string `json:"pausedreason"`
	InternalActionID string `json:"internalActionId"`
	DateReceived     string `json:"dateReceived"`
	Server           string `json:"server"`
}

// snapshot returns the ACD's snapshot and the time it stands for.
func (in *integra) snapshot(c *echo.Context) (*centralita.ACDSnapshot, time.Time, error) {
	snap, err := in.cfg.ACD.Snapshot(c.Request().Context())
	if err != nil {
		return nil, time.Time{}, err
	}
	at := snap.Generated
	if at.IsZero() {
		at = in.cfg.Now()
	}
	return snap, at, nil
}

// queueSummary answers POST Supervisor/queuesummary: one element per queue
// in snapshot order, then the end marker with only internalActionId and
// dateReceived (§8.1). holdTime is the average wait of answered calls,
// talkTime the average talk of completed calls and longestHoldTime the
// longest current wait, in seconds, all since local midnight except the last.
// With a Dialer, the outbound campaigns follow the queues
// (integra_dialer_status.go).
func (in *integra) queueSummary(c *echo.Context) error {
	snap, at, err := in.snapshot(c)
	if err != nil {
		return err
	}
	dcs, err := in.dialerCampaigns(c.Request().Context(), snap)
	if err != nil {
		return err
	}
	id, date := in.actionID(), in.dateReceived(at)
	out := make([]any, 0, len(snap.Queues)+len(dcs)+1)
	for _, q := range snap.Queues {
		out = append(out, queueSummaryOf(q, id, date))
	}
	for _, dc := range dcs {
		if !dc.sameAsQueue {
			out = append(out, dc.summary(id, date))
		}
	}
	out = append(out, integraSummaryEnd{InternalActionID: id, DateReceived: date})
	return writeJSON(c, out)
}

// queueSummaryOf is q's queuesummary element.
func queueSummaryOf(q centralita.QueueStatus, id, date string) integraQueueSummary {
	return integraQueueSummary{
		Queue: q.Queue.Name, LoggedIn: q.Logged, Available: q.Available, Callers: q.Waiting,
		HoldTime: seconds(q.AvgHold()), TalkTime: seconds(q.AvgTalk()), LongestHoldTime: seconds(q.LongestWait),
		InternalActionID: id, DateReceived: date,
	}
}

// campaignStatus answers POST Supervisor/campaignstatus (§8.2). With queue
// empty: every queue's campaign entry, keyed by queue name, in snapshot
// order. With a queue name (matched exactly, C15): that queue's campaign
// entry then one entry per member, keyed by its interface, in membership
// order; an unknown queue gives {}.
//
// Readings of what the spec leaves open (C12 keeps the strings opaque):
//   - completed and abandoned are the totals every facade reports (eXpand's
//     statusQueues gives the same numbers): QueueStatus.CompletedTotal,
//     calls finished by either side or transferred, and
//     QueueStatus.AbandonedTotal, calls that left the queue without an
//     agent (the caller hung up, or the wait limit sent them elsewhere).
//   - talked is "HH:MM:SS-<n>": total talk time of today's completed (or
//     transferred) calls and their number (CompletedTotal); hold likewise:
//     total wait of today's answered calls and their number.
//   - abandonedlevel is the percentage of AbandonedTotal among answered
//     calls and AbandonedTotal, rounded to a whole number ("0", "33").
//   - notavailables counts members not logged in or with status UNAVAILABLE.
//   - an agent's dateReceived is when its status last changed, and server is
//     the time since then (the time in its current state) as HH:MM:SS; the
//     spec's example is consistent with that (each entry's dateReceived plus
//     server gives the same instant).
//   - a member not logged in has no interface; its key, location and
//     stateinterface are then "Agent/<number>".
//   - membership is always "" (memberships are configured, Asterisk's
//     "static" members).
//
// With a Dialer, the outbound campaigns are entries too, and queue may name
// one: its entry then its queue's members, whose "queue" is the campaign's
// name (integra_dialer_status.go).
func (in *integra) campaignStatus(c *echo.Context) error {
	queue := c.FormValue("queue")
	snap, at, err := in.snapshot(c)
	if err != nil {
		return err
	}
	dcs, err := in.dialerCampaigns(c.Request().Context(), snap)
	if err != nil {
		return err
	}
	if queue == "" {
		return writeObject(c, campaignFields(snap, dcs))
	}
	if dc, ok := findDialerCampaign(dcs, queue); ok {
		fields := []jsonField{{queue, dc.entry()}}
		return writeObject(c, append(fields, in.memberFields(c, queue, dc.queue, snap, at)...))
	}
	for _, q := range snap.Queues {
		if q.Queue.Name == queue {
			fields := []jsonField{{queue, campaignEntry(q)}}
			return writeObject(c, append(fields, in.memberFields(c, queue, q, snap, at)...))
		}
	}
	return writeObject(c, nil)
}

// memberFields are the campaignstatus entries of q's members, shown under
// the campaign name label, in membership order; a key already used (label
// or an earlier member's) is skipped.
func (in *integra) memberFields(c *echo.Context, label string, q centralita.QueueStatus, snap *centralita.ACDSnapshot, at time.Time) []jsonField {
	changed := make(map[string]time.Time, len(snap.Agents))
	for _, a := range snap.Agents {
		changed[a.Agent.Number] = a.StatusChangedAt
	}
	id := in.actionID()
	seen := map[string]bool{label: true}
	fields := make([]jsonField, 0, len(q.MemberStates))
	for _, m := range q.MemberStates {
		iface := m.Interface
		if iface == "" {
			iface = "Agent/" + m.Agent
		}
		if seen[iface] {
			in.logger.WarnContext(c.Request().Context(), "integra: campaignstatus: two entries with one key; keeping the first", "queue", label, "key", iface, "agent", m.Agent)
			continue
		}
		seen[iface] = true
		since, inState := at, time.Duration(0)
		if t := changed[m.Agent]; !t.IsZero() {
			since, inState = t, at.Sub(t)
		}
		var lastCall int64
		if !m.LastCall.IsZero() {
			lastCall = m.LastCall.Unix()
		}
		incall := 0
		if m.InCall {
			incall = 1
		}
		fields = append(fields, jsonField{iface, integraMember{
			Queue: label, Location: iface, Membership: "", Name: m.Name, Penalty: m.Penalty,
			CallsTaken: m.CallsTaken, LastCall: lastCall, Status: int(m.Status), Paused: m.Paused,
			StateInterface: iface, InCall: incall, PausedReason: m.PauseReason,
			InternalActionID: id, DateReceived: in.dateReceived(since), Server: hms(inState),
		}})
	}
	return fields
}

// campaignEntry is q's campaign entry.
func campaignEntry(q centralita.QueueStatus) integraCampaign {
	cfg := q.Queue.WithDefaults()
	notAvailable := 0
	for _, m := range q.MemberStates {
		if !m.LoggedIn || m.Status == centralita.AgentUnavailable {
			notAvailable++
		}
	}
	abandoned, abandonedLevel := q.AbandonedTotal(), 0.0
	if n := q.Answered + abandoned; n > 0 {
		abandonedLevel = 100 * float64(abandoned) / float64(n)
	}
	return integraCampaign{
		Campaign: q.Queue.Name, Availables: q.Available, NotAvailables: notAvailable,
		Paused: q.Paused, Busy: q.Busy, BusyPaused: q.BusyPaused, TotalAgents: q.Members,
		Logged: q.Logged, OnWrapup: q.Wrapup, Completed: q.CompletedTotal(), Abandoned: abandoned,
		Talked:         hms(q.TalkTotal) + "-" + strconv.Itoa(q.CompletedTotal()),
		Hold:           hms(q.HoldTotal) + "-" + strconv.Itoa(q.Answered),
		AbandonedLevel: strconv.FormatFloat(math.Round(abandonedLevel), 'f', 0, 64),
		TotalCalls:     q.Offered, ACD: q.Answered,
		ServiceLevel:  strconv.FormatFloat(q.ServiceLevel(), 'f', 1, 64),
		ServiceLevel2: strconv.FormatFloat(q.ServiceLevel2(), 'f', 1, 64),
		Strategy:      string(cfg.Strategy), SLevelThresh: strconv.Itoa(cfg.ServiceLevelSec),
		Wrapup: q.Queue.WrapupSec,
	}
}

// seconds returns d in whole seconds, rounded; negative durations are 0.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(d.Round(time.Second) / time.Second)
}

// hms formats d, truncated to the second, as HH:MM:SS (hours may exceed 99).
func hms(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// jsonField is one key and value of an ordered JSON object.
type jsonField struct {
	Key   string
	Value any
}

// writeObject answers a JSON object with fields in the given order (a Go
// map would sort them).
func writeObject(c *echo.Context, fields []jsonField) error {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalJSON(f.Key)
		if err != nil {
			return err
		}
		v, err := marshalJSON(f.Value)
		if err != nil {
			return err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}
