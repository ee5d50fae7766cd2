package soap_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Keys the fake authenticator knows.
const (
	goodKey    = "319a67432f51ed53938542b809320dd2"
	limitedKey = "limited"
	downKey    = "down"
)

// fakeAuth accepts goodKey, rate-limits limitedKey, fails with EUNAVAILABLE
// on downKey and rejects everything else; it records the calls it got.
type fakeAuth struct {
	mu    sync.Mutex
	calls []string // "key@ip"
}

func (a *fakeAuth) AuthenticateKey(_ context.Context, key, clientIP string) (*centralita.AccessKey, error) {
	a.mu.Lock()
	a.calls = append(a.calls, key+"@"+clientIP)
	a.mu.Unlock()
	switch key {
	case goodKey:
		return &centralita.AccessKey{ID: 7, Description: "test"}, nil
	case limitedKey:
		return nil, centralita.Errorf(centralita.ELIMITED, "too many failed attempts")
	case downKey:
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, io.ErrUnexpectedEOF, "key store down")
	}
	return nil, centralita.Errorf(centralita.EUNAUTHORIZED, "bad key")
}

func (a *fakeAuth) Calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

// startServer serves srv over httptest at soap.Path and returns the endpoint URL.
func startServer(t testing.TB, srv *soap.Server) (*httptest.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(soap.Path, srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs, hs.URL + soap.Path
}

// echo returns a handler that answers "name=value;…" for the named
// parameters that were sent, and the key ID when there was a key.
func echo(names ...string) soap.HandlerFunc {
	return func(_ context.Context, req *soap.Request) (any, error) {
		var parts []string
		for _, n := range names {
			if req.Has(n) {
				parts = append(parts, n+"="+req.Param(n))
			}
		}
		if req.Key != nil {
			parts = append(parts, fmt.Sprintf("key#%d", req.Key.ID))
		}
		return strings.Join(parts, ";"), nil
	}
}

// reply is a decoded response envelope.
type reply struct {
	Status      int
	ContentType string
	Fault       *struct {
		Code   string `xml:"faultcode"`
		String string `xml:"faultstring"`
	}
	Response xml.Name // name of the response element
	Return   string   // text of its return child
	XSIType  string   // xsi:type of return, if any
}

type replyEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		Any *struct {
			XMLName xml.Name
			Return  struct {
				Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
				Value string `xml:",chardata"`
			} `xml:"return"`
		} `xml:",any"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// post sends body to url with the given SOAPAction header (nil: none) and decodes the answer.
func post(t *testing.T, url, body string, action *string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if action != nil {
		req.Header.Set("SOAPAction", *action)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var env replyEnvelope
	require.NoError(t, xml.Unmarshal(data, &env), "response: %s", data)
	r := reply{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Fault: env.Body.Fault}
	if a := env.Body.Any; a != nil {
		r.Response, r.Return, r.XSIType = a.XMLName, a.Return.Value, a.Return.Type
	}
	return r
}

// docLit builds a document/literal-wrapped request as zeep sends it.
func docLit(op string, params ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>` +
		`<ns0:` + op + ` xmlns:ns0="urn:apiws">`)
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteString("<" + params[i] + ">" + params[i+1] + "</" + params[i] + ">")
	}
	b.WriteString(`</ns0:` + op + `></soap-env:Body></soap-env:Envelope>`)
	return b.String()
}

// rpcEnc builds an rpc/encoded request as PHP SoapClient and NuSOAP send it.
func rpcEnc(op string, params ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:apiws"` +
		` xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"` +
		` SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body><ns1:` + op + `>`)
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteString("<" + params[i] + ` xsi:type="xsd:string">` + params[i+1] + "</" + params[i] + ">")
	}
	b.WriteString(`</ns1:` + op + `></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	return b.String()
}

func ptr(s string) *string { return &s }
