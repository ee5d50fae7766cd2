package arisim

import (
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func (s *Server) getInfo(_ *http.Request, p params) *resp {
	parts := map[string][]byte{
		"build": newObj().str("os", "Linux").str("kernel", "6.1.0-arisim").str("machine", "x86_64").
			str("options", "OPTIONAL_API").str("date", s.startup.UTC().Format("2006-01-02 15:04:05 UTC")).str("user", "root").bytes(),
		"system": newObj().str("version", asteriskVersion).str("entity_id", s.cfg.AsteriskID).bytes(),
		"config": newObj().str("name", "").str("default_language", "en").
			raw("setid", newObj().str("user", "").str("group", "").bytes()).bytes(),
		"status": newObj().str("startup_time", formatTS(s.startup)).str("last_reload_time", formatTS(s.startup)).bytes(),
	}
	want := map[string]bool{}
	if only := p.get("only"); only != "" {
		for _, k := range strings.Split(only, ",") {
			want[strings.TrimSpace(k)] = true
		}
	}
	o := newObj()
	for _, k := range []string{"build", "system", "config", "status"} {
		if len(want) == 0 || want[k] {
			o.raw(k, parts[k])
		}
	}
	return okResp(o.bytes())
}

func (s *Server) ping(*http.Request, params) *resp {
	return okResp(newObj().str("ping", "pong").str("timestamp", formatTS(s.now())).str("asterisk_id", s.cfg.AsteriskID).bytes())
}

// modules are the loaded modules the simulator reports.
func modules() [][3]string {
	return [][3]string{
		{"res_ari.so", "Asterisk RESTful Interface", "core"},
		{"res_stasis.so", "Stasis application support", "core"},
		{"chan_pjsip.so", "PJSIP Channel Driver", "core"},
		{"app_dial.so", "Dialing Application", "core"},
		{"res_pjsip.so", "Basic SIP resource", "core"},
	}
}

func moduleJSON(m [3]string) []byte {
	return newObj().str("name", m[0]).str("description", m[1]).num("use_count", 12).
		str("status", "Running").str("support_level", m[2]).bytes()
}

func (s *Server) listModules(*http.Request, params) *resp {
	var items [][]byte
	for _, m := range modules() {
		items = append(items, moduleJSON(m))
	}
	return okResp(rawArray(items))
}

func findModule(name string) ([3]string, bool) {
	for _, m := range modules() {
		if m[0] == name {
			return m, true
		}
	}
	return [3]string{}, false
}

func (s *Server) getModule(_ *http.Request, p params) *resp {
	m, ok := findModule(p.path["moduleName"])
	if !ok {
		return errResp(404, "Not Found", "Module could not be found in running modules")
	}
	return okResp(moduleJSON(m))
}

func (s *Server) moduleOp(_ *http.Request, p params) *resp {
	if _, ok := findModule(p.path["moduleName"]); !ok {
		return errResp(404, "Not Found", "Module not found in running modules")
	}
	return noContent()
}

func (s *Server) listLogging(*http.Request, params) *resp {
	ch := newObj().str("channel", "/var/log/asterisk/messages").str("type", "FILE").
		str("status", "Enabled").str("configuration", "notice,warning,error").bytes()
	return okResp(rawArray([][]byte{ch}))
}

func (s *Server) getGlobalVar(_ *http.Request, p params) *resp {
	name := p.get("variable")
	if name == "" {
		return errResp(400, "Bad Request", "Variable name is required")
	}
	return okResp(newObj().str("value", s.st.globals[name]).bytes())
}

func (s *Server) setGlobalVar(_ *http.Request, p params) *resp {
	name := p.get("variable")
	if name == "" {
		return errResp(400, "Bad Request", "Variable name is required")
	}
	if v, ok := p.lookup("value"); ok {
		s.st.globals[name] = v
	} else {
		delete(s.st.globals, name)
	}
	return noContent()
}

func (s *Server) listEndpoints(*http.Request, params) *resp {
	items := make([][]byte, 0, len(s.st.epList))
	for _, ep := range s.st.epList {
		items = append(items, ep.json())
	}
	return okResp(rawArray(items))
}

func (s *Server) listEndpointsByTech(_ *http.Request, p params) *resp {
	tech := p.path["tech"]
	var items [][]byte
	for _, ep := range s.st.epList {
		if strings.EqualFold(ep.cfg.Technology, tech) {
			items = append(items, ep.json())
		}
	}
	if items == nil {
		return errResp(404, "Not Found", "No Endpoints found - invalid tech "+tech)
	}
	return okResp(rawArray(items))
}

func (s *Server) getEndpoint(_ *http.Request, p params) *resp {
	ep := s.st.endpoints[p.path["tech"]+"/"+p.path["resource"]]
	if ep == nil {
		return errResp(404, "Not Found", "Endpoint not found")
	}
	return okResp(ep.json())
}

func (s *Server) sendMessage(_ *http.Request, p params) *resp {
	if p.path["tech"] == "" && p.get("to") == "" {
		return errResp(400, "Bad Request", "To must be specified")
	}
	if p.get("from") == "" {
		return errResp(400, "Bad Request", "From must be specified")
	}
	return &resp{status: 202, reason: "Accepted"}
}

func (s *Server) listApps(*http.Request, params) *resp {
	items := make([][]byte, 0, len(s.st.appList))
	for _, a := range s.st.appList {
		items = append(items, a.json())
	}
	return okResp(rawArray(items))
}

func (s *Server) getApp(_ *http.Request, p params) *resp {
	a := s.st.apps[p.path["applicationName"]]
	if a == nil {
		return errResp(404, "Not Found", "Application not found")
	}
	return okResp(a.json())
}

// subscribeHandler is POST and DELETE /applications/{app}/subscription.
func (s *Server) subscribeHandler(r *http.Request, p params) *resp {
	src := p.get("eventSource")
	if src == "" {
		return errResp(400, "Bad Request", "Missing parameter eventSource")
	}
	sources := strings.Split(src, ",")
	for _, es := range sources {
		scheme, _, _ := strings.Cut(es, ":")
		switch scheme {
		case "channel", "bridge", "endpoint", "deviceState":
		default:
			return errResp(400, "Bad Request", "Invalid event source URI scheme")
		}
	}
	a := s.st.apps[p.path["applicationName"]]
	if a == nil {
		return errResp(404, "Not Found", "Application not found")
	}
	sub := r.Method == http.MethodPost
	for _, es := range sources {
		scheme, name, _ := strings.Cut(es, ":")
		var exists, subscribed bool
		switch scheme {
		case "channel":
			c := s.channelByID(name)
			exists, subscribed = c != nil, c != nil && c.subs[a.name] > 0
		case "bridge":
			b := s.st.bridges[name]
			exists, subscribed = b != nil, b != nil && b.subs[a.name] > 0
		case "endpoint":
			_, exists = s.st.endpoints[name]
			if !exists && !strings.Contains(name, "/") {
				for _, ep := range s.st.epList {
					exists = exists || strings.EqualFold(ep.cfg.Technology, name)
				}
			}
			subscribed = containsString(a.endpoints, name)
		case "deviceState":
			exists, subscribed = name != "", containsString(a.devices, name)
		}
		if sub && !exists {
			return errResp(422, "Unprocessable Entity", "Event source does not exist")
		}
		if !sub && (!exists || !subscribed) {
			if !exists && scheme != "endpoint" {
				return errResp(422, "Unprocessable Entity", "Event source does not exist")
			}
			return errResp(422, "Unprocessable Entity", "Event source was not subscribed to")
		}
	}
	for _, es := range sources {
		scheme, name, _ := strings.Cut(es, ":")
		switch scheme {
		case "channel":
			if c := s.channelByID(name); sub {
				s.subscribe(c, a.name)
			} else {
				s.unsubscribe(c, a.name)
			}
		case "bridge":
			if b := s.st.bridges[name]; sub {
				s.subscribeBridge(b, a.name)
			} else {
				s.unsubscribeBridge(b, a.name)
			}
		case "endpoint":
			if sub {
				if !containsString(a.endpoints, name) {
					a.endpoints = append(a.endpoints, name)
				}
			} else {
				a.endpoints, _ = removeString(a.endpoints, name)
			}
		case "deviceState":
			if sub {
				if !containsString(a.devices, name) {
					a.devices = append(a.devices, name)
				}
			} else {
				a.devices, _ = removeString(a.devices, name)
			}
		}
	}
	return okResp(a.json())
}

// validDeviceState reports whether st is an Asterisk device state name.
func validDeviceState(st string) bool {
	switch st {
	case "UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD":
		return true
	}
	return false
}

func deviceJSON(name, st string) []byte { return newObj().str("name", name).str("state", st).bytes() }

func (s *Server) listDeviceStates(*http.Request, params) *resp {
	names := slices.Sorted(maps.Keys(s.st.devStates))
	items := make([][]byte, 0, len(names))
	for _, n := range names {
		items = append(items, deviceJSON(n, s.st.devStates[n]))
	}
	return okResp(rawArray(items))
}

func (s *Server) getDeviceState(_ *http.Request, p params) *resp {
	name := p.path["deviceName"]
	st, ok := s.st.devStates[name]
	if !ok {
		st = "UNKNOWN"
		if v, cached := s.st.devCache[strings.Replace(name, ":", "/", 1)]; cached && !strings.HasPrefix(name, "Stasis:") {
			st = v
		}
	}
	return okResp(deviceJSON(name, st))
}

func (s *Server) putDeviceState(_ *http.Request, p params) *resp {
	name := p.path["deviceName"]
	st := p.get("deviceState")
	if st == "" {
		return errResp(400, "Bad Request", "Missing parameter deviceState")
	}
	if !strings.HasPrefix(name, "Stasis:") {
		return errResp(409, "Conflict", "Uncontrolled device specified")
	}
	if !validDeviceState(st) {
		return errResp(500, "Internal Server Error", "Unknown device")
	}
	s.st.devStates[name] = st
	s.publishDevice(name, st)
	return noContent()
}

func (s *Server) deleteDeviceState(_ *http.Request, p params) *resp {
	name := p.path["deviceName"]
	if !strings.HasPrefix(name, "Stasis:") {
		return errResp(409, "Conflict", "Uncontrolled device specified")
	}
	if _, ok := s.st.devStates[name]; !ok {
		return errResp(404, "Not Found", "Device not found")
	}
	delete(s.st.devStates, name)
	s.st.devCache[name] = "UNKNOWN"
	return noContent()
}

func mailboxJSON(name string, v [2]int) []byte {
	return newObj().str("name", name).num("old_messages", int64(v[0])).num("new_messages", int64(v[1])).bytes()
}

func (s *Server) listMailboxes(*http.Request, params) *resp {
	names := slices.Sorted(maps.Keys(s.st.mailboxes))
	items := make([][]byte, 0, len(names))
	for _, n := range names {
		items = append(items, mailboxJSON(n, s.st.mailboxes[n]))
	}
	return okResp(rawArray(items))
}

func (s *Server) getMailbox(_ *http.Request, p params) *resp {
	v, ok := s.st.mailboxes[p.path["mailboxName"]]
	if !ok {
		return errResp(404, "Not Found", "Mailbox not found")
	}
	return okResp(mailboxJSON(p.path["mailboxName"], v))
}

func (s *Server) putMailbox(_ *http.Request, p params) *resp {
	oldS, ok1 := p.lookup("oldMessages")
	newS, ok2 := p.lookup("newMessages")
	if !ok1 || !ok2 {
		return errResp(400, "Bad Request", "Missing parameter oldMessages or newMessages")
	}
	o, _ := strconv.Atoi(oldS)
	n, _ := strconv.Atoi(newS)
	s.st.mailboxes[p.path["mailboxName"]] = [2]int{o, n}
	return noContent()
}

func (s *Server) deleteMailbox(_ *http.Request, p params) *resp {
	if _, ok := s.st.mailboxes[p.path["mailboxName"]]; !ok {
		return errResp(404, "Not Found", "Mailbox not found")
	}
	delete(s.st.mailboxes, p.path["mailboxName"])
	return noContent()
}

// userEventHandler is POST /events/user/{eventName}: a ChannelUserevent to
// one application.
func (s *Server) userEventHandler(_ *http.Request, p params) *resp {
	appName := p.get("application")
	if appName == "" {
		return errResp(400, "Bad Request", "Missing parameter application")
	}
	vars, e := p.variables()
	if e != nil {
		return e
	}
	a := s.st.apps[appName]
	if a == nil {
		return errResp(404, "Not Found", "Application not found")
	}
	name := p.path["eventName"]
	ue := newObj()
	for _, kv := range vars {
		ue.str(kv[0], kv[1])
	}
	ue.str("eventname", name)
	o := newObj().str("eventname", name).raw("userevent", ue.bytes())
	if src := p.get("source"); src != "" {
		for _, es := range strings.Split(src, ",") {
			scheme, id, _ := strings.Cut(es, ":")
			switch scheme {
			case "endpoint":
				ep := s.st.endpoints[id]
				if ep == nil {
					return errResp(422, "Unprocessable Entity", "Event source not found")
				}
				o.raw("endpoint", ep.json())
			case "channel":
				c := s.channelByID(id)
				if c == nil {
					return errResp(422, "Unprocessable Entity", "Event source not found")
				}
				o.raw("channel", c.json())
			case "bridge":
				b := s.st.bridges[id]
				if b == nil {
					return errResp(422, "Unprocessable Entity", "Event source not found")
				}
				o.raw("bridge", b.json())
			default:
				return errResp(400, "Bad Request", "Invalid event source URI scheme")
			}
		}
	}
	s.publish(s.newEvent("ChannelUserevent", o), route{only: a.name})
	return noContent()
}

// sortPairs orders key/value pairs by key.
func sortPairs(kv [][2]string) {
	sort.Slice(kv, func(i, j int) bool { return kv[i][0] < kv[j][0] })
}
