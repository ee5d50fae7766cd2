// Package dialer is the outbound engine: campaigns, contact bases, retries,
// calling windows, do-not-call, dispositions, schedules and pacing, with
// calls answered by the ACD's agents.
package dialer

import "time"

// PacingInput is what a pacer sees of one campaign at one moment.
type PacingInput struct {
	Now time.Time
	// Agents of the campaign's queue: logged in, free now (available, not
	// paused, not in a call or wrap-up), on a call, in wrap-up.
	Logged, Free, Talking, Wrapup int
	// Dialing counts calls dialled and not yet answered or failed; Waiting
	// counts answered calls waiting for an agent.
	Dialing, Waiting int
	// MaxLines caps Dialing+Waiting (0 = no cap).
	MaxLines int
}

// CallResult is the outcome of one dialled call, as pacers learn from it.
type CallResult struct {
	// DialedAt is when it was dialled; End when it ended or failed.
	DialedAt, End time.Time
	// Live: a person answered (AnsweredAt set). Machine: an answering
	// machine did. Neither: busy, no answer or failed.
	Live, Machine bool
	AnsweredAt    time.Time
	// Abandoned: live, and not connected to an agent within 2 s.
	Abandoned bool
	// ConnectedAt is when an agent took it; Talk and Wrapup its durations.
	ConnectedAt  time.Time
	Talk, Wrapup time.Duration
}

// Pacer decides how many new calls a campaign starts now. Lines is called
// about once a second; Observe is told every finished call (and, for a
// live call, as soon as its answer and connection are known, with End zero).
type Pacer interface {
	// Lines returns how many calls to dial now, on top of those in flight.
	Lines(in PacingInput) int
	Observe(r CallResult)
	// Ratio is the lines per free agent the pacer aims at now (for status).
	Ratio() float64
}
