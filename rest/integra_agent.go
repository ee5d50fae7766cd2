package rest

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// Integra agent endpoints (rest-integra.md §4.1–4.3, §2.1).
//
// Any authenticated user or access key may call them, with one rule for
// users of role agent: they act only for themselves. Such a user must be an
// agent (its username is an agent's username); AgentCall and AgentLogoff
// must name that agent (by username or number); HangupPhone must name the
// agent's current phone (its interface "SIP/1001" or the bare extension
// "1001") and a non-empty AgentCall phone must dial it (tech + "/" + phone
// when phone is bare, tech defaulting to "SIP"). Anything else is 403.
// Supervisors, admins and access keys act for any agent.

// agentCall answers POST Agents/AgentCall (and Agents/AgentCallwithData
// when withData): a two-step call, the agent's phone first, then the
// destination. The answer is the call's GUID, or "0" with HTTP 200 when the
// ACD refused the call (C2). The form field context (the agent's Asterisk
// dialplan context in uContact) is accepted and ignored: the call is
// originated over ARI into Centralita's own Stasis application.
func (in *integra) agentCall(withData bool) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ctx := c.Request().Context()
		req := centralita.AgentCallRequest{
			Agent:       strings.TrimSpace(c.FormValue("agent")),
			Phone:       strings.TrimSpace(c.FormValue("phone")),
			Tech:        strings.TrimSpace(c.FormValue("tech")),
			Destination: strings.TrimSpace(c.FormValue("destination")),
			CallerID:    strings.TrimSpace(c.FormValue("callerid")),
			Queue:       c.FormValue("outqueue"), // opaque campaign name (C15)
		}
		if withData {
			req.Data, req.Form = c.FormValue("data"), c.FormValue("form")
		}
		req.Record = askRecording(c.FormValue("record"), req.Data)
		if self, err := in.selfAgent(ctx, c); err != nil {
			return err
		} else if self != nil {
			if !isAgent(self, req.Agent) {
				return centralita.Errorf(centralita.EFORBIDDEN, "agent user %q may only call as itself", self.Username)
			}
			if req.Phone != "" && !isAgentPhone(self, phoneInterface(req.Tech, req.Phone)) {
				return centralita.Errorf(centralita.EFORBIDDEN, "agent user %q may only call from its own phone", self.Username)
			}
		}
		id, err := in.cfg.ACD.AgentCall(ctx, req)
		if err != nil {
			in.logger.WarnContext(ctx, "integra: AgentCall failed", "agent", req.Agent, "phone", req.Phone, "destination", req.Destination, "queue", req.Queue, "err", err)
			return c.String(http.StatusOK, "0")
		}
		return c.String(http.StatusOK, id)
	}
}

// hangupPhone answers POST Agents/HangupPhone: it hangs up the calls of the
// agent's phone; "1" when done, "0" when not (no call, bad phone).
func (in *integra) hangupPhone(c *echo.Context) error {
	ctx := c.Request().Context()
	phone := strings.TrimSpace(c.FormValue("phone"))
	if self, err := in.selfAgent(ctx, c); err != nil {
		return err
	} else if self != nil && !isAgentPhone(self, phone) {
		return centralita.Errorf(centralita.EFORBIDDEN, "agent user %q may only hang up its own phone", self.Username)
	}
	if phone == "" {
		in.logger.WarnContext(ctx, "integra: HangupPhone without phone")
		return c.String(http.StatusOK, "0")
	}
	if err := in.cfg.ACD.HangupAgent(ctx, phone); err != nil {
		in.logger.WarnContext(ctx, "integra: HangupPhone failed", "phone", phone, "err", err)
		return c.String(http.StatusOK, "0")
	}
	return c.String(http.StatusOK, "1")
}

// agentLogoff answers POST api/AgentLogoff (§2.1): agent (a username, else
// an agent number) is logged out of all its queues; "1" when done, "0" when
// not. When interface is given and the agent is logged in at another
// interface, nothing is done and the answer is "0", so that a stale client
// cannot log off the agent's newer session. message is only logged.
func (in *integra) agentLogoff(c *echo.Context) error {
	ctx := c.Request().Context()
	name := strings.TrimSpace(c.FormValue("agent"))
	iface := strings.TrimSpace(c.FormValue("interface"))
	self, err := in.selfAgent(ctx, c)
	if err != nil {
		return err
	} else if self != nil && !isAgent(self, name) {
		return centralita.Errorf(centralita.EFORBIDDEN, "agent user %q may only log itself off", self.Username)
	}
	if name == "" {
		in.logger.WarnContext(ctx, "integra: AgentLogoff without agent")
		return c.String(http.StatusOK, "0")
	}
	a, err := in.findAgent(ctx, name)
	if err != nil {
		in.logger.WarnContext(ctx, "integra: AgentLogoff: agent not resolved", "agent", name, "err", err)
		return c.String(http.StatusOK, "0")
	}
	if iface != "" && a.Interface != "" && !strings.EqualFold(iface, a.Interface) {
		in.logger.WarnContext(ctx, "integra: AgentLogoff: agent logged in elsewhere", "agent", a.Number, "interface", iface, "logged_in_at", a.Interface)
		return c.String(http.StatusOK, "0")
	}
	if err := in.cfg.ACD.Logout(ctx, a.Number); err != nil {
		in.logger.WarnContext(ctx, "integra: AgentLogoff failed", "agent", a.Number, "err", err)
		return c.String(http.StatusOK, "0")
	}
	in.logger.InfoContext(ctx, "integra: agent logged off", "agent", a.Number, "message", c.FormValue("message"))
	return c.String(http.StatusOK, "1")
}

// findAgent resolves name as an agent username, else as an agent number.
func (in *integra) findAgent(ctx context.Context, name string) (*centralita.Agent, error) {
	a, err := in.cfg.Agents.FindAgentByUsername(ctx, name)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		return in.cfg.Agents.FindAgent(ctx, name)
	}
	return a, err
}

// selfAgent returns, for a user of role agent, the agent it is (403 when it
// is none); nil for every other principal, which may act for any agent.
func (in *integra) selfAgent(ctx context.Context, c *echo.Context) (*centralita.Agent, error) {
	p := PrincipalOf(c)
	if p == nil || p.User == nil || p.User.Role != centralita.RoleAgent {
		return nil, nil
	}
	a, err := in.cfg.Agents.FindAgentByUsername(ctx, p.User.Username)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		return nil, centralita.Errorf(centralita.EFORBIDDEN, "user %q is not an agent", p.User.Username)
	} else if err != nil {
		return nil, err
	}
	return a, nil
}

// isAgent reports whether name (a username or number) names a.
func isAgent(a *centralita.Agent, name string) bool {
	return name != "" && (name == a.Username || name == a.Number)
}

// phoneInterface is the interface AgentCall dials for phone: phone itself
// when it has a technology, else tech (default "SIP") + "/" + phone.
func phoneInterface(tech, phone string) string {
	if strings.Contains(phone, "/") {
		return phone
	}
	if tech == "" {
		tech = "SIP"
	}
	return tech + "/" + phone
}

// isAgentPhone reports whether phone is a's current phone: its interface
// ("SIP/1001", any case of the technology) or the interface's extension.
func isAgentPhone(a *centralita.Agent, phone string) bool {
	if a.Interface == "" || phone == "" {
		return false
	}
	if strings.EqualFold(phone, a.Interface) {
		return true
	}
	_, ext, ok := strings.Cut(a.Interface, "/")
	return ok && phone == ext
}

// askRecording reports whether an agent call asks to be recorded: the form
// field record (a Centralita extension, not in the manual) is 1 or true, or
// the call's data holds record=1 among its k=v pairs
// (centralita.AsksRecording).
func askRecording(field, data string) bool {
	field = strings.TrimSpace(field)
	return field == "1" || strings.EqualFold(field, "true") || centralita.AsksRecording(data)
}
