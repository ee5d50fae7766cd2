package sms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/centralita/centralita"
)

// Job limits.
const (
	maxJobs       = 50
	maxRejections = 1000
	// maxRunningJobs bounds the uploads being sent at once; more are ELIMITED.
	maxRunningJobs = 16
	// maxBaseLines bounds the lines of one base (its messages are held in
	// memory and inserted in one transaction).
	maxBaseLines = 100000
	maxBaseLine  = 8 * 1024
)

// errJobCanceled is the cause of a job's context cancelled by CancelJob;
// any other cause (the engine closing) leaves the base's rows queued.
var errJobCanceled = errors.New("job cancelled by request")

// job is an SMS base being sent.
type job struct {
	centralita.Job // guarded by the engine's lock
	base           string
}

// UploadBase queues an SMS base and returns the id of the job that follows
// its sending; Jobs shows its progress. rest-integra.md §9.5 gives no file
// format; this one mirrors the dialer base of §7.3 ([proposal],
// non-standard): UTF-8, LF or CRLF, no header, one message per line as
//
//	campaign;number;message
//
// where an empty campaign is the upload's, the message is the rest of the
// line (it may hold ";") and an empty message is SMSBase.Message. A line
// with fewer than 2 fields, a bad number, no text, a campaign over
// MaxCampaign characters or more than 8 KiB is rejected (with its number
// and reason in the job) and the next lines are read. Blank lines are
// skipped and not counted in the job's Total. A Declared line count (the
// "cant" of Dialers/uploadbase, §7.1) that differs from the Total is only
// logged, as the dialer's upload does: the lines read are what is sent.
//
// Every accepted line is inserted, in one transaction, before UploadBase
// returns (so an answered upload survives a crash or restart: its unsent
// messages stay PENDING and are sent after the next start). A base has at
// most 100000 lines, and at most 16 uploads may be sending at once
// (ELIMITED beyond). Messages are queued at normal priority, share one
// batch id, have Base "<filename>@<job id prefix>" and are paced by the
// rate limit (not refused by it). The job runs until every message has
// left PENDING; cancelling it (CancelJob) marks the base's messages not
// yet sent ERROR ("cancelled"). Stopping the engine ends the job (failed,
// "interrupted") without cancelling anything.
func (e *Engine) UploadBase(ctx context.Context, u centralita.SMSBase) (string, error) {
	content := bytes.TrimPrefix(u.Content, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(content)) == 0 {
		return "", centralita.Errorf(centralita.EINVALID, "the base is empty")
	}
	if strings.TrimSpace(u.Message) != "" {
		if err := checkText(u.Message); err != nil {
			return "", err
		}
	}
	if err := checkLen("campaign", u.Campaign, MaxCampaign); err != nil {
		return "", err
	}
	if err := checkLen("username", u.Username, MaxAgent); err != nil {
		return "", err
	}
	if n := bytes.Count(content, []byte{'\n'}); n > maxBaseLines {
		return "", centralita.Errorf(centralita.EINVALID, "the base has %d lines: at most %d", n, maxBaseLines)
	}
	id := uuid.NewString()
	name := u.Filename
	if name == "" {
		name = "base"
	}
	base := name + "@" + id[:8]
	if n := utf8.RuneCountInString(base); n > MaxCampaign {
		return "", centralita.Errorf(centralita.EINVALID, "filename of %d characters: at most %d", utf8.RuneCountInString(name), MaxCampaign-9)
	}
	j := &job{Job: centralita.Job{
		ID: id, Kind: "smsbase", State: centralita.JobRunning,
		Description: fmt.Sprintf("SMS base %q for campaign %q by %q", u.Filename, u.Campaign, u.Username),
		StartedAt:   e.cfg.Now(), Rejections: []centralita.Rejection{},
	}, base: base}
	ms := e.parseBase(content, u, j)
	if u.Declared > 0 && int64(u.Declared) != j.Total {
		e.log.Info("sms: base line count differs from the one declared", "file", u.Filename, "declared", u.Declared, "lines", j.Total)
	}

	e.mu.Lock()
	if e.closed || e.runCtx == nil {
		e.mu.Unlock()
		return "", centralita.Errorf(centralita.EUNAVAILABLE, "the SMS engine is not running")
	}
	if running := e.jobs.Running(); running >= maxRunningJobs {
		e.mu.Unlock()
		return "", centralita.Errorf(centralita.ELIMITED, "%d SMS bases are being sent: at most %d at once", running, maxRunningJobs)
	}
	jctx, cancel := context.WithCancelCause(e.runCtx)
	e.jobs.Add(&j.Job, func() { cancel(errJobCanceled) })
	e.mu.Unlock()

	if err := e.cfg.Store.CreateSMS(ctx, ms); err != nil {
		cancel(err)
		e.endJob(j, centralita.JobFailed, centralita.ErrorMessage(err))
		return "", err
	}
	e.mu.Lock()
	j.Done = int64(len(ms))
	started := len(ms) > 0 && e.spawnLocked(func() {
		defer cancel(nil)
		e.runUpload(jctx, j)
	})
	e.mu.Unlock()
	switch {
	case len(ms) == 0:
		cancel(nil)
		e.endJob(j, centralita.JobDone, "")
	case !started:
		cancel(nil)
		e.endJob(j, centralita.JobFailed, "interrupted by shutdown; the base's messages stay queued")
	default:
		e.poke()
	}
	e.log.Info("sms: base queued", "job", id, "base", base, "queued", len(ms), "rejected", j.Rejected)
	return id, nil
}

// parseBase reads the base's lines into messages, recording rejections in j.
func (e *Engine) parseBase(content []byte, u centralita.SMSBase, j *job) []*centralita.SMS {
	var ms []*centralita.SMS
	var line int64
	for len(content) > 0 {
		var raw []byte
		raw, content, _ = bytes.Cut(content, []byte{'\n'})
		line++
		text := strings.TrimRight(string(raw), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		j.Total++
		if len(raw) > maxBaseLine {
			e.reject(j, line, fmt.Sprintf("line of %d bytes: at most %d", len(raw), maxBaseLine))
			continue
		}
		m, reason := e.baseLine(text, u, j.base)
		if reason != "" {
			e.reject(j, line, reason)
			continue
		}
		ms = append(ms, m)
	}
	return ms
}

// endJob marks j over.
func (e *Engine) endJob(j *job, state centralita.JobState, msg string) {
	now := e.cfg.Now()
	e.mu.Lock()
	j.State, j.Error, j.EndedAt = state, msg, &now
	e.jobs.Trim()
	e.mu.Unlock()
	e.log.Info("sms: base job over", "job", j.ID, "state", state, "queued", j.Done, "rejected", j.Rejected, "error", msg)
}

// Jobs lists the running and recent jobs, oldest first.
func (e *Engine) Jobs(ctx context.Context) ([]centralita.Job, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.jobs.List(), nil
}

// CancelJob stops a running job; ENOTFOUND for an unknown one, ECONFLICT
// for one that is over.
func (e *Engine) CancelJob(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.jobs.Cancel(id)
}

// runUpload waits until the base's messages are sent; when the job is
// cancelled (CancelJob) it marks those still pending ERROR ("cancelled").
// The engine closing ends it without touching the rows.
func (e *Engine) runUpload(ctx context.Context, j *job) {
	e.waitSent(ctx, j)
	switch {
	case context.Cause(ctx) == errJobCanceled:
		n, err := e.cfg.Store.CancelPendingSMS(context.WithoutCancel(ctx), j.base)
		if err != nil {
			e.log.Error("sms: cancelling a base's pending messages failed", "job", j.ID, "err", err)
			e.endJob(j, centralita.JobCanceled, "cancelling its pending messages failed: "+centralita.ErrorMessage(err))
			return
		}
		e.log.Info("sms: base cancelled", "job", j.ID, "unsent_cancelled", n)
		e.endJob(j, centralita.JobCanceled, "")
	case ctx.Err() != nil:
		e.endJob(j, centralita.JobFailed, "interrupted by shutdown; the base's unsent messages stay queued and are sent after restart")
	default:
		e.endJob(j, centralita.JobDone, "")
	}
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
	if err := checkLen("campaign", campaign, MaxCampaign); err != nil {
		return nil, centralita.ErrorMessage(err)
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
