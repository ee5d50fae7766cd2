package dialer

import (
	"context"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// campaign is a campaign as the engine runs it.
type campaign struct {
	cfg   centralita.Campaign
	loc   *time.Location
	pacer Pacer
	// wrapup is the queue's wrap-up time, from the last snapshot.
	wrapup time.Duration
	// abandons keeps the abandon rate over 24 hours and 30 days.
	abandons *AbandonTracker
	// today counts the day's calls (since local midnight).
	today counters
}

// safePacer serializes a pacer: Lines runs on the tick, Observe on events.
type safePacer struct {
	mu sync.Mutex
	p  Pacer
}

func (s *safePacer) Lines(in PacingInput) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.Lines(in)
}

func (s *safePacer) Observe(r CallResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.Observe(r)
}

func (s *safePacer) Ratio() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.Ratio()
}

// runCampaign is what one pacing round uses of a campaign, read under the lock.
type runCampaign struct {
	rc    *campaign
	cfg   centralita.Campaign
	loc   *time.Location
	pacer Pacer
}

// counters are a campaign's figures of the day.
type counters struct{ dialed, answered, abandoned, connected int }

// Reload re-reads the campaigns: new ones are added, changed ones take
// their new settings (a new pacer when the mode or the ratio changed),
// deleted ones stop being paced. Calls in progress keep going.
func (e *Engine) Reload(ctx context.Context) error {
	list, err := e.cfg.Campaigns.FindCampaigns(ctx, centralita.CampaignFilter{})
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[int64]bool{}
	for _, c := range list {
		cfg := c.WithDefaults()
		seen[cfg.ID] = true
		loc := e.cfg.Location
		if cfg.TimeZone != "" {
			if l, err := time.LoadLocation(cfg.TimeZone); err == nil {
				loc = l
			}
		}
		rc := e.camps[cfg.ID]
		if rc == nil {
			rc = &campaign{abandons: NewAbandonTracker()}
			e.camps[cfg.ID] = rc
		}
		if rc.pacer == nil || rc.cfg.Mode != cfg.Mode || rc.cfg.PowerRatio != cfg.PowerRatio || rc.cfg.AbandonLimitPct != cfg.AbandonLimitPct {
			rc.pacer = &safePacer{p: e.cfg.NewPacer(cfg)}
		}
		rc.cfg, rc.loc = cfg, loc
	}
	for id := range e.camps {
		if !seen[id] {
			delete(e.camps, id) // its calls in flight keep their own reference
		}
	}
	return nil
}

// campaignByName finds a campaign in the store (so that one created since
// the last Reload is found too).
func (e *Engine) campaignByName(ctx context.Context, name string) (*centralita.Campaign, error) {
	if name == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "a campaign is required")
	}
	c, err := e.cfg.Campaigns.FindCampaignByName(ctx, name)
	if err != nil {
		return nil, err
	}
	cc := c.WithDefaults()
	return &cc, nil
}

// location is the time zone of a contact: its own, else the campaign's (def).
func location(def *time.Location, zone string) *time.Location {
	if zone != "" {
		if l, err := time.LoadLocation(zone); err == nil {
			return l
		}
	}
	return def
}

// inWindow reports whether t (already in the contact's zone) is inside one
// of the windows; no windows means always.
func inWindow(ws []centralita.CallWindow, t time.Time) bool {
	if len(ws) == 0 {
		return true
	}
	at := t.Hour()*60 + t.Minute()
	for _, w := range ws {
		if w.Weekday != t.Weekday() {
			continue
		}
		sh, sm, ok1 := centralita.ParseClock(w.Start)
		eh, em, ok2 := centralita.ParseClock(w.End)
		if ok1 && ok2 && at >= sh*60+sm && at < eh*60+em {
			return true
		}
	}
	return false
}

// nextOpen is the start of the first window after t (in t's zone); t plus
// a day when the windows never open.
func nextOpen(ws []centralita.CallWindow, t time.Time) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	var best time.Time
	for d := 0; d <= 7; d++ {
		date := day.AddDate(0, 0, d)
		for _, w := range ws {
			if w.Weekday != date.Weekday() {
				continue
			}
			sh, sm, ok1 := centralita.ParseClock(w.Start)
			eh, em, ok2 := centralita.ParseClock(w.End)
			if !ok1 || !ok2 || sh*60+sm >= eh*60+em {
				continue
			}
			start := time.Date(date.Year(), date.Month(), date.Day(), sh, sm, 0, 0, t.Location())
			if start.After(t) && (best.IsZero() || start.Before(best)) {
				best = start
			}
		}
		if !best.IsZero() {
			return best
		}
	}
	return t.Add(24 * time.Hour)
}
