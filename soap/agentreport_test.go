package soap_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// sec returns t0 plus n seconds.
func sec(t0 time.Time, n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// timesWorld reproduces getAgentTimes' example: agents 123, 126 and 130
// (and 140, with no session) over 2014-01-01 … 2014-01-10.
func timesWorld(t *testing.T) *acdWorld {
	return newACDWorld(t, func(w *acdWorld) {
		t0 := time.Date(2014, 1, 1, 0, 0, 0, 0, w.loc)
		w.agents.agents = []*centralita.Agent{
			{Number: "123", Username: "fmega", Name: "Franco Mega"}, {Number: "126", Username: "pgandini", Name: "Paula Gandini"},
			{Number: "130", Username: "scarrion", Name: "Santiago Carrion"}, {Number: "140", Username: "idle", Name: "Idle"},
		}
		w.queues.queues = []*centralita.Queue{
			{Name: "q_fmn", Description: "Fabian Maitzman"}, {Name: "q_tcc", Description: "tccadsl"},
			{Name: "q_tec", Description: "Callcenter Tecnico"}, {Name: "q_tra", Description: "CallCenter C"},
		}
		for agent, queues := range map[string][]string{
			"123": {"q_tra", "q_tcc", "q_tec"}, "126": {"q_fmn", "q_tcc", "q_tec", "q_tra"}, "130": {"q_tra", "q_tec", "q_tcc", "q_fmn"},
		} {
			for _, q := range queues {
				w.queues.members = append(w.queues.members, &centralita.QueueMember{Queue: q, Agent: agent})
			}
		}
		pause := func(from, length int) centralita.AgentPause {
			return centralita.AgentPause{Reason: "1", Start: sec(t0, from), End: sec(t0, from+length)}
		}
		w.reports.sessions = []centralita.AgentSession{
			// 123 is logged in to three queues at once: each second counts once.
			{Agent: "123", Queue: "q_tcc", Start: t0, End: sec(t0, 593714), Pauses: []centralita.AgentPause{pause(100, 56686)}},
			{Agent: "123", Queue: "q_tec", Start: t0, End: sec(t0, 500000), Pauses: []centralita.AgentPause{pause(100, 56686)}},
			{Agent: "123", Queue: "q_tra", Start: sec(t0, 1000), End: sec(t0, 593714)},
			{Agent: "126", Queue: "q_tra", Start: t0, End: sec(t0, 522215), Pauses: []centralita.AgentPause{pause(10, 60000), pause(70000, 1343)}},
			// Sessions that only touch, and fractions of seconds that are dropped.
			{Agent: "Agent/130", Queue: "q_fmn", Start: t0, End: sec(t0, 300000).Add(400 * time.Millisecond),
				Pauses: []centralita.AgentPause{{Start: sec(t0, 5), End: sec(t0, 5+50058).Add(900 * time.Millisecond)}}},
			{Agent: "Agent/130", Queue: "q_fmn", Start: sec(t0, 300000).Add(400 * time.Millisecond), End: sec(t0, 542030).Add(500 * time.Millisecond)},
		}
	})
}

func TestGetAgentTimesExample(t *testing.T) {
	w := timesWorld(t)
	got := w.call(t, "getAgentTimes", "authorizedKey", goodKey, "inicio", "2014-01-01 00:00:00", "fin", "2014-01-10 23:59:59", "agente", "", "cola", "")
	requireSameXML(t, `<?xml version="1.0" encoding="UTF-8" ?>
<agents>
  <agent agent="123" user="fmega" name="Franco Mega" loged="593714" paused="56686" >
    <queueagent name="q_tcc" description="tccadsl" />
    <queueagent name="q_tec" description="Callcenter Tecnico" />
    <queueagent name="q_tra" description="CallCenter C" />
  </agent>
  <agent agent="126" user="pgandini" name="Paula Gandini" loged="522215" paused="61343" >
    <queueagent name="q_fmn" description="Fabian Maitzman" />
    <queueagent name="q_tcc" description="tccadsl" />
    <queueagent name="q_tec" description="Callcenter Tecnico" />
    <queueagent name="q_tra" description="CallCenter C" />
  </agent>
  <agent agent="130" user="scarrion" name="Santiago Carrion" loged="542030" paused="50058" >
    <queueagent name="q_fmn" description="Fabian Maitzman" />
    <queueagent name="q_tcc" description="tccadsl" />
    <queueagent name="q_tec" description="Callcenter Tecnico" />
    <queueagent name="q_tra" description="CallCenter C" />
  </agent>
</agents>`, got)
	f := w.reports.Filters()[0]
	assert.Equal(t, centralita.ReportFilter{From: time.Date(2014, 1, 1, 0, 0, 0, 0, w.loc), To: time.Date(2014, 1, 11, 0, 0, 0, 0, w.loc)}, f)
	assert.Equal(t, map[string]int{"FindQueues": 1, "FindMembers /": 1}, w.queues.Reads(),
		"one read of the queues and one of the memberships, whatever the number of agents and queues")
	assert.Equal(t, map[string]int{"FindAgents": 1}, w.agents.Reads())

	// One agent (by username or number) and one queue.
	requireSameXML(t, `<agents>
  <agent agent="123" user="fmega" name="Franco Mega" loged="500000" paused="56686">
    <queueagent name="q_tec" description="Callcenter Tecnico"/>
  </agent>
</agents>`, w.call(t, "getAgentTimes", "authorizedKey", goodKey, "inicio", "2014-01-01", "fin", "2014-01-10", "agente", "fmega", "cola", "q_tec"))
	f = w.reports.Filters()[1]
	assert.Equal(t, "123", f.Agent)
	assert.Equal(t, "q_tec", f.Queue)
	assert.Equal(t, map[string]int{"FindQueue": 1}, w.queues.Reads(), "the queue given is read once, for its description too")
	requireSameXML(t, `<agents>
  <agent agent="126" user="pgandini" name="Paula Gandini" loged="522215" paused="61343">
    <queueagent name="q_fmn" description="Fabian Maitzman"/>
    <queueagent name="q_tcc" description="tccadsl"/>
    <queueagent name="q_tec" description="Callcenter Tecnico"/>
    <queueagent name="q_tra" description="CallCenter C"/>
  </agent>
</agents>`, w.call(t, "getAgentTimes", "authorizedKey", goodKey, "inicio", "2014-01-01", "fin", "2014-01-10", "agente", "126", "cola", ""))
	assert.Equal(t, map[string]int{"FindQueues": 1, "FindMembers /126": 1}, w.queues.Reads())
}

func TestGetAgentTimesCodes(t *testing.T) {
	w := timesWorld(t)
	call := func(inicio, fin, agente, cola string) string {
		return w.call(t, "getAgentTimes", "authorizedKey", goodKey, "inicio", inicio, "fin", fin, "agente", agente, "cola", cola)
	}
	assert.Equal(t, "-1", w.call(t, "getAgentTimes", "authorizedKey", "nope", "inicio", "2014-01-01", "fin", "2014-01-02", "agente", "", "cola", ""), "bad key")
	assert.Equal(t, "-2", w.call(t, "getAgentTimes", "authorizedKey", goodKey, "inicio", "2014-01-01", "agente", "", "cola", ""), "fin not sent")
	assert.Equal(t, "-2", w.call(t, "getAgentTimes", "authorizedKey", goodKey, "fin", "2014-01-01"), "inicio not sent")
	for _, tc := range []struct{ name, inicio, fin, agente, cola, want string }{
		{"bad start", "ayer", "2014-01-02", "", "", "-4"},
		{"empty start", "", "2014-01-02", "", "", "-4"},
		{"bad end", "2014-01-01", "2014-01-32", "", "", "-5"},
		{"bad start wins over bad end", "x", "y", "", "", "-4"},
		{"end equals start", "2014-01-01 10:00:00", "2014-01-01 10:00:00", "", "", "-8"},
		{"end before start", "2014-01-02", "2014-01-01 23:59:59", "", "", "-8"},
		{"range in the future", "2014-02-01 12:00:01", "2014-03-01", "", "", "-9"},
		{"unknown queue", "2014-01-01", "2014-01-10", "", "q_zzz", "-6"},
		{"unknown agent", "2014-01-01", "2014-01-10", "nobody", "", "-7"},
		{"no records for the agent", "2014-01-01", "2014-01-10", "idle", "", "-10"},
		{"no records in the period", "2013-06-01", "2013-06-30", "", "", "-10"},
		{"no records in the queue for the agent", "2014-01-01", "2014-01-10", "126", "q_tec", "-10"},
		{"store down", "2014-01-01", "2014-01-10", brokenName, "", "-3"},
		{"queue store down", "2014-01-01", "2014-01-10", "", brokenName, "-3"},
	} {
		assert.Equal(t, tc.want, call(tc.inicio, tc.fin, tc.agente, tc.cola), tc.name)
	}
	w.reports.mu.Lock()
	w.reports.fail = true
	w.reports.mu.Unlock()
	assert.Equal(t, "-3", call("2014-01-01", "2014-01-10", "", ""), "reporter down")
}

// sessionWorld reproduces agentSessionDetail's example for ngarcia (711),
// with the example's arithmetic slips corrected (A14), plus agent 712.
func sessionWorld(t *testing.T) *acdWorld {
	return newACDWorld(t, func(w *acdWorld) {
		at := func(day, h, m, s int) time.Time { return time.Date(2014, 1, day, h, m, s, 0, w.loc) }
		w.agents.agents = []*centralita.Agent{{Number: "711", Username: "ngarcia"}, {Number: "712", Username: "other"}, {Number: "713", Username: "idle"}}
		w.agents.reasons = []*centralita.PauseReason{{Code: "L", Name: "lunch"}}
		w.queues.queues = []*centralita.Queue{{Name: "q_bps"}, {Name: "q_1199"}}
		w.reports.sessions = []centralita.AgentSession{
			{Agent: "712", Queue: "q_bps", Start: at(1, 1, 0, 0), End: at(1, 1, 30, 0)},
			{Agent: "711", Queue: "q_1199", Start: at(1, 11, 30, 0), End: at(1, 11, 40, 0)},
			{Agent: "711", Queue: "q_bps", Start: at(1, 0, 0, 0), End: at(1, 12, 0, 0), Pauses: []centralita.AgentPause{
				{Reason: "bathroom", Start: at(1, 2, 0, 0), End: at(1, 2, 2, 0)},
				{Reason: "smoking", Start: at(1, 2, 10, 0), End: at(1, 2, 20, 0)},
				{Reason: "bathroom", Start: at(1, 2, 5, 0), End: at(1, 2, 5, 20)},
				{Reason: "L", Start: at(1, 9, 0, 0), End: at(1, 10, 0, 0)},
			}},
			{Agent: "711", Queue: "q_1199", Start: at(1, 10, 0, 0), End: at(1, 11, 0, 0), Pauses: []centralita.AgentPause{
				{Start: at(1, 10, 30, 0), End: at(1, 10, 34, 0)},
			}},
		}
	})
}

const sessionExample711 = `
  <agent userID="ngarcia" agentID="711">
    <queue queuename="q_bps" logged="43200" paused="4340">
      <pauses>
        <pause type="bathroom" duration="140" time="140" />
        <pause type="smoking" duration="600" time="600" />
        <pause type="lunch" duration="3600" time="3600" />
      </pauses>
      <sessions>
        <session start="2014-01-01 00:00:00" end="2014-01-01 12:00:00" duration="43200" time="43200">
          <pause type="bathroom" start="2014-01-01 02:00:00" end="2014-01-01 02:02:00" duration="120" time="120"/>
          <pause type="bathroom" start="2014-01-01 02:05:00" end="2014-01-01 02:05:20" duration="20" time="20"/>
          <pause type="smoking" start="2014-01-01 02:10:00" end="2014-01-01 02:20:00" duration="600" time="600" />
          <pause type="lunch" start="2014-01-01 09:00:00" end="2014-01-01 10:00:00" duration="3600" time="3600" />
        </session>
      </sessions>
    </queue>
    <queue queuename="q_1199" logged="4200" paused="240">
      <pauses>
        <pause type="" duration="240" time="240" />
      </pauses>
      <sessions>
        <session start="2014-01-01 10:00:00" end="2014-01-01 11:00:00" duration="3600" time="3600">
          <pause type="" start="2014-01-01 10:30:00" end="2014-01-01 10:34:00" duration="240" time="240" />
        </session>
        <session start="2014-01-01 11:30:00" end="2014-01-01 11:40:00" duration="600" time="600">
        </session>
      </sessions>
    </queue>
  </agent>`

func TestAgentSessionDetailExample(t *testing.T) {
	w := sessionWorld(t)
	got := w.call(t, "agentSessionDetail", "authorizedKey", goodKey, "inicio", "2014-01-01 00:00:00", "fin", "2014-01-01 23:59:59", "userID", "ngarcia", "cola", "")
	requireSameXML(t, `<?xml version="1.0" encoding="UTF-8"?>
<agents>`+sessionExample711+`
</agents>`, got)
	assert.Equal(t, "711", w.reports.Filters()[0].Agent)

	// All agents, by number; the optional parameters left out.
	requireSameXML(t, `<agents>`+sessionExample711+`
  <agent userID="other" agentID="712">
    <queue queuename="q_bps" logged="1800" paused="0">
      <pauses/>
      <sessions>
        <session start="2014-01-01 01:00:00" end="2014-01-01 01:30:00" duration="1800" time="1800"/>
      </sessions>
    </queue>
  </agent>
</agents>`, w.call(t, "agentSessionDetail", "authorizedKey", goodKey, "inicio", "2014-01-01", "fin", "2014-01-01"))

	// One queue, the agent by number.
	doc := parseXML(t, w.call(t, "agentSessionDetail", "authorizedKey", goodKey, "inicio", "2014-01-01", "fin", "2014-01-02", "userID", "711", "cola", "q_1199"))
	require.Len(t, doc.Children, 1)
	require.Len(t, doc.Children[0].Children, 1)
	assert.Equal(t, []string{"queuename=q_1199", "logged=4200", "paused=240"}, doc.Children[0].Children[0].Attrs)
	assert.Equal(t, "q_1199", w.reports.Filters()[2].Queue)
}

func TestAgentSessionDetailCodes(t *testing.T) {
	w := sessionWorld(t)
	call := func(key, inicio, fin, userID, cola string) string {
		return w.call(t, "agentSessionDetail", "authorizedKey", key, "inicio", inicio, "fin", fin, "userID", userID, "cola", cola)
	}
	empty := `<?xml version="1.0" encoding="UTF-8" ?>` + "\n<agents/>\n"
	for _, tc := range []struct{ name, key, inicio, fin, userID, cola, want string }{
		{"bad key", "nope", "2014-01-01", "2014-01-02", "", "", "-1"},
		{"bad start", goodKey, "01/01/2014", "2014-01-02", "", "", "-3"},
		{"no start", goodKey, "", "2014-01-02", "", "", "-3"},
		{"bad end", goodKey, "2014-01-01", "2014-01-02 25:00:00", "", "", "-4"},
		{"end before start", goodKey, "2014-01-02 00:00:00", "2014-01-01 00:00:00", "", "", "-4"},
		{"unknown queue", goodKey, "2014-01-01", "2014-01-02", "", "q_zzz", "-5"},
		{"unknown user", goodKey, "2014-01-01", "2014-01-02", "nobody", "", "-6"},
		{"store down", goodKey, "2014-01-01", "2014-01-02", brokenName, "", "-2"},
		{"no sessions", goodKey, "2014-01-01", "2014-01-02", "idle", "", empty},
		{"in the future", goodKey, "2015-01-01", "2015-01-02", "", "", empty},
	} {
		assert.Equal(t, tc.want, call(tc.key, tc.inicio, tc.fin, tc.userID, tc.cola), tc.name)
	}
	w.reports.mu.Lock()
	w.reports.fail = true
	w.reports.mu.Unlock()
	assert.Equal(t, "-2", call(goodKey, "2014-01-01", "2014-01-02", "", ""), "reporter down")
}
