package centralita

import "slices"

// JobList is an engine's running and recent jobs, oldest first: what the
// dialer's base uploads and the SMS base sends list and cancel. It is not
// safe for concurrent use: the engine's lock guards it and the Jobs in it.
type JobList struct {
	// Max is how many jobs are remembered; beyond it the oldest finished
	// ones are forgotten (running ones never are).
	Max  int
	jobs []listedJob
}

// listedJob is a job and the function that stops it.
type listedJob struct {
	job    *Job
	cancel func()
}

// Add remembers j, which cancel stops, and forgets old finished jobs.
func (l *JobList) Add(j *Job, cancel func()) {
	l.jobs = append(l.jobs, listedJob{job: j, cancel: cancel})
	l.Trim()
}

// Trim forgets the oldest finished jobs beyond Max.
func (l *JobList) Trim() {
	for len(l.jobs) > l.Max {
		i := slices.IndexFunc(l.jobs, func(j listedJob) bool { return j.job.State != JobRunning })
		if i < 0 {
			return
		}
		l.jobs = slices.Delete(l.jobs, i, i+1)
	}
}

// Running counts the jobs still running.
func (l *JobList) Running() int {
	n := 0
	for _, j := range l.jobs {
		if j.job.State == JobRunning {
			n++
		}
	}
	return n
}

// List copies the jobs, oldest first.
func (l *JobList) List() []Job {
	out := make([]Job, 0, len(l.jobs))
	for _, j := range l.jobs {
		cp := *j.job
		cp.Rejections = slices.Clone(j.job.Rejections)
		out = append(out, cp)
	}
	return out
}

// Cancel stops the running job id; ENOTFOUND for an unknown job, ECONFLICT
// for one that is over.
func (l *JobList) Cancel(id string) error {
	for _, j := range l.jobs {
		if j.job.ID != id {
			continue
		}
		if j.job.State != JobRunning {
			return Errorf(ECONFLICT, "job %s is %s", id, j.job.State)
		}
		j.cancel()
		return nil
	}
	return Errorf(ENOTFOUND, "job %s not found", id)
}

// CancelAll stops every job (the engine is closing).
func (l *JobList) CancelAll() {
	for _, j := range l.jobs {
		j.cancel()
	}
}
