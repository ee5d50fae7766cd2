package arisim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) listChannels(*http.Request, params) *resp {
	list := s.sortedChannels()
	items := make([][]byte, 0, len(list))
	for _, c := range list {
		items = append(items, c.json())
	}
	return okResp(rawArray(items))
}

func (s *Server) channelByID(id string) *channel {
	c := s.st.channels[id]
	if c == nil || c.kind == kindUnreal {
		return nil
	}
	return c
}

func (s *Server) getChannel(_ *http.Request, p params) *resp {
	c := s.channelByID(p.path["channelId"])
	if c == nil {
		return errChannelNotFound()
	}
	return okResp(c.json())
}

// controlled returns the channel named in the path if it is in Stasis.
func (s *Server) controlled(p params) (*channel, *resp) {
	c := s.channelByID(p.path["channelId"])
	if c == nil {
		return nil, errChannelNotFound()
	}
	if !c.inStasis {
		return nil, errResp(409, "Conflict", "Channel not in Stasis application")
	}
	return c, nil
}

// parseOutbound reads the parameters shared by originate and create.
func (s *Server) parseOutbound(p params, create bool) (*outbound, *resp) {
	o := &outbound{create: create}
	endpoint := p.get("endpoint")
	if endpoint == "" {
		return nil, errResp(400, "Bad Request", "Endpoint must be specified")
	}
	vars, e := p.variables()
	if e != nil {
		return nil, e
	}
	o.vars = vars
	o.id = p.path["channelId"]
	if o.id == "" {
		o.id = p.get("channelId")
	}
	o.otherID = p.get("otherChannelId")
	o.app = p.get("app")
	if args := p.get("appArgs"); args != "" {
		o.args = strings.Split(args, ",")
	}
	if create {
		if o.app == "" {
			return nil, errResp(400, "Bad Request", "Application name is required")
		}
	} else {
		if _, e := s.parseTargetSyntax(endpoint); e != nil {
			return nil, e
		}
		o.exten, o.context = p.get("extension"), p.get("context")
		o.priority = p.intParam("priority", 1)
		if o.app == "" && o.exten == "" {
			return nil, errResp(400, "Bad Request", "Application or extension must be specified")
		}
		if o.app == "" && o.context == "" {
			o.context = "default"
		}
		o.callerID = p.get("callerId")
		switch t := p.intParam("timeout", 30); {
		case t > 0:
			o.timeout = time.Duration(t) * time.Second
		case t == 0:
			o.timeout = 30 * time.Second
		}
	}
	if orig := p.get("originator"); orig != "" {
		oc := s.channelByID(orig)
		if oc == nil {
			return nil, errResp(400, "Bad Request", "Provided originator channel was not found")
		}
		o.linkedID = oc.linkedID
		if create {
			o.originApp = oc
		}
	}
	t, e := s.parseTarget(endpoint)
	if e != nil {
		return nil, e
	}
	o.target = t
	if (o.id != "" && s.channelIDInUse(o.id)) || (o.otherID != "" && s.channelIDInUse(o.otherID)) {
		return nil, errResp(409, "Conflict", "Channel with given unique ID already exists")
	}
	return o, nil
}

// parseTargetSyntax checks only the tech/resource shape of an endpoint.
func (s *Server) parseTargetSyntax(endpoint string) (string, *resp) {
	tech, res, ok := strings.Cut(endpoint, "/")
	if !ok || tech == "" || res == "" {
		return "", errResp(400, "Bad Request", "Invalid endpoint specified")
	}
	return tech, nil
}

func (s *Server) originateHandler(_ *http.Request, p params) *resp {
	o, e := s.parseOutbound(p, false)
	if e != nil {
		return e
	}
	return okResp(s.originate(o))
}

func (s *Server) createHandler(_ *http.Request, p params) *resp {
	o, e := s.parseOutbound(p, true)
	if e != nil {
		return e
	}
	return okResp(s.createChannel(o))
}

func (s *Server) hangupHandler(_ *http.Request, p params) *resp {
	c := s.channelByID(p.path["channelId"])
	if c == nil {
		return errChannelNotFound()
	}
	cause := 16
	if code := p.get("reason_code"); code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			return errResp(400, "Bad Request", "Invalid reason for hangup provided")
		}
		cause = n
	} else if reason := p.get("reason"); reason != "" {
		n, ok := reasonCause(reason)
		if !ok {
			return errResp(400, "Bad Request", "Invalid reason for hangup provided")
		}
		cause = n
	}
	s.clientHangup(c, cause)
	return noContent()
}

func (s *Server) continueHandler(_ *http.Request, p params) *resp {
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	ctx, exten := p.get("context"), p.get("extension")
	prio := p.intParam("priority", 0)
	if ctx == "" && exten == "" && prio == 0 {
		prio = c.dp.priority + 1
	}
	if ctx == "" {
		ctx = c.dp.context
	}
	if exten == "" {
		exten = c.dp.exten
	}
	if prio <= 0 {
		prio = 1
	}
	if c.bridge != nil {
		s.leaveBridge(c, false)
	}
	s.leaveStasis(c)
	c.pbx = true
	s.execStep(c, ctx, exten, prio)
	return noContent()
}

func (s *Server) moveHandler(_ *http.Request, p params) *resp {
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	appName := p.get("app")
	if appName == "" {
		return errResp(400, "Bad Request", "Missing parameter app")
	}
	var args []string
	if a := p.get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	s.leaveStasis(c)
	if !s.enterStasis(c, appName, args) {
		s.hangup(c, hangupSpec{reqCause: 16, reqSoft: true, cause: 16})
	}
	return noContent()
}

func (s *Server) answerHandler(_ *http.Request, p params) *resp {
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	if c.state != "Up" && !c.dialing {
		s.answerChannel(c)
	}
	return noContent()
}

// noEventOp is ring, progress, hold, MOH and silence: accepted, no events.
func (s *Server) noEventOp(_ *http.Request, p params) *resp {
	if _, e := s.controlled(p); e != nil {
		return e
	}
	return noContent()
}

func (s *Server) sendDTMFHandler(_ *http.Request, p params) *resp {
	if _, e := s.controlled(p); e != nil {
		return e
	}
	if p.get("dtmf") == "" {
		return errResp(400, "Bad Request", "DTMF is required")
	}
	return noContent()
}

func (s *Server) muteHandler(_ *http.Request, p params) *resp {
	if _, e := s.controlled(p); e != nil {
		return e
	}
	switch p.get("direction") {
	case "", "both", "in", "out":
		return noContent()
	}
	return errResp(400, "Bad Request", "Invalid direction specified")
}

func (s *Server) dialHandler(_ *http.Request, p params) *resp {
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	caller := s.channelByID(p.get("caller"))
	if c.state != "Down" {
		return errResp(409, "Conflict", "Channel is not in the 'Down' state")
	}
	if !c.dialCreated {
		return errResp(409, "Conflict", "Dialing a channel not created by ARI")
	}
	var timeout time.Duration
	if t := p.intParam("timeout", 0); t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	s.dialCreatedChannel(c, caller, timeout)
	return noContent()
}

// writeFunction writes a dialplan function (CALLERID, CONNECTEDLINE, CDR)
// and publishes what Asterisk publishes for it; false for an unknown one.
func (s *Server) writeFunction(c *channel, expr, value string) bool {
	fn, arg, _ := strings.Cut(strings.TrimSuffix(expr, ")"), "(")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(fn) {
	case "CALLERID", "CONNECTEDLINE":
		target := &c.caller
		if strings.EqualFold(fn, "CONNECTEDLINE") {
			target = &c.connected
		}
		switch strings.ToLower(arg) {
		case "num", "number":
			target.number = value
		case "name":
			target.name = value
		case "all":
			target.name, target.number = parseCallerID(value)
		default:
			return false
		}
		if target == &c.caller {
			s.callerIDEvent(c)
		} else {
			s.chanEvent("ChannelConnectedLine", c, nil)
		}
		return true
	case "CDR":
		switch strings.ToLower(arg) {
		case "userfield":
			c.cdr.userField = value
		case "accountcode":
			c.cdr.accountCode = value
		case "":
			return false
		default:
			if c.cdr.vars == nil {
				c.cdr.vars = map[string]string{}
			}
			c.cdr.vars[arg] = value
		}
		return true
	}
	return false
}

// readFunction evaluates the dialplan functions the simulator knows.
func (s *Server) readFunction(c *channel, expr string) (string, bool) {
	fn, arg, _ := strings.Cut(strings.TrimSuffix(expr, ")"), "(")
	arg = strings.ToLower(strings.TrimSpace(arg))
	switch strings.ToUpper(fn) {
	case "CDR":
		switch arg {
		case "userfield":
			return c.cdr.userField, true
		case "accountcode":
			return c.cdr.accountCode, true
		case "uniqueid":
			return c.id, true
		case "linkedid":
			return c.linkedID, true
		case "channel":
			return c.name, true
		}
		v, ok := c.cdr.vars[arg]
		return v, ok
	case "CALLERID":
		return partyField(c.caller, arg)
	case "CONNECTEDLINE":
		return partyField(c.connected, arg)
	case "CHANNEL":
		switch arg {
		case "name":
			return c.name, true
		case "state":
			return c.state, true
		case "uniqueid":
			return c.id, true
		case "linkedid":
			return c.linkedID, true
		case "language":
			return "en", true
		case "channeltype":
			return c.tech, true
		case "accountcode":
			return "", true
		case "endpoint":
			if c.ep != nil {
				return c.ep.cfg.Resource, true
			}
			return c.trunk, true
		}
	}
	return "", false
}

func partyField(p party, arg string) (string, bool) {
	switch arg {
	case "num", "number":
		return p.number, true
	case "name":
		return p.name, true
	case "all":
		return p.String(), true
	}
	return "", false
}

func (s *Server) getChanVarHandler(_ *http.Request, p params) *resp {
	name := p.get("variable")
	if name == "" {
		return errResp(400, "Bad Request", "Variable name is required")
	}
	c := s.channelByID(p.path["channelId"])
	if c == nil {
		return errResp(404, "Channel Not Found", "Provided channel was not found")
	}
	var val string
	if strings.HasSuffix(name, ")") {
		v, ok := s.readFunction(c, name)
		if !ok {
			return errResp(500, "Error With Function", "Unable to read provided function")
		}
		val = v
	} else {
		v, ok := c.vars[name]
		if !ok || v == "" {
			v, ok = s.builtinVar(c, name)
		}
		if !ok || v == "" {
			return errResp(404, "Variable Not Found", "Provided variable was not found")
		}
		val = v
	}
	return okResp(newObj().str("value", val).bytes())
}

// builtinVar is a variable Asterisk computes, or a global one.
func (s *Server) builtinVar(c *channel, name string) (string, bool) {
	switch name {
	case "CHANNEL":
		return c.name, true
	case "UNIQUEID":
		return c.id, true
	case "EXTEN":
		return c.dp.exten, true
	case "CONTEXT":
		return c.dp.context, true
	case "PRIORITY":
		return strconv.Itoa(c.dp.priority), true
	}
	v, ok := s.st.globals[name]
	return v, ok
}

func (s *Server) setChanVarHandler(_ *http.Request, p params) *resp {
	name := p.get("variable")
	if name == "" {
		return errResp(400, "Bad Request", "Variable name is required")
	}
	c, e := s.controlled(p)
	if e != nil {
		return e
	}
	value, has := p.lookup("value")
	if strings.HasSuffix(name, ")") {
		if !s.writeFunction(c, name, value) {
			return errResp(400, "Bad Request", "Failed to execute function")
		}
		return noContent()
	}
	if !has {
		delete(c.vars, name)
		return noContent()
	}
	s.setVar(c, name, value)
	return noContent()
}
