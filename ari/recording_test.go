package ari

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

func TestFetchRecordingFromSim(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	br := "rec-bridge"
	require.NoError(t, e.client.CreateBridge(ctx, br, "mixing"))
	require.NoError(t, e.client.RecordBridge(ctx, br, "rec-1", "wav"))
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(e.client.RecordBridge(ctx, br, "rec-2", "wav")),
		"a bridge records once at a time")
	live, err := e.client.LiveRecording(ctx, "rec-1")
	require.NoError(t, err)
	require.True(t, live)
	require.NoError(t, e.client.StopRecording(ctx, "rec-1"))
	require.Eventually(t, func() bool {
		live, err := e.client.LiveRecording(ctx, "rec-1")
		return err == nil && !live
	}, 5*time.Second, 10*time.Millisecond, "no longer live once stopped")

	var buf bytes.Buffer
	n, err := e.client.FetchRecording(ctx, "rec-1", &buf)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), n)
	b := buf.Bytes()
	require.GreaterOrEqual(t, len(b), 44)
	require.Equal(t, "RIFF", string(b[0:4]))
	require.Equal(t, uint32(len(b)-44), binary.LittleEndian.Uint32(b[40:]), "data size in the header")
	if len(b) > 100 {
		nonzero := false
		for _, x := range b[44:] {
			nonzero = nonzero || x != 0
		}
		require.True(t, nonzero, "the simulator's recording is a tone, not silence")
	}

	// overwrite: recording again under the same name is allowed.
	require.NoError(t, e.client.RecordBridge(ctx, br, "rec-1", "wav"))
	require.NoError(t, e.client.StopRecording(ctx, "rec-1"))
	require.NoError(t, e.client.DeleteRecording(ctx, "rec-1"))
	_, err = e.client.FetchRecording(ctx, "rec-1", &buf)
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	_, err = e.client.FetchRecording(ctx, "", &buf)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(e.client.RecordChannel(ctx, "", "x", "wav")))
}
