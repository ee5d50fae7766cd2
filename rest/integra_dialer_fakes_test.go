package rest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// integraDialerFake is an in-memory Dialer that records what the Integra
// facade asked; err, when set, is every call's answer.
type integraDialerFake struct {
	mu          sync.Mutex
	err         error
	respools    []centralita.RespoolRequest
	schedules   []centralita.ScheduleRequest
	tasks       []centralita.DialerTask
	removed     [][2]string
	unscheduled []integraDialerUnscheduled
	disposed    []centralita.CallDisposition
	// dispose answers Dispose; nil gives ENOTFOUND.
	dispose    func(*centralita.CallDisposition) (*centralita.Disposition, error)
	uploads    []centralita.BaseUpload
	uploadCtxs []context.Context
	status     []centralita.CampaignStatus
	statusErr  error
}

// integraDialerUnscheduled is one RemoveScheduled call.
type integraDialerUnscheduled struct {
	Campaign, Number string
	From, To         time.Time
}

func (d *integraDialerFake) set(f func(d *integraDialerFake)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d)
}

// get runs f under the lock, to read what was recorded.
func (d *integraDialerFake) get(f func(d *integraDialerFake)) { d.set(f) }

func (d *integraDialerFake) AddContacts(context.Context, int64, []*centralita.Contact, string) error {
	return centralita.Errorf(centralita.EINTERNAL, "not used by Integra")
}

func (d *integraDialerFake) UpdateContact(context.Context, *centralita.Contact) error {
	return centralita.Errorf(centralita.EINTERNAL, "not used by Integra")
}

func (d *integraDialerFake) Respool(_ context.Context, r centralita.RespoolRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.respools = append(d.respools, r)
	return nil
}

func (d *integraDialerFake) Schedule(_ context.Context, r centralita.ScheduleRequest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.schedules = append(d.schedules, r)
	return nil
}

func (d *integraDialerFake) Task(_ context.Context, t centralita.DialerTask) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.tasks = append(d.tasks, t)
	return nil
}

func (d *integraDialerFake) RemoveContact(_ context.Context, campaign, number string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, d.err
	}
	d.removed = append(d.removed, [2]string{campaign, number})
	return 1, nil
}

func (d *integraDialerFake) RemoveScheduled(_ context.Context, campaign, number string, from, to time.Time) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, d.err
	}
	d.unscheduled = append(d.unscheduled, integraDialerUnscheduled{campaign, number, from, to})
	return 0, nil
}

func (d *integraDialerFake) Dispose(_ context.Context, cd *centralita.CallDisposition) (*centralita.Disposition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	if d.dispose == nil {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "no disposition")
	}
	disp, err := d.dispose(cd)
	if err == nil {
		d.disposed = append(d.disposed, *cd)
	}
	return disp, err
}

func (d *integraDialerFake) UploadBase(ctx context.Context, u centralita.BaseUpload) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return "", d.err
	}
	d.uploads = append(d.uploads, u)
	d.uploadCtxs = append(d.uploadCtxs, ctx)
	return fmt.Sprintf("job-%d", len(d.uploads)), nil
}

func (d *integraDialerFake) Jobs(context.Context) ([]centralita.Job, error) { return nil, nil }

func (d *integraDialerFake) CancelJob(context.Context, string) error { return nil }

func (d *integraDialerFake) Status(context.Context) ([]centralita.CampaignStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status, d.statusErr
}

func (d *integraDialerFake) Reload(context.Context) error { return nil }

// integraDialerBlacklist is an in-memory BlacklistService.
type integraDialerBlacklist struct {
	centralita.BlacklistService // other methods are not used by the facade

	mu      sync.Mutex
	err     error
	entries []centralita.BlacklistEntry
}

func (b *integraDialerBlacklist) AddBlacklist(_ context.Context, e *centralita.BlacklistEntry) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	b.entries = append(b.entries, *e)
	return nil
}

func (b *integraDialerBlacklist) recorded() []centralita.BlacklistEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]centralita.BlacklistEntry(nil), b.entries...)
}

// integraDialerCampaigns is a CampaignService that knows campaigns by name.
type integraDialerCampaigns struct {
	centralita.CampaignService // other methods are not used by the facade
	names                      []string
}

func (s *integraDialerCampaigns) FindCampaignByName(_ context.Context, name string) (*centralita.Campaign, error) {
	for i, n := range s.names {
		if n == name {
			return &centralita.Campaign{ID: int64(i + 1), Name: n}, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no campaign %q", name)
}

// integraDialerDispositions is a DispositionService over a fixed list.
type integraDialerDispositions struct {
	centralita.DispositionService // other methods are not used by the facade

	mu    sync.Mutex
	err   error
	list  []centralita.Disposition
	finds int
}

func (s *integraDialerDispositions) FindDisposition(_ context.Context, campaign, l1, l2, l3 string) (*centralita.Disposition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finds++
	if s.err != nil {
		return nil, s.err
	}
	for _, d := range s.list {
		if d.Campaign == campaign && d.L1 == l1 && d.L2 == l2 && d.L3 == l3 {
			return &d, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no such disposition")
}

// find returns the configured disposition for cd, as a store would.
func (s *integraDialerDispositions) find(cd *centralita.CallDisposition) (*centralita.Disposition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.list {
		if d.Campaign == cd.Campaign && d.L1 == cd.L1 && d.L2 == cd.L2 && d.L3 == cd.L3 {
			return &d, nil
		}
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no such disposition")
}

// integraDialerEnv is an Integra server with the dialer fakes.
type integraDialerEnv struct {
	*igEnv
	dialer    *integraDialerFake
	blacklist *integraDialerBlacklist
	disps     *integraDialerDispositions
	key       string
}

// integraDialerDisps are the configured dispositions of the tests.
func integraDialerDisps() []centralita.Disposition {
	return []centralita.Disposition{
		{Campaign: "Ventas->", L1: "Venta", L2: "Tarjeta", L3: "Visa", Action: centralita.ActionNone, Completes: true, TxtCode: "VTA-VISA"},
		{Campaign: "Ventas->", L1: "Volver a llamar", Action: centralita.ActionReschedule, TxtCode: "AGENDA"},
		{Campaign: "Ventas->", L1: "No contesta", Action: centralita.ActionRespool, TxtCode: "NC"},
		{Campaign: "Power<-", L1: "No llamar", L2: "Pidió baja", Action: centralita.ActionBlacklist, TxtCode: "DNC"},
	}
}

// newIntegraDialer starts the facade with a Dialer, a Blacklist, the
// campaigns "Ventas->", "Power<-" and "prueba1", and Dispositions (the
// dialer's Dispose answers from the same list); tune may change the config.
func newIntegraDialer(t *testing.T, tune func(*rest.Config, *rest.IntegraConfig)) *integraDialerEnv {
	t.Helper()
	env := &integraDialerEnv{
		dialer:    &integraDialerFake{},
		blacklist: &integraDialerBlacklist{},
		disps:     &integraDialerDispositions{list: integraDialerDisps()},
		key:       "Bearer " + integraKey,
	}
	env.dialer.dispose = env.disps.find
	env.igEnv = newIntegra(t, func(c *rest.Config, ic *rest.IntegraConfig) {
		ic.Dialer, ic.Blacklist, ic.Dispositions = env.dialer, env.blacklist, env.disps
		ic.Campaigns = &integraDialerCampaigns{names: []string{"Ventas->", "Power<-", "prueba1"}}
		if tune != nil {
			tune(c, ic)
		}
	})
	return env
}
