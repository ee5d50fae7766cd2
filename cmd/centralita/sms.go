package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/centralita/centralita/rest"
	"github.com/centralita/centralita/sms"
	"github.com/centralita/centralita/soap"
	"github.com/centralita/centralita/store"
)

// smsFlags configure the SMS engine, its provider and its facades.
type smsFlags struct {
	provider                                 string
	smppAddr, smppUser, smppPassword         string
	smppSystemType, smppSource               string
	httpURL, httpMethod, httpBody, httpMatch string
	rate                                     float64
	retries                                  int
	scheduleInterval                         time.Duration
	statusDelivery                           bool
	schedulePath, uploadPath                 string
	listPath, jobsPath                       string

	// engine is the running engine, set by start.
	engine *sms.Engine
}

func (s *smsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.provider, "sms-provider", "log", "how SMS are sent: log (sends nothing, only logs; the default), smpp or http")
	fs.StringVar(&s.smppAddr, "smpp-addr", "", "SMSC host:port (with --sms-provider smpp)")
	fs.StringVar(&s.smppUser, "smpp-user", "", "SMPP system_id")
	fs.StringVar(&s.smppPassword, "smpp-password", "", "SMPP password")
	fs.StringVar(&s.smppSystemType, "smpp-system-type", "", "SMPP system_type (usually empty)")
	fs.StringVar(&s.smppSource, "smpp-source", "", "default source address of sent SMS: a number (+ for international) or an alphanumeric name")
	fs.StringVar(&s.httpURL, "sms-http-url", "", "gateway URL template (Go text/template; .To .From .Text .ID .MsgID .Campaign .Parts; urlquery, json, xml), with --sms-provider http")
	fs.StringVar(&s.httpMethod, "sms-http-method", "", "gateway HTTP method (default POST with a body, GET without)")
	fs.StringVar(&s.httpBody, "sms-http-body", "", "gateway body template (same fields); JSON when it starts with { or [, else form-encoded")
	fs.StringVar(&s.httpMatch, "sms-http-success", "", "a 2xx answer succeeds when its body contains this text, or matches it as a regexp when written re:EXPR (first group = message id); empty: any 2xx")
	fs.Float64Var(&s.rate, "sms-rate", sms.DefaultRate, "SMS per second accepted (eXpand sendSms answers -2 above it) and sent")
	fs.IntVar(&s.retries, "sms-retries", sms.DefaultRetries, "retries of an SMS after a transient provider failure (0: none); time without an SMPP bind uses none")
	fs.DurationVar(&s.scheduleInterval, "sms-schedule-interval", sms.DefaultScheduleInterval, "how often the SMS scheduler moves due messages to the send queue (the spec's every minute; shorter only for tests)")
	fs.BoolVar(&s.statusDelivery, "sms-status-delivery", false, "NON-STANDARD: eXpand statusSms answers the delivery result (DELIVERED, UNDELIVERED, EXPIRED…) once every part has a receipt, instead of SENT; off: only the documented SENT/PENDING/DRAFT/ERROR")
	fs.StringVar(&s.schedulePath, "integra-sms-schedule-path", "", "NON-STANDARD: Integra path (under /Integra/resources/) of the SMS scheduler, e.g. SMS/ScheduleSMS; empty: off")
	fs.StringVar(&s.uploadPath, "integra-sms-upload-path", "", "NON-STANDARD: Integra path of the SMS base upload, e.g. SMS/uploadbase; empty: off")
	fs.StringVar(&s.listPath, "integra-sms-list-path", "", "NON-STANDARD: Integra path listing sent and received SMS as JSON, e.g. SMS/list; empty: off")
	fs.StringVar(&s.jobsPath, "integra-sms-jobs-path", "", "NON-STANDARD: Integra path listing (and, with cancel=ID, cancelling) SMS jobs, e.g. SMS/jobs; empty: off")
}

// newProvider builds the configured provider.
func (s *smsFlags) newProvider(logger *slog.Logger) (sms.Provider, error) {
	switch s.provider {
	case "log":
		return sms.NewLogProvider(logger), nil
	case "smpp":
		if s.smppAddr == "" || s.smppUser == "" || s.smppPassword == "" {
			return nil, fmt.Errorf("--sms-provider smpp needs --smpp-addr, --smpp-user and --smpp-password")
		}
		return sms.NewSMPPProvider(sms.SMPPConfig{
			Addr: s.smppAddr, User: s.smppUser, Password: s.smppPassword, SystemType: s.smppSystemType,
			Source: s.smppSource, Logger: logger,
		})
	case "http":
		if s.httpURL == "" {
			return nil, fmt.Errorf("--sms-provider http needs --sms-http-url")
		}
		return sms.NewHTTPProvider(sms.HTTPConfig{URL: s.httpURL, Method: s.httpMethod, Body: s.httpBody, Success: s.httpMatch})
	}
	return nil, fmt.Errorf("--sms-provider %q: want log, smpp or http", s.provider)
}

// start builds and starts the SMS engine on db; the caller closes it. The
// scheduler's base names ("Schedule"+date) read the calldate in loc, the
// --timezone the Integra facade reads calldates in (time.Local when nil).
func (s *smsFlags) start(ctx context.Context, db *store.DB, loc *time.Location, logger *slog.Logger) (*sms.Engine, error) {
	if s.rate <= 0 {
		return nil, fmt.Errorf("--sms-rate %v: want SMS per second above 0", s.rate)
	}
	if s.retries < 0 {
		return nil, fmt.Errorf("--sms-retries %d: want 0 or more", s.retries)
	}
	logger = logger.With("component", "sms")
	p, err := s.newProvider(logger)
	if err != nil {
		return nil, err
	}
	retries := s.retries
	if retries == 0 {
		retries = -1 // the engine reads 0 as its default
	}
	e, err := sms.New(sms.Config{
		Store: store.NewSMSService(db).InLocation(loc), Provider: p, Rate: s.rate, Retries: retries,
		ScheduleInterval: s.scheduleInterval, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	if err := e.Start(ctx); err != nil {
		return nil, err
	}
	s.engine = e
	return e, nil
}

// soap is the configuration of eXpand's sendSms/statusSms.
func (s *smsFlags) soap() soap.SMSConfig {
	return soap.SMSConfig{SMS: s.engine, StatusDelivery: s.statusDelivery}
}

// integra is the configuration of the Integra SMS endpoints.
func (s *smsFlags) integra() rest.IntegraSMS {
	if s.engine == nil {
		return rest.IntegraSMS{}
	}
	return rest.IntegraSMS{
		Sender: s.engine, SchedulePath: s.schedulePath, UploadPath: s.uploadPath,
		ListPath: s.listPath, JobsPath: s.jobsPath,
	}
}
