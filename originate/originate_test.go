package originate_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/originate"
	"github.com/centralita/centralita/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scriptPBX is a PBX whose events the test sends by hand. It records what
// the engine asked of it.
type scriptPBX struct {
	mu         sync.Mutex
	events     chan centralita.ChannelEvent
	originated []centralita.OriginateRequest
	hungup     []string
	bridges    map[string][]string
	live       map[string]string // channel id → state
	inUse      map[string]bool   // endpoint → has a channel
	offhook    map[string]bool   // device → INUSE with no channel
	failNext   error
}

func newScriptPBX() *scriptPBX {
	return &scriptPBX{events: make(chan centralita.ChannelEvent, 100), bridges: map[string][]string{}, live: map[string]string{}, inUse: map[string]bool{}, offhook: map[string]bool{}}
}

func (p *scriptPBX) Originate(_ context.Context, r centralita.OriginateRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failNext != nil {
		err := p.failNext
		p.failNext = nil
		return err
	}
	p.originated = append(p.originated, r)
	p.live[r.ChannelID] = "Down"
	return nil
}

func (p *scriptPBX) Hangup(_ context.Context, id, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hungup = append(p.hungup, id)
	if _, ok := p.live[id]; !ok {
		return centralita.Errorf(centralita.ENOTFOUND, "channel not found")
	}
	delete(p.live, id)
	go func() { p.events <- centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: id, Cause: 16} }()
	return nil
}

func (p *scriptPBX) CreateBridge(_ context.Context, id, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bridges[id] = nil
	return nil
}

func (p *scriptPBX) AddChannel(_ context.Context, b, ch string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bridges[b] = append(p.bridges[b], ch)
	return nil
}

func (p *scriptPBX) DestroyBridge(_ context.Context, b string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.bridges, b)
	return nil
}

func (p *scriptPBX) ListChannels(context.Context) ([]centralita.ChannelInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []centralita.ChannelInfo
	for id, st := range p.live {
		out = append(out, centralita.ChannelInfo{ID: id, State: st})
	}
	return out, nil
}

func (p *scriptPBX) ListEndpoints(context.Context) ([]centralita.EndpointInfo, error) {
	return nil, nil
}

func (p *scriptPBX) Endpoint(_ context.Context, name string) (centralita.EndpointInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ep := centralita.EndpointInfo{Technology: "PJSIP", Resource: name, State: "online"}
	if p.inUse[name] {
		ep.ChannelIDs = []string{"other"}
	}
	return ep, nil
}

func (p *scriptPBX) DeviceState(_ context.Context, name string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offhook[name] {
		return "INUSE", nil
	}
	return "NOT_INUSE", nil
}

func (p *scriptPBX) Subscribe() (<-chan centralita.ChannelEvent, func()) { return p.events, func() {} }

// answer marks a channel up and sends its StasisStart.
func (p *scriptPBX) answer(id string) {
	p.mu.Lock()
	p.live[id] = "Up"
	p.mu.Unlock()
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelEntered, ChannelID: id}
}

// end hangs a channel up from the far end with a cause.
func (p *scriptPBX) end(id string, cause int) {
	p.mu.Lock()
	delete(p.live, id)
	p.mu.Unlock()
	p.events <- centralita.ChannelEvent{Type: centralita.ChannelHungup, ChannelID: id, Cause: cause}
}

func (p *scriptPBX) endpointsDialled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.originated {
		out = append(out, r.Endpoint)
	}
	return out
}

type harness struct {
	pbx   *scriptPBX
	store *store.OriginationService
	eng   *originate.Engine
	now   time.Time
	mu    sync.Mutex
}

func (h *harness) clock() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }
func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.now = h.now.Add(d)
	h.mu.Unlock()
}

func newHarness(t *testing.T) *harness {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite::memory:"})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	t.Cleanup(func() { db.Close() })
	h := &harness{pbx: newScriptPBX(), store: store.NewOriginationService(db), now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	h.start(t)
	return h
}

func (h *harness) start(t *testing.T) {
	h.eng = originate.New(originate.Config{PBX: h.pbx, Store: h.store, Now: h.clock})
	require.NoError(t, h.eng.Start(context.Background()))
	t.Cleanup(h.eng.Close)
}

func (h *harness) waitStatus(t *testing.T, id string, want centralita.OriginationStatus) {
	t.Helper()
	require.Eventually(t, func() bool {
		st, err := h.eng.OriginationStatus(context.Background(), id)
		return err == nil && st == want
	}, 5*time.Second, 2*time.Millisecond, "job %s never reached status %d", id, want)
}

func call(t *testing.T, h *harness, src, dst string) *centralita.Origination {
	t.Helper()
	o, err := h.eng.Originate(context.Background(), centralita.OriginationRequest{Src: src, SrcCallerID: "Juan Perez", Dst: dst, DstCallerID: "Netgate", Timeout: 20 * time.Second, CallInfo: "01-43-1"})
	require.NoError(t, err)
	return o
}

func TestOriginationOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(h *harness, o *centralita.Origination)
		want   centralita.OriginationStatus
	}{
		{"answered then far end hangs up", func(h *harness, o *centralita.Origination) {
			h.pbx.answer(o.SrcChannel)
			// Answer the destination only once it was dialled: the script
			// PBX would otherwise create it again after the test ended it.
			h.waitDialled(2)
			h.pbx.answer(o.ID + "-dst")
		}, centralita.OriginationAnswer},
		{"source busy is off-hook", func(h *harness, o *centralita.Origination) { h.pbx.end(o.SrcChannel, 17) }, centralita.OriginationOffhook},
		{"source rings out", func(h *harness, o *centralita.Origination) { h.pbx.end(o.SrcChannel, 19) }, centralita.OriginationNoAnswer},
		{"source unreachable", func(h *harness, o *centralita.Origination) { h.pbx.end(o.SrcChannel, 18) }, centralita.OriginationCongestion},
		{"destination busy", func(h *harness, o *centralita.Origination) {
			h.pbx.answer(o.SrcChannel)
			h.waitDialled(2)
			h.pbx.end(o.ID+"-dst", 17)
		}, centralita.OriginationBusy},
		{"destination no answer", func(h *harness, o *centralita.Origination) {
			h.pbx.answer(o.SrcChannel)
			h.waitDialled(2)
			h.pbx.end(o.ID+"-dst", 19)
		}, centralita.OriginationNoAnswer},
		{"destination congestion", func(h *harness, o *centralita.Origination) {
			h.pbx.answer(o.SrcChannel)
			h.waitDialled(2)
			h.pbx.end(o.ID+"-dst", 34)
		}, centralita.OriginationCongestion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			o := call(t, h, "101", "5551234")
			require.Equal(t, centralita.OriginationRinging, o.Status)
			tc.script(h, o)
			h.waitStatus(t, o.ID, tc.want)
			if tc.want == centralita.OriginationAnswer {
				h.pbx.end(o.ID+"-dst", 16)
				h.waitStatus(t, o.ID, centralita.OriginationHungup)
			}
			// Every leg that was dialled ends up hung up; no bridge is left.
			require.Eventually(t, func() bool {
				chans, _ := h.pbx.ListChannels(context.Background())
				h.pbx.mu.Lock()
				defer h.pbx.mu.Unlock()
				return len(chans) == 0 && len(h.pbx.bridges) == 0
			}, 5*time.Second, 2*time.Millisecond)
			stored, err := h.store.FindOrigination(context.Background(), o.ID)
			require.NoError(t, err)
			require.Equal(t, tc.want == centralita.OriginationAnswer, stored.AnsweredAt != nil)
			require.NotNil(t, stored.EndedAt)
		})
	}
}

// waitDialled waits until the engine has dialled n legs.
func (h *harness) waitDialled(n int) {
	for range 1000 {
		if len(h.pbx.endpointsDialled()) >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestOriginationDialsAndBridges(t *testing.T) {
	h := newHarness(t)
	o := call(t, h, "101", "5551234")
	h.pbx.answer(o.SrcChannel)
	require.Eventually(t, func() bool { return len(h.pbx.endpointsDialled()) == 2 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"PJSIP/101", "PJSIP/5551234@trunk"}, h.pbx.endpointsDialled())
	h.pbx.mu.Lock()
	src, dst := h.pbx.originated[0], h.pbx.originated[1]
	h.pbx.mu.Unlock()
	require.Equal(t, "Juan Perez", src.CallerIDName)
	require.Equal(t, "Netgate", dst.CallerIDName)
	require.Equal(t, "01-43-1", dst.Variables["CDR(userfield)"])
	require.Equal(t, 20*time.Second, dst.Timeout)
	h.pbx.answer(o.ID + "-dst")
	h.waitStatus(t, o.ID, centralita.OriginationAnswer)
	h.pbx.mu.Lock()
	require.ElementsMatch(t, []string{o.SrcChannel, o.ID + "-dst"}, h.pbx.bridges[o.ID+"-bridge"])
	h.pbx.mu.Unlock()
	h.pbx.end(o.SrcChannel, 16)
	h.waitStatus(t, o.ID, centralita.OriginationHungup)
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		return len(h.pbx.live) == 0 && len(h.pbx.bridges) == 0
	}, 5*time.Second, time.Millisecond, "the destination is hung up and the bridge destroyed")
}

func TestOriginationOffhookAndFailures(t *testing.T) {
	h := newHarness(t)
	h.pbx.inUse["PJSIP/102"] = true
	o := call(t, h, "102", "5551234")
	require.Equal(t, centralita.OriginationOffhook, o.Status)
	require.Empty(t, h.pbx.endpointsDialled(), "an in-use source is not rung")
	h.pbx.offhook["PJSIP/104"] = true
	o = call(t, h, "104", "5551234")
	require.Equal(t, centralita.OriginationOffhook, o.Status, "an off-hook source (device INUSE) is not rung")
	require.Empty(t, h.pbx.endpointsDialled())

	h.pbx.failNext = centralita.Errorf(centralita.EUNAVAILABLE, "endpoint not registered")
	o = call(t, h, "103", "5551234")
	require.Equal(t, centralita.OriginationCongestion, o.Status)

	for _, bad := range []centralita.OriginationRequest{
		{Src: "", Dst: "5551234"},
		{Src: "101", Dst: "55a1234"},
		{Src: "101", Dst: "5551234", Timeout: time.Hour},
		{Src: "101", Dst: "5551234", Timeout: -time.Second},
	} {
		_, err := h.eng.Originate(context.Background(), bad)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", bad)
	}
}

func TestOriginationCancelAndRetention(t *testing.T) {
	h := newHarness(t)
	o := call(t, h, "101", "5551234")
	require.NoError(t, h.eng.CancelOrigination(context.Background(), o.ID))
	st, err := h.eng.OriginationStatus(context.Background(), o.ID)
	require.NoError(t, err)
	require.Equal(t, centralita.OriginationHungup, st)
	require.Eventually(t, func() bool {
		h.pbx.mu.Lock()
		defer h.pbx.mu.Unlock()
		return len(h.pbx.live) == 0
	}, 5*time.Second, time.Millisecond, "cancel hangs the ringing source up")
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.CancelOrigination(context.Background(), o.ID)))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.CancelOrigination(context.Background(), "nope")))

	h.advance(59 * time.Second)
	h.waitStatus(t, o.ID, centralita.OriginationHungup)
	h.advance(2 * time.Second)
	h.waitStatus(t, o.ID, centralita.OriginationUnknown)
	st, err = h.eng.OriginationStatus(context.Background(), "never-existed")
	require.NoError(t, err)
	require.Equal(t, centralita.OriginationUnknown, st)
}

func TestOriginationReconcilesAfterGap(t *testing.T) {
	h := newHarness(t)
	o := call(t, h, "101", "5551234")
	h.pbx.answer(o.SrcChannel)
	require.Eventually(t, func() bool { return len(h.pbx.endpointsDialled()) == 2 }, 5*time.Second, time.Millisecond)
	h.pbx.answer(o.ID + "-dst")
	h.waitStatus(t, o.ID, centralita.OriginationAnswer)

	// Events lost: both legs end while the event stream is down.
	h.pbx.mu.Lock()
	delete(h.pbx.live, o.SrcChannel)
	delete(h.pbx.live, o.ID+"-dst")
	h.pbx.mu.Unlock()
	h.pbx.events <- centralita.ChannelEvent{Type: centralita.PBXReconnected}
	h.waitStatus(t, o.ID, centralita.OriginationHungup)
}

func TestOriginationRecoversAfterRestart(t *testing.T) {
	h := newHarness(t)
	talking := call(t, h, "101", "5551234")
	h.pbx.answer(talking.SrcChannel)
	require.Eventually(t, func() bool { return len(h.pbx.endpointsDialled()) == 2 }, 5*time.Second, time.Millisecond)
	h.pbx.answer(talking.ID + "-dst")
	h.waitStatus(t, talking.ID, centralita.OriginationAnswer)
	ringing := call(t, h, "102", "5551235")
	h.eng.Close()

	// While Centralita is down the ringing call rings out; the talking one goes on.
	h.pbx.mu.Lock()
	delete(h.pbx.live, ringing.SrcChannel)
	h.pbx.mu.Unlock()
	h.start(t)
	h.waitStatus(t, talking.ID, centralita.OriginationAnswer)
	h.waitStatus(t, ringing.ID, centralita.OriginationCongestion)
	h.pbx.end(talking.SrcChannel, 16)
	h.waitStatus(t, talking.ID, centralita.OriginationHungup)
}

// flakyStore fails writes while down is set.
type flakyStore struct {
	centralita.OriginationService
	mu   sync.Mutex
	down bool
}

func (s *flakyStore) UpdateOrigination(ctx context.Context, o *centralita.Origination) error {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return errors.New("database restarting")
	}
	return s.OriginationService.UpdateOrigination(ctx, o)
}

func TestOriginationSurvivesDatabaseOutage(t *testing.T) {
	h := newHarness(t)
	h.eng.Close()
	fs := &flakyStore{OriginationService: h.store}
	h.eng = originate.New(originate.Config{PBX: h.pbx, Store: fs, Now: h.clock, RetryInterval: 10 * time.Millisecond})
	require.NoError(t, h.eng.Start(context.Background()))
	defer h.eng.Close()
	o := call(t, h, "101", "5551234")
	fs.mu.Lock()
	fs.down = true
	fs.mu.Unlock()
	h.pbx.end(o.SrcChannel, 17)
	h.waitStatus(t, o.ID, centralita.OriginationOffhook)
	fs.mu.Lock()
	fs.down = false
	fs.mu.Unlock()
	require.Eventually(t, func() bool {
		got, err := h.store.FindOrigination(context.Background(), o.ID)
		return err == nil && got.Status == centralita.OriginationOffhook
	}, 5*time.Second, 5*time.Millisecond, "the final status reaches the database once it is back")
}
