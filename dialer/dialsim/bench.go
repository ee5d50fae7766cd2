package dialsim

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/centralita/centralita/dialer"
)

// AbandonLimitPct is the limit the benchmark's adaptive and predictive
// pacers are given and its targets check.
const AbandonLimitPct = 3

// Strategy is a named way to build a fresh pacer.
type Strategy struct {
	Name string
	New  func() dialer.Pacer
}

// Strategies are the benchmark's four pacers, in table order.
func Strategies() []Strategy {
	return []Strategy{
		{"progressive", dialer.NewProgressive},
		{"power2", func() dialer.Pacer { return dialer.NewPower(2) }},
		{"adaptive", func() dialer.Pacer {
			return dialer.NewAdaptive(dialer.AdaptiveConfig{AbandonLimitPct: AbandonLimitPct})
		}},
		{"predictive", func() dialer.Pacer {
			return dialer.NewPredictive(dialer.PredictiveConfig{AbandonLimitPct: AbandonLimitPct})
		}},
	}
}

// SelectStrategies returns the strategies named in a comma list, or all of
// them for "all" or "".
func SelectStrategies(list string) ([]Strategy, error) {
	all := Strategies()
	if list == "" || list == "all" {
		return all, nil
	}
	var out []Strategy
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(all, func(s Strategy) bool { return s.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown strategy %q (want progressive, power2, adaptive, predictive or all)", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// RunStrategy runs one strategy on sc with seed and names the result.
func RunStrategy(sc Scenario, seed uint64, st Strategy) (Result, error) {
	r, err := Run(sc, seed, st.New())
	r.Strategy = st.Name
	return r, err
}

// WriteTable prints one row per result, grouped by scenario.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tstrategy\ttalk+wrap min/agent-h\tabandon %\tworst 24h %\tworst 1m %\tdials/agent-h\tlive\tabandoned\t")
	for i, r := range results {
		if i > 0 && r.Scenario != results[i-1].Scenario {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.2f\t%.2f\t%.1f\t%.1f\t%d\t%d\t\n",
			r.Scenario.Name(), r.Strategy, r.TalkWrapMin, r.AbandonPct, r.Worst24hPct, r.Worst1mPct,
			r.DialsPerAgentHour, r.Live, r.Abandoned)
	}
	return tw.Flush()
}

// Verdict is one target checked on one scenario.
type Verdict struct {
	Scenario string
	Target   string
	OK       bool
	Detail   string
}

// Verdicts checks the targets on results (only the scenarios where
// the strategies a target compares were run):
//   - predictive abandon ≤ 3% over the run and in every 24-hour window;
//   - at 20 agents or more, predictive talk+wrap ≥ 1.10 × adaptive's, with an
//     abandon rate over the run at or under adaptive's;
//   - under 20 agents, predictive talk+wrap ≥ progressive's (never worse),
//     within the abandon limit.
func Verdicts(results []Result) []Verdict {
	type key struct {
		sc       Scenario
		strategy string
	}
	by := map[key]Result{}
	var scenarios []Scenario
	for _, r := range results {
		if !slices.Contains(scenarios, r.Scenario) {
			scenarios = append(scenarios, r.Scenario)
		}
		by[key{r.Scenario, r.Strategy}] = r
	}
	var out []Verdict
	for _, sc := range scenarios {
		pred, ok := by[key{sc, "predictive"}]
		if !ok {
			continue
		}
		name := sc.Name()
		out = append(out, Verdict{name, "predictive abandon ≤ 3% over the run",
			pred.AbandonPct <= AbandonLimitPct, fmt.Sprintf("%.2f%%", pred.AbandonPct)})
		out = append(out, Verdict{name, "predictive abandon ≤ 3% in every 24 h",
			pred.Worst24hPct <= AbandonLimitPct, fmt.Sprintf("worst %.2f%%", pred.Worst24hPct)})
		if sc.Agents >= 20 {
			if ad, ok := by[key{sc, "adaptive"}]; ok {
				ratio := pred.TalkWrapMin / ad.TalkWrapMin
				out = append(out, Verdict{name, "predictive talk+wrap ≥ 1.10 × adaptive at ≤ its abandon",
					ratio >= 1.10 && pred.AbandonPct <= ad.AbandonPct,
					fmt.Sprintf("%.3f× (%.1f vs %.1f min/agent-h), abandon %.2f%% vs %.2f%%",
						ratio, pred.TalkWrapMin, ad.TalkWrapMin, pred.AbandonPct, ad.AbandonPct)})
			}
		} else if pr, ok := by[key{sc, "progressive"}]; ok {
			ratio := pred.TalkWrapMin / pr.TalkWrapMin
			out = append(out, Verdict{name, "predictive never worse than progressive",
				ratio >= 1 && pred.AbandonPct <= AbandonLimitPct && pred.Worst24hPct <= AbandonLimitPct,
				fmt.Sprintf("%.3f× (%.1f vs %.1f min/agent-h), abandon %.2f%% vs %.2f%%",
					ratio, pred.TalkWrapMin, pr.TalkWrapMin, pred.AbandonPct, pr.AbandonPct)})
		}
	}
	return out
}

// WriteVerdicts prints each verdict as PASS or MISS.
func WriteVerdicts(w io.Writer, vs []Verdict) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range vs {
		mark := "MISS"
		if v.OK {
			mark = "PASS"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", mark, v.Scenario, v.Target, v.Detail)
	}
	return tw.Flush()
}
