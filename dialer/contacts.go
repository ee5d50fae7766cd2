package dialer

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// State-log transitions the engine writes besides outcomes and dispositions.
const (
	TransitionRespool   = "Respool"
	TransitionScheduled = "Scheduled"
	TransitionRemoved   = "Removed"
	TransitionTask      = "DialerTask"
	TransitionUpload    = "Upload"
)

// dialable is a canonical number: digits, * and #, with an optional leading +.
var dialable = regexp.MustCompile(`^\+?[0-9*#]{1,40}$`)

// normalizeNumber drops the separators people write numbers with
// ("12-345-678", "(099) 123 456") and checks what is left.
func normalizeNumber(s string) (string, error) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '/', '\t':
			return -1
		}
		return r
	}, s)
	if !dialable.MatchString(n) {
		return "", centralita.Errorf(centralita.EINVALID, "number %q: want 1 to 40 digits, * or #, with an optional leading +", s)
	}
	return n, nil
}

// normalizeNumbers normalizes a list of alternates, dropping empty ones.
func normalizeNumbers(list []string) ([]string, error) {
	var out []string
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := normalizeNumber(s)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// blacklist tells whether a number may not be called for a campaign.
type blacklist func(ctx context.Context, number string) (bool, error)

// blacklistFor returns the do-not-call check of a campaign for n numbers:
// for many numbers the list is read once (the campaign's entries and the
// global ones), for few each number is looked up.
func (e *Engine) blacklistFor(ctx context.Context, campaign string, n int) (blacklist, error) {
	if n <= 50 {
		return func(ctx context.Context, number string) (bool, error) {
			return e.cfg.Blacklist.Blacklisted(ctx, campaign, number)
		}, nil
	}
	set := map[string]bool{}
	for _, name := range []string{campaign, centralita.BlacklistAll} {
		list, err := e.cfg.Blacklist.FindBlacklist(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, b := range list {
			set[b.Phone] = true
			if p, err := normalizeNumber(b.Phone); err == nil {
				set[p] = true
			}
		}
	}
	return func(_ context.Context, number string) (bool, error) { return set[number], nil }, nil
}

// AddContacts validates and inserts contacts into a campaign (the eXpand
// API). Numbers lose their separators; priority 0 becomes 9999 and an
// empty state Pending; owners are resolved to agent numbers. A contact
// whose number is on the do-not-call list is inserted Rejected, with a
// second transition "Blacklisted". The first invalid contact refuses the
// whole call (EINVALID naming it); valid ones are inserted in batches of
// BatchSize, each in one transaction. cs get their IDs.
func (e *Engine) AddContacts(ctx context.Context, campaignID int64, cs []*centralita.Contact, transition string) error {
	camp, err := e.cfg.Campaigns.FindCampaign(ctx, campaignID)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	black, err := e.blacklistFor(ctx, camp.Name, len(cs))
	if err != nil {
		return err
	}
	return e.addContacts(ctx, camp, cs, transition, black, map[string]string{})
}

// addContacts prepares, checks and inserts contacts; owners caches agent
// resolutions across calls.
func (e *Engine) addContacts(ctx context.Context, camp *centralita.Campaign, cs []*centralita.Contact, transition string, black blacklist, owners map[string]string) error {
	now := e.cfg.Now()
	var rejected []*centralita.Contact
	for i, c := range cs {
		if c == nil {
			return centralita.Errorf(centralita.EINVALID, "contact %d is empty", i+1)
		}
		if err := e.prepare(ctx, camp, c, now, owners); err != nil {
			return centralita.WrapError(centralita.EINVALID, err, "contact %d: %s", i+1, centralita.ErrorMessage(err))
		}
		if black != nil {
			bl, err := black(ctx, c.Number)
			if err != nil {
				return err
			}
			if bl {
				c.State, c.LastOutcome = centralita.ContactRejected, centralita.OutcomeBlacklist
				rejected = append(rejected, c)
			}
		}
	}
	for start := 0; start < len(cs); start += e.cfg.BatchSize {
		if err := e.cfg.Contacts.CreateContacts(ctx, cs[start:min(start+e.cfg.BatchSize, len(cs))], transition); err != nil {
			return err
		}
	}
	for _, c := range rejected {
		if err := e.cfg.Contacts.UpdateContact(ctx, c, string(centralita.OutcomeBlacklist)); err != nil {
			return err
		}
	}
	return nil
}

// prepare normalizes and validates a new contact.
func (e *Engine) prepare(ctx context.Context, camp *centralita.Campaign, c *centralita.Contact, now time.Time, owners map[string]string) error {
	var err error
	c.ID, c.CampaignID = 0, camp.ID
	if c.Number, err = normalizeNumber(c.Number); err != nil {
		return err
	}
	if c.Alternates, err = normalizeNumbers(c.Alternates); err != nil {
		return err
	}
	if c.Priority == 0 {
		c.Priority = centralita.PriorityDefault
	}
	if c.State == "" {
		c.State = centralita.ContactPending
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			return centralita.Errorf(centralita.EINVALID, "unknown time zone %q", c.TimeZone)
		}
	}
	if c.Agent != "" {
		a, ok := owners[c.Agent]
		if !ok {
			a = e.resolveOwner(ctx, c.Agent)
			owners[c.Agent] = a
		}
		c.Agent = a
	}
	c.AddedAt, c.StateAt, c.InFlight = now, now, false
	c.AltIndex = min(max(c.AltIndex, 0), len(c.Alternates))
	return c.Validate()
}

// resolveOwner is the agent number of an owner given as an agent number,
// username or phone; as given when no agent matches (bases may name agents
// created later).
func (e *Engine) resolveOwner(ctx context.Context, name string) string {
	if n, err := e.resolveAgent(ctx, name); err == nil {
		return n
	}
	return name
}

// resolveAgent finds the agent named by number, username or phone
// ("1001" or "SIP/1001" for the interface it is logged in at); ENOTFOUND
// when none matches, EINVALID when no AgentService is configured.
func (e *Engine) resolveAgent(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if e.cfg.Agents == nil {
		return "", centralita.Errorf(centralita.EINVALID, "agents cannot be resolved")
	}
	if a, err := e.cfg.Agents.FindAgent(ctx, name); err == nil {
		return a.Number, nil
	} else if centralita.ErrorKind(err) != centralita.ENOTFOUND {
		return "", err
	}
	if a, err := e.cfg.Agents.FindAgentByUsername(ctx, name); err == nil {
		return a.Number, nil
	} else if centralita.ErrorKind(err) != centralita.ENOTFOUND {
		return "", err
	}
	list, err := e.cfg.Agents.FindAgents(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range list {
		if a.Interface == "" {
			continue
		}
		_, ext, _ := strings.Cut(a.Interface, "/")
		if a.Interface == name || ext == name {
			return a.Number, nil
		}
	}
	return "", centralita.Errorf(centralita.ENOTFOUND, "agent %q not found", name)
}

// UpdateContact edits a contact's number, name, enabled flag, and its
// data and info when given (empty keeps them), as eXpand's PUT does. A
// contact with a call in progress keeps the call; the change is kept when
// the call ends. c is filled with the contact as stored. ENOTFOUND when the
// contact does not exist or is not of c.CampaignID (when set).
func (e *Engine) UpdateContact(ctx context.Context, c *centralita.Contact) error {
	if c == nil || c.ID <= 0 {
		return centralita.Errorf(centralita.EINVALID, "a contact id is required")
	}
	number, err := normalizeNumber(c.Number)
	if err != nil {
		return err
	}
	out, err := e.withContact(ctx, c.ID, func(ct *centralita.Contact, _ *call) (string, error) {
		if c.CampaignID != 0 && ct.CampaignID != c.CampaignID {
			return "", centralita.Errorf(centralita.ENOTFOUND, "contact %d not found", c.ID)
		}
		ct.Number, ct.Name, ct.Enabled = number, c.Name, c.Enabled
		if c.Data != "" {
			ct.Data = c.Data
		}
		if len(c.Info) > 0 {
			ct.Info = c.Info
		}
		return "", ct.Validate()
	})
	if err != nil {
		return err
	}
	*c = *out
	return nil
}

// Respool puts a contact back in the pool with the request's values
// (Integra Dialers/Respool): destination (when given), alternatives, data,
// priority (when given; 1 is refused, reserved for scheduled calls), owner
// (agentphone: an agent number, username or phone; "" for none), retries
// made on the number; it becomes Pending and due now, enabled, dialled at
// its main number. campaign, status and dialerbase are not changed.
// ENOTFOUND when the contact is not of that campaign.
func (e *Engine) Respool(ctx context.Context, r centralita.RespoolRequest) error {
	camp, err := e.campaignByName(ctx, r.Campaign)
	if err != nil {
		return err
	}
	switch {
	case r.Contact <= 0:
		return centralita.Errorf(centralita.EINVALID, "a contact id is required")
	case r.Priority == centralita.PriorityScheduled:
		return centralita.Errorf(centralita.EINVALID, "priority 1 is reserved for scheduled calls; use a priority above 1")
	case r.Priority < 0 || r.Retries < 0:
		return centralita.Errorf(centralita.EINVALID, "priority and retries must not be negative")
	}
	dest := ""
	if strings.TrimSpace(r.Destination) != "" {
		if dest, err = normalizeNumber(r.Destination); err != nil {
			return err
		}
	}
	alts, err := normalizeNumbers(r.Alternatives)
	if err != nil {
		return err
	}
	owner := ""
	if strings.TrimSpace(r.AgentPhone) != "" {
		owner = e.resolveOwner(ctx, r.AgentPhone)
	}
	now := e.cfg.Now()
	_, err = e.withContact(ctx, r.Contact, func(ct *centralita.Contact, live *call) (string, error) {
		if ct.CampaignID != camp.ID {
			return "", centralita.Errorf(centralita.ENOTFOUND, "contact %d not found in campaign %q", r.Contact, camp.Name)
		}
		if dest != "" {
			ct.Number = dest
		}
		ct.Alternates, ct.AltIndex, ct.Data, ct.Agent = alts, 0, r.Data, owner
		if r.Priority > 0 {
			ct.Priority = r.Priority
		}
		ct.Attempts, ct.Enabled, ct.NextAt = r.Retries, true, &now
		setState(ct, centralita.ContactPending, now)
		if live != nil {
			live.keepState = true
		}
		return TransitionRespool, ct.Validate()
	})
	return err
}

// Schedule schedules a call of a campaign at r.At (ScheduleDialerCall,
// DialerTask mode 4, RESCHEDULE): the campaign's pending contact with that
// number, or a new one, becomes priority 1 due at r.At, owned by r.Agent
// when given (an agent number, username or phone; ENOTFOUND when no agent
// matches), with r's alternatives and data when given.
func (e *Engine) Schedule(ctx context.Context, r centralita.ScheduleRequest) error {
	camp, err := e.campaignByName(ctx, r.Campaign)
	if err != nil {
		return err
	}
	if r.At.IsZero() {
		return centralita.Errorf(centralita.EINVALID, "a date is required")
	}
	dest, err := normalizeNumber(r.Destination)
	if err != nil {
		return err
	}
	alts, err := normalizeNumbers(r.Alternatives)
	if err != nil {
		return err
	}
	owner := ""
	if strings.TrimSpace(r.Agent) != "" {
		if owner, err = e.resolveAgent(ctx, r.Agent); err != nil {
			return err
		}
	}
	return e.schedule(ctx, camp, &centralita.Contact{Number: dest, Alternates: alts, Agent: owner, Data: r.Data}, r.At, TransitionScheduled)
}

// schedule makes want's number due at at with priority 1: its pending
// contact in the campaign if there is one, else a new contact.
func (e *Engine) schedule(ctx context.Context, camp *centralita.Campaign, want *centralita.Contact, at time.Time, transition string) error {
	found, _, err := e.cfg.Contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp.ID, Number: want.Number, State: centralita.ContactPending, Limit: 1})
	if err != nil {
		return err
	}
	if len(found) == 0 {
		want.Priority, want.NextAt, want.Enabled = centralita.PriorityScheduled, &at, true
		black, err := e.blacklistFor(ctx, camp.Name, 1)
		if err != nil {
			return err
		}
		return e.addContacts(ctx, camp, []*centralita.Contact{want}, transition, black, map[string]string{})
	}
	_, err = e.withContact(ctx, found[0].ID, func(ct *centralita.Contact, live *call) (string, error) {
		ct.Priority, ct.NextAt, ct.Enabled = centralita.PriorityScheduled, &at, true
		if want.Agent != "" {
			ct.Agent = want.Agent
		}
		if len(want.Alternates) > 0 {
			ct.Alternates, ct.AltIndex = want.Alternates, 0
		}
		if want.Data != "" {
			ct.Data = want.Data
		}
		if want.Base != "" {
			ct.Base = want.Base
		}
		setState(ct, centralita.ContactPending, e.cfg.Now())
		if live != nil {
			live.keepState = true
		}
		return transition, nil
	})
	return err
}

// RemoveContact cancels every pending contact of the campaign whose main
// number is number (transition "Removed"); a call in progress goes on.
func (e *Engine) RemoveContact(ctx context.Context, campaign, number string) (int, error) {
	return e.cancelContacts(ctx, campaign, number, func(*centralita.Contact) bool { return true })
}

// RemoveScheduled cancels the campaign's scheduled calls to number: its
// pending priority-1 contacts due in [from, to].
func (e *Engine) RemoveScheduled(ctx context.Context, campaign, number string, from, to time.Time) (int, error) {
	if to.Before(from) {
		return 0, centralita.Errorf(centralita.EINVALID, "the range ends before it starts")
	}
	return e.cancelContacts(ctx, campaign, number, func(ct *centralita.Contact) bool {
		return ct.Priority == centralita.PriorityScheduled && ct.NextAt != nil && !ct.NextAt.Before(from) && !ct.NextAt.After(to)
	})
}

// cancelContacts cancels the campaign's pending contacts with that number that match.
func (e *Engine) cancelContacts(ctx context.Context, campaign, number string, match func(*centralita.Contact) bool) (int, error) {
	camp, err := e.campaignByName(ctx, campaign)
	if err != nil {
		return 0, err
	}
	n, err := normalizeNumber(number)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for off := 0; ; off += 1000 {
		page, _, err := e.cfg.Contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp.ID, Number: n, State: centralita.ContactPending, Offset: off, Limit: 1000})
		if err != nil {
			return 0, err
		}
		for _, ct := range page {
			ids = append(ids, ct.ID)
		}
		if len(page) < 1000 {
			break
		}
	}
	count := 0
	now := e.cfg.Now()
	for _, id := range ids {
		done := false
		_, err := e.withContact(ctx, id, func(ct *centralita.Contact, live *call) (string, error) {
			if ct.State != centralita.ContactPending || !match(ct) {
				return "", errUnchanged
			}
			setState(ct, centralita.ContactCanceled, now)
			ct.NextAt, done = nil, true
			if live != nil {
				live.keepState = true
			}
			return TransitionRemoved, nil
		})
		if err != nil {
			return count, err
		}
		if done {
			count++
		}
	}
	return count, nil
}
