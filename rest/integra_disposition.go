package rest

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// The 400 texts of api/DispositionCall, verbatim (rest-integra.md §4.4; C4:
// two ASCII spaces before "Empty campaign.").
const (
	dispEmptyCampaign = "Wrong parameters:  Empty campaign."
	dispEmptyCallerID = "Wrong parameters: Empty callerid"
	dispEmptyGUID     = "Wrong parameters: Empty guid"
	dispEmptyAgent    = "Wrong parameters: Empty agent"
	dispEmptyValue1   = "Wrong parameters: Empty value1"
	dispBadSchedule   = "The schedule date format is not well formed:"
	dispEmptySchedule = "Wrong parameters: Empty schedule date."
)

// integraDispositionOK is DispositionCall's success body (C3).
type integraDispositionOK struct {
	Result  string `json:"Result"`
	TxtCode string `json:"txtcode"`
}

// dispositionCall answers POST api/DispositionCall (§4.4): it records the
// agent's disposition of a call (campaign, agent, callerid, guid, l1, l2,
// l3, d1, d2, comment, schedule, camptoreschedule, tag) and the dialer
// applies the disposition's configured action (Dialer.Dispose).
//
// Checks, in this order (C3), each failure a 400 with its text verbatim:
// campaign, callerid, guid, agent and l1 present; the disposition
// (campaign, l1, l2, l3) configured; and, when its action is RESCHEDULE, a
// schedule present and well formed (yyyy-MM-dd HH:mm:ss in the configured
// Location). A user of role agent may only dispose as itself (agent is its
// username or number; else 403 "0", checked after the empty fields).
//
// The action is learned before Dispose runs from IntegraConfig.Dispositions
// (FindDisposition). Without it, the facade relies on the dialer: Dispose's
// ENOTFOUND is the "not found" text, and an EINVALID when no valid schedule
// was passed is the schedule text ("not well formed" when schedule was
// given, "Empty schedule date." when not), which requires Dispose to refuse
// a RESCHEDULE without a date with EINVALID before recording anything.
//
// A schedule that is malformed is not passed to the dialer (nor an error)
// when the action is not RESCHEDULE; a valid one is always recorded. An
// empty tag is "l1|l2|l3". Success is 200 {"Result":"ok","txtcode":"…"}
// with the disposition's TxtCode, or the plain text "1" with
// IntegraConfig.DispositionPlainOK. Other failures of the dialer answer
// their HTTP status with "0".
func (in *integra) dispositionCall(c *echo.Context) error {
	d, err := in.dialer()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cd := &centralita.CallDisposition{
		Campaign: c.FormValue("campaign"), Agent: strings.TrimSpace(c.FormValue("agent")),
		CallerID: strings.TrimSpace(c.FormValue("callerid")), GUID: strings.TrimSpace(c.FormValue("guid")),
		L1: c.FormValue("l1"), L2: c.FormValue("l2"), L3: c.FormValue("l3"),
		D1: c.FormValue("d1"), D2: c.FormValue("d2"), Comment: c.FormValue("comment"),
		Reschedule: c.FormValue("camptoreschedule"), Tag: c.FormValue("tag"), CreatedAt: in.cfg.Now(),
	}
	for _, chk := range []struct{ value, text string }{
		{cd.Campaign, dispEmptyCampaign},
		{cd.CallerID, dispEmptyCallerID},
		{cd.GUID, dispEmptyGUID},
		{cd.Agent, dispEmptyAgent},
		{cd.L1, dispEmptyValue1},
	} {
		if blank(chk.value) {
			return c.String(http.StatusBadRequest, chk.text)
		}
	}
	if self, err := in.selfAgent(ctx, c); err != nil {
		return err
	} else if self != nil && !isAgent(self, cd.Agent) {
		return centralita.Errorf(centralita.EFORBIDDEN, "agent user %q may only dispose its own calls", self.Username)
	}
	if cd.Tag == "" {
		cd.Tag = cd.L1 + "|" + cd.L2 + "|" + cd.L3
	}
	schedule := strings.TrimSpace(c.FormValue("schedule"))
	if t, ok := in.parseDate(schedule); ok {
		cd.Schedule = &t
	}
	if in.cfg.Dispositions != nil {
		disp, err := in.cfg.Dispositions.FindDisposition(ctx, cd.Campaign, cd.L1, cd.L2, cd.L3)
		switch {
		case centralita.ErrorKind(err) == centralita.ENOTFOUND:
			return in.dispositionNotFound(c, cd)
		case err != nil:
			return err
		case disp.Action == centralita.ActionReschedule && schedule == "":
			return c.String(http.StatusBadRequest, dispEmptySchedule)
		case disp.Action == centralita.ActionReschedule && cd.Schedule == nil:
			return c.String(http.StatusBadRequest, dispBadSchedule)
		}
	}
	disp, err := d.Dispose(ctx, cd)
	switch kind := centralita.ErrorKind(err); {
	case kind == centralita.ENOTFOUND:
		return in.dispositionNotFound(c, cd)
	case kind == centralita.EINVALID && in.cfg.Dispositions == nil && cd.Schedule == nil:
		in.logger.WarnContext(ctx, "integra: DispositionCall refused; read as a RESCHEDULE without a valid date", "campaign", cd.Campaign, "schedule", schedule, "err", err)
		if schedule == "" {
			return c.String(http.StatusBadRequest, dispEmptySchedule)
		}
		return c.String(http.StatusBadRequest, dispBadSchedule)
	case err != nil:
		in.logger.WarnContext(ctx, "integra: DispositionCall failed", "campaign", cd.Campaign, "guid", cd.GUID, "err", err)
		return err
	}
	if in.cfg.DispositionPlainOK {
		return c.String(http.StatusOK, "1")
	}
	ok := integraDispositionOK{Result: "ok"}
	if disp != nil {
		ok.TxtCode = disp.TxtCode
	}
	return writeJSON(c, ok)
}

// dispositionNotFound answers the 400 text for cd's levels, verbatim
// "Disposition not found for level1: <l1>, level2: <l2> level3: <l3>" (no
// comma before level3).
func (in *integra) dispositionNotFound(c *echo.Context, cd *centralita.CallDisposition) error {
	in.logger.WarnContext(c.Request().Context(), "integra: DispositionCall: no such disposition", "campaign", cd.Campaign, "l1", cd.L1, "l2", cd.L2, "l3", cd.L3)
	return c.String(http.StatusBadRequest, "Disposition not found for level1: "+cd.L1+", level2: "+cd.L2+" level3: "+cd.L3)
}
