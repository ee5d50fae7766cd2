package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"github.com/centralita/centralita"
)

// SMPPConfig configures an SMPPProvider.
type SMPPConfig struct {
	// Addr is the SMSC's host:port; User and Password its system_id and
	// password; SystemType is optional.
	Addr, User, Password, SystemType string
	// Source is the default source address (a message's Sender wins):
	// digits ("+" for international) or an alphanumeric name.
	Source string
	// SubmitTimeout bounds the wait for a submit_sm_resp; default 10 s.
	SubmitTimeout time.Duration
	// EnquireLink is the keep-alive period; default 30 s.
	EnquireLink time.Duration
	// Rebind is the wait between connection attempts; default 5 s.
	Rebind time.Duration
	// Now stamps receipts; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// SMPPProvider sends over SMPP v3.4 with gosmpp, bound as a transceiver:
// submit_sm with registered_delivery 1; GSM-7 (data_coding 0, unpacked)
// when every character fits, else UCS-2 (data_coding 8); texts over 160
// GSM-7 septets or 70 UCS-2 units go as concatenated parts (UDH IEI 0,
// 8-bit reference, esm_class 0x40) of 153 or 67. deliver_sm with esm_class
// 0x04 is a delivery receipt ("id:… stat:DELIVRD …", or the
// receipted_message_id and message_state TLVs); any other deliver_sm is a
// received message (each part of a concatenated one is stored on its own).
// A deliver_sm is answered only once the engine stored it: when storing
// fails, deliver_sm_resp carries ESME_RX_T_APPN (temporary application
// error) so that the SMSC delivers it again later.
//
// It connects in the background and keeps reconnecting. Ready reports
// whether it is bound (the engine claims no message while it is not);
// a Send while it is not bound fails with EUNAVAILABLE wrapping
// ErrNotConnected, which costs the message no attempt, unless an earlier
// part already went out (then it counts as a failed attempt). Throttling,
// queue-full and system errors of the SMSC are transient; other error
// statuses fail the message. A message whose later part fails is sent
// again whole on retry.
type SMPPProvider struct {
	cfg SMPPConfig
	log *slog.Logger
	ref atomic.Uint32
	// bound is set once bound and after each rebind, cleared when the
	// connection closes.
	bound atomic.Bool

	mu      sync.Mutex
	session *gosmpp.Session
	pending map[int32]chan submitResult
	sink    Sink
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
}

// submitResult is a submit_sm_resp.
type submitResult struct {
	id     string
	status data.CommandStatusType
}

// NewSMPPProvider checks cfg; Start connects.
func NewSMPPProvider(cfg SMPPConfig) (*SMPPProvider, error) {
	if cfg.Addr == "" || cfg.User == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "smpp: the SMSC address and system id (user) are required")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "smpp: address %q: want host:port", cfg.Addr)
	}
	if cfg.SubmitTimeout <= 0 {
		cfg.SubmitTimeout = 10 * time.Second
	}
	if cfg.EnquireLink <= 0 {
		cfg.EnquireLink = 30 * time.Second
	}
	if cfg.Rebind <= 0 {
		cfg.Rebind = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &SMPPProvider{cfg: cfg, log: cfg.Logger, pending: make(map[int32]chan submitResult)}
	p.ref.Store(rand.Uint32())
	return p, nil
}

// Name is "smpp".
func (p *SMPPProvider) Name() string { return "smpp" }

// Ready reports whether the provider is bound to the SMSC (Readier).
func (p *SMPPProvider) Ready() bool { return p.bound.Load() }

// Start binds in the background, retrying every Rebind until it succeeds;
// gosmpp then rebinds by itself after a failure.
func (p *SMPPProvider) Start(ctx context.Context, sink Sink) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return centralita.Errorf(centralita.ECONFLICT, "smpp: already started")
	}
	p.sink = sink
	p.ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go p.connect()
	return nil
}

// connect binds once, retrying until it succeeds or Close.
func (p *SMPPProvider) connect() {
	defer close(p.done)
	auth := gosmpp.Auth{SMSC: p.cfg.Addr, SystemID: p.cfg.User, Password: p.cfg.Password, SystemType: p.cfg.SystemType}
	settings := gosmpp.Settings{
		EnquireLink: p.cfg.EnquireLink,
		ReadTimeout: 2*p.cfg.EnquireLink + time.Second,
		OnAllPDU:    p.onPDU,
		OnReceivingError: func(err error) {
			p.log.Warn("smpp: receive error", "err", err)
		},
		OnRebindingError: func(err error) {
			p.log.Warn("smpp: rebind failed; retrying", "smsc", p.cfg.Addr, "err", err)
		},
		OnClosed: func(s gosmpp.State) {
			p.bound.Store(false)
			p.log.Warn("smpp: connection closed", "smsc", p.cfg.Addr, "state", s.String())
		},
		OnRebind: func() {
			p.bound.Store(true)
			p.log.Info("smpp: bound again", "smsc", p.cfg.Addr)
		},
	}
	for {
		s, err := gosmpp.NewSession(gosmpp.TRXConnector(gosmpp.NonTLSDialer, auth), settings, p.cfg.Rebind)
		if err == nil {
			p.mu.Lock()
			if p.ctx.Err() != nil {
				p.mu.Unlock()
				_ = s.Close()
				return
			}
			p.session = s
			p.bound.Store(true)
			p.mu.Unlock()
			p.log.Info("smpp: bound as transceiver", "smsc", p.cfg.Addr, "system_id", p.cfg.User)
			return
		}
		p.log.Warn("smpp: bind failed; retrying", "smsc", p.cfg.Addr, "retry_in", p.cfg.Rebind, "err", err)
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(p.cfg.Rebind):
		}
	}
}

// Close unbinds.
func (p *SMPPProvider) Close() error {
	p.mu.Lock()
	if p.cancel == nil {
		p.mu.Unlock()
		return nil
	}
	p.cancel()
	p.bound.Store(false)
	p.mu.Unlock()
	<-p.done
	p.mu.Lock()
	s := p.session
	p.session = nil
	p.mu.Unlock()
	if s != nil {
		return s.Close()
	}
	return nil
}

// address builds an SMPP address: "+digits" international (TON 1, NPI 1),
// digits unknown/ISDN (TON 0, NPI 1), anything else alphanumeric (TON 5).
func address(s string) (pdu.Address, error) {
	switch {
	case s == "":
		return pdu.NewAddress(), nil
	case strings.HasPrefix(s, "+") && number.MatchString(s):
		return pdu.NewAddressWithTonNpiAddr(1, 1, s[1:])
	case number.MatchString(s):
		return pdu.NewAddressWithTonNpiAddr(0, 1, s)
	}
	return pdu.NewAddressWithTonNpiAddr(5, 0, s)
}

// Send submits m, one submit_sm per part, and returns the SMSC's ids.
func (p *SMPPProvider) Send(ctx context.Context, m *centralita.SMS) ([]string, error) {
	segs, ucs2 := Segments(m.Text)
	if len(segs) > maxParts {
		return nil, centralita.Errorf(centralita.EINVALID, "smpp: %d parts: at most %d", len(segs), maxParts)
	}
	enc := data.GSM7BIT
	if ucs2 {
		enc = data.UCS2
	}
	src := m.Sender
	if src == "" {
		src = p.cfg.Source
	}
	from, err := address(src)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "smpp: source %q", src)
	}
	to, err := address(m.Recipient)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "smpp: destination %q", m.Recipient)
	}
	ref := byte(p.ref.Add(1))
	ids := make([]string, 0, len(segs))
	for i, seg := range segs {
		sm := pdu.NewSubmitSM().(*pdu.SubmitSM)
		sm.SourceAddr, sm.DestAddr = from, to
		sm.RegisteredDelivery = 1
		b, err := enc.Encode(seg)
		if err != nil {
			return nil, centralita.WrapError(centralita.EINVALID, err, "smpp: encoding the text")
		}
		if err := sm.Message.SetMessageDataWithEncoding(b, enc); err != nil {
			return nil, centralita.WrapError(centralita.EINVALID, err, "smpp: part %d", i+1)
		}
		if len(segs) > 1 {
			sm.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(uint8(len(segs)), uint8(i+1), ref)})
			sm.EsmClass |= data.SM_UDH_GSM
		}
		id, err := p.submit(ctx, sm, i == 0)
		if err != nil {
			if i > 0 {
				err = fmt.Errorf("part %d of %d (the earlier parts went out): %w", i+1, len(segs), err)
			}
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// submit sends one submit_sm and waits for its response. When it cannot
// hand the PDU over (not bound, connection closing) and first is set (no
// earlier part of the message went out), the error wraps ErrNotConnected.
func (p *SMPPProvider) submit(ctx context.Context, sm *pdu.SubmitSM, first bool) (string, error) {
	notSent := func(cause error, format string, args ...any) error {
		if first {
			cause = fmt.Errorf("%w: %w", ErrNotConnected, cause)
		}
		return centralita.WrapError(centralita.EUNAVAILABLE, cause, format, args...)
	}
	seq := sm.GetSequenceNumber()
	ch := make(chan submitResult, 1)
	p.mu.Lock()
	s := p.session
	bound := s != nil && p.bound.Load()
	if bound {
		p.pending[seq] = ch
	}
	p.mu.Unlock()
	if !bound {
		return "", notSent(errNotBound, "smpp: not bound to the SMSC at %s", p.cfg.Addr)
	}
	defer func() {
		p.mu.Lock()
		delete(p.pending, seq)
		p.mu.Unlock()
	}()
	if err := s.Transceiver().Submit(sm); err != nil {
		// gosmpp fails only when the connection is closing, before queueing
		// the PDU: nothing went out.
		return "", notSent(err, "smpp: not bound to the SMSC at %s (%v)", p.cfg.Addr, err)
	}
	t := time.NewTimer(p.cfg.SubmitTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		switch r.status {
		case data.ESME_ROK:
			if r.id == "" {
				return "", centralita.Errorf(centralita.EUNAVAILABLE, "smpp: the SMSC answered no message id")
			}
			return r.id, nil
		case data.ESME_RTHROTTLED, data.ESME_RMSGQFUL:
			return "", centralita.Errorf(centralita.ELIMITED, "smpp: SMSC busy: %s", r.status.Desc())
		case data.ESME_RSYSERR, data.ESME_RSUBMITFAIL, data.ESME_RX_T_APPN:
			return "", centralita.Errorf(centralita.EUNAVAILABLE, "smpp: SMSC failed: %s", r.status.Desc())
		}
		return "", centralita.Errorf(centralita.EINVALID, "smpp: SMSC refused the message: %s (0x%08x)", r.status.Desc(), uint32(r.status))
	case <-t.C:
		return "", centralita.Errorf(centralita.EUNAVAILABLE, "smpp: no submit_sm_resp in %s", p.cfg.SubmitTimeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// errNotBound is the cause of a submit while not bound.
var errNotBound = errors.New("not bound")

// storeTimeout bounds storing a received message or receipt before it is
// answered.
const storeTimeout = 10 * time.Second

// onPDU handles every PDU the SMSC sends (gosmpp's OnAllPDU: nothing is
// answered automatically) and returns the answer, and whether to close the
// bind, as gosmpp's own handler does: enquire_link and unbind are answered
// at once (unbind closes), deliver_sm after it was stored (see deliver),
// other requests with their default response; responses answer nothing.
func (p *SMPPProvider) onPDU(pd pdu.PDU) (pdu.PDU, bool) {
	switch x := pd.(type) {
	case *pdu.SubmitSMResp:
		p.resolve(x.GetSequenceNumber(), submitResult{id: x.MessageID, status: x.CommandStatus})
		return nil, false
	case *pdu.GenericNack:
		p.resolve(x.GetSequenceNumber(), submitResult{status: x.CommandStatus})
		return nil, false
	case *pdu.EnquireLink:
		return x.GetResponse(), false
	case *pdu.Unbind:
		return x.GetResponse(), true
	case *pdu.DeliverSM:
		r := x.GetResponse()
		if err := p.deliver(x); err != nil {
			if resp, ok := r.(*pdu.DeliverSMResp); ok {
				resp.CommandStatus = data.ESME_RX_T_APPN
			}
		}
		return r, false
	}
	if pd.CanResponse() {
		return pd.GetResponse(), false
	}
	return nil, false
}

// resolve hands a response to the Send waiting for it.
func (p *SMPPProvider) resolve(seq int32, r submitResult) {
	p.mu.Lock()
	ch := p.pending[seq]
	p.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- r:
	default:
	}
}

var (
	receiptID   = regexp.MustCompile(`(?i)\bid:\s*(\S+)`)
	receiptStat = regexp.MustCompile(`(?i)\bstat:\s*(\S+)`)
)

// ParseReceipt reads the message id and stat of an SMPP delivery receipt
// text ("id:IIII sub:SSS dlvrd:DDD submit date:… done date:… stat:DDDDDDD err:E text:…").
func ParseReceipt(text string) (id, stat string) {
	if m := receiptID.FindStringSubmatch(text); m != nil {
		id = m[1]
	}
	if m := receiptStat.FindStringSubmatch(text); m != nil {
		stat = strings.ToUpper(m[1])
	}
	return id, stat
}

// Delivery maps an SMPP stat (text or message_state) to a delivery
// result; "" for a state that is not final (ENROUTE, ACCEPTD).
func Delivery(stat string) centralita.SMSDelivery {
	switch strings.ToUpper(stat) {
	case "DELIVRD", "DELIVERED", "2":
		return centralita.SMSDelivered
	case "UNDELIV", "UNDELIVERABLE", "5":
		return centralita.SMSUndelivered
	case "EXPIRED", "3":
		return centralita.SMSExpired
	case "REJECTD", "REJECTED", "8":
		return centralita.SMSRejected
	case "DELETED", "4":
		return centralita.SMSDeleted
	case "ENROUTE", "ACCEPTD", "ACCEPTED", "1", "6", "":
		return ""
	}
	return centralita.SMSUnknown
}

// deliver handles a deliver_sm, a receipt or a received message, and
// returns the sink's error (nil for what is ignored).
func (p *SMPPProvider) deliver(x *pdu.DeliverSM) error {
	p.mu.Lock()
	sink, pctx := p.sink, p.ctx
	p.mu.Unlock()
	if sink == nil || pctx == nil {
		return centralita.Errorf(centralita.EUNAVAILABLE, "smpp: not started")
	}
	// Stored even while the engine stops, so that what the SMSC sent last
	// is kept when possible; a failure is answered as temporary.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(pctx), storeTimeout)
	defer cancel()
	text, err := x.Message.GetMessage()
	if err != nil {
		p.log.Warn("smpp: undecodable deliver_sm text", "err", err)
	}
	if x.EsmClass&data.SM_SMSC_DLV_RCPT_TYPE != 0 {
		id, stat := ParseReceipt(text)
		if f, ok := x.OptionalParameters[pdu.TagReceiptedMessageID]; ok && id == "" {
			id = strings.TrimRight(string(f.Data), "\x00")
		}
		if f, ok := x.OptionalParameters[pdu.TagMessageStateOption]; ok && stat == "" && len(f.Data) > 0 {
			stat = fmt.Sprint(f.Data[0])
		}
		d := Delivery(stat)
		if id == "" || d == "" {
			p.log.Debug("smpp: receipt without id or final state ignored", "text", text)
			return nil
		}
		return sink.Receipt(ctx, id, d, p.cfg.Now())
	}
	return sink.Inbound(ctx, &centralita.SMS{
		Sender: x.SourceAddr.Address(), Recipient: x.DestAddr.Address(), Text: text, CreatedAt: p.cfg.Now(),
	})
}
