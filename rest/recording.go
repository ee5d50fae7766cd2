package rest

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// RecordingsPrefix is where recordings' files are served (rest-integra.md §5.2).
const RecordingsPrefix = "/records/"

// RecordingFilesConfig configures the recordings' file routes.
type RecordingFilesConfig struct {
	// Files opens the recordings' files.
	Files centralita.RecordingFiles
}

// recordingTypes are the extensions served and their content types.
var recordingTypes = map[string]string{
	"mp3": "audio/mpeg",
	"wav": "audio/wav",
	"gsm": "audio/x-gsm",
}

var (
	// recordingGUID is a safe recording name, as the recordings engine
	// makes them (a UUID, or letters, digits, "-" and "_").
	recordingGUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// recordingFolder is a dated folder, YYYYMMDD.
	recordingFolder = regexp.MustCompile(`^[0-9]{8}$`)
)

// safeRecordingName reports whether guid may name a recording's file.
func safeRecordingName(guid string) bool {
	return recordingGUID.MatchString(guid)
}

// RegisterRecordingFiles serves the recordings' files at the URL forms of
// rest-integra.md §5.2 (C7), for GET and HEAD:
//
//	/records/<guid>.<ext>
//	/records/<YYYYMMDD>/<guid>.<ext>
//
// ext is mp3, gsm or wav; a recording not (or not yet) in that format is
// 404, so a client can fall back from .mp3 to .gsm as §5.2 says, or ask
// Supervisor/convert for the MP3. With a folder, the recording's dated
// folder (its calldate in the server's time zone) must match. The
// "RespaldoGrabaciones" (backup host) forms are the same paths: this
// server answers them too, under whatever host name points at it.
//
// Files are served with http.ServeContent: range requests (206), HEAD,
// If-Modified-Since and If-Range work, so an HTML5 <audio> element can
// seek.
//
// Any authenticated user or access key may fetch a file: HTTP Basic with a
// user's username and password, or an access key as "Authorization:
// Bearer KEY" or in the X-API-Key header. When the Integra facade is
// registered (RegisterIntegra, in either order), the URLs Cdr/getrecords
// hands out also accept the Integra credentials: a session token from
// auth/getUserToken or an access key, as "Basic <token>", "Bearer <token>"
// or bare, as on the Integra endpoints. A browser's <audio> element gets
// the Basic challenge of a 401 and replays the credentials the user types.
func (s *Server) RegisterRecordingFiles(cfg RecordingFilesConfig) error {
	switch {
	case cfg.Files == nil:
		return centralita.Errorf(centralita.EINVALID, "recordings: RecordingFiles is required")
	case s.cfg.Auth == nil:
		return centralita.Errorf(centralita.EINVALID, "recordings: the server has no authenticator")
	}
	h := &recordingFiles{cfg: cfg}
	for _, path := range []string{RecordingsPrefix + ":name", RecordingsPrefix + ":folder/:name"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			route := echo.Route{Method: method, Path: path, Handler: h.serve, Middlewares: []echo.MiddlewareFunc{s.requireAnyCredentials}}
			if _, err := s.Echo.AddRoute(route); err != nil {
				return centralita.WrapError(centralita.EINVALID, err, "recordings: add route %s %s", method, path)
			}
		}
	}
	return nil
}

// accessKeyLen is the length of an access key: 32 lowercase hexadecimal
// characters (auth.ValidKeyFormat).
const accessKeyLen = 32

// requireAnyCredentials lets any authenticated user or access key through.
// With the Integra facade registered, an Authorization token shaped like an
// Integra session token or access key (with "Basic ", "Bearer " or no
// prefix) is checked as the Integra endpoints check it: the base64 of
// "user:password" never has that shape, while such a token sent as "Basic"
// may happen to decode with a colon. Otherwise parseable HTTP Basic
// credentials go to RequireUser and anything else to RequireKey.
func (s *Server) requireAnyCredentials(next echo.HandlerFunc) echo.HandlerFunc {
	byUser, byKey := s.RequireUser()(next), s.RequireKey()(next)
	return func(c *echo.Context) error {
		r := c.Request()
		if s.integraToken != nil && r.Header.Get("X-API-Key") == "" {
			if token := bearerToken(r); isSessionToken(token) || isLowerHex(token, accessKeyLen) {
				p, err := s.integraToken(c, token)
				if err != nil {
					return err
				}
				c.Set(principalKey, p)
				return next(c)
			}
		}
		if _, _, ok := r.BasicAuth(); ok {
			return byUser(c)
		}
		return byKey(c)
	}
}

// recordingFiles serves the files.
type recordingFiles struct{ cfg RecordingFilesConfig }

// serve answers one file (see RegisterRecordingFiles).
func (h *recordingFiles) serve(c *echo.Context) error {
	folder, name := c.Param("folder"), c.Param("name")
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "no recording %q: want <guid>.mp3, .gsm or .wav", name)
	}
	guid, ext := name[:dot], strings.ToLower(name[dot+1:])
	ctype, ok := recordingTypes[ext]
	switch {
	case !ok:
		return centralita.Errorf(centralita.ENOTFOUND, "no recording %q: want <guid>.mp3, .gsm or .wav", name)
	case !safeRecordingName(guid):
		return centralita.Errorf(centralita.ENOTFOUND, "no recording %q", name)
	case folder != "" && !recordingFolder.MatchString(folder):
		return centralita.Errorf(centralita.ENOTFOUND, "no folder %q: want YYYYMMDD", folder)
	}
	f, modTime, _, err := h.cfg.Files.Open(c.Request().Context(), guid, folder, ext)
	if err != nil {
		return err
	}
	defer f.Close()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, ctype)
	w.Header().Set("Cache-Control", "private")
	w.Header().Set("Content-Disposition", `inline; filename="`+guid+"."+ext+`"`)
	http.ServeContent(w, c.Request(), guid+"."+ext, modTime, f)
	return nil
}
