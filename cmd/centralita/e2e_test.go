package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/ari/arisim"
	"github.com/centralita/centralita/store"
)

// stack is Centralita serving over real HTTP, connected over real ARI to a
// standalone Asterisk simulator, on one SQLite database.
type stack struct {
	url, key       string
	sim            *arisim.Server
	simUser, simPW string
	cdrs           *store.CDRService
	db             *store.DB
	dsn            string
	// restart stops serve (as SIGTERM does) and starts it again on the same database.
	restart func()
}

// stackOpts adjust startStackWith: rules for the simulator, extra serve
// flags, and setup run on the database before serve starts.
type stackOpts struct {
	rules []arisim.Rule
	args  []string
	setup func(dsn string)
}

func startStack(t *testing.T, rules ...arisim.Rule) *stack {
	return startStackWith(t, stackOpts{rules: rules})
}

func startStackWith(t *testing.T, o stackOpts) *stack {
	t.Helper()
	rules := o.rules
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "c.db")
	db, err := store.Open(ctx, store.Config{DSN: dsn})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	t.Cleanup(func() { db.Close() })

	s := &stack{simUser: "asterisk", simPW: "sim-secret", cdrs: store.NewCDRService(db), db: db, dsn: dsn}
	s.sim, err = arisim.New(arisim.Config{Username: s.simUser, Password: s.simPW, CDR: s.cdrs, TimeScale: 0.2, Rules: rules, InboundApp: "centralita"})
	require.NoError(t, err)
	require.NoError(t, s.sim.Start(ctx, "127.0.0.1:0"))
	t.Cleanup(func() { s.sim.Close() })

	out, err := cli(t, "", "keys", "create", "--description", "e2e", "--db", dsn)
	require.NoError(t, err)
	s.key = regexp.MustCompile(`(?m)^[0-9a-f]{32}$`).FindString(out)
	if o.setup != nil {
		o.setup(dsn)
	}

	addr := freeAddr(t)
	s.url = "http://" + addr
	args := append([]string{"serve", "--listen", addr, "--db", dsn, "--data-dir", dir, "--timezone", "UTC",
		"--ari-url", s.sim.URL() + "/ari", "--ari-user", s.simUser, "--ari-password", s.simPW, "--log-format", "json", "--log-level", "info"}, o.args...)
	var cancel context.CancelFunc
	var done chan error
	stderr := &syncBuffer{}
	start := func() {
		var sctx context.Context
		sctx, cancel = context.WithCancel(ctx)
		done = make(chan error, 1)
		go func() { done <- run(sctx, args, nil, &syncBuffer{}, stderr) }()
		require.Eventually(t, func() bool {
			res, err := http.Get(s.url + "/healthz")
			if err != nil {
				return false
			}
			res.Body.Close()
			return res.StatusCode == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond, "serve did not become healthy: %s", stderr)
	}
	stop := func() {
		cancel()
		require.NoError(t, <-done, stderr.String())
		http.DefaultClient.CloseIdleConnections()
	}
	s.restart = func() { stop(); start() }
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("serve's log:\n%s", stderr)
		}
	})
	start()
	return s
}

// soapCall posts a document/literal request and returns the text of <return>.
func (s *stack) soapCall(t *testing.T, op string, params ...string) string {
	var b strings.Builder
	b.WriteString(`<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:` + op + ` xmlns:ns0="urn:apiws">`)
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteString("<" + params[i] + ">" + params[i+1] + "</" + params[i] + ">")
	}
	b.WriteString(`</ns0:` + op + `></soap-env:Body></soap-env:Envelope>`)
	res, err := http.Post(s.url+"/apiws/2/apiws.php", "text/xml; charset=utf-8", strings.NewReader(b.String()))
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	m := regexp.MustCompile(`<return[^>]*>([^<]*)</return>`).FindSubmatch(body)
	require.NotNil(t, m, string(body))
	return string(m[1])
}

func (s *stack) originate(t *testing.T, src, dst string) string {
	return s.soapCall(t, "originateCall", "authorizedKey", s.key, "src", src, "srcCallerID", "Ana", "dst", dst, "dstCallerID", "Cliente", "timeout", "20", "callinfo", "e2e")
}

func (s *stack) status(t *testing.T, id string) string {
	return s.soapCall(t, "originateCallStatus", "authorizedKey", s.key, "originatedID", id)
}

func (s *stack) simPost(t *testing.T, path string) {
	req, err := http.NewRequest(http.MethodPost, s.sim.URL()+path, strings.NewReader("{}"))
	require.NoError(t, err)
	req.SetBasicAuth(s.simUser, s.simPW)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

func TestZeepPBXOperations(t *testing.T) {
	s := startStack(t)
	cmd := exec.Command("/usr/bin/python3", "testdata/zeep_pbx.py", s.url+"/apiws/2/apiws.php?wsdl", s.key, s.sim.URL(), s.simUser, s.simPW)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("zeep script failed (make test installs python3-zeep): %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	var r struct {
		AnsweredID                                  string `json:"answered_id"`
		Answered, Busy, NoAnswer, Congestion, Offhk []int
		CancelBefore                                int                 `json:"cancel_status_before"`
		Cancel, CancelAgain, CancelAfter            int                 `json:"-"`
		ChannelsLeft                                []string            `json:"cancel_channels_left"`
		UnknownStatus                               int                 `json:"unknown_status"`
		UnknownCancel                               int                 `json:"unknown_cancel"`
		BadKey                                      []any               `json:"bad_key"`
		Extensions                                  [][]string          `json:"extensions"`
		CDRTag                                      string              `json:"cdr_tag"`
		CDRCalls                                    []map[string]string `json:"cdr_calls"`
		CDROne                                      []map[string]string `json:"cdr_one"`
		CDRCustom                                   []map[string]string `json:"cdr_custom"`
	}
	require.NoError(t, json.Unmarshal(out, &r), string(out))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(out, &raw))
	require.NoError(t, json.Unmarshal(mustJSON(raw["noanswer"]), &r.NoAnswer))
	require.NoError(t, json.Unmarshal(mustJSON(raw["offhook"]), &r.Offhk))

	require.Equal(t, []int{1, 2, 3}, r.Answered, "101 → 5551234 rings, is answered, hangs up")
	require.Equal(t, 4, last(r.Busy), "ending in 7 is busy")
	require.Equal(t, 5, last(r.NoAnswer), "ending in 8 rings out")
	require.Equal(t, 6, last(r.Congestion), "ending in 9 is congestion")
	require.Equal(t, []int{7}, r.Offhk, "an off-hook source")
	require.Equal(t, 1, r.CancelBefore)
	require.EqualValues(t, 1, raw["cancel"], "cancel while ringing")
	require.EqualValues(t, 0, raw["cancel_again"])
	require.EqualValues(t, 3, raw["cancel_status_after"])
	require.Empty(t, r.ChannelsLeft, "the cancelled call ends")
	require.Equal(t, 0, r.UnknownStatus)
	require.Equal(t, 0, r.UnknownCancel)
	require.Equal(t, []any{"-1", float64(-1), float64(-1), "-1", "-1", "-1"}, r.BadKey)
	require.Len(t, r.Extensions, 20)
	require.Equal(t, []string{"101", "PJSIP/101", "101"}, r.Extensions[0])

	require.Equal(t, "cdr", r.CDRTag)
	byID := map[string]map[string]string{}
	for _, c := range r.CDRCalls {
		for _, attr := range []string{"uniqueid", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "calldate", "duration", "billsec", "disposition"} {
			require.Contains(t, c, attr)
		}
		byID[c["uniqueid"]] = c
	}
	a := byID[r.AnsweredID+"-src"]
	require.NotNil(t, a, "the answered call is listed: %v", r.CDRCalls)
	require.Equal(t, "ANSWERED", a["disposition"])
	require.Equal(t, "101", a["src"])
	require.Equal(t, "Juan Perez (101)", a["clid"])
	require.Regexp(t, `^PJSIP/5551234@trunk-|^PJSIP/trunk-`, a["dstchannel"])
	require.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, a["calldate"])
	require.Len(t, r.CDROne, 1)
	require.Equal(t, a, r.CDROne[0])
	require.NotEmpty(t, r.CDRCustom)
	var custom map[string]string
	for _, c := range r.CDRCustom {
		if c["uniqueid"] == r.AnsweredID+"-src" {
			custom = c
		}
	}
	require.Equal(t, "01-43-1", custom["observaciones"])
	require.Equal(t, "ANSWERED", custom["estado"])
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func last(seq []int) int {
	if len(seq) == 0 {
		return -100
	}
	return seq[len(seq)-1]
}

// TestOriginationSurvivesEventGap cuts the events websocket mid-call: the
// call still ends with status 3 and its CDR.
func TestOriginationSurvivesEventGap(t *testing.T) {
	s := startStack(t)
	id := s.originate(t, "110", "5551234")
	require.Eventually(t, func() bool { return s.status(t, id) == "2" }, 10*time.Second, 10*time.Millisecond)
	s.simPost(t, "/sim/websockets/cut")
	require.Eventually(t, func() bool { return s.status(t, id) == "3" }, 15*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		cdrs, err := s.cdrs.FindCDRs(context.Background(), centralita.CDRFilter{UniqueID: id + "-src"})
		return err == nil && len(cdrs) == 1 && cdrs[0].Disposition == centralita.DispositionAnswered
	}, 10*time.Second, 20*time.Millisecond)
}

// TestConcurrentOriginations: 200 originateCalls at once all reach a final
// status, and each leaves exactly one CDR.
func TestConcurrentOriginations(t *testing.T) {
	// Sources (555…) answer and stay; destinations (556…) answer and the far
	// end hangs up after 15 s (3 s scaled), ending each call.
	s := startStack(t,
		arisim.Rule{Match: arisim.MatchPrefix, Pattern: "555", Outcome: arisim.OutcomeAnswer, RingDelay: time.Second},
		arisim.Rule{Match: arisim.MatchPrefix, Pattern: "556", Outcome: arisim.OutcomeAnswer, RingDelay: time.Second, TalkDuration: 15 * time.Second})
	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Numbers ending in 1 and 2: the simulator answers them (7, 8 and 9 fail).
			ids[i] = s.originate(t, fmt.Sprintf("555%04d1", i), fmt.Sprintf("556%04d2", i))
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		require.Regexp(t, `^[0-9a-f]{16}$`, id)
		require.False(t, seen[id], "job ids are unique")
		seen[id] = true
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts := map[string]int{}
		for _, id := range ids {
			counts[s.status(t, id)]++
		}
		if counts["3"] == n {
			break
		}
		require.True(t, time.Now().Before(deadline), "every call reaches HUNGUP; statuses: %v", counts)
		time.Sleep(time.Second)
	}
	var problem string
	cdrsOK := func() bool {
		all, err := s.cdrs.FindCDRs(context.Background(), centralita.CDRFilter{})
		if err != nil {
			problem = err.Error()
			return false
		}
		perCall := map[string]int{}
		for _, c := range all {
			id := strings.TrimSuffix(c.UniqueID, "-src")
			if !seen[id] || c.Disposition != centralita.DispositionAnswered {
				problem = fmt.Sprintf("unexpected CDR %s %s (%s → %s)", c.UniqueID, c.Disposition, c.Channel, c.DstChannel)
				return false
			}
			perCall[id]++
		}
		for id := range seen {
			if perCall[id] != 1 {
				problem = fmt.Sprintf("call %s has %d CDRs", id, perCall[id])
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(20 * time.Second); !cdrsOK(); time.Sleep(50 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "one ANSWERED CDR per call: %s", problem)
	}
}
