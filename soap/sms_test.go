package soap_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// fakeSMS is an SMS engine: "limited" is over the rate, "bad" invalid,
// "down" unavailable; batch 7 is delivered, 8 sent, 9 a failed and a sent.
type fakeSMS struct {
	centralita.SMSSender
	mu  sync.Mutex
	got []centralita.SMSRequest
}

func (f *fakeSMS) Send(_ context.Context, r centralita.SMSRequest) (int64, error) {
	switch r.Recipients[0] {
	case "limited":
		return 0, centralita.Errorf(centralita.ELIMITED, "over the rate")
	case "bad":
		return 0, centralita.Errorf(centralita.EINVALID, "bad number")
	case "down":
		return 0, centralita.Errorf(centralita.EUNAVAILABLE, "db down")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return 1234, nil
}

func (f *fakeSMS) Status(_ context.Context, id int64) ([]*centralita.SMS, error) {
	switch id {
	case 7:
		return []*centralita.SMS{{Status: centralita.SMSSent, Delivery: centralita.SMSDelivered}}, nil
	case 8:
		return []*centralita.SMS{{Status: centralita.SMSSent}}, nil
	case 9:
		return []*centralita.SMS{{Status: centralita.SMSSent}, {Status: centralita.SMSError}}, nil
	}
	return nil, centralita.Errorf(centralita.ENOTFOUND, "no sms %d", id)
}

func TestSMSOperations(t *testing.T) {
	for _, withDelivery := range []bool{false, true} {
		srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
		f := &fakeSMS{}
		srv.RegisterSMS(soap.SMSConfig{SMS: f, StatusDelivery: withDelivery})
		_, url := startServer(t, srv)
		// By default only §8.2's four values; DELIVERED only when opted in.
		delivered := "SENT"
		if withDelivery {
			delivered = "DELIVERED"
		}
		for _, tc := range []struct{ name, body, want string }{
			{"sent", docLit("sendSms", "authorizedKey", goodKey, "msgId", "0", "msgData", "hola", "msgRecip", "098344484 099124484"), "1234"},
			{"rpc, no msgId", rpcEnc("sendSms", "authorizedKey", goodKey, "msgData", "hola", "msgRecip", "098344484"), "1234"},
			{"bad key", docLit("sendSms", "authorizedKey", "nope", "msgId", "0", "msgData", "hola", "msgRecip", "1"), "-1"},
			{"rate", docLit("sendSms", "authorizedKey", goodKey, "msgId", "0", "msgData", "hola", "msgRecip", "limited"), "-2"},
			{"bad number", docLit("sendSms", "authorizedKey", goodKey, "msgId", "0", "msgData", "hola", "msgRecip", "bad"), "0"},
			{"bad msgId", docLit("sendSms", "authorizedKey", goodKey, "msgId", "x", "msgData", "hola", "msgRecip", "1"), "0"},
			{"down", docLit("sendSms", "authorizedKey", goodKey, "msgId", "0", "msgData", "hola", "msgRecip", "down"), "0"},
			{"delivered", docLit("statusSms", "authorizedKey", goodKey, "idSMS", "7"), delivered},
			{"sent status", docLit("statusSms", "authorizedKey", goodKey, "idSMS", "8"), "SENT"},
			{"one failed", docLit("statusSms", "authorizedKey", goodKey, "idSMS", "9"), "ERROR"},
			{"unknown", docLit("statusSms", "authorizedKey", goodKey, "idSMS", "5"), ""},
			{"garbage id", docLit("statusSms", "authorizedKey", goodKey, "idSMS", "abc"), ""},
			{"status bad key", docLit("statusSms", "authorizedKey", "nope", "idSMS", "7"), "-1"},
		} {
			r := post(t, url, tc.body, nil)
			require.Nil(t, r.Fault, tc.name)
			require.Equal(t, 200, r.Status, tc.name)
			require.Equal(t, tc.want, r.Return, "%s (delivery %v)", tc.name, withDelivery)
		}
		require.Equal(t, []string{"098344484 099124484"}, f.got[0].Recipients)
		require.Equal(t, "0", f.got[0].MsgID)
		require.Equal(t, "0", f.got[1].MsgID, "absent msgId")
	}
}
