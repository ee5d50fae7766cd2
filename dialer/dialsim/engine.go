package dialsim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/dialer"
	"github.com/centralita/centralita/store"
)

// EngineConfig configures RunEngine.
type EngineConfig struct {
	// Dir is where the run's SQLite database is created; default a
	// temporary directory removed afterwards.
	Dir string
	// Settle bounds the real time the run waits for the engine to apply
	// one queue_log row; default 10 s.
	Settle time.Duration
}

// engineQueue is the queue (and campaign name) of an engine-driven run.
const engineQueue = "dialsim"

// RunEngine runs the scenario through the real dialer engine: a
// dialer.Engine on a SQLite store, driven in simulated time by a fake PBX
// and a fake ACD that draw every call's fate from the same traffic model
// as Run, with the strategy's pacer. Every simulated second it delivers
// the events due, in order, each applied before the next, then calls
// Engine.Tick. The engine dials through the store (attempt rows, claims),
// and learns the outcomes only from channel events and queue_log rows:
// CONNECT, EXITWITHTIMEOUT and COMPLETECALLER (no ENTERQUEUE, so the ACD
// reports no waiting calls: the engine counts its answered, unqueued calls
// itself). Answering machines, which the live engine cannot tell from a
// person, hang up at their answer (a Failed attempt, not a live answer),
// so that they stop counting as dialling when Run's do. Fates are drawn
// per attempt (seeded by seed and the attempt's id), so runs repeat.
//
// The campaign has no retry rules and no windows; its pacer is the
// strategy's (Config.NewPacer), its clock and timers the run's (the
// engine's own pacing timer is never due: the run calls Tick).
//
// The measures are the simulated ACD's, as Run's. Days may last at most
// 14 hours (09:00 to 23:00). At the end of each day the engine's own
// counters of the day (dialled, answered, connected, abandoned) must agree
// with the ACD's, else RunEngine fails.
func RunEngine(ctx context.Context, sc Scenario, seed uint64, st Strategy, cfg EngineConfig) (Result, error) {
	if err := sc.Validate(); err != nil {
		return Result{}, err
	}
	if st.New == nil {
		return Result{}, errors.New("no pacer")
	}
	if dayOpen+sc.DayLength > 23*time.Hour {
		// the engine's counters of the day restart at midnight
		return Result{}, errors.New("through the engine, a day must end by 23:00 (at most 14 h)")
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 10 * time.Second
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "dialsim-")
		if err != nil {
			return Result{}, fmt.Errorf("dialsim: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	s := newEngineSim(sc, seed, cfg.Settle)
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(dir, "dialsim.db"), Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return Result{}, fmt.Errorf("dialsim: opening the store: %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return Result{}, fmt.Errorf("dialsim: migrating the store: %w", err)
	}
	if err := s.setup(ctx, db, st); err != nil {
		return Result{}, err
	}
	defer s.eng.Close()
	for d := 0; d < sc.Days; d++ {
		if err := s.day(ctx, int64(d)*int64(24*time.Hour)); err != nil {
			return Result{}, err
		}
	}
	r := s.m.result(sc)
	r.Strategy = st.Name + " (engine)"
	return r, nil
}

// engineSim is one engine-driven run: the virtual clock, the fake PBX and
// ACD, the traffic model and the engine.
type engineSim struct {
	sc     Scenario
	seed   uint64
	settle time.Duration
	clock  *vclock
	pbx    *simPBX
	acd    *simACD
	eng    *dialer.Engine
	camp   centralita.Campaign

	contacts *store.ContactService
	loaded   int

	events          ecallHeap
	seq             uint64
	observed        atomic.Int64
	observedSignal  chan struct{}
	dayStart        int64
	dayEnd          int64
	m               metrics
	today           dayCounts
	talkMu, ansNorm float64
}

func newEngineSim(sc Scenario, seed uint64, settle time.Duration) *engineSim {
	s := &engineSim{
		sc: sc, seed: seed, settle: settle,
		clock:          &vclock{now: Epoch},
		pbx:            &simPBX{events: make(chan centralita.ChannelEvent), live: map[string]string{}},
		acd:            &simACD{state: map[string]centralita.AgentStatus{}},
		observedSignal: make(chan struct{}, 1),
		m:              newMetrics(sc),
	}
	s.talkMu = math.Log(sc.TalkMean.Seconds()) - sc.TalkSigma*sc.TalkSigma/2
	s.ansNorm = 1 - math.Exp(-sc.RingTimeout.Seconds()/sc.AnswerMean.Seconds())
	s.acd.wrapupSec = int(sc.Wrapup / time.Second)
	return s
}

// setup creates the campaign and its contacts and starts the engine.
func (s *engineSim) setup(ctx context.Context, db *store.DB, st Strategy) error {
	camps, contacts := store.NewCampaignService(db), store.NewContactService(db)
	mode := centralita.ModePredictive
	switch st.Name {
	case "progressive":
		mode = centralita.ModeProgressive
	case "power2":
		mode = centralita.ModePower
	}
	s.camp = centralita.Campaign{
		Name: engineQueue, Queue: engineQueue, Mode: mode, State: centralita.CampaignActive,
		CallerID: "24000000", RingTimeoutSec: int(s.sc.RingTimeout / time.Second),
		AbandonLimitPct: AbandonLimitPct,
	}
	if err := camps.CreateCampaign(ctx, &s.camp); err != nil {
		return fmt.Errorf("dialsim: creating the campaign: %w", err)
	}
	s.contacts = contacts
	if err := s.topUp(ctx); err != nil {
		return err
	}
	eng, err := dialer.New(dialer.Config{
		PBX: s.pbx, ACD: s.acd, Campaigns: camps, Contacts: contacts,
		Blacklist: store.NewBlacklistService(db), Dispositions: store.NewDispositionService(db),
		QueueLog: store.NewQueueLogService(db),
		NewPacer: func(centralita.Campaign) dialer.Pacer {
			return &countingPacer{p: st.New(), n: &s.observed, signal: s.observedSignal}
		},
		Now: s.clock.Now, Timer: s.clock.Timer, Location: time.UTC,
		// Tick is called by the run itself, never by the engine's timer.
		TickInterval: 100000 * time.Hour,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return fmt.Errorf("dialsim: starting the engine: %w", err)
	}
	s.eng = eng
	return nil
}

// topUp loads another thousand contacts when fewer than 100 per agent are
// left to dial (no contact is dialled twice: the campaign has no retry rules).
func (s *engineSim) topUp(ctx context.Context) error {
	if s.loaded-s.m.dialed >= 100*s.sc.Agents {
		return nil
	}
	batch := make([]*centralita.Contact, 1000)
	for i := range batch {
		batch[i] = &centralita.Contact{CampaignID: s.camp.ID, Number: strconv.Itoa(600000000 + s.loaded + i),
			Enabled: true, State: centralita.ContactPending, Priority: centralita.PriorityDefault}
	}
	if err := s.contacts.CreateContacts(ctx, batch, centralita.TransitionAPI); err != nil {
		return fmt.Errorf("dialsim: loading contacts: %w", err)
	}
	s.loaded += len(batch)
	return nil
}

// day runs one working day from midnight (ns from Epoch), then lets the
// calls in progress finish and checks the engine's counters of the day.
func (s *engineSim) day(ctx context.Context, midnight int64) error {
	s.dayStart = midnight + int64(dayOpen)
	s.dayEnd = s.dayStart + int64(s.sc.DayLength)
	s.today = dayCounts{}
	s.acd.open(s.sc.Agents)
	if err := s.runUntil(s.dayStart); err != nil {
		return err
	}
	for t := s.dayStart; t < s.dayEnd; t += int64(time.Second) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.runUntil(t); err != nil {
			return err
		}
		if err := s.topUp(ctx); err != nil {
			return err
		}
		s.clock.set(Epoch.Add(time.Duration(t)))
		s.eng.Tick(ctx)
		s.dialled(t)
	}
	for len(s.events) > 0 {
		if err := s.runUntil(s.events[0].at); err != nil {
			return err
		}
	}
	// the engine's grace timers run out
	if err := s.runUntil(s.clock.offset() + int64(time.Minute)); err != nil {
		return err
	}
	s.acd.close()
	return s.checkCounters(ctx)
}

// checkCounters compares the engine's figures of the day with the ACD's.
func (s *engineSim) checkCounters(ctx context.Context) error {
	sts, err := s.eng.Status(ctx)
	if err != nil {
		return fmt.Errorf("dialsim: engine status: %w", err)
	}
	i := slices.IndexFunc(sts, func(st centralita.CampaignStatus) bool { return st.Campaign.ID == s.camp.ID })
	if i < 0 {
		return errors.New("dialsim: the engine lost the campaign")
	}
	st, d := sts[i], s.today
	if st.Dialed != d.dialed || st.Answered != d.live || st.Connected != d.live-d.abandoned || st.Abandoned != d.abandoned || st.Dialing != 0 || st.Waiting != 0 {
		return fmt.Errorf("dialsim: engine counted %d dialled, %d answered, %d connected, %d abandoned (%d still dialling, %d waiting); the ACD %d, %d, %d, %d",
			st.Dialed, st.Answered, st.Connected, st.Abandoned, st.Dialing, st.Waiting, d.dialed, d.live, d.live-d.abandoned, d.abandoned)
	}
	return nil
}

// dialled draws the fate of the calls the engine originated this second,
// in attempt order.
func (s *engineSim) dialled(now int64) {
	for _, req := range s.pbx.takeOriginated() {
		id, _ := strconv.ParseUint(strings.TrimPrefix(req.ChannelID, "dl-"), 10, 64)
		c := &ecall{id: req.ChannelID, dialed: now, rng: rand.New(rand.NewPCG(s.seed, splitmix(id)))}
		s.m.dialed++
		s.today.dialed++
		u := c.rng.Float64()
		switch {
		case u < s.sc.LiveRate:
			c.live = true
		case u < s.sc.LiveRate+s.sc.MachineRate:
			c.machine = true
		default:
			s.schedule(now+int64(s.sc.RingTimeout), evRingOut, c)
			continue
		}
		wait := -s.sc.AnswerMean.Seconds() * math.Log(1-c.rng.Float64()*s.ansNorm)
		s.schedule(now+int64(wait*1e9), evAnswer, c)
	}
}

// splitmix scatters attempt ids, so that neighbouring ids seed unrelated streams.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (s *engineSim) schedule(at int64, kind int, c *ecall) {
	s.seq++
	heap.Push(&s.events, ecallEvent{at: at, seq: s.seq, kind: kind, c: c})
}

// runUntil handles the simulated events and fires the engine's timers due
// up to t (ns from Epoch), in time order (events first on a tie).
func (s *engineSim) runUntil(t int64) error {
	for {
		ta, timerDue := s.clock.nextTimer()
		timerDue = timerDue && ta <= t
		if len(s.events) > 0 && s.events[0].at <= t && (!timerDue || s.events[0].at <= ta) {
			ev := heap.Pop(&s.events).(ecallEvent)
			s.clock.set(Epoch.Add(time.Duration(ev.at)))
			if err := s.handle(ev); err != nil {
				return err
			}
			continue
		}
		if timerDue {
			s.clock.fireNext()
			continue
		}
		if t > s.clock.offset() {
			s.clock.set(Epoch.Add(time.Duration(t)))
		}
		return nil
	}
}

// handle applies one simulated event to the fake PBX and ACD, telling the
// engine and waiting until it applied what it was told.
func (s *engineSim) handle(ev ecallEvent) error {
	c, now := ev.c, ev.at
	switch ev.kind {
	case evRingOut:
		s.hangup(c, centralita.CauseNoAnswer)
	case evAnswer:
		c.answered = now
		if c.machine {
			s.m.machine++
			s.hangup(c, centralita.CauseNormalClearing)
			return nil
		}
		s.m.answer(now)
		s.today.live++
		s.pbx.up(c.id)
		s.pbx.send(centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: c.id})
		if agent, ok := s.acd.take(); ok {
			return s.connect(c, agent)
		}
		c.waiting = true
		s.acd.enqueue(c)
		s.schedule(now+int64(s.sc.Patience), evDeadline, c)
	case evDeadline:
		if !c.waiting {
			return nil
		}
		c.waiting, c.abandoned = false, true
		s.acd.dequeue(c)
		s.m.abandon(c.answered)
		s.today.abandoned++
		wait := strconv.Itoa(int((now - c.answered) / int64(time.Second)))
		if err := s.row(c, centralita.QLExitWithTimeout, "NONE", "1", "1", wait); err != nil {
			return err
		}
		s.schedule(now+int64(s.sc.AbandonHold), evAbandonEnd, c)
	case evAbandonEnd:
		s.hangup(c, centralita.CauseNormalClearing)
	case evTalkEnd:
		s.acd.toWrapup(c.agent)
		c.ended = now
		s.m.work(c.connected, now, s.dayEnd)
		talk := strconv.Itoa(int(math.Round(time.Duration(c.talk).Seconds())))
		if err := s.row(c, centralita.QLCompleteCaller, centralita.AgentLogName(c.agent), "0", talk, "1"); err != nil {
			return err
		}
		s.hangup(c, centralita.CauseNormalClearing)
		s.schedule(now+int64(s.sc.Wrapup), evWrapEnd, c)
	case evWrapEnd:
		s.m.work(c.ended, now, s.dayEnd)
		if next := s.acd.release(c.agent); next != nil {
			next.waiting = false
			return s.connect(next, c.agent)
		}
	}
	return nil
}

// connect gives c to agent: the CONNECT row, then its talk time.
func (s *engineSim) connect(c *ecall, agent string) error {
	now := s.clock.offset()
	c.connected, c.agent = now, agent
	talk := math.Exp(s.talkMu + s.sc.TalkSigma*c.rng.NormFloat64())
	c.talk = max(int64(talk*1e9), int64(time.Second))
	hold := strconv.Itoa(int((now - c.answered) / int64(time.Second)))
	if err := s.row(c, centralita.QLConnect, centralita.AgentLogName(agent), hold, c.id+"-agent", "0"); err != nil {
		return err
	}
	s.schedule(now+c.talk, evTalkEnd, c)
	return nil
}

// hangup ends c's channel and waits until the engine applied it.
func (s *engineSim) hangup(c *ecall, cause int) {
	s.pbx.gone(c.id)
	s.pbx.send(centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: c.id, Cause: cause})
}

// row hands the engine a queue_log row of c's and waits until the engine
// told the pacer about it (each of these rows makes one observation).
func (s *engineSim) row(c *ecall, event, agent string, data ...string) error {
	r := centralita.QueueLogEntry{Time: s.clock.Now(), CallID: c.id, QueueName: engineQueue, Agent: agent, Event: event}
	fields := []*string{&r.Data1, &r.Data2, &r.Data3}
	for i, d := range data {
		*fields[i] = d
	}
	want := s.observed.Load() + 1
	s.eng.HandleQueueLog(r)
	deadline := time.NewTimer(s.settle)
	defer deadline.Stop()
	for s.observed.Load() < want {
		select {
		case <-s.observedSignal:
		case <-deadline.C:
			return fmt.Errorf("dialsim: the engine did not apply %s of %s within %s", event, c.id, s.settle)
		}
	}
	return nil
}

// dayCounts are the ACD's figures of the day.
type dayCounts struct{ dialed, live, abandoned int }

// countingPacer counts the observations the engine makes.
type countingPacer struct {
	p      dialer.Pacer
	n      *atomic.Int64
	signal chan struct{}
}

func (p *countingPacer) Lines(in dialer.PacingInput) int { return p.p.Lines(in) }
func (p *countingPacer) Ratio() float64                  { return p.p.Ratio() }

func (p *countingPacer) Observe(r dialer.CallResult) {
	p.p.Observe(r)
	p.n.Add(1)
	select {
	case p.signal <- struct{}{}:
	default:
	}
}
