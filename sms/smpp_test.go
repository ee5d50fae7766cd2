package sms_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
)

// smppEngine runs an engine on the SMPP provider bound to smsc.
func smppEngine(t *testing.T, smsc *testSMSC, password string) (*sms.Engine, func() []*centralita.SMS) {
	t.Helper()
	e, _, inbound := smppEngineAt(t, smsc.Addr(), password, 0)
	return e, inbound
}

// smppEngineAt runs an engine (with retries retries, 0 for the default)
// on an SMPP provider connecting to addr, and returns the provider too.
func smppEngineAt(t *testing.T, addr, password string, retries int) (*sms.Engine, *sms.SMPPProvider, func() []*centralita.SMS) {
	t.Helper()
	p, err := sms.NewSMPPProvider(sms.SMPPConfig{
		Addr: addr, User: "centralita", Password: password, Source: "5000",
		SubmitTimeout: 2 * time.Second, Rebind: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 100, Retries: retries, Backoff: 20 * time.Millisecond}, true)
	inbound := func() []*centralita.SMS {
		l, err := st.FindSMSList(context.Background(), centralita.SMSFilter{Direction: centralita.SMSIn})
		require.NoError(t, err)
		return l
	}
	return e, p, inbound
}

func TestSMPPLongMessageInTwoLinkedPartsThenDelivered(t *testing.T) {
	smsc := newTestSMSC(t, "centralita", "s3cret", true)
	e, _ := smppEngine(t, smsc, "s3cret")
	ctx := context.Background()
	text := strings.Repeat("0123456789", 30) // 300 GSM-7 characters
	id, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"098344484"}, Text: text})
	require.NoError(t, err)
	ms := waitStatus(t, e, id, string(centralita.SMSDelivered))
	require.Equal(t, centralita.SMSSent, ms[0].Status)
	require.Equal(t, 2, ms[0].Parts)

	got := smsc.Submitted()
	require.Len(t, got, 2)
	require.Equal(t, []string{got[0].ID, got[1].ID}, ms[0].ProviderIDs)
	for i, s := range got {
		require.Equal(t, "098344484", s.Dest)
		require.Equal(t, "5000", s.Source)
		require.True(t, s.HasUDH, "part %d has a concatenation UDH", i+1)
		require.Equal(t, byte(0x40), s.ESMClass&0x40)
		require.Equal(t, byte(0), s.DataCoding, "GSM-7")
		require.Equal(t, byte(2), s.Total)
		require.Equal(t, byte(i+1), s.Seq)
		require.Equal(t, got[0].Ref, s.Ref, "same reference links the parts")
	}
	require.Equal(t, text, string(got[0].Text)+string(got[1].Text))
	require.Len(t, got[0].Text, 153)
}

func TestSMPPShortUCS2AndInbound(t *testing.T) {
	smsc := newTestSMSC(t, "centralita", "s3cret", false)
	e, inbound := smppEngine(t, smsc, "s3cret")
	ctx := context.Background()
	id, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"+59898344484"}, Text: "日本語 ok", Sender: "Centralita"})
	require.NoError(t, err)
	ms := waitStatus(t, e, id, string(centralita.SMSSent))
	require.Equal(t, 1, ms[0].Parts)
	got := smsc.Submitted()
	require.Len(t, got, 1)
	require.False(t, got[0].HasUDH)
	require.Equal(t, byte(8), got[0].DataCoding, "UCS-2")
	require.Equal(t, "59898344484", got[0].Dest)
	require.Equal(t, "Centralita", got[0].Source)

	_, err = e.Send(ctx, centralita.SMSRequest{Recipients: []string{"098"}, Text: "inbound?"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(inbound()) == 1 }, 5*time.Second, 10*time.Millisecond)
	in := inbound()[0]
	require.Equal(t, "hello", in.Text)
	require.Equal(t, "099", in.Sender)
	require.Equal(t, centralita.SMSIn, in.Direction)
}

func TestSMPPThrottledIsRetried(t *testing.T) {
	smsc := newTestSMSC(t, "centralita", "s3cret", false)
	smsc.mu.Lock()
	smsc.refuse = 1
	smsc.mu.Unlock()
	e, p, _ := smppEngineAt(t, smsc.Addr(), "s3cret", 0)
	require.Eventually(t, p.Ready, 5*time.Second, 5*time.Millisecond, "never bound")
	id, err := e.Send(context.Background(), centralita.SMSRequest{Recipients: []string{"098344484"}, Text: "hola"})
	require.NoError(t, err)
	ms := waitStatus(t, e, id, string(centralita.SMSSent))
	require.Equal(t, 2, ms[0].Attempts, "the throttled submit and the accepted one")
	require.Len(t, smsc.Submitted(), 1)
}

func TestSMPPBadPasswordNeverBinds(t *testing.T) {
	smsc := newTestSMSC(t, "centralita", "s3cret", false)
	e, p, _ := smppEngineAt(t, smsc.Addr(), "wrong", 1)
	id, err := e.Send(context.Background(), centralita.SMSRequest{Recipients: []string{"098344484"}, Text: "hola"})
	require.NoError(t, err, "queued although the SMSC is unreachable")
	// Many rebinds and many times the retry budget (1 retry after 20 ms)
	// later the message still waits, no attempt spent on the dead link.
	time.Sleep(500 * time.Millisecond)
	require.False(t, p.Ready())
	ms, err := e.Status(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, centralita.SMSPending, ms[0].Status)
	require.Zero(t, ms[0].Attempts)
	require.Empty(t, smsc.Submitted())
}

func TestParseReceipt(t *testing.T) {
	id, stat := sms.ParseReceipt("id:0123abc sub:001 dlvrd:001 submit date:2603011000 done date:2603011001 stat:DELIVRD err:000 text:hola")
	require.Equal(t, "0123abc", id)
	require.Equal(t, "DELIVRD", stat)
	require.Equal(t, centralita.SMSDelivered, sms.Delivery(stat))
	require.Equal(t, centralita.SMSUndelivered, sms.Delivery("UNDELIV"))
	require.Equal(t, centralita.SMSDelivery(""), sms.Delivery("ENROUTE"))
	require.Equal(t, centralita.SMSUnknown, sms.Delivery("WHATEVER"))
}
