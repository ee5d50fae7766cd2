package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/centralita/centralita"
)

// provisionFile is the --provision file: the ACD configuration to apply at
// start. It has the JSON shapes of the /api/v1 admin API.
type provisionFile struct {
	PauseReasons []centralita.PauseReason `json:"pause_reasons"`
	Queues       []centralita.Queue       `json:"queues"`
	Agents       []centralita.Agent       `json:"agents"`
	Members      []centralita.QueueMember `json:"members"`
}

// provision applies the file at path: queues, agents, pause reasons and
// memberships are created or updated to match it (an upsert; what the file
// does not mention is left alone), so applying it on every start is
// repeatable. It stops at the first invalid entry, naming it.
func provision(ctx context.Context, path string, queues centralita.QueueService, agents centralita.AgentService) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--provision: %w", err)
	}
	var f provisionFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return "", fmt.Errorf("--provision %s: %w", path, err)
	}
	for i := range f.PauseReasons {
		r := f.PauseReasons[i]
		if r.Code == "" {
			return "", fmt.Errorf("--provision %s: pause_reasons[%d]: code is required", path, i)
		}
		if err := agents.SetPauseReason(ctx, &r); err != nil {
			return "", fmt.Errorf("--provision %s: pause reason %q: %w", path, r.Code, err)
		}
	}
	for i := range f.Queues {
		q := f.Queues[i].WithDefaults()
		if err := q.Validate(); err != nil {
			return "", fmt.Errorf("--provision %s: queues[%d]: %w", path, i, err)
		}
		err := queues.CreateQueue(ctx, &q)
		if centralita.ErrorKind(err) == centralita.ECONFLICT {
			err = queues.UpdateQueue(ctx, &q)
		}
		if err != nil {
			return "", fmt.Errorf("--provision %s: queue %q: %w", path, q.Name, err)
		}
	}
	for i := range f.Agents {
		a := f.Agents[i]
		a.Interface, a.LoggedInAt = "", nil // login state is not configuration
		if err := a.Validate(); err != nil {
			return "", fmt.Errorf("--provision %s: agents[%d]: %w", path, i, err)
		}
		err := agents.CreateAgent(ctx, &a)
		if centralita.ErrorKind(err) == centralita.ECONFLICT {
			err = agents.UpdateAgent(ctx, &a)
		}
		if err != nil {
			return "", fmt.Errorf("--provision %s: agent %q: %w", path, a.Number, err)
		}
	}
	for i := range f.Members {
		m := f.Members[i]
		if m.Queue == "" || m.Agent == "" {
			return "", fmt.Errorf("--provision %s: members[%d]: queue and agent are required", path, i)
		}
		if err := keepPause(ctx, queues, &m); err != nil {
			return "", err
		}
		if err := queues.SetMember(ctx, &m); err != nil {
			return "", fmt.Errorf("--provision %s: member %s of %q: %w", path, m.Agent, m.Queue, err)
		}
	}
	return fmt.Sprintf("%d queues, %d agents, %d memberships, %d pause reasons",
		len(f.Queues), len(f.Agents), len(f.Members), len(f.PauseReasons)), nil
}

// keepPause carries an existing membership's pause state over, so that
// re-provisioning on a restart does not unpause anyone.
func keepPause(ctx context.Context, queues centralita.QueueService, m *centralita.QueueMember) error {
	cur, err := queues.FindMembers(ctx, m.Queue, m.Agent)
	if err != nil {
		return err
	}
	for _, c := range cur {
		if c.Queue == m.Queue && c.Agent == m.Agent {
			m.Paused, m.PauseReason, m.PausedAt = c.Paused, c.PauseReason, c.PausedAt
		}
	}
	return nil
}
