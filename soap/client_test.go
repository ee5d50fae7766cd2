package soap_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	gowsdlsoap "github.com/hooklift/gowsdl/soap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
	"github.com/centralita/centralita/wsdl"
	"github.com/centralita/centralita/wsdl/apiwsclient"
)

// TestOperationsMatchWSDL checks that the server binds parameters as the
// WSDL it serves declares them.
func TestOperationsMatchWSDL(t *testing.T) {
	described, err := wsdl.Operations()
	require.NoError(t, err)
	ops := soap.Operations()
	require.Len(t, ops, len(described))
	for i, d := range described {
		op := ops[i]
		require.Equal(t, d.Name, op.Name)
		assert.Equal(t, d.Return, string(op.Return), op.Name)
		require.Len(t, op.Params, len(d.Params), op.Name)
		for j, p := range d.Params {
			assert.Equal(t, p.Name, op.Params[j].Name, op.Name)
			assert.Equal(t, p.Type, string(op.Params[j].Type), "%s.%s", op.Name, p.Name)
			if op.Params[j].Key {
				assert.Equal(t, p.Optional, op.Params[j].Optional, "%s.%s optional", op.Name, p.Name)
			}
		}
		assert.Equal(t, soap.KeyParam, op.Params[0].Name, "%s: the key comes first", op.Name)
		assert.True(t, op.Params[0].Key, op.Name)
		assert.NotNil(t, op.Denied, op.Name)
	}
}

// newGeneratedClient returns the gowsdl client of the WSDL, talking to url.
func newGeneratedClient(t testing.TB, srv *soap.Server) apiwsclient.ApiwsPortType {
	hs, url := startServer(t, srv)
	return apiwsclient.NewApiwsPortType(gowsdlsoap.NewClient(url, gowsdlsoap.WithHTTPClient(hs.Client())))
}

func TestGeneratedClient(t *testing.T) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	srv.Handle("originateCall", func(_ context.Context, req *soap.Request) (any, error) {
		timeout, err := req.Int("timeout")
		if err != nil {
			return nil, err
		}
		if req.Param("src") != "701" || timeout != 20 || req.Param("callinfo") != "01-43-1" {
			return nil, centralita.Errorf(centralita.EINVALID, "unexpected parameters")
		}
		return "e68af1aa", nil
	})
	srv.Handle("originateCallStatus", func(_ context.Context, req *soap.Request) (any, error) {
		if req.Param("originatedID") != "e68af1aa" {
			return nil, centralita.Errorf(centralita.ENOTFOUND, "no such job")
		}
		return 2, nil
	})
	srv.Handle("loginAgent", func(_ context.Context, req *soap.Request) (any, error) {
		return req.Param("agent") == "admin" && req.Param("extension") == "803", nil
	})
	srv.Handle("queueData", func(_ context.Context, req *soap.Request) (any, error) {
		if req.Key != nil {
			return nil, centralita.Errorf(centralita.EINVALID, "expected the key-less form")
		}
		return `<?xml version="1.0" encoding="UTF-8" ?>` + "\n<queue_activity>\n" +
			`  <activity date="2012-05-02 09:13:17" queue="` + req.Param("Cola") + `" uniqueid="NONE" action="LOGIN" callerid="" agent="157" waitsec="" talksec="" dest="" cause="" />` +
			"\n</queue_activity>", nil
	})
	srv.Handle("cdrData", func(context.Context, *soap.Request) (any, error) {
		return nil, centralita.Errorf(centralita.EINVALID, "bad date")
	})
	client := newGeneratedClient(t, srv)
	ctx := t.Context()

	oc, err := client.OriginateCallContext(ctx, &apiwsclient.OriginateCall{AuthorizedKey: goodKey, Src: "701", SrcCallerID: "Juan Perez",
		Dst: "927126666", DstCallerID: "Netgate", Timeout: 20, Callinfo: "01-43-1"})
	require.NoError(t, err)
	assert.Equal(t, "e68af1aa", oc.Return_)

	st, err := client.OriginateCallStatusContext(ctx, &apiwsclient.OriginateCallStatus{AuthorizedKey: goodKey, OriginatedID: oc.Return_})
	require.NoError(t, err)
	assert.EqualValues(t, 2, st.Return_)
	st, err = client.OriginateCallStatusContext(ctx, &apiwsclient.OriginateCallStatus{AuthorizedKey: goodKey, OriginatedID: "gone"})
	require.NoError(t, err)
	assert.EqualValues(t, 0, st.Return_)
	st, err = client.OriginateCallStatusContext(ctx, &apiwsclient.OriginateCallStatus{AuthorizedKey: "wrong", OriginatedID: "e68af1aa"})
	require.NoError(t, err)
	assert.EqualValues(t, -1, st.Return_)

	la, err := client.LoginAgentContext(ctx, &apiwsclient.LoginAgent{AuthorizedKey: goodKey, Agent: "admin", Extension: "803"})
	require.NoError(t, err)
	assert.True(t, la.Return_)

	qd, err := client.QueueDataContext(ctx, &apiwsclient.QueueData{Cola: "q_ven", FechaInicio: "2012-05-02 00:00:00", FechaFin: "2012-05-03 00:00:00"})
	require.NoError(t, err)
	var activity struct {
		Rows []struct {
			Queue  string `xml:"queue,attr"`
			Action string `xml:"action,attr"`
		} `xml:"activity"`
	}
	require.NoError(t, xml.Unmarshal([]byte(qd.Return_), &activity), "the result is an XML document: %q", qd.Return_)
	require.Len(t, activity.Rows, 1)
	assert.Equal(t, "q_ven", activity.Rows[0].Queue)
	assert.True(t, strings.HasPrefix(qd.Return_, "<?xml"))

	_, err = client.CdrDataContext(ctx, &apiwsclient.CdrData{AuthorizedKey: goodKey, Inicio: "x", Fin: "y"})
	var httpErr *gowsdlsoap.HTTPError
	require.True(t, errors.As(err, &httpErr), "a fault comes back as HTTP 500: %v", err)
	assert.Equal(t, 500, httpErr.StatusCode)
	assert.Contains(t, string(httpErr.ResponseBody), "<faultcode>soap:Client</faultcode><faultstring>bad date</faultstring>")
}

// pingRequest and pingResponse are the benchmark-only ping operation, sent
// through the same gowsdl runtime the generated client uses.
type pingRequest struct {
	XMLName xml.Name `xml:"urn:apiws ping"`
}

type pingResponse struct {
	XMLName xml.Name `xml:"urn:apiws pingResponse"`
	Return  string   `xml:"return"`
}

// BenchmarkSOAPRoundTrip measures one no-op call over real HTTP with the
// gowsdl client: "ping" is registered only here and needs no key;
// "statusSms" goes through the generated client and a key check.
func BenchmarkSOAPRoundTrip(b *testing.B) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	srv.HandleOperation(soap.Operation{Name: "ping", Return: soap.String}, func(context.Context, *soap.Request) (any, error) {
		return "pong", nil
	})
	srv.Handle("statusSms", func(context.Context, *soap.Request) (any, error) { return "SENT", nil })
	hs, url := startServer(b, srv)
	raw := gowsdlsoap.NewClient(url, gowsdlsoap.WithHTTPClient(hs.Client()))
	generated := apiwsclient.NewApiwsPortType(raw)

	b.Run("ping", func(b *testing.B) {
		ctx := b.Context()
		for b.Loop() {
			var res pingResponse
			if err := raw.CallContext(ctx, "", &pingRequest{}, &res); err != nil || res.Return != "pong" {
				b.Fatalf("ping: %q, %v", res.Return, err)
			}
		}
	})
	b.Run("statusSms", func(b *testing.B) {
		ctx := b.Context()
		req := &apiwsclient.StatusSms{AuthorizedKey: goodKey, IdSMS: "1"}
		for b.Loop() {
			res, err := generated.StatusSmsContext(ctx, req)
			if err != nil || res.Return_ != "SENT" {
				b.Fatalf("statusSms: %v, %v", res, err)
			}
		}
	})
}
