package centralita_test

import (
	"strconv"
	"testing"

	"github.com/centralita/centralita"
)

func TestJobList(t *testing.T) {
	l := centralita.JobList{Max: 3}
	jobs := make([]*centralita.Job, 5)
	canceled := map[string]bool{}
	for i := range jobs {
		id := strconv.Itoa(i)
		jobs[i] = &centralita.Job{ID: id, State: centralita.JobRunning, Rejections: []centralita.Rejection{{Line: 1}}}
		l.Add(jobs[i], func() { canceled[id] = true })
	}
	if got := len(l.List()); got != 5 {
		t.Fatalf("running jobs are never forgotten: %d listed, want 5", got)
	}
	jobs[1].State, jobs[3].State = centralita.JobDone, centralita.JobCanceled
	l.Trim()
	list := l.List()
	if len(list) != 3 || list[0].ID != "0" || list[1].ID != "2" || list[2].ID != "4" {
		t.Fatalf("after Trim: %+v, want the finished 1 and 3 forgotten", list)
	}
	list[0].Rejections[0].Line = 99
	if jobs[0].Rejections[0].Line != 1 {
		t.Error("List shares the rejections it returns")
	}
	if n := l.Running(); n != 3 {
		t.Errorf("Running() = %d, want 3", n)
	}
	if err := l.Cancel("2"); err != nil || !canceled["2"] {
		t.Errorf("Cancel(2) = %v, canceled %v", err, canceled)
	}
	jobs[2].State = centralita.JobCanceled
	if err := l.Cancel("2"); centralita.ErrorKind(err) != centralita.ECONFLICT {
		t.Errorf("Cancel of a finished job = %v, want ECONFLICT", err)
	}
	if err := l.Cancel("9"); centralita.ErrorKind(err) != centralita.ENOTFOUND {
		t.Errorf("Cancel of an unknown job = %v, want ENOTFOUND", err)
	}
	l.CancelAll()
	if !canceled["0"] || !canceled["4"] {
		t.Errorf("CancelAll: %v", canceled)
	}
}
