package sms_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
)

// lockedBuffer is a log sink safe to read while the engine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A declared line count ("cant") that differs from the lines read is
// logged, and the lines read are what is queued.
func TestUploadBaseDeclaredCountMismatchIsLogged(t *testing.T) {
	var logs lockedBuffer
	e, _ := newEngine(t, sms.Config{Provider: &fakeProvider{}, Rate: 100, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, true)
	ctx := context.Background()
	const mismatch = "base line count differs from the one declared"

	_, err := e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Filename: "ok.txt", Content: []byte("c;091\n\nc;092\n"), Declared: 2})
	require.NoError(t, err)
	require.NotContains(t, logs.String(), mismatch, "2 lines declared, 2 read (the blank one does not count)")

	_, err = e.UploadBase(ctx, centralita.SMSBase{Campaign: "c", Message: "m", Filename: "short.txt", Content: []byte("c;091\nc;092\nc;bad\n"), Declared: 5})
	require.NoError(t, err)
	var line string
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, mismatch) {
			line = l
		}
	}
	require.Contains(t, line, "file=short.txt")
	require.Contains(t, line, "declared=5")
	require.Contains(t, line, "lines=3")
	js, err := e.Jobs(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, js[1].Total)
	require.EqualValues(t, 2, js[1].Done)
}
