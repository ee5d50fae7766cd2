package store_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestFormService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewFormService(db)
		f := &centralita.Form{Name: "contrato", Message: "Lea el contrato", Queues: []string{"ope", "ventas"},
			Fields: []centralita.FormField{
				{Name: "codigofeliz", Label: "codigofeliz", Type: centralita.FieldText, Required: true},
				{Name: "plan", Label: "Plan", Type: centralita.FieldSelect, Options: []string{"A", "B"}},
			}}
		require.NoError(t, s.CreateForm(ctx, f))
		require.NotZero(t, f.ID)
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.CreateForm(ctx, &centralita.Form{Name: "contrato", Fields: f.Fields})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateForm(ctx, &centralita.Form{Name: "x"})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateForm(ctx, &centralita.Form{Name: "x",
			Fields: []centralita.FormField{{Name: "a", Type: centralita.FieldSelect}}})))

		got, err := s.FindForm(ctx, "contrato")
		require.NoError(t, err)
		require.Equal(t, f.Fields, got.Fields)
		require.Equal(t, []string{"ope", "ventas"}, got.Queues)
		require.Equal(t, "Lea el contrato", got.Message)

		f.Queues, f.Fields = []string{"ope"}, f.Fields[:1]
		require.NoError(t, s.UpdateForm(ctx, f))
		got, err = s.FindForm(ctx, "contrato")
		require.NoError(t, err)
		require.Equal(t, []string{"ope"}, got.Queues)
		require.Len(t, got.Fields, 1)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.UpdateForm(ctx, &centralita.Form{Name: "none", Fields: f.Fields})))
		fs, err := s.FindForms(ctx)
		require.NoError(t, err)
		require.Len(t, fs, 1)

		e := &centralita.FormEntry{FormID: f.ID, UniqueID: "1505840001.827", IncomingCallID: 91662, Queue: "ope",
			AgentNumber: "303", AgentUsername: "cguerra", Extension: "SIP/303", AudioFilename: "audio_91662_1505840066.63",
			Data: map[string][]centralita.FormValue{"codigofeliz": {{Label: "codigofeliz", Value: "NG1OWF917"}}}}
		created, err := s.SaveFormEntry(ctx, e)
		require.NoError(t, err)
		require.True(t, created)
		require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{24}$`), e.OID)
		first := e.CreatedAt

		// Saving again for the same call updates it, keeping what is not given.
		again := &centralita.FormEntry{FormID: f.ID, UniqueID: "1505840001.827",
			Data: map[string][]centralita.FormValue{"codigofeliz": {{Label: "codigofeliz", Value: "OTRO"}}}}
		created, err = s.SaveFormEntry(ctx, again)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, e.ID, again.ID)
		require.Equal(t, e.OID, again.OID)
		require.Equal(t, "SIP/303", again.Extension)

		e2 := &centralita.FormEntry{FormID: f.ID, UniqueID: "1505840099.1", IncomingCallID: 91700}
		_, err = s.SaveFormEntry(ctx, e2)
		require.NoError(t, err)
		_, err = s.SaveFormEntry(ctx, &centralita.FormEntry{FormID: f.ID})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))

		es, err := s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID})
		require.NoError(t, err)
		require.Len(t, es, 2)
		require.Equal(t, "OTRO", es[0].Data["codigofeliz"][0].Value)
		require.Equal(t, "audio_91662_1505840066.63", es[0].AudioFilename)
		require.Equal(t, int64(91662), es[0].IncomingCallID)
		require.True(t, first.Equal(es[0].CreatedAt))
		es, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, IncomingCallID: 91700})
		require.NoError(t, err)
		require.Len(t, es, 1)
		require.Equal(t, e2.ID, es[0].ID)
		es, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, After: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		require.Empty(t, es)
		es, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, After: first.Add(-time.Second), Before: time.Now().Add(time.Hour)})
		require.NoError(t, err)
		require.Len(t, es, 2)

		require.NoError(t, s.DeleteForm(ctx, "contrato"))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteForm(ctx, "contrato")))
		es, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID})
		require.NoError(t, err)
		require.Empty(t, es, "entries go with their form")
	})
}
