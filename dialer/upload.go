package dialer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/centralita/centralita"
)

// Upload limits.
const (
	// maxJobs is how many jobs Jobs remembers; the oldest finished go first.
	maxJobs = 50
	// maxRejections is how many rejected lines a job keeps (all are logged).
	maxRejections = 1000
	// maxLine is the longest line read; a longer one is rejected.
	maxLine = 64 * 1024
)

// job is a base upload in progress or recently finished.
type job struct {
	centralita.Job // guarded by the engine's lock
}

// UploadBase checks the campaign and the time zone, then loads the base
// in the background and returns the job's id (Jobs shows its progress).
//
// The Integra format is read line by line (UTF-8, LF or CRLF, no header,
// a leading BOM ignored, blank lines skipped):
// campaign;number;k=v:k=v;alt1:alt2;priority;agentphone. Lines are loaded
// in batches of BatchSize; a line is rejected, with its number and reason
// in the job, when it has fewer than 2 fields or more than 6, its first
// field names another campaign than the upload's (an empty first field is
// the upload's campaign), its number or an alternate is not a number, its
// priority is not an integer above 1 (1 is reserved for scheduled calls),
// or its data is too long. A blacklisted number is loaded Rejected and
// also reported as a rejected line. Owners (agentphone) are resolved to
// agent numbers when they match an agent. Canceling stops between batches:
// the batches loaded stay.
func (e *Engine) UploadBase(ctx context.Context, u centralita.BaseUpload) (string, error) {
	camp, err := e.campaignByName(ctx, u.Campaign)
	if err != nil {
		return "", err
	}
	if u.TimeZone != "" {
		if _, err := time.LoadLocation(u.TimeZone); err != nil {
			return "", centralita.Errorf(centralita.EINVALID, "unknown time zone %q", u.TimeZone)
		}
	}
	if len(bytes.TrimSpace(u.Content)) == 0 {
		return "", centralita.Errorf(centralita.EINVALID, "the base is empty")
	}
	total := bytes.Count(u.Content, []byte{'\n'})
	if u.Content[len(u.Content)-1] != '\n' {
		total++
	}
	if u.Declared > 0 && u.Declared != total {
		e.log.Info("dialer: base line count differs from the one declared", "file", u.Filename, "declared", u.Declared, "lines", total)
	}
	jctx, cancel := context.WithCancel(e.runCtx)
	j := &job{Job: centralita.Job{
		ID: uuid.NewString(), Kind: "uploadbase", State: centralita.JobRunning, Total: int64(total),
		Description: fmt.Sprintf("base %q into campaign %q by %q", u.Filename, camp.Name, u.Username),
		StartedAt:   e.cfg.Now(), Rejections: []centralita.Rejection{},
	}}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		cancel()
		return "", centralita.Errorf(centralita.EUNAVAILABLE, "the dialer is shutting down")
	}
	e.jobs.Add(&j.Job, cancel)
	e.mu.Unlock()
	e.spawn(func() {
		defer cancel()
		e.runUpload(jctx, j, camp, u)
	})
	return j.ID, nil
}

// Jobs lists the running and recent jobs, oldest first.
func (e *Engine) Jobs(ctx context.Context) ([]centralita.Job, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.jobs.List(), nil
}

// CancelJob stops a running job between two batches; ENOTFOUND for an
// unknown job, ECONFLICT for one that is over.
func (e *Engine) CancelJob(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.jobs.Cancel(id)
}

// runUpload reads the base and loads it batch by batch.
func (e *Engine) runUpload(ctx context.Context, j *job, camp *centralita.Campaign, u centralita.BaseUpload) {
	state, msg := centralita.JobDone, ""
	defer func() {
		now := e.cfg.Now()
		e.mu.Lock()
		j.State, j.Error, j.EndedAt = state, msg, &now
		e.jobs.Trim()
		e.mu.Unlock()
		e.log.Info("dialer: base upload over", "job", j.ID, "state", state, "done", j.Done, "rejected", j.Rejected)
	}()
	fail := func(err error) { state, msg = centralita.JobFailed, centralita.ErrorMessage(err) }
	black, err := e.blacklistFor(ctx, camp.Name, 1<<30)
	if err != nil {
		fail(err)
		return
	}
	owners := map[string]string{}
	batch := make([]*centralita.Contact, 0, e.cfg.BatchSize)
	lines := make([]int64, 0, e.cfg.BatchSize)
	var pendingRej []centralita.Rejection
	var done int64
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			err := e.addContacts(ctx, camp, batch, TransitionUpload, black, owners)
			loaded := batch
			if centralita.ErrorKind(err) == centralita.EINVALID {
				// One contact refused the batch: load them one by one.
				loaded = loaded[:0]
				for i, c := range batch {
					if err := e.addContacts(ctx, camp, []*centralita.Contact{c}, TransitionUpload, black, owners); err == nil {
						loaded = append(loaded, c)
						lines[len(loaded)-1] = lines[i]
					} else if centralita.ErrorKind(err) == centralita.EINVALID {
						pendingRej = append(pendingRej, centralita.Rejection{Line: lines[i], Reason: centralita.ErrorMessage(err)})
					} else {
						return err
					}
				}
			} else if err != nil {
				return err
			}
			for i, c := range loaded {
				if c.LastOutcome == centralita.OutcomeBlacklist {
					pendingRej = append(pendingRej, centralita.Rejection{Line: lines[i], Reason: "number " + c.Number + " is on the do-not-call list (loaded as Rejected)"})
				}
			}
		}
		e.mu.Lock()
		j.Done = done
		for _, r := range pendingRej {
			j.Rejected++
			if len(j.Rejections) < maxRejections {
				j.Rejections = append(j.Rejections, r)
			}
			e.log.Info("dialer: base line rejected", "job", j.ID, "line", r.Line, "reason", r.Reason)
		}
		e.mu.Unlock()
		batch, lines, pendingRej = batch[:0], lines[:0], pendingRej[:0]
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(u.Content))
	split := &lineSplitter{max: maxLine}
	sc.Split(split.split)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine+2)
	var n int64
	for sc.Scan() {
		n++
		done++
		if split.long {
			split.long = false
			pendingRej = append(pendingRej, centralita.Rejection{Line: n, Reason: fmt.Sprintf("line longer than %d bytes", maxLine)})
			continue
		}
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		c, reason := parseLine(string(line), camp.Name)
		if reason != "" {
			pendingRej = append(pendingRej, centralita.Rejection{Line: n, Reason: reason})
			continue
		}
		c.Base, c.TimeZone, c.Enabled = u.Filename, u.TimeZone, true
		batch = append(batch, c)
		lines = append(lines, n)
		if len(batch) >= e.cfg.BatchSize {
			if err := flush(); err != nil {
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		fail(err)
		return
	}
	if err := flush(); err != nil {
		if ctx.Err() != nil {
			state, msg = centralita.JobCanceled, "canceled"
			return
		}
		fail(err)
	}
}

// parseLine reads one base line; reason is why it is refused ("" when not).
func parseLine(line, campaign string) (*centralita.Contact, string) {
	f := strings.Split(line, ";")
	for len(f) > 6 && strings.TrimSpace(f[len(f)-1]) == "" {
		f = f[:len(f)-1] // trailing separators
	}
	switch {
	case len(f) < 2:
		return nil, "fewer than 2 fields"
	case len(f) > 6:
		return nil, "more than 6 fields"
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	if f[0] != "" && f[0] != campaign {
		return nil, fmt.Sprintf("campaign %q is not the upload's campaign %q", f[0], campaign)
	}
	number, err := normalizeNumber(f[1])
	if err != nil {
		return nil, fmt.Sprintf("bad number %q", f[1])
	}
	c := &centralita.Contact{Number: number, Priority: centralita.PriorityDefault}
	if len(f) > 2 {
		if len(f[2]) > 4096 {
			return nil, "data longer than 4096 characters"
		}
		c.Data = f[2]
	}
	if len(f) > 3 && f[3] != "" {
		alts, err := normalizeNumbers(strings.Split(f[3], ":"))
		if err != nil {
			return nil, "bad alternate number: " + centralita.ErrorMessage(err)
		}
		if len(alts) > 10 {
			return nil, "more than 10 alternate numbers"
		}
		c.Alternates = alts
	}
	if len(f) > 4 && f[4] != "" {
		p, err := strconv.Atoi(f[4])
		switch {
		case err != nil || p < 1:
			return nil, fmt.Sprintf("bad priority %q", f[4])
		case p == centralita.PriorityScheduled:
			return nil, "priority 1 is reserved for scheduled calls"
		}
		c.Priority = p
	}
	if len(f) > 5 {
		c.Agent = f[5]
	}
	return c, ""
}

// lineSplitter splits lines for a bufio.Scanner, skipping the rest of a
// line longer than max and flagging it (long), so one bad line does not
// stop the upload.
type lineSplitter struct {
	max      int
	skipping bool
	long     bool
}

func (s *lineSplitter) split(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexByte(data, '\n')
	if s.skipping {
		switch {
		case i >= 0:
			s.skipping, s.long = false, true
			return i + 1, data[:0], nil
		case atEOF:
			s.skipping, s.long = false, true
			return len(data), data[:0], nil
		}
		return len(data), nil, nil
	}
	switch {
	case i >= 0 && i <= s.max:
		return i + 1, data[:i], nil
	case i > s.max || len(data) > s.max:
		s.skipping = true
		if i >= 0 {
			s.skipping, s.long = false, true
			return i + 1, data[:0], nil
		}
		return len(data), nil, nil
	case atEOF && len(data) > 0:
		return len(data), data, nil
	}
	return 0, nil, nil
}
