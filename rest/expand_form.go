package rest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// ExpandFormsConfig configures the eXpand REST agent forms module.
type ExpandFormsConfig struct {
	// Forms and Agents are required.
	Forms  centralita.FormService
	Agents centralita.AgentService
	// QueueLog, when set, gives an entry its queue and incoming call id
	// from the call's queue_log rows.
	QueueLog centralita.QueueLogService
	// Recordings, when set, gives an entry recorded calls' audio file.
	Recordings centralita.RecordingService
	// Users are usernames given the whole module whatever their role;
	// admins and supervisors always have it. Agents may submit entries.
	Users []string
	// Location is the entries' timestamps' zone and that of filter dates
	// given without an offset; default time.Local.
	Location *time.Location
	// GetStatus is the success status of the entries GETs: 200 by default
	// (B13), 201 to reproduce the manual to the letter.
	GetStatus int
}

// ExpandFormTimeLayout is the entries' timestamp format (§2): ISO 8601
// with microseconds and offset.
const ExpandFormTimeLayout = "2006-01-02T15:04:05.000000-07:00"

// ExpandFormEntry is the entry object of §6.3, keys in the manual's order.
type ExpandFormEntry struct {
	OID                   string                            `json:"_id"`
	Agent                 ExpandFormAgent                   `json:"agent"`
	AudioFilename         string                            `json:"audio_filename"`
	CallChunk             string                            `json:"call_chunk"`
	Data                  map[string][]centralita.FormValue `json:"data"`
	DynamicFormID         int64                             `json:"dynamic_form_id"`
	Extension             string                            `json:"extension"`
	IncomingCallID        int64                             `json:"incomingcall_id"`
	LastModifiedTimestamp string                            `json:"last_modified_timestamp"`
	Queue                 string                            `json:"queue"`
	SessionID             string                            `json:"session_id"`
	Timestamp             string                            `json:"timestamp"`
	UniqueID              string                            `json:"uniqueid"`
}

// ExpandFormAgent is an entry's agent: its number (a JSON number when it
// is all digits, as in the manual, else a string) and username.
type ExpandFormAgent struct {
	Number   json.RawMessage `json:"number"`
	Username string          `json:"username"`
}

// expandForms is the agent forms module.
type expandForms struct {
	x   *expand
	cfg ExpandFormsConfig
}

// RegisterExpandForms adds the eXpand REST agent forms module
// (rest-expandweb3.md §6) under ExpandExternalPrefix+"/dynamicforms":
//
//	GET  /dynamicforms/{form}/entries           [entry…]; start_date and end_date
//	                                            keep entries created after / before;
//	                                            start and limit page it (limit 100
//	                                            unless given, at most 1000)
//	GET  /dynamicforms/{form}/entries/{idcall}  entry
//
// Both answer ExpandFormsConfig.GetStatus, 200 unless set (B13: the manual
// prints 201). {idcall} is the entry's incomingcall_id, or, not being an
// integer, the call's uniqueid. An unknown form or entry is 404, a bad
// date 400 Unknown_data_format.
//
// Extensions (the manual defines forms in the administration screens and
// agents fill them in the agent portal): GET /dynamicforms lists the form
// definitions ({"data": [form…]}), POST /dynamicforms creates one ({"name",
// "message", "fields": [{"name","label","type","required","options"}],
// "queues"}; 201, 409 when the name is taken), GET, PUT and DELETE
// /dynamicforms/{form} read, replace and remove one. POST
// /dynamicforms/{form}/entries submits an entry for a call: {"uniqueid",
// "data", optional "queue", "agent", "extension", "audio_filename",
// "call_chunk", "session_id", "incomingcall_id"}; 201 with the entry, or
// 200 when the form had an entry for that call already (it is updated:
// last_modified_timestamp); an agent may not replace another agent's
// entry for the call (403). data maps each field to a string, a number, a
// list of strings or the manual's [{"label","value"}]; unknown fields,
// missing required ones, non-numbers in number fields and values outside a
// select's options are 400.
//
// The entry is tied to the call: agent is the signed-in agent (a user of
// role agent; staff name one with "agent"), extension its logged-in
// interface, queue and incomingcall_id the call's from queue_log (the
// queue it was connected in, the id of its ENTERQUEUE row) unless given;
// queue must be one of the form's queues when the form names some.
// audio_filename defaults to the GUID of the call's recording when there
// is one.
func (s *Server) RegisterExpandForms(cfg ExpandFormsConfig) error {
	if cfg.Forms == nil || cfg.Agents == nil {
		return centralita.Errorf(centralita.EINVALID, "expand forms: the form and agent services are required")
	}
	if cfg.GetStatus == 0 {
		cfg.GetStatus = http.StatusOK
	}
	m := &expandForms{x: s.newExpandModule("forms", cfg.Location), cfg: cfg}
	staff := expandStaffOr(cfg.Users, false)
	if err := s.addExpandRoutes(m.x, "forms", "/dynamicforms", staff, []panelRoute{
		{http.MethodGet, "/:form/entries", m.listEntries},
		{http.MethodGet, "/:form/entries/:idcall", m.getEntry},
		{http.MethodGet, "", m.listForms},
		{http.MethodPost, "", m.createForm},
		{http.MethodGet, "/:form", m.getForm},
		{http.MethodPut, "/:form", m.updateForm},
		{http.MethodDelete, "/:form", m.deleteForm},
	}); err != nil {
		return err
	}
	return s.addExpandRoutes(m.x, "forms", "/dynamicforms", expandStaffOr(cfg.Users, true), []panelRoute{
		{http.MethodPost, "/:form/entries", m.submit},
	})
}

// form returns the form of the path.
func (m *expandForms) form(c *echo.Context) (*centralita.Form, error) {
	name, err := adminParam(c, "form")
	if err != nil {
		return nil, err
	}
	return m.cfg.Forms.FindForm(c.Request().Context(), name)
}

// stamp formats an entry timestamp.
func (m *expandForms) stamp(t time.Time) string {
	return t.In(m.x.cfg.Location).Format(ExpandFormTimeLayout)
}

// entryOut converts an entry.
func (m *expandForms) entryOut(e *centralita.FormEntry) ExpandFormEntry {
	num := json.RawMessage(`""`)
	if e.AgentNumber != "" {
		if _, err := strconv.ParseInt(e.AgentNumber, 10, 64); err == nil && (e.AgentNumber == "0" || e.AgentNumber[0] != '0') {
			num = json.RawMessage(e.AgentNumber)
		} else {
			num, _ = json.Marshal(e.AgentNumber)
		}
	}
	data := e.Data
	if data == nil {
		data = map[string][]centralita.FormValue{}
	}
	return ExpandFormEntry{OID: e.OID, Agent: ExpandFormAgent{Number: num, Username: e.AgentUsername},
		AudioFilename: e.AudioFilename, CallChunk: e.CallChunk, Data: data, DynamicFormID: e.FormID,
		Extension: e.Extension, IncomingCallID: e.IncomingCallID, LastModifiedTimestamp: m.stamp(e.UpdatedAt),
		Queue: e.Queue, SessionID: e.SessionID, Timestamp: m.stamp(e.CreatedAt), UniqueID: e.UniqueID}
}

func (m *expandForms) listEntries(c *echo.Context) error {
	f, err := m.form(c)
	if err != nil {
		return err
	}
	flt := centralita.FormEntryFilter{FormID: f.ID}
	if flt.After, err = m.x.queryDate(c, "start_date", false); err != nil {
		return err
	}
	if flt.Before, err = m.x.queryDate(c, "end_date", false); err != nil {
		return err
	}
	if flt.Offset, flt.Limit, err = expandPaging(c, centralita.FormEntryMaxLimit); err != nil {
		return err
	}
	es, err := m.cfg.Forms.FindFormEntries(c.Request().Context(), flt)
	if err != nil {
		return err
	}
	out := make([]ExpandFormEntry, 0, len(es))
	for _, e := range es {
		out = append(out, m.entryOut(e))
	}
	return m.x.write(c, m.cfg.GetStatus, out)
}

func (m *expandForms) getEntry(c *echo.Context) error {
	f, err := m.form(c)
	if err != nil {
		return err
	}
	v, err := adminParam(c, "idcall")
	if err != nil {
		return err
	}
	flt := centralita.FormEntryFilter{FormID: f.ID, Limit: 1}
	if id, perr := strconv.ParseInt(v, 10, 64); perr == nil {
		if id <= 0 {
			return centralita.Errorf(centralita.EINVALID, "idcall %q: want a positive integer or a uniqueid", v)
		}
		flt.IncomingCallID = id
	} else {
		flt.UniqueID = v
	}
	es, err := m.cfg.Forms.FindFormEntries(c.Request().Context(), flt)
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "form %q has no entry for call %q", f.Name, v)
	}
	return m.x.write(c, m.cfg.GetStatus, m.entryOut(es[0]))
}

func (m *expandForms) listForms(c *echo.Context) error {
	fs, err := m.cfg.Forms.FindForms(c.Request().Context())
	if err != nil {
		return err
	}
	if fs == nil {
		fs = []*centralita.Form{}
	}
	return m.x.write(c, http.StatusOK, expandData[*centralita.Form]{Data: fs})
}

// formBody is a form definition as a request body.
type formBody struct {
	ID        json.RawMessage        `json:"id"` // read-only, ignored
	Name      string                 `json:"name"`
	Message   string                 `json:"message"`
	Fields    []centralita.FormField `json:"fields"`
	Queues    []string               `json:"queues"`
	CreatedAt json.RawMessage        `json:"created_at"` // read-only, ignored
	UpdatedAt json.RawMessage        `json:"updated_at"` // read-only, ignored
}

// readForm reads a form definition; a field without a type is text.
func readForm(c *echo.Context) (*centralita.Form, error) {
	var in formBody
	if err := expandDecode(c, &in); err != nil {
		return nil, err
	}
	f := &centralita.Form{Name: in.Name, Message: in.Message, Fields: in.Fields, Queues: in.Queues}
	for i := range f.Fields {
		if f.Fields[i].Type == "" {
			f.Fields[i].Type = centralita.FieldText
		}
		if f.Fields[i].Label == "" {
			f.Fields[i].Label = f.Fields[i].Name
		}
	}
	if f.Queues == nil {
		f.Queues = []string{}
	}
	return f, f.Validate()
}

func (m *expandForms) createForm(c *echo.Context) error {
	f, err := readForm(c)
	if err != nil {
		return err
	}
	if err := m.cfg.Forms.CreateForm(c.Request().Context(), f); err != nil {
		return err
	}
	return m.x.write(c, http.StatusCreated, f)
}

func (m *expandForms) getForm(c *echo.Context) error {
	f, err := m.form(c)
	if err != nil {
		return err
	}
	return m.x.write(c, http.StatusOK, f)
}

func (m *expandForms) updateForm(c *echo.Context) error {
	cur, err := m.form(c)
	if err != nil {
		return err
	}
	f, err := readForm(c)
	if err != nil {
		return err
	}
	if f.Name != cur.Name {
		return centralita.Errorf(centralita.EINVALID, "the name cannot change (%q in the body, %q in the path)", f.Name, cur.Name)
	}
	if err := m.cfg.Forms.UpdateForm(c.Request().Context(), f); err != nil {
		return err
	}
	return m.x.write(c, http.StatusOK, f)
}

func (m *expandForms) deleteForm(c *echo.Context) error {
	f, err := m.form(c)
	if err != nil {
		return err
	}
	if err := m.cfg.Forms.DeleteForm(c.Request().Context(), f.Name); err != nil {
		return err
	}
	return m.x.write(c, http.StatusOK, f)
}

// entryBody is a submitted entry.
type entryBody struct {
	UniqueID       string                     `json:"uniqueid"`
	Data           map[string]json.RawMessage `json:"data"`
	Queue          string                     `json:"queue"`
	Agent          string                     `json:"agent"`
	Extension      string                     `json:"extension"`
	AudioFilename  string                     `json:"audio_filename"`
	CallChunk      string                     `json:"call_chunk"`
	SessionID      string                     `json:"session_id"`
	IncomingCallID int64                      `json:"incomingcall_id"`
}

func (m *expandForms) submit(c *echo.Context) error {
	f, err := m.form(c)
	if err != nil {
		return err
	}
	var in entryBody
	if err := expandDecode(c, &in); err != nil {
		return err
	}
	if in.UniqueID == "" {
		return centralita.Errorf(centralita.EINVALID, "uniqueid is required")
	}
	data, err := formData(f, in.Data)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	e := &centralita.FormEntry{FormID: f.ID, UniqueID: in.UniqueID, IncomingCallID: in.IncomingCallID, Queue: in.Queue,
		Extension: in.Extension, AudioFilename: in.AudioFilename, CallChunk: in.CallChunk, SessionID: in.SessionID, Data: data}
	// The agent: the signed-in one, or the one staff name.
	u := expandUser(c)
	name, staff := in.Agent, expandIsStaff(u, m.cfg.Users)
	if !staff {
		if name != "" && name != u.Username {
			return centralita.Errorf(centralita.EFORBIDDEN, "agent %q may not submit for %q", u.Username, name)
		}
		name = u.Username
	}
	if name != "" {
		a, err := m.cfg.Agents.FindAgentByUsername(ctx, name)
		if centralita.ErrorKind(err) == centralita.ENOTFOUND {
			a, err = m.cfg.Agents.FindAgent(ctx, name)
		}
		if err != nil {
			if centralita.ErrorKind(err) == centralita.ENOTFOUND {
				return centralita.WrapError(centralita.EINVALID, err, "invalid agent %q", name)
			}
			return err
		}
		e.AgentNumber, e.AgentUsername = a.Number, a.Username
		if e.Extension == "" {
			e.Extension = a.Interface
		}
	}
	if m.cfg.QueueLog != nil && (e.Queue == "" || e.IncomingCallID == 0) {
		rows, err := m.cfg.QueueLog.FindQueueLog(ctx, centralita.QueueLogFilter{CallID: e.UniqueID, Limit: 200})
		if err != nil {
			return err
		}
		for _, r := range rows {
			switch {
			case r.Event == centralita.QLEnterQueue && e.IncomingCallID == 0:
				e.IncomingCallID = r.ID
			case r.Event == centralita.QLConnect && in.Queue == "" &&
				(e.AgentNumber == "" || r.Agent == centralita.AgentLogName(e.AgentNumber)):
				e.Queue = r.QueueName
			}
		}
	}
	if e.Queue != "" && len(f.Queues) > 0 && !slices.Contains(f.Queues, e.Queue) {
		return centralita.Errorf(centralita.EINVALID, "form %q is not used in queue %q", f.Name, e.Queue)
	}
	if e.AudioFilename == "" && m.cfg.Recordings != nil {
		recs, _, err := m.cfg.Recordings.FindRecordings(ctx, centralita.RecordingFilter{UniqueID: e.UniqueID, Limit: 1})
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			e.AudioFilename = recs[0].GUID
		}
	}
	owner := "" // staff may replace any entry; an agent only its own
	if !staff {
		owner = e.AgentUsername
	}
	created, err := m.cfg.Forms.SaveFormEntry(ctx, e, owner)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return m.x.write(c, status, m.entryOut(e))
}

// formData reads submitted data against the form's fields.
func formData(f *centralita.Form, in map[string]json.RawMessage) (map[string][]centralita.FormValue, error) {
	out := map[string][]centralita.FormValue{}
	for name, raw := range in {
		fl, ok := f.Field(name)
		if !ok {
			return nil, centralita.Errorf(centralita.EINVALID, "form %q has no field %q", f.Name, name)
		}
		// A failed Unmarshal may leave partial results: each try has its own variable.
		var vals, list []string
		var one string
		var num json.Number
		var pairs []centralita.FormValue
		switch {
		case string(raw) == "null":
		case json.Unmarshal(raw, &one) == nil:
			vals = []string{one}
		case json.Unmarshal(raw, &num) == nil:
			vals = []string{num.String()}
		case json.Unmarshal(raw, &list) == nil:
			vals = list
		case json.Unmarshal(raw, &pairs) == nil:
			for _, p := range pairs {
				vals = append(vals, p.Value)
			}
		default:
			return nil, centralita.Errorf(centralita.EINVALID, "field %q: want a string, a number, a list of strings or of {label, value}", name)
		}
		for _, v := range vals {
			switch fl.Type {
			case centralita.FieldNumber:
				if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
					return nil, centralita.Errorf(centralita.EINVALID, "field %q: %q is not a number", name, v)
				}
			case centralita.FieldSelect:
				if !slices.Contains(fl.Options, v) {
					return nil, centralita.Errorf(centralita.EINVALID, "field %q: %q is not one of its options", name, v)
				}
			}
			if len(v) > 4096 {
				return nil, centralita.Errorf(centralita.EINVALID, "field %q: values must have at most 4096 characters", name)
			}
			out[name] = append(out[name], centralita.FormValue{Label: fl.Label, Value: v})
		}
	}
	for _, fl := range f.Fields {
		if fl.Required && len(out[fl.Name]) == 0 {
			return nil, centralita.Errorf(centralita.EINVALID, "field %q is required", fl.Name)
		}
	}
	return out, nil
}
