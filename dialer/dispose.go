package dialer

import (
	"context"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// Messages the Integra facade passes on verbatim (rest-integra.md §4.4).
const (
	MsgEmptySchedule = "Wrong parameters: Empty schedule date."
)

// Dispose records an agent's disposition of a call (Integra
// api/DispositionCall) and applies the configured action to the dialer
// contact of the call: the contact whose attempt had the call id d.GUID,
// else the campaign's contact with the number d.CallerID (last changed
// first). ENOTFOUND (from FindDisposition) when the campaign and levels
// match no configured disposition; EINVALID with MsgEmptySchedule when the
// action is RESCHEDULE and no date is given. The actions:
//
//   - RESPOOL: Pending again, due after the disposition's RetryDelay;
//   - RESPOOLALTERNATIVE: the next alternate number, attempts reset, due
//     after RetryDelay; Rejected when there is none left;
//   - BLACKLIST: the number joins the campaign's do-not-call list and the
//     contact is Rejected;
//   - RESCHEDULE: a call at d.Schedule in d.Reschedule (camptoreschedule)
//     or the same campaign — in the same campaign the contact itself
//     becomes priority 1 due then;
//   - none: only Completes applies (Completed).
//
// The state-log entry is the tag, or "l1|l2|l3". A campaign that is not a
// dialer campaign (an inbound queue) only records it, and BLACKLIST still
// blocks the number for that name.
func (e *Engine) Dispose(ctx context.Context, d *centralita.CallDisposition) (*centralita.Disposition, error) {
	if d == nil || d.Campaign == "" || d.L1 == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "a campaign and a level 1 are required")
	}
	disp, err := e.cfg.Dispositions.FindDisposition(ctx, d.Campaign, d.L1, d.L2, d.L3)
	if err != nil {
		return nil, err
	}
	if disp.Action == centralita.ActionReschedule && d.Schedule == nil {
		return nil, centralita.Errorf(centralita.EINVALID, MsgEmptySchedule)
	}
	now := e.cfg.Now()
	d.CreatedAt = now
	if err := e.cfg.Dispositions.CreateCallDisposition(ctx, d); err != nil {
		return nil, err
	}
	tr := d.Tag
	if tr == "" {
		tr = d.L1 + "|" + d.L2 + "|" + d.L3
	}
	number, _ := normalizeNumber(d.CallerID)
	camp, err := e.cfg.Campaigns.FindCampaignByName(ctx, d.Campaign)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		if disp.Action == centralita.ActionBlacklist && number != "" {
			return disp, e.cfg.Blacklist.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: number, Campaign: d.Campaign, Username: d.Agent, CreatedAt: now})
		}
		return disp, nil
	} else if err != nil {
		return nil, err
	}
	id, err := e.disposedContact(ctx, camp.ID, d.GUID, number)
	if err != nil {
		return nil, err
	}
	var ct *centralita.Contact
	if id != 0 {
		ct, err = e.withContact(ctx, id, func(ct *centralita.Contact, live *call) (string, error) {
			if e.applyDisposition(ct, disp, d, now) && live != nil {
				live.keepState = true
			}
			return tr, nil
		})
		if err != nil {
			return nil, err
		}
		if number == "" {
			number = dialNumber(ct)
		}
	}
	switch disp.Action {
	case centralita.ActionBlacklist:
		if number != "" {
			err = e.cfg.Blacklist.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: number, Campaign: camp.Name, Username: d.Agent, CreatedAt: now})
		}
	case centralita.ActionReschedule:
		target := strings.TrimSpace(d.Reschedule)
		if (target == "" || target == camp.Name) && ct != nil {
			break // the contact itself was rescheduled
		}
		if target == "" {
			target = camp.Name
		}
		var to *centralita.Campaign
		if to, err = e.campaignByName(ctx, target); err != nil {
			return nil, err
		}
		want := &centralita.Contact{Number: number}
		if ct != nil {
			want.Number, want.Alternates, want.Data, want.Name, want.Info = ct.Number, ct.Alternates, ct.Data, ct.Name, ct.Info
		}
		if want.Number == "" {
			return nil, centralita.Errorf(centralita.EINVALID, "no number to reschedule")
		}
		err = e.schedule(ctx, to, want, *d.Schedule, tr)
	}
	if err != nil {
		return nil, err
	}
	return disp, nil
}

// applyDisposition applies a disposition's action to its contact and
// reports whether the contact's state was decided by it.
func (e *Engine) applyDisposition(ct *centralita.Contact, disp *centralita.Disposition, d *centralita.CallDisposition, now time.Time) bool {
	after := now.Add(time.Duration(disp.RetryDelay) * time.Second)
	switch disp.Action {
	case centralita.ActionRespool:
		setState(ct, centralita.ContactPending, now)
		ct.NextAt, ct.Enabled = &after, true
		return true
	case centralita.ActionRespoolAlternative:
		if ct.AltIndex >= len(ct.Alternates) {
			setState(ct, centralita.ContactRejected, now)
			ct.NextAt = nil
			return true
		}
		ct.AltIndex++
		ct.Attempts = 0
		setState(ct, centralita.ContactPending, now)
		ct.NextAt, ct.Enabled = &after, true
		return true
	case centralita.ActionBlacklist:
		setState(ct, centralita.ContactRejected, now)
		ct.NextAt = nil
		return true
	case centralita.ActionReschedule:
		if d.Reschedule == "" || d.Reschedule == d.Campaign {
			at := *d.Schedule
			setState(ct, centralita.ContactPending, now)
			ct.Priority, ct.NextAt, ct.Enabled = centralita.PriorityScheduled, &at, true
			return true
		}
	}
	if disp.Completes {
		setState(ct, centralita.ContactCompleted, now)
		ct.NextAt = nil
		return true
	}
	return false
}

// disposedContact finds the contact a disposition is about: by the call
// id of a call in progress or recently finished, else the campaign's
// contact with the number (last changed first); 0 when none.
func (e *Engine) disposedContact(ctx context.Context, campaignID int64, guid, number string) (int64, error) {
	if guid != "" {
		e.mu.Lock()
		var id int64
		if c := e.calls[guid]; c != nil {
			id = c.ct.ID
		} else {
			id = e.recent.ids[guid]
		}
		e.mu.Unlock()
		if id != 0 {
			ct, err := e.cfg.Contacts.FindContact(ctx, id)
			if err == nil && ct.CampaignID == campaignID {
				return id, nil
			}
		}
	}
	if number == "" {
		return 0, nil
	}
	found, _, err := e.cfg.Contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: campaignID, Number: number, OrderBy: "statetimestamp", Desc: true, Limit: 1})
	if err != nil || len(found) == 0 {
		return 0, err
	}
	return found[0].ID, nil
}
