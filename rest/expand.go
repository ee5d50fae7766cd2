package rest

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// ExpandDialerPrefix is where the eXpand REST dialer module is served
// (rest-expandweb3.md §3).
const ExpandDialerPrefix = "/expandweb3/api/campaign/external"

// ExpandConfig configures the eXpand REST dialer module. Credentials are
// checked with the Server's Authenticator (Config.Auth).
type ExpandConfig struct {
	// Campaigns, Contacts and Dialer are required.
	Campaigns centralita.CampaignService
	Contacts  centralita.ContactService
	Dialer    centralita.Dialer
	// Location is the time zone of the contact timestamps and of the
	// activity filters; default time.Local.
	Location *time.Location
	// Users are usernames given the dialer module whatever their role (for
	// example a dedicated "contactclient" user with role agent); admin and
	// supervisor users always have it (B20).
	Users []string
}

// expand is the eXpand REST dialer module mounted on a Server.
type expand struct {
	cfg    ExpandConfig
	auth   centralita.Authenticator
	logger *slog.Logger
}

// expandBadFormat is the body of every input error (§1.5), byte for byte;
// the misspelt key is the manual's.
const expandBadFormat = `{"errrorCode":"Unknown_data_format"}`

// RegisterExpand adds the eXpand REST dialer module under ExpandDialerPrefix
// (rest-expandweb3.md §3): contacts add, get and edit, campaigns list and
// get, the contacts of a campaign and their activity.
//
// Authentication is HTTP Basic against the Server's Authenticator (B20 as
// proposed): a user whose role is admin or supervisor, or whose username is
// in ExpandConfig.Users, may use the module. Missing or bad credentials
// answer 401, a user without the module 403, a client limited after failed
// attempts 429.
//
// Errors (B1 as proposed): every input error answers 400 with exactly
// {"errrorCode":"Unknown_data_format"}; other failures answer their status
// with {"errrorCode":"<Reason>"}: Not_found (unknown campaign or contact, or a
// contact of another campaign), Unauthorized, Forbidden, Conflict,
// Too_many_requests, Request_entity_too_large, Service_unavailable,
// Internal_server_error. Requests no route matches, and bodies refused by
// the server's size limit before reaching the module, get the server's own
// error answer.
func (s *Server) RegisterExpand(cfg ExpandConfig) error {
	switch {
	case cfg.Campaigns == nil || cfg.Contacts == nil || cfg.Dialer == nil:
		return centralita.Errorf(centralita.EINVALID, "expand: the campaign and contact services and the dialer are required")
	case s.cfg.Auth == nil:
		return centralita.Errorf(centralita.EINVALID, "expand: the server has no authenticator")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if _, err := s.Echo.Router().Routes().FindByMethodPath(http.MethodGet, ExpandDialerPrefix+"/campaigns"); err == nil {
		return centralita.Errorf(centralita.ECONFLICT, "expand: already registered")
	}
	x := &expand{cfg: cfg, auth: s.cfg.Auth, logger: s.cfg.Logger.With("facade", "expand")}
	routes := []struct {
		method, path string
		h            echo.HandlerFunc
	}{
		{http.MethodGet, "/campaigns", x.listCampaigns},
		{http.MethodGet, "/campaigns/:campaign", x.getCampaign},
		{http.MethodPost, "/campaigns/:campaign/contacts", x.addContact},
		{http.MethodGet, "/campaigns/:campaign/contacts", x.listContacts(false)},
		{http.MethodGet, "/campaigns/:campaign/contacts/activity", x.listContacts(true)},
		{http.MethodGet, "/campaigns/:campaign/contacts/:contact", x.getContact},
		{http.MethodPut, "/campaigns/:campaign/contacts/:contact", x.editContact},
	}
	for _, r := range routes {
		route := echo.Route{Method: r.method, Path: ExpandDialerPrefix + r.path, Handler: x.authorize(r.h)}
		if _, err := s.Echo.AddRoute(route); err != nil {
			return centralita.WrapError(centralita.EINVALID, err, "expand: add route %s %s", r.method, r.path)
		}
	}
	return nil
}

// authorize checks the HTTP Basic credentials and the user's access to the
// module (admins, supervisors and ExpandConfig.Users) before h, and answers
// every error of h in the module's shapes: panelAuthorize for the dialer
// module.
func (x *expand) authorize(h echo.HandlerFunc) echo.HandlerFunc {
	return x.panelAuthorize("dialer", expandStaffOr(x.cfg.Users, false), h)
}

// expandReasons are the errrorCode values of the statuses other than 400.
var expandReasons = map[int]string{
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "Not_found",
	http.StatusMethodNotAllowed:      "Method_not_allowed",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Request_entity_too_large",
	http.StatusTooManyRequests:       "Too_many_requests",
	http.StatusServiceUnavailable:    "Service_unavailable",
	http.StatusInternalServerError:   "Internal_server_error",
}

// fail answers err: 400 with the Unknown_data_format body for any input
// error, otherwise its status with {"errrorCode":"<Reason>"}.
func (x *expand) fail(c *echo.Context, err error) error {
	status := http.StatusInternalServerError
	var de *centralita.Error
	var sc echo.HTTPStatusCoder
	switch {
	case errors.As(err, &de):
		status = statusOf(de.Kind)
	case errors.As(err, &sc) && sc.StatusCode() != 0:
		status = sc.StatusCode()
	}
	ctx := c.Request().Context()
	switch status {
	case http.StatusBadRequest:
		x.logger.DebugContext(ctx, "expand: bad request", "path", c.Request().URL.Path, "reason", centralita.ErrorMessage(err))
		return c.Blob(status, echo.MIMEApplicationJSON, []byte(expandBadFormat))
	case http.StatusUnauthorized:
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="expand", charset="UTF-8"`)
	case http.StatusTooManyRequests:
		c.Response().Header().Set("Retry-After", "30")
	case http.StatusForbidden:
		x.logger.InfoContext(ctx, "expand: forbidden", "path", c.Request().URL.Path, "reason", centralita.ErrorMessage(err))
	}
	if status >= 500 {
		x.logger.ErrorContext(ctx, "expand: request failed", "path", c.Request().URL.Path, "err", err)
	}
	reason, ok := expandReasons[status]
	if !ok {
		reason = "Internal_server_error"
		if status < 500 {
			reason = "Unknown_data_format"
		}
	}
	b, _ := marshalJSON(map[string]string{"errrorCode": reason})
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}

// expandID reads a path id: a positive integer, else EINVALID.
func expandID(c *echo.Context, name string) (int64, error) {
	v, err := adminParam(c, name)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, centralita.Errorf(centralita.EINVALID, "%s id %q: want a positive integer", name, v)
	}
	return id, nil
}

// ExpandTimeLayout is the eXpand dialer's timestamp format (§2).
const ExpandTimeLayout = "2006-01-02 15:04:05"

// ExpandContact is the eXpand dialer contact object (§3.2), its keys in
// the manual's order. statetimestamp is always present (B4); info is
// always an object (B3); idcall equals id.
type ExpandContact struct {
	// AttemptTimestamp is the last attempt's start, or "".
	AttemptTimestamp string `json:"attempttimestamp"`
	Enable           bool   `json:"enable"`
	ID               int64  `json:"id"`
	IDCall           int64  `json:"idcall"`
	// Info is the contact's free-form JSON object; {} when empty.
	Info json.RawMessage `json:"info"`
	// LastAttempt is the last attempt's outcome (Answer, Busy, …), or "".
	LastAttempt string `json:"lastattempt"`
	Name        string `json:"name"`
	NumCall     string `json:"numcall"`
	// State is Pending, Completed, Rejected or Canceled.
	State    string             `json:"state"`
	StateLog []ExpandTransition `json:"statelog"`
	// StateTimestamp is the last state change, or "".
	StateTimestamp string `json:"statetimestamp"`
}

// ExpandTransition is one entry of a contact's statelog.
type ExpandTransition struct {
	Timestamp  string `json:"timestamp"`
	Transition string `json:"transition"`
}

// ExpandList is the body of the module's lists: the count of the records
// matching the filters before paging (B19), and the page.
type ExpandList[T any] struct {
	RecordsTotal int `json:"recordsTotal"`
	Data         []T `json:"data"`
}

// ExpandCampaign is the campaign object of GET /campaigns and
// GET /campaigns/{id} (B7; the manual does not document it). id, name and
// state are B7's minimum; mode is the scheduling type (preview,
// progressive, power, predictive), windows the calling hours, retries the
// redial rules by outcome. Keys are in alphabetical order as in the contact
// object.
type ExpandCampaign struct {
	// AbandonLimitPct is the abandon rate allowed, percent of live answers.
	AbandonLimitPct float64 `json:"abandon_limit_pct"`
	CallerID        string  `json:"callerid"`
	// Created and Updated are "YYYY-MM-DD HH:MM:SS", or "".
	Created string `json:"created"`
	ID      int64  `json:"id"`
	// MaxLines caps the simultaneous calls; 0 = no cap.
	MaxLines int `json:"max_lines"`
	// Mode is preview, progressive, power or predictive.
	Mode string `json:"mode"`
	Name string `json:"name"`
	// PowerRatio is the lines per free agent of power mode.
	PowerRatio float64 `json:"power_ratio"`
	// Queue is the queue whose agents take the calls.
	Queue string `json:"queue"`
	// Retries maps an outcome (Busy, NoAnswer, Failed, Machine, Abandoned)
	// to its redial rule.
	Retries        map[string]ExpandRetry `json:"retries"`
	RingTimeoutSec int                    `json:"ring_timeout_sec"`
	// State is Incomplete, Active, Finalized or Stored.
	State string `json:"state"`
	// TimeZone is the contacts' default IANA zone; "" = the server's.
	TimeZone string `json:"timezone"`
	Updated  string `json:"updated"`
	// Windows are the daily calling windows; [] = any time.
	Windows []ExpandWindow `json:"windows"`
}

// ExpandRetry is a redial rule: the wait before the next attempt and the
// attempts allowed in all.
type ExpandRetry struct {
	DelaySec    int `json:"delay_sec"`
	MaxAttempts int `json:"max_attempts"`
}

// ExpandWindow is a calling window: weekday 0 (Sunday) to 6, start and end
// "HH:MM" in the contact's time zone, end exclusive.
type ExpandWindow struct {
	End     string `json:"end"`
	Start   string `json:"start"`
	Weekday int    `json:"weekday"`
}

// format writes t as ExpandTimeLayout in the configured location; "" when zero.
func (x *expand) format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(x.cfg.Location).Format(ExpandTimeLayout)
}

// campaign converts a campaign to its eXpand object.
func (x *expand) campaign(c *centralita.Campaign) ExpandCampaign {
	out := ExpandCampaign{
		AbandonLimitPct: c.AbandonLimitPct, CallerID: c.CallerID, Created: x.format(c.CreatedAt),
		ID: c.ID, MaxLines: c.MaxLines, Mode: string(c.Mode), Name: c.Name, PowerRatio: c.PowerRatio,
		Queue: c.Queue, Retries: map[string]ExpandRetry{}, RingTimeoutSec: c.RingTimeoutSec,
		State: string(c.State), TimeZone: c.TimeZone, Updated: x.format(c.UpdatedAt), Windows: []ExpandWindow{},
	}
	for o, r := range c.Retries {
		out.Retries[string(o)] = ExpandRetry{DelaySec: r.DelaySec, MaxAttempts: r.MaxAttempts}
	}
	for _, w := range c.Windows {
		out.Windows = append(out.Windows, ExpandWindow{End: w.End, Start: w.Start, Weekday: int(w.Weekday)})
	}
	return out
}

// contact converts a contact and its state log to the eXpand object.
func (x *expand) contact(c *centralita.Contact, log []*centralita.ContactTransition) ExpandContact {
	out := ExpandContact{
		Enable: c.Enabled, ID: c.ID, IDCall: c.ID, Info: expandInfoOut(c.Info),
		LastAttempt: string(c.LastOutcome), Name: c.Name, NumCall: c.Number, State: string(c.State),
		StateLog: make([]ExpandTransition, 0, len(log)), StateTimestamp: x.format(c.StateAt),
	}
	if c.LastAttemptAt != nil {
		out.AttemptTimestamp = x.format(*c.LastAttemptAt)
	}
	for _, t := range log {
		out.StateLog = append(out.StateLog, ExpandTransition{Timestamp: x.format(t.Time), Transition: t.Transition})
	}
	return out
}

// expandInfoOut returns a stored info as an object: {} when empty or not an
// object (a stored value the API did not write).
func expandInfoOut(raw json.RawMessage) json.RawMessage {
	var obj map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return json.RawMessage(`{}`)
	}
	return raw
}

// write answers v as JSON with status, "<", ">" and "&" unescaped.
func (x *expand) write(c *echo.Context, status int, v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}
