package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// ExpandOutgoingConfig configures the eXpand REST pending outgoing calls
// module (the agents' panel).
type ExpandOutgoingConfig struct {
	// Calls, Queues and Agents are required.
	Calls  centralita.OutgoingCallService
	Queues centralita.QueueService
	Agents centralita.AgentService
	// Users are usernames given the whole module whatever their role;
	// admins and supervisors always have it. Agents (role agent, mapped
	// to the agent of the same username) have their own view (see
	// RegisterExpandOutgoing).
	Users []string
	// Location is calldate's time zone and that of dates given without an
	// offset; default time.Local.
	Location *time.Location
	// Now is the clock statuses are evaluated at (EXPIRED); default time.Now.
	Now func() time.Time
}

// ExpandCallDateLayout is calldate's format (§5.3, B18).
const ExpandCallDateLayout = "2006-01-02 15:04"

// ExpandOutgoingCall is the call object of §5.3, keys in the manual's order.
type ExpandOutgoingCall struct {
	ID         int64             `json:"id"`
	Queue      string            `json:"queue"`
	Phone      []string          `json:"phone"`
	Contact    string            `json:"contact"`
	Subject    string            `json:"subject"`
	CallDate   string            `json:"calldate"`
	Expiration int               `json:"expiration"`
	Agent      string            `json:"agent"`
	Status     string            `json:"status"`
	Link       map[string]string `json:"link"`
}

// expandOutgoing is the outgoing calls module.
type expandOutgoing struct {
	x   *expand
	cfg ExpandOutgoingConfig
}

// RegisterExpandOutgoing adds the eXpand REST module of pending outgoing
// calls (rest-expandweb3.md §5) under
// ExpandExternalPrefix+"/outgoingcalls/call":
//
//	GET    /call (or /call/)  {"data": [call…]}; filters queue, phone, startdate,
//	                          enddate (calldate bounds, inclusive), agent, status;
//	                          start and limit page it (limit 100 unless given, at
//	                          most 1000)
//	POST   /call              201 {"callid": n}
//	GET    /call/{id}         call
//	PUT    /call/{id}         200 {"callid": n}; the full object (B16)
//	DELETE /call/{id}         200 "ok": the call is CANCELED (logical delete)
//
// Proposals taken: POST and PUT need queue, phone, contact, subject and
// calldate; agent may be absent or "" (every agent of the queue sees the
// call, §5.1's simplest setup); expiration absent, null or 0 never
// expires (B12); status is read-only except that a PUT may set COMPLETED
// (complete), CANCELED (discard) or PENDING (B17); assign and postpone are
// PUTs with a new queue/agent or calldate (§5.1). An unknown queue or
// agent, or a bad date, is 400 Unknown_data_format. EXPIRED is computed on
// read at Now: a PENDING call whose calldate + expiration has passed; the
// status filter PENDING leaves those out. Without a status filter every
// call but the CANCELED ones is listed (the manual's example lists a
// COMPLETED call). calldate must fall in the years 2000 to 9998 and
// expiration be at most 31536000 (365 days), else 400. phone may be a string or an array; calldate is written
// "YYYY-MM-DD HH:MM" and read in that format, with seconds, or ISO 8601
// (B18).
//
// Visibility: a user of role agent (not in Users) is the agent of the same
// username and sees only the calls assigned to it and the unassigned calls
// of its queues, never CANCELED ones; other calls answer 404, and creating
// a call it would not see is 403. Staff may ask for an agent's view with
// the extension filter panel=<username>.
func (s *Server) RegisterExpandOutgoing(cfg ExpandOutgoingConfig) error {
	if cfg.Calls == nil || cfg.Queues == nil || cfg.Agents == nil {
		return centralita.Errorf(centralita.EINVALID, "expand outgoing calls: the call, queue and agent services are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &expandOutgoing{x: s.newExpandModule("outgoing calls", cfg.Location), cfg: cfg}
	routes := []panelRoute{
		{http.MethodGet, "", m.list},
		{http.MethodGet, "/", m.list},
		{http.MethodPost, "", m.create},
		{http.MethodPost, "/", m.create},
		{http.MethodGet, "/:id", m.get},
		{http.MethodPut, "/:id", m.update},
		{http.MethodDelete, "/:id", m.cancel},
	}
	return s.addExpandRoutes(m.x, "outgoing calls", "/outgoingcalls/call", expandStaffOr(cfg.Users, true), routes)
}

// out converts a call, its status evaluated now.
func (m *expandOutgoing) out(c *centralita.OutgoingCall, now time.Time) ExpandOutgoingCall {
	link := c.Links
	if link == nil {
		link = map[string]string{}
	}
	return ExpandOutgoingCall{ID: c.ID, Queue: c.Queue, Phone: c.Phones, Contact: c.Contact, Subject: c.Subject,
		CallDate: c.CallDate.In(m.x.cfg.Location).Format(ExpandCallDateLayout), Expiration: c.ExpirationSec,
		Agent: c.Agent, Status: string(c.StatusAt(now)), Link: link}
}

// visibility is what the signed-in user sees: nil for staff, the agent's
// view for an agent.
func (m *expandOutgoing) visibility(c *echo.Context) (*centralita.OutgoingVisibility, error) {
	u := expandUser(c)
	if expandIsStaff(u, m.cfg.Users) {
		return nil, nil
	}
	v, err := m.viewOf(c.Request().Context(), u.Username)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		return nil, centralita.Errorf(centralita.EFORBIDDEN, "user %q is no agent", u.Username)
	}
	return v, err
}

// viewOf is the view of the agent with that username.
func (m *expandOutgoing) viewOf(ctx context.Context, username string) (*centralita.OutgoingVisibility, error) {
	a, err := m.cfg.Agents.FindAgentByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	ms, err := m.cfg.Queues.FindMembers(ctx, "", a.Number)
	if err != nil {
		return nil, err
	}
	v := &centralita.OutgoingVisibility{Agent: a.Username, Queues: []string{}}
	for _, mb := range ms {
		v.Queues = append(v.Queues, mb.Queue)
	}
	return v, nil
}

func (m *expandOutgoing) list(c *echo.Context) error {
	vis, err := m.visibility(c)
	if err != nil {
		return err
	}
	q := expandQuery{c: c}
	f := centralita.OutgoingFilter{Now: m.cfg.Now(), Visible: vis}
	f.Queue, _ = q.get("queue")
	f.Phone, _ = q.get("phone")
	f.Agent, _ = q.get("agent")
	if v, ok := q.get("status"); ok {
		f.Status = centralita.OutgoingStatus(strings.ToUpper(v))
		if !f.Status.Valid() {
			return centralita.Errorf(centralita.EINVALID, "status %q: want PENDING, COMPLETED, CANCELED or EXPIRED", v)
		}
		if vis != nil && f.Status == centralita.OutgoingCanceled {
			return m.x.write(c, http.StatusOK, expandData[ExpandOutgoingCall]{Data: []ExpandOutgoingCall{}})
		}
	}
	if f.From, err = m.x.queryDate(c, "startdate", false); err != nil {
		return err
	}
	if f.To, err = m.x.queryDate(c, "enddate", true); err != nil {
		return err
	}
	if p, ok := q.get("panel"); ok && vis == nil {
		if f.Visible, err = m.viewOf(c.Request().Context(), p); err != nil {
			if centralita.ErrorKind(err) == centralita.ENOTFOUND {
				return centralita.WrapError(centralita.EINVALID, err, "panel %q: no such agent", p)
			}
			return err
		}
	}
	if f.Offset, f.Limit, err = expandPaging(c, centralita.OutgoingMaxLimit); err != nil {
		return err
	}
	cs, err := m.cfg.Calls.FindOutgoingCalls(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := expandData[ExpandOutgoingCall]{Data: make([]ExpandOutgoingCall, 0, len(cs))}
	for _, oc := range cs {
		out.Data = append(out.Data, m.out(oc, f.Now))
	}
	return m.x.write(c, http.StatusOK, out)
}

// find returns the call of the path, if the user sees it.
func (m *expandOutgoing) find(c *echo.Context) (*centralita.OutgoingCall, *centralita.OutgoingVisibility, error) {
	vis, err := m.visibility(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := expandID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	oc, err := m.cfg.Calls.FindOutgoingCall(c.Request().Context(), id)
	if err != nil {
		return nil, nil, err
	}
	if vis != nil && (oc.Status == centralita.OutgoingCanceled || !vis.Sees(oc)) {
		return nil, nil, centralita.Errorf(centralita.ENOTFOUND, "outgoing call %d not found", id)
	}
	return oc, vis, nil
}

func (m *expandOutgoing) get(c *echo.Context) error {
	oc, _, err := m.find(c)
	if err != nil {
		return err
	}
	return m.x.write(c, http.StatusOK, m.out(oc, m.cfg.Now()))
}

// outgoingBody is the call object as a request body.
type outgoingBody struct {
	ID         json.RawMessage   `json:"id"` // read-only, ignored
	Queue      *string           `json:"queue"`
	Phone      json.RawMessage   `json:"phone"`
	Contact    *string           `json:"contact"`
	Subject    *string           `json:"subject"`
	CallDate   *string           `json:"calldate"`
	Expiration *int              `json:"expiration"`
	Agent      *string           `json:"agent"`
	Status     *string           `json:"status"`
	Link       map[string]string `json:"link"`
}

// read reads a full call body into oc (all fields replaced); create says
// whether a status is refused (it is read-only on POST).
func (m *expandOutgoing) read(c *echo.Context, oc *centralita.OutgoingCall, create bool) error {
	var in outgoingBody
	if err := expandDecode(c, &in); err != nil {
		return err
	}
	if in.Queue == nil || len(in.Phone) == 0 || in.Contact == nil || in.Subject == nil || in.CallDate == nil {
		return centralita.Errorf(centralita.EINVALID, "queue, phone, contact, subject and calldate are required")
	}
	var one string
	var phones []string
	if err := json.Unmarshal(in.Phone, &one); err == nil && one != "" {
		phones = []string{one}
	} else if err := json.Unmarshal(in.Phone, &phones); err != nil {
		return centralita.Errorf(centralita.EINVALID, "phone must be a string or an array of strings")
	}
	at, err := m.x.parseDate("calldate", *in.CallDate, false)
	if err != nil {
		return err
	}
	oc.Queue, oc.Phones, oc.Contact, oc.Subject, oc.CallDate = *in.Queue, phones, *in.Contact, *in.Subject, at
	oc.ExpirationSec, oc.Agent, oc.Links = 0, "", in.Link
	if in.Expiration != nil {
		oc.ExpirationSec = *in.Expiration
	}
	if in.Agent != nil {
		oc.Agent = *in.Agent
	}
	if in.Status != nil && !create {
		switch st := centralita.OutgoingStatus(strings.ToUpper(*in.Status)); st {
		case centralita.OutgoingPending, centralita.OutgoingCompleted, centralita.OutgoingCanceled:
			oc.Status = st
		case centralita.OutgoingExpired:
			// The status as read back: no change (EXPIRED is computed).
		default:
			return centralita.Errorf(centralita.EINVALID, "status %q: want PENDING, COMPLETED or CANCELED", *in.Status)
		}
	}
	if err := oc.Validate(); err != nil {
		return err
	}
	// The names stored are those of the queue and agent found, so that
	// filters and visibility compare them exactly whatever the database's
	// collation.
	ctx := c.Request().Context()
	q, err := m.cfg.Queues.FindQueue(ctx, oc.Queue)
	if err != nil {
		if centralita.ErrorKind(err) == centralita.ENOTFOUND {
			return centralita.WrapError(centralita.EINVALID, err, "invalid queue %q", oc.Queue)
		}
		return err
	}
	oc.Queue = q.Name
	if oc.Agent != "" {
		a, err := m.cfg.Agents.FindAgentByUsername(ctx, oc.Agent)
		if err != nil {
			if centralita.ErrorKind(err) == centralita.ENOTFOUND {
				return centralita.WrapError(centralita.EINVALID, err, "invalid agent %q", oc.Agent)
			}
			return err
		}
		oc.Agent = a.Username
	}
	return nil
}

// callID is the body of the POST and PUT answers.
type callID struct {
	CallID int64 `json:"callid"`
}

func (m *expandOutgoing) create(c *echo.Context) error {
	vis, err := m.visibility(c)
	if err != nil {
		return err
	}
	oc := &centralita.OutgoingCall{Status: centralita.OutgoingPending}
	if err := m.read(c, oc, true); err != nil {
		return err
	}
	if vis != nil && !vis.Sees(oc) {
		return centralita.Errorf(centralita.EFORBIDDEN, "agent %q may create only calls of its queues or assigned to it", vis.Agent)
	}
	if err := m.cfg.Calls.CreateOutgoingCall(c.Request().Context(), oc); err != nil {
		return err
	}
	return m.x.write(c, http.StatusCreated, callID{oc.ID})
}

func (m *expandOutgoing) update(c *echo.Context) error {
	oc, _, err := m.find(c)
	if err != nil {
		return err
	}
	if err := m.read(c, oc, false); err != nil {
		return err
	}
	if err := m.cfg.Calls.UpdateOutgoingCall(c.Request().Context(), oc); err != nil {
		return err
	}
	return m.x.write(c, http.StatusOK, callID{oc.ID})
}

func (m *expandOutgoing) cancel(c *echo.Context) error {
	oc, _, err := m.find(c)
	if err != nil {
		return err
	}
	oc.Status = centralita.OutgoingCanceled
	if err := m.cfg.Calls.UpdateOutgoingCall(c.Request().Context(), oc); err != nil {
		return err
	}
	return m.x.writeRaw(c, http.StatusOK, `"ok"`)
}
