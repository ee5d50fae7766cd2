package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// Paging of the eXpand contact lists: without limit a page has
// expandDefaultLimit contacts; a larger limit than expandMaxLimit is cut to it.
const (
	expandDefaultLimit = 100
	expandMaxLimit     = 1000
)

// listCampaigns answers GET /campaigns: every campaign, filtered by state
// and ordered by id (default) or name, asc (default) or desc.
func (x *expand) listCampaigns(c *echo.Context) error {
	q := expandQuery{c: c}
	var f centralita.CampaignFilter
	if v, ok := q.get("state"); ok {
		s, ok := expandCampaignState(v)
		if !ok {
			return centralita.Errorf(centralita.EINVALID, "unknown campaign state %q", v)
		}
		f.State = s
	}
	var err error
	if f.OrderBy, f.Desc, err = q.order([]string{"id", "name"}); err != nil {
		return err
	}
	cs, err := x.cfg.Campaigns.FindCampaigns(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := ExpandList[ExpandCampaign]{RecordsTotal: len(cs), Data: make([]ExpandCampaign, 0, len(cs))}
	for _, cp := range cs {
		out.Data = append(out.Data, x.campaign(cp))
	}
	return x.write(c, http.StatusOK, out)
}

// getCampaign answers GET /campaigns/{id}.
func (x *expand) getCampaign(c *echo.Context) error {
	cp, err := x.findCampaign(c)
	if err != nil {
		return err
	}
	return x.write(c, http.StatusOK, x.campaign(cp))
}

// findCampaign returns the campaign of the path.
func (x *expand) findCampaign(c *echo.Context) (*centralita.Campaign, error) {
	id, err := expandID(c, "campaign")
	if err != nil {
		return nil, err
	}
	return x.cfg.Campaigns.FindCampaign(c.Request().Context(), id)
}

// findContact returns the campaign's contact of the path; a contact of
// another campaign is ENOTFOUND.
func (x *expand) findContact(c *echo.Context) (*centralita.Contact, error) {
	campaign, err := expandID(c, "campaign")
	if err != nil {
		return nil, err
	}
	id, err := expandID(c, "contact")
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	if _, err := x.cfg.Campaigns.FindCampaign(ctx, campaign); err != nil {
		return nil, err
	}
	ct, err := x.cfg.Contacts.FindContact(ctx, id)
	if err != nil {
		return nil, err
	}
	if ct.CampaignID != campaign {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "contact %d is not in campaign %d", id, campaign)
	}
	return ct, nil
}

// answerContact answers the stored contact id with its state log.
func (x *expand) answerContact(c *echo.Context, status int, id int64) error {
	ctx := c.Request().Context()
	ct, err := x.cfg.Contacts.FindContact(ctx, id)
	if err != nil {
		return err
	}
	log, err := x.cfg.Contacts.ContactLog(ctx, id)
	if err != nil {
		return err
	}
	return x.write(c, status, x.contact(ct, log))
}

// getContact answers GET /campaigns/{id}/contacts/{id}.
func (x *expand) getContact(c *echo.Context) error {
	ct, err := x.findContact(c)
	if err != nil {
		return err
	}
	return x.answerContact(c, http.StatusOK, ct.ID)
}

// addContact answers POST /campaigns/{id}/contacts: it adds the contact
// through the dialer, its state log starting with _Source_API_Apl (B5), and
// answers 201 with the full contact as stored, its state log included. An
// absent enable means true.
func (x *expand) addContact(c *echo.Context) error {
	cp, err := x.findCampaign(c)
	if err != nil {
		return err
	}
	ct := &centralita.Contact{CampaignID: cp.ID, Enabled: true, Info: json.RawMessage(`{}`), Priority: centralita.PriorityDefault}
	if err := expandReadContact(c, ct, true); err != nil {
		return err
	}
	if err := x.cfg.Dialer.AddContacts(c.Request().Context(), cp.ID, []*centralita.Contact{ct}, centralita.TransitionAPI); err != nil {
		return err
	}
	if ct.ID == 0 {
		return centralita.Errorf(centralita.EINTERNAL, "the dialer added the contact without an id")
	}
	c.Response().Header().Set(echo.HeaderLocation, expandURL(cp.ID, ct.ID))
	return x.answerContact(c, http.StatusCreated, ct.ID)
}

// editContact answers PUT /campaigns/{id}/contacts/{id}: the fields given
// replace the contact's (absent ones are kept), through the dialer, and the
// answer is the full contact with its real state log (B6).
func (x *expand) editContact(c *echo.Context) error {
	ct, err := x.findContact(c)
	if err != nil {
		return err
	}
	if err := expandReadContact(c, ct, false); err != nil {
		return err
	}
	if err := x.cfg.Dialer.UpdateContact(c.Request().Context(), ct); err != nil {
		return err
	}
	return x.answerContact(c, http.StatusOK, ct.ID)
}

// expandReadOnly are the contact object's fields a client may send back
// (as read) and that are ignored on input.
var expandReadOnly = map[string]bool{
	"id": true, "idcall": true, "state": true, "statelog": true, "statetimestamp": true,
	"attempttimestamp": true, "lastattempt": true,
}

// expandReadContact reads a contact body (name, numcall, enable, info) into
// ct. numcall is required when create is set. info may be an object or a
// string holding one (B3); null is {}. Read-only fields of the contact
// object are ignored; any other field, a wrong type or a malformed body is
// EINVALID.
func expandReadContact(c *echo.Context, ct *centralita.Contact, create bool) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var sc echo.HTTPStatusCoder
		if errors.As(err, &sc) {
			return err // 413 from the body limit
		}
		return centralita.WrapError(centralita.EINVALID, err, "read body")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return centralita.Errorf(centralita.EINVALID, "the body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return centralita.Errorf(centralita.EINVALID, "the body must hold a single JSON value")
	}
	if _, ok := fields["numcall"]; create && !ok {
		return centralita.Errorf(centralita.EINVALID, "numcall is required")
	}
	for k, v := range fields {
		switch k {
		case "name":
			if err := json.Unmarshal(v, &ct.Name); err != nil || string(v) == "null" {
				return centralita.Errorf(centralita.EINVALID, "name must be a string")
			}
		case "numcall":
			var n string
			if err := json.Unmarshal(v, &n); err != nil || string(v) == "null" {
				return centralita.Errorf(centralita.EINVALID, "numcall must be a string")
			}
			if ct.Number, err = expandNumber(n); err != nil {
				return err
			}
		case "enable":
			if err := json.Unmarshal(v, &ct.Enabled); err != nil || string(v) == "null" {
				return centralita.Errorf(centralita.EINVALID, "enable must be a boolean")
			}
		case "info":
			if ct.Info, err = expandInfoIn(v); err != nil {
				return err
			}
		default:
			if !expandReadOnly[k] {
				return centralita.Errorf(centralita.EINVALID, "unknown field %q", k)
			}
		}
	}
	return ct.Validate()
}

// expandNumber checks a numcall: digits, optionally a leading "+", and
// "*" and "#"; surrounding spaces are dropped.
func expandNumber(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" {
		return "", centralita.Errorf(centralita.EINVALID, "numcall is empty")
	}
	for i, r := range n {
		if (r < '0' || r > '9') && r != '*' && r != '#' && (r != '+' || i != 0) {
			return "", centralita.Errorf(centralita.EINVALID, "numcall %q: want digits", n)
		}
	}
	return n, nil
}

// expandInfoIn reads info: an object, a string holding a JSON object
// ("" is {}), or null ({}). The object is stored compacted.
func expandInfoIn(v json.RawMessage) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return json.RawMessage(`{}`), nil
	}
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, centralita.Errorf(centralita.EINVALID, "info is not a valid string")
		}
		if strings.TrimSpace(s) == "" {
			return json.RawMessage(`{}`), nil
		}
		v = json.RawMessage(strings.TrimSpace(s))
	}
	var obj map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &obj) != nil {
		return nil, centralita.Errorf(centralita.EINVALID, "info must be a JSON object or a string holding one")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "info")
	}
	return json.RawMessage(buf.Bytes()), nil
}

// The order_by values of the contact lists.
var (
	expandContactOrders  = []string{"numcall", "name", "id"}
	expandActivityOrders = []string{"name", "numcall", "timestampadd", "statetimestamp", "id"}
)

// listContacts answers GET /campaigns/{id}/contacts (activity false) and
// GET /campaigns/{id}/contacts/activity: the campaign's contacts matching
// state, like (number or name containing it) and the timestamp filters
// (sstimestamp, estimestamp on the last state change, saddtimestamp,
// eaddtimestamp on the addition; bounds inclusive, a date alone covering its
// whole day), ordered, and the page from start (default 0) of limit
// contacts (default 100, at most 1000; 0 answers only recordsTotal).
// recordsTotal counts the matches before paging (B19). Filters come from
// the query string or, when absent there, from same-named headers (B2).
func (x *expand) listContacts(activity bool) echo.HandlerFunc {
	orders := expandContactOrders
	if activity {
		orders = expandActivityOrders
	}
	return func(c *echo.Context) error {
		cp, err := x.findCampaign(c)
		if err != nil {
			return err
		}
		f, countOnly, err := x.contactFilter(expandQuery{c: c}, orders)
		if err != nil {
			return err
		}
		f.CampaignID = cp.ID
		ctx := c.Request().Context()
		cs, total, err := x.cfg.Contacts.FindContacts(ctx, f)
		if err != nil {
			return err
		}
		out := ExpandList[ExpandContact]{RecordsTotal: total, Data: []ExpandContact{}}
		if countOnly {
			cs = nil
		}
		for _, ct := range cs {
			log, err := x.cfg.Contacts.ContactLog(ctx, ct.ID)
			if err != nil {
				return err
			}
			out.Data = append(out.Data, x.contact(ct, log))
		}
		return x.write(c, http.StatusOK, out)
	}
}

// contactFilter reads the contact list filters; countOnly is set by limit=0.
func (x *expand) contactFilter(q expandQuery, orders []string) (f centralita.ContactFilter, countOnly bool, err error) {
	if v, ok := q.get("state"); ok {
		s, ok := expandContactState(v)
		if !ok {
			return f, false, centralita.Errorf(centralita.EINVALID, "unknown contact state %q", v)
		}
		f.State = s
	}
	f.Like, _ = q.get("like")
	if f.OrderBy, f.Desc, err = q.order(orders); err != nil {
		return f, false, err
	}
	for _, p := range []struct {
		name string
		t    *time.Time
		end  bool
	}{
		{"sstimestamp", &f.StateFrom, false}, {"estimestamp", &f.StateTo, true},
		{"saddtimestamp", &f.AddedFrom, false}, {"eaddtimestamp", &f.AddedTo, true},
	} {
		if v, ok := q.get(p.name); ok {
			if *p.t, err = x.parseFilterTime(p.name, v, p.end); err != nil {
				return f, false, err
			}
		}
	}
	var hasLimit bool
	if f.Offset, f.Limit, hasLimit, err = q.page(); err != nil {
		return f, false, err
	}
	switch {
	case !hasLimit:
		f.Limit = expandDefaultLimit
	case f.Limit == 0:
		f.Limit, countOnly = 1, true
	default:
		f.Limit = min(f.Limit, expandMaxLimit)
	}
	return f, countOnly, nil
}

// expandCount reads a non-negative integer: decimal digits only, at most
// 9 of them (so it fits an int32); EINVALID otherwise.
func expandCount(name, v string) (int, error) {
	n := 0
	if v == "" || len(v) > 9 {
		return 0, centralita.Errorf(centralita.EINVALID, "%s %q: want a non-negative integer", name, v)
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return 0, centralita.Errorf(centralita.EINVALID, "%s %q: want a non-negative integer", name, v)
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}

// expandFilterLayouts are the forms a filter time may take (B9, B18), with
// the span a bound written in it covers. Without an offset the module's
// location applies; a fraction or an offset names an instant.
var expandFilterLayouts = []struct {
	layout string
	span   time.Duration // 0 = a whole day
}{
	{"2006-01-02", 0},
	{"2006-01-02 15:04:05", time.Second},
	{"2006-01-02T15:04:05", time.Second},
	{"2006-01-02 15:04", time.Minute},
	{"2006-01-02T15:04", time.Minute},
	{"2006-01-02T15:04:05.999999999", time.Nanosecond},
	// ISO 8601 basic offsets ("-0300"), which RFC 3339 lacks.
	{"2006-01-02T15:04:05.999999999-0700", time.Nanosecond},
}

// parseFilterTime reads a timestamp filter in one of expandFilterLayouts,
// or RFC 3339. An end bound is inclusive of the span written: a date alone
// ends at the day's last instant.
func (x *expand) parseFilterTime(name, v string, end bool) (time.Time, error) {
	for _, l := range expandFilterLayouts {
		t, err := time.ParseInLocation(l.layout, v, x.cfg.Location)
		if err != nil {
			continue
		}
		if end {
			if l.span == 0 {
				t = t.AddDate(0, 0, 1).Add(-time.Nanosecond)
			} else {
				t = t.Add(l.span - time.Nanosecond)
			}
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, centralita.Errorf(centralita.EINVALID, "%s %q: want YYYY-MM-DD or YYYY-MM-DD HH:MM:SS", name, v)
}

// expandQuery reads a list request's filters: from the query string or,
// when absent there, from the same-named request header (B2), with one pair
// of surrounding single or double quotes stripped (B9). An empty value is
// no filter.
type expandQuery struct {
	c *echo.Context
}

// get returns the filter name's value, and whether it was given.
func (q expandQuery) get(name string) (string, bool) {
	v := ""
	if vs := q.c.QueryParams()[name]; len(vs) > 0 && vs[0] != "" {
		v = vs[0]
	} else {
		v = q.c.Request().Header.Get(name)
	}
	v = expandUnquote(strings.TrimSpace(v))
	return v, v != ""
}

// page reads a list's optional start and limit, non-negative integers
// (expandCount); hasLimit says whether limit was given. The dialer module
// and the external modules differ only in what they make of the limit.
func (q expandQuery) page() (start, limit int, hasLimit bool, err error) {
	if v, ok := q.get("start"); ok {
		if start, err = expandCount("start", v); err != nil {
			return 0, 0, false, err
		}
	}
	v, hasLimit := q.get("limit")
	if hasLimit {
		if limit, err = expandCount("limit", v); err != nil {
			return 0, 0, false, err
		}
	}
	return start, limit, hasLimit, nil
}

// flag reports whether the bare query flag name (B8's order_asc) is present.
func (q expandQuery) flag(name string) bool {
	_, ok := q.c.QueryParams()[name]
	return ok
}

// order reads order_by (one of allowed, case-insensitive; "" when absent)
// and order (asc or desc), or B8's bare order_asc and order_desc flags.
func (q expandQuery) order(allowed []string) (by string, desc bool, err error) {
	if v, ok := q.get("order_by"); ok {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				by = a
			}
		}
		if by == "" {
			return "", false, centralita.Errorf(centralita.EINVALID, "order_by %q: want one of %s", v, strings.Join(allowed, ", "))
		}
	}
	if v, ok := q.get("order"); ok {
		switch strings.ToLower(v) {
		case "asc":
		case "desc":
			desc = true
		default:
			return "", false, centralita.Errorf(centralita.EINVALID, "order %q: want asc or desc", v)
		}
		return by, desc, nil
	}
	asc, dsc := q.flag("order_asc"), q.flag("order_desc")
	if asc && dsc {
		return "", false, centralita.Errorf(centralita.EINVALID, "order_asc and order_desc together")
	}
	return by, dsc, nil
}

// expandUnquote strips one pair of surrounding single or double quotes.
func expandUnquote(v string) string {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// expandCampaignState reads a campaign state, case-insensitive.
func expandCampaignState(v string) (centralita.CampaignState, bool) {
	for _, s := range []centralita.CampaignState{centralita.CampaignIncomplete, centralita.CampaignActive, centralita.CampaignFinalized, centralita.CampaignStored} {
		if strings.EqualFold(v, string(s)) {
			return s, true
		}
	}
	return "", false
}

// expandContactState reads a contact state, case-insensitive.
func expandContactState(v string) (centralita.ContactState, bool) {
	for _, s := range []centralita.ContactState{centralita.ContactPending, centralita.ContactCompleted, centralita.ContactRejected, centralita.ContactCanceled} {
		if strings.EqualFold(v, string(s)) {
			return s, true
		}
	}
	return "", false
}

// expandURL is the path of a campaign's contact.
func expandURL(campaign, contact int64) string {
	return ExpandDialerPrefix + "/campaigns/" + strconv.FormatInt(campaign, 10) + "/contacts/" + strconv.FormatInt(contact, 10)
}
