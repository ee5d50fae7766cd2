package arisim

import (
	"context"
	"time"

	"github.com/centralita/centralita"
)

// cdrState is what a channel remembers for its call detail record.
//
// The rows follow Asterisk's CDR engine: one record per party pair. A
// channel that is never bridged gets a record of its own (an originate that
// was busy, a caller that hung up in Stasis). When two channels share a
// bridge, the older one is party A: its record names the other as
// dstchannel, and the newer one (party B) writes no record of its own. So
// the click-to-call pattern (originate the source, on answer originate the
// destination and bridge both) yields exactly one row: channel = source leg,
// dstchannel = destination leg, duration from the source's creation to its
// hangup and billsec from the source's answer to its hangup. Records are
// linked by linkedid: a channel originated with originator=<id> (or dialled
// with caller=<id>, or created by a dialplan Dial()) inherits that
// channel's linkedid; otherwise linkedid is its own uniqueid.
type cdrState struct {
	lastApp, lastData string
	peer              *channel // party B of this channel's record
	partyB            bool     // another channel's record covers this one
	cause             int
	end               time.Time
	userField         string            // CDR(userfield)
	accountCode       string            // CDR(accountcode)
	vars              map[string]string // other CDR(<name>) values
}

// disposition maps how a channel ended to Asterisk's CDR disposition.
func disposition(c *channel) string {
	if !c.answered.IsZero() {
		return centralita.DispositionAnswered
	}
	switch c.cdr.cause {
	case 17:
		return centralita.DispositionBusy
	case 0, 1, 3, 20, 27, 28, 34, 38, 41, 42, 58:
		return centralita.DispositionFailed
	}
	return centralita.DispositionNoAnswer
}

// channelCDR builds c's record (unless another channel's record covers it)
// and hands it to the sink in the background. s.mu must be held.
func (s *Server) channelCDR(c *channel) {
	if s.cfg.CDR == nil || c.kind == kindUnreal || (c.cdr.partyB && c.cdr.peer == nil) {
		return
	}
	if c.kind == kindLocal2 {
		return
	}
	end := c.cdr.end
	rec := &centralita.CDR{
		CallDate:    c.created,
		CLID:        c.caller.String(),
		Src:         c.caller.number,
		Dst:         c.cdrDst(),
		DContext:    c.cdrContext(),
		Channel:     c.name,
		LastApp:     c.cdr.lastApp,
		LastData:    c.cdr.lastData,
		Duration:    int(end.Sub(c.created) / time.Second),
		Disposition: disposition(c),
		AMAFlags:    3,
		UniqueID:    c.id,
		LinkedID:    c.linkedID,
	}
	rec.UserField, rec.AccountCode = c.cdr.userField, c.cdr.accountCode
	if p := c.cdr.peer; p != nil {
		rec.DstChannel = p.name
		rec.PeerAccount = p.cdr.accountCode
		if rec.UserField == "" {
			// CDR(userfield) on party B updates the pair's record too.
			rec.UserField = p.cdr.userField
		}
	}
	if !c.answered.IsZero() {
		rec.BillSec = int(end.Sub(c.answered) / time.Second)
	}
	s.st.cdrSeq++
	rec.Sequence = s.st.cdrSeq
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.writeCDR(rec)
	}()
}

// cdrDst is the record's destination extension.
func (c *channel) cdrDst() string {
	if c.kind == kindInbound || c.pbx {
		return c.cdrExten
	}
	return c.base.exten
}

func (c *channel) cdrContext() string {
	if c.kind == kindInbound || c.pbx {
		return c.cdrCtx
	}
	return c.base.context
}

// writeCDR stores rec, retrying with backoff; a record that still cannot be
// stored is logged in full at error level so it is never lost silently.
func (s *Server) writeCDR(rec *centralita.CDR) {
	delay := s.cfg.CDRRetryDelay
	var err error
	for attempt := 0; attempt <= s.cfg.CDRRetries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay)
			<-t.C
			delay *= 2
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.baseCtx), 5*time.Second)
		err = s.cfg.CDR.CreateCDR(ctx, rec)
		cancel()
		if err == nil {
			return
		}
		s.log.Warn("arisim: CDR write failed, retrying", "uniqueid", rec.UniqueID, "attempt", attempt+1, "err", err)
	}
	s.log.Error("arisim: CDR LOST: sink kept failing",
		"err", err, "uniqueid", rec.UniqueID, "linkedid", rec.LinkedID, "calldate", rec.CallDate,
		"clid", rec.CLID, "src", rec.Src, "dst", rec.Dst, "dcontext", rec.DContext,
		"channel", rec.Channel, "dstchannel", rec.DstChannel, "lastapp", rec.LastApp, "lastdata", rec.LastData,
		"duration", rec.Duration, "billsec", rec.BillSec, "disposition", rec.Disposition, "sequence", rec.Sequence)
}
