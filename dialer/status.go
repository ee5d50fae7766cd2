package dialer

import (
	"context"

	"github.com/centralita/centralita"
)

// Status returns every campaign's live figures: contacts by state (counted
// in the store), Due (pending contacts not in a call: those due later are
// counted too, the store having no count by due time), the lines dialling
// and the answered calls waiting for an agent, today's counters (since
// local midnight; rebuilt at start from queue_log, except Dialed), the
// abandon rates over 30 days and 24 hours, and the pacer's ratio.
func (e *Engine) Status(ctx context.Context) ([]centralita.CampaignStatus, error) {
	list, err := e.cfg.Campaigns.FindCampaigns(ctx, centralita.CampaignFilter{})
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	out := make([]centralita.CampaignStatus, 0, len(list))
	for _, c := range list {
		st := centralita.CampaignStatus{Campaign: c.WithDefaults()}
		for _, s := range []struct {
			state centralita.ContactState
			n     *int
		}{
			{centralita.ContactPending, &st.Pending}, {centralita.ContactCompleted, &st.Completed},
			{centralita.ContactRejected, &st.Rejected}, {centralita.ContactCanceled, &st.Canceled},
		} {
			_, n, err := e.cfg.Contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: c.ID, State: s.state, Limit: 1})
			if err != nil {
				return nil, err
			}
			*s.n = n
		}
		e.mu.Lock()
		e.rollDay(now)
		inCall := 0
		for _, cl := range e.byCont {
			if cl.rc.cfg.ID == c.ID && !cl.done {
				inCall++
			}
		}
		st.Due = max(st.Pending-inCall, 0)
		rc := e.camps[c.ID]
		var pacer Pacer
		if rc != nil {
			pacer = rc.pacer
			st.Dialing, st.Waiting, _ = e.lineCounts(rc)
			st.Dialed, st.Answered, st.Abandoned, st.Connected = rc.today.dialed, rc.today.answered, rc.today.abandoned, rc.today.connected
		}
		e.mu.Unlock()
		if rc != nil {
			st.AbandonRate30d = rc.abandons.Month(now).Pct()
			st.AbandonRate24h = rc.abandons.Day(now).Pct()
			st.Ratio = pacer.Ratio()
		}
		out = append(out, st)
	}
	return out, nil
}
