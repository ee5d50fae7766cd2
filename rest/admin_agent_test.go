package rest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

func TestAdminAgents(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	reloads := 0
	for _, tc := range []struct {
		name, user, method, path, body string
		status                         int
		kind                           centralita.Kind
		reload                         bool
	}{
		{"create", "root", "POST", "/agents", `{"number":"101","username":"ana","name":"Ana","email":"ana@example.com","interface":"SIP/999","logged_in_at":"2024-01-01T00:00:00Z"}`, 201, "", true},
		{"create second", "root", "POST", "/agents", `{"number":"1 02","username":"bea"}`, 201, "", true},
		{"duplicate number", "root", "POST", "/agents", `{"number":"101","username":"zoe"}`, 409, centralita.ECONFLICT, false},
		{"duplicate username", "root", "POST", "/agents", `{"number":"103","username":"ana"}`, 409, centralita.ECONFLICT, false},
		{"no username", "root", "POST", "/agents", `{"number":"103"}`, 400, centralita.EINVALID, false},
		{"no number", "root", "POST", "/agents", `{"username":"zoe"}`, 400, centralita.EINVALID, false},
		{"unknown field", "root", "POST", "/agents", `{"number":"103","username":"zoe","phone":"x"}`, 400, centralita.EINVALID, false},
		{"wrong type", "root", "POST", "/agents", `{"number":103,"username":"zoe"}`, 400, centralita.EINVALID, false},
		{"supervisor may not create", "sup", "POST", "/agents", `{"number":"103","username":"zoe"}`, 403, centralita.EFORBIDDEN, false},
		{"no credentials", "", "GET", "/agents", "", 401, centralita.EUNAUTHORIZED, false},
		{"agent may not read", "agt", "GET", "/agents/101", "", 403, centralita.EFORBIDDEN, false},
		{"supervisor reads", "sup", "GET", "/agents/101", "", 200, "", false},
		{"get escaped", "sup", "GET", "/agents/1%2002", "", 200, "", false},
		{"get missing", "sup", "GET", "/agents/999", "", 404, centralita.ENOTFOUND, false},
		{"replace, path wins", "root", "PUT", "/agents/101", `{"number":"555","username":"ana2","name":"Ana B"}`, 200, "", true},
		{"replace taken username", "root", "PUT", "/agents/101", `{"username":"bea"}`, 409, centralita.ECONFLICT, false},
		{"replace missing", "root", "PUT", "/agents/999", `{"username":"x"}`, 404, centralita.ENOTFOUND, false},
		{"replace invalid", "root", "PUT", "/agents/101", `{"username":""}`, 400, centralita.EINVALID, false},
		{"replace as supervisor", "sup", "PUT", "/agents/101", `{"username":"x"}`, 403, centralita.EFORBIDDEN, false},
		{"delete as supervisor", "sup", "DELETE", "/agents/1%2002", "", 403, centralita.EFORBIDDEN, false},
		{"delete", "root", "DELETE", "/agents/1%2002", "", 204, "", true},
		{"delete again", "root", "DELETE", "/agents/1%2002", "", 404, centralita.ENOTFOUND, false},
	} {
		status, body := e.call(tc.user, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.kind != "" {
			require.Equal(t, tc.kind, adminErrorOf(t, body).Error, tc.name)
		}
		if tc.reload {
			reloads++
		}
		require.Equal(t, reloads, e.acd.reloadCount(), "%s: reload count", tc.name)
	}
	a, err := e.store.FindAgent(context.Background(), "101")
	require.NoError(t, err)
	require.Equal(t, "ana2", a.Username)
	require.Equal(t, "Ana B", a.Name)
	require.Empty(t, a.Email, "PUT replaces")
	require.Empty(t, a.Interface, "the login state is not set through the admin API")
	require.Nil(t, a.LoggedInAt)
	_, err = e.store.FindAgent(context.Background(), "555")
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

	var list []centralita.Agent
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/agents", "")), &list))
	require.Len(t, list, 1)
	require.Equal(t, "101", list[0].Number)
}

func TestAdminAgentControl(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	require.NoError(t, e.store.CreateAgent(context.Background(), &centralita.Agent{Number: "101", Username: "ana"}))
	for _, tc := range []struct {
		name, user, path, body string
		status                 int
		kind                   centralita.Kind
		acd                    string // what the ACD was asked, "" for nothing
	}{
		{"login", "sup", "/agents/101/login", `{"interface":"SIP/101"}`, 204, "", "login 101 SIP/101"},
		{"login as admin", "root", "/agents/101/login", `{"interface":"PJSIP/101"}`, 204, "", "login 101 PJSIP/101"},
		{"login without interface", "sup", "/agents/101/login", `{}`, 400, centralita.EINVALID, ""},
		{"login without body", "sup", "/agents/101/login", ``, 400, centralita.EINVALID, ""},
		{"login unknown field", "sup", "/agents/101/login", `{"interface":"SIP/101","queue":"x"}`, 400, centralita.EINVALID, ""},
		{"login unknown agent", "sup", "/agents/999/login", `{"interface":"SIP/101"}`, 404, centralita.ENOTFOUND, ""},
		{"login as agent role", "agt", "/agents/101/login", `{"interface":"SIP/101"}`, 403, centralita.EFORBIDDEN, ""},
		{"login without credentials", "", "/agents/101/login", `{"interface":"SIP/101"}`, 401, centralita.EUNAUTHORIZED, ""},
		{"pause all, empty body", "sup", "/agents/101/pause", ``, 204, "", "pause 101 [] "},
		{"pause some with reason", "sup", "/agents/101/pause", `{"queues":["Ventas->","a b"],"reason":"Almuerzo"}`, 204, "", "pause 101 [Ventas->,a b] Almuerzo"},
		{"pause empty queue name", "sup", "/agents/101/pause", `{"queues":[""]}`, 400, centralita.EINVALID, ""},
		{"pause bad queues type", "sup", "/agents/101/pause", `{"queues":"Ventas"}`, 400, centralita.EINVALID, ""},
		{"pause unknown agent", "sup", "/agents/999/pause", `{}`, 404, centralita.ENOTFOUND, ""},
		{"pause as agent role", "agt", "/agents/101/pause", `{}`, 403, centralita.EFORBIDDEN, ""},
		{"unpause some", "sup", "/agents/101/unpause", `{"queues":["Ventas->"]}`, 204, "", "unpause 101 [Ventas->]"},
		{"unpause all", "root", "/agents/101/unpause", `{}`, 204, "", "unpause 101 []"},
		{"unpause with reason", "sup", "/agents/101/unpause", `{"reason":"x"}`, 400, centralita.EINVALID, ""},
		{"logout", "sup", "/agents/101/logout", ``, 204, "", "logout 101"},
		{"logout unknown", "sup", "/agents/999/logout", ``, 404, centralita.ENOTFOUND, ""},
		{"logout as agent role", "agt", "/agents/101/logout", ``, 403, centralita.EFORBIDDEN, ""},
	} {
		status, body := e.call(tc.user, "POST", tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.kind != "" {
			require.Equal(t, tc.kind, adminErrorOf(t, body).Error, tc.name)
		}
		var want []string
		if tc.acd != "" {
			want = []string{tc.acd}
		}
		require.Equal(t, want, e.acd.takeCalls(), tc.name)
	}
	require.Equal(t, 0, e.acd.reloadCount(), "agent control is not configuration")
}

func TestAdminPauseReasons(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	reloads := 0
	for _, tc := range []struct {
		name, user, method, path, body string
		status                         int
		kind                           centralita.Kind
		reload                         bool
	}{
		{"create", "root", "PUT", "/pause-reasons/1", `{"name":"Almuerzo"}`, 201, "", true},
		{"create escaped", "root", "PUT", "/pause-reasons/%2A9", `{"name":"Baño"}`, 201, "", true},
		{"rename", "root", "PUT", "/pause-reasons/1", `{"name":"Comida"}`, 200, "", true},
		{"no name", "root", "PUT", "/pause-reasons/2", `{}`, 400, centralita.EINVALID, false},
		{"code too long", "root", "PUT", "/pause-reasons/123456789012345678901234567890123", `{"name":"x"}`, 400, centralita.EINVALID, false},
		{"unknown field", "root", "PUT", "/pause-reasons/2", `{"name":"x","code":"3"}`, 400, centralita.EINVALID, false},
		{"supervisor may not write", "sup", "PUT", "/pause-reasons/2", `{"name":"x"}`, 403, centralita.EFORBIDDEN, false},
		{"supervisor reads", "sup", "GET", "/pause-reasons", "", 200, "", false},
		{"agent may not read", "agt", "GET", "/pause-reasons", "", 403, centralita.EFORBIDDEN, false},
		{"delete", "root", "DELETE", "/pause-reasons/%2A9", "", 204, "", true},
		{"delete again", "root", "DELETE", "/pause-reasons/%2A9", "", 404, centralita.ENOTFOUND, false},
		{"delete as supervisor", "sup", "DELETE", "/pause-reasons/1", "", 403, centralita.EFORBIDDEN, false},
	} {
		status, body := e.call(tc.user, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.kind != "" {
			require.Equal(t, tc.kind, adminErrorOf(t, body).Error, tc.name)
		}
		if tc.reload {
			reloads++
		}
		require.Equal(t, reloads, e.acd.reloadCount(), "%s: reload count", tc.name)
	}
	var list []centralita.PauseReason
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "root", "GET", "/pause-reasons", "")), &list))
	require.Equal(t, []centralita.PauseReason{{Code: "1", Name: "Comida"}}, list)
}
