package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// AdminContactTransition starts the state log of a contact added through
// the admin API.
const AdminContactTransition = "_Source_Admin_API"

// adminMaxContacts bounds the contacts of one POST; larger loads are base uploads.
const adminMaxContacts = 10000

// adminMaxContactLimit is the largest page of contacts.
const adminMaxContactLimit = 1000

// AdminDispositionInput is the body of PUT /api/v1/campaigns/{id}/dispositions.
type AdminDispositionInput struct {
	// L1, L2 and L3 are the three levels; L1 is required, L3 needs L2.
	L1 string `json:"l1"`
	L2 string `json:"l2"`
	L3 string `json:"l3"`
	// Action is "", RESPOOL, RESPOOLALTERNATIVE, BLACKLIST or RESCHEDULE.
	Action centralita.DispositionAction `json:"action"`
	// Completes makes the contact Completed.
	Completes bool   `json:"completes"`
	TxtCode   string `json:"txtcode"`
	// RetryDelay is RESPOOL's delay in seconds.
	RetryDelay int `json:"retry_delay_sec"`
}

// AdminContactInput is one contact of POST /api/v1/campaigns/{id}/contacts.
type AdminContactInput struct {
	Number string `json:"number"`
	Name   string `json:"name"`
	// Data is "k=v:k=v" workflow data; Info a JSON object.
	Data       string          `json:"data"`
	Info       json.RawMessage `json:"info"`
	Alternates []string        `json:"alternates"`
	// Priority: lower is dialled first; 0 means the default (9999); 1 is
	// reserved for scheduled calls.
	Priority int    `json:"priority"`
	TimeZone string `json:"time_zone"`
	// Agent owns the contact (progressive campaigns).
	Agent string `json:"agent"`
	Base  string `json:"base"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
}

// AdminContactPage is the body of GET /api/v1/campaigns/{id}/contacts.
type AdminContactPage struct {
	// Total counts the contacts matching the filter, before paging.
	Total    int                   `json:"total"`
	Contacts []*centralita.Contact `json:"contacts"`
}

// adminNeed answers 503 when a dialer service is not configured.
func adminNeed(configured bool, what string) error {
	if !configured {
		return centralita.Errorf(centralita.EUNAVAILABLE, "%s not configured", what)
	}
	return nil
}

// adminCampaignID reads the path's campaign id, a positive integer.
func adminCampaignID(c *echo.Context) (int64, error) {
	v, err := adminParam(c, "id")
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, centralita.Errorf(centralita.EINVALID, "campaign id %q: want a positive integer", v)
	}
	return id, nil
}

// findCampaign returns the path's campaign.
func (a *adminAPI) findCampaign(c *echo.Context) (*centralita.Campaign, error) {
	if err := adminNeed(a.cfg.Campaigns != nil, "campaigns are"); err != nil {
		return nil, err
	}
	id, err := adminCampaignID(c)
	if err != nil {
		return nil, err
	}
	return a.cfg.Campaigns.FindCampaign(c.Request().Context(), id)
}

// dialerApplied makes the dialer reload after a stored campaign change. A
// failed reload is logged and answered 500; the stored change stays. Without
// a dialer the change applies when one starts.
func (a *adminAPI) dialerApplied(c *echo.Context, what string) error {
	if a.cfg.Dialer == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), adminReloadTimeout)
	defer cancel()
	if err := a.cfg.Dialer.Reload(ctx); err != nil {
		a.log.Error("admin: dialer reload failed after a configuration change", "change", what, "err", err)
		return centralita.WrapError(centralita.EINTERNAL, err,
			"%s was saved, but the dialer could not reload its campaigns (%s): the change applies at the next successful reload or restart",
			what, centralita.ErrorMessage(err))
	}
	return nil
}

// listCampaigns answers the campaigns, filtered by state and ordered by
// order_by (id or name) and order (asc or desc).
func (a *adminAPI) listCampaigns(c *echo.Context) error {
	if err := adminNeed(a.cfg.Campaigns != nil, "campaigns are"); err != nil {
		return err
	}
	var f centralita.CampaignFilter
	if v := c.QueryParam("state"); v != "" {
		f.State = centralita.CampaignState(v)
		if !f.State.Valid() {
			return centralita.Errorf(centralita.EINVALID, "state %q: want Incomplete, Active, Finalized or Stored", v)
		}
	}
	var err error
	if f.OrderBy, f.Desc, err = adminOrder(c, "id", "name"); err != nil {
		return err
	}
	cs, err := a.cfg.Campaigns.FindCampaigns(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*centralita.Campaign{}
	}
	return c.JSON(http.StatusOK, cs)
}

// adminOrder reads order_by (one of allowed) and order (asc or desc).
func adminOrder(c *echo.Context, allowed ...string) (by string, desc bool, err error) {
	if by = c.QueryParam("order_by"); by != "" && !slices.Contains(allowed, by) {
		return "", false, centralita.Errorf(centralita.EINVALID, "order_by %q: want %s", by, strings.Join(allowed, ", "))
	}
	switch o := c.QueryParam("order"); o {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return "", false, centralita.Errorf(centralita.EINVALID, "order %q: want asc or desc", o)
	}
	return by, desc, nil
}

// getCampaign answers one campaign.
func (a *adminAPI) getCampaign(c *echo.Context) error {
	cp, err := a.findCampaign(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

// adminRetryOutcomes are the outcomes a retry rule may name.
var adminRetryOutcomes = []centralita.CallOutcome{
	centralita.OutcomeBusy, centralita.OutcomeNoAnswer, centralita.OutcomeFailed,
	centralita.OutcomeMachine, centralita.OutcomeAbandoned,
}

// readCampaign decodes a campaign body, checks it and applies the defaults.
// id (0 for a new campaign) replaces the body's; the timestamps are ignored.
func (a *adminAPI) readCampaign(c *echo.Context, id int64) (*centralita.Campaign, error) {
	var cp centralita.Campaign
	if err := adminDecode(c, &cp, false); err != nil {
		return nil, err
	}
	cp.ID, cp.CreatedAt, cp.UpdatedAt = id, time.Time{}, time.Time{}
	if err := cp.Validate(); err != nil {
		return nil, err
	}
	for o := range cp.Retries {
		if !slices.Contains(adminRetryOutcomes, o) {
			return nil, centralita.Errorf(centralita.EINVALID, "retries: outcome %q: want Busy, NoAnswer, Failed, Machine or Abandoned", o)
		}
	}
	for i, w := range cp.Windows {
		if w.Weekday < time.Sunday || w.Weekday > time.Saturday {
			return nil, centralita.Errorf(centralita.EINVALID, "windows[%d]: weekday %d: want 0 (Sunday) to 6", i, w.Weekday)
		}
		if w.Start >= w.End {
			return nil, centralita.Errorf(centralita.EINVALID, "windows[%d]: start %s must be before end %s", i, w.Start, w.End)
		}
	}
	cp = cp.WithDefaults()
	if _, err := a.cfg.Queues.FindQueue(c.Request().Context(), cp.Queue); err != nil {
		if centralita.ErrorKind(err) == centralita.ENOTFOUND {
			return nil, centralita.Errorf(centralita.EINVALID, "queue %q does not exist", cp.Queue)
		}
		return nil, err
	}
	return &cp, nil
}

// createCampaign stores a new campaign with the defaults applied and
// reloads the dialer; 201.
func (a *adminAPI) createCampaign(c *echo.Context) error {
	if err := adminNeed(a.cfg.Campaigns != nil, "campaigns are"); err != nil {
		return err
	}
	cp, err := a.readCampaign(c, 0)
	if err != nil {
		return err
	}
	if err := a.cfg.Campaigns.CreateCampaign(c.Request().Context(), cp); err != nil {
		return err
	}
	if err := a.dialerApplied(c, "campaign "+cp.Name); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, AdminPrefix+"/campaigns/"+strconv.FormatInt(cp.ID, 10))
	return c.JSON(http.StatusCreated, cp)
}

// replaceCampaign replaces a campaign's configuration (its state included:
// Active starts it) and reloads the dialer.
func (a *adminAPI) replaceCampaign(c *echo.Context) error {
	if err := adminNeed(a.cfg.Campaigns != nil, "campaigns are"); err != nil {
		return err
	}
	id, err := adminCampaignID(c)
	if err != nil {
		return err
	}
	cp, err := a.readCampaign(c, id)
	if err != nil {
		return err
	}
	if err := a.cfg.Campaigns.UpdateCampaign(c.Request().Context(), cp); err != nil {
		return err
	}
	if err := a.dialerApplied(c, "campaign "+cp.Name); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

// deleteCampaign removes a campaign and reloads the dialer; 204.
func (a *adminAPI) deleteCampaign(c *echo.Context) error {
	if err := adminNeed(a.cfg.Campaigns != nil, "campaigns are"); err != nil {
		return err
	}
	id, err := adminCampaignID(c)
	if err != nil {
		return err
	}
	if err := a.cfg.Campaigns.DeleteCampaign(c.Request().Context(), id); err != nil {
		return err
	}
	if err := a.dialerApplied(c, "deletion of campaign "+strconv.FormatInt(id, 10)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// dispositionCampaign returns the path's campaign for a disposition route.
func (a *adminAPI) dispositionCampaign(c *echo.Context) (*centralita.Campaign, error) {
	if err := adminNeed(a.cfg.Dispositions != nil, "dispositions are"); err != nil {
		return nil, err
	}
	return a.findCampaign(c)
}

// listDispositions answers a campaign's configured dispositions.
func (a *adminAPI) listDispositions(c *echo.Context) error {
	cp, err := a.dispositionCampaign(c)
	if err != nil {
		return err
	}
	ds, err := a.cfg.Dispositions.FindDispositions(c.Request().Context(), cp.Name)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []*centralita.Disposition{}
	}
	return c.JSON(http.StatusOK, ds)
}

// adminCheckLevels checks disposition levels: l1 required, l3 only with l2.
func adminCheckLevels(l1, l2, l3 string) error {
	switch {
	case l1 == "":
		return centralita.Errorf(centralita.EINVALID, "l1 is required")
	case l3 != "" && l2 == "":
		return centralita.Errorf(centralita.EINVALID, "l3 needs l2")
	case len(l1) > 128 || len(l2) > 128 || len(l3) > 128:
		return centralita.Errorf(centralita.EINVALID, "disposition levels have at most 128 characters")
	}
	return nil
}

// setDisposition adds or replaces a campaign's disposition; 201 when
// added, 200 when replaced.
func (a *adminAPI) setDisposition(c *echo.Context) error {
	cp, err := a.dispositionCampaign(c)
	if err != nil {
		return err
	}
	var in AdminDispositionInput
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	if err := adminCheckLevels(in.L1, in.L2, in.L3); err != nil {
		return err
	}
	switch {
	case !in.Action.Valid():
		return centralita.Errorf(centralita.EINVALID, "action %q: want \"\", RESPOOL, RESPOOLALTERNATIVE, BLACKLIST or RESCHEDULE", in.Action)
	case in.RetryDelay < 0:
		return centralita.Errorf(centralita.EINVALID, "retry_delay_sec must not be negative")
	case len(in.TxtCode) > 128:
		return centralita.Errorf(centralita.EINVALID, "txtcode has at most 128 characters")
	}
	ctx := c.Request().Context()
	status := http.StatusOK
	if _, err := a.cfg.Dispositions.FindDisposition(ctx, cp.Name, in.L1, in.L2, in.L3); err != nil {
		if centralita.ErrorKind(err) != centralita.ENOTFOUND {
			return err
		}
		status = http.StatusCreated
	}
	d := &centralita.Disposition{
		Campaign: cp.Name, L1: in.L1, L2: in.L2, L3: in.L3, Action: in.Action,
		Completes: in.Completes, TxtCode: in.TxtCode, RetryDelay: in.RetryDelay,
	}
	if err := a.cfg.Dispositions.SetDisposition(ctx, d); err != nil {
		return err
	}
	return c.JSON(status, d)
}

// deleteDisposition removes the disposition named by the l1, l2 and l3
// query parameters; 204.
func (a *adminAPI) deleteDisposition(c *echo.Context) error {
	cp, err := a.dispositionCampaign(c)
	if err != nil {
		return err
	}
	l1, l2, l3 := c.QueryParam("l1"), c.QueryParam("l2"), c.QueryParam("l3")
	if err := adminCheckLevels(l1, l2, l3); err != nil {
		return err
	}
	if err := a.cfg.Dispositions.DeleteDisposition(c.Request().Context(), cp.Name, l1, l2, l3); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listContacts answers a page of a campaign's contacts and the count of
// those matching the filter.
func (a *adminAPI) listContacts(c *echo.Context) error {
	if err := adminNeed(a.cfg.Contacts != nil, "contacts are"); err != nil {
		return err
	}
	cp, err := a.findCampaign(c)
	if err != nil {
		return err
	}
	f := centralita.ContactFilter{CampaignID: cp.ID, Like: c.QueryParam("like"), Number: c.QueryParam("number")}
	if v := c.QueryParam("state"); v != "" {
		f.State = centralita.ContactState(v)
		if !f.State.Valid() {
			return centralita.Errorf(centralita.EINVALID, "state %q: want Pending, Completed, Rejected or Canceled", v)
		}
	}
	if f.OrderBy, f.Desc, err = adminOrder(c, "id", "name", "numcall", "timestampadd", "statetimestamp"); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"state_from", &f.StateFrom}, {"state_to", &f.StateTo}, {"added_from", &f.AddedFrom}, {"added_to", &f.AddedTo}} {
		if v := c.QueryParam(p.name); v != "" {
			if *p.t, err = a.parseTime(p.name, v); err != nil {
				return err
			}
		}
	}
	for _, p := range []struct {
		name string
		n    *int
		max  int
	}{{"offset", &f.Offset, 0}, {"limit", &f.Limit, adminMaxContactLimit}} {
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
	cs, total, err := a.cfg.Contacts.FindContacts(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := AdminContactPage{Total: total, Contacts: make([]*centralita.Contact, 0, len(cs))}
	for _, ct := range cs {
		out.Contacts = append(out.Contacts, a.localContact(ct))
	}
	return c.JSON(http.StatusOK, out)
}

// localContact returns a copy of ct with its times in the configured location.
func (a *adminAPI) localContact(ct *centralita.Contact) *centralita.Contact {
	out := *ct
	out.StateAt, out.AddedAt = ct.StateAt.In(a.cfg.Location), ct.AddedAt.In(a.cfg.Location)
	if ct.NextAt != nil {
		out.NextAt = a.local(*ct.NextAt)
	}
	if ct.LastAttemptAt != nil {
		out.LastAttemptAt = a.local(*ct.LastAttemptAt)
	}
	return &out
}

// addContacts adds a list of contacts to a campaign through the dialer
// (numbers on the do-not-call list are added Rejected); 201 with the
// contacts as added.
func (a *adminAPI) addContacts(c *echo.Context) error {
	if err := adminNeed(a.cfg.Dialer != nil, "the dialer is"); err != nil {
		return err
	}
	cp, err := a.findCampaign(c)
	if err != nil {
		return err
	}
	var in []AdminContactInput
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	if len(in) == 0 || len(in) > adminMaxContacts {
		return centralita.Errorf(centralita.EINVALID, "send 1 to %d contacts; load larger bases as uploads", adminMaxContacts)
	}
	cs := make([]*centralita.Contact, 0, len(in))
	for i, ci := range in {
		ct, err := adminContact(cp.ID, ci)
		if err != nil {
			return centralita.Errorf(centralita.EINVALID, "contacts[%d]: %s", i, centralita.ErrorMessage(err))
		}
		cs = append(cs, ct)
	}
	if err := a.cfg.Dialer.AddContacts(c.Request().Context(), cp.ID, cs, AdminContactTransition); err != nil {
		return err
	}
	out := make([]*centralita.Contact, 0, len(cs))
	for _, ct := range cs {
		out = append(out, a.localContact(ct))
	}
	return c.JSON(http.StatusCreated, out)
}

// adminContact converts and checks one contact input.
func adminContact(campaign int64, in AdminContactInput) (*centralita.Contact, error) {
	ct := &centralita.Contact{
		CampaignID: campaign, Number: strings.TrimSpace(in.Number), Name: in.Name, Data: in.Data,
		Info: json.RawMessage(`{}`), Alternates: in.Alternates, Priority: in.Priority, TimeZone: in.TimeZone,
		Agent: in.Agent, Base: in.Base, Enabled: in.Enabled == nil || *in.Enabled,
	}
	switch {
	case ct.Priority == 0:
		ct.Priority = centralita.PriorityDefault
	case ct.Priority == centralita.PriorityScheduled:
		return nil, centralita.Errorf(centralita.EINVALID, "priority 1 is reserved for scheduled calls")
	}
	if info := bytes.TrimSpace(in.Info); len(info) > 0 && string(info) != "null" {
		var obj map[string]json.RawMessage
		if info[0] != '{' || json.Unmarshal(info, &obj) != nil {
			return nil, centralita.Errorf(centralita.EINVALID, "info must be a JSON object")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, info); err != nil {
			return nil, centralita.Errorf(centralita.EINVALID, "info must be a JSON object")
		}
		ct.Info = buf.Bytes()
	}
	if ct.TimeZone != "" {
		if _, err := time.LoadLocation(ct.TimeZone); err != nil {
			return nil, centralita.Errorf(centralita.EINVALID, "unknown time zone %q", ct.TimeZone)
		}
	}
	if err := ct.Validate(); err != nil {
		return nil, err
	}
	return ct, nil
}
