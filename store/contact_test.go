package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

// newCampaign creates a campaign and returns its id.
func newCampaign(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	c := &centralita.Campaign{Name: name, Queue: "q"}
	require.NoError(t, store.NewCampaignService(db).CreateCampaign(context.Background(), c))
	return c.ID
}

// pending returns enabled Pending contacts of a campaign with those numbers.
func pending(campaignID int64, numbers ...string) []*centralita.Contact {
	out := make([]*centralita.Contact, len(numbers))
	for i, n := range numbers {
		out[i] = &centralita.Contact{CampaignID: campaignID, Number: n, Enabled: true,
			State: centralita.ContactPending, Priority: centralita.PriorityDefault}
	}
	return out
}

func TestContactService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		camp := newCampaign(t, db, "Ventas->")
		added := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
		next := added.Add(time.Hour)
		c := &centralita.Contact{CampaignID: camp, Number: "099124484", Name: "Ana Pérez",
			Data: "Par1=Val1:Par2=Val2", Info: json.RawMessage(`{"city":"Montevideo","n":1}`),
			Alternates: []string{"099121212", "26001234"}, AltIndex: 1, Priority: 5,
			TimeZone: "America/Montevideo", Agent: "1001", Base: "base1.csv", Enabled: true,
			State: centralita.ContactPending, Attempts: 2, NextAt: &next, LastAttemptAt: &added,
			LastOutcome: centralita.OutcomeBusy, AddedAt: added}
		bare := &centralita.Contact{CampaignID: camp, Number: "26000000"}
		require.NoError(t, s.CreateContacts(ctx, []*centralita.Contact{c, bare}, centralita.TransitionAPI))
		require.NotZero(t, c.ID)
		require.Equal(t, c.ID+1, bare.ID)
		require.True(t, added.Equal(c.StateAt), "a zero StateAt is AddedAt")
		require.Equal(t, centralita.ContactPending, bare.State, "an empty state is Pending")
		require.Equal(t, json.RawMessage(`{}`), bare.Info)
		require.False(t, bare.AddedAt.IsZero())

		got, err := s.FindContact(ctx, c.ID)
		require.NoError(t, err)
		requireContact(t, c, got)
		require.Equal(t, []string{"099121212", "26001234"}, got.Alternates)
		require.JSONEq(t, `{"city":"Montevideo","n":1}`, string(got.Info))
		got, err = s.FindContact(ctx, bare.ID)
		require.NoError(t, err)
		require.Nil(t, got.Alternates)
		require.Equal(t, `{}`, string(got.Info))
		require.False(t, got.Enabled, "Enabled is stored as given")
		_, err = s.FindContact(ctx, 999999)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, "contact 999999 not found", centralita.ErrorMessage(err))

		log, err := s.ContactLog(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, log, 1)
		require.Equal(t, centralita.TransitionAPI, log[0].Transition)
		require.Equal(t, c.ID, log[0].ContactID)
		require.True(t, added.Equal(log[0].Time))

		// Same state: StateAt kept (the caller's value is ignored), log appended.
		c.Attempts, c.NextAt, c.Info, c.Alternates, c.AltIndex = 3, nil, nil, []string{"1"}, 0
		c.StateAt, c.AddedAt = time.Time{}, time.Time{}
		c.CampaignID = 0
		require.NoError(t, s.UpdateContact(ctx, c, "Busy"))
		require.Equal(t, camp, c.CampaignID, "campaign read back")
		require.True(t, added.Equal(c.StateAt), "state unchanged: StateAt kept, got %v", c.StateAt)
		require.True(t, added.Equal(c.AddedAt), "a zero AddedAt keeps the stored one")
		got, err = s.FindContact(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 3, got.Attempts)
		require.Nil(t, got.NextAt)
		require.Equal(t, `{}`, string(got.Info))
		require.Equal(t, []string{"1"}, got.Alternates)
		require.True(t, added.Equal(got.StateAt))

		// State change: StateAt refreshed from the clock.
		before := time.Now().Add(-time.Second)
		c.State = centralita.ContactCompleted
		require.NoError(t, s.UpdateContact(ctx, c, "Answer"))
		require.False(t, c.StateAt.Before(before))
		got, err = s.FindContact(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, centralita.ContactCompleted, got.State)
		require.True(t, c.StateAt.Equal(got.StateAt))
		// No transition: nothing logged.
		c.Name = "Ana"
		require.NoError(t, s.UpdateContact(ctx, c, ""))

		log, err = s.ContactLog(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, []string{centralita.TransitionAPI, "Busy", "Answer"}, transitions(log))
		require.True(t, c.StateAt.Equal(log[2].Time))

		log, err = s.ContactLog(ctx, bare.ID)
		require.NoError(t, err)
		require.Len(t, log, 1)
		_, err = s.ContactLog(ctx, 999999)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		err = s.UpdateContact(ctx, &centralita.Contact{ID: 999999, Number: "1", State: centralita.ContactPending}, "x")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, "contact 999999 not found", centralita.ErrorMessage(err))

		// Deleting the campaign deletes its contacts and their logs.
		require.NoError(t, store.NewCampaignService(db).DeleteCampaign(ctx, camp))
		_, err = s.FindContact(ctx, c.ID)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	})
}

func requireContact(t *testing.T, want, got *centralita.Contact) {
	t.Helper()
	require.True(t, want.AddedAt.Equal(got.AddedAt), "added_at %v, want %v", got.AddedAt, want.AddedAt)
	require.True(t, want.StateAt.Equal(got.StateAt), "state_at %v, want %v", got.StateAt, want.StateAt)
	for _, p := range [][2]*time.Time{{want.NextAt, got.NextAt}, {want.LastAttemptAt, got.LastAttemptAt}} {
		require.Equal(t, p[0] == nil, p[1] == nil)
		if p[0] != nil {
			require.True(t, p[0].Equal(*p[1]))
		}
	}
	w, g := *want, *got
	w.AddedAt, w.StateAt, w.NextAt, w.LastAttemptAt = g.AddedAt, g.StateAt, g.NextAt, g.LastAttemptAt
	w.Info, g.Info = nil, nil
	require.Equal(t, w, g)
}

func transitions(log []*centralita.ContactTransition) []string {
	out := []string{}
	for _, e := range log {
		out = append(out, e.Transition)
	}
	return out
}

func TestCreateContactsRejects(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		camp := newCampaign(t, db, "c")
		for name, c := range map[string]*centralita.Contact{
			"nil":          nil,
			"no number":    {CampaignID: camp},
			"long number":  {CampaignID: camp, Number: strings.Repeat("1", 41)},
			"no campaign":  {Number: "1"},
			"bad state":    {CampaignID: camp, Number: "1", State: "Done"},
			"bad info":     {CampaignID: camp, Number: "1", Info: json.RawMessage(`{"a":`)},
			"colon alt":    {CampaignID: camp, Number: "1", Alternates: []string{"2:3"}},
			"empty alt":    {CampaignID: camp, Number: "1", Alternates: []string{""}},
			"negative alt": {CampaignID: camp, Number: "1", AltIndex: -1},
			"long agent":   {CampaignID: camp, Number: "1", Agent: strings.Repeat("a", 81)},
			"long zone":    {CampaignID: camp, Number: "1", TimeZone: strings.Repeat("z", 65)},
			"long base":    {CampaignID: camp, Number: "1", Base: strings.Repeat("b", 256)},
			"long name":    {CampaignID: camp, Number: "1", Name: strings.Repeat("n", 129)},
			"many alts":    {CampaignID: camp, Number: "1", Alternates: strings.Split(strings.Repeat("1:", 10)+"1", ":")},
			"long outcome": {CampaignID: camp, Number: "1", LastOutcome: "AnsweringMachine!"},
			"neg attempts": {CampaignID: camp, Number: "1", Attempts: -1},
			"neg priority": {CampaignID: camp, Number: "1", Priority: -1},
			"long data":    {CampaignID: camp, Number: "1", Data: strings.Repeat("d", 4097)},
			"long info":    {CampaignID: camp, Number: "1", Info: json.RawMessage(`"` + strings.Repeat("i", 16384) + `"`)},
			"long alt":     {CampaignID: camp, Number: "1", Alternates: []string{strings.Repeat("1", 41)}},
		} {
			ok := &centralita.Contact{CampaignID: camp, Number: "ok"}
			err := s.CreateContacts(ctx, []*centralita.Contact{ok, c}, "t")
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), name)
			require.Contains(t, centralita.ErrorMessage(err), "contact 2 ", name)
			require.Zero(t, ok.ID, name)
		}
		err := s.CreateContacts(ctx, pending(camp, "1"), strings.Repeat("t", 256))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))

		err = s.CreateContacts(ctx, pending(camp+1000, "1", "2"), "t")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, fmt.Sprintf("campaign %d not found", camp+1000), centralita.ErrorMessage(err))
		err = s.CreateContacts(ctx, pending(camp+1000, "1"), "t")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		mixed := append(pending(camp, "1"), pending(camp+2000, "2")...)
		err = s.CreateContacts(ctx, mixed, "t")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, fmt.Sprintf("campaign %d not found", camp+2000), centralita.ErrorMessage(err))
		require.Zero(t, mixed[0].ID)

		n, total, err := s.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp})
		require.NoError(t, err)
		require.Empty(t, n)
		require.Zero(t, total, "a failed batch inserts nothing")

		require.NoError(t, s.CreateContacts(ctx, nil, "t"))
		max := &centralita.Contact{CampaignID: camp, Number: strings.Repeat("1", 40), Name: strings.Repeat("ñ", 64),
			Agent: strings.Repeat("a", 80), Base: strings.Repeat("b", 255), TimeZone: strings.Repeat("z", 64),
			Data: strings.Repeat("d", 4096), Info: json.RawMessage(`"` + strings.Repeat("i", 16382) + `"`),
			Alternates: strings.Split(strings.Repeat(strings.Repeat("2", 40)+":", 9)+strings.Repeat("2", 40), ":")}
		require.NoError(t, s.CreateContacts(ctx, []*centralita.Contact{max}, strings.Repeat("t", 255)))
		got, err := s.FindContact(ctx, max.ID)
		require.NoError(t, err)
		requireContact(t, max, got)
	})
}

func TestFindContacts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		camp, other := newCampaign(t, db, "a"), newCampaign(t, db, "b")
		t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		cs := []*centralita.Contact{
			{Number: "0991", Name: "Carla Díaz", Attempts: 2},
			{Number: "0992", Name: "ana lópez", Attempts: 0},
			{Number: "2600", Name: "Bruno 100%", Attempts: 5},
			{Number: "0993_1", Name: "Dora", Attempts: 1},
		}
		for i, c := range cs {
			c.CampaignID, c.State, c.Enabled = camp, centralita.ContactPending, true
			c.AddedAt = t0.Add(time.Duration(i) * time.Hour)
			c.StateAt = t0.Add(time.Duration(10-i) * time.Hour)
		}
		cs[2].State = centralita.ContactCompleted
		require.NoError(t, s.CreateContacts(ctx, cs, "t"))
		require.NoError(t, s.CreateContacts(ctx, pending(other, "0991", "0995"), "t"))
		numbers := func(f centralita.ContactFilter) ([]string, int) {
			t.Helper()
			got, total, err := s.FindContacts(ctx, f)
			require.NoError(t, err)
			out := []string{}
			for _, c := range got {
				out = append(out, c.Number)
			}
			return out, total
		}
		for _, tc := range []struct {
			name  string
			f     centralita.ContactFilter
			want  []string
			total int
		}{
			{"all of campaign", centralita.ContactFilter{CampaignID: camp}, []string{"0991", "0992", "2600", "0993_1"}, 4},
			{"every campaign", centralita.ContactFilter{}, []string{"0991", "0992", "2600", "0993_1", "0991", "0995"}, 6},
			{"desc", centralita.ContactFilter{CampaignID: camp, Desc: true}, []string{"0993_1", "2600", "0992", "0991"}, 4},
			{"by name, any case", centralita.ContactFilter{CampaignID: camp, OrderBy: "name"}, []string{"0992", "2600", "0991", "0993_1"}, 4},
			{"by numcall", centralita.ContactFilter{CampaignID: camp, OrderBy: "numcall"}, []string{"0992", "0993_1", "0991", "2600"}, 4},
			{"by numcall desc", centralita.ContactFilter{CampaignID: camp, OrderBy: "numcall", Desc: true}, []string{"2600", "0991", "0993_1", "0992"}, 4},
			{"by timestampadd", centralita.ContactFilter{CampaignID: camp, OrderBy: "timestampadd", Desc: true}, []string{"0993_1", "2600", "0992", "0991"}, 4},
			{"by statetimestamp", centralita.ContactFilter{CampaignID: camp, OrderBy: "statetimestamp"}, []string{"0993_1", "2600", "0992", "0991"}, 4},
			{"state", centralita.ContactFilter{CampaignID: camp, State: centralita.ContactCompleted}, []string{"2600"}, 1},
			{"like number", centralita.ContactFilter{CampaignID: camp, Like: "099"}, []string{"0991", "0992", "0993_1"}, 3},
			{"like name, any case", centralita.ContactFilter{CampaignID: camp, Like: "ANA"}, []string{"0992"}, 1},
			{"like % is literal", centralita.ContactFilter{CampaignID: camp, Like: "0%"}, []string{"2600"}, 1},
			{"like _ is literal", centralita.ContactFilter{CampaignID: camp, Like: "_"}, []string{"0993_1"}, 1},
			{"like !", centralita.ContactFilter{CampaignID: camp, Like: "!"}, []string{}, 0},
			{"number", centralita.ContactFilter{Number: "0991"}, []string{"0991", "0991"}, 2},
			{"added from", centralita.ContactFilter{CampaignID: camp, AddedFrom: t0.Add(time.Hour)}, []string{"0992", "2600", "0993_1"}, 3},
			{"added to", centralita.ContactFilter{CampaignID: camp, AddedTo: t0.Add(time.Hour)}, []string{"0991"}, 1},
			{"state between", centralita.ContactFilter{CampaignID: camp, StateFrom: t0.Add(8 * time.Hour), StateTo: t0.Add(10 * time.Hour)}, []string{"0992", "2600"}, 2},
			{"page", centralita.ContactFilter{CampaignID: camp, Offset: 1, Limit: 2}, []string{"0992", "2600"}, 4},
			{"page past end", centralita.ContactFilter{CampaignID: camp, Offset: 10}, []string{}, 4},
			{"filtered page", centralita.ContactFilter{CampaignID: camp, Like: "099", OrderBy: "name", Limit: 1, Offset: 1}, []string{"0991"}, 3},
		} {
			got, total := numbers(tc.f)
			require.Equal(t, tc.want, got, tc.name)
			require.Equal(t, tc.total, total, tc.name)
		}
		for _, f := range []centralita.ContactFilter{
			{OrderBy: "number"}, {OrderBy: "id; DROP TABLE contacts"}, {State: "Done"}, {Offset: -1}, {Limit: -1},
		} {
			_, _, err := s.FindContacts(ctx, f)
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", f)
		}
	})
}

func TestFindContactsLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		camp := newCampaign(t, db, "a")
		numbers := make([]string, 1005)
		for i := range numbers {
			numbers[i] = fmt.Sprint(1000 + i)
		}
		require.NoError(t, s.CreateContacts(ctx, pending(camp, numbers...), ""))
		got, total, err := s.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp})
		require.NoError(t, err)
		require.Len(t, got, 100, "limit 0 is 100")
		require.Equal(t, 1005, total)
		got, _, err = s.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp, Limit: 5000})
		require.NoError(t, err)
		require.Len(t, got, 1000, "at most 1000")
		log, err := s.ContactLog(ctx, got[0].ID)
		require.NoError(t, err)
		require.Empty(t, log, "no transition, no log")
	})
}

func TestCreateContactsBulk(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		// Another campaign's contacts first, so ids do not start at 1.
		require.NoError(t, s.CreateContacts(ctx, pending(newCampaign(t, db, "other"), "1", "2", "3"), "t"))
		camp := newCampaign(t, db, "bulk")
		const n, batch = 10000, 1000
		all := make([]*centralita.Contact, 0, n)
		start := time.Now()
		for b := 0; b < n/batch; b++ {
			cs := make([]*centralita.Contact, batch)
			for i := range cs {
				k := b*batch + i
				cs[i] = &centralita.Contact{CampaignID: camp, Number: fmt.Sprintf("09%07d", k), Name: fmt.Sprintf("Contact %d", k),
					Data: fmt.Sprintf("k=%d:b=%d", k, b), Alternates: []string{fmt.Sprintf("2%07d", k)},
					Priority: k % 7, Enabled: true, State: centralita.ContactPending}
			}
			require.NoError(t, s.CreateContacts(ctx, cs, centralita.TransitionAPI))
			all = append(all, cs...)
		}
		took := time.Since(start)
		t.Logf("%s: %d contacts in batches of %d in %v (%.0f contacts/s)", db.Dialect(), n, batch, took, n/took.Seconds())

		byID := map[int64]*centralita.Contact{}
		for _, c := range all {
			require.NotZero(t, c.ID)
			require.Nil(t, byID[c.ID], "id %d given twice", c.ID)
			byID[c.ID] = c
		}
		// Every stored row under the id it was handed out with (read raw:
		// FindContacts over 10,000 rows is slow under the race detector).
		var rows []struct {
			ID     int64  `db:"id"`
			Number string `db:"number"`
			Alt    string `db:"alternates"`
		}
		raw := sqlx.NewDb(db.SQL(), db.Dialect())
		require.NoError(t, raw.SelectContext(ctx, &rows, raw.Rebind(`SELECT id, number, alternates FROM contacts WHERE campaign_id = ?`), camp))
		require.Len(t, rows, n)
		for _, r := range rows {
			w := byID[r.ID]
			require.NotNil(t, w, "stored id %d not handed out", r.ID)
			require.Equal(t, w.Number, r.Number, "id %d", r.ID)
			require.Equal(t, w.Alternates[0], r.Alt, "id %d", r.ID)
		}
		page, total, err := s.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp, Offset: 5000, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, n, total)
		for _, g := range page {
			requireContact(t, byID[g.ID], g)
		}
		for _, c := range []*centralita.Contact{all[0], all[999], all[1000], all[n-1]} {
			log, err := s.ContactLog(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, []string{centralita.TransitionAPI}, transitions(log), "contact %d", c.ID)
		}
	})
}
