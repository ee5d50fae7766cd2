package rest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// integraDispositionForm is a complete DispositionCall of the configured
// disposition Ventas-> / Venta / Tarjeta / Visa.
func integraDispositionForm() url.Values {
	return url.Values{
		"campaign": {"Ventas->"}, "agent": {"1001"}, "callerid": {"098344484"}, "guid": {"1541169000.42"},
		"l1": {"Venta"}, "l2": {"Tarjeta"}, "l3": {"Visa"}, "d1": {"pedido 77"}, "d2": {"cuotas=3"},
		"comment": {"cliente conforme"}, "schedule": {""}, "camptoreschedule": {""}, "tag": {""},
	}
}

// integraDispWith returns f with the given fields replaced.
func integraDispWith(f url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestIntegraDispositionCallSuccess(t *testing.T) {
	e := newIntegraDialer(t, nil)
	res, body := e.post("api/DispositionCall", e.key, integraDispositionForm())
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"))
	require.Equal(t, `{"Result":"ok","txtcode":"VTA-VISA"}`, body)
	e.dialer.get(func(d *integraDialerFake) {
		require.Equal(t, []centralita.CallDisposition{{
			Campaign: "Ventas->", Agent: "1001", CallerID: "098344484", GUID: "1541169000.42",
			L1: "Venta", L2: "Tarjeta", L3: "Visa", D1: "pedido 77", D2: "cuotas=3", Comment: "cliente conforme",
			Tag: "Venta|Tarjeta|Visa", CreatedAt: e.clock.Now(),
		}}, d.disposed, "an empty tag is l1|l2|l3")
	})

	// A given tag is kept; a RESCHEDULE with its date schedules at that
	// date in the configured Location, into camptoreschedule.
	form := integraDispWith(integraDispositionForm(), "l1", "Volver a llamar", "l2", "", "l3", "", "tag", "callback",
		"schedule", "2019-02-26 13:45:00", "camptoreschedule", "Power<-")
	res, body = e.post("api/DispositionCall", e.key, form)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Equal(t, `{"Result":"ok","txtcode":"AGENDA"}`, body)
	e.dialer.get(func(d *integraDialerFake) {
		got := d.disposed[1]
		require.Equal(t, "callback", got.Tag)
		require.Equal(t, "Power<-", got.Reschedule)
		require.NotNil(t, got.Schedule)
		require.True(t, got.Schedule.Equal(time.Date(2019, 2, 26, 13, 45, 0, 0, integraDialerUYT)), "%v", got.Schedule)
	})

	// Not a RESCHEDULE: a malformed schedule is ignored, a good one recorded.
	for _, tc := range []struct {
		schedule string
		kept     bool
	}{{"26/02/2019 13:45", false}, {"2019-02-26 13:45:00", true}} {
		form := integraDispWith(integraDispositionForm(), "l1", "No contesta", "l2", "", "l3", "", "schedule", tc.schedule)
		res, body := e.post("api/DispositionCall", e.key, form)
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Equal(t, `{"Result":"ok","txtcode":"NC"}`, body)
		e.dialer.get(func(d *integraDialerFake) {
			require.Equal(t, tc.kept, d.disposed[len(d.disposed)-1].Schedule != nil, tc.schedule)
		})
	}
}

func TestIntegraDispositionCallPlainOK(t *testing.T) {
	e := newIntegraDialer(t, func(_ *rest.Config, c *rest.IntegraConfig) { c.DispositionPlainOK = true })
	res, body := e.post("api/DispositionCall", e.key, integraDispositionForm())
	integraDialerExpect(t, res, body, 200, "1", "compatibility switch")
	// Errors are unchanged.
	res, body = e.post("api/DispositionCall", e.key, integraDispWith(integraDispositionForm(), "guid", ""))
	integraDialerExpect(t, res, body, 400, "Wrong parameters: Empty guid", "error")
}

func TestIntegraDispositionCallErrors(t *testing.T) {
	full := integraDispositionForm()
	resched := integraDispWith(full, "l1", "Volver a llamar", "l2", "", "l3", "")
	// In the C3 order: each case has every field before the failing one.
	cases := []struct {
		name string
		form url.Values
		text string
	}{
		{"nothing", url.Values{}, "Wrong parameters:  Empty campaign."},
		{"empty campaign", integraDispWith(full, "campaign", ""), "Wrong parameters:  Empty campaign."},
		{"blank campaign", integraDispWith(full, "campaign", "  "), "Wrong parameters:  Empty campaign."},
		{"campaign only", url.Values{"campaign": {"Ventas->"}}, "Wrong parameters: Empty callerid"},
		{"empty callerid", integraDispWith(full, "callerid", ""), "Wrong parameters: Empty callerid"},
		{"campaign and callerid", url.Values{"campaign": {"Ventas->"}, "callerid": {"1"}}, "Wrong parameters: Empty guid"},
		{"empty guid", integraDispWith(full, "guid", ""), "Wrong parameters: Empty guid"},
		{"no agent", url.Values{"campaign": {"Ventas->"}, "callerid": {"1"}, "guid": {"g"}}, "Wrong parameters: Empty agent"},
		{"empty agent", integraDispWith(full, "agent", ""), "Wrong parameters: Empty agent"},
		{"no l1", url.Values{"campaign": {"Ventas->"}, "callerid": {"1"}, "guid": {"g"}, "agent": {"bob"}}, "Wrong parameters: Empty value1"},
		{"empty l1", integraDispWith(full, "l1", ""), "Wrong parameters: Empty value1"},
		{"empty l1, campaign too", integraDispWith(full, "l1", "", "campaign", ""), "Wrong parameters:  Empty campaign."},
		{"empty l1, agent too", integraDispWith(full, "l1", "", "agent", ""), "Wrong parameters: Empty agent"},
		{"unknown l3", integraDispWith(full, "l3", "Master"), "Disposition not found for level1: Venta, level2: Tarjeta level3: Master"},
		{"only l1 given", integraDispWith(full, "l2", "", "l3", ""), "Disposition not found for level1: Venta, level2:  level3: "},
		{"other campaign", integraDispWith(full, "campaign", "Power<-"), "Disposition not found for level1: Venta, level2: Tarjeta level3: Visa"},
		{"arrow stripped", integraDispWith(full, "campaign", "Ventas"), "Disposition not found for level1: Venta, level2: Tarjeta level3: Visa"},
		{"reschedule, not found wins over no date", integraDispWith(resched, "l2", "x"), "Disposition not found for level1: Volver a llamar, level2: x level3: "},
		{"reschedule, no date", resched, "Wrong parameters: Empty schedule date."},
		{"reschedule, blank date", integraDispWith(resched, "schedule", "   "), "Wrong parameters: Empty schedule date."},
		{"reschedule, day first", integraDispWith(resched, "schedule", "26-02-2019 13:45:00"), "The schedule date format is not well formed:"},
		{"reschedule, ISO T", integraDispWith(resched, "schedule", "2019-02-26T13:45:00"), "The schedule date format is not well formed:"},
		{"reschedule, no seconds", integraDispWith(resched, "schedule", "2019-02-26 13:45"), "The schedule date format is not well formed:"},
		{"reschedule, no such day", integraDispWith(resched, "schedule", "2019-02-29 13:45:00"), "The schedule date format is not well formed:"},
	}
	e := newIntegraDialer(t, nil)
	for _, tc := range cases {
		res, body := e.post("api/DispositionCall", e.key, tc.form)
		integraDialerExpect(t, res, body, http.StatusBadRequest, tc.text, tc.name)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Empty(t, d.disposed, "no refused call reached the dialer") })

	// The lookup failing is its status with "0".
	e.disps.mu.Lock()
	e.disps.err = centralita.Errorf(centralita.EUNAVAILABLE, "database down")
	e.disps.mu.Unlock()
	res, body := e.post("api/DispositionCall", e.key, full)
	integraDialerExpect(t, res, body, http.StatusServiceUnavailable, "0", "lookup fails")
}

// Without IntegraConfig.Dispositions the facade learns the outcome from
// Dispose: ENOTFOUND, and EINVALID for a RESCHEDULE without a valid date.
func TestIntegraDispositionCallWithoutLookup(t *testing.T) {
	e := newIntegraDialer(t, func(_ *rest.Config, c *rest.IntegraConfig) { c.Dispositions = nil })
	disps := e.disps
	e.dialer.set(func(d *integraDialerFake) {
		d.dispose = func(cd *centralita.CallDisposition) (*centralita.Disposition, error) {
			disp, err := disps.find(cd)
			if err == nil && disp.Action == centralita.ActionReschedule && cd.Schedule == nil {
				return nil, centralita.Errorf(centralita.EINVALID, "RESCHEDULE needs a date")
			}
			return disp, err
		}
	})
	full := integraDispositionForm()
	resched := integraDispWith(full, "l1", "Volver a llamar", "l2", "", "l3", "")
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"ok", full, 200, `{"Result":"ok","txtcode":"VTA-VISA"}`},
		{"empty guid", integraDispWith(full, "guid", ""), 400, "Wrong parameters: Empty guid"},
		{"not found", integraDispWith(full, "l3", "Amex"), 400, "Disposition not found for level1: Venta, level2: Tarjeta level3: Amex"},
		{"reschedule, no date", resched, 400, "Wrong parameters: Empty schedule date."},
		{"reschedule, malformed", integraDispWith(resched, "schedule", "2019/02/26 13:45:00"), 400, "The schedule date format is not well formed:"},
		{"reschedule", integraDispWith(resched, "schedule", "2019-02-26 13:45:00"), 200, `{"Result":"ok","txtcode":"AGENDA"}`},
		{"malformed, not a reschedule", integraDispWith(full, "schedule", "mañana"), 200, `{"Result":"ok","txtcode":"VTA-VISA"}`},
	} {
		res, body := e.post("api/DispositionCall", e.key, tc.form)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		require.Equal(t, tc.text, body, tc.name)
	}
	e.dialer.get(func(d *integraDialerFake) { require.Len(t, d.disposed, 3) })

	// An EINVALID with a valid date is not read as a schedule error.
	e.dialer.set(func(d *integraDialerFake) {
		d.dispose = func(*centralita.CallDisposition) (*centralita.Disposition, error) {
			return nil, centralita.Errorf(centralita.EINVALID, "comment too long")
		}
	})
	res, body := e.post("api/DispositionCall", e.key, integraDispWith(full, "schedule", "2019-02-26 13:45:00"))
	integraDialerExpect(t, res, body, http.StatusBadRequest, "0", "other invalid")
	e.dialer.set(func(d *integraDialerFake) { d.err = centralita.Errorf(centralita.EUNAVAILABLE, "engine stopped") })
	res, body = e.post("api/DispositionCall", e.key, full)
	integraDialerExpect(t, res, body, http.StatusServiceUnavailable, "0", "engine stopped")
}
