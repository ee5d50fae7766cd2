package dialer

import (
	"math"
	"sync"
)

// inFlight is the number of calls dialled and not yet with an agent.
func inFlight(in PacingInput) int { return in.Dialing + in.Waiting }

// capLines bounds n new lines to 0 and to what MaxLines leaves free.
func capLines(in PacingInput, n int) int {
	if in.MaxLines > 0 {
		if room := in.MaxLines - inFlight(in); n > room {
			n = room
		}
	}
	if n < 0 || in.Logged <= 0 {
		return 0
	}
	return n
}

// progressiveLines is one line per free agent minus the calls in flight.
func progressiveLines(in PacingInput) int {
	return capLines(in, in.Free-inFlight(in))
}

// progressive dials exactly one line per free agent.
type progressive struct{}

// NewProgressive returns the progressive (1:1) pacer: one call in flight per
// free agent, so a live answer always finds an agent.
func NewProgressive() Pacer { return progressive{} }

func (progressive) Lines(in PacingInput) int { return progressiveLines(in) }
func (progressive) Observe(CallResult)       {}
func (progressive) Ratio() float64           { return 1 }

// power dials a fixed number of lines per free agent.
type power struct {
	ratio float64
}

// NewPower returns the power pacer: round(ratio × free agents) calls in
// flight (dialing or waiting). A ratio below 1 (or NaN) is taken as 1.
func NewPower(ratio float64) Pacer {
	if !(ratio >= 1) || math.IsInf(ratio, 0) {
		ratio = 1
	}
	return &power{ratio: ratio}
}

func (p *power) Lines(in PacingInput) int {
	target := int(math.Round(p.ratio * float64(in.Free)))
	return capLines(in, target-inFlight(in))
}
func (p *power) Observe(CallResult) {}
func (p *power) Ratio() float64     { return p.ratio }

// lockedPacer serializes a pacer's methods: the engine may call Lines from
// its ticker and Observe from call events.
type lockedPacer struct {
	mu sync.Mutex
	p  Pacer
}

func (l *lockedPacer) Lines(in PacingInput) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.Lines(in)
}

func (l *lockedPacer) Observe(r CallResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.Observe(r)
}

func (l *lockedPacer) Ratio() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.Ratio()
}
