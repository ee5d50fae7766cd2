package rest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

func TestExpandErrors(t *testing.T) {
	e := startExpand(t)
	e.st.putCampaign(expandCampaign313())
	e.st.putCampaign(centralita.Campaign{ID: 427, Name: "Cobranza", Queue: "cobranza"})
	e.st.putContact(centralita.Contact{ID: 1698, CampaignID: 313, Number: "27111200", State: centralita.ContactPending})
	e.st.putContact(centralita.Contact{ID: 9000, CampaignID: 427, Number: "27111201", State: centralita.ContactPending})
	const (
		notFound     = `{"errrorCode":"Not_found"}`
		unauthorized = `{"errrorCode":"Unauthorized"}`
		forbidden    = `{"errrorCode":"Forbidden"}`
	)
	const c313 = "/campaigns/313/contacts"
	for _, tc := range []struct {
		name, user, method, path, body string
		status                         int
		want                           string
	}{
		// Input errors: 400 with exactly the manual's body.
		{"malformed", "root", "POST", c313, `{"numcall":`, 400, expandBadFormat},
		{"empty body", "root", "POST", c313, ``, 400, expandBadFormat},
		{"array body", "root", "POST", c313, `[{"numcall":"1"}]`, 400, expandBadFormat},
		{"null body", "root", "POST", c313, `null`, 400, expandBadFormat},
		{"two values", "root", "POST", c313, `{"numcall":"1"}{"numcall":"2"}`, 400, expandBadFormat},
		{"no numcall", "root", "POST", c313, `{"name":"Rodrigo","enable":true}`, 400, expandBadFormat},
		{"empty numcall", "root", "POST", c313, `{"numcall":"  "}`, 400, expandBadFormat},
		{"numcall a number", "root", "POST", c313, `{"numcall":27111200}`, 400, expandBadFormat},
		{"numcall letters", "root", "POST", c313, `{"numcall":"2711-1200"}`, 400, expandBadFormat},
		{"numcall plus inside", "root", "POST", c313, `{"numcall":"27+11"}`, 400, expandBadFormat},
		{"numcall too long", "root", "POST", c313, `{"numcall":"` + strings.Repeat("1", 41) + `"}`, 400, expandBadFormat},
		{"numcall null", "root", "POST", c313, `{"numcall":null}`, 400, expandBadFormat},
		{"name a number", "root", "POST", c313, `{"numcall":"1","name":5}`, 400, expandBadFormat},
		{"name null", "root", "POST", c313, `{"numcall":"1","name":null}`, 400, expandBadFormat},
		{"name too long", "root", "POST", c313, `{"numcall":"1","name":"` + strings.Repeat("a", 129) + `"}`, 400, expandBadFormat},
		{"enable a string", "root", "POST", c313, `{"numcall":"1","enable":"true"}`, 400, expandBadFormat},
		{"info an array", "root", "POST", c313, `{"numcall":"1","info":[1]}`, 400, expandBadFormat},
		{"info a number", "root", "POST", c313, `{"numcall":"1","info":3}`, 400, expandBadFormat},
		{"info a string not JSON", "root", "POST", c313, `{"numcall":"1","info":"ci=1"}`, 400, expandBadFormat},
		{"info a string of an array", "root", "POST", c313, `{"numcall":"1","info":"[1]"}`, 400, expandBadFormat},
		{"unknown field", "root", "POST", c313, `{"numcall":"1","colour":"red"}`, 400, expandBadFormat},
		{"campaign not an integer", "root", "POST", "/campaigns/abc/contacts", `{"numcall":"1"}`, 400, expandBadFormat},
		{"put malformed", "root", "PUT", c313 + "/1698", `{"name":}`, 400, expandBadFormat},
		{"put numcall empty", "root", "PUT", c313 + "/1698", `{"numcall":""}`, 400, expandBadFormat},
		{"get campaign id text", "root", "GET", "/campaigns/abc", "", 400, expandBadFormat},
		{"get campaign id zero", "root", "GET", "/campaigns/0", "", 400, expandBadFormat},
		{"get campaign id negative", "root", "GET", "/campaigns/-1", "", 400, expandBadFormat},
		{"get campaign id decimal", "root", "GET", "/campaigns/1.5", "", 400, expandBadFormat},
		{"contact id text", "root", "GET", c313 + "/x", "", 400, expandBadFormat},
		{"contact id huge", "root", "GET", c313 + "/99999999999999999999", "", 400, expandBadFormat},
		{"campaigns bad state", "root", "GET", "/campaigns?state=Running", "", 400, expandBadFormat},
		{"campaigns bad order_by", "root", "GET", "/campaigns?order_by=numcall", "", 400, expandBadFormat},
		{"campaigns bad order", "root", "GET", "/campaigns?order=up", "", 400, expandBadFormat},
		{"contacts bad state", "root", "GET", c313 + "?state=Done", "", 400, expandBadFormat},
		{"contacts bad order_by", "root", "GET", c313 + "?order_by=timestampadd", "", 400, expandBadFormat},
		{"contacts bad start", "root", "GET", c313 + "?start=-1", "", 400, expandBadFormat},
		{"contacts start text", "root", "GET", c313 + "?start=x", "", 400, expandBadFormat},
		{"contacts bad limit", "root", "GET", c313 + "?limit=ten", "", 400, expandBadFormat},
		{"both order flags", "root", "GET", c313 + "?order_asc&order_desc", "", 400, expandBadFormat},
		{"activity bad date", "root", "GET", c313 + "/activity?saddtimestamp='2019-13-01'", "", 400, expandBadFormat},
		{"activity date text", "root", "GET", c313 + "/activity?estimestamp=yesterday", "", 400, expandBadFormat},
		{"activity bad order_by", "root", "GET", c313 + "/activity?order_by=priority", "", 400, expandBadFormat},

		// Credentials (B20).
		{"no credentials", "", "GET", "/campaigns", "", 401, unauthorized},
		{"no credentials on a write", "", "POST", c313, `{"numcall":"1"}`, 401, unauthorized},
		{"an agent", "agt", "GET", "/campaigns", "", 403, forbidden},
		{"an agent writes", "agt", "PUT", c313 + "/1698", `{"numcall":"1"}`, 403, forbidden},
		{"a supervisor", "sup", "GET", "/campaigns/313", "", 200, ""},
		{"limited", "limited", "GET", "/campaigns", "", 429, `{"errrorCode":"Too_many_requests"}`},

		// Unknown things, and a contact of another campaign.
		{"unknown campaign", "root", "GET", "/campaigns/999", "", 404, notFound},
		{"add to unknown campaign", "root", "POST", "/campaigns/999/contacts", `{"numcall":"1"}`, 404, notFound},
		{"contacts of unknown campaign", "root", "GET", "/campaigns/999/contacts", "", 404, notFound},
		{"activity of unknown campaign", "root", "GET", "/campaigns/999/contacts/activity", "", 404, notFound},
		{"unknown contact", "root", "GET", c313 + "/5", "", 404, notFound},
		{"edit unknown contact", "root", "PUT", c313 + "/5", `{"numcall":"1"}`, 404, notFound},
		{"contact of another campaign", "root", "GET", c313 + "/9000", "", 404, notFound},
		{"edit contact of another campaign", "root", "PUT", c313 + "/9000", `{"numcall":"1"}`, 404, notFound},
		{"contact in unknown campaign", "root", "GET", "/campaigns/999/contacts/1698", "", 404, notFound},
	} {
		res, body := e.call(tc.user, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		if tc.want != "" {
			require.Equal(t, tc.want, body, tc.name)
			require.Equal(t, "application/json", res.Header.Get("Content-Type"), tc.name)
		}
		switch tc.status {
		case 401:
			require.Equal(t, `Basic realm="expand", charset="UTF-8"`, res.Header.Get("WWW-Authenticate"), tc.name)
		case 429:
			require.Equal(t, "30", res.Header.Get("Retry-After"), tc.name)
		}
	}
	// A wrong password is 401 too.
	req, err := http.NewRequest("GET", e.srv.URL()+rest.ExpandDialerPrefix+"/campaigns", nil)
	require.NoError(t, err)
	req.SetBasicAuth("root", "nope")
	res, body := do(t, req)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Equal(t, unauthorized, body)
	// Nothing was edited by the refused requests.
	ct, err := e.st.FindContact(context.Background(), 9000)
	require.NoError(t, err)
	require.Equal(t, "27111201", ct.Number)

	// Errors of the services: EINVALID is the 400 body, the rest by status; 5xx are logged.
	e.dialer.setAddErr(centralita.Errorf(centralita.EINVALID, "bad contact"))
	res, body = e.call("root", "POST", c313, `{"numcall":"1"}`)
	require.Equal(t, 400, res.StatusCode)
	require.Equal(t, expandBadFormat, body)
	e.dialer.setAddErr(centralita.Errorf(centralita.ECONFLICT, "number in flight"))
	res, body = e.call("root", "POST", c313, `{"numcall":"1"}`)
	require.Equal(t, 409, res.StatusCode)
	require.Equal(t, `{"errrorCode":"Conflict"}`, body)
	e.dialer.setAddErr(centralita.Errorf(centralita.EUNAVAILABLE, "database down"))
	res, body = e.call("root", "POST", c313, `{"numcall":"1"}`)
	require.Equal(t, 503, res.StatusCode)
	require.Equal(t, `{"errrorCode":"Service_unavailable"}`, body)
	e.st.setFindErr(fmt.Errorf("disk on fire"))
	res, body = e.call("root", "GET", c313, "")
	require.Equal(t, 500, res.StatusCode)
	require.Equal(t, `{"errrorCode":"Internal_server_error"}`, body)
	require.NotContains(t, body, "disk on fire")
	require.Contains(t, e.log.String(), "disk on fire")

	// An oversized body answers 413: the server's answer when the declared
	// length is over the limit, the module's when a streamed body crosses it.
	big := `{"numcall":"1","name":"` + strings.Repeat("x", 5000) + `"}`
	res, body = e.call("root", "POST", c313, big)
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, body)
	req, err = http.NewRequest("POST", e.srv.URL()+rest.ExpandDialerPrefix+c313, struct{ io.Reader }{strings.NewReader(big)})
	require.NoError(t, err)
	req.ContentLength = -1
	req.SetBasicAuth("root", "pw")
	res, body = do(t, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, body)
	require.Equal(t, `{"errrorCode":"Request_entity_too_large"}`, body)
}

func TestExpandUsers(t *testing.T) {
	// A user named in Users has the module whatever its role; others keep the role rule.
	e := startExpand(t, "contactclient")
	e.st.putCampaign(expandCampaign313())
	res, body := e.call("contactclient", "GET", "/campaigns", "")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	res, _ = e.call("agt", "GET", "/campaigns", "")
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	res, _ = e.call("sup", "GET", "/campaigns", "")
	require.Equal(t, http.StatusOK, res.StatusCode)
}

func TestRegisterExpand(t *testing.T) {
	st := newExpandStore()
	d := &expandDialer{st: st}
	s, err := rest.NewServer(rest.Config{Auth: expandAuth{}})
	require.NoError(t, err)
	for _, cfg := range []rest.ExpandConfig{
		{},
		{Campaigns: st, Contacts: st},
		{Campaigns: st, Dialer: d},
		{Contacts: st, Dialer: d},
	} {
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.RegisterExpand(cfg)))
	}
	ok := rest.ExpandConfig{Campaigns: st, Contacts: st, Dialer: d}
	require.NoError(t, s.RegisterExpand(ok))
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.RegisterExpand(ok)))

	noAuth, err := rest.NewServer(rest.Config{})
	require.NoError(t, err)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(noAuth.RegisterExpand(ok)))
}
