package rest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// AdminStatus is the body of GET /api/v1/status: the ACD's live state.
// Durations are whole seconds, percentages 0..100 with two decimals.
type AdminStatus struct {
	Generated time.Time          `json:"generated"`
	Queues    []AdminQueueStatus `json:"queues"`
	Agents    []AdminAgentState  `json:"agents"`
}

// AdminQueueStatus is one queue's live state and its figures since local midnight.
type AdminQueueStatus struct {
	Name             string `json:"name"`
	Description      string `json:"description"`
	Strategy         string `json:"strategy"`
	ServiceLevelSec  int    `json:"service_level_sec"`
	ServiceLevel2Sec int    `json:"service_level2_sec"`

	Waiting        int   `json:"waiting"`
	LongestWaitSec int64 `json:"longest_wait_sec"`
	Ongoing        int   `json:"ongoing"`

	Members    int `json:"members"`
	Logged     int `json:"logged"`
	Available  int `json:"available"`
	Paused     int `json:"paused"`
	Busy       int `json:"busy"`
	BusyPaused int `json:"busy_paused"`
	Wrapup     int `json:"wrapup"`

	Offered       int `json:"offered"`
	Answered      int `json:"answered"`
	Completed     int `json:"completed"`
	Abandoned     int `json:"abandoned"`
	Transferred   int `json:"transferred"`
	Overflowed    int `json:"overflowed"`
	AnsweredInSL  int `json:"answered_in_sl"`
	AnsweredInSL2 int `json:"answered_in_sl2"`

	ServiceLevel  float64 `json:"service_level"`
	ServiceLevel2 float64 `json:"service_level2"`
	AbandonRate   float64 `json:"abandon_rate"`
	AvgHoldSec    float64 `json:"avg_hold_sec"`
	AvgTalkSec    float64 `json:"avg_talk_sec"`
	HoldTotalSec  int64   `json:"hold_total_sec"`
	TalkTotalSec  int64   `json:"talk_total_sec"`

	Calls        []AdminQueueCall   `json:"calls"`
	MemberStates []AdminMemberState `json:"member_states"`
}

// AdminQueueCall is a call waiting in or connected through a queue.
type AdminQueueCall struct {
	ID           string     `json:"id"`
	Direction    string     `json:"direction"`
	CallerNumber string     `json:"caller_number"`
	CallerName   string     `json:"caller_name"`
	EnteredAt    time.Time  `json:"entered_at"`
	ConnectedAt  *time.Time `json:"connected_at,omitempty"`
	Agent        string     `json:"agent"`
	Position     int        `json:"position"`
	// WaitSec is the wait so far, or until the call was connected; TalkSec the talk so far.
	WaitSec int64  `json:"wait_sec"`
	TalkSec int64  `json:"talk_sec"`
	IVRData string `json:"ivr_data"`
}

// AdminMemberState is an agent as a member of one queue.
type AdminMemberState struct {
	Agent       string     `json:"agent"`
	Queue       string     `json:"queue"`
	Name        string     `json:"name"`
	Interface   string     `json:"interface"`
	Penalty     int        `json:"penalty"`
	LoggedIn    bool       `json:"logged_in"`
	Paused      bool       `json:"paused"`
	PauseReason string     `json:"pause_reason"`
	Status      int        `json:"status"`
	StatusName  string     `json:"status_name"`
	CallsTaken  int        `json:"calls_taken"`
	LastCall    *time.Time `json:"last_call,omitempty"`
	InCall      bool       `json:"in_call"`
}

// AdminAgentState is an agent's live state across its queues.
type AdminAgentState struct {
	Number          string             `json:"number"`
	Username        string             `json:"username"`
	Name            string             `json:"name"`
	LoggedIn        bool               `json:"logged_in"`
	LoggedInAt      *time.Time         `json:"logged_in_at,omitempty"`
	Interface       string             `json:"interface"`
	Status          int                `json:"status"`
	StatusName      string             `json:"status_name"`
	StatusChangedAt *time.Time         `json:"status_changed_at,omitempty"`
	StatusSec       int64              `json:"status_sec"`
	Paused          bool               `json:"paused"`
	PauseReason     string             `json:"pause_reason"`
	LastRejectAt    *time.Time         `json:"last_reject_at,omitempty"`
	Call            string             `json:"call"`
	Queues          []AdminMemberState `json:"queues"`
}

// AdminTransferRequest is the body of POST /api/v1/calls/{id}/transfer.
type AdminTransferRequest struct {
	// Target is "queue:<name>", an extension or number ("102"), or an interface ("PJSIP/102").
	Target string `json:"target"`
}

// AdminAgentStats is one agent's figures in one queue over a period.
type AdminAgentStats struct {
	Agent        string `json:"agent"`
	Queue        string `json:"queue"`
	LoggedSec    int64  `json:"logged_sec"`
	PausedSec    int64  `json:"paused_sec"`
	TalkSec      int64  `json:"talk_sec"`
	OutTalkSec   int64  `json:"out_talk_sec"`
	AvailableSec int64  `json:"available_sec"`
	Offered      int    `json:"offered"`
	Answered     int    `json:"answered"`
	Outbound     int    `json:"outbound"`
	Transferred  int    `json:"transferred"`
	Short        int    `json:"short"`
}

// AdminAgentSession is one login→logout of an agent in a queue, clipped to the period.
type AdminAgentSession struct {
	Agent       string            `json:"agent"`
	Queue       string            `json:"queue"`
	Start       time.Time         `json:"start"`
	End         time.Time         `json:"end"`
	DurationSec int64             `json:"duration_sec"`
	Open        bool              `json:"open"`
	PausedSec   int64             `json:"paused_sec"`
	Pauses      []AdminAgentPause `json:"pauses"`
}

// AdminAgentPause is one pause inside a session.
type AdminAgentPause struct {
	Reason      string    `json:"reason"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	DurationSec int64     `json:"duration_sec"`
}

// status answers the ACD's live snapshot.
func (a *adminAPI) status(c *echo.Context) error {
	snap, err := a.cfg.ACD.Snapshot(c.Request().Context())
	if err != nil {
		return err
	}
	out := AdminStatus{Generated: snap.Generated.In(a.cfg.Location), Queues: []AdminQueueStatus{}, Agents: []AdminAgentState{}}
	// An agent's queues are the queues' member lists, already converted.
	byAgent := map[string][]AdminMemberState{}
	for _, q := range snap.Queues {
		qs := a.queueStatus(snap.Generated, q)
		for _, m := range qs.MemberStates {
			byAgent[m.Agent] = append(byAgent[m.Agent], m)
		}
		out.Queues = append(out.Queues, qs)
	}
	for _, ag := range snap.Agents {
		st := AdminAgentState{
			Number: ag.Agent.Number, Username: ag.Agent.Username, Name: ag.Agent.Name,
			LoggedIn: ag.LoggedIn, LoggedInAt: a.local(ag.LoggedInAt), Interface: ag.Interface,
			Status: int(ag.Status), StatusName: ag.Status.String(), StatusChangedAt: a.local(ag.StatusChangedAt),
			Paused: ag.Paused, PauseReason: ag.PauseReason, LastRejectAt: a.local(ag.LastRejectAt),
			Call: ag.Call, Queues: byAgent[ag.Agent.Number],
		}
		if st.Queues == nil {
			st.Queues = []AdminMemberState{}
		}
		if !ag.StatusChangedAt.IsZero() && snap.Generated.After(ag.StatusChangedAt) {
			st.StatusSec = adminSec(snap.Generated.Sub(ag.StatusChangedAt))
		}
		out.Agents = append(out.Agents, st)
	}
	return c.JSON(http.StatusOK, out)
}

// queueStatus converts one queue's status; now is the snapshot's time.
func (a *adminAPI) queueStatus(now time.Time, q centralita.QueueStatus) AdminQueueStatus {
	out := AdminQueueStatus{
		Name: q.Queue.Name, Description: q.Queue.Description, Strategy: string(q.Queue.Strategy),
		ServiceLevelSec: q.Queue.ServiceLevelSec, ServiceLevel2Sec: q.Queue.ServiceLevel2Sec,
		Waiting: q.Waiting, LongestWaitSec: adminSec(q.LongestWait), Ongoing: q.Ongoing,
		Members: q.Members, Logged: q.Logged, Available: q.Available, Paused: q.Paused,
		Busy: q.Busy, BusyPaused: q.BusyPaused, Wrapup: q.Wrapup,
		Offered: q.Offered, Answered: q.Answered, Completed: q.Completed, Abandoned: q.Abandoned,
		Transferred: q.Transferred, Overflowed: q.Overflowed,
		AnsweredInSL: q.AnsweredInSL, AnsweredInSL2: q.AnsweredInSL2,
		ServiceLevel: adminRound2(q.ServiceLevel()), ServiceLevel2: adminRound2(q.ServiceLevel2()),
		AbandonRate: adminRound2(q.AbandonRate()),
		AvgHoldSec:  adminRound2(q.AvgHold().Seconds()), AvgTalkSec: adminRound2(q.AvgTalk().Seconds()),
		HoldTotalSec: adminSec(q.HoldTotal), TalkTotalSec: adminSec(q.TalkTotal),
		Calls: []AdminQueueCall{}, MemberStates: []AdminMemberState{},
	}
	for _, call := range q.Calls {
		dto := AdminQueueCall{
			ID: call.ID, Direction: call.Direction, CallerNumber: call.CallerNumber, CallerName: call.CallerName,
			EnteredAt: call.EnteredAt.In(a.cfg.Location), ConnectedAt: a.local(call.ConnectedAt),
			Agent: call.Agent, Position: call.Position, IVRData: call.IVRData,
		}
		waitEnd := now
		if !call.ConnectedAt.IsZero() {
			waitEnd = call.ConnectedAt
			if now.After(call.ConnectedAt) {
				dto.TalkSec = adminSec(now.Sub(call.ConnectedAt))
			}
		}
		if waitEnd.After(call.EnteredAt) {
			dto.WaitSec = adminSec(waitEnd.Sub(call.EnteredAt))
		}
		out.Calls = append(out.Calls, dto)
	}
	for _, m := range q.MemberStates {
		out.MemberStates = append(out.MemberStates, a.memberState(q.Queue.Name, m))
	}
	return out
}

// memberState converts a member's state in queue.
func (a *adminAPI) memberState(queue string, m centralita.MemberState) AdminMemberState {
	return AdminMemberState{
		Agent: m.Agent, Queue: queue, Name: m.Name, Interface: m.Interface, Penalty: m.Penalty,
		LoggedIn: m.LoggedIn, Paused: m.Paused, PauseReason: m.PauseReason,
		Status: int(m.Status), StatusName: m.Status.String(),
		CallsTaken: m.CallsTaken, LastCall: a.local(m.LastCall), InCall: m.InCall,
	}
}

// transfer blind-transfers a connected call; 204.
func (a *adminAPI) transfer(c *echo.Context) error {
	id, err := adminParam(c, "id")
	if err != nil {
		return err
	}
	var in AdminTransferRequest
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	if in.Target == "" || in.Target == "queue:" {
		return centralita.Errorf(centralita.EINVALID, "target is required: \"queue:<name>\", an extension or an interface")
	}
	if err := a.cfg.ACD.Transfer(c.Request().Context(), id, in.Target); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// reportFilter reads a report's period, queue and agent.
func (a *adminAPI) reportFilter(c *echo.Context) (centralita.ReportFilter, error) {
	if a.cfg.Reports == nil {
		return centralita.ReportFilter{}, centralita.Errorf(centralita.EUNAVAILABLE, "reports are not configured")
	}
	from, to, err := a.period(c)
	if err != nil {
		return centralita.ReportFilter{}, err
	}
	return centralita.ReportFilter{From: from, To: to, Queue: c.QueryParam("queue"), Agent: c.QueryParam("agent")}, nil
}

// agentStats answers per agent and queue figures over a period.
func (a *adminAPI) agentStats(c *echo.Context) error {
	f, err := a.reportFilter(c)
	if err != nil {
		return err
	}
	rows, err := a.cfg.Reports.AgentStats(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]AdminAgentStats, 0, len(rows))
	for _, r := range rows {
		out = append(out, AdminAgentStats{
			Agent: r.Agent, Queue: r.Queue, LoggedSec: r.LoggedSec, PausedSec: r.PausedSec,
			TalkSec: r.TalkSec, OutTalkSec: r.OutTalkSec, AvailableSec: r.AvailableSec,
			Offered: r.Offered, Answered: r.Answered, Outbound: r.Outbound,
			Transferred: r.Transferred, Short: r.Short,
		})
	}
	return c.JSON(http.StatusOK, out)
}

// agentSessions answers the login sessions overlapping a period, with their pauses.
func (a *adminAPI) agentSessions(c *echo.Context) error {
	f, err := a.reportFilter(c)
	if err != nil {
		return err
	}
	rows, err := a.cfg.Reports.AgentSessions(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]AdminAgentSession, 0, len(rows))
	for _, s := range rows {
		dto := AdminAgentSession{
			Agent: s.Agent, Queue: s.Queue, Start: s.Start.In(a.cfg.Location), End: s.End.In(a.cfg.Location),
			DurationSec: adminSec(s.Duration()), Open: s.Open, Pauses: []AdminAgentPause{},
		}
		for _, p := range s.Pauses {
			d := adminSec(p.Duration())
			dto.PausedSec += d
			dto.Pauses = append(dto.Pauses, AdminAgentPause{
				Reason: p.Reason, Start: p.Start.In(a.cfg.Location), End: p.End.In(a.cfg.Location), DurationSec: d,
			})
		}
		out = append(out, dto)
	}
	return c.JSON(http.StatusOK, out)
}

// adminMaxCRMLimit is the largest page of CRM attempts.
const adminMaxCRMLimit = 1000

// crmPushes answers the recorded CRM attempts, newest first.
func (a *adminAPI) crmPushes(c *echo.Context) error {
	if a.cfg.CRMPushes == nil {
		return centralita.Errorf(centralita.EUNAVAILABLE, "CRM push records are not configured")
	}
	f := centralita.CRMPushFilter{Method: c.QueryParam("method"), UniqueID: c.QueryParam("uniqueid"), Status: c.QueryParam("status")}
	switch f.Method {
	case "", centralita.CRMGetCallerIDName, centralita.CRMIVRCode, centralita.CRMPushAgentInfo:
	default:
		return centralita.Errorf(centralita.EINVALID, "method %q: want %s, %s or %s", f.Method,
			centralita.CRMGetCallerIDName, centralita.CRMIVRCode, centralita.CRMPushAgentInfo)
	}
	switch f.Status {
	case "", "ok", "error", "skipped":
	default:
		return centralita.Errorf(centralita.EINVALID, "status %q: want ok, error or skipped", f.Status)
	}
	var err error
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.QueryParam(p.name); v != "" {
			if *p.t, err = a.parseTime(p.name, v); err != nil {
				return err
			}
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return centralita.Errorf(centralita.EINVALID, "to must be after from")
	}
	for _, p := range []struct {
		name string
		n    *int
		max  int
	}{{"offset", &f.Offset, 0}, {"limit", &f.Limit, adminMaxCRMLimit}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || (p.max > 0 && n > p.max) {
			if p.max > 0 {
				return centralita.Errorf(centralita.EINVALID, "%s %q: want an integer from 0 to %d", p.name, v, p.max)
			}
			return centralita.Errorf(centralita.EINVALID, "%s %q: want a non-negative integer", p.name, v)
		}
		*p.n = n
	}
	ps, err := a.cfg.CRMPushes.FindCRMPushes(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []*centralita.CRMPush{}
	}
	return c.JSON(http.StatusOK, ps)
}
