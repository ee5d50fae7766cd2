package store_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"sync"
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
		created, err := s.SaveFormEntry(ctx, e, "")
		require.NoError(t, err)
		require.True(t, created)
		require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{24}$`), e.OID)
		first := e.CreatedAt

		// Saving again for the same call updates it, keeping what is not given.
		again := &centralita.FormEntry{FormID: f.ID, UniqueID: "1505840001.827",
			Data: map[string][]centralita.FormValue{"codigofeliz": {{Label: "codigofeliz", Value: "OTRO"}}}}
		created, err = s.SaveFormEntry(ctx, again, "")
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, e.ID, again.ID)
		require.Equal(t, e.OID, again.OID)
		require.Equal(t, "SIP/303", again.Extension)

		e2 := &centralita.FormEntry{FormID: f.ID, UniqueID: "1505840099.1", IncomingCallID: 91700}
		_, err = s.SaveFormEntry(ctx, e2, "")
		require.NoError(t, err)
		_, err = s.SaveFormEntry(ctx, &centralita.FormEntry{FormID: f.ID}, "")
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

// TestFormEntryOwner: an agent saving on its own behalf may not replace
// another agent's entry; two concurrent first submits for one call both
// succeed, one creating the entry and the others updating it.
func TestFormEntryOwner(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewFormService(db)
		f := &centralita.Form{Name: "contrato", Fields: []centralita.FormField{{Name: "c", Type: centralita.FieldText}}}
		require.NoError(t, s.CreateForm(ctx, f))
		data := func(v string) map[string][]centralita.FormValue {
			return map[string][]centralita.FormValue{"c": {{Label: "c", Value: v}}}
		}
		a := &centralita.FormEntry{FormID: f.ID, UniqueID: "1.1", AgentUsername: "cguerra", Data: data("A")}
		created, err := s.SaveFormEntry(ctx, a, "cguerra")
		require.NoError(t, err)
		require.True(t, created)

		b := &centralita.FormEntry{FormID: f.ID, UniqueID: "1.1", AgentUsername: "pperez", Data: data("B")}
		_, err = s.SaveFormEntry(ctx, b, "pperez")
		require.Equal(t, centralita.EFORBIDDEN, centralita.ErrorKind(err))
		es, err := s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, UniqueID: "1.1"})
		require.NoError(t, err)
		require.Len(t, es, 1)
		require.Equal(t, "A", es[0].Data["c"][0].Value, "the other agent's entry is left as it was")
		require.Equal(t, "cguerra", es[0].AgentUsername)

		again := &centralita.FormEntry{FormID: f.ID, UniqueID: "1.1", AgentUsername: "cguerra", Data: data("A2")}
		created, err = s.SaveFormEntry(ctx, again, "cguerra")
		require.NoError(t, err)
		require.False(t, created)
		staff := &centralita.FormEntry{FormID: f.ID, UniqueID: "1.1", Data: data("S")}
		_, err = s.SaveFormEntry(ctx, staff, "")
		require.NoError(t, err, "no owner (staff): any entry")

		const n = 8
		var wg sync.WaitGroup
		errs, made := make([]error, n), make([]bool, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := &centralita.FormEntry{FormID: f.ID, UniqueID: "2.2", AgentUsername: "cguerra", Data: data(strconv.Itoa(i))}
				made[i], errs[i] = s.SaveFormEntry(ctx, e, "cguerra")
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, 1, len(slices.DeleteFunc(made, func(b bool) bool { return !b })), "exactly one submit creates")
		es, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, UniqueID: "2.2"})
		require.NoError(t, err)
		require.Len(t, es, 1)
	})
}

// TestFormEntryPaging: FindFormEntries reads FormEntryDefaultLimit entries
// unless told, and refuses a limit above FormEntryMaxLimit.
func TestFormEntryPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewFormService(db)
		f := &centralita.Form{Name: "encuesta", Fields: []centralita.FormField{{Name: "c", Type: centralita.FieldText}}}
		require.NoError(t, s.CreateForm(ctx, f))
		for i := range centralita.FormEntryDefaultLimit + 1 {
			_, err := s.SaveFormEntry(ctx, &centralita.FormEntry{FormID: f.ID, UniqueID: "u" + strconv.Itoa(i)}, "")
			require.NoError(t, err)
		}
		es, err := s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID})
		require.NoError(t, err)
		require.Len(t, es, centralita.FormEntryDefaultLimit)
		es, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, Limit: centralita.FormEntryMaxLimit})
		require.NoError(t, err)
		require.Len(t, es, centralita.FormEntryDefaultLimit+1)
		_, err = s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: f.ID, Limit: centralita.FormEntryMaxLimit + 1})
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	})
}
