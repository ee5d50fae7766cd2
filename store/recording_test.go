package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestRecordingServiceCRUD(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewRecordingService(db)
		when := time.Date(2026, 3, 2, 14, 5, 6, 123456789, time.FixedZone("UYT", -3*3600))
		r := &centralita.Recording{GUID: "g-1", UniqueID: "1700.1", CallDate: when, Queue: "ventas", Agent: "101",
			Source: "099123", Destination: "ventas", Format: "wav", State: centralita.RecordingActive}
		require.NoError(t, s.CreateRecording(ctx, r))
		require.NotZero(t, r.ID)
		require.False(t, r.CreatedAt.IsZero())

		got, err := s.FindRecording(ctx, "g-1")
		require.NoError(t, err)
		require.True(t, when.Equal(got.CallDate.Add(789*time.Nanosecond)), "calldate kept to the microsecond: %v", got.CallDate)
		require.Equal(t, "1700.1", got.UniqueID)
		require.Equal(t, "ventas", got.Queue)
		require.Equal(t, centralita.RecordingActive, got.State)
		require.Equal(t, "20260302", got.Folder(time.FixedZone("UYT", -3*3600)))

		err = s.CreateRecording(ctx, &centralita.Recording{GUID: "g-1", CallDate: when, State: centralita.RecordingActive})
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(err))
		require.Equal(t, `recording "g-1" already exists`, centralita.ErrorMessage(err))

		got.State, got.Format, got.Duration, got.Rating = centralita.RecordingReady, "mp3", 42, 4
		got.Error = strings.Repeat("é", 200) // clipped to 255 bytes, whole characters
		require.NoError(t, s.UpdateRecording(ctx, got))
		require.NoError(t, s.UpdateRecording(ctx, got), "an unchanged update is fine")
		again, err := s.FindRecording(ctx, "g-1")
		require.NoError(t, err)
		require.Equal(t, centralita.RecordingReady, again.State)
		require.Equal(t, "mp3", again.Format)
		require.Equal(t, 42, again.Duration)
		require.Equal(t, 4, again.Rating)
		require.Equal(t, strings.Repeat("é", 127), again.Error)

		require.NoError(t, s.TagRecording(ctx, "g-1", "venta"))
		require.NoError(t, s.TagRecording(ctx, "g-1", "cliente molesto"))
		again, err = s.FindRecording(ctx, "g-1")
		require.NoError(t, err)
		require.Equal(t, "venta\ncliente molesto", again.Tags)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.TagRecording(ctx, "nope", "x")))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.TagRecording(ctx, "g-1", "")))
		// UpdateRecording never writes Tags, so long tags read back do not block it.
		again.Tags = strings.Repeat("t", 70000)
		require.NoError(t, s.UpdateRecording(ctx, again))

		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.UpdateRecording(ctx,
			&centralita.Recording{GUID: "nope", State: centralita.RecordingReady})))
		_, err = s.FindRecording(ctx, "nope")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		require.NoError(t, s.DeleteRecording(ctx, "g-1"))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteRecording(ctx, "g-1")))

		for name, bad := range map[string]*centralita.Recording{
			"nil":        nil,
			"no guid":    {CallDate: when, State: centralita.RecordingActive},
			"no date":    {GUID: "x", State: centralita.RecordingActive},
			"bad state":  {GUID: "x", CallDate: when, State: "lost"},
			"rating":     {GUID: "x", CallDate: when, State: centralita.RecordingActive, Rating: 6},
			"long guid":  {GUID: strings.Repeat("g", 65), CallDate: when, State: centralita.RecordingActive},
			"long agent": {GUID: "x", CallDate: when, State: centralita.RecordingActive, Agent: strings.Repeat("a", 81)},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateRecording(ctx, bad)), name)
		}
	})
}

func TestRecordingServiceFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loc := time.FixedZone("UYT", -3*3600)
		s := store.NewRecordingService(db).InLocation(loc)
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, loc)
		seed := []centralita.Recording{
			{GUID: "a", UniqueID: "u1", CallDate: day.Add(8 * time.Hour), Queue: "ventas", Agent: "101", Source: "111", Destination: "ventas", Duration: 30, Rating: 5, Tags: "venta cerrada", State: centralita.RecordingReady},
			{GUID: "b", UniqueID: "u2", CallDate: day.Add(13 * time.Hour), Queue: "soporte", Agent: "102", Source: "222", Destination: "soporte", Duration: 5, State: centralita.RecordingStored},
			{GUID: "c", UniqueID: "u3", CallDate: day.Add(23 * time.Hour), Campaign: "cobranza", Agent: "101", Source: "101", Destination: "333", Duration: 90, Rating: 2, State: centralita.RecordingReady},
			{GUID: "d", UniqueID: "u1", CallDate: day.Add(-24 * time.Hour), Queue: "ventas", Agent: "103", Source: "444", Destination: "ventas", Duration: 60, Tags: "x", State: centralita.RecordingFailed},
		}
		for i := range seed {
			tags := seed[i].Tags
			seed[i].Tags = ""
			require.NoError(t, s.CreateRecording(ctx, &seed[i]))
			if tags != "" {
				require.NoError(t, s.TagRecording(ctx, seed[i].GUID, tags))
			}
			if seed[i].Rating > 0 {
				require.NoError(t, s.UpdateRecording(ctx, &seed[i]))
			}
		}
		for _, tc := range []struct {
			name string
			f    centralita.RecordingFilter
			want string
		}{
			{"all, by date", centralita.RecordingFilter{}, "dabc"},
			{"guid", centralita.RecordingFilter{GUID: "b"}, "b"},
			{"uniqueid", centralita.RecordingFilter{UniqueID: "u1"}, "da"},
			{"from/to inclusive", centralita.RecordingFilter{From: day.Add(8 * time.Hour), To: day.Add(13 * time.Hour)}, "ab"},
			{"agent", centralita.RecordingFilter{Agent: "101"}, "ac"},
			{"campaign", centralita.RecordingFilter{Campaign: "cobranza"}, "c"},
			{"queue", centralita.RecordingFilter{Queue: "ventas"}, "da"},
			{"source", centralita.RecordingFilter{Source: "222"}, "b"},
			{"destination", centralita.RecordingFilter{Destination: "333"}, "c"},
			{"data in tags", centralita.RecordingFilter{Data: "CERRADA"}, "a"},
			{"data wildcard literal", centralita.RecordingFilter{Data: "%"}, ""},
			{"hours", centralita.RecordingFilter{HasHours: true, HourFrom: 8, HourTo: 13}, "ab"},
			{"hours wrap midnight", centralita.RecordingFilter{HasHours: true, HourFrom: 22, HourTo: 8}, "dac"},
			{"hours paged", centralita.RecordingFilter{HasHours: true, HourFrom: 0, HourTo: 23, Offset: 1, Limit: 2}, "ab"},
			{"min rating", centralita.RecordingFilter{MinRating: 3}, "a"},
			{"min duration", centralita.RecordingFilter{MinDuration: 30}, "dac"},
			{"exclude", centralita.RecordingFilter{Exclude: "101"}, "dab"},
			{"states", centralita.RecordingFilter{States: []centralita.RecordingState{centralita.RecordingStored, centralita.RecordingFailed}}, "db"},
			{"before", centralita.RecordingFilter{Before: day}, "d"},
			{"page", centralita.RecordingFilter{Offset: 1, Limit: 2}, "ab"},
			{"offset only", centralita.RecordingFilter{Offset: 3}, "c"},
		} {
			got, total, err := s.FindRecordings(ctx, tc.f)
			require.NoError(t, err, tc.name)
			guids := ""
			for _, r := range got {
				guids += r.GUID
			}
			require.Equal(t, tc.want, guids, tc.name)
			if tc.f.Limit == 0 && tc.f.Offset == 0 {
				require.Equal(t, len(tc.want), total, tc.name)
			}
		}
		_, total, err := s.FindRecordings(ctx, centralita.RecordingFilter{Offset: 1, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, 4, total, "total ignores the page")
		_, total, err = s.FindRecordings(ctx, centralita.RecordingFilter{HasHours: true, HourFrom: 0, HourTo: 23, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, 4, total)

		for name, f := range map[string]centralita.RecordingFilter{
			"negative offset": {Offset: -1},
			"negative limit":  {Limit: -1},
			"bad hour":        {HasHours: true, HourTo: 24},
			"bad state":       {States: []centralita.RecordingState{"lost"}},
		} {
			_, _, err := s.FindRecordings(ctx, f)
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), name)
		}
	})
}

func TestQueueAndCampaignRecordFlag(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		qs := store.NewQueueService(db)
		require.NoError(t, qs.CreateQueue(ctx, &centralita.Queue{Name: "ventas", Record: true}))
		q, err := qs.FindQueue(ctx, "ventas")
		require.NoError(t, err)
		require.True(t, q.Record)
		q.Record = false
		require.NoError(t, qs.UpdateQueue(ctx, q))
		q, err = qs.FindQueue(ctx, "ventas")
		require.NoError(t, err)
		require.False(t, q.Record)

		cs := store.NewCampaignService(db)
		c := &centralita.Campaign{Name: "cobranza", Queue: "ventas", Record: true}
		require.NoError(t, cs.CreateCampaign(ctx, c))
		got, err := cs.FindCampaign(ctx, c.ID)
		require.NoError(t, err)
		require.True(t, got.Record)
		got.Record = false
		require.NoError(t, cs.UpdateCampaign(ctx, got))
		got, err = cs.FindCampaign(ctx, c.ID)
		require.NoError(t, err)
		require.False(t, got.Record)
	})
}
