package soap_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
	"github.com/centralita/centralita/wsdl"
)

func TestWSDLServedWithRewrittenAddress(t *testing.T) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	tests := []struct {
		name    string
		method  string
		target  string
		host    string
		tls     bool
		proto   string
		wantLoc string
	}{
		{"lower case query", http.MethodGet, "/apiws/2/apiws.php?wsdl", "pbx.example.com", false, "", "http://pbx.example.com/apiws/2/apiws.php"},
		{"upper case query", http.MethodGet, "/apiws/2/apiws.php?WSDL", "10.0.0.5:8080", false, "", "http://10.0.0.5:8080/apiws/2/apiws.php"},
		{"tls", http.MethodGet, "/apiws/2/apiws.php?wsdl", "pbx.example.com", true, "", "https://pbx.example.com/apiws/2/apiws.php"},
		{"forwarded proto", http.MethodGet, "/apiws/2/apiws.php?wsdl", "pbx.example.com", false, "https, http", "https://pbx.example.com/apiws/2/apiws.php"},
		{"bogus forwarded proto", http.MethodGet, "/apiws/2/apiws.php?wsdl", "pbx.example.com", false, "gopher", "http://pbx.example.com/apiws/2/apiws.php"},
		{"other path", http.MethodGet, "/soap/apiws.php?wsdl=1", "h", false, "", "http://h/soap/apiws.php"},
		{"head", http.MethodHead, "/apiws/2/apiws.php?wsdl", "h", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.Host = tt.host
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, "text/xml; charset=utf-8", w.Header().Get("Content-Type"))
			if tt.method == http.MethodHead {
				return
			}
			loc := locationOf(t, w.Body.Bytes())
			assert.Equal(t, tt.wantLoc, loc)
			ops, err := wsdl.ParseOperations(w.Body.Bytes())
			require.NoError(t, err)
			assert.Len(t, ops, 22)
		})
	}
}

func locationOf(t *testing.T, doc []byte) string {
	t.Helper()
	var d struct {
		Service struct {
			Port struct {
				Address struct {
					Location string `xml:"location,attr"`
				} `xml:"address"`
			} `xml:"port"`
		} `xml:"service"`
	}
	require.NoError(t, xml.Unmarshal(doc, &d))
	return d.Service.Port.Address.Location
}

func TestNonSOAPMethods(t *testing.T) {
	srv := soap.NewServer(soap.Config{})
	for _, tt := range []struct{ method, target string }{
		{http.MethodGet, "/apiws/2/apiws.php"},
		{http.MethodPut, "/apiws/2/apiws.php"},
		{http.MethodDelete, "/apiws/2/apiws.php?wsdl"},
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(tt.method, tt.target, nil))
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, "%s %s", tt.method, tt.target)
	}
}

func TestRequestStylesDispatchAndBind(t *testing.T) {
	auth := &fakeAuth{}
	srv := soap.NewServer(soap.Config{Auth: auth})
	originate := echo("authorizedKey", "src", "srcCallerID", "dst", "dstCallerID", "timeout", "callinfo")
	srv.Handle("originateCall", originate)
	srv.Handle("recordingPbx", echo("uniqueId"))
	srv.Handle("getAgentLoggedInfo", echo("username"))
	srv.Handle("logoutAgent", func(_ context.Context, req *soap.Request) (any, error) {
		return req.Param("agent") == "admin" && !req.Has("extension"), nil
	})
	srv.Handle("originateCallStatus", func(context.Context, *soap.Request) (any, error) { return 3, nil })
	srv.Handle("loginAgent", func(context.Context, *soap.Request) (any, error) { return true, nil })
	_, url := startServer(t, srv)

	const fullOriginate = "authorizedKey=" + goodKey + ";src=701;srcCallerID=Juan Perez;dst=927126666;dstCallerID=Netgate;timeout=20;callinfo=01-43-1;key#7"
	tests := []struct {
		name     string
		body     string
		wantOp   string
		want     string
		wantType string // xsi:type on return; "" for document/literal
	}{
		{"document/literal", docLit("originateCall", "authorizedKey", goodKey, "src", "701", "srcCallerID", "Juan Perez",
			"dst", "927126666", "dstCallerID", "Netgate", "timeout", "20", "callinfo", "01-43-1"), "originateCall", fullOriginate, ""},
		{"rpc/encoded named", rpcEnc("originateCall", "authorizedKey", goodKey, "src", "701", "srcCallerID", "Juan Perez",
			"dst", "927126666", "dstCallerID", "Netgate", "timeout", "20", "callinfo", "01-43-1"), "originateCall", fullOriginate, "xsd:string"},
		{"rpc/encoded positional (PHP SoapClient without WSDL)", rpcEnc("originateCall", "param0", goodKey, "param1", "701", "param2", "Juan Perez",
			"param3", "927126666", "param4", "Netgate", "param5", "20", "param6", "01-43-1"), "originateCall", fullOriginate, "xsd:string"},
		{"alias info and shuffled order", docLit("originateCall", "info", "01-43-1", "timeout", "20", "dst", "927126666", "authorizedKey", goodKey,
			"src", "701", "srcCallerID", "Juan Perez", "dstCallerID", "Netgate"), "originateCall", fullOriginate, ""},
		{"case-insensitive names", docLit("originateCall", "AUTHORIZEDKEY", goodKey, "Src", "701", "srccallerid", "Juan Perez",
			"DST", "927126666", "dstcallerid", "Netgate", "Timeout", "20", "CallInfo", "01-43-1"), "originateCall", fullOriginate, ""},
		{"unknown names fall back to position", docLit("originateCall", "authorizedKey", goodKey, "a", "701", "b", "Juan Perez",
			"dst", "927126666", "c", "Netgate", "d", "20", "e", "01-43-1"), "originateCall", fullOriginate, ""},
		{"byte order mark", "\ufeff" + docLit("originateCall", "authorizedKey", goodKey, "src", "701"), "originateCall", "authorizedKey=" + goodKey + ";src=701;key#7", ""},
		{"escaped text", docLit("originateCall", "authorizedKey", goodKey, "src", "a&amp;b&lt;c"), "originateCall", "authorizedKey=" + goodKey + ";src=a&b<c;key#7", ""},
		{"nil argument counts as absent", strings.Replace(rpcEnc("originateCall", "authorizedKey", goodKey, "src", ""), `<src xsi:type="xsd:string">`, `<src xsi:nil="true">`, 1),
			"originateCall", "authorizedKey=" + goodKey + ";key#7", "xsd:string"},
		{"uniqueid alias", docLit("recordingPbx", "authorizedKey", goodKey, "uniqueid", "1333249364.937"), "recordingPbx", "uniqueId=1333249364.937;key#7", ""},
		{"autorizedkey spelling", docLit("getAgentLoggedInfo", "autorizedkey", goodKey, "username", "admin"), "getAgentLoggedInfo", "username=admin;key#7", ""},
		{"logoutAgent ignores extension", rpcEnc("logoutAgent", "authorizedKey", goodKey, "agent", "admin", "extension", "803"), "logoutAgent", "true", "xsd:boolean"},
		{"int result rpc", rpcEnc("originateCallStatus", "authorizedKey", goodKey, "originatedID", "e68af1aa"), "originateCallStatus", "3", "xsd:int"},
		{"int result doc", docLit("originateCallStatus", "authorizedKey", goodKey, "originatedID", "e68af1aa"), "originateCallStatus", "3", ""},
		{"bool result", docLit("loginAgent", "authorizedKey", goodKey, "agent", "admin", "extension", "803"), "loginAgent", "true", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, tt.body, ptr(`"urn:apiws#`+tt.wantOp+`"`))
			require.Nil(t, r.Fault)
			assert.Equal(t, http.StatusOK, r.Status)
			assert.Equal(t, "text/xml; charset=utf-8", r.ContentType)
			assert.Equal(t, xml.Name{Space: "urn:apiws", Local: tt.wantOp + "Response"}, r.Response)
			assert.Equal(t, tt.want, r.Return)
			assert.Equal(t, tt.wantType, r.XSIType)
		})
	}
	assert.Contains(t, auth.Calls(), goodKey+"@127.0.0.1", "the key is checked with the client IP")
}

func TestSOAPActionIsOnlyAHint(t *testing.T) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	srv.Handle("statusSms", echo("idSMS"))
	_, url := startServer(t, srv)
	body := docLit("statusSms", "authorizedKey", goodKey, "idSMS", "42")
	for name, action := range map[string]*string{
		"quoted": ptr(`"urn:apiws#statusSms"`), "unquoted": ptr("urn:apiws#statusSms"), "empty": ptr(""),
		"empty quoted": ptr(`""`), "wrong": ptr(`"urn:apiws#sendSms"`), "absent": nil,
	} {
		t.Run(name, func(t *testing.T) {
			r := post(t, url, body, action)
			require.Nil(t, r.Fault)
			assert.Equal(t, "idSMS=42;key#7", r.Return)
		})
	}
}

func TestFaults(t *testing.T) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}, MaxBodyBytes: 4096})
	srv.Handle("statusSms", echo("idSMS"))
	_, url := startServer(t, srv)
	tests := []struct {
		name, body, code, contains string
	}{
		{"malformed XML", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><statusSms>`, "soap:Client", "malformed XML"},
		{"mismatched tags", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a></b></soap:Body></soap:Envelope>`, "soap:Client", "malformed XML"},
		{"not XML", `hello`, "soap:Client", "no soap:Envelope"},
		{"empty body", ``, "soap:Client", "no soap:Envelope"},
		{"not an envelope", `<statusSms/>`, "soap:Client", "root element is statusSms"},
		{"SOAP 1.2", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><statusSms/></e:Body></e:Envelope>`, "soap:VersionMismatch", "SOAP 1.1"},
		{"missing Body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/></soap:Envelope>`, "soap:Client", "no soap:Envelope with a soap:Body"},
		{"empty Body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body> </soap:Body></soap:Envelope>`, "soap:Client", "soap:Body is empty"},
		{"DTD", `<!DOCTYPE x [<!ENTITY a "b">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><statusSms/></soap:Body></soap:Envelope>`, "soap:Client", "DTD"},
		{"mustUnderstand header", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><h:Auth xmlns:h="urn:x" soap:mustUnderstand="1"/></soap:Header><soap:Body><statusSms/></soap:Body></soap:Envelope>`, "soap:MustUnderstand", "Auth"},
		{"unknown operation", docLit("dropTables", "authorizedKey", goodKey), "soap:Client", "unknown operation dropTables"},
		{"spec operation without handler", docLit("sendSms", "authorizedKey", goodKey), "soap:Server", "sendSms is not available"},
		{"operation names are case-sensitive", docLit("StatusSms", "authorizedKey", goodKey), "soap:Client", "unknown operation"},
		{"oversized body", docLit("statusSms", "authorizedKey", goodKey, "idSMS", strings.Repeat("9", 5000)), "soap:Client", "larger than 4096 bytes"},
		{"oversized trailing junk", docLit("statusSms", "authorizedKey", goodKey, "idSMS", "1") + strings.Repeat(" ", 5000), "soap:Client", "larger than 4096 bytes"},
		{"unsupported charset", `<?xml version="1.0" encoding="EBCDIC"?><x/>`, "soap:Client", "EBCDIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, tt.body, ptr(`"urn:apiws#statusSms"`))
			assert.Equal(t, http.StatusInternalServerError, r.Status)
			assert.Equal(t, "text/xml; charset=utf-8", r.ContentType)
			require.NotNil(t, r.Fault)
			assert.Equal(t, tt.code, r.Fault.Code)
			assert.Contains(t, r.Fault.String, tt.contains)
		})
	}
}

func TestLatin1Request(t *testing.T) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	srv.Handle("getUserInfo", echo("username"))
	_, url := startServer(t, srv)
	body := strings.Replace(docLit("getUserInfo", "authorizedKey", goodKey, "username", "pe\xf1a"), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	r := post(t, url, body, nil)
	require.Nil(t, r.Fault)
	assert.Equal(t, "username=peña;key#7", r.Return)
}

func TestDeniedKeyGivesDocumentedResult(t *testing.T) {
	auth := &fakeAuth{}
	srv := soap.NewServer(soap.Config{Auth: auth})
	var called atomic.Bool
	handler := func(context.Context, *soap.Request) (any, error) {
		called.Store(true)
		return "ran", nil
	}
	for _, op := range []string{"originateCall", "recordingPbx", "getAgentLoggedInfo", "statusSms", "extensionPbx"} {
		srv.Handle(op, handler)
	}
	for _, op := range []string{"originateCallStatus", "sendSms"} {
		srv.Handle(op, func(context.Context, *soap.Request) (any, error) { called.Store(true); return 1, nil })
	}
	srv.Handle("pauseAgent", func(context.Context, *soap.Request) (any, error) { called.Store(true); return true, nil })
	_, url := startServer(t, srv)

	recording := func(id string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<record><recording status="-1" uniqueid="` + id + `" encoding="base64"></recording></record>`
	}
	tests := []struct {
		name, body, want string
	}{
		{"wrong key", docLit("originateCall", "authorizedKey", "nope", "src", "701"), "-1"},
		{"rate-limited key", docLit("originateCall", "authorizedKey", limitedKey, "src", "701"), "-1"},
		{"missing key", docLit("originateCall", "src", "701"), "-1"},
		{"empty key", docLit("originateCall", "authorizedKey", "", "src", "701"), "-1"},
		{"rpc wrong key", rpcEnc("originateCall", "param0", "nope", "param1", "701"), "-1"},
		{"int operation", docLit("originateCallStatus", "authorizedKey", "nope", "originatedID", "x"), "-1"},
		{"sendSms rate-limited key is -1, not -2", docLit("sendSms", "authorizedKey", limitedKey, "msgId", "0"), "-1"},
		{"boolean operation", docLit("pauseAgent", "authorizedKey", "nope", "agent", "a"), "false"},
		{"recordingPbx status inside XML", docLit("recordingPbx", "authorizedKey", "nope", "uniqueId", `12548543.8&amp;"`), recording("12548543.8&amp;&#34;")},
		{"getAgentLoggedInfo misspelt key", docLit("getAgentLoggedInfo", "autorizedkey", "nope", "username", "admin"), "-1"},
		{"statusSms", docLit("statusSms", "authorizedKey", "nope", "idSMS", "1"), "-1"},
		{"extensionPbx", docLit("extensionPbx", "authorizedKey", "nope"), "-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called.Store(false)
			r := post(t, url, tt.body, nil)
			require.Nil(t, r.Fault, "a bad key is not a fault")
			assert.Equal(t, http.StatusOK, r.Status)
			assert.Equal(t, tt.want, r.Return)
			assert.False(t, called.Load(), "the handler must not run")
		})
	}
	assert.NotContains(t, auth.Calls(), "@127.0.0.1", "an empty or missing key is not sent to the authenticator")
}

func TestKeylessForms(t *testing.T) {
	for _, require := range []bool{false, true} {
		srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}, RequireKey: require})
		srv.Handle("queueData", echo("authorizedKey", "Cola", "Agente", "FechaInicio", "FechaFin"))
		srv.Handle("agentData", echo("authorizedKey", "Cola", "FechaInicio", "FechaFin"))
		_, url := startServer(t, srv)
		keyless := func(s string) string {
			if require {
				return "-1"
			}
			return s
		}
		tests := []struct {
			name, body, want string
		}{
			{"queueData named without key", docLit("queueData", "Cola", "q_ven", "Agente", "", "FechaInicio", "2012-05-02 00:00:00", "FechaFin", "2012-05-03 00:00:00"),
				keyless("Cola=q_ven;Agente=;FechaInicio=2012-05-02 00:00:00;FechaFin=2012-05-03 00:00:00")},
			{"queueData positional 4 arguments is key-less", rpcEnc("queueData", "p0", "q_ven", "p1", "157", "p2", "2012-05-02 00:00:00", "p3", "2012-05-03 00:00:00"),
				keyless("Cola=q_ven;Agente=157;FechaInicio=2012-05-02 00:00:00;FechaFin=2012-05-03 00:00:00")},
			{"queueData positional 5 arguments has a key", rpcEnc("queueData", "p0", goodKey, "p1", "q_ven", "p2", "157", "p3", "a", "p4", "b"),
				"authorizedKey=" + goodKey + ";Cola=q_ven;Agente=157;FechaInicio=a;FechaFin=b;key#7"},
			{"queueData empty key is key-less", docLit("queueData", "authorizedKey", "", "Cola", "q_ven"), keyless("authorizedKey=;Cola=q_ven")},
			{"queueData wrong key", docLit("queueData", "authorizedKey", "nope", "Cola", "q_ven"), "-1"},
			{"agentData positional 3 arguments is key-less", rpcEnc("agentData", "p0", "q_ven", "p1", "a", "p2", "b"), keyless("Cola=q_ven;FechaInicio=a;FechaFin=b")},
			{"agentData named with key", docLit("agentData", "authorizedKey", goodKey, "Cola", "q_ven", "FechaInicio", "a", "FechaFin", "b"),
				"authorizedKey=" + goodKey + ";Cola=q_ven;FechaInicio=a;FechaFin=b;key#7"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := post(t, url, tt.body, nil)
				assert.Nil(t, r.Fault)
				assert.Equal(t, tt.want, r.Return, "RequireKey=%v", require)
			})
		}
	}
}

func TestErrorMapping(t *testing.T) {
	var logs bytes.Buffer
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var current atomic.Pointer[error]
	for _, op := range soap.Operations() {
		srv.Handle(op.Name, func(context.Context, *soap.Request) (any, error) { return nil, *current.Load() })
	}
	_, url := startServer(t, srv)

	cause := errors.New("database password is hunter2")
	tests := []struct {
		name      string
		op        string
		err       error
		want      string
		faultCode string
		faultText string
	}{
		{"invalid without code is a client fault", "originateCall", centralita.Errorf(centralita.EINVALID, "timeout must be positive"), "", "soap:Client", "timeout must be positive"},
		{"internal without code is a server fault", "originateCall", centralita.WrapError(centralita.EINTERNAL, cause, "boom"), "", "soap:Server", "internal error"},
		{"plain error is internal", "cdrData", cause, "", "soap:Server", "internal error"},
		{"unavailable without code", "extensionPbx", centralita.WrapError(centralita.EUNAVAILABLE, cause, "asterisk down"), "", "soap:Server", "service unavailable"},
		{"not found without code is a client fault", "cdrData", centralita.Errorf(centralita.ENOTFOUND, "no such call"), "", "soap:Client", "no such call"},
		{"unauthorized from handler gives Denied", "queueData", centralita.Errorf(centralita.EUNAUTHORIZED, "keys required"), "-1", "", ""},
		{"originateCallStatus unknown job", "originateCallStatus", centralita.Errorf(centralita.ENOTFOUND, "no job"), "0", "", ""},
		{"originateCallStatus unexpected error", "originateCallStatus", centralita.WrapError(centralita.EINTERNAL, cause, "x"), "0", "", ""},
		{"originateCallCancel already ended", "originateCallCancel", centralita.Errorf(centralita.ECONFLICT, "ended"), "0", "", ""},
		{"recordingPbx unknown uniqueid", "recordingPbx", centralita.Errorf(centralita.ENOTFOUND, "no call"), `<record><recording status="-1" uniqueid="" encoding="base64"></recording></record>`, "", ""},
		{"loginAgent any failure is false", "loginAgent", centralita.Errorf(centralita.ENOTFOUND, "no agent"), "false", "", ""},
		{"pauseAgent internal is false", "pauseAgent", centralita.WrapError(centralita.EINTERNAL, cause, "x"), "false", "", ""},
		{"getAgentLoggedInfo no agent name", "getAgentLoggedInfo", centralita.Errorf(centralita.EINVALID, "no username"), "-2", "", ""},
		{"getAgentLoggedInfo unknown error", "getAgentLoggedInfo", centralita.WrapError(centralita.EUNAVAILABLE, cause, "x"), "-3", "", ""},
		{"getAgentLoggedInfo not logged in", "getAgentLoggedInfo", centralita.Errorf(centralita.ENOTFOUND, "not logged in"), "0", "", ""},
		{"getUserByAgent not found", "getUserByAgent", centralita.Errorf(centralita.ENOTFOUND, "no agent"), "", "", ""},
		{"getUserInfo wrong parameters", "getUserInfo", centralita.Errorf(centralita.EINVALID, "x"), "-2", "", ""},
		{"getAgentTimes unknown error", "getAgentTimes", centralita.WrapError(centralita.EINTERNAL, cause, "x"), "-3", "", ""},
		{"agentSessionDetail unknown error is -2", "agentSessionDetail", centralita.WrapError(centralita.EINTERNAL, cause, "x"), "-2", "", ""},
		{"getAgentLogin wrong parameters", "getAgentLogin", centralita.Errorf(centralita.EINVALID, "x"), "-2", "", ""},
		{"sendSms rate exceeded", "sendSms", centralita.Errorf(centralita.ELIMITED, "too fast"), "-2", "", ""},
		{"sendSms not sent", "sendSms", centralita.WrapError(centralita.EUNAVAILABLE, cause, "smsc down"), "0", "", ""},
		{"statusSms unknown id", "statusSms", centralita.Errorf(centralita.ENOTFOUND, "no sms"), "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current.Store(&tt.err)
			r := post(t, url, docLit(tt.op, "authorizedKey", goodKey), nil)
			if tt.faultCode != "" {
				require.NotNil(t, r.Fault)
				assert.Equal(t, http.StatusInternalServerError, r.Status)
				assert.Equal(t, tt.faultCode, r.Fault.Code)
				assert.Equal(t, tt.faultText, r.Fault.String)
				return
			}
			require.Nil(t, r.Fault)
			assert.Equal(t, tt.want, strings.TrimPrefix(r.Return, xml.Header))
		})
	}
	assert.Contains(t, logs.String(), "hunter2", "causes are logged")
}

func TestDeniedLimitedKeyIsLogged(t *testing.T) {
	var logs bytes.Buffer
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	srv.Handle("statusSms", echo("idSMS"))
	srv.Handle("getUserInfo", echo("username"))
	_, url := startServer(t, srv)

	r := post(t, url, docLit("statusSms", "authorizedKey", limitedKey, "idSMS", "1"), nil)
	assert.Equal(t, "-1", r.Return)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "too many failed attempts")

	// A key store that is down is not a bad key: the operation's unknown-error code, or a fault.
	r = post(t, url, docLit("getUserInfo", "authorizedKey", downKey, "username", "x"), nil)
	assert.Equal(t, "-3", r.Return)
	r = post(t, url, docLit("statusSms", "authorizedKey", downKey, "idSMS", "1"), nil)
	require.NotNil(t, r.Fault)
	assert.Equal(t, "soap:Server", r.Fault.Code)
}

func TestNoAuthenticatorDeniesKeyedCalls(t *testing.T) {
	srv := soap.NewServer(soap.Config{})
	srv.Handle("statusSms", echo("idSMS"))
	_, url := startServer(t, srv)
	r := post(t, url, docLit("statusSms", "authorizedKey", goodKey, "idSMS", "1"), nil)
	assert.Equal(t, "-1", r.Return)
}

func TestResults(t *testing.T) {
	type user struct {
		XMLName xml.Name `xml:"userInfo"`
		User    struct {
			Nombre string `xml:"nombre,attr"`
		} `xml:"user"`
	}
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	srv.Handle("getUserInfo", func(context.Context, *soap.Request) (any, error) {
		var u user
		u.User.Nombre = "Natalia García"
		return u, nil
	})
	srv.Handle("getUserByAgent", func(context.Context, *soap.Request) (any, error) { return -3, nil })
	srv.Handle("loginAgent", func(context.Context, *soap.Request) (any, error) { return "TRUE", nil })
	srv.Handle("sendSms", func(context.Context, *soap.Request) (any, error) { return "12", nil })
	srv.Handle("statusSms", func(context.Context, *soap.Request) (any, error) { return true, nil })
	srv.Handle("extensionPbx", func(context.Context, *soap.Request) (any, error) { panic("bug") })
	srv.Handle("cdrData", func(context.Context, *soap.Request) (any, error) { return "<cdr>\n\t<call/>\n</cdr>", nil })
	srv.Handle("originateCall", func(_ context.Context, req *soap.Request) (any, error) {
		n, err := req.Int("timeout")
		return n * 2, err
	})
	_, url := startServer(t, srv)

	r := post(t, url, docLit("getUserInfo", "authorizedKey", goodKey, "username", "ngarcia"), nil)
	assert.Equal(t, xml.Header+`<userInfo><user nombre="Natalia García"></user></userInfo>`, r.Return, "structs become an XML document")
	r = post(t, url, docLit("getUserByAgent", "authorizedKey", goodKey, "agent", "1"), nil)
	assert.Equal(t, "-3", r.Return, "ints are fine for string results")
	r = post(t, url, docLit("cdrData", "authorizedKey", goodKey), nil)
	assert.Equal(t, "<cdr>\n\t<call/>\n</cdr>", r.Return, "whitespace survives")
	r = post(t, url, docLit("originateCall", "authorizedKey", goodKey, "timeout", " 20 "), nil)
	assert.Equal(t, "40", r.Return)
	r = post(t, url, docLit("originateCall", "authorizedKey", goodKey, "timeout", "soon"), nil)
	require.NotNil(t, r.Fault)
	assert.Equal(t, "parameter timeout is not an integer", r.Fault.String)
	for _, op := range []string{"loginAgent", "sendSms", "statusSms", "extensionPbx"} {
		r = post(t, url, docLit(op, "authorizedKey", goodKey), nil)
		require.NotNil(t, r.Fault, op)
		assert.Equal(t, "soap:Server", r.Fault.Code, op)
		assert.Equal(t, "internal error", r.Fault.String, op)
	}
}

func TestRegistration(t *testing.T) {
	srv := soap.NewServer(soap.Config{})
	noop := func(context.Context, *soap.Request) (any, error) { return nil, nil }
	srv.Handle("statusSms", noop)
	assert.Panics(t, func() { srv.Handle("statusSms", noop) }, "twice")
	assert.Panics(t, func() { srv.Handle("ping", noop) }, "not in the spec")
	assert.Panics(t, func() { srv.HandleOperation(soap.Operation{}, noop) }, "no name")
	assert.Panics(t, func() { srv.HandleOperation(soap.Operation{Name: "ping"}, nil) }, "no handler")

	srv.HandleOperation(soap.Operation{Name: "ping", Return: soap.String}, func(context.Context, *soap.Request) (any, error) { return "pong", nil })
	_, url := startServer(t, srv)
	r := post(t, url, docLit("ping"), nil)
	assert.Equal(t, "pong", r.Return, "an operation outside the WSDL, without a key")
}

func TestNewRequest(t *testing.T) {
	params := map[string]string{"timeout": "20"}
	req := soap.NewRequest("originateCall", params)
	params["timeout"] = "changed"
	n, err := req.Int("timeout")
	require.NoError(t, err)
	assert.Equal(t, 20, n)
	assert.False(t, req.Has("src"))
	_, err = req.Int("src")
	assert.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
}

func TestClientIPHook(t *testing.T) {
	auth := &fakeAuth{}
	srv := soap.NewServer(soap.Config{Auth: auth, ClientIP: func(r *http.Request) string { return r.Header.Get("X-Real-IP") }})
	srv.Handle("statusSms", func(_ context.Context, req *soap.Request) (any, error) { return req.ClientIP, nil })
	_, url := startServer(t, srv)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(docLit("statusSms", "authorizedKey", goodKey)))
	require.NoError(t, err)
	req.Header.Set("X-Real-IP", "203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(body), "<return>203.0.113.9</return>")
	assert.Equal(t, []string{goodKey + "@203.0.113.9"}, auth.Calls())
}

func TestWSDLOverHTTP(t *testing.T) {
	hs, url := startServer(t, soap.NewServer(soap.Config{}))
	res, err := hs.Client().Get(url + "?wsdl")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/xml; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, url, locationOf(t, body))
}
