package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
	"github.com/centralita/centralita/crm"
	"github.com/centralita/centralita/dialer"
	"github.com/centralita/centralita/queuelog"
	"github.com/centralita/centralita/rest"
	"github.com/centralita/centralita/store"
)

// acdFlags configure the voice ACD and the CRM it calls.
type acdFlags struct {
	provision        string
	crmKind          string
	crmCallerIDName  string
	crmIVRCode       string
	crmPushAgentInfo string
	crmNamespace     string
	crmTimeout       time.Duration
	crmRetries       int
	integraIdle      time.Duration
	keylessReports   bool
}

func (a *acdFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.provision, "provision", "", "JSON file of queues, agents, memberships and pause reasons applied at start (created or updated)")
	fs.StringVar(&a.crmKind, "crm-kind", "rest", "how the CRM is called: rest (JSON) or soap")
	fs.StringVar(&a.crmCallerIDName, "crm-callerid-url", "", "CRM getCallerIDName URL, asked for the caller's name on every inbound call (empty: off)")
	fs.StringVar(&a.crmIVRCode, "crm-ivrcode-url", "", "CRM IVRCode URL, told of each IVR code a call passes (empty: off)")
	fs.StringVar(&a.crmPushAgentInfo, "crm-push-url", "", "CRM pushAgentInfo URL, the screen-pop when an agent answers a queue call (empty: off)")
	fs.StringVar(&a.crmNamespace, "crm-soap-namespace", "urn:crm", "SOAP namespace of the CRM operations (with --crm-kind soap)")
	fs.DurationVar(&a.crmTimeout, "crm-timeout", 2*time.Second, "longest a CRM request may take; an inbound call never waits longer than this for the CRM")
	fs.IntVar(&a.crmRetries, "crm-retries", 2, "retries of a failed pushAgentInfo (lookups on the call's path are not retried)")
	fs.DurationVar(&a.integraIdle, "integra-session-idle", 30*time.Minute, "Integra session tokens expire after this long unused")
	fs.BoolVar(&a.keylessReports, "soap-keyless-reports", false, "accept eXpand queueData/agentData without authorizedKey, as the manual prints them")
}

// newCRM builds the CRM client; nil when no CRM URL is configured.
func (a *acdFlags) newCRM(db *store.DB, logger *slog.Logger) (centralita.CRM, error) {
	if a.crmCallerIDName == "" && a.crmIVRCode == "" && a.crmPushAgentInfo == "" {
		return nil, nil
	}
	target := func(url string) crm.Target {
		return crm.Target{URL: url, Kind: a.crmKind, Namespace: a.crmNamespace}
	}
	c, err := crm.New(crm.Config{
		CallerIDName: target(a.crmCallerIDName), IVRCode: target(a.crmIVRCode), PushAgentInfo: target(a.crmPushAgentInfo),
		Timeout: a.crmTimeout, Retries: a.crmRetries,
		Pushes: store.NewCRMPushService(db), Logger: logger.With("component", "crm"),
	})
	if err != nil {
		return nil, fmt.Errorf("CRM: %w", err)
	}
	return c, nil
}

// startACD provisions the configuration file, when given, and starts the
// ACD engine on the PBX, then the outbound dialer on the ACD.
func (t *telephony) startACD(ctx context.Context, c *serveConfig, db *store.DB, logger *slog.Logger) error {
	queues, agents := store.NewQueueService(db), store.NewAgentService(db)
	if c.acd.provision != "" {
		what, err := provision(ctx, c.acd.provision, queues, agents)
		if err != nil {
			return err
		}
		logger.Info("provisioned the ACD", "file", c.acd.provision, "applied", what)
	}
	client, err := c.acd.newCRM(db, logger)
	if err != nil {
		return err
	}
	qlog := store.NewQueueLogService(db)
	reports, err := queuelog.New(queuelog.Config{Log: qlog, States: qlog})
	if err != nil {
		return err
	}
	// The dialer follows its calls through the ACD's queue_log rows; it is
	// built after the ACD, which it drives, so the hook looks it up.
	var dial atomic.Pointer[dialer.Engine]
	eng, err := acd.New(acd.Config{
		PBX: t.client, Media: t.client, Queues: queues, Agents: agents, QueueLog: qlog,
		CRM: client, CRMTimeout: c.acd.crmTimeout, Location: c.location, SIPToPJSIP: true, Recorder: t.recorder(),
		Logger: logger.With("component", "acd"), Lists: store.NewListService(db),
		Observe: func(r centralita.QueueLogEntry) {
			if d := dial.Load(); d != nil {
				d.HandleQueueLog(r)
			}
		},
	})
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return fmt.Errorf("start the ACD: %w", err)
	}
	t.acd, t.reports = eng, reports
	d, err := dialer.New(dialer.Config{
		PBX: t.client, ACD: eng, Campaigns: store.NewCampaignService(db), Contacts: store.NewContactService(db),
		Blacklist: store.NewBlacklistService(db), Dispositions: store.NewDispositionService(db),
		Agents: agents, QueueLog: qlog, Location: c.location,
		Endpoint: func(number string) string { return fmt.Sprintf(c.trunkEndpoint, number) },
		Logger:   logger.With("component", "dialer"),
	})
	if err != nil {
		return err
	}
	dial.Store(d)
	if err := d.Start(ctx); err != nil {
		return fmt.Errorf("start the dialer: %w", err)
	}
	t.dialer = d
	return nil
}

// registerREST adds the Integra facade, the eXpand REST dialer module and
// the /api/v1 admin API.
func (t *telephony) registerREST(srv *rest.Server, c *serveConfig, db *store.DB) error {
	agents := store.NewAgentService(db)
	campaigns, contacts := store.NewCampaignService(db), store.NewContactService(db)
	blacklist, dispositions := store.NewBlacklistService(db), store.NewDispositionService(db)
	var recFiles centralita.RecordingFiles // nil, not a nil *recordings.Engine, without recordings
	if t.rec != nil {
		recFiles = t.rec
	}
	err := srv.RegisterIntegra(rest.IntegraConfig{
		ACD: t.acd, Agents: agents, SessionIdle: c.acd.integraIdle, Location: c.location,
		Dialer: t.dialer, Campaigns: campaigns, Blacklist: blacklist, Dispositions: dispositions,
		SMS:        c.sms.integra(),
		Recordings: store.NewRecordingService(db).InLocation(c.location), RecordingFiles: recFiles,
	})
	if err != nil {
		return err
	}
	if t.rec != nil {
		if err := srv.RegisterRecordingFiles(rest.RecordingFilesConfig{Files: t.rec}); err != nil {
			return err
		}
	}
	err = srv.RegisterExpand(rest.ExpandConfig{Campaigns: campaigns, Contacts: contacts, Dialer: t.dialer, Location: c.location})
	if err != nil {
		return err
	}
	if err := registerPanel(srv, c, db); err != nil {
		return err
	}
	return srv.RegisterAdmin(rest.AdminConfig{
		Queues: store.NewQueueService(db), Agents: agents, ACD: t.acd,
		CRMPushes: store.NewCRMPushService(db), Reports: t.reports, Location: c.location,
		Campaigns: campaigns, Contacts: contacts, Blacklist: blacklist, Dispositions: dispositions, Dialer: t.dialer,
	})
}
