// Package dialsim is a seeded discrete-event simulation of an outbound call
// center that runs a dialer.Pacer in simulated time and measures its
// productivity and abandon rates: the pacing benchmark of `centralita dialsim`.
package dialsim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/centralita/centralita/dialer"
)

// Scenario is the traffic model of one simulated campaign.
type Scenario struct {
	// Agents is how many agents work every day, all logged in and never paused.
	Agents int
	// LiveRate and MachineRate are the shares of dialled calls answered by a
	// person and by an answering machine; the rest ring out (no answer).
	LiveRate, MachineRate float64
	// AnswerMean is the mean time to answer: exponential, cut at RingTimeout
	// (answered calls are drawn from the exponential conditioned on being
	// under RingTimeout, so LiveRate is the realized live-answer rate).
	AnswerMean, RingTimeout time.Duration
	// MachineHold is how long an answering machine keeps the line before the
	// dialer hangs up.
	MachineHold time.Duration
	// TalkMean and TalkSigma: talk time is lognormal with this mean and
	// this standard deviation of its logarithm.
	TalkMean  time.Duration
	TalkSigma float64
	// Wrapup is the fixed wrap-up time after each call.
	Wrapup time.Duration
	// Patience is how long a live answer waits for an agent before it is
	// abandoned (the recorded message is played for AbandonHold).
	Patience, AbandonHold time.Duration
	// DayLength and Days: the agents work DayLength from 09:00 each day.
	DayLength time.Duration
	Days      int
}

// NewScenario is the benchmark's traffic model with agents and live rate:
// 10% answering machines (held 5 s), time to answer mean 8 s, no-answer
// timeout 20 s, talk lognormal mean 120 s (σ 0.6), wrap-up 15 s, abandon
// after 2 s, 8-hour days over the given days.
func NewScenario(agents int, live float64, days int) Scenario {
	return Scenario{
		Agents:      agents,
		LiveRate:    live,
		MachineRate: 0.10,
		AnswerMean:  8 * time.Second,
		RingTimeout: 20 * time.Second,
		MachineHold: 5 * time.Second,
		TalkMean:    120 * time.Second,
		TalkSigma:   0.6,
		Wrapup:      15 * time.Second,
		Patience:    2 * time.Second,
		AbandonHold: 5 * time.Second,
		DayLength:   8 * time.Hour,
		Days:        days,
	}
}

// Name is "A agents, L% live".
func (s Scenario) Name() string {
	return fmt.Sprintf("%d agents, %g%% live", s.Agents, 100*s.LiveRate)
}

// Validate checks that s can be simulated.
func (s Scenario) Validate() error {
	switch {
	case s.Agents <= 0 || s.Agents > 100000:
		return errors.New("agents must be 1 to 100000")
	case !(s.LiveRate >= 0 && s.MachineRate >= 0 && s.LiveRate+s.MachineRate <= 1):
		return errors.New("live and machine rates must be shares summing to at most 1")
	case s.AnswerMean <= 0 || s.RingTimeout <= 0 || s.TalkMean <= 0:
		return errors.New("answer mean, ring timeout and talk mean must be positive")
	case s.MachineHold < 0 || s.Wrapup < 0 || s.Patience < 0 || s.AbandonHold < 0 || !(s.TalkSigma >= 0):
		return errors.New("durations must not be negative")
	case s.DayLength < time.Second || s.DayLength > 24*time.Hour:
		return errors.New("day length must be 1 s to 24 h")
	case s.Days <= 0 || s.Days > 3660:
		return errors.New("days must be 1 to 3660")
	}
	return nil
}

// Epoch is the simulated first day's midnight (UTC); days start at 09:00.
var Epoch = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// dayOpen is when each simulated day's work starts.
const dayOpen = 9 * time.Hour

// call is one dialled call.
type call struct {
	dialed, answered, connected, ended int64
	live, machine, abandoned, waiting  bool
	talk                               int64
}

// event kinds
const (
	evAnswer = iota
	evRingOut
	evMachineEnd
	evDeadline
	evAbandonEnd
	evTalkEnd
	evWrapEnd
)

type event struct {
	at   int64
	seq  uint64
	kind int
	c    *call
}

// eventHeap is a binary min-heap on (at, seq).
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s.less(l, m) {
			m = l
		}
		if r < n && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// sim is one run's state.
type sim struct {
	sc    Scenario
	rng   *rand.Rand
	pacer dialer.Pacer

	events eventHeap
	seq    uint64
	now    int64

	free, talking, wrapup, dialing int
	queue                          []*call // live answers waiting for an agent, oldest first
	logged                         int

	dayStart, dayEnd int64
	m                metrics

	talkMu, answerNorm float64
}

// Run simulates sc with pacer p, seeded: the same seed, scenario and pacer
// give the same Result bit for bit.
func Run(sc Scenario, seed uint64, p dialer.Pacer) (Result, error) {
	if err := sc.Validate(); err != nil {
		return Result{}, err
	}
	if p == nil {
		return Result{}, errors.New("no pacer")
	}
	s := &sim{
		sc:    sc,
		rng:   rand.New(rand.NewPCG(seed, 0x6469616c73696d)),
		pacer: p,
		m:     newMetrics(sc),
	}
	s.talkMu = math.Log(sc.TalkMean.Seconds()) - sc.TalkSigma*sc.TalkSigma/2
	s.answerNorm = 1 - math.Exp(-sc.RingTimeout.Seconds()/sc.AnswerMean.Seconds())
	for d := 0; d < sc.Days; d++ {
		s.day(int64(d) * int64(24*time.Hour))
	}
	return s.m.result(sc), nil
}

// day runs one working day starting at offset (ns from Epoch) of its midnight.
func (s *sim) day(midnight int64) {
	s.dayStart = midnight + int64(dayOpen)
	s.dayEnd = s.dayStart + int64(s.sc.DayLength)
	s.logged = s.sc.Agents
	for range s.sc.Agents {
		s.agentFree()
	}
	for t := s.dayStart; t < s.dayEnd; t += int64(time.Second) {
		s.runUntil(t)
		s.now = t
		n := s.pacer.Lines(dialer.PacingInput{
			Now:     s.at(t),
			Logged:  s.logged,
			Free:    s.free,
			Talking: s.talking,
			Wrapup:  s.wrapup,
			Dialing: s.dialing,
			Waiting: len(s.queue),
		})
		for range n {
			s.dial()
		}
	}
	s.runUntil(math.MaxInt64) // calls in progress finish; nothing new is dialled
	s.logged, s.free = 0, 0
}

func (s *sim) at(ns int64) time.Time { return Epoch.Add(time.Duration(ns)) }

func (s *sim) schedule(at int64, kind int, c *call) {
	s.seq++
	s.events.push(event{at: at, seq: s.seq, kind: kind, c: c})
}

func (s *sim) runUntil(t int64) {
	for len(s.events) > 0 && s.events[0].at <= t {
		e := s.events.pop()
		s.now = e.at
		s.handle(e)
	}
}

// dial places one call and draws its fate.
func (s *sim) dial() {
	c := &call{dialed: s.now}
	s.dialing++
	s.m.dialed++
	u := s.rng.Float64()
	switch {
	case u < s.sc.LiveRate:
		c.live = true
	case u < s.sc.LiveRate+s.sc.MachineRate:
		c.machine = true
	default:
		s.schedule(s.now+int64(s.sc.RingTimeout), evRingOut, c)
		return
	}
	m := s.sc.AnswerMean.Seconds()
	wait := -m * math.Log(1-s.rng.Float64()*s.answerNorm)
	s.schedule(s.now+int64(wait*1e9), evAnswer, c)
}

func (s *sim) handle(e event) {
	c := e.c
	switch e.kind {
	case evRingOut:
		s.dialing--
		c.ended = s.now
		s.observe(c)
	case evAnswer:
		s.dialing--
		c.answered = s.now
		if c.machine {
			s.m.machine++
			s.schedule(s.now+int64(s.sc.MachineHold), evMachineEnd, c)
			return
		}
		s.m.answer(s.now)
		if s.free > 0 {
			s.free--
			s.connect(c)
			return
		}
		c.waiting = true
		s.queue = append(s.queue, c)
		s.schedule(s.now+int64(s.sc.Patience), evDeadline, c)
	case evMachineEnd, evAbandonEnd:
		c.ended = s.now
		s.observe(c)
	case evDeadline:
		if !c.waiting {
			return
		}
		c.waiting = false
		c.abandoned = true
		s.dequeue(c)
		s.m.abandon(c.answered)
		s.observe(c) // End zero: the abandon is known now
		s.schedule(s.now+int64(s.sc.AbandonHold), evAbandonEnd, c)
	case evTalkEnd:
		s.talking--
		s.wrapup++
		c.ended = s.now
		s.m.work(c.connected, s.now, s.dayEnd)
		s.schedule(s.now+int64(s.sc.Wrapup), evWrapEnd, c)
	case evWrapEnd:
		s.wrapup--
		s.m.work(c.ended, s.now, s.dayEnd)
		s.observe(c)
		s.agentFree()
	}
}

// connect gives c an agent already taken from the free ones.
func (s *sim) connect(c *call) {
	c.connected = s.now
	s.talking++
	talk := math.Exp(s.talkMu + s.sc.TalkSigma*s.rng.NormFloat64())
	c.talk = max(int64(talk*1e9), int64(time.Second))
	s.observe(c) // End zero: answer and connection known
	s.schedule(s.now+c.talk, evTalkEnd, c)
}

// agentFree takes the oldest waiting call, or waits.
func (s *sim) agentFree() {
	if len(s.queue) > 0 {
		c := s.queue[0]
		s.queue = s.queue[1:]
		c.waiting = false
		s.connect(c)
		return
	}
	s.free++
}

func (s *sim) dequeue(c *call) {
	for i, q := range s.queue {
		if q == c {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return
		}
	}
}

// observe tells the pacer what is known of c now.
func (s *sim) observe(c *call) {
	r := dialer.CallResult{
		DialedAt:  s.at(c.dialed),
		Live:      c.live,
		Machine:   c.machine,
		Abandoned: c.abandoned,
	}
	if c.answered != 0 {
		r.AnsweredAt = s.at(c.answered)
	}
	if c.connected != 0 {
		r.ConnectedAt = s.at(c.connected)
	}
	if c.ended != 0 {
		r.End = s.at(c.ended)
		if c.connected != 0 {
			r.Talk = time.Duration(c.talk)
			r.Wrapup = time.Duration(s.now - c.ended)
		}
	}
	s.pacer.Observe(r)
}
