package centralita

import (
	"context"
	"time"
)

// AgentStatus is an agent's state as Asterisk device-state numbers, plus
// uContact's 9 WRAPUP (rest-integra.md §8.3).
type AgentStatus int

// The agent status codes.
const (
	AgentUnknown     AgentStatus = 0
	AgentNotInUse    AgentStatus = 1 // logged in and free
	AgentInUse       AgentStatus = 2 // on a call
	AgentBusy        AgentStatus = 3
	AgentInvalid     AgentStatus = 4
	AgentUnavailable AgentStatus = 5 // logged out, or the phone is offline
	AgentRinging     AgentStatus = 6 // a call is being offered
	AgentRingInUse   AgentStatus = 7
	AgentOnHold      AgentStatus = 8
	AgentWrapup      AgentStatus = 9 // after a queue call, not yet available
)

// String returns the code's name as rest-integra.md §8.3 lists it.
func (s AgentStatus) String() string {
	names := [...]string{"UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD", "WRAPUP"}
	if s < 0 || int(s) >= len(names) {
		return "UNKNOWN"
	}
	return names[s]
}

// Agent is a call-center agent. Number is what queue reports show (eXpand
// "nroAgente"); Username is what integrations log in with.
type Agent struct {
	Number   string `db:"number" json:"number"`
	Username string `db:"username" json:"username"`
	Name     string `db:"name" json:"name"`
	Email    string `db:"email" json:"email"`
	// Interface and LoggedInAt are set while the agent is logged in:
	// the phone ("SIP/101", "PJSIP/101") calls are offered to.
	Interface  string     `db:"interface" json:"interface,omitempty"`
	LoggedInAt *time.Time `db:"logged_in_at" json:"logged_in_at,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at" json:"updated_at"`
}

// Validate checks a; the error is EINVALID and names the field.
func (a Agent) Validate() error {
	switch {
	case a.Number == "" || len(a.Number) > 32:
		return Errorf(EINVALID, "agent number must have 1 to 32 characters")
	case a.Username == "" || len(a.Username) > 64:
		return Errorf(EINVALID, "agent username must have 1 to 64 characters")
	case len(a.Name) > 128 || len(a.Email) > 128:
		return Errorf(EINVALID, "agent name and email must have at most 128 characters")
	}
	return nil
}

// PauseReason is a configured reason to pause ("Almuerzo"), with the DTMF
// code an agent dials for it (eXpand pauseAgent's pauseDTMF).
type PauseReason struct {
	Code string `db:"code" json:"code"`
	Name string `db:"name" json:"name"`
}

// AgentService stores agents, their login state and pause reasons.
type AgentService interface {
	// CreateAgent inserts a; a taken number or username is ECONFLICT.
	CreateAgent(ctx context.Context, a *Agent) error
	// UpdateAgent replaces username, name and email of the agent a.Number.
	UpdateAgent(ctx context.Context, a *Agent) error
	// DeleteAgent removes an agent and its memberships.
	DeleteAgent(ctx context.Context, number string) error
	FindAgent(ctx context.Context, number string) (*Agent, error)
	FindAgentByUsername(ctx context.Context, username string) (*Agent, error)
	// FindAgents lists every agent by number.
	FindAgents(ctx context.Context) ([]*Agent, error)
	// SetAgentLogin records a login (iface, at) or, with iface "" and at nil, a logout.
	SetAgentLogin(ctx context.Context, number, iface string, at *time.Time) error

	// SetPauseReason inserts or renames the reason with that code.
	SetPauseReason(ctx context.Context, r *PauseReason) error
	DeletePauseReason(ctx context.Context, code string) error
	FindPauseReasons(ctx context.Context) ([]*PauseReason, error)
}
