package arisim

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centralita/centralita"
)

// fakeCDRs is an in-memory centralita.CDRService that can fail on demand.
type fakeCDRs struct {
	mu       sync.Mutex
	rows     []*centralita.CDR
	calls    int
	failures int // the first failures calls fail; -1 fails forever
}

func (f *fakeCDRs) CreateCDR(_ context.Context, cdr *centralita.CDR) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.failures < 0 || f.calls <= f.failures {
		return errors.New("database is down")
	}
	cp := *cdr
	cp.ID = int64(len(f.rows) + 1)
	f.rows = append(f.rows, &cp)
	return nil
}

func (f *fakeCDRs) FindCDRs(_ context.Context, filter centralita.CDRFilter) ([]*centralita.CDR, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*centralita.CDR
	for _, r := range f.rows {
		if filter.UniqueID != "" && r.UniqueID != filter.UniqueID {
			continue
		}
		if filter.LinkedID != "" && r.LinkedID != filter.LinkedID {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// row waits for the record of channel id.
func (f *fakeCDRs) row(t *testing.T, id string) *centralita.CDR {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		rows, _ := f.FindCDRs(context.Background(), centralita.CDRFilter{UniqueID: id})
		if len(rows) == 1 {
			return rows[0]
		}
		if len(rows) > 1 {
			t.Fatalf("%d CDRs for %s", len(rows), id)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no CDR for %s", id)
	return nil
}

func TestCDRDispositionsAndDurations(t *testing.T) {
	sink := &fakeCDRs{}
	cfg := Config{
		TimeScale: 0.2, // one simulated second is 200 ms: timer jitter stays well under a second
		CDR:       sink,
		Rules: []Rule{
			{Match: MatchExact, Pattern: "5550001", Outcome: OutcomeAnswer, RingDelay: time.Second, TalkDuration: 3 * time.Second},
		},
	}
	h := newHarness(t, cfg)
	ws := h.events("app", false)

	answered := originate(h, "PJSIP/5550001@trunk", "app", url.Values{"callerId": {`"Sales" <5559000>`}})
	busy := originate(h, "PJSIP/5550007@trunk", "app", nil)
	noAnswer := originate(h, "PJSIP/5550008@trunk", "app", url.Values{"timeout": {"2"}})
	congested := originate(h, "PJSIP/5550009@trunk", "app", nil)
	for _, id := range []string{answered, busy, noAnswer, congested} {
		ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	}

	r := sink.row(t, answered)
	if r.Disposition != centralita.DispositionAnswered || r.Duration != 4 || r.BillSec != 3 {
		t.Errorf("answered: %s duration %d billsec %d, want ANSWERED 4 3", r.Disposition, r.Duration, r.BillSec)
	}
	if r.LastApp != "Stasis" || r.LastData != "app" || r.Src != "5559000" || r.CLID != `"Sales" <5559000>` ||
		r.Dst != "s" || r.DContext != "from-sip" || r.LinkedID != answered || !strings.HasPrefix(r.Channel, "PJSIP/trunk-") {
		t.Errorf("answered record %+v", r)
	}
	if r.CallDate.IsZero() || r.AMAFlags != 3 {
		t.Errorf("calldate/amaflags %+v", r)
	}
	if r := sink.row(t, busy); r.Disposition != centralita.DispositionBusy || r.BillSec != 0 || r.LastApp != "AppDial2" {
		t.Errorf("busy record %+v", r)
	}
	if r := sink.row(t, noAnswer); r.Disposition != centralita.DispositionNoAnswer || r.Duration != 2 || r.BillSec != 0 {
		t.Errorf("no-answer record %+v", r)
	}
	if r := sink.row(t, congested); r.Disposition != centralita.DispositionFailed {
		t.Errorf("congestion record %+v", r)
	}
	seen := map[int]bool{}
	for _, row := range sink.rows {
		if seen[row.Sequence] || row.Sequence == 0 {
			t.Errorf("sequence %d repeated or zero", row.Sequence)
		}
		seen[row.Sequence] = true
	}
}

// TestCDRClickToCall is the click-to-call pattern: ring the source, on
// answer originate the destination, bridge both. Asterisk writes one record
// for the pair (party A = the source, dstchannel = the destination).
func TestCDRClickToCall(t *testing.T) {
	sink := &fakeCDRs{}
	cfg := Config{TimeScale: 0.05, CDR: sink, Rules: []Rule{
		{Match: MatchExact, Pattern: "5550001", Outcome: OutcomeAnswer, RingDelay: time.Second, TalkDuration: 2 * time.Second},
	}}
	h := newHarness(t, cfg)
	ws := h.events("c2c", false)
	res := h.mustJSON(200, h.call("POST", "/ari/channels", url.Values{"endpoint": {"PJSIP/101"}, "app": {"c2c"}, "callerId": {"5550001"}},
		map[string]any{"variables": map[string]string{"CDR(userfield)": "01-43-1"}}))
	src := res["id"].(string)
	ws.waitEvent("StasisStart", src, 5*time.Second)
	if v := h.mustJSON(200, h.call("GET", "/ari/channels/"+src+"/variable", url.Values{"variable": {"CDR(userfield)"}}, nil)); v["value"] != "01-43-1" {
		t.Errorf("CDR(userfield) reads %v", v)
	}
	dst := originate(h, "PJSIP/5550001@trunk", "c2c", url.Values{"originator": {src}, "callerId": {"101"}})
	ws.waitEvent("StasisStart", dst, 5*time.Second)
	h.mustJSON(200, h.call("POST", "/ari/bridges", url.Values{"type": {"mixing"}, "bridgeId": {"b1"}}, nil))
	if r := h.call("POST", "/ari/bridges/b1/addChannel", url.Values{"channel": {src + "," + dst}}, nil); r.status != 204 {
		t.Fatalf("addChannel %d %s", r.status, r.body)
	}
	ws.waitEvent("ChannelDestroyed", dst, 5*time.Second) // the destination hangs up
	if r := h.call("DELETE", "/ari/channels/"+src, nil, nil); r.status != 204 {
		t.Fatalf("hangup %d", r.status)
	}
	ws.waitEvent("ChannelDestroyed", src, 5*time.Second)

	row := sink.row(t, src)
	dstName := ""
	for _, e := range ws.snapshot() {
		if c, ok := e["channel"].(map[string]any); ok && c["id"] == dst {
			dstName = c["name"].(string)
			break
		}
	}
	if row.DstChannel != dstName || row.LinkedID != src || row.Disposition != centralita.DispositionAnswered || row.UserField != "01-43-1" {
		t.Errorf("pair record %+v, want dstchannel %s", row, dstName)
	}
	time.Sleep(50 * time.Millisecond)
	if rows, _ := sink.FindCDRs(context.Background(), centralita.CDRFilter{UniqueID: dst}); len(rows) != 0 {
		t.Errorf("party B got its own record: %+v", rows[0])
	}
	if rows, _ := sink.FindCDRs(context.Background(), centralita.CDRFilter{LinkedID: src}); len(rows) != 1 {
		t.Errorf("%d records for the call, want 1", len(rows))
	}
}

func TestCDRSinkFailures(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))
	sink := &fakeCDRs{failures: 2}
	h := newHarness(t, Config{TimeScale: 0.01, CDR: sink, CDRRetryDelay: time.Millisecond, Logger: logger})
	ws := h.events("app", false)
	id := originate(h, "PJSIP/5550007@trunk", "app", nil)
	ws.waitEvent("ChannelDestroyed", id, 5*time.Second)
	if r := sink.row(t, id); r.Disposition != centralita.DispositionBusy {
		t.Errorf("record after retries %+v", r)
	}

	lost := &fakeCDRs{failures: -1}
	h2 := newHarness(t, Config{TimeScale: 0.01, CDR: lost, CDRRetries: 2, CDRRetryDelay: time.Millisecond, Logger: logger})
	ws2 := h2.events("app", false)
	id = originate(h2, "PJSIP/5550007@trunk", "app", nil)
	ws2.waitEvent("ChannelDestroyed", id, 5*time.Second)
	if err := h2.srv.Close(); err != nil { // waits for the retries
		t.Fatal(err)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if !strings.Contains(out, "CDR LOST") || !strings.Contains(out, "uniqueid="+id) || !strings.Contains(out, "retrying") {
		t.Errorf("a lost record must be logged in full; log:\n%s", out)
	}
	if lost.calls != 3 {
		t.Errorf("%d attempts, want 3", lost.calls)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
