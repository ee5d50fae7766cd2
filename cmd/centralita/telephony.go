package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/acd"
	"github.com/centralita/centralita/ari"
	"github.com/centralita/centralita/ari/arisim"
	"github.com/centralita/centralita/auth"
	"github.com/centralita/centralita/dialer"
	"github.com/centralita/centralita/originate"
	"github.com/centralita/centralita/queuelog"
	"github.com/centralita/centralita/recordings"
	"github.com/centralita/centralita/soap"
	"github.com/centralita/centralita/store"
)

// simFlags configure the built-in Asterisk simulator.
type simFlags struct {
	password    string
	rules       string
	answerDelay time.Duration
	timeScale   float64
}

func (s *simFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.password, "sim-password", "", "simulator: password of its ARI and /sim/ control API (user centralita) when serve starts it; empty: random, and the control API is unusable from outside")
	fs.StringVar(&s.rules, "sim-rules", "", "simulator: JSON rule table deciding the outcome of calls to outside numbers (default: ending 7 busy, 8 no answer, 9 congestion, others answer after 1 s and hang up after 4 s)")
	fs.DurationVar(&s.answerDelay, "sim-answer-delay", time.Second, "simulator: how long extensions ring before answering")
	fs.Float64Var(&s.timeScale, "sim-time-scale", 1, "simulator: multiplies every simulated delay (0.1 runs ten times faster)")
}

// newSim builds a simulator; cdrs may be nil;
// app is the Stasis application inbound calls go to.
func (s *simFlags) newSim(user, password, app string, cdrs centralita.CDRService, logger *slog.Logger) (*arisim.Server, error) {
	cfg := arisim.Config{Username: user, Password: password, CDR: cdrs, Logger: logger.With("component", "arisim"), AnswerDelay: s.answerDelay, TimeScale: s.timeScale, InboundApp: app}
	if s.rules != "" {
		rules, err := arisim.LoadRules(s.rules)
		if err != nil {
			return nil, err
		}
		cfg.Rules = rules
	}
	return arisim.New(cfg)
}

// telephony is the running PBX side of serve: the simulator when no ARI URL
// was given, the ARI client, the origination engine, the ACD and the dialer.
type telephony struct {
	sim     *arisim.Server
	client  *ari.Client
	calls   *originate.Engine
	acd     *acd.Engine
	dialer  *dialer.Engine
	reports *queuelog.Reporter
	// rec records calls and serves their files (recordings.go).
	rec *recordings.Engine
}

// startTelephony connects to Asterisk (or starts the simulator and connects
// to it over loopback), then starts the origination engine.
func startTelephony(ctx context.Context, c *serveConfig, db *store.DB, logger *slog.Logger) (*telephony, error) {
	t := &telephony{}
	url, user, password := c.ariURL, c.ariUser, c.ariPassword
	cdrs := store.NewCDRService(db)
	if url == "" {
		// Credentials for the loopback simulator are random per run unless
		// --sim-password names one (to drive its /sim/ control API).
		user, password = "centralita", c.sim.password
		if password == "" {
			password = auth.NewPassword()
		}
		sim, err := c.sim.newSim(user, password, c.ariApp, cdrs, logger)
		if err != nil {
			return nil, err
		}
		if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start the Asterisk simulator: %w", err)
		}
		t.sim, url = sim, sim.URL()+"/ari"
		logger.Warn("no --ari-url: running the built-in Asterisk simulator; calls are simulated", "ari_url", url,
			"sim_control", sim.URL()+"/sim/", "sim_user", user, "sim_password_set", c.sim.password != "")
	} else if user == "" || password == "" {
		return nil, errors.New("--ari-url needs --ari-user and --ari-password (the ARI user in Asterisk's ari.conf)")
	}
	client, err := ari.New(ctx, ari.Config{URL: url, Username: user, Password: password, Application: c.ariApp, Logger: logger.With("component", "ari")})
	if err != nil {
		t.close()
		return nil, fmt.Errorf("connect to Asterisk ARI at %s: %w", url, err)
	}
	t.client = client
	if err := t.startRecordings(ctx, c, db, logger); err != nil {
		t.close()
		return nil, err
	}
	t.calls = originate.New(originate.Config{
		PBX: client, Store: store.NewOriginationService(db), CDRs: cdrs,
		Logger: logger.With("component", "originate"), Retention: c.jobRetention,
		ExternalEndpoint: c.trunkEndpoint, Recorder: t.recorder(),
	})
	if err := t.calls.Start(ctx); err != nil {
		t.calls = nil
		t.close()
		return nil, err
	}
	if err := t.startACD(ctx, c, db, logger); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// soapServer is the eXpand SOAP apiws with its PBX and call-center operations.
func (t *telephony) soapServer(c *serveConfig, db *store.DB, authn *auth.Service, logger *slog.Logger) (*soap.Server, error) {
	s := soap.NewServer(soap.Config{Auth: authn, Logger: logger.With("component", "soap"), MaxBodyBytes: 1 << 20, RequireKey: !c.acd.keylessReports})
	s.RegisterPBX(soap.PBXConfig{Calls: t.calls, CDRs: store.NewCDRService(db), Endpoints: t.client, Location: c.location})
	if c.sms.engine != nil {
		s.RegisterSMS(c.sms.soap())
	}
	if t.rec != nil {
		recs := soap.RecordingsConfig{Recordings: store.NewRecordingService(db).InLocation(c.location), Files: t.rec, CDRs: store.NewCDRService(db)}
		if err := s.RegisterRecordings(recs); err != nil {
			return nil, err
		}
	}
	err := s.RegisterACD(soap.ACDConfig{
		ACD: t.acd, Agents: store.NewAgentService(db), Queues: store.NewQueueService(db), Users: store.NewUserService(db),
		QueueLog: store.NewQueueLogService(db), Reports: t.reports, Location: c.location, Endpoints: t.client,
	})
	return s, err
}

// close stops the engines, the ARI client and the simulator, in that order.
func (t *telephony) close() {
	if t.dialer != nil {
		t.dialer.Close()
	}
	if t.acd != nil {
		t.acd.Close()
	}
	if t.calls != nil {
		t.calls.Close()
	}
	if t.rec != nil {
		t.rec.Close()
	}
	if t.client != nil {
		t.client.Close()
	}
	if t.sim != nil {
		t.sim.Close()
	}
}

// simCommand runs the simulator standalone: `centralita sim --listen ADDR`.
func (e env) simCommand(ctx context.Context, args []string) error {
	var s simFlags
	var listen, user, password, db, app string
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	s.register(fs)
	fs.StringVar(&listen, "listen", "127.0.0.1:8088", "address the simulator's ARI listens on")
	fs.StringVar(&user, "ari-user", "asterisk", "ARI user the simulator accepts")
	fs.StringVar(&password, "ari-password", "", "ARI password the simulator accepts (required)")
	fs.StringVar(&db, "db", "", "optional database to write CDRs into (sqlite:PATH or mysql://...)")
	fs.StringVar(&app, "inbound-app", "centralita", "Stasis application inbound calls (POST /sim/calls) go to when they name none")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if password == "" {
		return errors.New("sim: --ari-password is required (there are no default passwords)")
	}
	logger, err := newLogger(e.stderr, "auto", "info")
	if err != nil {
		return err
	}
	var cdrs centralita.CDRService
	if db != "" {
		d := dbFlags{db: db}
		sdb, err := d.open(ctx, logger)
		if err != nil {
			return err
		}
		defer sdb.Close()
		cdrs = store.NewCDRService(sdb)
	}
	sim, err := s.newSim(user, password, app, cdrs, logger)
	if err != nil {
		return err
	}
	if err := sim.Start(ctx, listen); err != nil {
		return err
	}
	logger.Info("Asterisk simulator serving", "ari_url", sim.URL()+"/ari", "control", sim.URL()+"/sim/")
	<-ctx.Done()
	return sim.Close()
}
