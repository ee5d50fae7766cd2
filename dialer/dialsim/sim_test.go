package dialsim_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita/dialer"
	"github.com/centralita/centralita/dialer/dialsim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// short is a two-hour day of 10 agents at 30% live: enough calls to
// measure, quick under -race.
func short() dialsim.Scenario {
	sc := dialsim.NewScenario(10, 0.30, 1)
	sc.DayLength = 2 * time.Hour
	return sc
}

func run(t *testing.T, sc dialsim.Scenario, seed uint64, name string) dialsim.Result {
	t.Helper()
	sts, err := dialsim.SelectStrategies(name)
	require.NoError(t, err)
	r, err := dialsim.RunStrategy(sc, seed, sts[0])
	require.NoError(t, err)
	return r
}

func TestRunIsRepeatable(t *testing.T) {
	for _, name := range []string{"adaptive", "predictive"} {
		a, b := run(t, short(), 7, name), run(t, short(), 7, name)
		require.Equal(t, a, b, name)
		c := run(t, short(), 8, name)
		require.NotEqual(t, a.Dialed, c.Dialed, "another seed, another run")
	}
}

func TestStrategiesCompare(t *testing.T) {
	sc := short()
	res := map[string]dialsim.Result{}
	for _, st := range dialsim.Strategies() {
		r, err := dialsim.RunStrategy(sc, 1, st)
		require.NoError(t, err)
		res[st.Name] = r
		require.Positive(t, r.Dialed, st.Name)
		require.Positive(t, r.Live, st.Name)
		// a live rate near the scenario's
		require.InDelta(t, sc.LiveRate, float64(r.Live)/float64(r.Dialed), 0.05, st.Name)
		require.LessOrEqual(t, r.TalkWrapMin, 60.0, st.Name)
		require.GreaterOrEqual(t, r.Worst24hPct, r.AbandonPct-1e-9, st.Name)
	}
	prog, power := res["progressive"], res["power2"]
	// one line per free agent: a live answer always finds one
	require.Zero(t, prog.Abandoned)
	require.Zero(t, prog.Worst1mPct)
	require.LessOrEqual(t, prog.Abandoned, power.Abandoned)
	require.Positive(t, power.Abandoned, "2:1 abandons some at 30% live")
	require.Greater(t, power.DialsPerAgentHour, prog.DialsPerAgentHour)
	require.Greater(t, power.TalkWrapMin, prog.TalkWrapMin)
	// the predictive pacer starts progressive and stays within the limit
	pred := res["predictive"]
	require.LessOrEqual(t, pred.AbandonPct, float64(dialsim.AbandonLimitPct))
	require.GreaterOrEqual(t, pred.TalkWrapMin, prog.TalkWrapMin)
}

func TestScenarioValidate(t *testing.T) {
	ok := dialsim.NewScenario(5, 0.3, 30)
	require.NoError(t, ok.Validate())
	bad := []func(*dialsim.Scenario){
		func(s *dialsim.Scenario) { s.Agents = 0 },
		func(s *dialsim.Scenario) { s.LiveRate = 0.95 }, // with 10% machines
		func(s *dialsim.Scenario) { s.LiveRate = -0.1 },
		func(s *dialsim.Scenario) { s.AnswerMean = 0 },
		func(s *dialsim.Scenario) { s.Wrapup = -time.Second },
		func(s *dialsim.Scenario) { s.DayLength = 25 * time.Hour },
		func(s *dialsim.Scenario) { s.Days = 0 },
	}
	for i, mutate := range bad {
		sc := ok
		mutate(&sc)
		require.Error(t, sc.Validate(), i)
		_, err := dialsim.Run(sc, 1, dialer.NewProgressive())
		require.Error(t, err, i)
	}
	_, err := dialsim.Run(ok, 1, nil)
	require.Error(t, err)
}

func TestSelectStrategies(t *testing.T) {
	all, err := dialsim.SelectStrategies("all")
	require.NoError(t, err)
	require.Len(t, all, 4)
	two, err := dialsim.SelectStrategies("predictive, progressive")
	require.NoError(t, err)
	require.Equal(t, "predictive", two[0].Name)
	require.Equal(t, "progressive", two[1].Name)
	_, err = dialsim.SelectStrategies("predictive,turbo")
	require.ErrorContains(t, err, `"turbo"`)
}

func TestVerdicts(t *testing.T) {
	small, big := dialsim.NewScenario(5, 0.3, 30), dialsim.NewScenario(20, 0.3, 30)
	results := []dialsim.Result{
		{Strategy: "progressive", Scenario: small, TalkWrapMin: 44},
		{Strategy: "predictive", Scenario: small, TalkWrapMin: 43, AbandonPct: 2, Worst24hPct: 2.5},
		{Strategy: "adaptive", Scenario: big, TalkWrapMin: 40, AbandonPct: 3.1},
		{Strategy: "predictive", Scenario: big, TalkWrapMin: 44.5, AbandonPct: 2.5, Worst24hPct: 3.2},
	}
	vs := dialsim.Verdicts(results)
	require.Len(t, vs, 6)
	got := map[string]bool{}
	for _, v := range vs {
		got[v.Scenario+"|"+v.Target] = v.OK
	}
	require.True(t, got[small.Name()+"|predictive abandon ≤ 3% over the run"])
	require.True(t, got[small.Name()+"|predictive abandon ≤ 3% in every 24 h"])
	require.False(t, got[small.Name()+"|predictive never worse than progressive"], "43 < 44")
	require.False(t, got[big.Name()+"|predictive abandon ≤ 3% in every 24 h"], "3.2 > 3")
	require.True(t, got[big.Name()+"|predictive talk+wrap ≥ 1.10 × adaptive at ≤ its abandon"], "44.5/40 = 1.11")

	var buf bytes.Buffer
	require.NoError(t, dialsim.WriteVerdicts(&buf, vs))
	require.Contains(t, buf.String(), "MISS")
	require.Contains(t, buf.String(), "PASS")
	buf.Reset()
	require.NoError(t, dialsim.WriteTable(&buf, results))
	require.Contains(t, buf.String(), "20 agents, 30% live")
}
