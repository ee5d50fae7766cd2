package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
	"github.com/fiorix/go-smpp/v2/smpp/smpptest"
	"github.com/stretchr/testify/require"
)

// e2eSubmit is a submit_sm the e2e SMSC got.
type e2eSubmit struct {
	id, dest, text  string
	ref, total, seq byte
	udh             bool
	at              time.Time
}

// e2eSMSC is fiorix's in-process test SMSC answering every submit_sm with
// an id; delivery receipts (DELIVRD) are held until releaseReceipts, so a
// test sees SENT before delivered.
type e2eSMSC struct {
	srv *smpptest.Server

	mu      sync.Mutex
	subs    []e2eSubmit
	conn    smpptest.Conn
	held    []e2eSubmit
	release bool
	seq     uint32
	writeMu sync.Mutex
}

func newE2ESMSC(t *testing.T) *e2eSMSC {
	s := &e2eSMSC{srv: smpptest.NewUnstartedServer()}
	s.srv.User, s.srv.Passwd = "centralita", "smsc-secret"
	s.srv.Handler = s.handle
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *e2eSMSC) write(c smpptest.Conn, p pdu.Body) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_ = c.Write(p)
}

func (s *e2eSMSC) handle(c smpptest.Conn, p pdu.Body) {
	switch p.Header().ID {
	case pdu.EnquireLinkID:
		s.write(c, pdu.NewEnquireLinkRespSeq(p.Header().Seq))
	case pdu.UnbindID:
		r := pdu.NewUnbindResp()
		r.Header().Seq = p.Header().Seq
		s.write(c, r)
	case pdu.SubmitSMID:
		f := p.Fields()
		b := f[pdufield.ShortMessage].Bytes()
		sub := e2eSubmit{dest: f[pdufield.DestinationAddr].String(), at: time.Now()}
		// fiorix leaves the UDH in short_message.
		if f[pdufield.ESMClass].Bytes()[0]&0x40 != 0 && len(b) > 6 && b[0] == 5 && b[1] == 0 && b[2] == 3 {
			sub.udh, sub.ref, sub.total, sub.seq = true, b[3], b[4], b[5]
			b = b[6:]
		}
		sub.text = string(b)
		s.mu.Lock()
		s.seq++
		sub.id = fmt.Sprintf("e2e%05d", s.seq)
		s.subs = append(s.subs, sub)
		s.conn = c
		if s.release {
			defer s.receipt(c, sub)
		} else {
			s.held = append(s.held, sub)
		}
		s.mu.Unlock()
		r := pdu.NewSubmitSMResp()
		r.Header().Seq = p.Header().Seq
		_ = r.Fields().Set(pdufield.MessageID, sub.id)
		s.write(c, r)
	}
}

// receipt sends sub's DELIVRD receipt.
func (s *e2eSMSC) receipt(c smpptest.Conn, sub e2eSubmit) {
	text := "id:" + sub.id + " sub:001 dlvrd:001 submit date:2603011000 done date:2603011000 stat:DELIVRD err:000 text:"
	// Written byte for byte: fiorix's codec would add UDH fields.
	var b bytes.Buffer
	b.WriteString("\x00\x00\x01" + sub.dest + "\x00\x00\x01\x00") // service_type, source, destination
	b.Write([]byte{0x04, 0, 0, 0, 0, 0, 0, 0, 0})                 // esm_class 0x04 … sm_default_msg_id
	b.WriteByte(byte(len(text)))
	b.WriteString(text)
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	s.write(c, &e2eRawPDU{h: pdu.Header{ID: pdu.DeliverSMID, Seq: 100000 + seq}, body: b.Bytes()})
}

// e2eRawPDU is a PDU body written as given.
type e2eRawPDU struct {
	h    pdu.Header
	body []byte
}

func (r *e2eRawPDU) Header() *pdu.Header      { return &r.h }
func (r *e2eRawPDU) Len() int                 { return pdu.HeaderLen + len(r.body) }
func (r *e2eRawPDU) FieldList() pdufield.List { return nil }
func (r *e2eRawPDU) Fields() pdufield.Map     { return pdufield.Map{} }
func (r *e2eRawPDU) TLVFields() pdutlv.Map    { return pdutlv.Map{} }
func (r *e2eRawPDU) SerializeTo(w io.Writer) error {
	r.h.Len = uint32(r.Len())
	if err := r.h.SerializeTo(w); err != nil {
		return err
	}
	_, err := w.Write(r.body)
	return err
}

// releaseReceipts sends the held receipts and every later one at once.
func (s *e2eSMSC) releaseReceipts() {
	s.mu.Lock()
	held, c := s.held, s.conn
	s.held, s.release = nil, true
	s.mu.Unlock()
	for _, sub := range held {
		s.receipt(c, sub)
	}
}

func (s *e2eSMSC) submits() []e2eSubmit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]e2eSubmit(nil), s.subs...)
}

// TestSMSEndToEnd runs serve with --sms-provider smpp against an
// in-process SMSC: eXpand sendSms/statusSms (SENT, then DELIVERED once the
// receipt comes, with the opt-in --sms-status-delivery), a 300-character text as 2 linked parts, Integra
// SendSMSv2, the -2 rate limit, and a message scheduled through the
// (non-standard, configured) Integra scheduler path sent in its minute; the
// scheduler runs every 200 ms here (--sms-schedule-interval) instead of
// every minute, which only makes it notice the due minute sooner.
func TestSMSEndToEnd(t *testing.T) {
	smsc := newE2ESMSC(t)
	s := startStackWith(t, stackOpts{args: []string{
		"--sms-provider", "smpp", "--smpp-addr", smsc.srv.Addr(), "--smpp-user", "centralita", "--smpp-password", "smsc-secret",
		"--smpp-source", "5000", "--sms-rate", "2", "--sms-schedule-interval", "200ms", "--sms-status-delivery",
		"--integra-sms-schedule-path", "SMS/ScheduleSMS",
	}})

	// sendSms with 300 characters: one IdSMS, two linked parts at the SMSC.
	text := strings.Repeat("Centralita", 30)
	id := s.soapCall(t, "sendSms", "authorizedKey", s.key, "msgId", "0", "msgData", text, "msgRecip", "098344484")
	n, err := strconv.Atoi(id)
	require.NoError(t, err, id)
	require.Positive(t, n)
	status := func() string { return s.soapCall(t, "statusSms", "authorizedKey", s.key, "idSMS", id) }
	require.Eventually(t, func() bool { return status() == "SENT" }, 10*time.Second, 20*time.Millisecond)
	subs := smsc.submits()
	require.Len(t, subs, 2)
	for i, sub := range subs {
		require.True(t, sub.udh)
		require.Equal(t, "098344484", sub.dest)
		require.Equal(t, byte(2), sub.total)
		require.Equal(t, byte(i+1), sub.seq)
		require.Equal(t, subs[0].ref, sub.ref, "the parts share their reference")
	}
	require.Equal(t, text, subs[0].text+subs[1].text)
	require.Equal(t, "SENT", status(), "no receipt yet")
	smsc.releaseReceipts()
	require.Eventually(t, func() bool { return status() == "DELIVERED" }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, "", s.soapCall(t, "statusSms", "authorizedKey", s.key, "idSMS", "999999"))

	// Integra SendSMSv2 answers {"id":"<id>"}.
	time.Sleep(1100 * time.Millisecond) // refill the 2/s bucket
	st, body := s.integra(t, s.key, "SMS/SendSMSv2", url.Values{"destination": {"099124484"}, "message": {"hola"}, "campaign": {"Ventas->"}})
	require.Equal(t, http.StatusOK, st, body)
	var v2 struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &v2), body)
	_, err = strconv.ParseInt(v2.ID, 10, 64)
	require.NoError(t, err, body)

	// Over 2 messages per second: -2.
	time.Sleep(1100 * time.Millisecond)
	var codes []string
	for range 4 {
		codes = append(codes, s.soapCall(t, "sendSms", "authorizedKey", s.key, "msgId", "0", "msgData", "x", "msgRecip", "091"))
	}
	require.Contains(t, codes, "-2", "codes %v", codes)
	require.Positive(t, smsMust(strconv.Atoi(codes[0])))

	// A message scheduled for this minute is sent in it.
	if now := time.Now().UTC(); now.Second() >= 55 {
		time.Sleep(now.Truncate(time.Minute).Add(time.Minute + 100*time.Millisecond).Sub(now))
	}
	calldate := time.Now().UTC().Add(time.Second)
	sched := fmt.Sprintf(`{"calldate":%q,"campaign":"prueba1","destination":"098000111","data":"","message":"recordatorio"}`, calldate.Format("2006-01-02 15:04:05"))
	st, body = s.integra(t, s.key, "SMS/ScheduleSMS", url.Values{"callschedule": {sched}})
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, "1", body)
	var got *e2eSubmit
	require.Eventually(t, func() bool {
		for _, sub := range smsc.submits() {
			if sub.dest == "098000111" {
				got = &sub
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, "recordatorio", got.text)
	require.Equal(t, calldate.Truncate(time.Minute), got.at.UTC().Truncate(time.Minute), "sent in its minute")
}

func smsMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
