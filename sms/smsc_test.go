package sms_test

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
	"github.com/fiorix/go-smpp/v2/smpp/smpptest"
)

// submitted is one submit_sm the test SMSC got.
type submitted struct {
	ID, Dest, Source string
	ESMClass         byte
	DataCoding       byte
	Text             []byte
	// Ref, Total and Seq come from the concatenation UDH (IEI 0), if any.
	Ref, Total, Seq byte
	HasUDH          bool
}

// testSMSC is fiorix's smpptest.Server answering submit_sm with an id and,
// when receipts is on, a DELIVRD receipt right after; a submit_sm whose
// text is "inbound?" also makes it deliver a message "hello" from 099.
type testSMSC struct {
	srv *smpptest.Server

	mu       sync.Mutex
	got      []submitted
	n        int
	receipts bool
	refuse   int // refuse this many submits with ESME_RTHROTTLED
	seq      atomic.Uint32
	// resps are the command statuses of the deliver_sm_resp received.
	resps []uint32
}

// DeliverResps returns the statuses of the deliver_sm_resp received.
func (s *testSMSC) DeliverResps() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.resps...)
}

func newTestSMSC(t *testing.T, user, password string, receipts bool) *testSMSC {
	t.Helper()
	s := &testSMSC{receipts: receipts, srv: smpptest.NewUnstartedServer()}
	s.srv.User, s.srv.Passwd = user, password
	s.srv.Handler = s.handle
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *testSMSC) Addr() string { return s.srv.Addr() }

func (s *testSMSC) Submitted() []submitted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]submitted(nil), s.got...)
}

func (s *testSMSC) handle(c smpptest.Conn, p pdu.Body) {
	switch p.Header().ID {
	case pdu.DeliverSMRespID:
		s.mu.Lock()
		s.resps = append(s.resps, uint32(p.Header().Status))
		s.mu.Unlock()
	case pdu.EnquireLinkID:
		_ = c.Write(pdu.NewEnquireLinkRespSeq(p.Header().Seq))
	case pdu.UnbindID:
		r := pdu.NewUnbindResp()
		r.Header().Seq = p.Header().Seq
		_ = c.Write(r)
	case pdu.SubmitSMID:
		f := p.Fields()
		s.mu.Lock()
		if s.refuse > 0 {
			s.refuse--
			s.mu.Unlock()
			r := pdu.NewSubmitSMResp()
			r.Header().Seq, r.Header().Status = p.Header().Seq, 0x58
			_ = c.Write(r)
			return
		}
		s.n++
		sub := submitted{
			ID: fmt.Sprintf("m%04d", s.n), Dest: f[pdufield.DestinationAddr].String(),
			Source: f[pdufield.SourceAddr].String(), ESMClass: f[pdufield.ESMClass].Bytes()[0],
			DataCoding: f[pdufield.DataCoding].Bytes()[0], Text: f[pdufield.ShortMessage].Bytes(),
		}
		// This codec leaves the UDH in short_message: read it there.
		if b := sub.Text; sub.ESMClass&0x40 != 0 && len(b) > 0 && int(b[0])+1 <= len(b) {
			udh := b[1 : 1+int(b[0])]
			for len(udh) >= 2 && int(udh[1])+2 <= len(udh) {
				if udh[0] == 0 && udh[1] == 3 {
					sub.HasUDH = true
					sub.Ref, sub.Total, sub.Seq = udh[2], udh[3], udh[4]
				}
				udh = udh[2+int(udh[1]):]
			}
			sub.Text = b[1+int(b[0]):]
		}
		s.got = append(s.got, sub)
		receipts := s.receipts
		s.mu.Unlock()
		r := pdu.NewSubmitSMResp()
		r.Header().Seq = p.Header().Seq
		_ = r.Fields().Set(pdufield.MessageID, sub.ID)
		_ = c.Write(r)
		if receipts {
			text := "id:" + sub.ID + " sub:001 dlvrd:001 submit date:2603011000 done date:2603011000 stat:DELIVRD err:000 text:x"
			_ = c.Write(s.deliverSM(sub.Dest, sub.Source, 0x04, text))
		}
		if string(sub.Text) == "inbound?" {
			_ = c.Write(s.deliverSM("099", sub.Source, 0, "hello"))
		}
	}
}

// rawPDU is a PDU body written byte for byte: fiorix's codec would emit
// its UDH fields even without a UDH.
type rawPDU struct {
	h    pdu.Header
	body []byte
}

func (r *rawPDU) Header() *pdu.Header      { return &r.h }
func (r *rawPDU) Len() int                 { return pdu.HeaderLen + len(r.body) }
func (r *rawPDU) FieldList() pdufield.List { return nil }
func (r *rawPDU) Fields() pdufield.Map     { return pdufield.Map{} }
func (r *rawPDU) TLVFields() pdutlv.Map    { return pdutlv.Map{} }
func (r *rawPDU) SerializeTo(w io.Writer) error {
	r.h.Len = uint32(r.Len())
	if err := r.h.SerializeTo(w); err != nil {
		return err
	}
	_, err := w.Write(r.body)
	return err
}

// deliverSM builds a deliver_sm from src to dst with that esm_class and
// GSM/ASCII text.
func (s *testSMSC) deliverSM(src, dst string, esm byte, text string) pdu.Body {
	var b bytes.Buffer
	cstr := func(s string) { b.WriteString(s); b.WriteByte(0) }
	cstr("")                    // service_type
	b.Write([]byte{0, 1})       // source ton, npi
	cstr(src)                   // source_addr
	b.Write([]byte{0, 1})       // dest ton, npi
	cstr(dst)                   // destination_addr
	b.Write([]byte{esm, 0, 0})  // esm_class, protocol_id, priority_flag
	cstr("")                    // schedule_delivery_time
	cstr("")                    // validity_period
	b.Write([]byte{0, 0, 0, 0}) // registered_delivery, replace_if_present, data_coding, sm_default_msg_id
	b.WriteByte(byte(len(text)))
	b.WriteString(text)
	return &rawPDU{h: pdu.Header{ID: pdu.DeliverSMID, Seq: s.seq.Add(1)}, body: b.Bytes()}
}
