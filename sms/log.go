package sms

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/centralita/centralita"
)

// LogProvider is the embedded default: it sends nothing, marks every
// message sent and says so loudly in the log, at start and for each
// message. Its ids are "log-<n>"; it reports no receipts.
type LogProvider struct {
	log *slog.Logger
	seq atomic.Int64
}

// NewLogProvider returns a LogProvider; a nil logger is slog.Default().
func NewLogProvider(logger *slog.Logger) *LogProvider {
	if logger == nil {
		logger = slog.Default()
	}
	return &LogProvider{log: logger}
}

// Name is "log".
func (p *LogProvider) Name() string { return "log" }

// Start warns that no SMS will really be sent.
func (p *LogProvider) Start(context.Context, Sink) error {
	p.log.Warn("SMS PROVIDER IS \"log\": NO SMS IS SENT; messages are only written to this log and marked SENT. Configure --sms-provider smpp or http to send for real")
	return nil
}

// Send logs the message and returns one id per part.
func (p *LogProvider) Send(_ context.Context, m *centralita.SMS) ([]string, error) {
	segs, ucs2 := Segments(m.Text)
	ids := make([]string, len(segs))
	for i := range segs {
		ids[i] = fmt.Sprintf("log-%d", p.seq.Add(1))
	}
	p.log.Warn("SMS NOT SENT (log provider): marked sent without sending", "id", m.ID, "to", m.Recipient,
		"from", m.Sender, "parts", len(segs), "ucs2", ucs2, "text", m.Text)
	return ids, nil
}

// Close does nothing.
func (p *LogProvider) Close() error { return nil }
