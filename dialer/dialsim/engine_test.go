package dialsim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita/dialer/dialsim"
)

// runEngine runs one strategy through the real engine.
func runEngine(t *testing.T, sc dialsim.Scenario, seed uint64, name string) dialsim.Result {
	t.Helper()
	sts, err := dialsim.SelectStrategies(name)
	require.NoError(t, err)
	r, err := dialsim.RunEngine(context.Background(), sc, seed, sts[0], dialsim.EngineConfig{Dir: t.TempDir()})
	require.NoError(t, err) // includes: the engine's counters of the day match the ACD's
	require.Equal(t, name+" (engine)", r.Strategy)
	return r
}

// The real engine, driven in simulated time, paces like the pacer alone:
// one simulated hour of 5 agents at 30% live answers.
func TestEngineMatchesPacerOnly(t *testing.T) {
	sc := dialsim.NewScenario(5, 0.30, 1)
	sc.DayLength = time.Hour
	eng := runEngine(t, sc, 1, "predictive")
	pac := run(t, sc, 1, "predictive")
	t.Logf("engine: %.1f min/agent-h, abandon %.2f%%, %d dialled; pacer only: %.1f, %.2f%%, %d",
		eng.TalkWrapMin, eng.AbandonPct, eng.Dialed, pac.TalkWrapMin, pac.AbandonPct, pac.Dialed)
	require.Positive(t, eng.Live)
	require.InDelta(t, sc.LiveRate, float64(eng.Live)/float64(eng.Dialed), 0.06)
	require.LessOrEqual(t, eng.AbandonPct, float64(dialsim.AbandonLimitPct))
	require.LessOrEqual(t, eng.Worst24hPct, float64(dialsim.AbandonLimitPct))
	require.InEpsilon(t, pac.TalkWrapMin, eng.TalkWrapMin, 0.10, "talk+wrap within 10% of the pacer-only run")
	require.InEpsilon(t, pac.DialsPerAgentHour, eng.DialsPerAgentHour, 0.15)
}

// Power 2:1 abandons calls: they reach the engine as EXITWITHTIMEOUT rows
// (its counters of the day match the ACD's: checked by RunEngine), and its
// productivity is the pacer-only run's.
func TestEngineAbandons(t *testing.T) {
	sc := dialsim.NewScenario(5, 0.30, 1)
	sc.DayLength = 15 * time.Minute
	eng := runEngine(t, sc, 1, "power2")
	pac := run(t, sc, 1, "power2")
	t.Logf("engine: %d of %d live abandoned, %.1f min/agent-h; pacer only: %d of %d, %.1f",
		eng.Abandoned, eng.Live, eng.TalkWrapMin, pac.Abandoned, pac.Live, pac.TalkWrapMin)
	require.Positive(t, eng.Abandoned)
	require.Positive(t, pac.Abandoned)
	// 15 minutes are noisy (dials differ by up to 20% between the two runs
	// over seeds); talk+wrap is steadier
	require.InEpsilon(t, pac.TalkWrapMin, eng.TalkWrapMin, 0.10)
}

// The same seed gives the same engine-driven run; bad input is an error.
func TestEngineRepeatable(t *testing.T) {
	sc := dialsim.NewScenario(5, 0.30, 1)
	sc.DayLength = 3 * time.Minute
	a, b := runEngine(t, sc, 3, "power2"), runEngine(t, sc, 3, "power2")
	require.Equal(t, a, b)

	bad := sc
	bad.Agents = 0
	sts, err := dialsim.SelectStrategies("progressive")
	require.NoError(t, err)
	_, err = dialsim.RunEngine(context.Background(), bad, 1, sts[0], dialsim.EngineConfig{Dir: t.TempDir()})
	require.Error(t, err)
	_, err = dialsim.RunEngine(context.Background(), sc, 1, dialsim.Strategy{Name: "none"}, dialsim.EngineConfig{Dir: t.TempDir()})
	require.Error(t, err)
}
