package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/ari/arisim"
	"github.com/centralita/centralita/auth"
	"github.com/centralita/centralita/soap"
	"github.com/centralita/centralita/store"
)

// BenchmarkOriginateCall measures originateCall SOAP round trips against the
// simulator over real ARI, interleaved with a SOAP request that does no work
// (a "ping" operation registered only here), and reports both rates and
// their ratio: the cost of origination over the SOAP floor.
func BenchmarkOriginateCall(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	logger := slog.New(slog.DiscardHandler)
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(dir, "b.db"), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	// Calls ring 10 ms and last 40 ms, so they end while the benchmark runs.
	sim, err := arisim.New(arisim.Config{Username: "asterisk", Password: "bench", CDR: store.NewCDRService(db), TimeScale: 0.01, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()

	keys := store.NewAccessKeyService(db)
	key, hash := auth.NewKey()
	if err := keys.CreateAccessKey(ctx, &centralita.AccessKey{Description: "bench", Hash: hash}); err != nil {
		b.Fatal(err)
	}
	authn := auth.New(auth.Config{Keys: keys, Users: store.NewUserService(db), Logger: logger})
	cfg := &serveConfig{ariURL: sim.URL() + "/ari", ariUser: "asterisk", ariPassword: "bench", ariApp: "centralita",
		location: time.UTC, trunkEndpoint: "PJSIP/%s@trunk", jobRetention: time.Minute, acd: acdFlags{crmTimeout: time.Second}}
	tel, err := startTelephony(ctx, cfg, db, logger)
	if err != nil {
		b.Fatal(err)
	}
	defer tel.close()
	srv, err := tel.soapServer(cfg, db, authn, logger)
	if err != nil {
		b.Fatal(err)
	}
	srv.HandleOperation(soap.Operation{Name: "ping", Return: soap.String}, func(context.Context, *soap.Request) (any, error) { return "pong", nil })
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client := hs.Client()

	post := func(body string) string {
		res, err := client.Post(hs.URL, "text/xml; charset=utf-8", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("status %d: %s %v", res.StatusCode, data, err)
		}
		return string(data)
	}
	envelope := func(op, inner string) string {
		return `<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:` + op +
			` xmlns:ns0="urn:apiws">` + inner + `</ns0:` + op + `></soap-env:Body></soap-env:Envelope>`
	}
	ping := envelope("ping", "")
	jobID := regexp.MustCompile(`<return[^>]*>[0-9a-f]{16}</return>`)

	var pingTime, origTime time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if out := post(ping); !strings.Contains(out, "pong") {
			b.Fatalf("ping: %s", out)
		}
		t1 := time.Now()
		// Numbers ending in 1: the simulator answers them.
		out := post(envelope("originateCall", fmt.Sprintf("<authorizedKey>%s</authorizedKey><src>55%06d1</src><srcCallerID>b</srcCallerID>"+
			"<dst>56%06d1</dst><dstCallerID>b</dstCallerID><timeout>5</timeout><callinfo>bench</callinfo>", key, i, i)))
		t2 := time.Now()
		if !jobID.MatchString(out) {
			b.Fatalf("originateCall: %s", out)
		}
		pingTime += t1.Sub(t0)
		origTime += t2.Sub(t1)
		i++
	}
	b.ReportMetric(float64(i)/origTime.Seconds(), "originateCall/s")
	b.ReportMetric(float64(i)/pingTime.Seconds(), "noop/s")
	b.ReportMetric(origTime.Seconds()/pingTime.Seconds(), "originate/noop")
}
