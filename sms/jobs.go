package sms

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/centralita/centralita"
)

// Job limits.
const (
	maxJobs       = 50
	maxRejections = 1000
	uploadBatch   = 200
	maxBaseLine   = 8 * 1024
)

// job is an SMS base being queued and sent.
type job struct {
	centralita.Job // guarded by the engine's lock
	base           string
	cancel         context.CancelFunc
}

// UploadBase queues an SMS base as a background job and returns its id;
// Jobs shows its progress. rest-integra.md §9.5 gives no file format; this
// one mirrors the dialer base of §7.3 ([proposal], non-standard): UTF-8,
// LF or CRLF, no header, one message per line as
//
//	campaign;number;message
//
// where an empty campaign is the upload's, the message is the rest of the
// line (it may hold ";") and an empty message is SMSBase.Message. A line
// with fewer than 2 fields, a bad number or no text is rejected (with its
// number and reason in the job). Messages are queued at normal priority,
// with Base "<filename>@<job id prefix>", and are paced by the rate limit
// (not refused by it). The job runs until every queued message has left
// PENDING; cancelling it stops the queueing and marks the base's messages
// not yet sent ERROR ("cancelled").
func (e *Engine) UploadBase(ctx context.Context, u centralita.SMSBase) (string, error) {
	if len(bytes.TrimSpace(u.Content)) == 0 {
		return "", centralita.Errorf(centralita.EINVALID, "the base is empty")
	}
	if strings.TrimSpace(u.Message) != "" {
		if err := checkText(u.Message); err != nil {
			return "", err
		}
	}
	total := bytes.Count(u.Content, []byte{'\n'})
	if u.Content[len(u.Content)-1] != '\n' {
		total++
	}
	e.mu.Lock()
	if e.closed || e.runCtx == nil {
		e.mu.Unlock()
		return "", centralita.Errorf(centralita.EUNAVAILABLE, "the SMS engine is not running")
	}
	jctx, cancel := context.WithCancel(e.runCtx)
	id := uuid.NewString()
	name := u.Filename
	if name == "" {
		name = "base"
	}
	j := &job{Job: centralita.Job{
		ID: id, Kind: "smsbase", State: centralita.JobRunning, Total: int64(total),
		Description: fmt.Sprintf("SMS base %q for campaign %q by %q", u.Filename, u.Campaign, u.Username),
		StartedAt:   e.cfg.Now(), Rejections: []centralita.Rejection{},
	}, base: name + "@" + id[:8], cancel: cancel}
	e.jobs = append(e.jobs, j)
	e.trimJobs()
	e.mu.Unlock()
	e.spawn(func() {
		defer cancel()
		e.runUpload(jctx, j, u)
	})
	return id, nil
}

// trimJobs keeps the last maxJobs jobs, dropping the oldest finished first; the lock is held.
func (e *Engine) trimJobs() {
	for len(e.jobs) > maxJobs {
		i := slices.IndexFunc(e.jobs, func(j *job) bool { return j.State != centralita.JobRunning })
		if i < 0 {
			return
		}
		e.jobs = slices.Delete(e.jobs, i, i+1)
	}
}

// Jobs lists the running and recent jobs, oldest first.
func (e *Engine) Jobs(ctx context.Context) ([]centralita.Job, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]centralita.Job, 0, len(e.jobs))
	for _, j := range e.jobs {
		cp := j.Job
		cp.Rejections = slices.Clone(j.Rejections)
		out = append(out, cp)
	}
	return out, nil
}

// CancelJob stops a running job; ENOTFOUND for an unknown one, ECONFLICT
// for one that is over.
func (e *Engine) CancelJob(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range e.jobs {
		if j.ID != id {
			continue
		}
		if j.State != centralita.JobRunning {
			return centralita.Errorf(centralita.ECONFLICT, "job %s is %s", id, j.State)
		}
		j.cancel()
		return nil
	}
	return centralita.Errorf(centralita.ENOTFOUND, "job %s not found", id)
}

// runUpload queues the base batch by batch, then waits for it to be sent.
func (e *Engine) runUpload(ctx context.Context, j *job, u centralita.SMSBase) {
	state, msg := centralita.JobDone, ""
	defer func() {
		if ctx.Err() != nil && state != centralita.JobFailed {
			state = centralita.JobCanceled
			n, err := e.cfg.Store.CancelPendingSMS(context.WithoutCancel(ctx), j.base)
			if err != nil {
				e.log.Error("sms: cancelling a base's pending messages failed", "job", j.ID, "err", err)
			}
			e.log.Info("sms: base cancelled", "job", j.ID, "unsent_cancelled", n)
		}
		now := e.cfg.Now()
		e.mu.Lock()
		j.State, j.Error, j.EndedAt = state, msg, &now
		e.trimJobs()
		e.mu.Unlock()
		e.log.Info("sms: base job over", "job", j.ID, "state", state, "queued", j.Done, "rejected", j.Rejected)
	}()
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(u.Content, []byte("\xef\xbb\xbf"))))
	sc.Buffer(make([]byte, 0, 4096), maxBaseLine)
	var batch []*centralita.SMS
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		if err := e.cfg.Store.CreateSMS(ctx, batch); err != nil {
			state, msg = centralita.JobFailed, centralita.ErrorMessage(err)
			if ctx.Err() != nil {
				state = centralita.JobCanceled
			}
			return false
		}
		e.mu.Lock()
		j.Done += int64(len(batch))
		e.mu.Unlock()
		batch = batch[:0]
		e.poke()
		return ctx.Err() == nil
	}
	var line int64
	for sc.Scan() {
		line++
		if ctx.Err() != nil {
			return
		}
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		m, reason := e.baseLine(text, u, j.base)
		if reason != "" {
			e.reject(j, line, reason)
			continue
		}
		// A chunk of the base shares a batch id; the base name is what tracks it.
		batch = append(batch, m)
		if len(batch) == uploadBatch && !flush() {
			return
		}
	}
	if err := sc.Err(); err != nil {
		e.reject(j, line+1, "line too long: "+err.Error())
	}
	if !flush() {
		return
	}
	e.waitSent(ctx, j)
}

// baseLine reads one base line into a message, or says why not.
func (e *Engine) baseLine(text string, u centralita.SMSBase, base string) (*centralita.SMS, string) {
	f := strings.SplitN(text, ";", 3)
	if len(f) < 2 {
		return nil, "fewer than 2 fields (campaign;number;message)"
	}
	campaign := strings.TrimSpace(f[0])
	if campaign == "" {
		campaign = u.Campaign
	}
	rcpts, err := Recipients(f[1])
	if err != nil || len(rcpts) != 1 {
		return nil, fmt.Sprintf("number %q is not one phone number", f[1])
	}
	msg := u.Message
	if len(f) == 3 && strings.TrimSpace(f[2]) != "" {
		msg = f[2]
	}
	if err := checkText(msg); err != nil {
		return nil, centralita.ErrorMessage(err)
	}
	return &centralita.SMS{
		Recipient: rcpts[0], Text: msg, Status: centralita.SMSPending, Priority: centralita.SMSPriorityNormal,
		Campaign: campaign, Agent: u.Username, Base: base,
	}, ""
}

// reject counts a rejected line and keeps the first maxRejections.
func (e *Engine) reject(j *job, line int64, reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j.Rejected++
	if len(j.Rejections) < maxRejections {
		j.Rejections = append(j.Rejections, centralita.Rejection{Line: line, Reason: reason})
	}
}

// waitSent keeps the job running until none of its messages is pending.
func (e *Engine) waitSent(ctx context.Context, j *job) {
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	for {
		left, err := e.cfg.Store.FindSMSList(ctx, centralita.SMSFilter{Base: j.base, Status: centralita.SMSPending, Limit: 1})
		if err == nil && len(left) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
