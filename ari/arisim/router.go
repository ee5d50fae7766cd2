package arisim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// params are a request's parameters: the query string, then the members of
// a JSON object body, as Asterisk merges them.
type params struct {
	q    url.Values
	body map[string]any
	path map[string]string
}

// get returns a parameter, or "" when absent.
func (p params) get(k string) string {
	v, _ := p.lookup(k)
	return v
}

// lookup returns a parameter and whether it was given.
func (p params) lookup(k string) (string, bool) {
	if vs, ok := p.q[k]; ok && len(vs) > 0 {
		return vs[0], true
	}
	if v, ok := p.body[k]; ok {
		switch x := v.(type) {
		case string:
			return x, true
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case bool:
			return strconv.FormatBool(x), true
		}
	}
	return "", false
}

// intParam parses an integer parameter the way Asterisk's atoi does:
// garbage reads as 0.
func (p params) intParam(k string, def int) int {
	v, ok := p.lookup(k)
	if !ok || v == "" {
		return def
	}
	n := 0
	neg := false
	for i, ch := range v {
		if i == 0 && (ch == '-' || ch == '+') {
			neg = ch == '-'
			continue
		}
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int(ch-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// boolParam parses a boolean parameter.
func (p params) boolParam(k string) bool {
	switch strings.ToLower(p.get(k)) {
	case "true", "yes", "1", "on":
		return true
	}
	return false
}

// variables returns the "variables" object of the body, in a stable order.
func (p params) variables() ([][2]string, *resp) {
	raw, ok := p.body["variables"]
	if !ok || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, errResp(400, "Bad Request", "Only string values in the 'variables' object allowed")
	}
	var out [][2]string
	for k, v := range m {
		sv, ok := v.(string)
		if !ok {
			return nil, errResp(400, "Bad Request", "Only string values in the 'variables' object allowed")
		}
		out = append(out, [2]string{k, sv})
	}
	sortPairs(out)
	return out, nil
}

// resp is a response to write.
type resp struct {
	status  int
	reason  string
	body    []byte // JSON unless ctype says otherwise
	ctype   string
	headers [][2]string
}

func errResp(status int, reason, msg string) *resp {
	return &resp{status: status, reason: reason, body: newObj().str("message", msg).bytes()}
}

func okResp(body []byte) *resp { return &resp{status: 200, reason: "OK", body: body} }

func noContent() *resp { return &resp{status: 204, reason: "No Content"} }

func allocFailed() *resp {
	return &resp{status: 500, reason: "Internal Server Error", body: newObj().str("error", "Allocation failed").bytes()}
}

func errChannelNotFound() *resp { return errResp(404, "Not Found", "Channel not found") }

// writeJSON writes an ARI JSON response.
func writeJSON(w http.ResponseWriter, status int, reason string, body []byte) {
	writeResp(w, &resp{status: status, reason: reason, body: body})
}

// writeResp writes r with Asterisk's header names ("Content-type" with a
// lower-case t) and, when Asterisk uses a non-standard reason phrase (such
// as "404 Channel Not Found"), with that exact status line; net/http cannot
// write custom phrases, so those responses are written on the hijacked
// connection, which is then closed.
func writeResp(w http.ResponseWriter, r *resp) {
	hdrs := [][2]string{{"Cache-Control", "no-cache, no-store"}}
	hdrs = append(hdrs, r.headers...)
	if r.body != nil {
		ct := r.ctype
		name := "Content-Type"
		if ct == "" {
			ct, name = "application/json", "Content-type"
		}
		hdrs = append(hdrs, [2]string{name, ct}, [2]string{"Content-Length", strconv.Itoa(len(r.body))})
	}
	if r.reason != "" && r.reason != http.StatusText(r.status) {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, buf, err := hj.Hijack(); err == nil {
				defer func() { _ = conn.Close() }()
				server := w.Header().Get("Server")
				fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\nConnection: close\r\n",
					r.status, r.reason, server, time.Now().UTC().Format(http.TimeFormat))
				for _, kv := range hdrs {
					fmt.Fprintf(buf, "%s: %s\r\n", kv[0], kv[1])
				}
				if r.body == nil {
					buf.WriteString("Content-Length: 0\r\n")
				}
				buf.WriteString("\r\n")
				_, _ = buf.Write(r.body)
				_ = buf.Flush()
				return
			}
		}
	}
	h := w.Header()
	for _, kv := range hdrs {
		h[kv[0]] = []string{kv[1]}
	}
	if r.body == nil || r.ctype == "" {
		h["Content-Type"] = nil
	}
	w.WriteHeader(r.status)
	if r.body != nil {
		_, _ = w.Write(r.body)
	}
}

type handler func(s *Server, r *http.Request, p params) *resp

// ariRoute is one path pattern and its methods.
type ariRoute struct {
	segs    []string
	methods map[string]handler
}

func (rt *ariRoute) allow() string {
	out := []string{"OPTIONS"}
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if rt.methods[m] != nil {
			out = append(out, m)
		}
	}
	return strings.Join(out, ",")
}

func (rt *ariRoute) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var vars map[string]string
	for i, p := range rt.segs {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[p[1:len(p)-1]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return vars, true
}

// serveARI authenticates and dispatches one /ari/ request.
func (s *Server) serveARI(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.writeUnauthorized(w)
		return
	}
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.EscapedPath(), "/ari"), "/")
	var segs []string
	for _, seg := range strings.Split(path, "/") {
		u, err := url.PathUnescape(seg)
		if err != nil {
			u = seg
		}
		segs = append(segs, u)
	}
	var rt *ariRoute
	var vars map[string]string
	for _, cand := range s.routes {
		if v, ok := cand.match(segs); ok {
			rt, vars = cand, v
			break
		}
	}
	if rt == nil {
		writeResp(w, errResp(404, "Not Found", "Resource not found"))
		return
	}
	if r.Method == http.MethodOptions {
		writeResp(w, &resp{status: 204, reason: "No Content", headers: [][2]string{{"Allow", rt.allow()}}})
		return
	}
	h := rt.methods[r.Method]
	if h == nil {
		res := errResp(405, "Method Not Allowed", "Invalid method")
		res.headers = [][2]string{{"Allow", rt.allow()}}
		writeResp(w, res)
		return
	}
	p := params{q: r.URL.Query(), path: vars}
	if res := parseBody(r, &p); res != nil {
		writeResp(w, res)
		return
	}
	if len(segs) == 1 && segs[0] == "events" && r.Method == http.MethodGet {
		s.serveEvents(w, r, p)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeResp(w, errResp(503, "Service Unavailable", "Simulator closed"))
		return
	}
	res := h(s, r, p)
	s.mu.Unlock()
	writeResp(w, res)
}

// parseBody merges a JSON object body into p.
func parseBody(r *http.Request, p *params) *resp {
	if r.Body == nil {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errResp(400, "Bad Request", "Error parsing request body")
	}
	if len(strings.TrimSpace(string(data))) == 0 || ct != "application/json" {
		return nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return errResp(400, "Bad Request", "Error parsing request body")
	}
	if m, ok := v.(map[string]any); ok {
		p.body = m
	}
	return nil
}

func rt(pattern string, methods map[string]handler) *ariRoute {
	return &ariRoute{segs: strings.Split(pattern, "/"), methods: methods}
}

// ariRoutes is the ARI surface, in Asterisk's resource order.
func ariRoutes() []*ariRoute {
	return []*ariRoute{
		rt("asterisk/info", map[string]handler{"GET": (*Server).getInfo}),
		rt("asterisk/ping", map[string]handler{"GET": (*Server).ping}),
		rt("asterisk/modules", map[string]handler{"GET": (*Server).listModules}),
		rt("asterisk/modules/{moduleName}", map[string]handler{"GET": (*Server).getModule, "POST": (*Server).moduleOp, "PUT": (*Server).moduleOp, "DELETE": (*Server).moduleOp}),
		rt("asterisk/logging", map[string]handler{"GET": (*Server).listLogging}),
		rt("asterisk/logging/{logChannelName}", map[string]handler{"POST": notImplemented, "DELETE": notImplemented}),
		rt("asterisk/logging/{logChannelName}/rotate", map[string]handler{"PUT": notImplemented}),
		rt("asterisk/config/dynamic/{configClass}/{objectType}/{id}", map[string]handler{"GET": notImplemented, "PUT": notImplemented, "DELETE": notImplemented}),
		rt("asterisk/variable", map[string]handler{"GET": (*Server).getGlobalVar, "POST": (*Server).setGlobalVar}),
		rt("endpoints", map[string]handler{"GET": (*Server).listEndpoints}),
		rt("endpoints/sendMessage", map[string]handler{"PUT": (*Server).sendMessage}),
		rt("endpoints/refer", map[string]handler{"POST": notImplemented}),
		rt("endpoints/{tech}", map[string]handler{"GET": (*Server).listEndpointsByTech}),
		rt("endpoints/{tech}/{resource}", map[string]handler{"GET": (*Server).getEndpoint}),
		rt("endpoints/{tech}/{resource}/sendMessage", map[string]handler{"PUT": (*Server).sendMessage}),
		rt("endpoints/{tech}/{resource}/refer", map[string]handler{"POST": notImplemented}),
		rt("channels", map[string]handler{"GET": (*Server).listChannels, "POST": (*Server).originateHandler}),
		rt("channels/create", map[string]handler{"POST": (*Server).createHandler}),
		rt("channels/externalMedia", map[string]handler{"POST": notImplemented}),
		rt("channels/{channelId}", map[string]handler{"GET": (*Server).getChannel, "POST": (*Server).originateHandler, "DELETE": (*Server).hangupHandler}),
		rt("channels/{channelId}/continue", map[string]handler{"POST": (*Server).continueHandler}),
		rt("channels/{channelId}/move", map[string]handler{"POST": (*Server).moveHandler}),
		rt("channels/{channelId}/redirect", map[string]handler{"POST": notImplemented}),
		rt("channels/{channelId}/answer", map[string]handler{"POST": (*Server).answerHandler}),
		rt("channels/{channelId}/ring", map[string]handler{"POST": (*Server).noEventOp, "DELETE": (*Server).noEventOp}),
		rt("channels/{channelId}/progress", map[string]handler{"POST": (*Server).noEventOp}),
		rt("channels/{channelId}/dtmf", map[string]handler{"POST": (*Server).sendDTMFHandler}),
		rt("channels/{channelId}/mute", map[string]handler{"POST": (*Server).muteHandler, "DELETE": (*Server).muteHandler}),
		rt("channels/{channelId}/hold", map[string]handler{"POST": (*Server).noEventOp, "DELETE": (*Server).noEventOp}),
		rt("channels/{channelId}/moh", map[string]handler{"POST": (*Server).noEventOp, "DELETE": (*Server).noEventOp}),
		rt("channels/{channelId}/silence", map[string]handler{"POST": (*Server).noEventOp, "DELETE": (*Server).noEventOp}),
		rt("channels/{channelId}/play", map[string]handler{"POST": (*Server).playChannelHandler}),
		rt("channels/{channelId}/play/{playbackId}", map[string]handler{"POST": (*Server).playChannelHandler}),
		rt("channels/{channelId}/record", map[string]handler{"POST": (*Server).recordChannelHandler}),
		rt("channels/{channelId}/variable", map[string]handler{"GET": (*Server).getChanVarHandler, "POST": (*Server).setChanVarHandler}),
		rt("channels/{channelId}/snoop", map[string]handler{"POST": notImplemented}),
		rt("channels/{channelId}/snoop/{snoopId}", map[string]handler{"POST": notImplemented}),
		rt("channels/{channelId}/dial", map[string]handler{"POST": (*Server).dialHandler}),
		rt("channels/{channelId}/rtp_statistics", map[string]handler{"GET": notImplemented}),
		rt("channels/{channelId}/transfer_progress", map[string]handler{"POST": notImplemented}),
		rt("bridges", map[string]handler{"GET": (*Server).listBridges, "POST": (*Server).createBridgeHandler}),
		rt("bridges/{bridgeId}", map[string]handler{"GET": (*Server).getBridge, "POST": (*Server).createBridgeHandler, "DELETE": (*Server).destroyBridgeHandler}),
		rt("bridges/{bridgeId}/addChannel", map[string]handler{"POST": (*Server).addChannelHandler}),
		rt("bridges/{bridgeId}/removeChannel", map[string]handler{"POST": (*Server).removeChannelHandler}),
		rt("bridges/{bridgeId}/videoSource/{channelId}", map[string]handler{"POST": (*Server).bridgeNoop}),
		rt("bridges/{bridgeId}/videoSource", map[string]handler{"DELETE": (*Server).bridgeNoop}),
		rt("bridges/{bridgeId}/moh", map[string]handler{"POST": (*Server).bridgeMohHandler, "DELETE": (*Server).bridgeMohHandler}),
		rt("bridges/{bridgeId}/play", map[string]handler{"POST": (*Server).playBridgeHandler}),
		rt("bridges/{bridgeId}/play/{playbackId}", map[string]handler{"POST": (*Server).playBridgeHandler}),
		rt("bridges/{bridgeId}/record", map[string]handler{"POST": (*Server).recordBridgeHandler}),
		rt("recordings/stored", map[string]handler{"GET": (*Server).listStored}),
		rt("recordings/stored/{recordingName}", map[string]handler{"GET": (*Server).getStored, "DELETE": (*Server).deleteStored}),
		rt("recordings/stored/{recordingName}/file", map[string]handler{"GET": (*Server).getStoredFile}),
		rt("recordings/stored/{recordingName}/copy", map[string]handler{"POST": (*Server).copyStored}),
		rt("recordings/live/{recordingName}", map[string]handler{"GET": (*Server).getLive, "DELETE": (*Server).cancelLive}),
		rt("recordings/live/{recordingName}/stop", map[string]handler{"POST": (*Server).stopLive}),
		rt("recordings/live/{recordingName}/pause", map[string]handler{"POST": (*Server).pauseLive, "DELETE": (*Server).pauseLive}),
		rt("recordings/live/{recordingName}/mute", map[string]handler{"POST": (*Server).muteLive, "DELETE": (*Server).muteLive}),
		rt("sounds", map[string]handler{"GET": (*Server).listSounds}),
		rt("sounds/{soundId}", map[string]handler{"GET": (*Server).getSound}),
		rt("playbacks/{playbackId}", map[string]handler{"GET": (*Server).getPlayback, "DELETE": (*Server).stopPlayback}),
		rt("playbacks/{playbackId}/control", map[string]handler{"POST": (*Server).controlPlayback}),
		rt("deviceStates", map[string]handler{"GET": (*Server).listDeviceStates}),
		rt("deviceStates/{deviceName}", map[string]handler{"GET": (*Server).getDeviceState, "PUT": (*Server).putDeviceState, "DELETE": (*Server).deleteDeviceState}),
		rt("mailboxes", map[string]handler{"GET": (*Server).listMailboxes}),
		rt("mailboxes/{mailboxName}", map[string]handler{"GET": (*Server).getMailbox, "PUT": (*Server).putMailbox, "DELETE": (*Server).deleteMailbox}),
		rt("applications", map[string]handler{"GET": (*Server).listApps}),
		rt("applications/{applicationName}", map[string]handler{"GET": (*Server).getApp}),
		rt("applications/{applicationName}/subscription", map[string]handler{"POST": (*Server).subscribeHandler, "DELETE": (*Server).subscribeHandler}),
		rt("applications/{applicationName}/eventFilter", map[string]handler{"PUT": notImplemented}),
		rt("events", map[string]handler{"GET": func(*Server, *http.Request, params) *resp { return nil }}),
		rt("events/user/{eventName}", map[string]handler{"POST": (*Server).userEventHandler}),
		rt("events/claim", map[string]handler{"POST": notImplemented}),
	}
}

// notImplemented answers operations the simulator does not model.
func notImplemented(*Server, *http.Request, params) *resp {
	return errResp(501, "Not Implemented", "Not implemented by arisim")
}
