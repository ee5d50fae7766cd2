package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

// claimedNames lists the contacts' names, their labels in the tests.
func claimedNames(cs []*centralita.Contact) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestClaimContacts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		camp, other := newCampaign(t, db, "a"), newCampaign(t, db, "b")
		now := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
		at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
		// Name is the contact's label in the assertions.
		cs := []*centralita.Contact{
			{Name: "A", Number: "1", Priority: 5},
			{Name: "B", Number: "2", Priority: 1, NextAt: at(-time.Minute)},
			{Name: "C", Number: "3", Priority: 5, NextAt: at(time.Hour)},
			{Name: "D", Number: "4", Priority: 5, NextAt: at(-10 * time.Minute)},
			{Name: "E", Number: "5", Priority: 1},
			{Name: "F", Number: "6", Priority: 1, State: centralita.ContactCompleted},
			{Name: "G", Number: "7", Priority: 2, Agent: "1001"},
			{Name: "H", Number: "8", Priority: 2, Agent: "1002"},
			{Name: "I", Number: "X", Priority: 9, InFlight: true},
			{Name: "J", Number: "X", Priority: 1},
			{Name: "K", Number: "9", Priority: 1, Alternates: []string{"X"}, AltIndex: 1},
			{Name: "L", Number: "Z", Priority: 6},
			{Name: "M", Number: "Z", Priority: 6},
			{Name: "N", Number: "10", Priority: 7, NextAt: at(0)},
		}
		for _, c := range cs {
			c.CampaignID, c.Enabled = camp, c.Name != "E"
		}
		require.NoError(t, s.CreateContacts(ctx, cs, "t"))
		// The other campaign's contact with number Z does not block this one's.
		require.NoError(t, s.CreateContacts(ctx, []*centralita.Contact{{CampaignID: other, Number: "Z", Enabled: true, InFlight: true}}, "t"))

		claim := func(limit int, agents []string, when time.Time) []string {
			t.Helper()
			got, err := s.ClaimContacts(ctx, camp, when, limit, agents)
			require.NoError(t, err)
			for _, c := range got {
				require.True(t, c.InFlight)
				stored, err := s.FindContact(ctx, c.ID)
				require.NoError(t, err)
				require.True(t, stored.InFlight, "contact %s stored in flight", c.Name)
			}
			return claimedNames(got)
		}
		require.Equal(t, []string{"B", "A"}, claim(2, nil, now), "priority, then next_at with NULL first")
		require.Equal(t, []string{"D", "L", "N"}, claim(10, nil, now), "due, unowned, one per number")
		require.Equal(t, []string{}, claim(10, []string{"1003"}, now))
		require.Equal(t, []string{"G"}, claim(10, []string{"1001", "1003"}, now), "owned by a given agent")
		require.Equal(t, []string{}, claim(10, []string{"1001"}, now), "M waits for L, J and K for I")

		l := byName(t, s, camp, "L")
		l.InFlight, l.State = false, centralita.ContactCompleted
		require.NoError(t, s.UpdateContact(ctx, l, "Answer"))
		require.Equal(t, []string{"M"}, claim(10, nil, now))
		require.Equal(t, []string{"H", "C"}, claim(10, []string{"1002"}, now.Add(2*time.Hour)), "H's agent given, C now due")

		i := byName(t, s, camp, "I")
		i.InFlight = false
		require.NoError(t, s.UpdateContact(ctx, i, ""))
		require.Equal(t, []string{"J"}, claim(10, nil, now), "J and K dial X: the first only")

		require.Equal(t, []string{}, claim(0, nil, now))
		_, err := s.ClaimContacts(ctx, camp, now, -1, nil)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
		_, err = s.ClaimContacts(ctx, 99999, now, 1, nil)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		require.Equal(t, "campaign 99999 not found", centralita.ErrorMessage(err))
	})
}

// byName finds a campaign's contact by its name.
func byName(t *testing.T, s *store.ContactService, campaign int64, name string) *centralita.Contact {
	t.Helper()
	got, _, err := s.FindContacts(context.Background(), centralita.ContactFilter{CampaignID: campaign, Like: name, Limit: 1000})
	require.NoError(t, err)
	for _, c := range got {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no contact %q", name)
	return nil
}

// TestClaimContactsConcurrent has 8 claimers work a campaign whose numbers
// each appear several times, while more contacts are loaded: every contact
// is claimed exactly once, and a number is never in flight twice at once.
func TestClaimContactsConcurrent(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		camp := newCampaign(t, db, "a")
		const numbers, copies, claimers = 40, 4, 8
		var cs []*centralita.Contact
		for k := 0; k < copies; k++ {
			for n := 0; n < numbers; n++ {
				c := &centralita.Contact{CampaignID: camp, Number: fmt.Sprint(1000 + n), Enabled: true, Priority: n % 3}
				if k == 3 && n%2 == 0 {
					// Dialling an alternate that is another contact's main number.
					c.Number, c.Alternates, c.AltIndex = fmt.Sprint(5000+n), []string{fmt.Sprint(1000 + n)}, 1
				}
				cs = append(cs, c)
			}
		}
		require.NoError(t, s.CreateContacts(ctx, cs, "t"))
		// A loader adds batches to the campaign while it is being claimed.
		const batches, batch = 5, 40
		total := len(cs) + batches*batch

		var (
			mu       sync.Mutex
			inFlight = map[string]int64{} // dialled number → contact
			claimed  = map[int64]int{}
			done     atomic.Int64
			failed   atomic.Bool
			wg       sync.WaitGroup
		)
		deadline := time.Now().Add(60 * time.Second)
		errs := make(chan error, claimers+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				more := make([]string, batch)
				for i := range more {
					more[i] = fmt.Sprint(2000 + b*batch + i%(batch/2)) // each twice
				}
				if err := s.CreateContacts(ctx, pending(camp, more...), "t"); err != nil {
					failed.Store(true)
					errs <- err
					return
				}
			}
		}()
		for w := 0; w < claimers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fail := func(err error) { failed.Store(true); errs <- err }
				for done.Load() < int64(total) && !failed.Load() {
					if time.Now().After(deadline) {
						fail(fmt.Errorf("claimers did not finish"))
						return
					}
					got, err := s.ClaimContacts(ctx, camp, time.Now(), 3, nil)
					if err != nil {
						fail(err)
						return
					}
					mu.Lock()
					for _, c := range got {
						dial := c.Number
						if c.AltIndex > 0 {
							dial = c.Alternates[c.AltIndex-1]
						}
						if prev, ok := inFlight[dial]; ok {
							mu.Unlock()
							fail(fmt.Errorf("number %s in flight for contacts %d and %d", dial, prev, c.ID))
							return
						}
						inFlight[dial] = c.ID
						claimed[c.ID]++
					}
					mu.Unlock()
					if len(got) == 0 {
						time.Sleep(time.Millisecond)
						continue
					}
					for _, c := range got {
						mu.Lock()
						for n, id := range inFlight {
							if id == c.ID {
								delete(inFlight, n)
							}
						}
						mu.Unlock()
						c.InFlight, c.State = false, centralita.ContactCompleted
						if err := s.UpdateContact(ctx, c, "Answer"); err != nil {
							fail(err)
							return
						}
						done.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, claimed, total)
		for id, n := range claimed {
			require.Equal(t, 1, n, "contact %d claimed %d times", id, n)
		}
		left, count, err := s.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp, State: centralita.ContactPending})
		require.NoError(t, err)
		require.Zero(t, count, "%v", left)
	})
}

func TestReleaseInFlight(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		a, b := newCampaign(t, db, "a"), newCampaign(t, db, "b")
		require.NoError(t, s.CreateContacts(ctx, pending(a, "1", "2", "3"), "t"))
		require.NoError(t, s.CreateContacts(ctx, pending(b, "1", "2"), "t"))
		now := time.Now()
		ca, err := s.ClaimContacts(ctx, a, now, 10, nil)
		require.NoError(t, err)
		require.Len(t, ca, 3)
		cb, err := s.ClaimContacts(ctx, b, now, 10, nil)
		require.NoError(t, err)
		require.Len(t, cb, 2)
		inFlight := func(c int64) []string {
			t.Helper()
			all, _, err := s.FindContacts(ctx, centralita.ContactFilter{CampaignID: c})
			require.NoError(t, err)
			out := []string{}
			for _, c := range all {
				if c.InFlight {
					out = append(out, c.Number)
				}
			}
			return out
		}

		require.NoError(t, s.ReleaseInFlight(ctx, a, []int64{ca[1].ID, cb[0].ID}))
		require.Equal(t, []string{ca[1].Number}, inFlight(a), "except survives")
		require.Equal(t, []string{"1", "2"}, inFlight(b), "other campaign untouched")
		again, err := s.ClaimContacts(ctx, a, now, 10, nil)
		require.NoError(t, err)
		require.Len(t, again, 2, "released contacts can be claimed again")

		require.NoError(t, s.ReleaseInFlight(ctx, 0, []int64{cb[1].ID}))
		require.Equal(t, []string{}, inFlight(a))
		require.Equal(t, []string{"2"}, inFlight(b))
		require.NoError(t, s.ReleaseInFlight(ctx, 0, nil))
		require.Equal(t, []string{}, inFlight(b))
		require.NoError(t, s.ReleaseInFlight(ctx, 12345, nil), "an unknown campaign has nothing in flight")
	})
}

func TestAttempts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewContactService(db)
		a, b := newCampaign(t, db, "a"), newCampaign(t, db, "b")
		ca, cb := pending(a, "1"), pending(b, "2")
		require.NoError(t, s.CreateContacts(ctx, ca, "t"))
		require.NoError(t, s.CreateContacts(ctx, cb, "t"))
		t0 := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)

		first := &centralita.Attempt{ContactID: ca[0].ID, Number: "1", CallID: "1709546400.1", StartedAt: t0}
		require.NoError(t, s.CreateAttempt(ctx, first))
		require.NotZero(t, first.ID)
		require.Equal(t, a, first.CampaignID, "campaign taken from the contact")
		second := &centralita.Attempt{ContactID: ca[0].ID, CampaignID: a, Number: "1", StartedAt: t0.Add(time.Hour)}
		require.NoError(t, s.CreateAttempt(ctx, second))
		third := &centralita.Attempt{ContactID: cb[0].ID, Number: "2"}
		require.NoError(t, s.CreateAttempt(ctx, third))
		require.False(t, third.StartedAt.IsZero(), "started now")

		answered, ended := t0.Add(5*time.Second), t0.Add(65*time.Second)
		first.AnsweredAt, first.EndedAt, first.Outcome, first.Agent = &answered, &ended, centralita.OutcomeAnswered, "1001"
		require.NoError(t, s.UpdateAttempt(ctx, first))
		require.NoError(t, s.UpdateAttempt(ctx, first), "an unchanged update is fine")

		got, err := s.FindAttempts(ctx, ca[0].ID)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, []int64{first.ID, second.ID}, []int64{got[0].ID, got[1].ID})
		require.Equal(t, centralita.OutcomeAnswered, got[0].Outcome)
		require.Equal(t, "1001", got[0].Agent)
		require.Equal(t, "1709546400.1", got[0].CallID)
		require.True(t, answered.Equal(*got[0].AnsweredAt))
		require.True(t, ended.Equal(*got[0].EndedAt))
		require.Nil(t, got[1].EndedAt)

		open, err := s.FindOpenAttempts(ctx)
		require.NoError(t, err)
		require.Len(t, open, 2)
		require.Equal(t, []int64{second.ID, third.ID}, []int64{open[0].ID, open[1].ID})

		err = s.CreateAttempt(ctx, &centralita.Attempt{ContactID: 99999, Number: "1"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		err = s.CreateAttempt(ctx, &centralita.Attempt{ContactID: 99999, CampaignID: a, Number: "1"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "%v", err)
		require.Equal(t, "contact 99999 not found", centralita.ErrorMessage(err))
		err = s.UpdateAttempt(ctx, &centralita.Attempt{ID: 99999, ContactID: 1, Number: "1"})
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
		for name, bad := range map[string]*centralita.Attempt{
			"nil":        nil,
			"no contact": {Number: "1"},
			"no number":  {ContactID: ca[0].ID},
			"long call":  {ContactID: ca[0].ID, Number: "1", CallID: string(make([]byte, 151))},
		} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateAttempt(ctx, bad)), name)
		}

		// Attempts go with their contact.
		require.NoError(t, store.NewCampaignService(db).DeleteCampaign(ctx, b))
		open, err = s.FindOpenAttempts(ctx)
		require.NoError(t, err)
		require.Len(t, open, 1)
	})
}
