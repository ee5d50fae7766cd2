package soap_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// controlWorld has agents 711 (nagarcia), 12345 (admin, logged in at SIP/803),
// 666 (whose ACD calls fail) and 118 (ngarcia), users ngarcia and super, and
// the pause reasons 1 Almuerzo, 2 Descanso and 3 Tareas administrativas.
func controlWorld(t *testing.T) *acdWorld {
	return newACDWorld(t, func(w *acdWorld) {
		loggedAt := time.Date(2014, 9, 11, 15, 29, 27, 0, w.loc)
		w.agents.agents = []*centralita.Agent{
			{Number: "711", Username: "nagarcia", Name: "Nazaret Garcia"},
			{Number: "12345", Username: "admin", Name: "Administrador", Email: "admin@expand.com.uy", Interface: "SIP/803", LoggedInAt: &loggedAt},
			{Number: brokenNumber, Username: "jinx", Name: "Jinx"},
			{Number: "118", Username: "ngarcia", Name: "Natalia Garcia", Email: "ngarcia@garcia.com.uy"},
			{Number: "157", Username: "hfraga", Name: "Horacio Fraga", Email: "hfraga@example.com"},
			{Number: "200", Username: "noname"},
		}
		w.agents.reasons = []*centralita.PauseReason{{Code: "1", Name: "Almuerzo"}, {Code: "2", Name: "Descanso"}, {Code: "3", Name: "Tareas administrativas"}}
		w.users.users = []*centralita.User{
			{Username: "ngarcia", Role: "operador_tecnico"},
			{Username: "super", Role: centralita.RoleSupervisor},
			{Username: "boss", Role: centralita.RoleAdmin},
			{Username: "hfraga", Role: centralita.RoleAgent},
		}
		w.acd.snap = &centralita.ACDSnapshot{Agents: []centralita.AgentState{
			{Agent: *w.agents.agents[0]},
			{Agent: *w.agents.agents[1], LoggedIn: true, LoggedInAt: loggedAt, Interface: "SIP/803", Status: centralita.AgentNotInUse},
			{Agent: *w.agents.agents[5], LoggedIn: true, Interface: "PJSIP/220"},
		}}
	})
}

func TestAgentControl(t *testing.T) {
	w := controlWorld(t)
	tests := []struct {
		name   string
		op     string
		params []string
		want   string
		call   string // what the ACD must have got; "" for nothing
	}{
		{"login by username", "loginAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "extension", "101"}, "true", "Login 711 SIP/101"},
		{"login with an interface", "loginAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "extension", "PJSIP/101"}, "true", "Login 711 PJSIP/101"},
		{"login by number", "loginAgent", []string{"authorizedKey", goodKey, "agent", " 711 ", "extension", " 102 "}, "true", "Login 711 SIP/102"},
		{"login unknown agent", "loginAgent", []string{"authorizedKey", goodKey, "agent", "nobody", "extension", "101"}, "false", ""},
		{"login no agent", "loginAgent", []string{"authorizedKey", goodKey, "agent", "", "extension", "101"}, "false", ""},
		{"login no extension", "loginAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "extension", " "}, "false", ""},
		{"login ACD fails", "loginAgent", []string{"authorizedKey", goodKey, "agent", "jinx", "extension", "101"}, "false", ""},
		{"login store fails", "loginAgent", []string{"authorizedKey", goodKey, "agent", brokenName, "extension", "101"}, "false", ""},
		{"login bad key", "loginAgent", []string{"authorizedKey", "nope", "agent", "nagarcia", "extension", "101"}, "false", ""},
		{"logout", "logoutAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia"}, "true", "Logout 711"},
		{"logout ignores extension (A7)", "logoutAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "extension", "101"}, "true", "Logout 711"},
		{"logout unknown", "logoutAgent", []string{"authorizedKey", goodKey, "agent", "nobody"}, "false", ""},
		{"logout ACD fails", "logoutAgent", []string{"authorizedKey", goodKey, "agent", "jinx"}, "false", ""},
		{"logout bad key", "logoutAgent", []string{"authorizedKey", "nope", "agent", "nagarcia"}, "false", ""},
		{"pause everywhere without reason", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "queues", "", "pauseDTMF", ""}, "true", "Pause 711 [] "},
		{"pause parameters left out", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia"}, "true", "Pause 711 [] "},
		{"pause list and DTMF code (A8)", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "queues", "q_tra, q_fmn  q_ven,", "pauseDTMF", "2"}, "true", "Pause 711 [q_tra q_fmn q_ven] 2"},
		{"pause reason by name", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "queues", "q_tra", "pauseDTMF", "almuerzo"}, "true", "Pause 711 [q_tra] 1"},
		{"pause unknown reason", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "queues", "q_tra", "pauseDTMF", "9"}, "false", ""},
		{"pause unknown agent", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "nobody", "queues", "", "pauseDTMF", ""}, "false", ""},
		{"pause ACD fails", "pauseAgent", []string{"authorizedKey", goodKey, "agent", "jinx", "queues", "", "pauseDTMF", ""}, "false", ""},
		{"pause bad key", "pauseAgent", []string{"authorizedKey", "nope", "agent", "nagarcia"}, "false", ""},
		{"unpause all", "unpauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "queues", ""}, "true", "Unpause 711 []"},
		{"unpause some", "unpauseAgent", []string{"authorizedKey", goodKey, "agent", "nagarcia", "queues", "q_tra q_ven"}, "true", "Unpause 711 [q_tra q_ven]"},
		{"unpause unknown", "unpauseAgent", []string{"authorizedKey", goodKey, "agent", "nobody", "queues", ""}, "false", ""},
		{"unpause ACD fails", "unpauseAgent", []string{"authorizedKey", goodKey, "agent", "jinx", "queues", ""}, "false", ""},
		{"unpause bad key", "unpauseAgent", []string{"authorizedKey", "nope", "agent", "nagarcia"}, "false", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.acd.Calls())
			assert.Equal(t, tt.want, w.call(t, tt.op, tt.params...))
			calls := w.acd.Calls()[before:]
			if tt.call == "" {
				assert.Empty(t, calls)
			} else {
				assert.Equal(t, []string{tt.call}, calls)
			}
		})
	}

	// The rpc/encoded answer is typed xsd:boolean, as the WSDL declares (A2).
	r := post(t, w.url, rpcEnc("loginAgent", "authorizedKey", goodKey, "agent", "nagarcia", "extension", "101"), nil)
	require.Nil(t, r.Fault)
	assert.Equal(t, "true", r.Return)
	assert.Equal(t, "xsd:boolean", r.XSIType)
}

func TestGetAgentLoggedInfo(t *testing.T) {
	w := controlWorld(t)
	want := `<?xml version="1.0" encoding="UTF-8" ?>
<agentAgent>
  <user nombre="Administrador" email="admin@expand.com.uy" logueado="1"
        agente="admin" nroAgente="12345" extension="803" />
</agentAgent>`
	got := w.call(t, "getAgentLoggedInfo", "authorizedKey", goodKey, "username", "admin")
	assert.Equal(t, want[:len(`<?xml version="1.0" encoding="UTF-8" ?>`)], got[:len(`<?xml version="1.0" encoding="UTF-8" ?>`)])
	requireSameXML(t, want, got)
	// The key's misspelling of the manual (A5), and the number as a fallback.
	requireSameXML(t, want, w.call(t, "getAgentLoggedInfo", "autorizedkey", goodKey, "username", "12345"))
	// No name: the username stands in; the extension of a PJSIP interface.
	requireSameXML(t, `<agentAgent><user nombre="noname" email="" logueado="1" agente="noname" nroAgente="200" extension="220"/></agentAgent>`,
		w.call(t, "getAgentLoggedInfo", "authorizedKey", goodKey, "username", "noname"))

	for _, tc := range []struct{ name, username, key, want string }{
		{"not logged in", "nagarcia", goodKey, "0"},
		{"not in the snapshot", "ngarcia", goodKey, "0"},
		{"unknown agent", "nobody", goodKey, "0"},
		{"no username", " ", goodKey, "-2"},
		{"bad key", "admin", "nope", "-1"},
	} {
		assert.Equal(t, tc.want, w.call(t, "getAgentLoggedInfo", "authorizedKey", tc.key, "username", tc.username), tc.name)
	}
	assert.Empty(t, w.agents.Reads(), "the snapshot holds the agents: no store read besides it")
	w.acd.mu.Lock()
	w.acd.snapErr = errDown
	w.acd.mu.Unlock()
	assert.Equal(t, "-3", w.call(t, "getAgentLoggedInfo", "authorizedKey", goodKey, "username", "admin"), "snapshot fails")
}

func TestGetUserByAgent(t *testing.T) {
	w := controlWorld(t)
	for _, tc := range []struct{ name, agent, key, want string }{
		{"known", "118", goodKey, "ngarcia"},
		{"trimmed", " 711 ", goodKey, "nagarcia"},
		{"a username is not a number", "ngarcia", goodKey, ""},
		{"unknown", "999", goodKey, ""},
		{"empty", "", goodKey, "-2"},
		{"store down", brokenName, goodKey, "-3"},
		{"bad key", "118", "nope", "-1"},
	} {
		assert.Equal(t, tc.want, w.call(t, "getUserByAgent", "authorizedKey", tc.key, "agent", tc.agent), tc.name)
	}
}

func TestGetUserInfo(t *testing.T) {
	w := controlWorld(t)
	requireSameXML(t, `<?xml version="1.0" encoding="UTF-8" ?>
<userInfo>
  <user nombre="Natalia Garcia" email="ngarcia@garcia.com.uy"
        perfil="operador_tecnico" supervisor="0" agente="1" nroAgente="118" />
</userInfo>`, w.call(t, "getUserInfo", "authorizedKey", goodKey, "username", "ngarcia"))

	for _, tc := range []struct{ name, username, want string }{
		{"supervisor without agent", "super", `<userInfo><user nombre="super" email="" perfil="supervisor" supervisor="1" agente="0" nroAgente=""/></userInfo>`},
		{"admin", "boss", `<userInfo><user nombre="boss" email="" perfil="admin" supervisor="1" agente="0" nroAgente=""/></userInfo>`},
		{"agent role", "hfraga", `<userInfo><user nombre="Horacio Fraga" email="hfraga@example.com" perfil="agent" supervisor="0" agente="1" nroAgente="157"/></userInfo>`},
		{"agent without user", "nagarcia", `<userInfo><user nombre="Nazaret Garcia" email="" perfil="agente" supervisor="0" agente="1" nroAgente="711"/></userInfo>`},
		{"agent number fallback", "711", `<userInfo><user nombre="Nazaret Garcia" email="" perfil="agente" supervisor="0" agente="1" nroAgente="711"/></userInfo>`},
	} {
		requireSameXML(t, tc.want, w.call(t, "getUserInfo", "authorizedKey", goodKey, "username", tc.username))
	}
	for _, tc := range []struct{ name, username, key, want string }{
		{"unknown", "nobody", goodKey, ""},
		{"empty", "", goodKey, "-2"},
		{"store down", brokenName, goodKey, "-3"},
		{"bad key", "ngarcia", "nope", "-1"},
	} {
		assert.Equal(t, tc.want, w.call(t, "getUserInfo", "authorizedKey", tc.key, "username", tc.username), tc.name)
	}

	// Without a UserService, agents are still described.
	noUsers := newACDWorld(t, func(w *acdWorld) {
		w.agents.agents = []*centralita.Agent{{Number: "118", Username: "ngarcia", Name: "Natalia Garcia"}}
	}, func(c *soap.ACDConfig) { c.Users = nil })
	requireSameXML(t, `<userInfo><user nombre="Natalia Garcia" email="" perfil="agente" supervisor="0" agente="1" nroAgente="118"/></userInfo>`,
		noUsers.call(t, "getUserInfo", "authorizedKey", goodKey, "username", "ngarcia"))
	assert.Equal(t, "", noUsers.call(t, "getUserInfo", "authorizedKey", goodKey, "username", "super"))
}

func TestRegisterACD(t *testing.T) {
	full := soap.ACDConfig{ACD: &fakeACD{}, Agents: &fakeAgents{}, Queues: &fakeQueues{}, QueueLog: &fakeQueueLog{}, Reports: &fakeReports{}}
	for _, clear := range []func(c *soap.ACDConfig){
		func(c *soap.ACDConfig) { c.ACD = nil },
		func(c *soap.ACDConfig) { c.Agents = nil },
		func(c *soap.ACDConfig) { c.Queues = nil },
		func(c *soap.ACDConfig) { c.QueueLog = nil },
		func(c *soap.ACDConfig) { c.Reports = nil },
	} {
		cfg := full
		clear(&cfg)
		err := soap.NewServer(soap.Config{}).RegisterACD(cfg)
		require.Error(t, err)
		assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	}

	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	require.NoError(t, srv.RegisterACD(full), "Users, Location and Now are optional")
	require.Error(t, srv.RegisterACD(full), "twice")

	other := soap.NewServer(soap.Config{})
	other.Handle("getAgentLogin", echo())
	require.Error(t, other.RegisterACD(full), "an operation is taken")
}
