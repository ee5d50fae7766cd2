package soap

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/centralita/centralita"
)

// agentData writes the statistics of the agents with activity in queue
// Cola between FechaInicio and FechaFin (§7.4), from ACDReporter.AgentStats;
// the period is read as queueData reads it, and its failures are answered
// the same way (-1 for a bad key, or a missing one when the Server has
// Config.RequireKey; a soap:Client fault for a missing Cola or bad dates;
// an empty <agents/> when no agent had activity).
//
// One agent element per agent, ordered by name then number (the spec's
// example lists Angela, Elisa, Horacio, Karina, Maria), with the attributes
// in the example's order (agentRow). The figures:
//
//   - agente "(number) Name" (the agent's username when it has no name);
//     durations as `HHh MM' SS”` beside their seconds (hms);
//   - logueado, pausado, hablado (talk in queue calls) and habladoSaliente
//     (talk in the agent's outbound calls) as the report counts them;
//   - disponibleSeg = logueadoSeg − pausadoSeg − habladoSeg, never negative
//     (§7.4 [observation]);
//   - promedioSeg = habladoSeg / atendidas printed as PHP echoes a float
//     (phpFloat: 159.76923076923), "0" with no answered call; promedio is
//     the same rounded to whole seconds (159.769 → 00h 02' 40”);
//   - atendidas = answered, presentadas = offered, perdidas = presentadas −
//     atendidas (the rings queueData shows as NOANSWER or CONGESTION, a
//     RINGCANCELED included), salientes = the agent's outbound calls (DIALOUT);
//   - entrantes counts direct inbound calls to the agent outside any queue:
//     Centralita routes inbound calls through queues only, so it is 0 (as in
//     every row of the example); entrantesTransferidas counts the queue
//     calls the agent transferred, and atendidasCortas its short answered
//     calls (under the reporter's threshold);
//   - promedioEntranteYSaliente is the average talk of the agent's calls
//     outside queues, entrantes and salientes: (0 + habladoSalienteSeg) /
//     (entrantes + salientes), as phpFloat, "0" when there were none. This
//     reproduces the example, where agents with salientes > 0 and no
//     outbound talk show 0, which an average over queue calls would not.
func (a *acdOps) agentData(ctx context.Context, r *Request) (any, error) {
	queue, p, err := a.reportArgs(r)
	if err != nil {
		return nil, err
	}
	stats, err := a.cfg.Reports.AgentStats(ctx, centralita.ReportFilter{From: p.from, To: p.to, Queue: queue})
	if err != nil {
		return nil, err
	}
	agents, err := a.agentsByNumber(ctx)
	if err != nil {
		return nil, err
	}
	type named struct {
		label, name, number string
		st                  *centralita.AgentStats
	}
	var rows []named
	for i := range stats {
		st := &stats[i]
		if st.Queue != "" && st.Queue != queue {
			continue
		}
		number := centralita.AgentFromLogName(st.Agent)
		name := ""
		if ag := agents[number]; ag != nil {
			name = orElse(ag.Name, ag.Username)
		}
		rows = append(rows, named{label: strings.TrimSpace("(" + number + ") " + name), name: name, number: number, st: st})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if x, y := strings.ToLower(rows[i].name), strings.ToLower(rows[j].name); x != y {
			return x < y
		}
		return lessNumber(rows[i].number, rows[j].number)
	})
	w := newXMLWriter(declUTF8, false)
	if len(rows) == 0 {
		w.empty("agents")
		return w.String(), nil
	}
	w.start("agents")
	for _, row := range rows {
		w.empty("agent", agentRow(row.label, row.st)...)
	}
	w.end("agents")
	return w.String(), nil
}

// agentRow returns the attributes of one agentData agent, in the order of
// the spec's example.
func agentRow(label string, st *centralita.AgentStats) []string {
	const entrantes = 0 // see agentData
	logged, paused, talk, outTalk := max(st.LoggedSec, 0), max(st.PausedSec, 0), max(st.TalkSec, 0), max(st.OutTalkSec, 0)
	available := max(logged-paused-talk, 0)
	avg := 0.0
	if st.Answered > 0 {
		avg = float64(talk) / float64(st.Answered)
	}
	avgOther := 0.0
	if n := entrantes + st.Outbound; n > 0 {
		avgOther = float64(outTalk) / float64(n)
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []string{
		"agente", label,
		"logueado", hms(logged), "logueadoSeg", itoa(logged),
		"pausado", hms(paused), "pausadoSeg", itoa(paused),
		"promedio", hms(int64(math.Round(avg))), "promedioSeg", phpFloat(avg),
		"hablado", hms(talk), "habladoSeg", itoa(talk),
		"habladoSaliente", hms(outTalk), "habladoSalienteSeg", itoa(outTalk),
		"disponible", hms(available), "disponibleSeg", itoa(available),
		"atendidas", strconv.Itoa(st.Answered),
		"perdidas", strconv.Itoa(max(st.Offered-st.Answered, 0)),
		"presentadas", strconv.Itoa(st.Offered),
		"salientes", strconv.Itoa(st.Outbound),
		"entrantes", strconv.Itoa(entrantes),
		"entrantesTransferidas", strconv.Itoa(st.Transferred),
		"atendidasCortas", strconv.Itoa(st.Short),
		"promedioEntranteYSaliente", phpFloat(avgOther),
	}
}

// agentsByNumber returns every agent keyed by number.
func (a *acdOps) agentsByNumber(ctx context.Context) (map[string]*centralita.Agent, error) {
	list, err := a.cfg.Agents.FindAgents(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*centralita.Agent, len(list))
	for _, ag := range list {
		m[ag.Number] = ag
	}
	return m, nil
}
