package soap_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// qlog appends a queue_log row at local time hh:mm:ss on 2012-05-02.
func qlog(w *acdWorld, hms, callid, queue, agent, event string, data ...string) {
	var h, m, s int
	_, _ = fmt.Sscanf(hms, "%d:%d:%d", &h, &m, &s)
	e := &centralita.QueueLogEntry{Time: time.Date(2012, 5, 2, h, m, s, 0, w.loc), CallID: callid, QueueName: queue, Agent: agent, Event: event}
	fields := []*string{&e.Data1, &e.Data2, &e.Data3, &e.Data4, &e.Data5}
	for i, d := range data {
		*fields[i] = d
	}
	_ = w.log.AppendQueueLog(context.Background(), e)
}

func TestQueueDataExample(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		w.agents.reasons = []*centralita.PauseReason{{Code: "3", Name: "Tareas administrativas"}}
		qlog(w, "09:13:17", "NONE", "q_ven", "Agent/157", "ADDMEMBER", "SIP/157")
		qlog(w, "09:18:01", "1335961066.118", "q_ven", "NONE", "ENTERQUEUE", "", "", "1")
		qlog(w, "09:18:11", "1335961066.118", "q_ven", "Agent/157", "CONNECT", "5", "1335961086.119", "5")
		qlog(w, "09:20:02", "1335961066.118", "q_ven", "Agent/157", "COMPLETECALLER", "5", "111", "1")
		qlog(w, "09:26:12", "NONE", "q_ven", "Agent/157", "PAUSE", "3")
		qlog(w, "09:29:44", "NONE", "q_ven", "Agent/157", "UNPAUSE", "")
		qlog(w, "09:30:00", "NONE", "q_otra", "Agent/157", "UNPAUSE", "")
		qlog(w, "09:30:00", "NONE", "q_ven", "Agent/158", "UNPAUSE", "")
		qlog(w, "10:00:00", "NONE", "q_ven", "Agent/157", "UNPAUSE", "")
	})
	got := w.call(t, "queueData", "authorizedKey", goodKey, "Cola", "q_ven", "Agente", "157",
		"FechaInicio", "2012-05-02 09:00:00", "FechaFin", "2012-05-02 09:59:59")
	require.True(t, strings.HasPrefix(got, `<?xml version="1.0" encoding="UTF-8" ?>`), got)
	requireSameXML(t, `<?xml version="1.0" encoding="UTF-8" ?>
<queue_activity>
  <activity date="2012-05-02 09:13:17" queue="q_ven" uniqueid="NONE" action="LOGIN" callerid="" agent="157" waitsec="" talksec="" dest="" cause="" />
  <activity date="2012-05-02 09:18:06" queue="q_ven" uniqueid="1335961066.118" action="RINGING" callerid="" agent="157" waitsec="" talksec="" dest="" cause="" />
  <activity date="2012-05-02 09:18:11" queue="q_ven" uniqueid="1335961066.118" action="CONNECT" callerid="" agent="157" waitsec="5" talksec="" dest="" cause="" />
  <activity date="2012-05-02 09:20:02" queue="q_ven" uniqueid="1335961066.118" action="COMPLETECALLER" callerid="" agent="157" waitsec="" talksec="111" dest="" cause="" />
  <activity date="2012-05-02 09:26:12" queue="q_ven" uniqueid="NONE" action="PAUSE" callerid="" agent="157" waitsec="" talksec="" dest="" cause="Tareas administrativas" />
  <activity date="2012-05-02 09:29:44" queue="q_ven" uniqueid="NONE" action="UNPAUSE" callerid="" agent="157" waitsec="" talksec="" dest="" cause="" />
</queue_activity>`, got)

	f := w.log.Filters()[0]
	assert.Equal(t, "q_ven", f.QueueName)
	assert.Equal(t, "Agent/157", f.Agent, "the agent is filtered as the log writes it")
	assert.Equal(t, time.Date(2012, 5, 2, 12, 0, 0, 0, time.UTC), f.From.UTC(), "local dates (UTC−3)")
	assert.Equal(t, time.Date(2012, 5, 2, 13, 0, 0, 0, time.UTC), f.To.UTC(), "fin is inclusive to the second")
}

func TestQueueDataEvents(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		c := "1335961066.118"
		qlog(w, "10:00:00", c, "q_ven", "NONE", "ENTERQUEUE", "", "099123456", "1")
		qlog(w, "10:00:20", c, "q_ven", "Agent/157", "RINGNOANSWER", "15000")
		qlog(w, "10:00:21", c, "q_ven", "Agent/158", "RINGNOANSWER", "300")
		qlog(w, "10:00:30", c, "q_ven", "Agent/159", "CONNECT", "30", "1335961096.120", "0")
		qlog(w, "10:01:30", c, "q_ven", "Agent/159", "TRANSFER", "q_sop", "queue", "30", "60", "1")
		qlog(w, "10:02:00", "d2", "q_ven", "NONE", "ENTERQUEUE", "", "5551234", "1")
		qlog(w, "10:02:09", "d2", "q_ven", "Agent/157", "RINGCANCELED", "4000")
		qlog(w, "10:02:10", "d2", "q_ven", "NONE", "ABANDON", "1", "1", "10")
		qlog(w, "10:03:00", "d3", "q_ven", "NONE", "EXITWITHTIMEOUT", "1", "1", "300")
		qlog(w, "10:04:00", "g1", "q_ven", "Agent/157", "DIALOUT", "099555666")
		qlog(w, "10:05:00", "g1", "q_ven", "Agent/157", "DIALOUTEND", "42", "099555666")
		qlog(w, "10:06:00", "d4", "q_ven", "Agent/158", "COMPLETEAGENT", "3", "12", "1")
		qlog(w, "10:07:00", "", "q_ven", "Agent/158", "REMOVEMEMBER", "SIP/158")
		qlog(w, "10:08:00", "NONE", "q_ven", "Agent/158", "PAUSE", "")
		qlog(w, "10:09:00", "NONE", "q_ven", "NONE", "QUEUESTART")
		qlog(w, "10:09:00", "d5", "q_ven", "Agent/158", "CONNECT", "x", "", "oops")
	})
	got := w.call(t, "queueData", "authorizedKey", goodKey, "Cola", "q_ven", "Agente", "", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02")
	a := func(date, uniqueid, action, callerid, agent, waitsec, talksec, dest, cause string) string {
		return fmt.Sprintf(`<activity date="2012-05-02 %s" queue="q_ven" uniqueid="%s" action="%s" callerid="%s" agent="%s" waitsec="%s" talksec="%s" dest="%s" cause="%s"/>`,
			date, uniqueid, action, callerid, agent, waitsec, talksec, dest, cause)
	}
	c := "1335961066.118"
	requireSameXML(t, "<queue_activity>"+
		a("10:00:00", c, "ENTERQUEUE", "099123456", "", "", "", "", "")+
		a("10:00:05", c, "RINGING", "", "157", "", "", "", "")+
		a("10:00:20", c, "NOANSWER", "", "157", "", "", "", "")+
		a("10:00:20", c, "RINGING", "", "158", "", "", "", "")+
		a("10:00:21", c, "CONGESTION", "", "158", "", "", "", "")+
		a("10:00:30", c, "RINGING", "", "159", "", "", "", "")+
		a("10:00:30", c, "CONNECT", "", "159", "30", "", "", "")+
		a("10:01:30", c, "COMPLETETRANSFER", "", "159", "", "60", "q_sop", "")+
		a("10:02:00", "d2", "ENTERQUEUE", "5551234", "", "", "", "", "")+
		a("10:02:05", "d2", "RINGING", "", "157", "", "", "", "")+
		a("10:02:09", "d2", "NOANSWER", "", "157", "", "", "", "")+
		a("10:02:10", "d2", "ABANDON", "", "", "10", "", "", "")+
		a("10:03:00", "d3", "ABANDON", "", "", "300", "", "", "")+
		a("10:04:00", "g1", "DIALOUT", "", "157", "", "", "099555666", "")+
		a("10:05:00", "g1", "DIALOUTEND", "", "157", "", "42", "", "")+
		a("10:06:00", "d4", "COMPLETEAGENT", "", "158", "", "12", "", "")+
		a("10:07:00", "NONE", "LOGOUT", "", "158", "", "", "", "")+
		a("10:08:00", "NONE", "PAUSE", "", "158", "", "", "", "")+
		a("10:09:00", "d5", "RINGING", "", "158", "", "", "", "")+
		a("10:09:00", "d5", "CONNECT", "", "158", "x", "", "", "")+
		"</queue_activity>", got)

	// Nothing in the period, or an unknown queue: an empty root (A18).
	for _, cola := range []string{"q_ven", "q_none"} {
		got := w.call(t, "queueData", "authorizedKey", goodKey, "Cola", cola, "Agente", "", "FechaInicio", "2012-05-03 00:00:00", "FechaFin", "2012-05-03 10:00:00")
		assert.Equal(t, `<?xml version="1.0" encoding="UTF-8" ?>`+"\n<queue_activity/>\n", got)
	}
}

func TestQueueDataPages(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		for i := range 2500 {
			qlog(w, fmt.Sprintf("10:%02d:%02d", i/60%60, i%60), fmt.Sprintf("c%d", i), "q_ven", "NONE", "ENTERQUEUE", "", "1", "1")
		}
	})
	got := w.call(t, "queueData", "authorizedKey", goodKey, "Cola", "q_ven", "Agente", "", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02")
	assert.Equal(t, 2500, strings.Count(got, `action="ENTERQUEUE"`))
	fs := w.log.Filters()
	require.Len(t, fs, 3)
	assert.Equal(t, []int{0, 1000, 2000}, []int{fs[0].Offset, fs[1].Offset, fs[2].Offset})
}

func TestQueueDataAndAgentDataFailures(t *testing.T) {
	w := newACDWorld(t, nil)
	for _, op := range []string{"queueData", "agentData"} {
		params := func(kv ...string) []string {
			base := map[string]string{"authorizedKey": goodKey, "Cola": "q_ven", "Agente": "", "FechaInicio": "2012-05-02 00:00:00", "FechaFin": "2012-05-02 23:59:59"}
			for i := 0; i+1 < len(kv); i += 2 {
				base[kv[i]] = kv[i+1]
			}
			names := []string{"authorizedKey", "Cola", "Agente", "FechaInicio", "FechaFin"}
			if op == "agentData" {
				names = []string{"authorizedKey", "Cola", "FechaInicio", "FechaFin"}
			}
			var out []string
			for _, n := range names {
				out = append(out, n, base[n])
			}
			return out
		}
		assert.Equal(t, "-1", w.call(t, op, params("authorizedKey", "nope")...), op)
		assert.Equal(t, "-1", w.call(t, op, params("authorizedKey", "")...), "%s: key-less is refused with RequireKey (A4)", op)
		for _, tc := range []struct {
			kv   []string
			want string
		}{
			{[]string{"FechaInicio", "ayer"}, "FechaInicio"},
			{[]string{"FechaFin", "2012-13-01 00:00:00"}, "FechaFin"},
			{[]string{"FechaFin", "2012-05-01 23:59:59"}, "not after"},
			{[]string{"Cola", " "}, "Cola"},
		} {
			r := post(t, w.url, docLit(op, params(tc.kv...)...), nil)
			require.NotNil(t, r.Fault, "%s %v", op, tc.kv)
			assert.Contains(t, r.Fault.Code, "Client")
			assert.Contains(t, r.Fault.String, tc.want)
		}
	}
	w.log.mu.Lock()
	w.log.fail = true
	w.log.mu.Unlock()
	w.reports.mu.Lock()
	w.reports.fail = true
	w.reports.mu.Unlock()
	for _, body := range []string{
		docLit("queueData", "authorizedKey", goodKey, "Cola", "q", "Agente", "", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02"),
		docLit("agentData", "authorizedKey", goodKey, "Cola", "q", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02"),
	} {
		r := post(t, w.url, body, nil)
		require.NotNil(t, r.Fault)
		assert.Contains(t, r.Fault.Code, "Server")
	}
}

// TestReportsKeyless checks that the Server's RequireKey alone decides
// whether queueData and agentData run without a key (A4): -1 with it, the
// report without it, the printed signatures (positional too) included.
func TestReportsKeyless(t *testing.T) {
	fill := func(keyless bool) func(w *acdWorld) {
		return func(w *acdWorld) {
			w.keyless = keyless
			qlog(w, "09:13:17", "1", "q_ven", "Agent/157", "ADDMEMBER", "", "", "")
			w.reports.stats = []centralita.AgentStats{{Agent: "157", Queue: "q_ven", Offered: 1, Answered: 1}}
		}
	}
	keyless := []struct{ name, body string }{
		{"queueData positional", rpcEnc("queueData", "p0", "q_ven", "p1", "", "p2", "2012-05-02", "p3", "2012-05-02")},
		{"queueData by name", docLit("queueData", "Cola", "q_ven", "Agente", "", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02")},
		{"queueData empty key", docLit("queueData", "authorizedKey", "", "Cola", "q_ven", "Agente", "", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02")},
		{"agentData positional", rpcEnc("agentData", "p0", "q_ven", "p1", "2012-05-02", "p2", "2012-05-02")},
		{"agentData by name", docLit("agentData", "Cola", "q_ven", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02")},
	}

	strict := newACDWorld(t, fill(false))
	for _, tc := range keyless {
		r := post(t, strict.url, tc.body, nil)
		require.Nil(t, r.Fault, tc.name)
		assert.Equal(t, "-1", r.Return, "%s: RequireKey refuses it", tc.name)
	}
	assert.Empty(t, strict.log.Filters(), "a refused call reads nothing")
	assert.Empty(t, strict.reports.Filters())

	open := newACDWorld(t, fill(true))
	for _, tc := range keyless {
		r := post(t, open.url, tc.body, nil)
		require.Nil(t, r.Fault, tc.name)
		if strings.HasPrefix(tc.name, "queueData") {
			assert.Contains(t, r.Return, `action="LOGIN"`, "%s: runs without RequireKey", tc.name)
		} else {
			assert.Contains(t, r.Return, `presentadas="1"`, "%s: runs without RequireKey", tc.name)
		}
	}
	// A key, when sent, is still checked.
	assert.Equal(t, "-1", open.call(t, "queueData", "authorizedKey", "nope", "Cola", "q_ven", "Agente", "", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02"))
}

func TestAgentDataExample(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		w.agents.agents = []*centralita.Agent{
			{Number: "152", Username: "abatto", Name: "Angela Batto"}, {Number: "153", Username: "knasif", Name: "Karina Nasif"},
			{Number: "154", Username: "mrodriguez", Name: "Maria Ines Rodriguez"}, {Number: "155", Username: "eperez", Name: "Elisa Perez"},
			{Number: "157", Username: "hfraga", Name: "Horacio Fraga"},
		}
		w.reports.stats = []centralita.AgentStats{
			{Agent: "152", Queue: "q_ven", LoggedSec: 25840, PausedSec: 3483, TalkSec: 2077, Answered: 13, Offered: 13, Outbound: 8},
			{Agent: "153", Queue: "q_ven", LoggedSec: 25207, PausedSec: 3978, TalkSec: 2387, Answered: 16, Offered: 16, Outbound: 75},
			{Agent: "154", Queue: "q_ven", LoggedSec: 25112, PausedSec: 6444, TalkSec: 3426, Answered: 14, Offered: 14, Outbound: 30},
			{Agent: "155", Queue: "q_ven", LoggedSec: 20750, PausedSec: 4657, TalkSec: 2649, Answered: 13, Offered: 14, Outbound: 23},
			{Agent: "157", Queue: "q_ven", LoggedSec: 24425, PausedSec: 6572, TalkSec: 1177, Answered: 14, Offered: 14, Outbound: 7},
			{Agent: "152", Queue: "q_other", LoggedSec: 1},
		}
	})
	got := w.call(t, "agentData", "authorizedKey", goodKey, "Cola", "q_ven", "FechaInicio", "2012-05-02 00:00:00", "FechaFin", "2012-05-02 23:59:59")
	require.True(t, strings.HasPrefix(got, `<?xml version="1.0" encoding="UTF-8" ?>`), got)
	assert.Contains(t, got, `logueado="07h 10' 40''"`, "apostrophes stay literal, as in the example")
	row := func(agente, logueado, logueadoSeg, pausado, pausadoSeg, promedio, promedioSeg, hablado, habladoSeg, disponible, disponibleSeg, atendidas, perdidas, presentadas, salientes string) string {
		return fmt.Sprintf(`<agent agente="%s" logueado="%s" logueadoSeg="%s" pausado="%s" pausadoSeg="%s" promedio="%s" promedioSeg="%s" hablado="%s" habladoSeg="%s" habladoSaliente="00h 00' 00''" habladoSalienteSeg="0" disponible="%s" disponibleSeg="%s" atendidas="%s" perdidas="%s" presentadas="%s" salientes="%s" entrantes="0" entrantesTransferidas="0" atendidasCortas="0" promedioEntranteYSaliente="0"/>`,
			agente, logueado, logueadoSeg, pausado, pausadoSeg, promedio, promedioSeg, hablado, habladoSeg, disponible, disponibleSeg, atendidas, perdidas, presentadas, salientes)
	}
	requireSameXML(t, `<?xml version="1.0" encoding="UTF-8" ?>
<agents>
  <agent agente="(152) Angela Batto" logueado="07h 10' 40''" logueadoSeg="25840"
         pausado="00h 58' 03''" pausadoSeg="3483" promedio="00h 02' 40''" promedioSeg="159.76923076923"
         hablado="00h 34' 37''" habladoSeg="2077" habladoSaliente="00h 00' 00''" habladoSalienteSeg="0"
         disponible="05h 38' 00''" disponibleSeg="20280" atendidas="13" perdidas="0" presentadas="13"
         salientes="8" entrantes="0" entrantesTransferidas="0" atendidasCortas="0" promedioEntranteYSaliente="0"/>
  <agent agente="(155) Elisa Perez" logueado="05h 45' 50''" logueadoSeg="20750"
         pausado="01h 17' 37''" pausadoSeg="4657" promedio="00h 03' 24''" promedioSeg="203.76923076923"
         hablado="00h 44' 09''" habladoSeg="2649" habladoSaliente="00h 00' 00''" habladoSalienteSeg="0"
         disponible="03h 44' 04''" disponibleSeg="13444" atendidas="13" perdidas="1" presentadas="14"
         salientes="23" entrantes="0" entrantesTransferidas="0" atendidasCortas="0" promedioEntranteYSaliente="0" />
  `+row("(157) Horacio Fraga", "06h 47' 05''", "24425", "01h 49' 32''", "6572", "00h 01' 24''", "84.071428571429", "00h 19' 37''", "1177", "04h 37' 56''", "16676", "14", "0", "14", "7")+`
  `+row("(153) Karina Nasif", "07h 00' 07''", "25207", "01h 06' 18''", "3978", "00h 02' 29''", "149.1875", "00h 39' 47''", "2387", "05h 14' 02''", "18842", "16", "0", "16", "75")+`
  `+row("(154) Maria Ines Rodriguez", "06h 58' 32''", "25112", "01h 47' 24''", "6444", "00h 04' 05''", "244.71428571429", "00h 57' 06''", "3426", "04h 14' 02''", "15242", "14", "0", "14", "30")+`
</agents>`, got)
	f := w.reports.Filters()[0]
	assert.Equal(t, "q_ven", f.Queue)
	assert.Empty(t, f.Agent)
	assert.Equal(t, time.Date(2012, 5, 2, 3, 0, 0, 0, time.UTC), f.From.UTC())
	assert.Equal(t, time.Date(2012, 5, 3, 3, 0, 0, 0, time.UTC), f.To.UTC())
}

func TestAgentDataFigures(t *testing.T) {
	w := newACDWorld(t, func(w *acdWorld) {
		w.agents.agents = []*centralita.Agent{{Number: "10", Username: "zed"}}
		w.reports.stats = []centralita.AgentStats{
			// Paused and talk exceed logged: available is never negative.
			{Agent: "Agent/10", Queue: "q", LoggedSec: 400000, PausedSec: 399990, TalkSec: 100, OutTalkSec: 100,
				Offered: 2, Answered: 0, Outbound: 3, Transferred: 1, Short: 2},
			{Agent: "11", Queue: "q", LoggedSec: 60, TalkSec: 7, OutTalkSec: 90, Answered: 2, Offered: 1, Outbound: 2},
		}
	})
	got := parseXML(t, w.call(t, "agentData", "authorizedKey", goodKey, "Cola", "q", "FechaInicio", "2012-05-02", "FechaFin", "2012-05-02"))
	require.Len(t, got.Children, 2)
	assert.Equal(t, []string{
		"agente=(11)", "logueado=00h 01' 00''", "logueadoSeg=60", "pausado=00h 00' 00''", "pausadoSeg=0",
		"promedio=00h 00' 04''", "promedioSeg=3.5", "hablado=00h 00' 07''", "habladoSeg=7",
		"habladoSaliente=00h 01' 30''", "habladoSalienteSeg=90", "disponible=00h 00' 53''", "disponibleSeg=53",
		"atendidas=2", "perdidas=0", "presentadas=1", "salientes=2", "entrantes=0", "entrantesTransferidas=0",
		"atendidasCortas=0", "promedioEntranteYSaliente=45",
	}, got.Children[0].Attrs, "an agent unknown to the store sorts first, with its number only")
	assert.Equal(t, []string{
		"agente=(10) zed", "logueado=111h 06' 40''", "logueadoSeg=400000", "pausado=111h 06' 30''", "pausadoSeg=399990",
		"promedio=00h 00' 00''", "promedioSeg=0", "hablado=00h 01' 40''", "habladoSeg=100",
		"habladoSaliente=00h 01' 40''", "habladoSalienteSeg=100", "disponible=00h 00' 00''", "disponibleSeg=0",
		"atendidas=0", "perdidas=2", "presentadas=2", "salientes=3", "entrantes=0", "entrantesTransferidas=1",
		"atendidasCortas=2", "promedioEntranteYSaliente=33.333333333333",
	}, got.Children[1].Attrs)
}
