package rest

import (
	"context"
	"math"
	"strconv"

	"github.com/centralita/centralita"
)

// Outbound campaigns in Supervisor/campaignstatus and Supervisor/queuesummary
// (rest-integra.md §8), when IntegraConfig.Dialer is set.
//
// Each dialer campaign (all but those in state Stored, which are archived)
// is one more entry, keyed by its name, with the queue entries' JSON shape
// and types. A campaign's agents are the members of its queue, so the agent
// figures (availables … onwrapup), completed, talked, hold, servicelevel,
// servicelevel2, slevelthreshold and wrapup are its queue's, as the queue's
// own entry shows them. The call figures are the dialer's, for today:
// totalcalls = calls dialled, acd = calls connected to an agent, abandoned =
// calls answered by a person and not connected, abandonedlevel = abandoned
// as a whole percentage of the calls answered live ("0" with none). strategy
// is the campaign's dialing mode (preview, progressive, power, predictive),
// where a queue shows its ring strategy. In queuesummary a campaign's
// element carries its queue's figures under the campaign's name.
//
// uContact names a campaign and its queue alike, and Centralita may too: a
// campaign named as a queue of the snapshot takes that queue's place (one
// key, the campaign entry, in the queue's position) in campaignstatus, and
// adds no element of its own to queuesummary (its queue's element already
// is it). Other campaigns follow the queues, in the dialer's order. A
// campaign whose queue is not in the snapshot shows zero agent figures.

// dialerCampaign is a dialer campaign with its queue's figures.
type dialerCampaign struct {
	status centralita.CampaignStatus
	// queue is its queue's status, or an empty one with the queue's name.
	queue centralita.QueueStatus
	// sameAsQueue is set when a queue of the snapshot has the campaign's name.
	sameAsQueue bool
}

// dialerCampaigns returns the dialer's campaigns (not Stored) with their
// queues from snap; none without a Dialer.
func (in *integra) dialerCampaigns(ctx context.Context, snap *centralita.ACDSnapshot) ([]dialerCampaign, error) {
	if in.cfg.Dialer == nil {
		return nil, nil
	}
	sts, err := in.cfg.Dialer.Status(ctx)
	if err != nil {
		return nil, err
	}
	queues := make(map[string]int, len(snap.Queues))
	for i, q := range snap.Queues {
		queues[q.Queue.Name] = i
	}
	out := make([]dialerCampaign, 0, len(sts))
	for _, st := range sts {
		if st.Campaign.State == centralita.CampaignStored {
			continue
		}
		dc := dialerCampaign{status: st, queue: centralita.QueueStatus{Queue: centralita.Queue{Name: st.Campaign.Queue}}}
		if i, ok := queues[st.Campaign.Queue]; ok {
			dc.queue = snap.Queues[i]
		}
		_, dc.sameAsQueue = queues[st.Campaign.Name]
		out = append(out, dc)
	}
	return out, nil
}

// findDialerCampaign returns the campaign named name (exactly, C15).
func findDialerCampaign(dcs []dialerCampaign, name string) (dialerCampaign, bool) {
	for _, dc := range dcs {
		if dc.status.Campaign.Name == name {
			return dc, true
		}
	}
	return dialerCampaign{}, false
}

// entry is the campaign's campaignstatus entry.
func (dc dialerCampaign) entry() integraCampaign {
	st := dc.status
	e := campaignEntry(dc.queue)
	e.Campaign = st.Campaign.Name
	e.TotalCalls, e.ACD, e.Abandoned = st.Dialed, st.Connected, st.Abandoned
	level := 0.0
	if st.Answered > 0 {
		level = 100 * float64(st.Abandoned) / float64(st.Answered)
	}
	e.AbandonedLevel = strconv.FormatFloat(math.Round(level), 'f', 0, 64)
	e.Strategy = string(st.Campaign.WithDefaults().Mode)
	return e
}

// summary is the campaign's queuesummary element: its queue's figures.
func (dc dialerCampaign) summary(id, date string) integraQueueSummary {
	s := queueSummaryOf(dc.queue, id, date)
	s.Queue = dc.status.Campaign.Name
	return s
}

// campaignFields are campaignstatus's entries without a queue: the queues,
// a campaign replacing the queue of its name, then the other campaigns.
func campaignFields(snap *centralita.ACDSnapshot, dcs []dialerCampaign) []jsonField {
	fields := make([]jsonField, 0, len(snap.Queues)+len(dcs))
	for _, q := range snap.Queues {
		if dc, ok := findDialerCampaign(dcs, q.Queue.Name); ok {
			fields = append(fields, jsonField{q.Queue.Name, dc.entry()})
			continue
		}
		fields = append(fields, jsonField{q.Queue.Name, campaignEntry(q)})
	}
	for _, dc := range dcs {
		if !dc.sameAsQueue {
			fields = append(fields, jsonField{dc.status.Campaign.Name, dc.entry()})
		}
	}
	return fields
}
