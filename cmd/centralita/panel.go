package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/centralita/centralita/rest"
	"github.com/centralita/centralita/store"
)

// panelFlags configure the eXpand lists, outgoing calls and forms modules.
type panelFlags struct {
	users string
}

func (p *panelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.users, "expand-users", "", "comma-separated usernames given the eXpand lists, outgoing calls and forms modules whatever their role (e.g. the manual's external_user); admins and supervisors always have them")
}

// userList is the usernames of --expand-users, trimmed; an empty item is
// an error.
func (p *panelFlags) userList() ([]string, error) {
	if strings.TrimSpace(p.users) == "" {
		return nil, nil
	}
	var out []string
	for u := range strings.SplitSeq(p.users, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			return nil, fmt.Errorf("--expand-users %q: empty username", p.users)
		}
		out = append(out, u)
	}
	return out, nil
}

// registerPanel adds the eXpand REST lists, pending outgoing calls and
// agent forms modules (rest-expandweb3.md §4–6), each open to the users of
// --expand-users besides admins and supervisors. The ACD's list routing
// (the "list=<name>" Stasis argument) reads the same lists; startACD
// passes it store.NewListService.
func registerPanel(srv *rest.Server, c *serveConfig, db *store.DB) error {
	users, err := c.panel.userList()
	if err != nil {
		return err
	}
	agents, queues := store.NewAgentService(db), store.NewQueueService(db)
	if err := srv.RegisterExpandLists(rest.ExpandListsConfig{Lists: store.NewListService(db), Users: users}); err != nil {
		return err
	}
	err = srv.RegisterExpandOutgoing(rest.ExpandOutgoingConfig{
		Calls: store.NewOutgoingCallService(db), Queues: queues, Agents: agents, Users: users, Location: c.location,
	})
	if err != nil {
		return err
	}
	return srv.RegisterExpandForms(rest.ExpandFormsConfig{
		Forms: store.NewFormService(db), Agents: agents, QueueLog: store.NewQueueLogService(db),
		Recordings: store.NewRecordingService(db), Users: users, Location: c.location,
	})
}
