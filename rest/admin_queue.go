package rest

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// AdminMemberInput is the body of PUT /api/v1/queues/{name}/members/{agent}.
type AdminMemberInput struct {
	// Penalty orders agents: lower penalties are offered calls first.
	Penalty int `json:"penalty"`
	// Position orders members for the linear strategy.
	Position int `json:"position"`
}

// listQueues answers every queue by name.
func (a *adminAPI) listQueues(c *echo.Context) error {
	qs, err := a.cfg.Queues.FindQueues(c.Request().Context())
	if err != nil {
		return err
	}
	if qs == nil {
		qs = []*centralita.Queue{}
	}
	return c.JSON(http.StatusOK, qs)
}

// getQueue answers one queue.
func (a *adminAPI) getQueue(c *echo.Context) error {
	name, err := adminParam(c, "name")
	if err != nil {
		return err
	}
	q, err := a.cfg.Queues.FindQueue(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q)
}

// readQueue decodes a queue body, checks it and applies the defaults. The
// timestamps are read-only and ignored. name, when set, replaces the body's.
func (a *adminAPI) readQueue(c *echo.Context, name string) (*centralita.Queue, error) {
	var q centralita.Queue
	if err := adminDecode(c, &q, false); err != nil {
		return nil, err
	}
	if name != "" {
		q.Name = name
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	q = q.WithDefaults()
	q.CreatedAt, q.UpdatedAt = time.Time{}, time.Time{}
	if q.OverflowQueue != "" {
		if _, err := a.cfg.Queues.FindQueue(c.Request().Context(), q.OverflowQueue); err != nil {
			if centralita.ErrorKind(err) == centralita.ENOTFOUND {
				return nil, centralita.Errorf(centralita.EINVALID, "overflow queue %q does not exist", q.OverflowQueue)
			}
			return nil, err
		}
	}
	return &q, nil
}

// createQueue stores a new queue with the defaults applied; 201.
func (a *adminAPI) createQueue(c *echo.Context) error {
	q, err := a.readQueue(c, "")
	if err != nil {
		return err
	}
	if err := a.cfg.Queues.CreateQueue(c.Request().Context(), q); err != nil {
		return err
	}
	if err := a.applied(c, "queue "+q.Name); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, AdminPrefix+"/queues/"+url.PathEscape(q.Name))
	return c.JSON(http.StatusCreated, q)
}

// replaceQueue replaces a queue's configuration; the path names the queue.
func (a *adminAPI) replaceQueue(c *echo.Context) error {
	name, err := adminParam(c, "name")
	if err != nil {
		return err
	}
	q, err := a.readQueue(c, name)
	if err != nil {
		return err
	}
	if err := a.cfg.Queues.UpdateQueue(c.Request().Context(), q); err != nil {
		return err
	}
	if err := a.applied(c, "queue "+q.Name); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q)
}

// deleteQueue removes a queue and its memberships; 204.
func (a *adminAPI) deleteQueue(c *echo.Context) error {
	name, err := adminParam(c, "name")
	if err != nil {
		return err
	}
	if err := a.cfg.Queues.DeleteQueue(c.Request().Context(), name); err != nil {
		return err
	}
	if err := a.applied(c, "deletion of queue "+name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listMembers answers a queue's members in membership order; 404 for an unknown queue.
func (a *adminAPI) listMembers(c *echo.Context) error {
	name, err := adminParam(c, "name")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.cfg.Queues.FindQueue(ctx, name); err != nil {
		return err
	}
	ms, err := a.cfg.Queues.FindMembers(ctx, name, "")
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []*centralita.QueueMember{}
	}
	return c.JSON(http.StatusOK, ms)
}

// setMember adds an agent to a queue or changes its penalty and position,
// keeping its pause state; 201 when added, 200 when changed.
func (a *adminAPI) setMember(c *echo.Context) error {
	name, err := adminParam(c, "name")
	if err != nil {
		return err
	}
	agent, err := adminParam(c, "agent")
	if err != nil {
		return err
	}
	var in AdminMemberInput
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	if in.Penalty < 0 || in.Position < 0 {
		return centralita.Errorf(centralita.EINVALID, "penalty and position must not be negative")
	}
	ctx := c.Request().Context()
	existing, err := a.cfg.Queues.FindMembers(ctx, name, agent)
	if err != nil {
		return err
	}
	m := &centralita.QueueMember{Queue: name, Agent: agent}
	status := http.StatusCreated
	if len(existing) > 0 {
		m, status = existing[0], http.StatusOK
	}
	m.Penalty, m.Position = in.Penalty, in.Position
	if err := a.cfg.Queues.SetMember(ctx, m); err != nil {
		return err
	}
	if err := a.applied(c, "membership of agent "+agent+" in queue "+name); err != nil {
		return err
	}
	return c.JSON(status, m)
}

// removeMember takes an agent out of a queue; 204.
func (a *adminAPI) removeMember(c *echo.Context) error {
	name, err := adminParam(c, "name")
	if err != nil {
		return err
	}
	agent, err := adminParam(c, "agent")
	if err != nil {
		return err
	}
	if err := a.cfg.Queues.RemoveMember(c.Request().Context(), name, agent); err != nil {
		return err
	}
	if err := a.applied(c, "removal of agent "+agent+" from queue "+name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
