package rest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// expandAuth knows "root" (admin), "sup" (supervisor), "agt" and
// "contactclient" (agent), all with password "pw"; "limited" is ELIMITED.
type expandAuth struct{}

func (expandAuth) AuthenticateKey(context.Context, string, string) (*centralita.AccessKey, error) {
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "unknown access key")
}

func (expandAuth) AuthenticateUser(_ context.Context, username, password, _ string) (*centralita.User, error) {
	if username == "limited" {
		return nil, centralita.Errorf(centralita.ELIMITED, "too many failed attempts")
	}
	roles := map[string]centralita.Role{
		"root": centralita.RoleAdmin, "sup": centralita.RoleSupervisor,
		"agt": centralita.RoleAgent, "contactclient": centralita.RoleAgent,
	}
	if r, ok := roles[username]; ok && password == "pw" {
		return &centralita.User{Username: username, Role: r}, nil
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad username or password")
}

// expandStore is an in-memory CampaignService, ContactService,
// BlacklistService and DispositionService.
type expandStore struct {
	mu           sync.Mutex
	campaigns    map[int64]centralita.Campaign
	nextCampaign int64
	contacts     map[int64]centralita.Contact
	nextContact  int64
	logs         map[int64][]centralita.ContactTransition
	black        []centralita.BlacklistEntry
	disps        []centralita.Disposition
	// stamp is the time campaigns and blacklist entries are stored at.
	stamp time.Time
	// filter is the last contact filter asked for; findErr fails FindContacts.
	filter  centralita.ContactFilter
	findErr error
}

func newExpandStore() *expandStore {
	return &expandStore{
		campaigns: map[int64]centralita.Campaign{}, nextCampaign: 1,
		contacts: map[int64]centralita.Contact{}, nextContact: 1,
		logs:  map[int64][]centralita.ContactTransition{},
		stamp: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

var errExpandNotUsed = errors.New("not used by the facade")

func expandNotFound(what string, id any) error {
	return centralita.Errorf(centralita.ENOTFOUND, "%s %v not found", what, id)
}

// expandCopy deep-copies a contact.
func expandCopy(c centralita.Contact) *centralita.Contact {
	c.Info = append([]byte(nil), c.Info...)
	c.Alternates = slices.Clone(c.Alternates)
	if c.NextAt != nil {
		t := *c.NextAt
		c.NextAt = &t
	}
	if c.LastAttemptAt != nil {
		t := *c.LastAttemptAt
		c.LastAttemptAt = &t
	}
	return &c
}

// putCampaign stores c with its id as given.
func (s *expandStore) putCampaign(c centralita.Campaign) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.campaigns[c.ID] = c
}

// putContact stores c with its id and state log as given.
func (s *expandStore) putContact(c centralita.Contact, log ...centralita.ContactTransition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[c.ID] = *expandCopy(c)
	for i := range log {
		log[i].ContactID = c.ID
	}
	s.logs[c.ID] = log
}

// setNextContact makes id the next contact id.
func (s *expandStore) setNextContact(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextContact = id
}

// setFindErr makes FindContacts fail with err.
func (s *expandStore) setFindErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findErr = err
}

// lastFilter returns the last contact filter asked for.
func (s *expandStore) lastFilter() centralita.ContactFilter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.filter
}

func (s *expandStore) CreateCampaign(_ context.Context, c *centralita.Campaign) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.campaigns {
		if o.Name == c.Name {
			return centralita.Errorf(centralita.ECONFLICT, "campaign %q exists", c.Name)
		}
	}
	for s.campaigns[s.nextCampaign].ID != 0 {
		s.nextCampaign++
	}
	c.ID, c.CreatedAt, c.UpdatedAt = s.nextCampaign, s.stamp, s.stamp
	s.campaigns[c.ID] = *c
	return nil
}

func (s *expandStore) UpdateCampaign(_ context.Context, c *centralita.Campaign) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.campaigns[c.ID]
	if !ok {
		return expandNotFound("campaign", c.ID)
	}
	c.CreatedAt, c.UpdatedAt = old.CreatedAt, s.stamp
	s.campaigns[c.ID] = *c
	return nil
}

func (s *expandStore) DeleteCampaign(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.campaigns[id]; !ok {
		return expandNotFound("campaign", id)
	}
	delete(s.campaigns, id)
	return nil
}

func (s *expandStore) FindCampaign(_ context.Context, id int64) (*centralita.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.campaigns[id]
	if !ok {
		return nil, expandNotFound("campaign", id)
	}
	return &c, nil
}

func (s *expandStore) FindCampaignByName(_ context.Context, name string) (*centralita.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.campaigns {
		if c.Name == name {
			return &c, nil
		}
	}
	return nil, expandNotFound("campaign", name)
}

func (s *expandStore) FindCampaigns(_ context.Context, f centralita.CampaignFilter) ([]*centralita.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*centralita.Campaign
	for _, c := range s.campaigns {
		if f.State == "" || c.State == f.State {
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *centralita.Campaign) int {
		if f.OrderBy == "name" {
			return strings.Compare(a.Name, b.Name)
		}
		return int(a.ID - b.ID)
	})
	if f.Desc {
		slices.Reverse(out)
	}
	return out, nil
}

func (s *expandStore) CreateContacts(_ context.Context, cs []*centralita.Contact, transition string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		c.ID = s.nextContact
		s.nextContact++
		s.contacts[c.ID] = *expandCopy(*c)
		s.logs[c.ID] = []centralita.ContactTransition{{ContactID: c.ID, Time: c.AddedAt, Transition: transition}}
	}
	return nil
}

func (s *expandStore) UpdateContact(_ context.Context, c *centralita.Contact, transition string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.contacts[c.ID]; !ok {
		return expandNotFound("contact", c.ID)
	}
	s.contacts[c.ID] = *expandCopy(*c)
	if transition != "" {
		s.logs[c.ID] = append(s.logs[c.ID], centralita.ContactTransition{ContactID: c.ID, Time: c.StateAt, Transition: transition})
	}
	return nil
}

func (s *expandStore) FindContact(_ context.Context, id int64) (*centralita.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return nil, expandNotFound("contact", id)
	}
	return expandCopy(c), nil
}

// expandIn reports whether t is within [from, to], zero bounds open.
func expandIn(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}

func (s *expandStore) FindContacts(_ context.Context, f centralita.ContactFilter) ([]*centralita.Contact, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filter = f
	if s.findErr != nil {
		return nil, 0, s.findErr
	}
	var all []*centralita.Contact
	like := strings.ToLower(f.Like)
	for _, c := range s.contacts {
		switch {
		case f.CampaignID != 0 && c.CampaignID != f.CampaignID,
			f.State != "" && c.State != f.State,
			f.Number != "" && c.Number != f.Number,
			like != "" && !strings.Contains(strings.ToLower(c.Number), like) && !strings.Contains(strings.ToLower(c.Name), like),
			!expandIn(c.StateAt, f.StateFrom, f.StateTo),
			!expandIn(c.AddedAt, f.AddedFrom, f.AddedTo):
			continue
		}
		all = append(all, expandCopy(c))
	}
	slices.SortFunc(all, func(a, b *centralita.Contact) int {
		var r int
		switch f.OrderBy {
		case "name":
			r = strings.Compare(a.Name, b.Name)
		case "numcall":
			r = strings.Compare(a.Number, b.Number)
		case "timestampadd":
			r = a.AddedAt.Compare(b.AddedAt)
		case "statetimestamp":
			r = a.StateAt.Compare(b.StateAt)
		}
		if r == 0 {
			r = int(a.ID - b.ID)
		}
		return r
	})
	if f.Desc {
		slices.Reverse(all)
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	total := len(all)
	all = all[min(f.Offset, total):]
	return all[:min(limit, len(all))], total, nil
}

func (s *expandStore) ContactLog(_ context.Context, id int64) ([]*centralita.ContactTransition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.contacts[id]; !ok {
		return nil, expandNotFound("contact", id)
	}
	var out []*centralita.ContactTransition
	for _, t := range s.logs[id] {
		out = append(out, &t)
	}
	return out, nil
}

func (s *expandStore) ClaimContacts(context.Context, int64, time.Time, int, []string) ([]*centralita.Contact, error) {
	return nil, errExpandNotUsed
}

func (s *expandStore) ReleaseInFlight(context.Context, int64, []int64) error { return errExpandNotUsed }

func (s *expandStore) CreateAttempt(context.Context, *centralita.Attempt) error {
	return errExpandNotUsed
}

func (s *expandStore) UpdateAttempt(context.Context, *centralita.Attempt) error {
	return errExpandNotUsed
}

func (s *expandStore) FindAttempts(context.Context, int64) ([]*centralita.Attempt, error) {
	return nil, errExpandNotUsed
}

func (s *expandStore) FindOpenAttempts(context.Context) ([]*centralita.Attempt, error) {
	return nil, errExpandNotUsed
}

func (s *expandStore) AddBlacklist(_ context.Context, e *centralita.BlacklistEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.black {
		if o.Campaign == e.Campaign && o.Phone == e.Phone {
			*e = o
			return nil
		}
	}
	e.ID, e.CreatedAt = int64(len(s.black)+1), s.stamp
	s.black = append(s.black, *e)
	return nil
}

func (s *expandStore) Blacklisted(_ context.Context, campaign, phone string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.black {
		if o.Phone == phone && (o.Campaign == campaign || o.Campaign == centralita.BlacklistAll) {
			return true, nil
		}
	}
	return false, nil
}

func (s *expandStore) RemoveBlacklist(_ context.Context, campaign, phone string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.black {
		if o.Campaign == campaign && o.Phone == phone {
			s.black = slices.Delete(s.black, i, i+1)
			return nil
		}
	}
	return expandNotFound("blacklist entry", campaign+"/"+phone)
}

func (s *expandStore) FindBlacklist(_ context.Context, campaign string) ([]*centralita.BlacklistEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*centralita.BlacklistEntry
	for _, o := range s.black {
		if campaign == "" || o.Campaign == campaign {
			out = append(out, &o)
		}
	}
	return out, nil
}

func (s *expandStore) SetDisposition(_ context.Context, d *centralita.Disposition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.disps {
		if o.Campaign == d.Campaign && o.L1 == d.L1 && o.L2 == d.L2 && o.L3 == d.L3 {
			s.disps[i] = *d
			return nil
		}
	}
	s.disps = append(s.disps, *d)
	return nil
}

func (s *expandStore) DeleteDisposition(_ context.Context, campaign, l1, l2, l3 string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range s.disps {
		if o.Campaign == campaign && o.L1 == l1 && o.L2 == l2 && o.L3 == l3 {
			s.disps = slices.Delete(s.disps, i, i+1)
			return nil
		}
	}
	return expandNotFound("disposition", l1+"/"+l2+"/"+l3)
}

func (s *expandStore) FindDisposition(_ context.Context, campaign, l1, l2, l3 string) (*centralita.Disposition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.disps {
		if o.Campaign == campaign && o.L1 == l1 && o.L2 == l2 && o.L3 == l3 {
			return &o, nil
		}
	}
	return nil, expandNotFound("disposition", l1+"/"+l2+"/"+l3)
}

func (s *expandStore) FindDispositions(_ context.Context, campaign string) ([]*centralita.Disposition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*centralita.Disposition
	for _, o := range s.disps {
		if o.Campaign == campaign {
			out = append(out, &o)
		}
	}
	return out, nil
}

func (s *expandStore) CreateCallDisposition(context.Context, *centralita.CallDisposition) error {
	return errExpandNotUsed
}

func (s *expandStore) FindCallDispositions(context.Context, string, string) ([]*centralita.CallDisposition, error) {
	return nil, errExpandNotUsed
}

// expandDialer is a Dialer over an expandStore: contacts are added Pending
// (Rejected when blacklisted) at now, edits write number, name, data, info
// and enabled; status and jobs are set by the test.
type expandDialer struct {
	st *expandStore

	mu        sync.Mutex
	now       time.Time
	addErr    error
	reloads   int
	reloadErr error
	status    []centralita.CampaignStatus
	jobs      []centralita.Job
	canceled  []string
}

func (d *expandDialer) setNow(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = t
}

func (d *expandDialer) setAddErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addErr = err
}

func (d *expandDialer) reloadCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reloads
}

func (d *expandDialer) AddContacts(ctx context.Context, campaignID int64, cs []*centralita.Contact, transition string) error {
	d.mu.Lock()
	now, addErr := d.now, d.addErr
	d.mu.Unlock()
	if addErr != nil {
		return addErr
	}
	cp, err := d.st.FindCampaign(ctx, campaignID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			return err
		}
		black, err := d.st.Blacklisted(ctx, cp.Name, c.Number)
		if err != nil {
			return err
		}
		c.CampaignID, c.State, c.AddedAt, c.StateAt = campaignID, centralita.ContactPending, now, now
		if black {
			c.State = centralita.ContactRejected
		}
	}
	return d.st.CreateContacts(ctx, cs, transition)
}

func (d *expandDialer) UpdateContact(ctx context.Context, c *centralita.Contact) error {
	old, err := d.st.FindContact(ctx, c.ID)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	old.Number, old.Name, old.Data, old.Info, old.Enabled = c.Number, c.Name, c.Data, c.Info, c.Enabled
	return d.st.UpdateContact(ctx, old, "")
}

func (d *expandDialer) Respool(context.Context, centralita.RespoolRequest) error {
	return errExpandNotUsed
}

func (d *expandDialer) Schedule(context.Context, centralita.ScheduleRequest) error {
	return errExpandNotUsed
}

func (d *expandDialer) Task(context.Context, centralita.DialerTask) error { return errExpandNotUsed }

func (d *expandDialer) RemoveContact(context.Context, string, string) (int, error) {
	return 0, errExpandNotUsed
}

func (d *expandDialer) RemoveScheduled(context.Context, string, string, time.Time, time.Time) (int, error) {
	return 0, errExpandNotUsed
}

func (d *expandDialer) Dispose(context.Context, *centralita.CallDisposition) (*centralita.Disposition, error) {
	return nil, errExpandNotUsed
}

func (d *expandDialer) UploadBase(context.Context, centralita.BaseUpload) (string, error) {
	return "", errExpandNotUsed
}

func (d *expandDialer) Jobs(context.Context) ([]centralita.Job, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.jobs), nil
}

func (d *expandDialer) CancelJob(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, j := range d.jobs {
		if j.ID == id {
			d.canceled = append(d.canceled, id)
			return nil
		}
	}
	return expandNotFound("job", id)
}

func (d *expandDialer) Status(context.Context) ([]centralita.CampaignStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.status), nil
}

func (d *expandDialer) Reload(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reloads++
	return d.reloadErr
}
