package sms_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
)

func TestBatchAboveOneSecondsWorthIsAccepted(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	e, _ := newEngine(t, sms.Config{Provider: &fakeProvider{}, Rate: 10, Now: clk.Now}, false)
	rcpts := make([]string, 11)
	for i := range rcpts {
		rcpts[i] = fmt.Sprintf("0980%05d", i)
	}
	ctx := context.Background()
	_, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{strings.Join(rcpts, ",")}, Text: "hola"})
	require.NoError(t, err, "11 recipients at 10/s were refused for ever")
	_, err = e.Send(ctx, centralita.SMSRequest{Recipients: []string{"091"}, Text: "x"})
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(err))
	clk.Set(clk.Now().Add(200 * time.Millisecond)) // -1 + 2 tokens
	_, err = e.Send(ctx, centralita.SMSRequest{Recipients: []string{"091"}, Text: "x"})
	require.NoError(t, err)
}

func TestClaimOfACrashedProcessIsResentAfterTheLease(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	p := &fakeProvider{}
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 100, Now: clk.Now, Lease: time.Minute, SendTimeout: time.Second}, false)
	ctx := context.Background()
	ms := []*centralita.SMS{{Recipient: "098344484", Text: "hola"}}
	require.NoError(t, st.CreateSMS(ctx, ms))
	// A process claimed it and died before sending.
	claimed, err := st.ClaimSMS(ctx, "dead-process", clk.Now(), 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)

	require.NoError(t, e.Start(ctx))
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	time.Sleep(50 * time.Millisecond)
	require.Empty(t, p.Sent(), "not before the lease expires")
	clk.Set(clk.Now().Add(61 * time.Second))
	require.Eventually(t, func() bool { return len(p.Sent()) == 1 }, 5*time.Second, 5*time.Millisecond)
	waitStatus(t, e, ms[0].ID, string(centralita.SMSSent))
	m, err := st.FindSMS(ctx, ms[0].ID)
	require.NoError(t, err)
	require.Equal(t, 1, m.Attempts)
}

// slowProvider takes d per message, or until its context ends.
type slowProvider struct {
	fakeProvider
	d       time.Duration
	started chan struct{}
	once    sync.Once
}

func (p *slowProvider) Send(ctx context.Context, m *centralita.SMS) ([]string, error) {
	p.once.Do(func() { close(p.started) })
	select {
	case <-time.After(p.d):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p.fakeProvider.Send(ctx, m)
}

func TestCloseDuringAnUploadKeepsTheBaseAndFinishesTheSendInFlight(t *testing.T) {
	p := &slowProvider{d: 300 * time.Millisecond, started: make(chan struct{})}
	e, st := newEngine(t, sms.Config{Provider: p, Rate: 1, SendTimeout: 5 * time.Second}, false)
	ctx := context.Background()
	require.NoError(t, e.Start(ctx))
	_, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Filename: "b.txt", Content: []byte("c;091\nc;092\nc;093\n")})
	require.NoError(t, err)
	// Every line is a row before UploadBase answers.
	all, err := st.FindSMSList(ctx, centralita.SMSFilter{Campaign: "c"})
	require.NoError(t, err)
	require.Len(t, all, 3)

	<-p.started
	require.NoError(t, e.Close()) // a restart: not a cancellation
	all, err = st.FindSMSList(ctx, centralita.SMSFilter{Campaign: "c"})
	require.NoError(t, err)
	var sent, pending int
	for _, m := range all {
		switch m.Status {
		case centralita.SMSSent:
			sent++
		case centralita.SMSPending:
			pending++
			require.Empty(t, m.Error)
		default:
			t.Fatalf("message %d is %s (%s) after a shutdown", m.ID, m.Status, m.Error)
		}
	}
	require.Equal(t, 1, sent, "the send in flight finished and its outcome was stored")
	require.Equal(t, 2, pending, "the rest stay queued for the next start")
	require.Len(t, p.Sent(), 1)

	// The next start sends them.
	p2 := &fakeProvider{}
	e2, err := sms.New(sms.Config{Store: st, Provider: p2, Rate: 100, PollInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, e2.Start(ctx))
	t.Cleanup(func() { require.NoError(t, e2.Close()) })
	require.Eventually(t, func() bool { return len(p2.Sent()) == 2 }, 5*time.Second, 5*time.Millisecond)
}

func TestUploadBaseLinesAndLimits(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{fail: func(*centralita.SMS) error { <-release; return nil }}
	e, _ := newEngine(t, sms.Config{Provider: p, Rate: 1}, true)
	defer close(release)
	ctx := context.Background()
	// An over-long line is rejected and the lines after it are still read;
	// blank lines do not count.
	content := "c;091\n\n;092;" + strings.Repeat("x", 9000) + "\n\nc;093\n  \nc;094"
	id, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Content: []byte(content)})
	require.NoError(t, err)
	js, err := e.Jobs(ctx)
	require.NoError(t, err)
	require.Len(t, js, 1)
	require.Equal(t, id, js[0].ID)
	require.EqualValues(t, 4, js[0].Total)
	require.EqualValues(t, 3, js[0].Done)
	require.EqualValues(t, 1, js[0].Rejected)
	require.EqualValues(t, 3, js[0].Rejections[0].Line)
	require.Contains(t, js[0].Rejections[0].Reason, "at most")

	// At most 16 uploads sending at once.
	for range 15 {
		_, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Content: []byte("c;095\n")})
		require.NoError(t, err)
	}
	_, err = e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Content: []byte("c;096\n")})
	require.Equal(t, centralita.ELIMITED, centralita.ErrorKind(err))
	require.NoError(t, e.CancelJob(ctx, id))
	require.Eventually(t, func() bool {
		_, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Content: []byte("c;096\n")})
		return err == nil
	}, 5*time.Second, 5*time.Millisecond, "a slot is free once a job is over")
}

func TestPaceCountsParts(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	p := &fakeProvider{fail: func(*centralita.SMS) error {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		return nil
	}}
	e, _ := newEngine(t, sms.Config{Provider: p, Rate: 2}, false)
	ctx := context.Background()
	_, err := e.Send(ctx, centralita.SMSRequest{Recipients: []string{"091"}, Text: strings.Repeat("a", 400)}) // 3 parts
	require.NoError(t, err)
	_, err = e.Send(ctx, centralita.SMSRequest{Recipients: []string{"092"}, Text: "b"})
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, e.Start(ctx))
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	require.Eventually(t, func() bool { return len(p.Sent()) == 2 }, 5*time.Second, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	// 3 parts then 1 at 2 parts/s (a bucket of 2): the first waits half a
	// second for its third part, the second half a second more; counting
	// messages, both went at once.
	require.GreaterOrEqual(t, at[0].Sub(start), 400*time.Millisecond)
	require.GreaterOrEqual(t, at[1].Sub(start), 900*time.Millisecond)
}
