package rest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// recFolderFiles serves <dir>/<folder>/<guid>.<format>; every recording's
// folder is 20240305.
type recFolderFiles struct{ dir string }

func (f recFolderFiles) Open(_ context.Context, guid, folder, format string) (io.ReadSeekCloser, time.Time, int64, error) {
	if folder != "" && folder != "20240305" {
		return nil, time.Time{}, 0, centralita.Errorf(centralita.ENOTFOUND, "not in folder %s", folder)
	}
	file, err := os.Open(filepath.Join(f.dir, "20240305", guid+"."+format))
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, 0, centralita.Errorf(centralita.ENOTFOUND, "no %s.%s", guid, format)
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

func (recFolderFiles) Convert(context.Context, string, string) error { return nil }

// recordingAudio is the MP3 the tests serve.
const recordingAudio = "ID3\x04\x00mp3 frames 0123456789abcdef"

// newRecordingFiles serves the files of a temporary directory and returns
// the server's base URL and the MP3's modification time; withIntegra also
// registers the Integra facade (after the files, to show the order does
// not matter).
func newRecordingFiles(t *testing.T, withIntegra bool) (string, time.Time) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "20240305")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	mp3 := filepath.Join(dir, "7e4e7db9-f080-494e-b04b-7c8e47711558.mp3")
	require.NoError(t, os.WriteFile(mp3, []byte(recordingAudio), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "g-gsm.gsm"), []byte("gsm!"), 0o600))
	mod := time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(mp3, mod, mod))

	s, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0", Auth: igAuth{}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, s.RegisterRecordingFiles(rest.RecordingFilesConfig{Files: recFolderFiles{dir: filepath.Dir(dir)}}))
	if withIntegra {
		require.NoError(t, s.RegisterIntegra(rest.IntegraConfig{ACD: &igACD{}, Agents: newIGAgents()}))
	}
	require.NoError(t, s.Open())
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	return s.URL(), mod
}

// fetch sends method to url with the headers (name, value pairs) and
// returns the answer and its body.
func fetch(t *testing.T, method, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestRecordingFilesURLForms(t *testing.T) {
	base, _ := newRecordingFiles(t, false)
	const guid = "7e4e7db9-f080-494e-b04b-7c8e47711558"
	basic := "Basic Ym9iOnB3" // bob:pw, an agent
	for _, tc := range []struct {
		name, path string
		headers    []string
		status     int
		ctype      string
		body       string
	}{
		{"flat mp3, Basic", "/records/" + guid + ".mp3", []string{"Authorization", basic}, 200, "audio/mpeg", recordingAudio},
		{"dated mp3, Bearer key", "/records/20240305/" + guid + ".mp3", []string{"Authorization", "Bearer " + integraKey}, 200, "audio/mpeg", recordingAudio},
		{"X-API-Key", "/records/" + guid + ".mp3", []string{"X-API-Key", integraKey}, 200, "audio/mpeg", recordingAudio},
		{"gsm fallback", "/records/20240305/g-gsm.gsm", []string{"Authorization", basic}, 200, "audio/x-gsm", "gsm!"},
		{"upper-case extension", "/records/g-gsm.GSM", []string{"Authorization", basic}, 200, "audio/x-gsm", "gsm!"},
		{"not in mp3 yet", "/records/g-gsm.mp3", []string{"Authorization", basic}, 404, "", ""},
		{"wrong folder", "/records/20240306/" + guid + ".mp3", []string{"Authorization", basic}, 404, "", ""},
		{"folder not a date", "/records/2024/" + guid + ".mp3", []string{"Authorization", basic}, 404, "", ""},
		{"other extension", "/records/" + guid + ".txt", []string{"Authorization", basic}, 404, "", ""},
		{"no extension", "/records/" + guid, []string{"Authorization", basic}, 404, "", ""},
		{"dot-dot guid", "/records/..%2F..%2Fetc.mp3", []string{"Authorization", basic}, 404, "", ""},
		{"hidden name", "/records/.x.mp3", []string{"Authorization", basic}, 404, "", ""},
		{"no credentials", "/records/" + guid + ".mp3", nil, 401, "", ""},
		{"wrong password", "/records/" + guid + ".mp3", []string{"Authorization", "Basic Ym9iOm5v"}, 401, "", ""},
		{"wrong key", "/records/" + guid + ".mp3", []string{"Authorization", "Bearer ffffffffffffffffffffffffffffffff"}, 401, "", ""},
		{"limited", "/records/" + guid + ".mp3", []string{"Authorization", "Basic bGltaXRlZDpwdw=="}, 429, "", ""},
	} {
		res, body := fetch(t, http.MethodGet, base+tc.path, tc.headers...)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		if tc.status == 200 {
			require.Equal(t, tc.ctype, res.Header.Get("Content-Type"), tc.name)
			require.Equal(t, tc.body, body, tc.name)
			require.Equal(t, "bytes", res.Header.Get("Accept-Ranges"), tc.name)
		}
		if tc.status == 401 {
			require.Contains(t, res.Header.Get("WWW-Authenticate"), "Basic", tc.name)
		}
	}
}

func TestRecordingFilesRangesAndCaching(t *testing.T) {
	base, mod := newRecordingFiles(t, false)
	url := base + "/records/20240305/7e4e7db9-f080-494e-b04b-7c8e47711558.mp3"
	auth := "Bearer " + integraKey

	res, body := fetch(t, http.MethodGet, url, "Authorization", auth, "Range", "bytes=4-9")
	require.Equal(t, http.StatusPartialContent, res.StatusCode)
	require.Equal(t, recordingAudio[4:10], body)
	require.Equal(t, "bytes 4-9/"+strconv.Itoa(len(recordingAudio)), res.Header.Get("Content-Range"))
	require.Equal(t, "audio/mpeg", res.Header.Get("Content-Type"))

	res, body = fetch(t, http.MethodGet, url, "Authorization", auth, "Range", "bytes=-4")
	require.Equal(t, http.StatusPartialContent, res.StatusCode)
	require.Equal(t, "cdef", body, "a suffix range")

	res, _ = fetch(t, http.MethodGet, url, "Authorization", auth, "Range", "bytes=100-")
	require.Equal(t, http.StatusRequestedRangeNotSatisfiable, res.StatusCode)

	res, body = fetch(t, http.MethodHead, url, "Authorization", auth)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Empty(t, body)
	require.Equal(t, strconv.Itoa(len(recordingAudio)), res.Header.Get("Content-Length"))
	require.Equal(t, mod.Format(http.TimeFormat), res.Header.Get("Last-Modified"))

	res, _ = fetch(t, http.MethodGet, url, "Authorization", auth, "If-Modified-Since", mod.Format(http.TimeFormat))
	require.Equal(t, http.StatusNotModified, res.StatusCode)
	res, body = fetch(t, http.MethodGet, url, "Authorization", auth, "If-Modified-Since", mod.Add(-time.Hour).Format(http.TimeFormat))
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, recordingAudio, body)

	res, _ = fetch(t, http.MethodHead, base+"/records/nope.mp3", "Authorization", auth)
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	res, _ = fetch(t, http.MethodPost, url, "Authorization", auth)
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

// TestRecordingFilesIntegraCredentials fetches the files as an Integra
// client does: with the token of auth/getUserToken, or an access key, in
// any of the Integra Authorization forms.
func TestRecordingFilesIntegraCredentials(t *testing.T) {
	base, _ := newRecordingFiles(t, true)
	url := base + "/records/20240305/7e4e7db9-f080-494e-b04b-7c8e47711558.mp3"
	res, token := fetchForm(t, base+rest.IntegraPrefix+"auth/getUserToken", "user=bob&password=pw")
	require.Equal(t, http.StatusOK, res.StatusCode, token)
	require.Regexp(t, hex64, token)
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"session token as Basic", "Basic " + token, 200},
		{"session token as Bearer", "Bearer " + token, 200},
		{"bare session token", token, 200},
		{"unknown session token", "Basic " + strings.Repeat("ab", 32), 401},
		{"unknown bare session token", strings.Repeat("0", 64), 401},
		{"access key as Bearer", "Bearer " + integraKey, 200},
		{"access key as Basic", "Basic " + integraKey, 200},
		{"bare access key", integraKey, 200},
		{"unknown access key", "Basic ffffffffffffffffffffffffffffffff", 401},
		{"Basic user:password", "Basic Ym9iOnB3", 200},
		{"Basic wrong password", "Basic Ym9iOm5v", 401},
		{"token of another shape", "Bearer nope", 401},
		{"none", "", 401},
	} {
		var headers []string
		if tc.auth != "" {
			headers = []string{"Authorization", tc.auth}
		}
		res, body := fetch(t, http.MethodGet, url, headers...)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		if tc.status == 200 {
			require.Equal(t, recordingAudio, body, tc.name)
		} else {
			require.Contains(t, res.Header.Get("WWW-Authenticate"), "Basic", tc.name)
		}
	}
	res, body := fetch(t, http.MethodGet, url, "Authorization", "Bearer "+token, "Range", "bytes=4-9")
	require.Equal(t, http.StatusPartialContent, res.StatusCode)
	require.Equal(t, recordingAudio[4:10], body)

	res, body = fetchForm(t, base+rest.IntegraPrefix+"auth/logout", "", "Authorization", token)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	res, _ = fetch(t, http.MethodGet, url, "Authorization", token)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode, "a token after logout")
}

// TestRecordingFilesWithoutIntegra: without the Integra facade a session
// token is no credential, and an access key goes as Bearer or X-API-Key.
func TestRecordingFilesWithoutIntegra(t *testing.T) {
	base, _ := newRecordingFiles(t, false)
	url := base + "/records/7e4e7db9-f080-494e-b04b-7c8e47711558.mp3"
	for _, auth := range []string{"Basic " + strings.Repeat("ab", 32), "Bearer " + strings.Repeat("ab", 32), "Basic " + integraKey} {
		res, body := fetch(t, http.MethodGet, url, "Authorization", auth)
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "%s: %s", auth, body)
	}
}

// fetchForm POSTs a form body to url with the headers (name, value pairs).
func fetchForm(t *testing.T, url, form string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestRegisterRecordingFilesNeedsDependencies(t *testing.T) {
	s, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0", Auth: igAuth{}})
	require.NoError(t, err)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.RegisterRecordingFiles(rest.RecordingFilesConfig{})))
	noAuth, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(noAuth.RegisterRecordingFiles(rest.RecordingFilesConfig{Files: recFolderFiles{}})))
	require.NoError(t, s.RegisterRecordingFiles(rest.RecordingFilesConfig{Files: recFolderFiles{}}))
}
