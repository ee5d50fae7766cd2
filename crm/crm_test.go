package crm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/crm"
)

// soapEnv wraps an operation element the way the client sends it.
func soapEnv(op string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		op + `</soap:Body></soap:Envelope>`
}

// soapAnswer is a SOAP 1.1 response envelope around inner.
func soapAnswer(inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><SOAP-ENV:Body>` +
		inner + `</SOAP-ENV:Body></SOAP-ENV:Envelope>`
}

// invoke calls method on c with the test values and returns its answer as
// a string ("true"/"false" for pushAgentInfo).
func invoke(ctx context.Context, c *crm.Client, method string) (string, error) {
	switch method {
	case centralita.CRMGetCallerIDName:
		return c.CallerIDName(ctx, "099123456")
	case centralita.CRMIVRCode:
		return c.IVRCode(ctx, agentInfo.UniqueID, "099123456", "menu1", "opt=2")
	}
	ok, err := c.PushAgentInfo(ctx, agentInfo)
	if err != nil {
		return "", err
	}
	if ok {
		return "true", nil
	}
	return "false", nil
}

// config sets url as method's target.
func config(method string, t crm.Target) crm.Config {
	var cfg crm.Config
	switch method {
	case centralita.CRMGetCallerIDName:
		cfg.CallerIDName = t
	case centralita.CRMIVRCode:
		cfg.IVRCode = t
	default:
		cfg.PushAgentInfo = t
	}
	return cfg
}

func TestRequests(t *testing.T) {
	tests := []struct {
		name, method, kind string
		answer             string // the CRM's body
		want               string // the client's result
		body               string // the request body expected
	}{
		{"rest getCallerIDName", centralita.CRMGetCallerIDName, "rest", `"Ana Pérez"`, "Ana Pérez",
			`{"callerIdNum":"099123456"}`},
		{"rest IVRCode", centralita.CRMIVRCode, "rest", `{"result":";client=42"}`, ";client=42",
			`{"UniqueID":"1275586803.1502","callerIdNum":"099123456","IVRCode":"menu1","IVRData":"opt=2"}`},
		{"rest pushAgentInfo", centralita.CRMPushAgentInfo, "rest", `true`, "true",
			`{"uniqueid":"1275586803.1502","queuename":"q_cli","callerid":"Ana <099123456>","agentchan":"SIP/107","ivrdata":"opt=2"}`},
		{"soap getCallerIDName", centralita.CRMGetCallerIDName, "soap",
			soapAnswer(`<ns1:getCallerIDNameResponse xmlns:ns1="urn:crm"><return>Ana &amp; Bo</return></ns1:getCallerIDNameResponse>`), "Ana & Bo",
			soapEnv(`<ns:getCallerIDName xmlns:ns="urn:crm"><callerIdNum>099123456</callerIdNum></ns:getCallerIDName>`)},
		{"soap IVRCode", centralita.CRMIVRCode, "soap",
			soapAnswer(`<IVRCodeResponse><IVRCodeResult>;client=42</IVRCodeResult></IVRCodeResponse>`), ";client=42",
			soapEnv(`<ns:IVRCode xmlns:ns="urn:crm"><UniqueID>1275586803.1502</UniqueID><callerIdNum>099123456</callerIdNum><IVRCode>menu1</IVRCode><IVRData>opt=2</IVRData></ns:IVRCode>`)},
		{"soap pushAgentInfo", centralita.CRMPushAgentInfo, "soap",
			soapAnswer(`<ns1:pushAgentInfoResponse xmlns:ns1="urn:crm"><return xsi:type="xsd:boolean">true</return></ns1:pushAgentInfoResponse>`), "true",
			soapEnv(`<ns:pushAgentInfo xmlns:ns="urn:crm"><uniqueid>1275586803.1502</uniqueid><queuename>q_cli</queuename><callerid>Ana &lt;099123456&gt;</callerid><agentchan>SIP/107</agentchan><ivrdata>opt=2</ivrdata></ns:pushAgentInfo>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := "application/json"
			if tt.kind == "soap" {
				ct = "text/xml; charset=utf-8"
			}
			srv := newCRM(t, answer(http.StatusOK, ct, tt.answer))
			target := crm.Target{URL: srv.URL + "/crm/" + tt.method, Kind: tt.kind, Header: map[string]string{"Authorization": "Basic Y3JtOnNlY3JldA=="}}
			pushes := &fakePushes{}
			c := newClient(t, config(tt.method, target), pushes)

			got, err := invoke(t.Context(), c, tt.method)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)

			reqs := srv.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			require.Equal(t, http.MethodPost, r.Method)
			require.Equal(t, "/crm/"+tt.method, r.Path)
			require.Equal(t, tt.body, r.Body)
			require.Equal(t, "Basic Y3JtOnNlY3JldA==", r.Header.Get("Authorization"))
			if tt.kind == "soap" {
				require.Equal(t, "text/xml; charset=utf-8", r.Header.Get("Content-Type"))
				require.Equal(t, `"urn:crm#`+tt.method+`"`, r.Header.Get("SOAPAction"))
			} else {
				require.Equal(t, "application/json", r.Header.Get("Content-Type"))
				require.Empty(t, r.Header.Get("SOAPAction"))
			}

			recs := pushes.all()
			require.Len(t, recs, 1)
			p := recs[0]
			wantID := agentInfo.UniqueID
			if tt.method == centralita.CRMGetCallerIDName {
				wantID = "099123456" // the number: the signature has no uniqueid
			}
			require.Equal(t, tt.method, p.Method)
			require.Equal(t, wantID, p.UniqueID)
			require.Equal(t, target.URL, p.Target)
			require.Equal(t, 1, p.Attempt)
			require.Equal(t, tt.body, p.Request)
			require.Equal(t, tt.answer, p.Response)
			require.Equal(t, "ok", p.Status)
			require.Empty(t, p.Error)
			require.False(t, p.CreatedAt.IsZero())
		})
	}
}

func TestRequestEscaping(t *testing.T) {
	info := centralita.AgentInfo{UniqueID: "1.2", Queue: "q", CallerID: `"Ana & Bo" <099>`, AgentChannel: "SIP/1", IVRData: "a\nb\u00e9"}
	t.Run("rest", func(t *testing.T) {
		srv := newCRM(t, answer(http.StatusOK, "", "ok"))
		c := newClient(t, crm.Config{PushAgentInfo: rest(srv.URL)}, nil)
		ok, err := c.PushAgentInfo(t.Context(), info)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, `{"uniqueid":"1.2","queuename":"q","callerid":"\"Ana & Bo\" <099>","agentchan":"SIP/1","ivrdata":"a\nbé"}`, srv.requests()[0].Body)
	})
	t.Run("soap", func(t *testing.T) {
		srv := newCRM(t, answer(http.StatusOK, "text/xml", soapAnswer(`<r><return>1</return></r>`)))
		c := newClient(t, crm.Config{PushAgentInfo: crm.Target{URL: srv.URL, Kind: "SOAP", Namespace: `http://crm.example/ws?a=1&b="2"`}}, nil)
		ok, err := c.PushAgentInfo(t.Context(), info)
		require.NoError(t, err)
		require.True(t, ok)
		r := srv.requests()[0]
		require.Equal(t, soapEnv(`<ns:pushAgentInfo xmlns:ns="http://crm.example/ws?a=1&amp;b=&#34;2&#34;"><uniqueid>1.2</uniqueid><queuename>q</queuename>`+
			`<callerid>&#34;Ana &amp; Bo&#34; &lt;099&gt;</callerid><agentchan>SIP/1</agentchan><ivrdata>a&#xA;bé</ivrdata></ns:pushAgentInfo>`), r.Body)
		require.Equal(t, `"http://crm.example/ws?a=1&b="2"#pushAgentInfo"`, r.Header.Get("SOAPAction"))
	})
}

// TestFields renames parameters (B15: the names are configurable).
func TestFields(t *testing.T) {
	fields := map[string]string{"uniqueid": "UniqueId", "queuename": "queueName", "agentchan": "agentChan"}
	srv := newCRM(t, answer(http.StatusOK, "", ""))
	c := newClient(t, crm.Config{PushAgentInfo: crm.Target{URL: srv.URL, Fields: fields}}, nil)
	_, err := c.PushAgentInfo(t.Context(), agentInfo)
	require.NoError(t, err)
	require.Equal(t, `{"UniqueId":"1275586803.1502","queueName":"q_cli","callerid":"Ana <099123456>","agentChan":"SIP/107","ivrdata":"opt=2"}`, srv.requests()[0].Body)

	c = newClient(t, crm.Config{PushAgentInfo: crm.Target{URL: srv.URL, Kind: "soap", Fields: fields}}, nil)
	_, err = c.PushAgentInfo(t.Context(), agentInfo)
	require.NoError(t, err)
	require.Contains(t, srv.requests()[1].Body, `<UniqueId>1275586803.1502</UniqueId><queueName>q_cli</queueName><callerid>`)
}

func TestRESTAnswers(t *testing.T) {
	latin1 := string([]byte{'J', 'o', 's', 0xe9})
	tests := []struct {
		name, method, contentType, body string
		status                          int // default 200
		want                            string
		kind                            centralita.Kind
	}{
		{"json string", centralita.CRMGetCallerIDName, "application/json", `"Ana"`, 0, "Ana", ""},
		{"object name", centralita.CRMGetCallerIDName, "application/json", `{"name":"Ana","id":7}`, 0, "Ana", ""},
		{"object result", centralita.CRMGetCallerIDName, "application/json", ` {"result":"Ana"} `, 0, "Ana", ""},
		{"object result wins", centralita.CRMGetCallerIDName, "application/json", `{"name":"x","result":"Ana"}`, 0, "Ana", ""},
		{"object number", centralita.CRMGetCallerIDName, "application/json", `{"result":12345678901234567890}`, 0, "12345678901234567890", ""},
		{"object null", centralita.CRMGetCallerIDName, "application/json", `{"result":null}`, 0, "", ""},
		{"null", centralita.CRMGetCallerIDName, "application/json", `null`, 0, "", ""},
		{"plain text", centralita.CRMGetCallerIDName, "text/plain; charset=utf-8", "Ana Pérez\r\n", 0, "Ana Pérez", ""},
		{"empty 204", centralita.CRMGetCallerIDName, "", "", http.StatusNoContent, "", ""},
		{"latin1 labelled", centralita.CRMGetCallerIDName, "text/plain; charset=ISO-8859-1", latin1, 0, "José", ""},
		{"latin1 unlabelled", centralita.CRMGetCallerIDName, "", latin1, 0, "José", ""},
		{"object without field", centralita.CRMGetCallerIDName, "application/json", `{"nombre":"Ana"}`, 0, "", centralita.EINVALID},
		{"array", centralita.CRMGetCallerIDName, "application/json", `["Ana"]`, 0, "", centralita.EINVALID},
		{"object field is object", centralita.CRMGetCallerIDName, "application/json", `{"result":{"a":1}}`, 0, "", centralita.EINVALID},
		{"broken json", centralita.CRMGetCallerIDName, "application/json", `{"result":"Ana"`, 0, "", centralita.EINVALID},
		{"trailing json", centralita.CRMGetCallerIDName, "application/json", `"Ana" "Bo"`, 0, "", centralita.EINVALID},
		{"404", centralita.CRMGetCallerIDName, "text/plain", "not found", http.StatusNotFound, "", centralita.EUNAVAILABLE},
		{"500", centralita.CRMGetCallerIDName, "text/plain", "boom", http.StatusInternalServerError, "", centralita.EUNAVAILABLE},
		{"ivr result", centralita.CRMIVRCode, "application/json", `{"result":"x=1"}`, 0, "x=1", ""},
		{"ivr name is not a result", centralita.CRMIVRCode, "application/json", `{"name":"x=1"}`, 0, "", centralita.EINVALID},
		{"ivr text", centralita.CRMIVRCode, "text/plain", "x=1", 0, "x=1", ""},
		{"push true", centralita.CRMPushAgentInfo, "application/json", `true`, 0, "true", ""},
		{"push false", centralita.CRMPushAgentInfo, "application/json", `false`, 0, "false", ""},
		{"push object", centralita.CRMPushAgentInfo, "application/json", `{"result":false}`, 0, "false", ""},
		{"push object string", centralita.CRMPushAgentInfo, "application/json", `{"result":"true"}`, 0, "true", ""},
		{"push object number", centralita.CRMPushAgentInfo, "application/json", `{"result":0}`, 0, "false", ""},
		{"push json string", centralita.CRMPushAgentInfo, "application/json", `"TRUE"`, 0, "true", ""},
		{"push text ok", centralita.CRMPushAgentInfo, "text/plain", "OK\n", 0, "true", ""},
		{"push text 0", centralita.CRMPushAgentInfo, "text/plain", "0", 0, "false", ""},
		{"push empty", centralita.CRMPushAgentInfo, "", "", 0, "true", ""},
		{"push 202 empty", centralita.CRMPushAgentInfo, "", "", http.StatusAccepted, "true", ""},
		{"push null", centralita.CRMPushAgentInfo, "application/json", "null", 0, "true", ""},
		{"push not a bool", centralita.CRMPushAgentInfo, "text/plain", "maybe", 0, "", centralita.EINVALID},
		{"push 401", centralita.CRMPushAgentInfo, "", "", http.StatusUnauthorized, "", centralita.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := tt.status
			if status == 0 {
				status = http.StatusOK
			}
			srv := newCRM(t, answer(status, tt.contentType, tt.body))
			pushes := &fakePushes{}
			c := newClient(t, config(tt.method, rest(srv.URL)), pushes)
			got, err := invoke(t.Context(), c, tt.method)
			require.Equal(t, tt.kind, centralita.ErrorKind(err), "err: %v", err)
			require.Equal(t, tt.want, got)
			require.Equal(t, 1, srv.count(), "not retried")
			recs := pushes.all()
			require.Len(t, recs, 1)
			if tt.kind != "" {
				require.Equal(t, "error", recs[0].Status)
				require.Equal(t, err.Error(), recs[0].Error)
			}
		})
	}
}

func TestSOAPAnswers(t *testing.T) {
	resp := func(ret string) string {
		return soapAnswer(`<ns1:getCallerIDNameResponse xmlns:ns1="urn:crm">` + ret + `</ns1:getCallerIDNameResponse>`)
	}
	fault := func(code string) string {
		return soapAnswer(`<SOAP-ENV:Fault><faultcode>` + code + `</faultcode><faultstring>no such number</faultstring></SOAP-ENV:Fault>`)
	}
	tests := []struct {
		name, method, contentType, body string
		status                          int
		want                            string
		kind                            centralita.Kind
		msg                             string // in the error
	}{
		{"return", centralita.CRMGetCallerIDName, "text/xml", resp(`<return>Ana</return><other>x</other>`), 0, "Ana", "", ""},
		{"cdata", centralita.CRMGetCallerIDName, "text/xml", resp(`<return><![CDATA[Ana <1>]]></return>`), 0, "Ana <1>", "", ""},
		{"nil", centralita.CRMGetCallerIDName, "text/xml", resp(`<return xsi:nil="true"/>`), 0, "", "", ""},
		{"no child", centralita.CRMGetCallerIDName, "text/xml", resp(``), 0, "", "", ""},
		{"with header", centralita.CRMGetCallerIDName, "text/xml",
			`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><t>1</t></e:Header><e:Body><r><return>Ana</return></r></e:Body></e:Envelope>`, 0, "Ana", "", ""},
		{"latin1 declared", centralita.CRMGetCallerIDName, "text/xml",
			`<?xml version="1.0" encoding="ISO-8859-1"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><r><return>Jos` + "\xe9" + `</return></r></e:Body></e:Envelope>`, 0, "José", "", ""},
		{"latin1 labelled", centralita.CRMGetCallerIDName, "text/xml; charset=iso-8859-1",
			`<?xml version="1.0" encoding="ISO-8859-1"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><r><return>Jos` + "\xe9" + `</return></r></e:Body></e:Envelope>`, 0, "José", "", ""},
		{"fault 500", centralita.CRMGetCallerIDName, "text/xml", fault("SOAP-ENV:Server"), 500, "", centralita.EUNAVAILABLE, "no such number"},
		{"fault 200", centralita.CRMGetCallerIDName, "text/xml", fault("SOAP-ENV:Client"), 0, "", centralita.EUNAVAILABLE, "no such number"},
		{"empty body element", centralita.CRMGetCallerIDName, "text/xml", soapAnswer(``), 0, "", centralita.EINVALID, "Body is empty"},
		{"not xml", centralita.CRMGetCallerIDName, "text/html", "<html><body>oops", 0, "", centralita.EINVALID, ""},
		{"no envelope", centralita.CRMGetCallerIDName, "text/xml", "<r><return>Ana</return></r>", 0, "", centralita.EINVALID, "root"},
		{"dtd", centralita.CRMGetCallerIDName, "text/xml", `<!DOCTYPE x [<!ENTITY a "b">]>` + resp(`<return>Ana</return>`), 0, "", centralita.EINVALID, "DTD"},
		{"ivr", centralita.CRMIVRCode, "text/xml", soapAnswer(`<IVRCodeResponse><return>x=1</return></IVRCodeResponse>`), 0, "x=1", "", ""},
		{"push true", centralita.CRMPushAgentInfo, "text/xml", soapAnswer(`<r><return>true</return></r>`), 0, "true", "", ""},
		{"push false", centralita.CRMPushAgentInfo, "text/xml", soapAnswer(`<r><return>false</return></r>`), 0, "false", "", ""},
		{"push empty", centralita.CRMPushAgentInfo, "text/xml", soapAnswer(`<r/>`), 0, "true", "", ""},
		{"one-way empty answer", centralita.CRMPushAgentInfo, "", "", http.StatusAccepted, "true", "", ""},
		{"lookup empty answer", centralita.CRMGetCallerIDName, "text/xml", "", 0, "", "", ""},
		{"push garbage", centralita.CRMPushAgentInfo, "text/xml", soapAnswer(`<r><return>perhaps</return></r>`), 0, "", centralita.EINVALID, "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := tt.status
			if status == 0 {
				status = http.StatusOK
			}
			srv := newCRM(t, answer(status, tt.contentType, tt.body))
			c := newClient(t, config(tt.method, soap(srv.URL)), nil)
			got, err := invoke(t.Context(), c, tt.method)
			require.Equal(t, tt.kind, centralita.ErrorKind(err), "err: %v", err)
			require.Equal(t, tt.want, got)
			if tt.msg != "" {
				require.ErrorContains(t, err, tt.msg)
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	pushes := &fakePushes{}
	c := newClient(t, crm.Config{}, pushes)
	name, err := c.CallerIDName(t.Context(), "099123456")
	require.NoError(t, err)
	require.Empty(t, name)
	data, err := c.IVRCode(t.Context(), "1.2", "099", "menu", "x")
	require.NoError(t, err)
	require.Empty(t, data)
	ok, err := c.PushAgentInfo(t.Context(), agentInfo)
	require.NoError(t, err)
	require.False(t, ok)
	require.Empty(t, pushes.all())
}

func TestEmptyNumberIsNotLookedUp(t *testing.T) {
	srv := newCRM(t, answer(http.StatusOK, "", "Ana"))
	c := newClient(t, crm.Config{CallerIDName: rest(srv.URL)}, nil)
	name, err := c.CallerIDName(t.Context(), "")
	require.NoError(t, err)
	require.Empty(t, name)
	require.Zero(t, srv.count())
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  crm.Config
		msg  string
	}{
		{"ftp", crm.Config{CallerIDName: crm.Target{URL: "ftp://crm/x"}}, "http or https"},
		{"relative", crm.Config{IVRCode: crm.Target{URL: "/crm"}}, "http or https"},
		{"no host", crm.Config{IVRCode: crm.Target{URL: "http:///x"}}, "http or https"},
		{"unparsable", crm.Config{PushAgentInfo: crm.Target{URL: "http://[::1"}}, "bad URL"},
		{"kind", crm.Config{PushAgentInfo: crm.Target{URL: "http://crm/", Kind: "grpc"}}, "kind"},
		{"header name", crm.Config{PushAgentInfo: crm.Target{URL: "http://crm/", Header: map[string]string{"Bad Header": "x"}}}, "header"},
		{"header value", crm.Config{PushAgentInfo: crm.Target{URL: "http://crm/", Header: map[string]string{"X-A": "a\r\nb: c"}}}, "header"},
		{"unknown field", crm.Config{PushAgentInfo: crm.Target{URL: "http://crm/", Fields: map[string]string{"UniqueID": "u"}}}, "not one of"},
		{"bad field name", crm.Config{CallerIDName: crm.Target{URL: "http://crm/", Fields: map[string]string{"callerIdNum": "a b"}}}, "element name"},
		{"negative timeout", crm.Config{Timeout: -time.Second}, "Timeout"},
		{"negative cache size", crm.Config{CacheSize: -1}, "CacheSize"},
		{"negative body bound", crm.Config{MaxResponseBytes: -1}, "MaxResponseBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := crm.New(tt.cfg)
			require.Nil(t, c)
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
			require.ErrorContains(t, err, tt.msg)
		})
	}
	c, err := crm.New(crm.Config{CallerIDName: crm.Target{URL: "https://crm.example/ws", Kind: "SOAP"}})
	require.NoError(t, err)
	require.NotNil(t, c)
}

func TestBodyBound(t *testing.T) {
	srv := newCRM(t, answer(http.StatusOK, "text/plain", strings.Repeat("x", 100)))
	pushes := &fakePushes{}
	c := newClient(t, crm.Config{CallerIDName: rest(srv.URL), MaxResponseBytes: 16}, pushes)
	name, err := c.CallerIDName(t.Context(), "099")
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	require.ErrorContains(t, err, "more than 16 bytes")
	require.Empty(t, name)
	recs := pushes.all()
	require.Len(t, recs, 1)
	require.Equal(t, "error", recs[0].Status)
	require.Equal(t, strings.Repeat("x", 16), recs[0].Response)

	// Exactly at the bound is fine.
	c = newClient(t, crm.Config{CallerIDName: rest(srv.URL), MaxResponseBytes: 100}, nil)
	name, err = c.CallerIDName(t.Context(), "099")
	require.NoError(t, err)
	require.Len(t, name, 100)
}

func TestRecordsAreTruncated(t *testing.T) {
	big := strings.Repeat("é", 5000) // 10000 bytes
	srv := newCRM(t, answer(http.StatusOK, "text/plain", big))
	pushes := &fakePushes{}
	c := newClient(t, crm.Config{IVRCode: rest(srv.URL)}, pushes)
	got, err := c.IVRCode(t.Context(), "1.2", "099", "menu", big)
	require.NoError(t, err)
	require.Equal(t, big, got)
	require.Len(t, srv.requests()[0].Body, len(big)+len(`{"UniqueID":"1.2","callerIdNum":"099","IVRCode":"menu","IVRData":""}`))
	p := pushes.all()[0]
	require.LessOrEqual(t, len(p.Request), 4096)
	require.Greater(t, len(p.Request), 4090)
	require.True(t, strings.HasPrefix(p.Request, `{"UniqueID":"1.2"`))
	require.Equal(t, big[:4096], p.Response)
}

func TestFailingRecordStore(t *testing.T) {
	srv := newCRM(t, answer(http.StatusOK, "", "Ana"))
	var logs bytes.Buffer
	pushes := &fakePushes{fail: errors.New("disk full")}
	c := newClient(t, crm.Config{CallerIDName: rest(srv.URL), Logger: slog.New(slog.NewTextHandler(&logs, nil))}, pushes)
	name, err := c.CallerIDName(t.Context(), "099")
	require.NoError(t, err)
	require.Equal(t, "Ana", name)
	require.Contains(t, logs.String(), "cannot record")
	require.Contains(t, logs.String(), "disk full")
}
