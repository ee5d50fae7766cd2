package rest

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// IntegraSMS configures the Integra SMS endpoints (rest-integra.md §9).
//
// SMS/SendSMS and SMS/SendSMSv2 are the documented ones. The scheduler
// (§9.4) and the SMS base upload (§9.5) have no documented path (C13), nor
// has a listing of sent and received messages (§9.3 is empty) or of jobs:
// they are served only at the paths configured here (relative to
// IntegraPrefix, e.g. "SMS/ScheduleSMS"), which are NOT part of uContact's
// API; empty leaves them off.
type IntegraSMS struct {
	// Sender is the SMS engine; nil answers the SMS endpoints 503 "ERROR".
	Sender centralita.SMSSender
	// SchedulePath serves the scheduler: form field callschedule, a JSON
	// object shaped as ScheduleDialerCall's ({calldate, campaign,
	// destination, data} plus message, source, agent; the §9.4 proposal).
	SchedulePath string
	// UploadPath serves the SMS base upload with Dialers/uploadbase's
	// parameters (filename, fileb64, campaign, cant, username) plus message.
	UploadPath string
	// ListPath lists messages as JSON (form: direction in|out, status,
	// campaign, base, from, to, offset, limit); received SMS are direction in.
	ListPath string
	// JobsPath lists the SMS jobs as JSON; with form field cancel=<id> it
	// cancels that job and answers "1" (or "0").
	JobsPath string
}

// smsRoutes are the SMS endpoints RegisterIntegra adds.
func (in *integra) smsRoutes() []integraRoute {
	cfg := in.cfg.SMS
	routes := []integraRoute{
		{"SMS/SendSMS", accessAny, in.sendSMS(false)},
		{"SMS/SendSMSv2", accessAny, in.sendSMS(true)},
	}
	for _, r := range []integraRoute{
		{cfg.SchedulePath, accessSupervisor, in.scheduleSMS},
		{cfg.UploadPath, accessSupervisor, in.uploadSMSBase},
		{cfg.ListPath, accessSupervisor, in.listSMS},
		{cfg.JobsPath, accessSupervisor, in.smsJobs},
	} {
		if p := strings.Trim(r.path, "/ "); p != "" {
			r.path = p
			routes = append(routes, r)
		}
	}
	return routes
}

// smsFailed answers an SMS endpoint's failure with the text "ERROR"
// (§9.1): HTTP 200 for what the caller got wrong or a rate limit (C2),
// logged; the error's HTTP status for anything else.
func (in *integra) smsFailed(c *echo.Context, op string, err error, attrs ...any) error {
	status := http.StatusOK
	switch kind := centralita.ErrorKind(err); kind {
	case centralita.EINVALID, centralita.ENOTFOUND, centralita.ECONFLICT, centralita.ELIMITED:
		in.logger.WarnContext(c.Request().Context(), "integra: "+op+" refused", append(attrs, "err", err)...)
	default:
		status = statusOf(kind)
		in.logger.ErrorContext(c.Request().Context(), "integra: "+op+" failed", append(attrs, "err", err)...)
	}
	return c.String(status, "ERROR")
}

// smsSender returns the configured engine, or EUNAVAILABLE.
func (in *integra) smsSender() (centralita.SMSSender, error) {
	if in.cfg.SMS.Sender == nil {
		return nil, centralita.Errorf(centralita.EUNAVAILABLE, "SMS is not configured")
	}
	return in.cfg.SMS.Sender, nil
}

// sendSMS answers POST SMS/SendSMS ("OK") and SMS/SendSMSv2 ({"id":"<id>"},
// C14): destination (one number, or several separated by spaces or
// commas, as eXpand's sendSms takes them), message, campaign, agent (empty:
// the signed-in user) and source (the sender id). Every failure, the
// rate limit included, answers "ERROR" (v2 too: the source documents no
// other error body).
func (in *integra) sendSMS(v2 bool) echo.HandlerFunc {
	op := "SendSMS"
	if v2 {
		op = "SendSMSv2"
	}
	return func(c *echo.Context) error {
		s, err := in.smsSender()
		if err != nil {
			return in.smsFailed(c, op, err)
		}
		r := centralita.SMSRequest{
			Recipients: []string{c.FormValue("destination")}, Text: c.FormValue("message"),
			Campaign: c.FormValue("campaign"), Agent: strings.TrimSpace(c.FormValue("agent")),
			Sender: strings.TrimSpace(c.FormValue("source")),
		}
		if r.Agent == "" {
			r.Agent = principalName(c)
		}
		id, err := s.Send(c.Request().Context(), r)
		if err != nil {
			return in.smsFailed(c, op, err, "destination", c.FormValue("destination"), "campaign", r.Campaign)
		}
		if v2 {
			return writeJSON(c, map[string]string{"id": strconv.FormatInt(id, 10)})
		}
		return c.String(http.StatusOK, "OK")
	}
}

// scheduleSMS answers the configured scheduler path (§9.4, non-standard):
// callschedule is {calldate, campaign, destination, message, data, source,
// agent}; an empty message takes data as the text. Answers "1", or "0" for
// bad input (C2).
func (in *integra) scheduleSMS(c *echo.Context) error {
	s, err := in.smsSender()
	if err != nil {
		return err
	}
	var v struct {
		CallDate    looseString `json:"calldate"`
		Campaign    looseString `json:"campaign"`
		Destination looseString `json:"destination"`
		Message     looseString `json:"message"`
		Data        looseString `json:"data"`
		Source      looseString `json:"source"`
		Agent       looseString `json:"agent"`
	}
	if err := decodeObject("callschedule", c.FormValue("callschedule"), &v); err != nil {
		return in.refused(c, "ScheduleSMS", err)
	}
	m := &centralita.ScheduledSMS{
		Campaign: string(v.Campaign), Destination: strings.TrimSpace(string(v.Destination)),
		Message: string(v.Message), Data: string(v.Data), Source: strings.TrimSpace(string(v.Source)),
		Agent: strings.TrimSpace(string(v.Agent)),
	}
	if strings.TrimSpace(m.Message) == "" {
		m.Message = m.Data
	}
	if m.Agent == "" {
		m.Agent = principalName(c)
	}
	at, ok := in.parseDate(string(v.CallDate))
	if !ok {
		err = invalid("callschedule: calldate %q: want yyyy-MM-dd HH:mm:ss", v.CallDate)
	} else {
		m.CallDate = at
		err = s.Schedule(c.Request().Context(), m)
	}
	if err != nil {
		return in.refused(c, "ScheduleSMS", err, "campaign", m.Campaign, "destination", m.Destination)
	}
	return c.String(http.StatusOK, "1")
}

// uploadSMSBase answers the configured SMS base upload path (§9.5,
// non-standard): Dialers/uploadbase's parameters plus message, the text
// of lines without one (see the sms package for the file format). Answers
// "1" once every valid line is queued (stored, so it survives a restart;
// the sending goes on as a job, like §7.1, which lists rejected lines),
// "0" for bad input; 429 when 16 bases are already being sent.
func (in *integra) uploadSMSBase(c *echo.Context) error {
	s, err := in.smsSender()
	if err != nil {
		return err
	}
	u := centralita.SMSBase{
		Campaign: c.FormValue("campaign"), Filename: strings.TrimSpace(c.FormValue("filename")),
		Username: strings.TrimSpace(c.FormValue("username")), Message: c.FormValue("message"),
	}
	if u.Username == "" {
		u.Username = principalName(c)
	}
	u.Content, err = decodeBase64(c.FormValue("fileb64"))
	switch {
	case err != nil:
		err = centralita.WrapError(centralita.EINVALID, err, "fileb64: bad base64")
	case len(u.Content) == 0:
		err = invalid("fileb64: empty file")
	default:
		u.Declared, err = parseCount(c.FormValue("cant"))
	}
	if err != nil {
		return in.refused(c, "SMS uploadbase", err, "campaign", u.Campaign, "filename", u.Filename)
	}
	id, err := s.UploadBase(context.WithoutCancel(c.Request().Context()), u)
	if err != nil {
		return in.refused(c, "SMS uploadbase", err, "campaign", u.Campaign, "filename", u.Filename)
	}
	in.logger.InfoContext(c.Request().Context(), "integra: SMS base upload started", "job", id, "campaign", u.Campaign,
		"filename", u.Filename, "bytes", len(u.Content), "username", u.Username)
	return c.String(http.StatusOK, "1")
}

// smsJSON is a message as the listing writes it, times in the facade's zone.
type smsJSON struct {
	*centralita.SMS
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	SentAt      string `json:"sent_at,omitempty"`
	DeliveredAt string `json:"delivered_at,omitempty"`
	NextAt      string `json:"next_at,omitempty"`
}

// listSMS answers the configured listing path with a JSON array.
func (in *integra) listSMS(c *echo.Context) error {
	s, err := in.smsSender()
	if err != nil {
		return err
	}
	f := centralita.SMSFilter{
		Direction: centralita.SMSDirection(strings.ToLower(strings.TrimSpace(c.FormValue("direction")))),
		Status:    centralita.SMSStatus(strings.ToUpper(strings.TrimSpace(c.FormValue("status")))),
		Campaign:  c.FormValue("campaign"), Base: c.FormValue("base"),
	}
	switch f.Direction {
	case "", centralita.SMSOut, centralita.SMSIn:
	default:
		return in.refused(c, "SMS list", invalid("direction %q: want in or out", f.Direction))
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := strings.TrimSpace(c.FormValue(p.name)); v != "" {
			t, ok := in.parseDate(v)
			if !ok {
				return in.refused(c, "SMS list", invalid("%s %q: want yyyy-MM-dd HH:mm:ss", p.name, v))
			}
			*p.t = t
		}
	}
	if f.Offset, err = parseCount(c.FormValue("offset")); err == nil {
		f.Limit, err = parseCount(c.FormValue("limit"))
	}
	if err != nil {
		return in.refused(c, "SMS list", err)
	}
	ms, err := s.List(c.Request().Context(), f)
	if err != nil {
		return in.refused(c, "SMS list", err)
	}
	stamp := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(in.cfg.Location).Format(integraDateLayout)
	}
	out := make([]smsJSON, len(ms))
	for i, m := range ms {
		out[i] = smsJSON{SMS: m, CreatedAt: stamp(&m.CreatedAt), UpdatedAt: stamp(&m.UpdatedAt),
			SentAt: stamp(m.SentAt), DeliveredAt: stamp(m.DeliveredAt), NextAt: stamp(m.NextAt)}
	}
	return writeJSON(c, out)
}

// smsJobs answers the configured jobs path: the job list as JSON, or with
// cancel=<id> "1" when cancelled ("0" for an unknown or finished job).
func (in *integra) smsJobs(c *echo.Context) error {
	s, err := in.smsSender()
	if err != nil {
		return err
	}
	if id := strings.TrimSpace(c.FormValue("cancel")); id != "" {
		if err := s.CancelJob(c.Request().Context(), id); err != nil {
			return in.refused(c, "SMS cancel job", err, "job", id)
		}
		return c.String(http.StatusOK, "1")
	}
	js, err := s.Jobs(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, js)
}
