package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

// TestDialerCampaignEndToEnd runs a predictive campaign of 300 contacts
// with 5 agents on the simulator in real time, restarting serve in the
// middle, and checks that every contact ends in a final state whose log
// agrees with its attempts, the CDRs and queue_log; that the blacklisted
// number is never dialled, the scheduled call is placed at its time, a
// disposition applies its action, and nothing is lost or dialled twice.
func TestDialerCampaignEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 300-contact campaign in real time")
	}
	s := startStackWith(t, stackOpts{
		args: []string{"--provision", "testdata/dialer_provision.json"},
		setup: func(dsn string) {
			out, err := cli(t, "sup-password-1\n", "users", "create", "--username", "sup", "--role", "supervisor", "--db", dsn)
			require.NoError(t, err, out)
			out, err = cli(t, "admin-password-1\n", "users", "create", "--username", "root", "--role", "admin", "--db", dsn)
			require.NoError(t, err, out)
		},
	})
	ctx := context.Background()
	for _, a := range [][2]string{{"ana", "101"}, {"beto", "102"}, {"carla", "103"}, {"dani", "104"}, {"eva", "105"}} {
		require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", s.key, "agent", a[0], "extension", a[1]), "true"))
	}

	// The campaign, paused (Incomplete) while its base loads.
	st, body := s.admin(t, http.MethodPost, "/campaigns", map[string]any{
		"name": "Ventas->", "mode": "predictive", "queue": "outq", "callerid": "5559999", "ring_timeout_sec": 4,
		"retries": map[string]any{
			"Busy": map[string]int{"delay_sec": 1, "max_attempts": 2}, "NoAnswer": map[string]int{"delay_sec": 1, "max_attempts": 2},
			"Failed": map[string]int{"delay_sec": 1, "max_attempts": 2}, "Abandoned": map[string]int{"delay_sec": 1, "max_attempts": 3},
		},
	})
	require.Equal(t, http.StatusCreated, st, string(body))
	var camp centralita.Campaign
	require.NoError(t, json.Unmarshal(body, &camp))
	st, body = s.admin(t, http.MethodPut, fmt.Sprintf("/campaigns/%d/dispositions", camp.ID), map[string]any{"l1": "Volver", "action": "RESPOOL", "retry_delay_sec": 1})
	require.Less(t, st, 300, string(body))

	tok := s.integraToken(t, "sup", "sup-password-1")
	const blocked = "5550100"
	st, body2 := s.integra(t, tok, "admin/addblack", url.Values{"black": {`{"phone":"` + blocked + `","campaign":"Ventas->","username":"sup","company":"","job_title":"","name":"No llamar"}`}})
	require.Equal(t, "1", body2, "addblack: %d", st)

	// 300 contacts in the Integra base format; numbers ending in 7, 8 and 9
	// are busy, ring out and are congested (the simulator's default rules).
	var base strings.Builder
	for i := range 300 {
		fmt.Fprintf(&base, "Ventas->;555%04d;id=%d;;9999;\n", i, i)
	}
	st, body2 = s.integra(t, tok, "Dialers/uploadbase", url.Values{"filename": {"base.txt"}, "campaign": {"Ventas->"}, "cant": {"300"},
		"username": {"sup"}, "fileb64": {base64.StdEncoding.EncodeToString([]byte(base.String()))}})
	require.Equal(t, "1", body2, "uploadbase: %d", st)
	contacts := store.NewContactService(s.db)
	require.Eventually(t, func() bool {
		_, n, err := contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp.ID, Limit: 1})
		return err == nil && n == 300
	}, 30*time.Second, 50*time.Millisecond, "the base did not load")

	// A call scheduled a few seconds ahead.
	schedAt := time.Now().UTC().Add(4 * time.Second).Truncate(time.Second)
	st, body2 = s.integra(t, tok, "Dialers/ScheduleDialerCall", url.Values{"callschedule": {`{"calldate":"` + schedAt.Format(time.DateTime) +
		`","campaign":"Ventas->","destination":"5551234","alternatives":"","agentphone":"","data":"cb=1"}`}})
	require.Equal(t, "1", body2, "ScheduleDialerCall: %d", st)

	camp.State = centralita.CampaignActive
	st, body = s.admin(t, http.MethodPut, fmt.Sprintf("/campaigns/%d", camp.ID), camp)
	require.Less(t, st, 300, string(body))

	// Half way through, serve stops and starts again.
	final := func() (pending, total int) {
		all, n, err := contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp.ID, Limit: 1000})
		require.NoError(t, err)
		for _, c := range all {
			if c.State == centralita.ContactPending {
				pending++
			}
		}
		return pending, n
	}
	require.Eventually(t, func() bool { p, _ := final(); return p < 150 }, 90*time.Second, 200*time.Millisecond, "the campaign did not progress")
	s.restart()
	tok = s.integraToken(t, "sup", "sup-password-1") // sessions live in memory: sign in again

	// A disposition respools one completed contact: it is dialled again.
	var respooled *centralita.Contact
	require.Eventually(t, func() bool {
		all, _, err := contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp.ID, State: centralita.ContactCompleted, Limit: 1})
		if err != nil || len(all) == 0 {
			return false
		}
		respooled = all[0]
		return true
	}, 30*time.Second, 100*time.Millisecond)
	atts, err := contacts.FindAttempts(ctx, respooled.ID)
	require.NoError(t, err)
	guid := atts[len(atts)-1].CallID
	st, body2 = s.integra(t, tok, "api/DispositionCall", url.Values{"campaign": {"Ventas->"}, "agent": {"ana"}, "callerid": {respooled.Number},
		"guid": {guid}, "l1": {"Volver"}})
	require.Equal(t, http.StatusOK, st, body2)
	require.Contains(t, body2, `"Result":"ok"`)

	require.Eventually(t, func() bool { p, n := final(); return p == 0 && n == 301 && s.simChannels(t) == 0 }, 180*time.Second, 250*time.Millisecond,
		"the campaign did not finish")
	time.Sleep(time.Second) // the last queue_log rows and CDRs land

	all, _, err := contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: camp.ID, Limit: 1000})
	require.NoError(t, err)
	cdrs, err := s.cdrs.FindCDRs(ctx, centralita.CDRFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Limit: 10000})
	require.NoError(t, err)
	cdrByCall := map[string]*centralita.CDR{}
	for _, c := range cdrs {
		cdrByCall[c.UniqueID] = c
	}
	rows := s.queueLog(t, time.Now().Add(-time.Hour))
	connected, entered := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		switch r.Event {
		case centralita.QLConnect:
			connected[r.CallID] = true
		case centralita.QLEnterQueue:
			entered[r.CallID] = true
		}
	}
	interrupted := 0 // answered, in the queue when serve stopped: never redialled
	type span struct{ from, to time.Time }
	byNumber := map[string][]span{}
	var sawSchedule, sawRespool bool
	for _, c := range all {
		require.Contains(t, []centralita.ContactState{centralita.ContactCompleted, centralita.ContactRejected, centralita.ContactCanceled}, c.State, "contact %s", c.Number)
		require.False(t, c.InFlight, "contact %s still in flight", c.Number)
		atts, err := contacts.FindAttempts(ctx, c.ID)
		require.NoError(t, err)
		log, err := contacts.ContactLog(ctx, c.ID)
		require.NoError(t, err)
		if c.Number == blocked {
			require.Empty(t, atts, "the blacklisted number was dialled")
			require.Equal(t, centralita.ContactRejected, c.State)
			continue
		}
		answered := 0
		for _, a := range atts {
			require.NotNil(t, a.EndedAt, "attempt %s of %s never ended", a.CallID, c.Number)
			byNumber[a.Number] = append(byNumber[a.Number], span{a.StartedAt, *a.EndedAt})
			cdr := cdrByCall[a.CallID]
			require.NotNil(t, cdr, "attempt %s has no CDR", a.CallID)
			switch a.Outcome {
			case centralita.OutcomeAnswered:
				answered++
				if !connected[a.CallID] {
					require.True(t, entered[a.CallID], "answered attempt %s never reached the queue", a.CallID)
					interrupted++
				}
				require.Equal(t, centralita.DispositionAnswered, cdr.Disposition)
			case centralita.OutcomeBusy:
				require.Equal(t, centralita.DispositionBusy, cdr.Disposition)
			case centralita.OutcomeNoAnswer:
				require.Equal(t, centralita.DispositionNoAnswer, cdr.Disposition)
			}
		}
		// The state log tells the attempts' story: one transition per attempt at least.
		require.GreaterOrEqual(t, len(log), len(atts), "contact %s: %d transitions for %d attempts", c.Number, len(log), len(atts))
		if c.ID == respooled.ID {
			sawRespool = true
			require.GreaterOrEqual(t, len(atts), 2, "the respooled contact was dialled again")
			require.Equal(t, 2, answered, "dialled once more after the disposition, never twice at once")
		} else if c.State == centralita.ContactCompleted {
			require.Equal(t, 1, answered, "contact %s answered %d times: an answered call was redialled", c.Number, answered)
		}
		if c.Number == "5551234" {
			sawSchedule = true
			require.NotEmpty(t, atts)
			require.False(t, atts[0].StartedAt.Before(schedAt), "the scheduled call was dialled at %s, before %s", atts[0].StartedAt, schedAt)
			require.Less(t, atts[0].StartedAt.Sub(schedAt), 10*time.Second, "the scheduled call was late")
		}
		n, _ := strconv.Atoi(c.Number[len(c.Number)-1:])
		if n >= 7 && c.Number != "5551234" {
			require.Equal(t, centralita.ContactRejected, c.State, "contact %s never answers", c.Number)
		}
	}
	require.True(t, sawSchedule && sawRespool)
	require.LessOrEqual(t, interrupted, 5, "only the calls waiting in the queue at the restart may end answered without an agent")
	for num, spans := range byNumber {
		for i := 1; i < len(spans); i++ {
			require.False(t, spans[i].from.Before(spans[i-1].to), "number %s dialled twice at once", num)
		}
	}
}
