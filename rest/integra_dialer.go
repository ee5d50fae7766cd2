package rest

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// Integra dialer endpoints (rest-integra.md §4.5, §6, §7; DispositionCall,
// §4.4, is in integra_disposition.go).
//
// Access keys and users of role supervisor or admin may call them (agents
// get 403), except api/DispositionCall, which agents may call for
// themselves. Without IntegraConfig.Dialer (Blacklist for admin/addblack)
// they answer 503 "0". Answers (C2): "1" when done; "0" with HTTP 200 when
// the input is wrong (bad or incomplete JSON, a bad date, priority 1 in a
// Respool, bad base64) or the dialer refused it (EINVALID, ENOTFOUND,
// ECONFLICT: an unknown campaign, say), logged with the reason; any other
// failure of the dialer (unavailable, internal) is its HTTP status with
// "0". Campaign names are passed exactly as given, arrows included (C15).

// dialerRoutes are the dialer endpoints RegisterIntegra adds.
func (in *integra) dialerRoutes() []integraRoute {
	return []integraRoute{
		{"api/DispositionCall", accessAny, in.dispositionCall},
		{"admin/addblack", accessSupervisor, in.addBlack},
		{"Dialers/Respool", accessSupervisor, in.respool},
		{"Dialers/ScheduleDialerCall", accessSupervisor, in.scheduleDialerCall},
		{"Dialers/DialerTask", accessSupervisor, in.dialerTask},
		{"Dialers/RemoveContact", accessSupervisor, in.removeContact},
		{"Dialers/RemoveScheduleDialerCall", accessSupervisor, in.removeScheduleDialerCall},
		{"Dialers/uploadbase", accessSupervisor, in.uploadBase(false)},
		{"Dialers/uploadbasewithtimezone", accessSupervisor, in.uploadBase(true)},
	}
}

// dialer returns the configured Dialer, or EUNAVAILABLE.
func (in *integra) dialer() (centralita.Dialer, error) {
	if in.cfg.Dialer == nil {
		return nil, centralita.Errorf(centralita.EUNAVAILABLE, "the dialer is not configured")
	}
	return in.cfg.Dialer, nil
}

// refused answers err of a dialer endpoint: input errors and the dialer's
// functional refusals (EINVALID, ENOTFOUND, ECONFLICT) are HTTP 200 with
// "0" (C2) and a warning in the log; anything else is returned, for fail.
func (in *integra) refused(c *echo.Context, op string, err error, attrs ...any) error {
	switch centralita.ErrorKind(err) {
	case centralita.EINVALID, centralita.ENOTFOUND, centralita.ECONFLICT:
		in.logger.WarnContext(c.Request().Context(), "integra: "+op+" refused", append(attrs, "err", err)...)
		return c.String(http.StatusOK, "0")
	}
	return err
}

// invalid is an EINVALID error for refused.
func invalid(format string, args ...any) error {
	return centralita.Errorf(centralita.EINVALID, format, args...)
}

// blank reports whether s is empty or only spaces.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// addBlack answers POST admin/addblack (§4.5): black is the JSON object
// {phone, campaign, username, company, job_title, name}. phone and campaign
// (a campaign name, or "*" for every campaign) are required; an empty
// username is the signed-in user's. Adding a number already listed for that
// campaign is not an error.
func (in *integra) addBlack(c *echo.Context) error {
	if in.cfg.Blacklist == nil {
		return centralita.Errorf(centralita.EUNAVAILABLE, "the blacklist is not configured")
	}
	var v struct {
		Phone    looseString `json:"phone"`
		Campaign looseString `json:"campaign"`
		Username looseString `json:"username"`
		Company  looseString `json:"company"`
		JobTitle looseString `json:"job_title"`
		Name     looseString `json:"name"`
	}
	if err := decodeObject("black", c.FormValue("black"), &v); err != nil {
		return in.refused(c, "addblack", err)
	}
	e := &centralita.BlacklistEntry{
		Phone: strings.TrimSpace(string(v.Phone)), Campaign: string(v.Campaign),
		Username: strings.TrimSpace(string(v.Username)), Company: string(v.Company),
		JobTitle: string(v.JobTitle), Name: string(v.Name), CreatedAt: in.cfg.Now(),
	}
	switch {
	case e.Phone == "":
		return in.refused(c, "addblack", invalid("black: phone required"))
	case blank(e.Campaign):
		return in.refused(c, "addblack", invalid(`black: campaign required (a name, or "*" for all)`), "phone", e.Phone)
	}
	if e.Username == "" {
		e.Username = principalName(c)
	}
	if err := in.cfg.Blacklist.AddBlacklist(c.Request().Context(), e); err != nil {
		return in.refused(c, "addblack", err, "phone", e.Phone, "campaign", e.Campaign)
	}
	in.logger.InfoContext(c.Request().Context(), "integra: number blacklisted", "phone", e.Phone, "campaign", e.Campaign, "username", e.Username)
	return c.String(http.StatusOK, "1")
}

// principalName is the signed-in user's username, "" for an access key.
func principalName(c *echo.Context) string {
	if p := PrincipalOf(c); p != nil && p.User != nil {
		return p.User.Username
	}
	return ""
}

// respool answers POST Dialers/Respool (§6.2): callspool is the Respool
// object; alternatives are ':'-separated. campaign and destination are
// required; priority 1 (reserved for scheduled calls) and negative numbers
// are refused; priority 0 or absent is passed as 0, the dialer's default.
// The fields the spec says not to change (campaign, status, contact,
// dialerbase) are passed as given: the dialer finds the record by them.
func (in *integra) respool(c *echo.Context) error {
	d, err := in.dialer()
	if err != nil {
		return err
	}
	var v struct {
		Campaign     looseString `json:"campaign"`
		Destination  looseString `json:"destination"`
		DialerBase   looseString `json:"dialerbase"`
		Status       looseInt    `json:"status"`
		Data         looseString `json:"data"`
		Alternatives looseString `json:"alternatives"`
		Contact      looseInt    `json:"contact"`
		Retries      looseInt    `json:"retries"`
		Priority     looseInt    `json:"priority"`
		AgentPhone   looseString `json:"agentphone"`
	}
	if err := decodeObject("callspool", c.FormValue("callspool"), &v); err != nil {
		return in.refused(c, "Respool", err)
	}
	r := centralita.RespoolRequest{
		Campaign: string(v.Campaign), Destination: strings.TrimSpace(string(v.Destination)),
		DialerBase: string(v.DialerBase), Status: int(v.Status), Data: string(v.Data),
		Alternatives: splitAlternatives(string(v.Alternatives)), Contact: int64(v.Contact),
		Retries: int(v.Retries), Priority: int(v.Priority), AgentPhone: strings.TrimSpace(string(v.AgentPhone)),
	}
	switch {
	case blank(r.Campaign) || r.Destination == "":
		err = invalid("callspool: campaign and destination required")
	case r.Priority == centralita.PriorityScheduled:
		err = invalid("callspool: priority 1 is reserved for scheduled calls; use > 1")
	case r.Priority < 0 || r.Retries < 0 || r.Contact < 0:
		err = invalid("callspool: priority, retries and contact must not be negative")
	default:
		err = d.Respool(c.Request().Context(), r)
	}
	if err != nil {
		return in.refused(c, "Respool", err, "campaign", r.Campaign, "destination", r.Destination, "contact", r.Contact)
	}
	return c.String(http.StatusOK, "1")
}

// scheduleDialerCall answers POST Dialers/ScheduleDialerCall (§6.3):
// callschedule is {calldate, campaign, destination, alternatives,
// agentphone, data}. calldate (yyyy-MM-dd HH:mm:ss, in the configured
// Location) is required (C9), as are campaign and destination; agentphone
// is the agent the call is for ("" = anyone).
func (in *integra) scheduleDialerCall(c *echo.Context) error {
	d, err := in.dialer()
	if err != nil {
		return err
	}
	var v struct {
		CallDate     looseString `json:"calldate"`
		Campaign     looseString `json:"campaign"`
		Destination  looseString `json:"destination"`
		Alternatives looseString `json:"alternatives"`
		AgentPhone   looseString `json:"agentphone"`
		Data         looseString `json:"data"`
	}
	if err := decodeObject("callschedule", c.FormValue("callschedule"), &v); err != nil {
		return in.refused(c, "ScheduleDialerCall", err)
	}
	r := centralita.ScheduleRequest{
		Campaign: string(v.Campaign), Destination: strings.TrimSpace(string(v.Destination)),
		Alternatives: splitAlternatives(string(v.Alternatives)), Agent: strings.TrimSpace(string(v.AgentPhone)),
		Data: string(v.Data),
	}
	at, ok := in.parseDate(string(v.CallDate))
	switch {
	case !ok:
		err = invalid("callschedule: calldate %q: want yyyy-MM-dd HH:mm:ss", v.CallDate)
	case blank(r.Campaign) || r.Destination == "":
		err = invalid("callschedule: campaign and destination required")
	default:
		r.At = at
		err = d.Schedule(c.Request().Context(), r)
	}
	if err != nil {
		return in.refused(c, "ScheduleDialerCall", err, "campaign", r.Campaign, "destination", r.Destination)
	}
	return c.String(http.StatusOK, "1")
}

// dialerTask answers POST Dialers/DialerTask (§6.4): call is {calldate,
// campaign, destination, alternatives, agent, data, source, bulk,
// automatic}. calldate null or "" means now; otherwise it must be a date.
// The four modes (bulk × automatic × calldate) and their priorities are the
// dialer's: the object is passed as given. agent is a username or an agent
// number (C10); source is kept verbatim. campaign and destination are
// required.
func (in *integra) dialerTask(c *echo.Context) error {
	d, err := in.dialer()
	if err != nil {
		return err
	}
	var v struct {
		CallDate     looseString `json:"calldate"`
		Campaign     looseString `json:"campaign"`
		Destination  looseString `json:"destination"`
		Alternatives looseString `json:"alternatives"`
		Agent        looseString `json:"agent"`
		Data         looseString `json:"data"`
		Source       looseString `json:"source"`
		Bulk         looseBool   `json:"bulk"`
		Automatic    looseBool   `json:"automatic"`
	}
	if err := decodeObject("call", c.FormValue("call"), &v); err != nil {
		return in.refused(c, "DialerTask", err)
	}
	t := centralita.DialerTask{
		Campaign: string(v.Campaign), Destination: strings.TrimSpace(string(v.Destination)),
		Alternatives: splitAlternatives(string(v.Alternatives)), Agent: strings.TrimSpace(string(v.Agent)),
		Data: string(v.Data), Source: string(v.Source), Bulk: bool(v.Bulk), Automatic: bool(v.Automatic),
	}
	if !blank(string(v.CallDate)) {
		at, ok := in.parseDate(string(v.CallDate))
		if !ok {
			return in.refused(c, "DialerTask", invalid("call: calldate %q: want null or yyyy-MM-dd HH:mm:ss", v.CallDate))
		}
		t.CallDate = &at
	}
	if blank(t.Campaign) || t.Destination == "" {
		err = invalid("call: campaign and destination required")
	} else {
		err = d.Task(c.Request().Context(), t)
	}
	if err != nil {
		return in.refused(c, "DialerTask", err, "campaign", t.Campaign, "destination", t.Destination)
	}
	return c.String(http.StatusOK, "1")
}

// removeContact answers POST Dialers/RemoveContact (§6.5): every pending
// contact of campaign with that number is canceled. "1" even when there was
// none (the number is not in the pool either way); campaign and number are
// required.
func (in *integra) removeContact(c *echo.Context) error {
	d, err := in.dialer()
	if err != nil {
		return err
	}
	campaign, number := c.FormValue("campaign"), strings.TrimSpace(c.FormValue("number"))
	if blank(campaign) || number == "" {
		return in.refused(c, "RemoveContact", invalid("campaign and number required"))
	}
	n, err := d.RemoveContact(c.Request().Context(), campaign, number)
	if err != nil {
		return in.refused(c, "RemoveContact", err, "campaign", campaign, "number", number)
	}
	in.logger.InfoContext(c.Request().Context(), "integra: contacts removed", "campaign", campaign, "number", number, "removed", n)
	return c.String(http.StatusOK, "1")
}

// removeScheduleDialerCall answers POST Dialers/RemoveScheduleDialerCall
// (§6.6): the campaign's scheduled calls to destination due from from to
// to, both included, are canceled; "1" even when there was none. All four
// fields are required, the dates as yyyy-MM-dd HH:mm:ss in the configured
// Location with from not after to.
func (in *integra) removeScheduleDialerCall(c *echo.Context) error {
	d, err := in.dialer()
	if err != nil {
		return err
	}
	campaign, number := c.FormValue("campaign"), strings.TrimSpace(c.FormValue("destination"))
	from, okFrom := in.parseDate(c.FormValue("from"))
	to, okTo := in.parseDate(c.FormValue("to"))
	switch {
	case blank(campaign) || number == "":
		err = invalid("campaign and destination required")
	case !okFrom || !okTo:
		err = invalid("from %q and to %q: want yyyy-MM-dd HH:mm:ss", c.FormValue("from"), c.FormValue("to"))
	case from.After(to):
		err = invalid("from is after to")
	}
	if err != nil {
		return in.refused(c, "RemoveScheduleDialerCall", err)
	}
	n, err := d.RemoveScheduled(c.Request().Context(), campaign, number, from, to)
	if err != nil {
		return in.refused(c, "RemoveScheduleDialerCall", err, "campaign", campaign, "destination", number)
	}
	in.logger.InfoContext(c.Request().Context(), "integra: scheduled calls removed", "campaign", campaign, "destination", number, "removed", n)
	return c.String(http.StatusOK, "1")
}

// uploadBase answers POST Dialers/uploadbase and, withTZ,
// Dialers/uploadbasewithtimezone (§7): filename, fileb64 (the file in
// base64), campaign, cant (the announced record count; optional) and
// username (default the signed-in user), plus timezone. The upload is
// asynchronous: "1" means the job started (the admin API's /api/v1/jobs
// lists it with its progress and rejected lines), "0" that it did not.
//
// The file is held in memory, so its size is bounded by the server's body
// limit (Config.MaxBodyBytes; base64 makes it a third larger): raise it for
// big bases. fileb64 may be padded or not, in the standard or the URL-safe
// alphabet, and broken into lines; a space is read as "+", which a client
// that forgot to URL-encode the field sends. An empty or undecodable file,
// an empty campaign and a cant that is not a whole number give "0", as does
// an unknown campaign when IntegraConfig.Campaigns is set. timezone is an
// IANA zone name (e.g. "America/Montevideo"; the vendor's list is not in
// the spec) and is required by uploadbasewithtimezone; uploadbase ignores
// it and leaves each contact in its campaign's zone.
func (in *integra) uploadBase(withTZ bool) echo.HandlerFunc {
	op := "uploadbase"
	if withTZ {
		op = "uploadbasewithtimezone"
	}
	return func(c *echo.Context) error {
		d, err := in.dialer()
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		u := centralita.BaseUpload{
			Campaign: c.FormValue("campaign"), Filename: strings.TrimSpace(c.FormValue("filename")),
			Username: strings.TrimSpace(c.FormValue("username")),
		}
		if u.Username == "" {
			u.Username = principalName(c)
		}
		if withTZ {
			u.TimeZone = strings.TrimSpace(c.FormValue("timezone"))
		}
		u.Content, err = decodeBase64(c.FormValue("fileb64"))
		switch {
		case err != nil:
			err = centralita.WrapError(centralita.EINVALID, err, "fileb64: bad base64")
		case len(u.Content) == 0:
			err = invalid("fileb64: empty file")
		case blank(u.Campaign):
			err = invalid("campaign required")
		default:
			u.Declared, err = parseCount(c.FormValue("cant"))
		}
		if err == nil && withTZ {
			err = checkTimeZone(u.TimeZone)
		}
		if err == nil && in.cfg.Campaigns != nil {
			_, err = in.cfg.Campaigns.FindCampaignByName(ctx, u.Campaign)
		}
		if err != nil {
			return in.refused(c, op, err, "campaign", u.Campaign, "filename", u.Filename)
		}
		// The job outlives the request.
		id, err := d.UploadBase(context.WithoutCancel(ctx), u)
		if err != nil {
			return in.refused(c, op, err, "campaign", u.Campaign, "filename", u.Filename)
		}
		in.logger.InfoContext(ctx, "integra: base upload started", "job", id, "campaign", u.Campaign,
			"filename", u.Filename, "bytes", len(u.Content), "declared", u.Declared, "timezone", u.TimeZone, "username", u.Username)
		return c.String(http.StatusOK, "1")
	}
}

// decodeBase64 decodes fileb64 leniently: line breaks are dropped, spaces
// read as "+", the URL-safe alphabet is accepted and padding is optional.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return -1
		case ' ':
			return '+'
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, strings.TrimSpace(s))
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseCount reads cant: "" is 0 (unknown), else a whole number >= 0.
func parseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, invalid("cant %q: want a whole number", s)
	}
	return n, nil
}

// checkTimeZone accepts an IANA zone name ("UTC" included, "Local" not).
func checkTimeZone(tz string) error {
	if tz == "" || tz == "Local" {
		return invalid("timezone required (an IANA name such as America/Montevideo)")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return centralita.WrapError(centralita.EINVALID, err, "timezone %q unknown", tz)
	}
	return nil
}
