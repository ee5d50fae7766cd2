package store

import (
	"context"
	"fmt"
	"time"

	"github.com/centralita/centralita"
)

// AgentService stores agents, their login state and pause reasons.
type AgentService struct{ db *DB }

// NewAgentService returns the agent store on db.
func NewAgentService(db *DB) *AgentService { return &AgentService{db: db} }

var _ centralita.AgentService = (*AgentService)(nil)

const agentColumns = `number, username, name, email, interface, logged_in_at, created_at, updated_at`

// maxInterfaceLen is the size of agents.interface.
const maxInterfaceLen = 80

// validateAgent applies Agent.Validate and the column sizes.
func validateAgent(a *centralita.Agent) error {
	if a == nil {
		return centralita.Errorf(centralita.EINVALID, "no agent given")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if len(a.Interface) > maxInterfaceLen {
		return centralita.Errorf(centralita.EINVALID, "agent interface must have at most %d characters", maxInterfaceLen)
	}
	return nil
}

// CreateAgent inserts a (with its login state as given) and sets its
// CreatedAt and UpdatedAt; a taken number or username is ECONFLICT.
func (s *AgentService) CreateAgent(ctx context.Context, a *centralita.Agent) error {
	if err := validateAgent(a); err != nil {
		return err
	}
	now := utc(s.db.now())
	a.CreatedAt, a.UpdatedAt, a.LoggedInAt = now, now, utcPtr(a.LoggedInAt)
	_, err := s.db.db.NamedExecContext(ctx, `INSERT INTO agents (`+agentColumns+`) VALUES (
		:number, :username, :name, :email, :interface, :logged_in_at, :created_at, :updated_at)`, a)
	if err == nil {
		return nil
	}
	err = s.db.translate(err, fmt.Sprintf("agent %q", a.Number))
	if centralita.ErrorKind(err) == centralita.ECONFLICT {
		// Say which of number and username is taken.
		var n int
		if cerr := s.db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM agents WHERE number = ?`, a.Number); cerr == nil && n == 0 {
			return centralita.WrapError(centralita.ECONFLICT, err, "agent username %q already exists", a.Username)
		}
	}
	return err
}

// UpdateAgent replaces username, name and email of the agent a.Number and
// reads the rest of the row back into a; ENOTFOUND when absent, ECONFLICT
// when the username is another agent's.
func (s *AgentService) UpdateAgent(ctx context.Context, a *centralita.Agent) error {
	if err := validateAgent(a); err != nil {
		return err
	}
	_, err := s.db.db.ExecContext(ctx, `UPDATE agents SET username = ?, name = ?, email = ?, updated_at = ? WHERE number = ?`,
		a.Username, a.Name, a.Email, utc(s.db.now()), a.Number)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("agent username %q", a.Username))
	}
	got, err := s.FindAgent(ctx, a.Number)
	if err != nil {
		return err
	}
	*a = *got
	return nil
}

// DeleteAgent removes an agent and (by cascade) its memberships; ENOTFOUND when absent.
func (s *AgentService) DeleteAgent(ctx context.Context, number string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM agents WHERE number = ?`, number)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("agent %q", number))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "agent %q not found", number)
	}
	return nil
}

// FindAgent returns the agent with that number.
func (s *AgentService) FindAgent(ctx context.Context, number string) (*centralita.Agent, error) {
	var a centralita.Agent
	if err := s.db.db.GetContext(ctx, &a, `SELECT `+agentColumns+` FROM agents WHERE number = ?`, number); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("agent %q", number))
	}
	return &a, nil
}

// FindAgentByUsername returns the agent with that username.
func (s *AgentService) FindAgentByUsername(ctx context.Context, username string) (*centralita.Agent, error) {
	var a centralita.Agent
	if err := s.db.db.GetContext(ctx, &a, `SELECT `+agentColumns+` FROM agents WHERE username = ?`, username); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("agent with username %q", username))
	}
	return &a, nil
}

// FindAgents lists every agent by number.
func (s *AgentService) FindAgents(ctx context.Context) ([]*centralita.Agent, error) {
	out := []*centralita.Agent{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT `+agentColumns+` FROM agents ORDER BY number`); err != nil {
		return nil, s.db.translate(err, "agents")
	}
	return out, nil
}

// SetAgentLogin records a login (iface, at) or, with iface "" and at nil, a
// logout. It is state, not configuration: updated_at is left as it was.
func (s *AgentService) SetAgentLogin(ctx context.Context, number, iface string, at *time.Time) error {
	switch {
	case (iface == "") != (at == nil):
		return centralita.Errorf(centralita.EINVALID, "agent %q: a login needs an interface and a time, a logout neither", number)
	case len(iface) > maxInterfaceLen:
		return centralita.Errorf(centralita.EINVALID, "agent interface must have at most %d characters", maxInterfaceLen)
	}
	what := fmt.Sprintf("agent %q", number)
	res, err := s.db.db.ExecContext(ctx, `UPDATE agents SET interface = ?, logged_in_at = ? WHERE number = ?`, iface, utcPtr(at), number)
	if err != nil {
		return s.db.translate(err, what)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts changed rows only: check the agent exists.
		if _, err := s.FindAgent(ctx, number); err != nil {
			return err
		}
	}
	return nil
}

// SetPauseReason inserts or renames the reason with that code.
func (s *AgentService) SetPauseReason(ctx context.Context, r *centralita.PauseReason) error {
	switch {
	case r == nil:
		return centralita.Errorf(centralita.EINVALID, "no pause reason given")
	case r.Code == "" || len(r.Code) > 32:
		return centralita.Errorf(centralita.EINVALID, "pause reason code must have 1 to 32 characters")
	case len(r.Name) > 128:
		return centralita.Errorf(centralita.EINVALID, "pause reason name must have at most 128 characters")
	}
	_, err := s.db.db.NamedExecContext(ctx, upsertSQL(s.db.dialect.name, "pause_reasons", []string{"code"}, []string{"name"}), r)
	return s.db.translate(err, fmt.Sprintf("pause reason %q", r.Code))
}

// DeletePauseReason removes the reason with that code; ENOTFOUND when absent.
func (s *AgentService) DeletePauseReason(ctx context.Context, code string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM pause_reasons WHERE code = ?`, code)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("pause reason %q", code))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "pause reason %q not found", code)
	}
	return nil
}

// FindPauseReasons lists every pause reason by code.
func (s *AgentService) FindPauseReasons(ctx context.Context) ([]*centralita.PauseReason, error) {
	out := []*centralita.PauseReason{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT code, name FROM pause_reasons ORDER BY code`); err != nil {
		return nil, s.db.translate(err, "pause reasons")
	}
	return out, nil
}
