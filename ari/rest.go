package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/centralita/centralita"
)

// maxBody bounds how much of a JSON answer is read.
const maxBody = 8 << 20

// StatusError is an error answer from ARI: the HTTP status and the message
// Asterisk gave. It is the cause (Unwrap) of the domain error REST methods
// return.
type StatusError struct {
	// Method and Path identify the request, e.g. "DELETE", "/ari/channels/x".
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Message is Asterisk's "message" (or "error") text, or the raw body.
	Message string
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("ARI %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// kindForStatus maps an ARI error status to a domain error kind.
func kindForStatus(status int) centralita.Kind {
	switch {
	case status == http.StatusBadRequest:
		return centralita.EINVALID
	case status == http.StatusNotFound:
		return centralita.ENOTFOUND
	case status == http.StatusConflict, status == http.StatusUnprocessableEntity:
		return centralita.ECONFLICT
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status >= 500:
		// Bad credentials make Asterisk unusable to every caller alike.
		return centralita.EUNAVAILABLE
	default:
		return centralita.EINTERNAL
	}
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// request is one REST call's prepared request, its timeout and the function
// that releases its context.
type request struct {
	req      *http.Request
	timer    *time.Timer
	timedOut atomic.Bool
	release  func()
}

// expired reports whether the request timeout cut the call.
func (r *request) expired() bool { return r.timedOut.Load() }

// newRequest builds an authenticated request whose context ends with ctx,
// with Close, or when the request timeout passes.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*request, error) {
	if c.ctx.Err() != nil {
		return nil, errors.New("client closed")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	u := c.cfg.URL + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	rctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(rctx, method, u, rd)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r := &request{req: req}
	stopOnClose := context.AfterFunc(c.ctx, cancel)
	r.timer = time.AfterFunc(c.cfg.RequestTimeout, func() {
		r.timedOut.Store(true)
		cancel()
	})
	r.release = func() {
		r.timer.Stop()
		stopOnClose()
		cancel()
	}
	return r, nil
}

// send performs r and returns the response when its status is 2xx; any
// other outcome becomes a domain error naming op. On success the caller
// owns resp.Body and must call r.release after reading it.
func (c *Client) send(r *request, op string) (*http.Response, error) {
	resp, err := c.http.Do(r.req)
	if err != nil {
		err = c.transportError(r, op, err)
		r.release()
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer r.release()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	se := &StatusError{Method: r.req.Method, Path: r.req.URL.Path, Status: resp.StatusCode, Message: errorMessage(raw)}
	msg := se.Message
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		c.log.Error("ARI rejected the credentials", "op", op, "status", resp.StatusCode)
		msg = "Asterisk rejected the ARI credentials"
	}
	return nil, centralita.WrapError(kindForStatus(resp.StatusCode), se, "%s: %s", op, msg)
}

// transportError turns a failed round trip into a domain error.
func (c *Client) transportError(r *request, op string, err error) error {
	switch {
	case c.ctx.Err() != nil:
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "%s: ARI client closed", op)
	case r.expired():
		return centralita.WrapError(centralita.EUNAVAILABLE, fmt.Errorf("no answer within %s: %w", c.cfg.RequestTimeout, err),
			"%s: Asterisk did not answer in time", op)
	case r.req.Context().Err() != nil:
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "%s: request cancelled", op)
	default:
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "%s: Asterisk is unreachable", op)
	}
}

// errorMessage extracts Asterisk's error text from an error body:
// {"message":...}, {"error":...} (allocation failures), or the text itself.
func errorMessage(raw []byte) string {
	var body struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil {
		if body.Message != "" {
			return body.Message
		}
		if body.Error != "" {
			return body.Error
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// do performs one REST call bounded by ctx and the request timeout and
// decodes a JSON answer into out when out is not nil. path is relative to
// the ARI base URL and already escaped; op names the call in errors.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body, out any) error {
	r, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "%s: cannot call Asterisk", op)
	}
	resp, err := c.send(r, op)
	if err != nil {
		return err
	}
	defer r.release()
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		if r.expired() || c.ctx.Err() != nil || ctx.Err() != nil {
			return c.transportError(r, op, err)
		}
		return centralita.WrapError(centralita.EINTERNAL, err, "%s: unexpected answer from Asterisk", op)
	}
	return nil
}

// DownloadRecording streams the file of stored recording name (GET
// /recordings/stored/{name}/file). The request timeout bounds the wait for
// the answer to start; the body is then bounded by ctx only. The caller must
// close the reader. An unknown recording is ENOTFOUND.
func (c *Client) DownloadRecording(ctx context.Context, name string) (io.ReadCloser, error) {
	op := "download recording " + name
	if name == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "download recording: name is required")
	}
	r, err := c.newRequest(ctx, http.MethodGet, "recordings/stored/"+seg(name)+"/file", nil, nil)
	if err != nil {
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, err, "%s: cannot call Asterisk", op)
	}
	r.req.Header.Del("Accept")
	resp, err := c.send(r, op)
	if err != nil {
		return nil, err
	}
	// The headers arrived in time: from now on only ctx and Close bound the body.
	if !r.timer.Stop() {
		r.release()
		resp.Body.Close()
		return nil, centralita.Errorf(centralita.EUNAVAILABLE, "%s: Asterisk did not answer in time", op)
	}
	return &recordingBody{ReadCloser: resp.Body, release: r.release}, nil
}

// recordingBody releases the request's context when closed.
type recordingBody struct {
	io.ReadCloser
	release func()
}

// Close closes the body and releases the request.
func (b *recordingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
