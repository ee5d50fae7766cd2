package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita/dialer/dialsim"
)

// dialsimCommand runs the pacing benchmark: every scenario (agents × live
// rate) with every strategy, in simulated time, then the verdicts.
func (e env) dialsimCommand(ctx context.Context, args []string) error {
	var (
		days                       int
		seed                       uint64
		agents, answer, strategies string
		noVerdicts, engine         bool
	)
	started := time.Now()
	fs := flag.NewFlagSet("dialsim", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: centralita dialsim [flags]: simulate the outbound pacing strategies against a traffic model")
		fs.PrintDefaults()
	}
	fs.IntVar(&days, "days", 30, "8-hour days to simulate")
	fs.Uint64Var(&seed, "seed", 1, "random seed (the same seed repeats the same run)")
	fs.StringVar(&agents, "agents", "5,20,100", "comma list of agent counts")
	fs.StringVar(&answer, "answer", "0.15,0.30,0.50", "comma list of live-answer rates (0..1)")
	fs.StringVar(&strategies, "strategies", "all", "comma list of progressive, power2, adaptive, predictive, or all")
	fs.BoolVar(&noVerdicts, "no-verdicts", false, "print the table only")
	fs.BoolVar(&engine, "engine", false, "also run each scenario through the real dialer engine on SQLite (slow: use --days 1) and print its row below the pacer-only one")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dialsim: unexpected argument %q", fs.Arg(0))
	}
	agentList, err := parseList(agents, "agents", strconv.Atoi)
	if err != nil {
		return err
	}
	answerList, err := parseList(answer, "answer", func(s string) (float64, error) {
		return strconv.ParseFloat(s, 64)
	})
	if err != nil {
		return err
	}
	selected, err := dialsim.SelectStrategies(strategies)
	if err != nil {
		return fmt.Errorf("dialsim: --strategies: %w", err)
	}
	var scenarios []dialsim.Scenario
	for _, a := range agentList {
		for _, p := range answerList {
			sc := dialsim.NewScenario(a, p, days)
			if err := sc.Validate(); err != nil {
				return fmt.Errorf("dialsim: scenario %s: %w", sc.Name(), err)
			}
			scenarios = append(scenarios, sc)
		}
	}
	fmt.Fprintf(e.stdout, "dialsim: %d days of 8 h, seed %d, abandon limit %d%%\n\n", days, seed, dialsim.AbandonLimitPct)
	var results []dialsim.Result
	for _, sc := range scenarios {
		for _, st := range selected {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := dialsim.RunStrategy(sc, seed, st)
			if err != nil {
				return fmt.Errorf("dialsim: %s %s: %w", sc.Name(), st.Name, err)
			}
			results = append(results, r)
			if engine {
				r, err := dialsim.RunEngine(ctx, sc, seed, st, dialsim.EngineConfig{})
				if err != nil {
					return fmt.Errorf("dialsim: %s %s through the engine: %w", sc.Name(), st.Name, err)
				}
				results = append(results, r)
			}
		}
	}
	if err := dialsim.WriteTable(e.stdout, results); err != nil {
		return err
	}
	if !noVerdicts {
		fmt.Fprintln(e.stdout)
		if err := dialsim.WriteVerdicts(e.stdout, dialsim.Verdicts(results)); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "dialsim: %d runs in %s\n", len(results), time.Since(started).Round(time.Millisecond))
	return nil
}

// parseList reads a non-empty comma list with parse.
func parseList[T any](s, name string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := parse(f)
		if err != nil {
			return nil, fmt.Errorf("dialsim: --%s: %q is not a number", name, f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("dialsim: --" + name + " is empty")
	}
	return out, nil
}
