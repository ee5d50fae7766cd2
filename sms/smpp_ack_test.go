package sms_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
	"github.com/centralita/centralita/store"
)

// flakyInbound is a store whose CreateInboundSMS fails while fail > 0.
type flakyInbound struct {
	*store.SMSService
	fail atomic.Int32
}

func (f *flakyInbound) CreateInboundSMS(ctx context.Context, m *centralita.SMS) error {
	if f.fail.Add(-1) >= 0 {
		return centralita.Errorf(centralita.EUNAVAILABLE, "database down")
	}
	return f.SMSService.CreateInboundSMS(ctx, m)
}

func TestSMPPInboundAckedOnlyOnceStored(t *testing.T) {
	smsc := newTestSMSC(t, "centralita", "s3cret", false)
	p, err := sms.NewSMPPProvider(sms.SMPPConfig{
		Addr: smsc.Addr(), User: "centralita", Password: "s3cret", Source: "5000",
		SubmitTimeout: 2 * time.Second, Rebind: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	st := &flakyInbound{SMSService: openStore(t)}
	st.fail.Store(1)
	e, err := sms.New(sms.Config{Store: st, Provider: p, Rate: 100, PollInterval: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, e.Start(ctx))
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	inbound := func() []*centralita.SMS {
		l, err := st.FindSMSList(ctx, centralita.SMSFilter{Direction: centralita.SMSIn})
		require.NoError(t, err)
		return l
	}

	// The first deliver_sm cannot be stored: it is answered ESME_RX_T_APPN
	// (0x64), a temporary error the SMSC retries; the second is stored
	// and answered ESME_ROK.
	for range 2 {
		_, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"098"}, Text: "inbound?"})
		require.NoError(t, err)
		n := len(smsc.DeliverResps())
		require.Eventually(t, func() bool { return len(smsc.DeliverResps()) == n+1 }, 5*time.Second, 5*time.Millisecond)
	}
	require.Equal(t, []uint32{0x64, 0}, smsc.DeliverResps())
	require.Len(t, inbound(), 1)
}
