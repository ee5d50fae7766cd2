package soap_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// recIndex is an in-memory RecordingService: FindRecordings filters by
// UniqueID only and pages by CallDate, then ID.
type recIndex struct {
	centralita.RecordingService // other methods are not used by recordingPbx

	mu   sync.Mutex
	recs []*centralita.Recording
	err  error
}

func (x *recIndex) FindRecordings(_ context.Context, f centralita.RecordingFilter) ([]*centralita.Recording, int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return nil, 0, x.err
	}
	var out []*centralita.Recording
	for _, r := range x.recs {
		if f.UniqueID == "" || r.UniqueID == f.UniqueID {
			c := *r
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CallDate.Equal(out[j].CallDate) {
			return out[i].CallDate.Before(out[j].CallDate)
		}
		return out[i].ID < out[j].ID
	})
	total := len(out)
	out = out[min(f.Offset, total):]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}

// recFiles keeps recordings' files flat in dir; Convert turns <guid>.wav
// into <guid>.mp3 holding "MP3(" + the WAV + ")".
type recFiles struct {
	dir      string
	mu       sync.Mutex
	converts []string
	block    bool // Convert waits for its context
	// gate, when set, holds each Convert until it can receive; active and
	// peak count the Converts running at once.
	gate         chan struct{}
	active, peak int
}

func (f *recFiles) Open(_ context.Context, guid, folder, format string) (io.ReadSeekCloser, time.Time, int64, error) {
	file, err := os.Open(filepath.Join(f.dir, guid+"."+format))
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, 0, centralita.Errorf(centralita.ENOTFOUND, "no file")
	}
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, time.Time{}, 0, err
	}
	return file, st.ModTime(), st.Size(), nil
}

func (f *recFiles) Convert(ctx context.Context, guid, folder string) error {
	f.mu.Lock()
	f.converts = append(f.converts, guid)
	block, gate := f.block, f.gate
	f.active++
	f.peak = max(f.peak, f.active)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active--
		f.mu.Unlock()
	}()
	if gate != nil {
		<-gate
	}
	if block {
		<-ctx.Done()
		return centralita.WrapError(centralita.EUNAVAILABLE, ctx.Err(), "conversion interrupted")
	}
	wav, err := os.ReadFile(filepath.Join(f.dir, guid+".wav"))
	if err != nil {
		return centralita.Errorf(centralita.ENOTFOUND, "no wav")
	}
	return os.WriteFile(filepath.Join(f.dir, guid+".mp3"), append(append([]byte("MP3("), wav...), ')'), 0o600)
}

// recCDRs knows calls with these linkedids.
type recCDRs []string

func (c recCDRs) FindCDRs(_ context.Context, f centralita.CDRFilter) ([]*centralita.CDR, error) {
	for _, id := range c {
		if f.LinkedID == id {
			return []*centralita.CDR{{UniqueID: id + "0", LinkedID: id}}, nil
		}
	}
	return nil, nil
}

// recordingReply is recordingPbx's XML document.
type recordingReply struct {
	XMLName   xml.Name `xml:"record"`
	Recording struct {
		Status   int    `xml:"status,attr"`
		UniqueID string `xml:"uniqueid,attr"`
		Encoding string `xml:"encoding,attr"`
		Data     string `xml:",chardata"`
	} `xml:"recording"`
}

func TestRecordingPbx(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	big := strings.Repeat("x", 2000)
	write("g-old.mp3", "old call audio")
	write("g-new.mp3", "\x00\xffnew call audio\x80")
	write("g-wav.wav", "RIFFwave")
	write("g-big.mp3", big)
	write("g-orig.mp3", "originated call audio")
	day := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	idx := &recIndex{recs: []*centralita.Recording{
		// Call 1.1 has three recordings: the latest ready one is sent.
		{ID: 1, GUID: "g-old", UniqueID: "1.1", CallDate: day, Format: "mp3", State: centralita.RecordingReady},
		{ID: 2, GUID: "g-new", UniqueID: "1.1", CallDate: day.Add(time.Minute), Format: "mp3", State: centralita.RecordingReady},
		{ID: 3, GUID: "g-fail", UniqueID: "1.1", CallDate: day.Add(2 * time.Minute), Format: "wav", State: centralita.RecordingFailed},
		// 2.2 is stored as WAV only: converted on demand.
		{ID: 4, GUID: "g-wav", UniqueID: "2.2", CallDate: day, Format: "wav", State: centralita.RecordingStored},
		// 3.3 is still being recorded.
		{ID: 5, GUID: "g-live", UniqueID: "3.3", CallDate: day, Format: "wav", State: centralita.RecordingActive},
		// 4.4 is ready in the index but its file is gone.
		{ID: 6, GUID: "g-gone", UniqueID: "4.4", CallDate: day, Format: "mp3", State: centralita.RecordingReady},
		// 5.5 is above the size cap.
		{ID: 7, GUID: "g-big", UniqueID: "5.5", CallDate: day, Format: "mp3", State: centralita.RecordingReady},
		// An originateCall job's source leg.
		{ID: 8, GUID: "g-orig", UniqueID: "job1-src", CallDate: day, Format: "mp3", State: centralita.RecordingReady},
	}}
	files := &recFiles{dir: dir}
	cdrs := recCDRs{"1333249364.937"}
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	require.NoError(t, srv.RegisterRecordings(soap.RecordingsConfig{Recordings: idx, Files: files, CDRs: cdrs, MaxBytes: 1000}))
	_, url := startServer(t, srv)

	for _, tc := range []struct {
		name, key, uid string
		status         int
		audio          string
	}{
		{"latest ready of several", goodKey, "1.1", 1, "\x00\xffnew call audio\x80"},
		{"wav converted on demand", goodKey, "2.2", 1, "MP3(RIFFwave)"},
		{"still recording", goodKey, "3.3", 0, ""},
		{"file missing", goodKey, "4.4", 0, ""},
		{"above the size cap", goodKey, "5.5", 0, ""},
		{"originatedID", goodKey, "job1", 1, "originated call audio"},
		{"originated source leg's uniqueid", goodKey, "job1-src", 1, "originated call audio"},
		{"a CDR but no recording", goodKey, "1333249364.937", 0, ""},
		{"unknown uniqueid", goodKey, "9.9", -1, ""},
		{"empty uniqueid", goodKey, " ", -1, ""},
		{"bad key", "nope", "1.1", -1, ""},
	} {
		r := post(t, url, docLit("recordingPbx", "authorizedKey", tc.key, "uniqueId", tc.uid), nil)
		require.Nil(t, r.Fault, tc.name)
		require.True(t, strings.HasPrefix(r.Return, `<?xml version="1.0" encoding="UTF-8"?>`), "%s: %s", tc.name, r.Return)
		var doc recordingReply
		require.NoError(t, xml.Unmarshal([]byte(r.Return), &doc), tc.name)
		require.Equal(t, tc.status, doc.Recording.Status, tc.name)
		require.Equal(t, tc.uid, doc.Recording.UniqueID, tc.name)
		require.Equal(t, "base64", doc.Recording.Encoding, tc.name)
		audio, err := base64.StdEncoding.DecodeString(doc.Recording.Data)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.audio, string(audio), tc.name)
	}
	require.Equal(t, []string{"g-wav"}, files.converts, "only the WAV-only call is converted")

	// The uniqueid alias and an rpc/encoded request.
	r := post(t, url, rpcEnc("recordingPbx", "authorizedKey", goodKey, "uniqueid", "2.2"), nil)
	require.Contains(t, r.Return, `status="1" uniqueid="2.2"`)
}

func TestRecordingPbxFailures(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "g1.wav"), []byte("w"), 0o600))
	idx := &recIndex{recs: []*centralita.Recording{
		{ID: 1, GUID: "g1", UniqueID: "1.1", Format: "wav", State: centralita.RecordingStored},
	}}
	files := &recFiles{dir: dir, block: true}
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	require.NoError(t, srv.RegisterRecordings(soap.RecordingsConfig{Recordings: idx, Files: files, ConvertTimeout: 50 * time.Millisecond}))
	_, url := startServer(t, srv)

	// A conversion that takes too long is bounded: status 0.
	start := time.Now()
	r := post(t, url, docLit("recordingPbx", "authorizedKey", goodKey, "uniqueId", "1.1"), nil)
	require.Contains(t, r.Return, `status="0"`)
	require.Less(t, time.Since(start), 5*time.Second)

	// Without CDRs, a call with no recording is unknown.
	r = post(t, url, docLit("recordingPbx", "authorizedKey", goodKey, "uniqueId", "1333249364.937"), nil)
	require.Contains(t, r.Return, `status="-1"`)

	// The index failing is a server fault, not a status.
	idx.mu.Lock()
	idx.err = centralita.Errorf(centralita.EUNAVAILABLE, "db down")
	idx.mu.Unlock()
	r = post(t, url, docLit("recordingPbx", "authorizedKey", goodKey, "uniqueId", "1.1"), nil)
	require.NotNil(t, r.Fault)
	require.Contains(t, r.Fault.Code, "Server")
}

func TestRegisterRecordingsNeedsDependencies(t *testing.T) {
	srv := soap.NewServer(soap.Config{})
	err := srv.RegisterRecordings(soap.RecordingsConfig{Files: &recFiles{}})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	err = srv.RegisterRecordings(soap.RecordingsConfig{Recordings: &recIndex{}})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	require.NoError(t, srv.RegisterRecordings(soap.RecordingsConfig{Recordings: &recIndex{}, Files: &recFiles{}}))
	err = srv.RegisterRecordings(soap.RecordingsConfig{Recordings: &recIndex{}, Files: &recFiles{}})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "registered twice")
}

// recordingPbx builds at most MaxConcurrent answers with audio at once;
// the others wait for a slot.
func TestRecordingPbxConcurrencyBound(t *testing.T) {
	dir := t.TempDir()
	idx := &recIndex{}
	for i := range 5 {
		g := "g" + strconv.Itoa(i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, g+".wav"), []byte("w"), 0o600))
		idx.recs = append(idx.recs, &centralita.Recording{ID: int64(i + 1), GUID: g, UniqueID: strconv.Itoa(i) + ".1", Format: "wav", State: centralita.RecordingStored})
	}
	files := &recFiles{dir: dir, gate: make(chan struct{})}
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	require.NoError(t, srv.RegisterRecordings(soap.RecordingsConfig{Recordings: idx, Files: files, MaxConcurrent: 2}))
	_, url := startServer(t, srv)

	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			r := post(t, url, docLit("recordingPbx", "authorizedKey", goodKey, "uniqueId", strconv.Itoa(i)+".1"), nil)
			require.Contains(t, r.Return, `status="1"`)
		})
	}
	running := func() int {
		files.mu.Lock()
		defer files.mu.Unlock()
		return files.active
	}
	require.Eventually(t, func() bool { return running() == 2 }, 5*time.Second, time.Millisecond)
	for range 5 {
		require.Eventually(t, func() bool { return running() > 0 }, 5*time.Second, time.Millisecond)
		time.Sleep(20 * time.Millisecond) // time for a third one to get in, were it allowed
		files.gate <- struct{}{}
	}
	wg.Wait()
	files.mu.Lock()
	defer files.mu.Unlock()
	require.Equal(t, 2, files.peak)
	require.Len(t, files.converts, 5)
}
