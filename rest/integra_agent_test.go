package rest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestIntegraAgentCall(t *testing.T) {
	e := newIntegra(t, nil)
	auth := "Basic " + e.login("sue")
	form := url.Values{
		"callerid": {"24001234"}, "agent": {"eve"}, "phone": {"1002"}, "tech": {"PJSIP"},
		"context": {"from-internal"}, "outqueue": {"Ventas->"}, "destination": {"099124484"},
		"data": {`{"id":7}`}, "form": {"https://crm.example/popup"}, "unknown": {"ignored"},
	}
	res, body := e.post("Agents/AgentCall", auth, form)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain"))
	require.Equal(t, "5f0c3c1e-0000-4000-8000-000000000001", body)

	res, body = e.post("Agents/AgentCallwithData", auth, form)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Equal(t, "5f0c3c1e-0000-4000-8000-000000000002", body)

	calls, _, _ := e.acd.recorded()
	want := centralita.AgentCallRequest{
		Agent: "eve", Phone: "1002", Tech: "PJSIP", Destination: "099124484", CallerID: "24001234", Queue: "Ventas->",
	}
	require.Equal(t, want, calls[0], "AgentCall keeps no data or form; context is ignored")
	want.Data, want.Form = `{"id":7}`, "https://crm.example/popup"
	require.Equal(t, want, calls[1], "AgentCallwithData keeps data and form")

	// The ACD refusing is HTTP 200 with "0" (C2).
	e.acd.set(func(a *igACD) { a.callErr = centralita.Errorf(centralita.EINVALID, "destination required") })
	for _, path := range []string{"Agents/AgentCall", "Agents/AgentCallwithData"} {
		res, body = e.post(path, auth, url.Values{"agent": {"eve"}})
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Equal(t, "0", body, path)
	}
	// Without a token, 401.
	res, body = e.post("Agents/AgentCall", "", form)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Equal(t, "0", body)
}

func TestIntegraHangupPhone(t *testing.T) {
	e := newIntegra(t, nil)
	auth := "Bearer " + integraKey
	res, body := e.post("Agents/HangupPhone", auth, url.Values{"phone": {"SIP/1001"}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "1", body)

	res, body = e.post("Agents/HangupPhone", auth, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "0", body, "no phone")

	e.acd.set(func(a *igACD) { a.hangupErr = centralita.Errorf(centralita.ENOTFOUND, "no call") })
	res, body = e.post("Agents/HangupPhone", auth, url.Values{"phone": {"SIP/1001"}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "0", body, "nothing to hang up")

	_, hangups, _ := e.acd.recorded()
	require.Equal(t, []string{"SIP/1001"}, hangups)
}

func TestIntegraAgentLogoff(t *testing.T) {
	e := newIntegra(t, nil)
	auth := "Bearer " + integraKey
	for _, tc := range []struct {
		name   string
		form   url.Values
		body   string
		logout string
	}{
		{"by username", url.Values{"agent": {"bob"}, "interface": {"SIP/1001"}, "message": {"fin de turno"}}, "1", "1001"},
		{"by number", url.Values{"agent": {"1002"}}, "1", "1002"},
		{"interface in another case", url.Values{"agent": {"eve"}, "interface": {"pjsip/1002"}}, "1", "1002"},
		{"logged out agent", url.Values{"agent": {"zed"}, "interface": {"SIP/1003"}}, "1", "1003"},
		{"unknown agent", url.Values{"agent": {"nobody"}}, "0", ""},
		{"no agent", url.Values{"interface": {"SIP/1001"}}, "0", ""},
		{"logged in elsewhere", url.Values{"agent": {"bob"}, "interface": {"SIP/2002"}}, "0", ""},
	} {
		_, _, before := e.acd.recorded()
		res, body := e.post("api/AgentLogoff", auth, tc.form)
		require.Equal(t, http.StatusOK, res.StatusCode, tc.name)
		require.Equal(t, tc.body, body, tc.name)
		_, _, after := e.acd.recorded()
		if tc.logout == "" {
			require.Equal(t, before, after, tc.name)
		} else {
			require.Equal(t, tc.logout, after[len(after)-1], tc.name)
		}
	}
	e.acd.set(func(a *igACD) { a.logoutErr = centralita.Errorf(centralita.EUNAVAILABLE, "ARI down") })
	res, body := e.post("api/AgentLogoff", auth, url.Values{"agent": {"bob"}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "0", body)
}
