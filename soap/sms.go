package soap

import (
	"context"
	"strconv"
	"strings"

	"github.com/centralita/centralita"
)

// SMSConfig is what the SMS operations of apiws use (soap-apiws.md §8).
type SMSConfig struct {
	// SMS is the SMS engine.
	SMS centralita.SMSSender
	// StatusDelivery is an opt-in extension (--sms-status-delivery): a batch
	// whose messages all have a delivery result reports it instead of SENT:
	// DELIVERED, or UNDELIVERED, EXPIRED, REJECTED, DELETED, UNKNOWN. By
	// default statusSms answers only the four values §8.2 documents
	// (SENT, PENDING, DRAFT, ERROR); a delivered message stays SENT.
	StatusDelivery bool
}

// RegisterSMS serves sendSms and statusSms.
func (s *Server) RegisterSMS(cfg SMSConfig) {
	o := &smsOps{cfg}
	s.Handle("sendSms", o.sendSms)
	s.Handle("statusSms", o.statusSms)
}

type smsOps struct{ cfg SMSConfig }

// sendSms queues msgData to every number of msgRecip (separated by spaces
// or commas) and returns the job's IdSMS (> 0), which statusSms tracks as
// a whole. msgId is kept verbatim (the manual says external systems pass
// 0); an absent one is "0". Over the messages-per-second limit the answer
// is -2 and nothing is queued. A bad number or text, like any failure to
// queue, is 0, "the message could not be sent" (§8.1). Texts over 160
// characters are accepted and sent as concatenated parts.
func (o *smsOps) sendSms(ctx context.Context, r *Request) (any, error) {
	msgID := strings.TrimSpace(r.Param("msgId"))
	if msgID == "" {
		msgID = "0"
	}
	if _, err := strconv.Atoi(msgID); err != nil {
		return 0, nil
	}
	id, err := o.cfg.SMS.Send(ctx, centralita.SMSRequest{
		Recipients: []string{r.Param("msgRecip")}, Text: r.Param("msgData"), MsgID: msgID,
	})
	switch centralita.ErrorKind(err) {
	case "":
		return int(id), nil
	case centralita.EINVALID:
		return 0, nil
	}
	return nil, err
}

// statusSms returns the job's status (§8.2), "" for an unknown or
// malformed idSMS; see SMSConfig.StatusDelivery and centralita.BatchStatus
// for several recipients.
func (o *smsOps) statusSms(ctx context.Context, r *Request) (any, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(r.Param("idSMS")), 10, 64)
	if err != nil || id <= 0 {
		return "", nil
	}
	ms, err := o.cfg.SMS.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	return centralita.BatchStatus(ms, o.cfg.StatusDelivery), nil
}
