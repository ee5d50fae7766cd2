// Package soap serves the eXpand-compatible apiws SOAP 1.1 service over net/http.
//
// A Server answers GET ?wsdl with the WSDL of package wsdl (its soap:address
// rewritten to the URL the client used) and POSTed envelopes by dispatching
// on the local name of the first child of soap:Body; SOAPAction is ignored,
// since clients send it quoted, empty or not at all. It accepts
// document/literal-wrapped requests (zeep, gowsdl, PHP SoapClient in WSDL
// mode) and rpc/encoded ones (PHP SoapClient without a WSDL, NuSOAP), and
// answers each in the style it was asked in. Parameters are matched by the
// names the spec writes (case-sensitive), then by alias, then by the same
// names ignoring case, then by position (spec A1).
//
// Operations are registered one by one with Server.Handle (the operations
// of the spec, see Operations) or Server.HandleOperation (any other).
package soap

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/wsdl"
)

// Path is where eXpand serves apiws; mount the Server there.
const Path = "/apiws/2/apiws.php"

// DefaultMaxBodyBytes bounds a request body when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// Authenticator checks access keys; centralita.Authenticator satisfies it.
type Authenticator interface {
	// AuthenticateKey checks key presented by clientIP; EUNAUTHORIZED for a
	// bad key, ELIMITED when clientIP failed too often.
	AuthenticateKey(ctx context.Context, key, clientIP string) (*centralita.AccessKey, error)
}

// HandlerFunc runs one operation. It returns the result (a string, an XML
// document as a string, an integer or a bool, matching the operation's
// Return type; any other value is marshalled with encoding/xml into an XML
// document string) or an error, mapped as Server documents.
type HandlerFunc func(ctx context.Context, req *Request) (any, error)

// Config configures a Server.
type Config struct {
	// Auth checks access keys; nil denies every call that needs one.
	Auth Authenticator
	// Logger receives faults, denials and handler failures; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequireKey rejects the key-less forms of queueData and agentData with
	// their bad-key result (-1) instead of running them (spec A4).
	RequireKey bool
	// ClientIP returns the caller's address for key checks; nil uses the
	// host of http.Request.RemoteAddr.
	ClientIP func(r *http.Request) string
}

// Server is the apiws SOAP endpoint; it implements http.Handler.
//
// Errors returned by handlers (and by Config.Auth, other than a rejected
// key) are mapped in one place: a kind listed in the operation's Codes gives
// that documented result; otherwise EUNAUTHORIZED, EFORBIDDEN and ELIMITED
// give the operation's Denied result, EINVALID, ENOTFOUND and ECONFLICT a
// soap:Client fault carrying the error's message, and EUNAVAILABLE and
// EINTERNAL a soap:Server fault with a generic message (the cause is
// logged). A rejected, missing or rate-limited key always gives Denied.
type Server struct {
	auth       Authenticator
	log        *slog.Logger
	maxBody    int64
	requireKey bool
	clientIP   func(r *http.Request) string
	wsdlHead   []byte // WSDL up to the soap:address location value
	wsdlTail   []byte // WSDL after it

	mu     sync.RWMutex
	routes map[string]route
}

type route struct {
	op Operation
	fn HandlerFunc
}

// NewServer returns a Server with no operation registered.
func NewServer(cfg Config) *Server {
	s := &Server{
		auth:       cfg.Auth,
		log:        cfg.Logger,
		maxBody:    cfg.MaxBodyBytes,
		requireKey: cfg.RequireKey,
		clientIP:   cfg.ClientIP,
		routes:     make(map[string]route),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.clientIP == nil {
		s.clientIP = remoteIP
	}
	doc := wsdl.APIWS()
	i := bytes.Index(doc, []byte(wsdl.DefaultAddress))
	s.wsdlHead, s.wsdlTail = doc[:i], doc[i+len(wsdl.DefaultAddress):]
	return s
}

// Handle registers fn for the spec operation with that name (one of
// Operations). Like http.ServeMux, it panics on an unknown name or a
// second registration, both programming errors.
func (s *Server) Handle(name string, fn HandlerFunc) {
	for _, op := range Operations() {
		if op.Name == name {
			s.HandleOperation(op, fn)
			return
		}
	}
	panic(fmt.Sprintf("soap: Handle(%q): not an apiws operation", name))
}

// HandleOperation registers fn for op, which need not be in the WSDL (e.g.
// an operation only benchmarks call). It panics when op.Name is empty, fn
// is nil, or op.Name is registered already.
func (s *Server) HandleOperation(op Operation, fn HandlerFunc) {
	if op.Name == "" || fn == nil {
		panic("soap: HandleOperation needs an operation name and a handler")
	}
	op.Params = append([]Param(nil), op.Params...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.routes[op.Name]; dup {
		panic(fmt.Sprintf("soap: operation %q registered twice", op.Name))
	}
	s.routes[op.Name] = route{op: op, fn: fn}
}

// ServeHTTP answers GET/HEAD ?wsdl with the WSDL and POST with a SOAP response or fault.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if !wantsWSDL(r) {
			http.Error(w, "POST a SOAP 1.1 envelope, or GET ?wsdl for the service description", http.StatusMethodNotAllowed)
			return
		}
		s.serveWSDL(w, r)
	case http.MethodPost:
		s.serveCall(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func wantsWSDL(r *http.Request) bool {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "wsdl") {
			return true
		}
	}
	return false
}

// serveWSDL writes the WSDL with soap:address set to the URL of r: scheme
// from X-Forwarded-Proto (http or https) or the TLS state, host from the
// Host header, and the request path.
func (s *Server) serveWSDL(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); p != "" {
		if p = strings.ToLower(strings.TrimSpace(p)); p == "http" || p == "https" {
			scheme = p
		}
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	path := r.URL.Path
	if path == "" {
		path = Path
	}
	var b bytes.Buffer
	b.Grow(len(s.wsdlHead) + len(s.wsdlTail) + 128)
	b.Write(s.wsdlHead)
	escape(&b, scheme+"://"+host+path)
	b.Write(s.wsdlTail)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

// serveCall decodes, authorizes and runs one call.
func (s *Server) serveCall(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ip := s.clientIP(r)
	c, f := decodeCall(http.MaxBytesReader(w, r.Body, s.maxBody))
	if f != nil {
		s.log.LogAttrs(ctx, slog.LevelInfo, "soap: bad request", slog.String("client_ip", ip), slog.String("fault", f.Error()))
		s.writeFault(w, f)
		return
	}
	s.mu.RLock()
	rt, ok := s.routes[c.name]
	s.mu.RUnlock()
	if !ok {
		f := clientFault("unknown operation %s", c.name)
		for _, op := range Operations() {
			if op.Name == c.name {
				f = &fault{code: faultServer, reason: "operation " + c.name + " is not available"}
			}
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "soap: no handler", slog.String("op", c.name), slog.String("client_ip", ip))
		s.writeFault(w, f)
		return
	}
	req := &Request{Operation: rt.op.Name, ClientIP: ip, values: bind(&rt.op, c.args)}
	value, f := s.run(ctx, &rt, req)
	if f != nil {
		s.writeFault(w, f)
		return
	}
	body := encodeResponse(c, wsdl.Namespace, rt.op.Return, value)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// run authorizes req and runs the handler, returning the encoded result or a fault.
func (s *Server) run(ctx context.Context, rt *route, req *Request) (value string, f *fault) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.LogAttrs(ctx, slog.LevelError, "soap: handler panicked", slog.String("op", req.Operation), slog.Any("panic", p))
			value, f = "", &fault{code: faultServer, reason: "internal error"}
		}
	}()
	if err := s.authorize(ctx, rt, req); err != nil {
		return s.failure(ctx, rt, req, err, true)
	}
	result, err := rt.fn(ctx, req)
	if err != nil {
		return s.failure(ctx, rt, req, err, false)
	}
	value, err = encodeResult(rt.op.Return, result)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "soap: bad handler result", slog.String("op", req.Operation), slog.Any("error", err))
		return "", &fault{code: faultServer, reason: "internal error"}
	}
	return value, nil
}

// authorize checks req's access key, setting req.Key. A key-less call of an
// operation whose key is optional passes unless Config.RequireKey is set;
// an empty key counts as none.
func (s *Server) authorize(ctx context.Context, rt *route, req *Request) error {
	kp := rt.op.key()
	if kp == nil {
		return nil
	}
	key := req.Param(kp.Name)
	switch {
	case key == "" && kp.Optional && !s.requireKey:
		return nil
	case key == "":
		return centralita.Errorf(centralita.EUNAUTHORIZED, "no access key")
	case s.auth == nil:
		return centralita.Errorf(centralita.EUNAUTHORIZED, "no authenticator configured")
	}
	ak, err := s.auth.AuthenticateKey(ctx, key, req.ClientIP)
	if err != nil {
		return fmt.Errorf("soap: authenticate key: %w", err)
	}
	req.Key = ak
	return nil
}

// remoteIP is the default Config.ClientIP: the host part of RemoteAddr.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) writeFault(w http.ResponseWriter, f *fault) {
	body := encodeFault(f)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}
