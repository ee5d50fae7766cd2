package ari

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/centralita/centralita"
)

// fetchTimeout bounds reading a recording's file once Asterisk answered
// (an hour of 8 kHz WAV is about 58 MB).
const fetchTimeout = 10 * time.Minute

// FetchRecording copies the stored recording name's file (GET
// /ari/recordings/stored/{name}/file) to w and returns how many bytes it
// wrote. The request timeout bounds the wait for the answer and ten minutes
// the transfer of the body;
// an unknown recording is ENOTFOUND. On an error w may hold part of the file.
func (c *Client) FetchRecording(ctx context.Context, name string, w io.Writer) (int64, error) {
	if name == "" {
		return 0, centralita.Errorf(centralita.EINVALID, "fetch recording: a name is required")
	}
	op := "fetch recording " + name
	r, err := c.newRequest(ctx, http.MethodGet, "recordings/stored/"+seg(name)+"/file", nil, nil)
	if err != nil {
		return 0, centralita.WrapError(centralita.EUNAVAILABLE, err, "%s: cannot call Asterisk", op)
	}
	r.req.Header.Set("Accept", "*/*")
	resp, err := c.send(r, op)
	if err != nil {
		return 0, err
	}
	defer r.release()
	defer resp.Body.Close()
	// The answer started within the request timeout; the body may take longer.
	r.timer.Reset(fetchTimeout)
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		if r.expired() || c.ctx.Err() != nil || ctx.Err() != nil {
			return n, c.transportError(r, op, err)
		}
		return n, centralita.WrapError(centralita.EUNAVAILABLE, fmt.Errorf("after %d bytes: %w", n, err), "%s: transfer failed", op)
	}
	return n, nil
}

// RecordBridge starts recording a bridge (the whole conversation) to the
// stored recording name in format, overwriting one of that name
// (recordings.PBX).
func (c *Client) RecordBridge(ctx context.Context, bridgeID, name, format string) error {
	if bridgeID == "" {
		return centralita.Errorf(centralita.EINVALID, "record: a bridge id is required")
	}
	return c.Record(ctx, BridgeTarget(bridgeID), RecordRequest{Name: name, Format: format, IfExists: "overwrite"})
}

// RecordChannel starts recording a channel to the stored recording name in
// format, overwriting one of that name (recordings.PBX).
func (c *Client) RecordChannel(ctx context.Context, channelID, name, format string) error {
	if channelID == "" {
		return centralita.Errorf(centralita.EINVALID, "record: a channel id is required")
	}
	return c.Record(ctx, ChannelTarget(channelID), RecordRequest{Name: name, Format: format, IfExists: "overwrite"})
}

// LiveRecording reports whether name is a live recording (GET
// /ari/recordings/live/{name}): true while Asterisk records it, false once
// it is gone, which is when Asterisk has closed its file and written the
// WAV header (recordings.PBX).
func (c *Client) LiveRecording(ctx context.Context, name string) (bool, error) {
	if name == "" {
		return false, centralita.Errorf(centralita.EINVALID, "live recording: a name is required")
	}
	err := c.do(ctx, "live recording "+name, http.MethodGet, "recordings/live/"+seg(name), nil, nil, nil)
	switch {
	case err == nil:
		return true, nil
	case centralita.ErrorKind(err) == centralita.ENOTFOUND:
		return false, nil
	}
	return false, err
}
