package rest

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// AdminLoginRequest is the body of POST /api/v1/agents/{number}/login.
type AdminLoginRequest struct {
	// Interface is the phone calls are offered to, "SIP/101" or "PJSIP/101".
	Interface string `json:"interface"`
}

// AdminPauseRequest is the body of POST /api/v1/agents/{number}/pause.
type AdminPauseRequest struct {
	// Queues are the queues to pause in; empty means all of the agent's queues.
	Queues []string `json:"queues"`
	// Reason is a pause reason's name or code; optional.
	Reason string `json:"reason"`
}

// AdminUnpauseRequest is the body of POST /api/v1/agents/{number}/unpause.
type AdminUnpauseRequest struct {
	// Queues are the queues to unpause in; empty means all of the agent's queues.
	Queues []string `json:"queues"`
}

// AdminPauseReasonInput is the body of PUT /api/v1/pause-reasons/{code}.
type AdminPauseReasonInput struct {
	Name string `json:"name"`
}

// listAgents answers every agent by number.
func (a *adminAPI) listAgents(c *echo.Context) error {
	as, err := a.cfg.Agents.FindAgents(c.Request().Context())
	if err != nil {
		return err
	}
	if as == nil {
		as = []*centralita.Agent{}
	}
	return c.JSON(http.StatusOK, as)
}

// getAgent answers one agent.
func (a *adminAPI) getAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	ag, err := a.cfg.Agents.FindAgent(c.Request().Context(), number)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ag)
}

// readAgent decodes and checks an agent body. The login state and the
// timestamps are read-only and ignored; number, when set, replaces the body's.
func readAgent(c *echo.Context, number string) (*centralita.Agent, error) {
	var ag centralita.Agent
	if err := adminDecode(c, &ag, false); err != nil {
		return nil, err
	}
	if number != "" {
		ag.Number = number
	}
	ag.Interface, ag.LoggedInAt = "", nil
	ag.CreatedAt, ag.UpdatedAt = time.Time{}, time.Time{}
	if err := ag.Validate(); err != nil {
		return nil, err
	}
	return &ag, nil
}

// createAgent stores a new agent; 201, 409 when the number or username is taken.
func (a *adminAPI) createAgent(c *echo.Context) error {
	ag, err := readAgent(c, "")
	if err != nil {
		return err
	}
	if err := a.cfg.Agents.CreateAgent(c.Request().Context(), ag); err != nil {
		return err
	}
	if err := a.applied(c, "agent "+ag.Number); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, AdminPrefix+"/agents/"+url.PathEscape(ag.Number))
	return c.JSON(http.StatusCreated, ag)
}

// replaceAgent replaces an agent's username, name and email; the path names the agent.
func (a *adminAPI) replaceAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	ag, err := readAgent(c, number)
	if err != nil {
		return err
	}
	if err := a.cfg.Agents.UpdateAgent(c.Request().Context(), ag); err != nil {
		return err
	}
	if err := a.applied(c, "agent "+ag.Number); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ag)
}

// deleteAgent removes an agent and its memberships; 204.
func (a *adminAPI) deleteAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	if err := a.cfg.Agents.DeleteAgent(c.Request().Context(), number); err != nil {
		return err
	}
	if err := a.applied(c, "deletion of agent "+number); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// loginAgent logs the agent in at an interface; 204.
func (a *adminAPI) loginAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	var in AdminLoginRequest
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	if in.Interface == "" {
		return centralita.Errorf(centralita.EINVALID, "interface is required, e.g. \"SIP/101\"")
	}
	if err := a.cfg.ACD.Login(c.Request().Context(), number, in.Interface); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// logoutAgent logs the agent out of all its queues; 204. No body is read.
func (a *adminAPI) logoutAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	if err := a.cfg.ACD.Logout(c.Request().Context(), number); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// pauseAgent pauses the agent in some or (empty body or queues) all of its queues; 204.
func (a *adminAPI) pauseAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	var in AdminPauseRequest
	if err := adminDecode(c, &in, true); err != nil {
		return err
	}
	if err := adminCheckQueues(in.Queues); err != nil {
		return err
	}
	if err := a.cfg.ACD.Pause(c.Request().Context(), number, in.Queues, in.Reason); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// unpauseAgent ends the agent's pause in some or (empty body or queues) all of its queues; 204.
func (a *adminAPI) unpauseAgent(c *echo.Context) error {
	number, err := adminParam(c, "number")
	if err != nil {
		return err
	}
	var in AdminUnpauseRequest
	if err := adminDecode(c, &in, true); err != nil {
		return err
	}
	if err := adminCheckQueues(in.Queues); err != nil {
		return err
	}
	if err := a.cfg.ACD.Unpause(c.Request().Context(), number, in.Queues); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// adminCheckQueues rejects empty queue names in a pause or unpause list.
func adminCheckQueues(queues []string) error {
	for _, q := range queues {
		if q == "" {
			return centralita.Errorf(centralita.EINVALID, "queues must not contain an empty name")
		}
	}
	return nil
}

// listPauseReasons answers every pause reason by code.
func (a *adminAPI) listPauseReasons(c *echo.Context) error {
	rs, err := a.cfg.Agents.FindPauseReasons(c.Request().Context())
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []*centralita.PauseReason{}
	}
	return c.JSON(http.StatusOK, rs)
}

// setPauseReason creates (201) or renames (200) the pause reason with that code.
func (a *adminAPI) setPauseReason(c *echo.Context) error {
	code, err := adminParam(c, "code")
	if err != nil {
		return err
	}
	var in AdminPauseReasonInput
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	switch {
	case len(code) > 32:
		return centralita.Errorf(centralita.EINVALID, "pause reason code must have 1 to 32 characters")
	case in.Name == "" || len(in.Name) > 128:
		return centralita.Errorf(centralita.EINVALID, "pause reason name must have 1 to 128 characters")
	}
	ctx := c.Request().Context()
	rs, err := a.cfg.Agents.FindPauseReasons(ctx)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	for _, r := range rs {
		if r.Code == code {
			status = http.StatusOK
			break
		}
	}
	r := &centralita.PauseReason{Code: code, Name: in.Name}
	if err := a.cfg.Agents.SetPauseReason(ctx, r); err != nil {
		return err
	}
	if err := a.applied(c, "pause reason "+code); err != nil {
		return err
	}
	return c.JSON(status, r)
}

// deletePauseReason removes a pause reason; 204.
func (a *adminAPI) deletePauseReason(c *echo.Context) error {
	code, err := adminParam(c, "code")
	if err != nil {
		return err
	}
	if err := a.cfg.Agents.DeletePauseReason(c.Request().Context(), code); err != nil {
		return err
	}
	if err := a.applied(c, "deletion of pause reason "+code); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
