package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// integraRecIndex is an in-memory RecordingService that remembers the
// filters it got. FindRecordings applies GUID, UniqueID, Agent, Source,
// Campaign, Queue, Data, From, To, States, the hours, Offset and Limit.
type integraRecIndex struct {
	mu      sync.Mutex
	recs    []*centralita.Recording
	filters []centralita.RecordingFilter
	err     error
}

func (x *integraRecIndex) CreateRecording(context.Context, *centralita.Recording) error {
	return centralita.Errorf(centralita.EINTERNAL, "not used")
}

func (x *integraRecIndex) UpdateRecording(context.Context, *centralita.Recording) error {
	return centralita.Errorf(centralita.EINTERNAL, "not used")
}

func (x *integraRecIndex) DeleteRecording(context.Context, string) error {
	return centralita.Errorf(centralita.EINTERNAL, "not used")
}

func (x *integraRecIndex) FindRecording(_ context.Context, guid string) (*centralita.Recording, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range x.recs {
		if r.GUID == guid {
			c := *r
			return &c, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no recording %s", guid)
}

func (x *integraRecIndex) FindRecordings(_ context.Context, f centralita.RecordingFilter) ([]*centralita.Recording, int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.filters = append(x.filters, f)
	if x.err != nil {
		return nil, 0, x.err
	}
	eq := func(want, got string) bool { return want == "" || want == got }
	var out []*centralita.Recording
	for _, r := range x.recs {
		if eq(f.GUID, r.GUID) && eq(f.UniqueID, r.UniqueID) && eq(f.Agent, r.Agent) && eq(f.Source, r.Source) &&
			eq(f.Campaign, r.Campaign) && eq(f.Queue, r.Queue) && strings.Contains(r.Tags, f.Data) &&
			(f.From.IsZero() || !r.CallDate.Before(f.From)) && (f.To.IsZero() || !r.CallDate.After(f.To)) &&
			(len(f.States) == 0 || slices.Contains(f.States, r.State)) && inHours(f, r.CallDate.In(integraRecUYT).Hour()) {
			c := *r
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CallDate.Before(out[j].CallDate) })
	total := len(out)
	out = out[min(f.Offset, total):]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}

func (x *integraRecIndex) TagRecording(_ context.Context, guid, data string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range x.recs {
		if r.GUID == guid {
			if r.Tags != "" {
				r.Tags += "\n"
			}
			r.Tags += data
			return nil
		}
	}
	return centralita.Errorf(centralita.ENOTFOUND, "no recording %s", guid)
}

// inHours applies f's hour range, wrapping midnight when HourFrom > HourTo.
func inHours(f centralita.RecordingFilter, h int) bool {
	switch {
	case !f.HasHours:
		return true
	case f.HourFrom <= f.HourTo:
		return h >= f.HourFrom && h <= f.HourTo
	}
	return h >= f.HourFrom || h <= f.HourTo
}

// lastFilter is the last filter FindRecordings got.
func (x *integraRecIndex) lastFilter() centralita.RecordingFilter {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.filters[len(x.filters)-1]
}

// integraRecConverter is a RecordingFiles whose Convert knows guid "g-wav".
type integraRecConverter struct {
	mu       sync.Mutex
	converts [][2]string
}

func (f *integraRecConverter) Open(context.Context, string, string, string) (io.ReadSeekCloser, time.Time, int64, error) {
	return nil, time.Time{}, 0, centralita.Errorf(centralita.ENOTFOUND, "not used")
}

func (f *integraRecConverter) Convert(_ context.Context, guid, folder string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.converts = append(f.converts, [2]string{guid, folder})
	switch {
	case guid == "broken":
		return centralita.Errorf(centralita.EINTERNAL, "ffmpeg failed")
	case guid != "g-wav" || folder != "" && folder != "20240305":
		return centralita.Errorf(centralita.ENOTFOUND, "no recording %s in %q", guid, folder)
	}
	return nil
}

// integraRecUYT is the facade's Location in newIntegra (UTC−3).
var integraRecUYT = time.FixedZone("UYT", -3*3600)

// integraRecs are five recordings on 2024-03-05, local times 08:00 …
// 12:00, agents 1001/1002, sources 111 (three times) and 222.
func integraRecs() []*centralita.Recording {
	at := func(h int) time.Time { return time.Date(2024, 3, 5, h, 0, 0, 0, integraRecUYT) }
	return []*centralita.Recording{
		{ID: 1, GUID: "g-1", UniqueID: "1.1", CallDate: at(8), Queue: "Soporte", Agent: "1001", Source: "111", Destination: "Soporte", Duration: 30, Format: "mp3", State: centralita.RecordingReady},
		{ID: 2, GUID: "g-2", UniqueID: "2.2", CallDate: at(9), Campaign: "Ventas->", Queue: "ventas", Agent: "1002", Source: "111", Destination: "099", Duration: 5, Format: "mp3", State: centralita.RecordingReady, Rating: 4},
		{ID: 3, GUID: "g-wav", UniqueID: "3.3", CallDate: at(10).Add(400 * time.Millisecond), // sub-second, as stored
			Queue: "Soporte", Agent: "1001", Source: "222", Destination: "Soporte", Duration: 60, Format: "wav", State: centralita.RecordingStored},
		{ID: 4, GUID: "g-4", UniqueID: "4.4", CallDate: at(11), Queue: "Soporte", Agent: "1001", Source: "111", Destination: "Soporte", Duration: 12, Format: "mp3", State: centralita.RecordingReady, Tags: "venta"},
		{ID: 5, GUID: "g-live", UniqueID: "5.5", CallDate: at(12), Queue: "Soporte", Agent: "1001", Source: "333", Format: "wav", State: centralita.RecordingActive},
	}
}

// integraRecEnv is the Integra facade with recordings over fakes.
type integraRecEnv struct {
	*integraDialerEnv
	index *integraRecIndex
	conv  *integraRecConverter
}

func newIntegraRec(t *testing.T) *integraRecEnv {
	t.Helper()
	e := &integraRecEnv{index: &integraRecIndex{recs: integraRecs()}, conv: &integraRecConverter{}}
	e.integraDialerEnv = newIntegraDialer(t, func(_ *rest.Config, ic *rest.IntegraConfig) {
		ic.Recordings, ic.RecordingFiles = e.index, e.conv
	})
	return e
}

// guids lists the guids of a getrecords answer.
func (e *integraRecEnv) getRecords(form url.Values) (int, []string, []map[string]any) {
	e.t.Helper()
	res, body := e.post("Cdr/getrecords", e.key, form)
	if res.StatusCode != http.StatusOK || body == "0" {
		return res.StatusCode, nil, nil
	}
	var recs []map[string]any
	require.NoError(e.t, json.Unmarshal([]byte(body), &recs), body)
	guids := []string{}
	for _, r := range recs {
		guids = append(guids, r["guid"].(string))
	}
	return res.StatusCode, guids, recs
}

func TestIntegraGetRecordsFilters(t *testing.T) {
	e := newIntegraRec(t)
	for _, tc := range []struct {
		name, filter string
		want         []string
	}{
		{"no filter", ``, []string{"g-1", "g-2", "g-wav", "g-4"}},
		{"the spec's example object", `{"calldatei": "2015-12-03 00:00:00", "calldatef": "2024-03-05 23:59:59", "agent": "", "campaign": "", "source": "", "destination": "", "data": "", "range": "", "rating": "", "mindur": "", "exclude": "", "type": "record", "cont": ""}`, []string{"g-1", "g-2", "g-wav", "g-4"}},
		{"dates in local time, inclusive", `{"calldatei": "2024-03-05 09:00:00", "calldatef": "2024-03-05 10:00:00"}`, []string{"g-2", "g-wav"}},
		{"agent", `{"agent": "1001"}`, []string{"g-1", "g-wav", "g-4"}},
		{"agent as a number", `{"agent": 1002}`, []string{"g-2"}},
		{"campaign naming a queue", `{"campaign": "Soporte"}`, []string{"g-1", "g-wav", "g-4"}},
		{"campaign naming a dialer campaign", `{"campaign": "Ventas->"}`, []string{"g-2"}},
		{"data", `{"data": "ven"}`, []string{"g-4"}},
		{"range", `{"range": "9-10"}`, []string{"g-2", "g-wav"}},
		{"range across midnight", `{"range": "22-08"}`, []string{"g-1"}},
		{"cont 3", `{"cont": "3"}`, []string{"g-1", "g-2", "g-4"}},
		{"cont 4", `{"cont": 4}`, []string{}},
		{"cont with agent", `{"cont": "2", "agent": "1001"}`, []string{"g-1", "g-4"}},
		{"cont 1 does not filter", `{"cont": "1"}`, []string{"g-1", "g-2", "g-wav", "g-4"}},
	} {
		status, got, _ := e.getRecords(url.Values{"lastrow": {"0"}, "searchLimit": {"50"}, "filter": {tc.filter}, "Random": {"1"}})
		require.Equal(t, http.StatusOK, status, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}

func TestIntegraGetRecordsFilterTranslation(t *testing.T) {
	e := newIntegraRec(t)
	status, _, _ := e.getRecords(url.Values{"filter": {`{"calldatei": "2024-03-01 00:00:00", "calldatef": "2024-03-31 23:59:59",
		"source": " 111 ", "destination": "099", "range": "08-17", "rating": "3", "mindur": 10, "exclude": "555", "type": "RECORD"}`}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, centralita.RecordingFilter{
		From: time.Date(2024, 3, 1, 0, 0, 0, 0, integraRecUYT), To: time.Date(2024, 3, 31, 23, 59, 59, 999999999, integraRecUYT),
		Source: "111", Destination: "099", HasHours: true, HourFrom: 8, HourTo: 17, MinRating: 3, MinDuration: 10,
		Exclude: "555", States: []centralita.RecordingState{centralita.RecordingReady, centralita.RecordingStored},
		Offset: 0, Limit: 50,
	}, e.index.lastFilter())

	for _, tc := range []struct {
		lastrow, limit string
		offset, want   int
	}{
		{"", "", 0, 50}, {"50", "50", 50, 50}, {"7", "0", 7, 50}, {" 3 ", "5000", 3, 1000},
	} {
		status, _, _ := e.getRecords(url.Values{"lastrow": {tc.lastrow}, "searchLimit": {tc.limit}})
		require.Equal(t, http.StatusOK, status)
		f := e.index.lastFilter()
		require.Equal(t, [2]int{tc.offset, tc.want}, [2]int{f.Offset, f.Limit}, "lastrow %q searchLimit %q", tc.lastrow, tc.limit)
	}
}

func TestIntegraGetRecordsPagingAndFields(t *testing.T) {
	e := newIntegraRec(t)
	var all []string
	for lastrow := 0; lastrow < 6; lastrow += 2 {
		_, got, _ := e.getRecords(url.Values{"lastrow": {strconv.Itoa(lastrow)}, "searchLimit": {"2"}})
		all = append(all, got...)
	}
	require.Equal(t, []string{"g-1", "g-2", "g-wav", "g-4"}, all)

	_, _, recs := e.getRecords(url.Values{"filter": {`{"campaign": "Ventas->"}`}})
	require.Len(t, recs, 1)
	require.Equal(t, map[string]any{
		"guid": "g-2", "calldate": "2024-03-05 09:00:00", "uniqueid": "2.2", "agent": "1002", "campaign": "Ventas->",
		"queue": "ventas", "source": "111", "destination": "099", "duration": float64(5), "tags": "", "rating": float64(4),
		"folder": "20240305", "format": "mp3", "url": strings.TrimSuffix(e.url, rest.IntegraPrefix) + "/records/20240305/g-2.mp3",
	}, recs[0])
	_, _, recs = e.getRecords(url.Values{"filter": {`{"agent": "1001", "source": "222"}`}})
	require.Len(t, recs, 1)
	require.Equal(t, "Soporte", recs[0]["campaign"], "a queue call's campaign is its queue")
	require.True(t, strings.HasSuffix(recs[0]["url"].(string), "/records/20240305/g-wav.wav"), recs[0]["url"])
}

func TestIntegraGetRecordsBadInput(t *testing.T) {
	e := newIntegraRec(t)
	for _, form := range []url.Values{
		{"filter": {`{"agent": `}},
		{"filter": {`[1]`}},
		{"filter": {`{"calldatei": "2024-03-05"}`}},
		{"filter": {`{"calldatei": "2024-03-06 00:00:00", "calldatef": "2024-03-05 00:00:00"}`}},
		{"filter": {`{"range": "8"}`}},
		{"filter": {`{"range": "08-24"}`}},
		{"filter": {`{"rating": "6"}`}},
		{"filter": {`{"rating": "good"}`}},
		{"filter": {`{"mindur": "-1"}`}},
		{"filter": {`{"cont": "x"}`}},
		{"filter": {`{"type": "cdr"}`}},
		{"lastrow": {"-1"}},
		{"searchLimit": {"many"}},
	} {
		res, body := e.post("Cdr/getrecords", e.key, form)
		integraDialerExpect(t, res, body, http.StatusOK, "0", form.Encode())
	}
	// An index failure is its status.
	e.index.mu.Lock()
	e.index.err = centralita.Errorf(centralita.EUNAVAILABLE, "db down")
	e.index.mu.Unlock()
	res, body := e.post("Cdr/getrecords", e.key, nil)
	integraDialerExpect(t, res, body, http.StatusServiceUnavailable, "0", "index down")
	// Agents may not list recordings.
	res, body = e.post("Cdr/getrecords", "Bearer "+e.login("bob"), nil)
	integraDialerExpect(t, res, body, http.StatusForbidden, "0", "agent")
}

func TestIntegraConvert(t *testing.T) {
	e := newIntegraRec(t)
	for _, tc := range []struct {
		name, guid, folder string
		status             int
		want               string
	}{
		{"with folder", "g-wav", "20240305", 200, "1"},
		{"without folder", "g-wav", "", 200, "1"},
		{"wrong folder", "g-wav", "20240306", 200, "0"},
		{"unknown", "nope", "", 200, "0"},
		{"malformed folder", "g-wav", "2024-03-05", 200, "0"},
		{"path in guid", "../etc/passwd", "", 200, "0"},
		{"no guid", "", "", 200, "0"},
		{"conversion failed", "broken", "", 500, "0"},
	} {
		res, body := e.post("Supervisor/convert", e.key, url.Values{"guid": {tc.guid}, "folder": {tc.folder}})
		integraDialerExpect(t, res, body, tc.status, tc.want, tc.name)
	}
	e.conv.mu.Lock()
	require.Len(t, e.conv.converts, 5, "malformed input never reaches the converter")
	e.conv.mu.Unlock()
}

func TestIntegraTagRecord(t *testing.T) {
	e := newIntegraRec(t)
	agent := "Bearer " + e.login("bob")
	for _, tc := range []struct {
		name, guid, data, want string
	}{
		{"by guid", "g-1", "promo", ""},
		{"again", "g-1", "cliente vip", ""},
		{"by the call's uniqueid", "3.3", "reclamo", ""},
		{"unknown", "nope", "x", "0"},
		{"no data", "g-1", " ", "0"},
		{"no guid", "", "x", "0"},
		{"data too long", "g-1", strings.Repeat("x", 5000), "0"},
	} {
		res, body := e.post("Agents/TagRecord", agent, url.Values{"phone": {"099"}, "guid": {tc.guid}, "data": {tc.data}})
		require.Equal(t, http.StatusOK, res.StatusCode, tc.name)
		require.Equal(t, tc.want, body, tc.name)
	}
	r, err := e.index.FindRecording(context.Background(), "g-1")
	require.NoError(t, err)
	require.Equal(t, "promo\ncliente vip", r.Tags)
	_, got, _ := e.getRecords(url.Values{"filter": {`{"data": "reclamo"}`}})
	require.Equal(t, []string{"g-wav"}, got)
}

func TestIntegraRecordingsUnconfigured(t *testing.T) {
	e := newIntegraDialer(t, nil)
	for _, path := range []string{"Cdr/getrecords", "Supervisor/convert", "Agents/TagRecord"} {
		res, body := e.post(path, e.key, url.Values{"guid": {"g"}, "data": {"x"}})
		integraDialerExpect(t, res, body, http.StatusServiceUnavailable, "0", path)
	}
	res, body := e.post("Cdr/getrecords", "", nil)
	integraDialerExpect(t, res, body, http.StatusUnauthorized, "0", "no token")
}
