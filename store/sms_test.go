package store_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestSMSQueueLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewSMSService(db)
		now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

		batch := []*centralita.SMS{
			{Recipient: "098344484", Text: "hola", MsgID: "0", Campaign: "Ventas->"},
			{Recipient: "099124484", Text: "hola", MsgID: "0", Campaign: "Ventas->"},
		}
		require.NoError(t, s.CreateSMS(ctx, batch))
		require.NotZero(t, batch[0].ID)
		require.Equal(t, batch[0].ID, batch[0].BatchID)
		require.Equal(t, batch[0].ID, batch[1].BatchID)
		urgent := []*centralita.SMS{{Recipient: "091", Text: "now", Priority: centralita.SMSPriorityScheduled}}
		require.NoError(t, s.CreateSMS(ctx, urgent))
		draft := []*centralita.SMS{{Recipient: "092", Text: "later", Status: centralita.SMSDraft}}
		require.NoError(t, s.CreateSMS(ctx, draft))

		got, err := s.FindSMSBatch(ctx, batch[0].ID)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, centralita.SMSPending, got[0].Status)
		require.Equal(t, "Ventas->", got[0].Campaign)
		_, err = s.FindSMSBatch(ctx, 999999)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		// Priority 1 first, then by age; the draft is never claimed.
		claimed, err := s.ClaimSMS(ctx, "w1", now, 2)
		require.NoError(t, err)
		require.Len(t, claimed, 2)
		require.Equal(t, urgent[0].ID, claimed[0].ID)
		require.Equal(t, batch[0].ID, claimed[1].ID)
		again, err := s.ClaimSMS(ctx, "w2", now, 10)
		require.NoError(t, err)
		require.Len(t, again, 1, "claimed rows are not claimed twice")
		require.Equal(t, batch[1].ID, again[0].ID)

		// A crashed owner's claims are released after the lease.
		n, err := s.ReleaseSMSClaims(ctx, "w2", now.Add(time.Minute))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		again, err = s.ClaimSMS(ctx, "w3", now, 10)
		require.NoError(t, err)
		require.Len(t, again, 1)

		// A transient failure: back to PENDING with a next try.
		m := claimed[1]
		next := now.Add(time.Minute)
		m.Attempts, m.NextAt, m.Error = 1, &next, "throttled"
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.FinishSMSAttempt(ctx, "w2", m)), "not w2's claim")
		require.NoError(t, s.FinishSMSAttempt(ctx, "w1", m))
		none, err := s.ClaimSMS(ctx, "w1", now, 10)
		require.NoError(t, err)
		require.Empty(t, none, "not due before next_at")
		due, err := s.ClaimSMS(ctx, "w1", next, 10)
		require.NoError(t, err)
		require.Len(t, due, 1)

		// Sent in two parts, then both receipts.
		m = due[0]
		sent := next
		m.Status, m.Attempts, m.Parts, m.ProviderIDs, m.SentAt, m.Error = centralita.SMSSent, 2, 2, []string{"p1", "p2"}, &sent, ""
		require.NoError(t, s.FinishSMSAttempt(ctx, "w1", m))
		one, err := s.RecordSMSDelivery(ctx, "p1", centralita.SMSDelivered, now)
		require.NoError(t, err)
		require.Equal(t, centralita.SMSDelivery(""), one.Delivery, "one part of two")
		one, err = s.RecordSMSDelivery(ctx, "p2", centralita.SMSDelivered, now)
		require.NoError(t, err)
		require.Equal(t, centralita.SMSDelivered, one.Delivery)
		require.Equal(t, []string{"p1", "p2"}, one.ProviderIDs)
		require.Equal(t, centralita.SMSSent, one.Status)
		_, err = s.RecordSMSDelivery(ctx, "nope", centralita.SMSDelivered, now)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		list, err := s.FindSMSList(ctx, centralita.SMSFilter{Status: centralita.SMSDraft})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "092", list[0].Recipient)
	})
}

func TestSMSSchedulerAndInbound(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewSMSService(db).InLocation(time.UTC)
		at := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
		require.NoError(t, s.CreateScheduledSMS(ctx, &centralita.ScheduledSMS{CallDate: at, Campaign: "prueba1", Destination: "098344484", Message: "recordatorio"}))
		require.NoError(t, s.CreateScheduledSMS(ctx, &centralita.ScheduledSMS{CallDate: at.Add(time.Hour), Destination: "099", Message: "later"}))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateScheduledSMS(ctx, &centralita.ScheduledSMS{Message: "x"})))

		due, err := s.SpoolDueSMS(ctx, at.Add(-time.Second))
		require.NoError(t, err)
		require.Empty(t, due)
		due, err = s.SpoolDueSMS(ctx, at.Add(59*time.Second))
		require.NoError(t, err)
		require.Len(t, due, 1)
		require.NotZero(t, due[0].SpooledID)
		m, err := s.FindSMS(ctx, due[0].SpooledID)
		require.NoError(t, err)
		require.Equal(t, 1, m.Priority)
		require.Equal(t, "Schedule20260301", m.Base)
		require.Equal(t, "prueba1", m.Campaign)
		require.Equal(t, centralita.SMSPending, m.Status)
		due, err = s.SpoolDueSMS(ctx, at.Add(time.Minute))
		require.NoError(t, err)
		require.Empty(t, due, "processed once")

		n, err := s.CancelPendingSMS(ctx, "Schedule20260301")
		require.NoError(t, err)
		require.Equal(t, 1, n)

		in := &centralita.SMS{Sender: "098344484", Recipient: "5000", Text: "STOP", MsgID: "abc"}
		require.NoError(t, s.CreateInboundSMS(ctx, in))
		list, err := s.FindSMSList(ctx, centralita.SMSFilter{Direction: centralita.SMSIn})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, centralita.SMSIn, list[0].Direction)
		require.Equal(t, "STOP", list[0].Text)
		require.Equal(t, "098344484", list[0].Sender)
	})
}

func TestSMSClaimOwnershipAndBadUTF8Errors(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewSMSService(db)
		now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		ms := []*centralita.SMS{{Recipient: "091", Text: "a"}}
		require.NoError(t, s.CreateSMS(ctx, ms))
		claimed, err := s.ClaimSMS(ctx, "w1", now, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 1)

		// w1's lease expires; w2 takes the row over. w1 can neither renew
		// nor finish it any more, so it cannot send it a second time.
		n, err := s.ReleaseSMSClaims(ctx, "", now.Add(time.Minute))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		taken, err := s.ClaimSMS(ctx, "w2", now.Add(2*time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, taken, 1)
		ok, err := s.RenewSMSClaim(ctx, "w1", claimed[0].ID, now.Add(2*time.Minute))
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = s.RenewSMSClaim(ctx, "w2", claimed[0].ID, now.Add(3*time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		// The renewed claim is not released as expired at the old stamp.
		n, err = s.ReleaseSMSClaims(ctx, "", now.Add(2*time.Minute+time.Second))
		require.NoError(t, err)
		require.Zero(t, n)
		claimed[0].Status = centralita.SMSSent
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.FinishSMSAttempt(ctx, "w1", claimed[0])))
		got, err := s.FindSMS(ctx, claimed[0].ID)
		require.NoError(t, err)
		require.Equal(t, centralita.SMSPending, got.Status, "w1's late outcome is not written")

		// An error text with invalid UTF-8 and multibyte characters past
		// the column's 500 is stored (MariaDB refused it: Error 1366) and
		// the claim is released.
		m := taken[0]
		m.Attempts, m.Error = 1, "gateway said: \xff\xfe "+strings.Repeat("ñ", 600)
		require.NoError(t, s.FinishSMSAttempt(ctx, "w2", m))
		got, err = s.FindSMS(ctx, m.ID)
		require.NoError(t, err)
		require.True(t, utf8.ValidString(got.Error))
		require.Equal(t, 500, utf8.RuneCountInString(got.Error))
		require.True(t, strings.HasPrefix(got.Error, "gateway said: \uFFFD"), got.Error)
		again, err := s.ClaimSMS(ctx, "w3", now.Add(5*time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, again, 1, "released")

		// Provider ids are case-sensitive on both databases.
		m = again[0]
		m.Status, m.ProviderIDs, m.Parts = centralita.SMSSent, []string{"AbC"}, 1
		require.NoError(t, s.FinishSMSAttempt(ctx, "w3", m))
		_, err = s.RecordSMSDelivery(ctx, "abc", centralita.SMSDelivered, now)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		d, err := s.RecordSMSDelivery(ctx, "AbC", centralita.SMSDelivered, now)
		require.NoError(t, err)
		require.Equal(t, centralita.SMSDelivered, d.Delivery)

		// A received message with invalid UTF-8 is kept, not refused.
		in := &centralita.SMS{Sender: "099", Recipient: "5000", Text: "hola \xc3"}
		require.NoError(t, s.CreateInboundSMS(ctx, in))
	})
}

func TestSMSScheduleBaseInLocation(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mvd, err := time.LoadLocation("America/Montevideo")
		require.NoError(t, err)
		s := store.NewSMSService(db).InLocation(mvd)
		// 01:30 UTC on 2 March is 22:30 on 1 March in Montevideo (UTC-3).
		at := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
		require.NoError(t, s.CreateScheduledSMS(ctx, &centralita.ScheduledSMS{CallDate: at, Destination: "091", Message: "x"}))
		due, err := s.SpoolDueSMS(ctx, at)
		require.NoError(t, err)
		require.Len(t, due, 1)
		m, err := s.FindSMS(ctx, due[0].SpooledID)
		require.NoError(t, err)
		require.Equal(t, "Schedule20260301", m.Base)
	})
}
