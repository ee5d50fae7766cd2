package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestCDRService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewCDRService(db)
		base := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
		for i := range 5 {
			c := &centralita.CDR{
				CallDate: base.Add(time.Duration(i) * time.Minute).Add(400 * time.Millisecond),
				CLID:     `"Ana" <101>`, Src: "101", Dst: fmt.Sprintf("555000%d", i), DContext: "from-internal",
				Channel: "PJSIP/101-00000001", DstChannel: "PJSIP/trunk-00000002", LastApp: "Dial", LastData: "PJSIP/5550000@trunk",
				Duration: 30 + i, BillSec: 20 + i, Disposition: centralita.DispositionAnswered, AMAFlags: 3,
				UniqueID: fmt.Sprintf("1763737200.%d", i), LinkedID: "1763737200.0", UserField: "callinfo", Sequence: i,
			}
			require.NoError(t, s.CreateCDR(ctx, c))
			require.NotZero(t, c.ID)
		}
		all, err := s.FindCDRs(ctx, centralita.CDRFilter{})
		require.NoError(t, err)
		require.Len(t, all, 5)
		require.True(t, base.Equal(all[0].CallDate), "calldate stored in whole seconds, UTC: %v", all[0].CallDate)
		require.Equal(t, `"Ana" <101>`, all[0].CLID)
		require.Equal(t, "NO ANSWER", centralita.DispositionNoAnswer)
		require.Equal(t, 3, all[0].AMAFlags)

		window, err := s.FindCDRs(ctx, centralita.CDRFilter{From: base.Add(time.Minute), To: base.Add(3 * time.Minute)})
		require.NoError(t, err)
		require.Len(t, window, 2)
		require.Equal(t, "5550001", window[0].Dst)

		one, err := s.FindCDRs(ctx, centralita.CDRFilter{UniqueID: "1763737200.3"})
		require.NoError(t, err)
		require.Len(t, one, 1)
		require.Equal(t, 23, one[0].BillSec)

		page, err := s.FindCDRs(ctx, centralita.CDRFilter{LinkedID: "1763737200.0", Offset: 3, Limit: 10})
		require.NoError(t, err)
		require.Len(t, page, 2)

		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateCDR(ctx, &centralita.CDR{})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateCDR(ctx, &centralita.CDR{CallDate: base, Duration: 1, BillSec: 2})))
	})
}

func TestQueueLogService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewQueueLogService(db)
		t0 := time.Date(2026, 11, 21, 15, 0, 0, 250000000, time.UTC)
		rows := []*centralita.QueueLogEntry{
			{Time: t0, CallID: "NONE", QueueName: "ventas", Agent: "SIP/101", Event: "ADDMEMBER"},
			{Time: t0.Add(time.Second), CallID: "1763737200.1", QueueName: "ventas", Agent: "NONE", Event: "ENTERQUEUE", Data2: "5551234", Data3: "1"},
			{Time: t0.Add(5 * time.Second), CallID: "1763737200.1", QueueName: "ventas", Agent: "SIP/101", Event: "CONNECT", Data1: "4", Data2: "1763737204.2", Data3: "1"},
			{Time: t0.Add(65 * time.Second), CallID: "1763737200.1", QueueName: "ventas", Agent: "SIP/101", Event: "COMPLETECALLER", Data1: "4", Data2: "60", Data3: "1"},
		}
		for _, r := range rows {
			require.NoError(t, s.AppendQueueLog(ctx, r))
		}
		got, err := s.FindQueueLog(ctx, centralita.QueueLogFilter{CallID: "1763737200.1"})
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, []string{"ENTERQUEUE", "CONNECT", "COMPLETECALLER"}, []string{got[0].Event, got[1].Event, got[2].Event})
		require.True(t, t0.Add(time.Second).Equal(got[0].Time), "microsecond times kept: %v", got[0].Time)
		require.Equal(t, "5551234", got[0].Data2)

		agent, err := s.FindQueueLog(ctx, centralita.QueueLogFilter{Agent: "SIP/101", From: t0.Add(time.Millisecond)})
		require.NoError(t, err)
		require.Len(t, agent, 2)

		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.AppendQueueLog(ctx, &centralita.QueueLogEntry{Event: "X"})))
		// A 128-byte queue name fits on both databases; longer ones are refused alike.
		long := strings.Repeat("q", 128)
		require.NoError(t, s.AppendQueueLog(ctx, &centralita.QueueLogEntry{Time: t0, CallID: "NONE", QueueName: long, Agent: "Agent/1", Event: "ADDMEMBER"}))
		longRows, err := s.FindQueueLog(ctx, centralita.QueueLogFilter{QueueName: long})
		require.NoError(t, err)
		require.Len(t, longRows, 1)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.AppendQueueLog(ctx, &centralita.QueueLogEntry{Time: t0, QueueName: long + "q", Event: "ADDMEMBER"})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.AppendQueueLog(ctx, &centralita.QueueLogEntry{Time: t0, Event: "DIALOUT", Data1: strings.Repeat("9", 256)})))
	})
}
