package crm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/centralita/centralita"
)

// recordLimit bounds the request and response bodies kept in a record.
const recordLimit = 4 << 10

// Record statuses.
const (
	statusOK      = "ok"
	statusError   = "error"
	statusSkipped = "skipped"
)

// result is how one attempt went.
type result struct {
	err      error // a domain error, nil on success
	retry    bool  // another attempt could go differently
	outcome  outcome
	response []byte
}

// call sends one request to t, with retries, and records every attempt.
func (c *Client) call(ctx context.Context, t *target, uniqueID string, values ...string) (answer, error) {
	body := encode(t, values)
	var lastErr error
	for attempt := 1; ; attempt++ {
		if t.brk != nil && !t.brk.allow(c.cfg.Now()) {
			err := centralita.Errorf(centralita.EUNAVAILABLE, "CRM %s is unavailable (circuit breaker open)", t.method)
			c.record(ctx, t, uniqueID, attempt, body, nil, statusSkipped, "circuit breaker open", 0)
			return answer{}, err
		}
		start := time.Now()
		a, res := c.attempt(ctx, t, body)
		elapsed := time.Since(start)
		if t.brk != nil {
			t.brk.done(res.outcome, c.cfg.Now())
		}
		if res.err == nil {
			c.record(ctx, t, uniqueID, attempt, body, res.response, statusOK, "", elapsed)
			return a, nil
		}
		c.record(ctx, t, uniqueID, attempt, body, res.response, statusError, res.err.Error(), elapsed)
		lastErr = res.err
		if attempt > t.retries || !res.retry || ctx.Err() != nil || !c.backoff(ctx, attempt) {
			return answer{}, lastErr
		}
	}
}

// backoff waits before retry number n (1 for the first), doubling from
// Config.Backoff with jitter. It reports false, at once, when ctx would end
// before the wait does.
func (c *Client) backoff(ctx context.Context, n int) bool {
	d := c.cfg.Backoff
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	d = d/2 + rand.N(d/2+1) // a random point in the upper half
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// attempt sends body to t once, within Config.Timeout and ctx.
func (c *Client) attempt(ctx context.Context, t *target, body []byte) (answer, result) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return answer{}, result{err: centralita.WrapError(centralita.EINTERNAL, err, "CRM %s: cannot build the request", t.method), outcome: neutral}
	}
	if t.soap {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("Accept", "text/xml")
		req.Header.Set("SOAPAction", `"`+t.ns+"#"+t.method+`"`)
	} else {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.5")
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return answer{}, c.transportFailure(ctx, actx, t, err, nil)
	}
	defer resp.Body.Close()
	limit := c.cfg.MaxResponseBytes
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return answer{}, c.transportFailure(ctx, actx, t, err, data)
	}
	if int64(len(data)) > limit {
		return answer{}, result{
			err:      centralita.Errorf(centralita.EINVALID, "CRM %s answered more than %d bytes", t.method, limit),
			outcome:  failure,
			response: data[:limit],
		}
	}
	if resp.StatusCode/100 != 2 {
		cause := fmt.Errorf("HTTP %d", resp.StatusCode)
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
		if t.soap {
			if _, _, f, _ := decodeSOAP(toUTF8(resp.Header.Get("Content-Type"), data)); f != nil {
				cause = fmt.Errorf("HTTP %d: %w", resp.StatusCode, f)
				retry = retry && !f.client()
			}
		}
		return answer{}, result{
			err:      centralita.WrapError(centralita.EUNAVAILABLE, cause, "CRM %s failed", t.method),
			retry:    retry,
			outcome:  failure,
			response: data,
		}
	}
	a, err := decode(t, resp.Header.Get("Content-Type"), data)
	if err != nil {
		if f := (*soapFault)(nil); errors.As(err, &f) {
			return answer{}, result{
				err:      centralita.WrapError(centralita.EUNAVAILABLE, err, "CRM %s failed", t.method),
				retry:    !f.client(),
				outcome:  failure,
				response: data,
			}
		}
		return answer{}, result{
			err:      centralita.WrapError(centralita.EINVALID, err, "CRM %s gave an answer that cannot be read", t.method),
			outcome:  failure,
			response: data,
		}
	}
	return a, result{outcome: success, response: data}
}

// transportFailure classifies an error sending the request or reading the
// answer: the caller going away is no fault of the CRM (neutral for the
// breaker); the caller's deadline or the attempt's timeout passing, or a
// network error, is.
func (c *Client) transportFailure(ctx, actx context.Context, t *target, err error, data []byte) result {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return result{
			err:      centralita.WrapError(centralita.EUNAVAILABLE, err, "CRM %s: the call went away before the answer", t.method),
			outcome:  neutral,
			response: data,
		}
	case ctx.Err() != nil || actx.Err() != nil:
		return result{
			err:      centralita.WrapError(centralita.EUNAVAILABLE, err, "CRM %s did not answer in time", t.method),
			retry:    ctx.Err() == nil,
			outcome:  failure,
			response: data,
		}
	}
	return result{
		err:      centralita.WrapError(centralita.EUNAVAILABLE, err, "CRM %s is unreachable", t.method),
		retry:    true,
		outcome:  failure,
		response: data,
	}
}

// record stores one attempt through Config.Pushes; a failing store is logged.
func (c *Client) record(ctx context.Context, t *target, uniqueID string, attempt int, request, response []byte, status, errText string, elapsed time.Duration) {
	if c.cfg.Pushes == nil {
		return
	}
	p := &centralita.CRMPush{
		Method:     t.method,
		UniqueID:   uniqueID,
		Target:     t.shown,
		Attempt:    attempt,
		Request:    truncate(request, recordLimit),
		Response:   truncate(response, recordLimit),
		Status:     status,
		Error:      errText,
		DurationMS: elapsed.Milliseconds(),
		CreatedAt:  c.cfg.Now(),
	}
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx) // keep the record of the attempt that ran out of time
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RecordTimeout)
	defer cancel()
	if err := c.cfg.Pushes.CreateCRMPush(rctx, p); err != nil {
		c.cfg.Logger.WarnContext(rctx, "crm: cannot record attempt", "method", t.method, "uniqueid", uniqueID, "attempt", attempt, "status", status, "err", err)
	}
}
