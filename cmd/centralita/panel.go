package main

import (
	"github.com/centralita/centralita/rest"
	"github.com/centralita/centralita/store"
)

// registerPanel adds the eXpand REST lists, pending outgoing calls and
// agent forms modules (rest-expandweb3.md §4–6). The ACD's list routing
// (the "list=<name>" Stasis argument) reads the same lists; startACD
// passes it store.NewListService.
func registerPanel(srv *rest.Server, c *serveConfig, db *store.DB) error {
	agents, queues := store.NewAgentService(db), store.NewQueueService(db)
	if err := srv.RegisterExpandLists(rest.ExpandListsConfig{Lists: store.NewListService(db)}); err != nil {
		return err
	}
	err := srv.RegisterExpandOutgoing(rest.ExpandOutgoingConfig{
		Calls: store.NewOutgoingCallService(db), Queues: queues, Agents: agents, Location: c.location,
	})
	if err != nil {
		return err
	}
	return srv.RegisterExpandForms(rest.ExpandFormsConfig{
		Forms: store.NewFormService(db), Agents: agents, QueueLog: store.NewQueueLogService(db),
		Recordings: store.NewRecordingService(db), Location: c.location,
	})
}
