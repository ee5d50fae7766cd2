package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// facadeRecord is a Cdr/getrecords record.
type facadeRecord struct {
	GUID        string `json:"guid"`
	CallDate    string `json:"calldate"`
	UniqueID    string `json:"uniqueid"`
	Agent       string `json:"agent"`
	Campaign    string `json:"campaign"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Duration    int    `json:"duration"`
	Tags        string `json:"tags"`
	Folder      string `json:"folder"`
	Format      string `json:"format"`
	URL         string `json:"url"`
}

// getRecords calls Cdr/getrecords with the stack's access key.
func (s *stack) getRecords(t *testing.T, lastrow, limit int, filter string) []facadeRecord {
	t.Helper()
	st, body := s.integra(t, s.key, "Cdr/getrecords", url.Values{
		"lastrow": {strconv.Itoa(lastrow)}, "searchLimit": {strconv.Itoa(limit)}, "filter": {filter}, "Random": {"1"},
	})
	require.Equal(t, http.StatusOK, st, body)
	var recs []facadeRecord
	require.NoError(t, json.Unmarshal([]byte(body), &recs), body)
	return recs
}

// fetchRecording GETs a recording's URL path with the request adjusted by tune.
func (s *stack) fetchRecording(t *testing.T, path string, tune func(r *http.Request)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(t, err)
	if tune != nil {
		tune(req)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

// toneWAV is one second of a 440 Hz tone, 8 kHz 16-bit mono PCM.
func toneWAV() []byte {
	const n = 8000 * 2
	b := make([]byte, 44+n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], 36+n)
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], n)
	for i := 0; i < n/2; i++ {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(8192*math.Sin(2*math.Pi*440*float64(i)/8000))))
	}
	return b
}

// TestRecordingFacadesEndToEnd records two queue calls through the
// simulator and reaches their MP3s through recordingPbx (also with zeep),
// Cdr/getrecords, Agents/TagRecord, the /records URL forms (with ranges)
// and Supervisor/convert.
func TestRecordingFacadesEndToEnd(t *testing.T) {
	s := startACDStack(t)
	dataDir := filepath.Dir(strings.TrimPrefix(s.dsn, "sqlite:"))

	// Record the sales queue.
	st, body := s.admin(t, http.MethodGet, "/queues/sales", nil)
	require.Equal(t, http.StatusOK, st, string(body))
	var q map[string]any
	require.NoError(t, json.Unmarshal(body, &q))
	q["record"] = true
	st, body = s.admin(t, http.MethodPut, "/queues/sales", q)
	require.Equal(t, http.StatusOK, st, string(body))

	start := time.Now().Add(-time.Second)
	for _, a := range [][2]string{{"ana", "101"}, {"beto", "102"}} {
		require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", s.key, "agent", a[0], "extension", a[1]), "true"), a[0])
	}
	first := s.simCall(t, map[string]any{"from": "5550100", "queue": "sales", "talk_duration": "2s"})
	second := s.simCall(t, map[string]any{"from": "5550101", "queue": "sales", "talk_duration": "2s"})
	agentOf := map[string]string{}
	for _, id := range []string{first, second} {
		conn := s.waitLog(t, start, 10*time.Second, "CONNECT of "+id, func(r *centralita.QueueLogEntry) bool {
			return r.CallID == id && r.Event == centralita.QLConnect
		})
		agentOf[id] = strings.TrimPrefix(conn.Agent, "Agent/")
	}
	require.NotEqual(t, agentOf[first], agentOf[second], "one call each")

	// Both recordings become MP3s and are listed.
	var recs []facadeRecord
	require.Eventually(t, func() bool {
		recs = s.getRecords(t, 0, 50, "")
		return len(recs) == 2 && recs[0].Format == "mp3" && recs[1].Format == "mp3"
	}, 30*time.Second, 100*time.Millisecond, "the recordings did not become MP3s: %+v", recs)
	byCall := map[string]facadeRecord{}
	for _, r := range recs {
		byCall[r.UniqueID] = r
	}
	rec, ok := byCall[first]
	require.True(t, ok, "the first call's recording is indexed under its uniqueid: %+v", recs)
	require.Equal(t, agentOf[first], rec.Agent)
	require.Equal(t, "sales", rec.Campaign)
	require.Equal(t, "5550100", rec.Source)
	require.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, rec.CallDate)
	calldate, err := time.ParseInLocation("2006-01-02 15:04:05", rec.CallDate, time.UTC)
	require.NoError(t, err)
	require.Equal(t, calldate.Format("20060102"), rec.Folder)
	mp3Path := filepath.Join(dataDir, "records", rec.Folder, rec.GUID+".mp3")
	onDisk, err := os.ReadFile(mp3Path)
	require.NoError(t, err)
	require.Greater(t, len(onDisk), 200)

	// recordingPbx: status 1 with the MP3 on disk; unknown uniqueid -1.
	var doc struct {
		Recording struct {
			Status   int    `xml:"status,attr"`
			UniqueID string `xml:"uniqueid,attr"`
			Data     string `xml:",chardata"`
		} `xml:"recording"`
	}
	s.soapDoc(t, &doc, "recordingPbx", "authorizedKey", s.key, "uniqueId", first)
	require.Equal(t, 1, doc.Recording.Status)
	require.Equal(t, first, doc.Recording.UniqueID)
	audio, err := base64.StdEncoding.DecodeString(doc.Recording.Data)
	require.NoError(t, err)
	require.True(t, bytes.Equal(onDisk, audio), "recordingPbx sent other bytes than %s", mp3Path)
	doc.Recording.Data = ""
	s.soapDoc(t, &doc, "recordingPbx", "authorizedKey", s.key, "uniqueId", "999999.1")
	require.Equal(t, -1, doc.Recording.Status)
	require.Empty(t, doc.Recording.Data)

	// getrecords by agent, by dates, and paged.
	got := s.getRecords(t, 0, 50, `{"agent": "`+agentOf[first]+`", "type": "record"}`)
	require.Len(t, got, 1)
	require.Equal(t, rec.GUID, got[0].GUID)
	day := `{"calldatei": "` + calldate.Add(-time.Minute).Format("2006-01-02 15:04:05") + `", "calldatef": "` + calldate.Add(time.Hour).Format("2006-01-02 15:04:05") + `"}`
	require.Len(t, s.getRecords(t, 0, 50, day), 2)
	before := `{"calldatef": "` + calldate.Add(-time.Minute).Format("2006-01-02 15:04:05") + `"}`
	require.Empty(t, s.getRecords(t, 0, 50, before))
	page1, page2 := s.getRecords(t, 0, 1, day), s.getRecords(t, 1, 1, day)
	require.Len(t, page1, 1)
	require.Len(t, page2, 1)
	require.NotEqual(t, page1[0].GUID, page2[0].GUID)
	require.Empty(t, s.getRecords(t, 2, 1, day))
	st, text := s.integra(t, s.key, "Cdr/getrecords", url.Values{"filter": {`{"agent": `}})
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, "0", text, "bad filter JSON")

	// The URL forms: the dated one with a range, the flat one whole.
	u, err := url.Parse(rec.URL)
	require.NoError(t, err)
	require.Equal(t, "/records/"+rec.Folder+"/"+rec.GUID+".mp3", u.Path)
	res, part := s.fetchRecording(t, u.Path, func(r *http.Request) {
		r.SetBasicAuth("sup", "sup-password-1")
		r.Header.Set("Range", "bytes=10-99")
	})
	require.Equal(t, http.StatusPartialContent, res.StatusCode, string(part))
	require.Equal(t, onDisk[10:100], part)
	require.Equal(t, "audio/mpeg", res.Header.Get("Content-Type"))
	res, whole := s.fetchRecording(t, "/records/"+rec.GUID+".mp3", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.key) })
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, onDisk, whole)
	res, _ = s.fetchRecording(t, u.Path, nil)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)

	// TagRecord (with a session token), then getrecords by data.
	tok := s.integraToken(t, "sup", "sup-password-1")
	st, text = s.integra(t, tok, "Agents/TagRecord", url.Values{"phone": {"5550100"}, "guid": {rec.GUID}, "data": {"cliente-vip"}})
	require.Equal(t, http.StatusOK, st)
	require.Empty(t, text)
	got = s.getRecords(t, 0, 50, `{"data": "vip"}`)
	require.Len(t, got, 1)
	require.Equal(t, rec.GUID, got[0].GUID)
	require.Equal(t, "cliente-vip", got[0].Tags)

	// Supervisor/convert of a WAV placed in a dated folder.
	const guid = "5b0e2f4c-1d7a-4c55-9a0e-2f7d3c1e9b11"
	folder := filepath.Join(dataDir, "records", "20160118")
	require.NoError(t, os.MkdirAll(folder, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(folder, guid+".wav"), toneWAV(), 0o640))
	res, _ = s.fetchRecording(t, "/records/20160118/"+guid+".mp3", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.key) })
	require.Equal(t, http.StatusNotFound, res.StatusCode, "no MP3 before the conversion")
	st, text = s.integra(t, s.key, "Supervisor/convert", url.Values{"guid": {guid}, "folder": {"20160118"}})
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, "1", text)
	converted, err := os.ReadFile(filepath.Join(folder, guid+".mp3"))
	require.NoError(t, err)
	res, served := s.fetchRecording(t, "/records/20160118/"+guid+".mp3", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.key) })
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, converted, served)
	st, text = s.integra(t, s.key, "Supervisor/convert", url.Values{"guid": {"no-such-recording"}, "folder": {"20160118"}})
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, "0", text)

	// recordingPbx through zeep.
	out, err := exec.Command("/usr/bin/python3", "testdata/zeep_recording.py", s.url+"/apiws/2/apiws.php?wsdl", s.key, first).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("zeep script failed (make test installs python3-zeep): %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	type zeepRec struct {
		Status, UniqueID, Encoding, SHA256 string
		Bytes                              int
	}
	var z struct {
		Known   zeepRec `json:"known"`
		Unknown zeepRec `json:"unknown"`
		BadKey  zeepRec `json:"bad_key"`
	}
	require.NoError(t, json.Unmarshal(out, &z), string(out))
	sum := sha256.Sum256(onDisk)
	require.Equal(t, zeepRec{Status: "1", UniqueID: first, Encoding: "base64", SHA256: hex.EncodeToString(sum[:]), Bytes: len(onDisk)}, z.Known)
	require.Equal(t, "-1", z.Unknown.Status)
	require.Equal(t, "-1", z.BadKey.Status)
	require.Zero(t, z.BadKey.Bytes)
}
