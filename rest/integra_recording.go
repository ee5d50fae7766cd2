package rest

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// Integra recording endpoints (rest-integra.md §5): Cdr/getrecords,
// Supervisor/convert and Agents/TagRecord. The files themselves are served
// by RegisterRecordingFiles (recording.go).
//
// Access keys and users of role supervisor or admin may call getrecords
// and convert; any user may call TagRecord. Without
// IntegraConfig.Recordings (RecordingFiles for convert) they answer 503
// "0". Answers (C2): bad input (bad filter JSON, a bad date, range or
// number) and refusals of the index (unknown recording) are HTTP 200 with
// "0", logged; other failures are their HTTP status with "0".

// Paging of Cdr/getrecords.
const (
	// DefaultIntegraSearchLimit is searchLimit when absent or 0 (§5.1's example).
	DefaultIntegraSearchLimit = 50
	// MaxIntegraSearchLimit caps searchLimit.
	MaxIntegraSearchLimit = 1000
	// maxContScan bounds the selection a "cont" filter counts over.
	maxContScan = 10000
	// maxTagBytes bounds one TagRecord's data.
	maxTagBytes = 4096
)

// recordingRoutes are the recording endpoints RegisterIntegra adds.
func (in *integra) recordingRoutes() []integraRoute {
	return []integraRoute{
		{"Cdr/getrecords", accessSupervisor, in.getRecords},
		{"Supervisor/convert", accessSupervisor, in.convertRecording},
		{"Agents/TagRecord", accessAny, in.tagRecord},
	}
}

// recordings returns the configured RecordingService, or EUNAVAILABLE.
func (in *integra) recordings() (centralita.RecordingService, error) {
	if in.cfg.Recordings == nil {
		return nil, centralita.Errorf(centralita.EUNAVAILABLE, "recordings are not configured")
	}
	return in.cfg.Recordings, nil
}

// integraRecord is one record of Cdr/getrecords' answer. guid and
// calldate are the spec's (C6); campaign is the dialer campaign or, for a
// queue call, the queue; url is where the file is served now (§5.2's
// second form, with the recording's current extension).
type integraRecord struct {
	GUID        string `json:"guid"`
	CallDate    string `json:"calldate"`
	UniqueID    string `json:"uniqueid"`
	Agent       string `json:"agent"`
	Campaign    string `json:"campaign"`
	Queue       string `json:"queue"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Duration    int    `json:"duration"`
	Tags        string `json:"tags"`
	Rating      int    `json:"rating"`
	Folder      string `json:"folder"`
	Format      string `json:"format"`
	URL         string `json:"url"`
}

// integraRecordFilter is getrecords' filter object (§5.1); every field is
// read as text (C6).
type integraRecordFilter struct {
	CallDateI   looseString `json:"calldatei"`
	CallDateF   looseString `json:"calldatef"`
	Agent       looseString `json:"agent"`
	Campaign    looseString `json:"campaign"`
	Source      looseString `json:"source"`
	Destination looseString `json:"destination"`
	Data        looseString `json:"data"`
	Range       looseString `json:"range"`
	Rating      looseString `json:"rating"`
	MinDur      looseString `json:"mindur"`
	Exclude     looseString `json:"exclude"`
	Type        looseString `json:"type"`
	Cont        looseString `json:"cont"`
}

// hourRange is getrecords' "range": "HH-HH", two hours 0–23.
var hourRange = regexp.MustCompile(`^([0-9]{1,2})\s*-\s*([0-9]{1,2})$`)

// getRecords answers POST Cdr/getrecords (§5.1): a JSON array of the
// recordings the filter selects, ordered by calldate (oldest first), then
// id. lastrow is the offset (rows already obtained) and searchLimit the
// page size (default 50, at most 1000); Random is accepted and ignored
// (C5). Only recordings with a file (ready, or stored and not yet
// converted) are listed. The filter object is optional; its fields, all
// optional and read as strings or numbers (C6):
//
//   - calldatei, calldatef: "yyyy-MM-dd HH:mm:ss" in the facade's
//     Location, inclusive bounds of calldate (calldatef to the end of
//     its second).
//   - agent, source, destination: exact agent number, origin and
//     destination numbers.
//   - campaign: a dialer campaign's name when IntegraConfig.Campaigns knows
//     one by that name (exactly, C15), otherwise a queue name.
//   - data: a substring of the tags TagRecord added.
//   - range: "HH-HH", an inclusive range of the call's local hour, e.g.
//     "08-17" for calls from 08:00:00 to 17:59:59; a range that wraps
//     midnight, "22-05", selects 22:00:00 to 05:59:59.
//   - rating: the minimum rating, 0–5.
//   - mindur: the minimum duration, in seconds.
//   - exclude: a number; recordings with it as source or destination are
//     left out.
//   - type: "record" (the only type) or empty.
//   - cont: a minimum count; with cont N above 1, only recordings whose
//     source number appears at least N times in the selection (the other
//     filters applied) are listed. The selection counted over is bounded
//     (10,000 recordings); a larger one answers "0": narrow the dates.
func (in *integra) getRecords(c *echo.Context) error {
	recs, err := in.recordings()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	offset, limit, err := pageOf(c.FormValue("lastrow"), c.FormValue("searchLimit"))
	if err != nil {
		return in.refused(c, "getrecords", err)
	}
	f, cont, err := in.recordFilter(ctx, c.FormValue("filter"))
	if err != nil {
		return in.refused(c, "getrecords", err, "filter", c.FormValue("filter"))
	}
	var page []*centralita.Recording
	if cont > 1 {
		page, err = in.recordsByCount(ctx, recs, f, cont, offset, limit)
	} else {
		f.Offset, f.Limit = offset, limit
		page, _, err = recs.FindRecordings(ctx, f)
	}
	if err != nil {
		return in.refused(c, "getrecords", err)
	}
	base := c.Scheme() + "://" + c.Request().Host
	out := make([]integraRecord, 0, len(page))
	for _, r := range page {
		out = append(out, in.record(r, base))
	}
	return writeJSON(c, out)
}

// pageOf reads lastrow and searchLimit.
func pageOf(lastrow, searchLimit string) (offset, limit int, err error) {
	if s := strings.TrimSpace(lastrow); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, invalid("lastrow %q: want a row number from 0", s)
		}
	}
	limit = DefaultIntegraSearchLimit
	if s := strings.TrimSpace(searchLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, invalid("searchLimit %q: want a number of rows", s)
		}
		if n > 0 {
			limit = min(n, MaxIntegraSearchLimit)
		}
	}
	return offset, limit, nil
}

// recordFilter reads getrecords' filter object (see getRecords) and
// returns it with cont.
func (in *integra) recordFilter(ctx context.Context, text string) (centralita.RecordingFilter, int, error) {
	f := centralita.RecordingFilter{States: []centralita.RecordingState{centralita.RecordingReady, centralita.RecordingStored}}
	if blank(text) {
		return f, 0, nil
	}
	var v integraRecordFilter
	if err := decodeObject("filter", text, &v); err != nil {
		return f, 0, err
	}
	trim := func(s looseString) string { return strings.TrimSpace(string(s)) }
	if t := trim(v.Type); t != "" && !strings.EqualFold(t, "record") {
		return f, 0, invalid("filter.type %q: only \"record\"", t)
	}
	for _, d := range []struct {
		name string
		text looseString
		to   *time.Time
	}{{"calldatei", v.CallDateI, &f.From}, {"calldatef", v.CallDateF, &f.To}} {
		if s := trim(d.text); s != "" {
			t, ok := in.parseDate(s)
			if !ok {
				return f, 0, invalid("filter.%s %q: want yyyy-MM-dd HH:mm:ss", d.name, s)
			}
			*d.to = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, 0, invalid("filter: calldatef is before calldatei")
	}
	if !f.To.IsZero() {
		// calldatef names a whole second: a calldate 10:00:00.4 is within
		// "10:00:00" (call dates keep sub-second precision).
		f.To = f.To.Add(time.Second - time.Nanosecond)
	}
	f.Agent, f.Source, f.Destination = trim(v.Agent), trim(v.Source), trim(v.Destination)
	f.Data, f.Exclude = string(v.Data), trim(v.Exclude)
	if name := string(v.Campaign); !blank(name) {
		f.Queue = name
		if in.cfg.Campaigns != nil {
			_, err := in.cfg.Campaigns.FindCampaignByName(ctx, name)
			switch centralita.ErrorKind(err) {
			case "":
				f.Queue, f.Campaign = "", name
			case centralita.ENOTFOUND:
			default:
				return f, 0, err
			}
		}
	}
	if s := trim(v.Range); s != "" {
		m := hourRange.FindStringSubmatch(s)
		if m == nil {
			return f, 0, invalid("filter.range %q: want HH-HH", s)
		}
		from, _ := strconv.Atoi(m[1])
		to, _ := strconv.Atoi(m[2])
		if from > 23 || to > 23 {
			return f, 0, invalid("filter.range %q: want two hours 0-23", s)
		}
		f.HasHours, f.HourFrom, f.HourTo = true, from, to
	}
	var err error
	if f.MinRating, err = number("rating", trim(v.Rating), 5); err != nil {
		return f, 0, err
	}
	if f.MinDuration, err = number("mindur", trim(v.MinDur), 1<<31-1); err != nil {
		return f, 0, err
	}
	cont, err := number("cont", trim(v.Cont), 1<<31-1)
	return f, cont, err
}

// number reads an optional filter field as an integer 0..max ("" is 0).
func number(field, s string, max int) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, invalid("filter.%s %q: want a whole number from 0 to %d", field, s, max)
	}
	return n, nil
}

// recordsByCount pages the recordings f selects whose source appears at
// least cont times among them (getrecords' cont).
func (in *integra) recordsByCount(ctx context.Context, recs centralita.RecordingService, f centralita.RecordingFilter, cont, offset, limit int) ([]*centralita.Recording, error) {
	var all []*centralita.Recording
	f.Limit = MaxIntegraSearchLimit
	for {
		f.Offset = len(all)
		page, total, err := recs.FindRecordings(ctx, f)
		if err != nil {
			return nil, err
		}
		if total > maxContScan {
			return nil, invalid("filter.cont: the selection has %d recordings, above %d; narrow it", total, maxContScan)
		}
		all = append(all, page...)
		if len(page) == 0 || len(all) >= total {
			break
		}
	}
	count := map[string]int{}
	for _, r := range all {
		count[r.Source]++
	}
	var out []*centralita.Recording
	for _, r := range all {
		if count[r.Source] >= cont {
			out = append(out, r)
		}
	}
	out = out[min(offset, len(out)):]
	return out[:min(limit, len(out))], nil
}

// record is r as getrecords lists it; base is the scheme and host files
// are served at.
func (in *integra) record(r *centralita.Recording, base string) integraRecord {
	folder := r.Folder(in.cfg.Location)
	campaign := r.Campaign
	if campaign == "" {
		campaign = r.Queue
	}
	format := r.Format
	if format == "" {
		format = "mp3"
	}
	return integraRecord{
		GUID: r.GUID, CallDate: r.CallDate.In(in.cfg.Location).Format(integraDateLayout), UniqueID: r.UniqueID,
		Agent: r.Agent, Campaign: campaign, Queue: r.Queue, Source: r.Source, Destination: r.Destination,
		Duration: r.Duration, Tags: r.Tags, Rating: r.Rating, Folder: folder, Format: format,
		URL: base + RecordingsPrefix + folder + "/" + url.PathEscape(r.GUID) + "." + format,
	}
}

// convertRecording answers POST Supervisor/convert (§5.3): it makes the MP3
// of recording guid (in its dated folder when folder, YYYYMMDD, is given)
// now and answers "1"; a recording already in MP3 is "1" at once. An
// unknown recording, a folder that is not its own or a malformed guid or
// folder answer "0".
func (in *integra) convertRecording(c *echo.Context) error {
	if in.cfg.RecordingFiles == nil {
		return centralita.Errorf(centralita.EUNAVAILABLE, "recording files are not configured")
	}
	guid, folder := strings.TrimSpace(c.FormValue("guid")), strings.TrimSpace(c.FormValue("folder"))
	switch {
	case !safeRecordingName(guid):
		return in.refused(c, "convert", invalid("guid %q: want a recording's identifier", guid))
	case folder != "" && !recordingFolder.MatchString(folder):
		return in.refused(c, "convert", invalid("folder %q: want YYYYMMDD", folder))
	}
	if err := in.cfg.RecordingFiles.Convert(c.Request().Context(), guid, folder); err != nil {
		return in.refused(c, "convert", err, "guid", guid, "folder", folder)
	}
	return c.String(http.StatusOK, "1")
}

// tagRecord answers POST Agents/TagRecord (§5.4): it appends data to the
// tags of recording guid (a recording's guid, or else a call's uniqueid:
// its latest recording) and answers an empty body. The spec calls the
// endpoint asynchronous; here the tag is stored before the answer, so
// that a getrecords right after finds it, and no failure is lost. phone
// is accepted and not checked: the guid names the recording. A missing
// guid or data, data above 4 KiB, or an unknown recording answer "0".
func (in *integra) tagRecord(c *echo.Context) error {
	recs, err := in.recordings()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	guid, data := strings.TrimSpace(c.FormValue("guid")), c.FormValue("data")
	switch {
	case guid == "":
		return in.refused(c, "TagRecord", invalid("guid required"))
	case blank(data):
		return in.refused(c, "TagRecord", invalid("data required"), "guid", guid)
	case len(data) > maxTagBytes:
		return in.refused(c, "TagRecord", invalid("data has %d bytes, above %d", len(data), maxTagBytes), "guid", guid)
	}
	err = recs.TagRecording(ctx, guid, data)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		// Not a recording's guid: perhaps the call's uniqueid.
		byCall, total, ferr := recs.FindRecordings(ctx, centralita.RecordingFilter{UniqueID: guid, Limit: 1})
		if ferr == nil && total > 1 {
			byCall, _, ferr = recs.FindRecordings(ctx, centralita.RecordingFilter{UniqueID: guid, Offset: total - 1, Limit: 1})
		}
		switch {
		case ferr != nil:
			err = ferr
		case len(byCall) > 0:
			err = recs.TagRecording(ctx, byCall[0].GUID, data)
		}
	}
	if err != nil {
		return in.refused(c, "TagRecord", err, "guid", guid, "phone", c.FormValue("phone"))
	}
	in.logger.InfoContext(ctx, "integra: recording tagged", "guid", guid, "by", principalName(c))
	return c.NoContent(http.StatusOK)
}
