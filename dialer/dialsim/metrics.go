package dialsim

import (
	"time"
)

// Result is what one run measured.
type Result struct {
	Strategy string
	Scenario Scenario
	// Counts over the run: calls dialled, live answers, machine answers,
	// abandoned live answers.
	Dialed, Live, Machine, Abandoned int
	// AgentHours is agents × day length × days.
	AgentHours float64
	// TalkWrapMin is talk plus wrap-up minutes per agent-hour, counting only
	// work inside the working day.
	TalkWrapMin float64
	// AbandonPct is abandoned over live answers for the whole run.
	AbandonPct float64
	// Worst24hPct is the highest abandon rate of any 24-hour window ending
	// on a minute boundary while the campaign runs: from the minute of its
	// first live answer to that of its last. A window ending early on the
	// first day holds only that morning; windows ending after the last
	// answer, which hold only the last day's final minutes, are not counted.
	Worst24hPct float64
	// Worst24hEnd is when that window ends (zero if no window had answers).
	Worst24hEnd time.Time
	// Worst1mPct is the highest abandon rate of a calendar minute with at
	// least one live answer (answers and abandons by answer time).
	Worst1mPct float64
	// DialsPerAgentHour is calls dialled per agent-hour.
	DialsPerAgentHour float64
}

// metrics accumulates a run's measurements.
type metrics struct {
	dialed, live, machine, abandoned int
	busy                             int64 // talk + wrap-up ns inside the working days
	answers, abandons                []int32
}

func newMetrics(sc Scenario) metrics {
	n := (sc.Days + 1) * 24 * 60
	return metrics{answers: make([]int32, n), abandons: make([]int32, n)}
}

func (m *metrics) minute(at int64) int {
	i := int(at / int64(time.Minute))
	if i >= len(m.answers) {
		i = len(m.answers) - 1
	}
	return i
}

func (m *metrics) answer(at int64) {
	m.live++
	m.answers[m.minute(at)]++
}

func (m *metrics) abandon(answeredAt int64) {
	m.abandoned++
	m.abandons[m.minute(answeredAt)]++
}

// work counts an agent's busy interval [from, to) up to the day's end.
func (m *metrics) work(from, to, dayEnd int64) {
	to = min(to, dayEnd)
	if to > from {
		m.busy += to - from
	}
}

func (m *metrics) result(sc Scenario) Result {
	r := Result{
		Scenario:   sc,
		Dialed:     m.dialed,
		Live:       m.live,
		Machine:    m.machine,
		Abandoned:  m.abandoned,
		AgentHours: float64(sc.Agents) * sc.DayLength.Hours() * float64(sc.Days),
	}
	if r.AgentHours > 0 {
		r.TalkWrapMin = time.Duration(m.busy).Minutes() / r.AgentHours
		r.DialsPerAgentHour = float64(m.dialed) / r.AgentHours
	}
	r.AbandonPct = pct(m.abandoned, m.live)
	const day = 24 * 60
	last := len(m.answers) - 1
	for last > 0 && m.answers[last] == 0 {
		last--
	}
	var ans, ab int
	for i := 0; i <= last; i++ {
		ans += int(m.answers[i])
		ab += int(m.abandons[i])
		if i >= day {
			ans -= int(m.answers[i-day])
			ab -= int(m.abandons[i-day])
		}
		if ans > 0 && (r.Worst24hEnd.IsZero() || pct(ab, ans) > r.Worst24hPct) {
			r.Worst24hPct = pct(ab, ans)
			r.Worst24hEnd = Epoch.Add(time.Duration(i+1) * time.Minute)
		}
		if m.answers[i] > 0 {
			r.Worst1mPct = max(r.Worst1mPct, pct(int(m.abandons[i]), int(m.answers[i])))
		}
	}
	return r
}

func pct(n, of int) float64 {
	if of <= 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}
