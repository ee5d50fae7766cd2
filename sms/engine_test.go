package sms_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
	"github.com/centralita/centralita/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// fakeProvider records what it sends and fails while fail returns an error.
type fakeProvider struct {
	mu   sync.Mutex
	sent []*centralita.SMS
	fail func(m *centralita.SMS) error
}

func (p *fakeProvider) Name() string                          { return "fake" }
func (p *fakeProvider) Start(context.Context, sms.Sink) error { return nil }
func (p *fakeProvider) Close() error                          { return nil }
func (p *fakeProvider) Send(_ context.Context, m *centralita.SMS) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(m); err != nil {
			return nil, err
		}
	}
	cp := *m
	p.sent = append(p.sent, &cp)
	return []string{"f" + cp.Recipient}, nil
}

func (p *fakeProvider) Sent() []*centralita.SMS {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*centralita.SMS(nil), p.sent...)
}

// openStore returns a migrated SQLite SMS store.
func openStore(t *testing.T) *store.SMSService {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "sms.db"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	return store.NewSMSService(db)
}

// newEngine builds an engine on a fresh store; cfg's Store is filled in.
func newEngine(t *testing.T, cfg sms.Config, start bool) (*sms.Engine, *store.SMSService) {
	t.Helper()
	st := openStore(t)
	cfg.Store = st
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Millisecond
	}
	e, err := sms.New(cfg)
	require.NoError(t, err)
	if start {
		require.NoError(t, e.Start(context.Background()))
		t.Cleanup(func() { require.NoError(t, e.Close()) })
	}
	return e, st
}

// waitStatus waits until the batch reports want.
func waitStatus(t *testing.T, e *sms.Engine, id int64, want string) []*centralita.SMS {
	t.Helper()
	var ms []*centralita.SMS
	require.Eventually(t, func() bool {
		var err error
		ms, err = e.Status(context.Background(), id)
		return err == nil && centralita.BatchStatus(ms, true) == want
	}, 10*time.Second, 5*time.Millisecond, "batch %d never reached %s", id, want)
	return ms
}

func TestSendRateLimit(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	e, _ := newEngine(t, sms.Config{Provider: &fakeProvider{}, Rate: 2, Now: clk.Now}, false)
	ctx := context.Background()
	send := func(rcpts string) error {
		_, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{rcpts}, Text: "hola"})
		return err
	}
	require.NoError(t, send("098344484"))
	require.NoError(t, send("098344485"))
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(send("098344486")), "third in the same second")
	_, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"091"}, Text: "draft", Draft: true})
	require.NoError(t, err, "drafts are not limited")
	// A request above one second's worth is accepted when the bucket is
	// full, and its debt refuses what follows until it is paid back.
	clk.Set(clk.Now().Add(time.Second))
	require.NoError(t, send("091 092 093"), "3 recipients at 2/s, nothing else in the last second")
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(send("094")), "in debt")
	clk.Set(clk.Now().Add(time.Second))
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(send("091,092")), "1 of the 2 tokens back")
	require.NoError(t, send("091"))
	clk.Set(clk.Now().Add(time.Second))
	require.NoError(t, send("091,092"))

	for _, bad := range []centralita.SMSRequest{
		{Recipients: []string{"abc"}, Text: "x"},
		{Recipients: []string{""}, Text: "x"},
		{Recipients: []string{"091"}, Text: "  "},
		{Recipients: []string{"091"}, Text: strings.Repeat("a", sms.MaxText+1)},
		{Recipients: []string{"091"}, Text: "x", Sender: strings.Repeat("s", sms.MaxSender+1)},
		{Recipients: []string{"091"}, Text: "x", Campaign: strings.Repeat("ñ", sms.MaxCampaign+1)},
		{Recipients: []string{"091"}, Text: "x", Agent: strings.Repeat("a", sms.MaxAgent+1)},
		{Recipients: []string{"091"}, Text: "x", MsgID: strings.Repeat("1", sms.MaxMsgID+1)},
	} {
		_, err := e.Send(ctx, bad)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", bad)
	}
}

func TestMultipleRecipientsShareABatch(t *testing.T) {
	p := &fakeProvider{}
	e, _ := newEngine(t, sms.Config{Provider: p, Rate: 100}, true)
	id, err := e.Send(context.Background(), centralita.SMSRequest{Recipients: []string{"098344484, 099124484 091"}, Text: "hola", MsgID: "0"})
	require.NoError(t, err)
	ms := waitStatus(t, e, id, string(centralita.SMSSent))
	require.Len(t, ms, 3)
	require.Len(t, p.Sent(), 3)
	for _, m := range ms {
		require.Equal(t, id, m.BatchID)
		require.Equal(t, 1, m.Parts)
	}
}

func TestRetryTransientThenError(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	var calls int
	var mu sync.Mutex
	p := &fakeProvider{fail: func(m *centralita.SMS) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if m.Recipient == "0999" {
			return centralita.Errorf(centralita.EINVALID, "bad destination")
		}
		return centralita.Errorf(centralita.EUNAVAILABLE, "SMSC down")
	}}
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 100, Retries: 2, Backoff: time.Minute, Now: clk.Now}, true)
	ctx := context.Background()
	id, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"098344484"}, Text: "hola"})
	require.NoError(t, err)
	for attempt := 1; attempt <= 2; attempt++ {
		require.Eventually(t, func() bool {
			m, err := st.FindSMS(ctx, id)
			return err == nil && m.Attempts == attempt && m.Status == centralita.SMSPending && m.NextAt != nil
		}, 5*time.Second, 5*time.Millisecond, "attempt %d", attempt)
		m, _ := st.FindSMS(ctx, id)
		require.Equal(t, "SMSC down", m.Error)
		// Backoff doubles: 1 min, then 2 min.
		require.True(t, clk.Now().Add(time.Duration(attempt)*time.Minute).Equal(*m.NextAt), "next try at %v", m.NextAt)
		time.Sleep(20 * time.Millisecond)
		m, _ = st.FindSMS(ctx, id)
		require.Equal(t, attempt, m.Attempts, "not retried before its time")
		clk.Set(*m.NextAt)
	}
	ms := waitStatus(t, e, id, string(centralita.SMSError))
	require.Equal(t, 3, ms[0].Attempts, "1 try + 2 retries")

	// A permanent failure is not retried.
	id, err = e.Send(ctx, centralita.SMSRequest{Recipients: []string{"0999"}, Text: "hola"})
	require.NoError(t, err)
	ms = waitStatus(t, e, id, string(centralita.SMSError))
	require.Equal(t, 1, ms[0].Attempts)
	require.Equal(t, "bad destination", ms[0].Error)
}

func TestScheduledSMSSentInItsMinute(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 10, 0, time.UTC)}
	p := &fakeProvider{}
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 100, Now: clk.Now, ScheduleInterval: 5 * time.Millisecond}, true)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 1, 30, 0, time.UTC)
	s := &centralita.ScheduledSMS{CallDate: at, Campaign: "prueba1", Destination: "098344484", Message: "recordatorio"}
	require.NoError(t, e.Schedule(ctx, s))
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(e.Schedule(ctx, &centralita.ScheduledSMS{CallDate: at, Destination: "x", Message: "m"})))

	time.Sleep(50 * time.Millisecond)
	require.Empty(t, p.Sent(), "not before its minute")
	clk.Set(time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC))
	require.Eventually(t, func() bool { return len(p.Sent()) == 1 }, 5*time.Second, 5*time.Millisecond)
	got := p.Sent()[0]
	require.Equal(t, 1, got.Priority)
	require.Equal(t, "Schedule20260301", got.Base)
	require.Equal(t, "prueba1", got.Campaign)
	list, err := st.FindSMSList(ctx, centralita.SMSFilter{Base: "Schedule20260301"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Eventually(t, func() bool {
		m, err := st.FindSMS(ctx, list[0].ID)
		return err == nil && m.Status == centralita.SMSSent && m.SentAt != nil && m.SentAt.Truncate(time.Minute).Equal(at.Truncate(time.Minute))
	}, 5*time.Second, 5*time.Millisecond)
}

func TestUploadBaseJob(t *testing.T) {
	p := &fakeProvider{}
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 1000}, true)
	ctx := context.Background()
	content := "\xef\xbb\xbfprueba1;098344484;hola; con punto y coma\r\n;099124484\nbad\nprueba1;abc;x\n\n;091;texto\n"
	id, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "Ventas->", Filename: "b.txt", Username: "sup", Message: "por defecto", Content: []byte(content)})
	require.NoError(t, err)
	var job centralita.Job
	require.Eventually(t, func() bool {
		js, err := e.Jobs(ctx)
		require.NoError(t, err)
		job = js[len(js)-1]
		return job.ID == id && job.State == centralita.JobDone
	}, 5*time.Second, 5*time.Millisecond)
	require.EqualValues(t, 3, job.Done)
	require.EqualValues(t, 2, job.Rejected)
	require.Equal(t, []int64{3, 4}, []int64{job.Rejections[0].Line, job.Rejections[1].Line})
	sent := p.Sent()
	require.Len(t, sent, 3)
	texts := map[string]string{}
	for _, m := range sent {
		texts[m.Recipient] = m.Campaign + "|" + m.Text
	}
	require.Equal(t, map[string]string{
		"098344484": "prueba1|hola; con punto y coma",
		"099124484": "Ventas->|por defecto",
		"091":       "Ventas->|texto",
	}, texts)
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(e.CancelJob(ctx, id)))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(e.CancelJob(ctx, "nope")))
	_, err = e.UploadBase(ctx, centralita.SMSBase{Content: []byte(" \n")})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	_ = st
}

func TestUploadBaseCancel(t *testing.T) {
	// A provider that blocks keeps the base's messages pending.
	release, sending := make(chan struct{}), make(chan struct{}, 3)
	p := &fakeProvider{fail: func(*centralita.SMS) error { sending <- struct{}{}; <-release; return nil }}
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 1}, true)
	defer close(release)
	ctx := context.Background()
	id, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Content: []byte("c;091\nc;092\nc;093\n")})
	require.NoError(t, err)
	js, err := e.Jobs(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, js[0].Done, "every line queued before UploadBase returns")
	<-sending // one message is being sent
	require.NoError(t, e.CancelJob(ctx, id))
	require.Eventually(t, func() bool {
		js, _ := e.Jobs(ctx)
		return js[0].State == centralita.JobCanceled
	}, 5*time.Second, 5*time.Millisecond)
	list, err := st.FindSMSList(ctx, centralita.SMSFilter{Status: centralita.SMSError})
	require.NoError(t, err)
	require.Len(t, list, 2, "the one being sent is not cancelled")
	require.Equal(t, "cancelled", list[0].Error)
}

func TestSegments(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		parts []int // characters per part
		ucs2  bool
	}{
		{"160 GSM-7 is one part", strings.Repeat("a", 160), []int{160}, false},
		{"161 GSM-7 is two", strings.Repeat("a", 161), []int{153, 8}, false},
		{"300 GSM-7 is two", strings.Repeat("b", 300), []int{153, 147}, false},
		{"escapes count double", strings.Repeat("€", 80), []int{80}, false},
		{"an escape is not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), []int{152, 11}, false},
		{"ñ is GSM-7", "mañana", []int{6}, false},
		{"70 UCS-2 is one part", strings.Repeat("日", 70), []int{70}, true},
		{"71 UCS-2 is two", strings.Repeat("日", 71), []int{67, 4}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs, ucs2 := sms.Segments(tc.text)
			require.Equal(t, tc.ucs2, ucs2)
			var n []int
			for _, s := range segs {
				n = append(n, len([]rune(s)))
			}
			require.Equal(t, tc.parts, n)
			require.Equal(t, tc.text, strings.Join(segs, ""))
		})
	}
}
