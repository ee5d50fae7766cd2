package soap_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// fakeCalls is a CallOriginator that remembers requests; job "busy1" is
// finished with BUSY and "gone" is unknown.
type fakeCalls struct {
	got []centralita.OriginationRequest
}

func (f *fakeCalls) Originate(_ context.Context, r centralita.OriginationRequest) (*centralita.Origination, error) {
	if r.Src == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "src \"\": want an extension or number")
	}
	f.got = append(f.got, r)
	return &centralita.Origination{ID: "e68af1aa", Status: centralita.OriginationRinging}, nil
}

func (f *fakeCalls) OriginationStatus(_ context.Context, id string) (centralita.OriginationStatus, error) {
	switch id {
	case "e68af1aa":
		return centralita.OriginationRinging, nil
	case "busy1":
		return centralita.OriginationBusy, nil
	}
	return centralita.OriginationUnknown, nil
}

func (f *fakeCalls) CancelOrigination(_ context.Context, id string) error {
	if id == "e68af1aa" {
		return nil
	}
	return centralita.Errorf(centralita.ENOTFOUND, "not in progress")
}

type fakeCDRs struct{ got []centralita.CDRFilter }

func (f *fakeCDRs) FindCDRs(_ context.Context, filter centralita.CDRFilter) ([]*centralita.CDR, error) {
	f.got = append(f.got, filter)
	return []*centralita.CDR{{
		ID: 9, CallDate: time.Date(2012, 4, 1, 3, 2, 44, 0, time.UTC), CLID: `"103" <103>`, Src: "103", Dst: "211",
		DContext: "tecnico", Channel: "SIP/103-00000256", LastApp: "Hangup", Duration: 4, BillSec: 4,
		Disposition: "ANSWERED", UniqueID: "1333249364.937", UserField: "01-43-1",
	}}, nil
}

type fakeEndpoints struct{}

func (fakeEndpoints) ListEndpoints(context.Context) ([]centralita.EndpointInfo, error) {
	return []centralita.EndpointInfo{
		{Technology: "PJSIP", Resource: "102"}, {Technology: "PJSIP", Resource: "trunk"}, {Technology: "PJSIP", Resource: "101"},
	}, nil
}

func pbxServer(t *testing.T) (string, *fakeCalls, *fakeCDRs) {
	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	calls, cdrs := &fakeCalls{}, &fakeCDRs{}
	montevideo, err := time.LoadLocation("America/Montevideo")
	require.NoError(t, err)
	srv.RegisterPBX(soap.PBXConfig{Calls: calls, CDRs: cdrs, Endpoints: fakeEndpoints{}, Location: montevideo})
	_, url := startServer(t, srv)
	return url, calls, cdrs
}

func TestPBXOriginationOperations(t *testing.T) {
	url, calls, _ := pbxServer(t)
	for _, tc := range []struct {
		name, body, want string
	}{
		{"originate", docLit("originateCall", "authorizedKey", goodKey, "src", "701", "srcCallerID", "Juan Perez", "dst", "927126666", "dstCallerID", "Netgate", "timeout", "20", "callinfo", "01-43-1"), "e68af1aa"},
		{"originate rpc with info alias", rpcEnc("originateCall", "authorizedKey", goodKey, "src", "701", "srcCallerID", "", "dst", "5551234", "dstCallerID", "", "timeout", "", "info", "x"), "e68af1aa"},
		{"originate bad key", docLit("originateCall", "authorizedKey", "nope", "src", "701", "srcCallerID", "", "dst", "1", "dstCallerID", "", "timeout", "20", "callinfo", ""), "-1"},
		{"status ringing", docLit("originateCallStatus", "authorizedKey", goodKey, "originatedID", "e68af1aa"), "1"},
		{"status busy", docLit("originateCallStatus", "authorizedKey", goodKey, "originatedID", "busy1"), "4"},
		{"status unknown", docLit("originateCallStatus", "authorizedKey", goodKey, "originatedID", "zzz"), "0"},
		{"status bad key", docLit("originateCallStatus", "authorizedKey", "nope", "originatedID", "e68af1aa"), "-1"},
		{"cancel", docLit("originateCallCancel", "authorizedKey", goodKey, "originatedID", "e68af1aa"), "1"},
		{"cancel unknown", docLit("originateCallCancel", "authorizedKey", goodKey, "originatedID", "zzz"), "0"},
		{"cancel bad key", docLit("originateCallCancel", "authorizedKey", "nope", "originatedID", "e68af1aa"), "-1"},
		{"extensions bad key", docLit("extensionPbx", "authorizedKey", "nope"), "-1"},
	} {
		r := post(t, url, tc.body, nil)
		require.Nil(t, r.Fault, tc.name)
		require.Equal(t, tc.want, r.Return, tc.name)
	}
	require.Len(t, calls.got, 2)
	require.Equal(t, centralita.OriginationRequest{Src: "701", SrcCallerID: "Juan Perez", Dst: "927126666", DstCallerID: "Netgate", Timeout: 20 * time.Second, CallInfo: "01-43-1", KeyID: 7}, calls.got[0])
	require.Equal(t, "x", calls.got[1].CallInfo)
	require.Zero(t, calls.got[1].Timeout, "an empty timeout takes the default")

	for _, body := range []string{
		docLit("originateCall", "authorizedKey", goodKey, "src", "", "srcCallerID", "", "dst", "1", "dstCallerID", "", "timeout", "20", "callinfo", ""),
		docLit("originateCall", "authorizedKey", goodKey, "src", "701", "srcCallerID", "", "dst", "1", "dstCallerID", "", "timeout", "soon", "callinfo", ""),
		docLit("originateCall", "authorizedKey", goodKey, "src", "701", "srcCallerID", "", "dst", "1", "dstCallerID", "", "timeout", "-3", "callinfo", ""),
	} {
		r := post(t, url, body, nil)
		require.NotNil(t, r.Fault, body)
		require.Equal(t, 500, r.Status)
		require.Contains(t, r.Fault.Code, "Client")
	}
}

func TestPBXExtensionsAndCDR(t *testing.T) {
	url, _, cdrs := pbxServer(t)
	r := post(t, url, docLit("extensionPbx", "authorizedKey", goodKey), nil)
	require.Nil(t, r.Fault)
	require.True(t, strings.HasPrefix(r.Return, `<?xml version="1.0" encoding="UTF-8" ?>`), r.Return)
	var ext struct {
		XMLName xml.Name `xml:"extensions"`
		Info    []struct {
			Extension string `xml:"extension,attr"`
			Channel   string `xml:"channel,attr"`
			Name      string `xml:"calleridName,attr"`
		} `xml:"extensioninfo"`
	}
	require.NoError(t, xml.Unmarshal([]byte(r.Return), &ext))
	require.Len(t, ext.Info, 2, "trunks are not extensions")
	require.Equal(t, "101", ext.Info[0].Extension)
	require.Equal(t, "PJSIP/101", ext.Info[0].Channel)

	r = post(t, url, docLit("cdrData", "authorizedKey", goodKey, "uniqueid", "", "inicio", "2012-04-01 00:00:00", "fin", "2012-04-01"), nil)
	require.Nil(t, r.Fault)
	// Montevideo is UTC−3: the period is read and calldate written in local time.
	require.Equal(t, time.Date(2012, 4, 1, 3, 0, 0, 0, time.UTC), cdrs.got[0].From.UTC())
	require.Equal(t, time.Date(2012, 4, 2, 3, 0, 0, 0, time.UTC), cdrs.got[0].To.UTC(), "a bare fin date covers the whole day")
	require.Contains(t, r.Return, `<call uniqueid="1333249364.937" src="103" dst="211" dcontext="tecnico" clid="103 (103)" channel="SIP/103-00000256" dstchannel="" lastapp="Hangup" lastdata="" calldate="2012-04-01 00:02:44" duration="4" billsec="4" disposition="ANSWERED"></call>`)

	r = post(t, url, docLit("cdrData", "authorizedKey", goodKey, "uniqueid", "1333249364.937", "inicio", "", "fin", ""), nil)
	require.Nil(t, r.Fault)
	require.Equal(t, "1333249364.937", cdrs.got[1].UniqueID)
	require.True(t, cdrs.got[1].From.IsZero(), "with a uniqueid the dates do not filter")

	r = post(t, url, docLit("cdrCustom", "authorizedKey", goodKey, "inicio", "2012-04-01 00:00:00", "fin", "2012-04-01 23:59:59"), nil)
	require.Nil(t, r.Fault)
	require.Contains(t, r.Return, `<call id="9" uniqueid="1333249364.937" src="103" dnis="211" context="tecnico" calldate="2012-04-01 00:02:44" duration="4" estado="ANSWERED" observaciones="01-43-1"></call>`)

	for _, body := range []string{
		docLit("cdrData", "authorizedKey", goodKey, "uniqueid", "", "inicio", "yesterday", "fin", "2012-04-01"),
		docLit("cdrCustom", "authorizedKey", goodKey, "inicio", "2012-04-02", "fin", "2012-04-01 00:00:00"),
	} {
		r := post(t, url, body, nil)
		require.NotNil(t, r.Fault, body)
		require.Contains(t, r.Fault.String, "inicio")
	}
	r = post(t, url, docLit("cdrData", "authorizedKey", "nope", "uniqueid", "", "inicio", "2012-04-01", "fin", "2012-04-01"), nil)
	require.Equal(t, "-1", r.Return)
}
