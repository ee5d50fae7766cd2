package dialer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/dialer"
)

// waitJob waits until the job is over and returns it.
func (h *harness) waitJob(id string, within time.Duration) centralita.Job {
	h.t.Helper()
	var job centralita.Job
	require.Eventually(h.t, func() bool {
		jobs, err := h.eng.Jobs(context.Background())
		require.NoError(h.t, err)
		for _, j := range jobs {
			if j.ID == id {
				job = j
				return j.State != centralita.JobRunning
			}
		}
		return false
	}, within, 5*time.Millisecond)
	return job
}

func TestUploadBaseLoadsGoodLinesAndReportsTheRest(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	require.NoError(t, h.black.AddBlacklist(ctx, &centralita.BlacklistEntry{Phone: "099000007", Campaign: centralita.BlacklistAll}))
	lines := []string{
		"\xef\xbb\xbfVentas->;098344484;var1=val1:var2=val2;099124484:099111111;9999;Agente1", // 1
		"Ventas->;098344485\r",       // 2: CRLF, no optional fields
		"",                           // 3: blank, skipped
		"098344486",                  // 4: one field
		"Ventas->;09834abc",          // 5: bad number
		"Otra;098344487",             // 6: another campaign
		";098-344-488;;;50;",         // 7: empty campaign = the upload's
		"Ventas->;098344489;;;1;",    // 8: priority 1 reserved
		"Ventas->;098344490;;;alta;", // 9: bad priority
		"Ventas->;099000007;a=1",     // 10: blacklisted: loaded Rejected
		"Ventas->;098344491;;09x;",   // 11: bad alternate
		"Ventas->;098344492;" + strings.Repeat("x", 70000), // 12: too long
		"Ventas->;098344493;;;;;;;",                        // 13: trailing separators
		"Ventas->;1;2;3;4;5;6;7",                           // 14: too many fields
	}
	content := []byte(strings.Join(lines, "\n"))
	id, err := h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Ventas->", Filename: "basetest", Username: "admin", Content: content, Declared: 14, TimeZone: "America/Montevideo"})
	require.NoError(t, err)
	job := h.waitJob(id, 10*time.Second)
	require.Equal(t, centralita.JobDone, job.State)
	require.Equal(t, int64(14), job.Total)
	require.Equal(t, int64(14), job.Done)
	require.Equal(t, int64(9), job.Rejected)
	reasons := map[int64]string{}
	for _, r := range job.Rejections {
		reasons[r.Line] = r.Reason
	}
	require.Len(t, reasons, 9)
	for line, want := range map[int64]string{4: "fewer than 2 fields", 5: "bad number", 6: "not the upload's campaign", 8: "reserved",
		9: "bad priority", 10: "do-not-call", 11: "bad alternate", 12: "longer than", 14: "more than 6 fields"} {
		require.Contains(t, reasons[line], want, "line %d", line)
	}

	list, n, err := h.contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: h.camp.ID})
	require.NoError(t, err)
	require.Equal(t, 5, n)
	byNumber := map[string]*centralita.Contact{}
	for _, c := range list {
		byNumber[c.Number] = c
	}
	c := byNumber["098344484"]
	require.NotNil(t, c)
	require.Equal(t, "var1=val1:var2=val2", c.Data)
	require.Equal(t, []string{"099124484", "099111111"}, c.Alternates)
	require.Equal(t, 9999, c.Priority)
	require.Equal(t, "201", c.Agent)
	require.Equal(t, "basetest", c.Base)
	require.Equal(t, "America/Montevideo", c.TimeZone)
	require.True(t, c.Enabled)
	require.Equal(t, 50, byNumber["098344488"].Priority)
	require.Equal(t, centralita.ContactRejected, byNumber["099000007"].State)
	require.NotNil(t, byNumber["098344485"])
	require.NotNil(t, byNumber["098344493"])
	require.Equal(t, []string{dialer.TransitionUpload}, h.log(c.ID))

	_, err = h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Nope", Content: content})
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))
	_, err = h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Ventas->", Content: content, TimeZone: "Mars/Olympus"})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
	_, err = h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Ventas->", Content: []byte("\n\n")})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
}

// bigBase is n lines of the Integra format; every 1000th line has a bad number.
func bigBase(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 48)
	for i := range n {
		if i%1000 == 999 {
			fmt.Fprintf(&b, "Ventas->;09x%07d;id=%d\n", i, i)
			continue
		}
		fmt.Fprintf(&b, "Ventas->;09%08d;id=%d:name=N%d;;%d\n", i, i, i, 2+i%100)
	}
	return b.Bytes()
}

func TestUploadLargeBaseInBoundedMemory(t *testing.T) {
	// The SQLite driver is C translated to Go: the race detector slows it
	// some 40 times (200,000 lines take 3 minutes), so under -race the
	// base is 20,000 lines; without it 1,000,000 (200,000 with -short).
	// DIALER_UPLOAD_LINES overrides.
	n := 1_000_000
	switch v := os.Getenv("DIALER_UPLOAD_LINES"); {
	case v != "":
		n, _ = strconv.Atoi(v)
	case raceOn:
		n = 20_000
	case testing.Short():
		n = 200_000
	}
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	content := bigBase(n)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Ventas->", Filename: "big", Content: content})
	require.NoError(t, err)
	var peak uint64
	var progress []int64
	var job centralita.Job
	for {
		// The live heap: without a collection HeapAlloc holds garbage up
		// to GOGC% of the live heap (the base itself).
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		jobs, err := h.eng.Jobs(ctx)
		require.NoError(t, err)
		job = jobs[0]
		progress = append(progress, job.Done)
		if job.State != centralita.JobRunning {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	require.Equal(t, centralita.JobDone, job.State, job.Error)
	require.Equal(t, int64(n), job.Total)
	require.Equal(t, int64(n), job.Done)
	require.Equal(t, int64(n/1000), job.Rejected)
	require.Len(t, job.Rejections, min(n/1000, 1000))
	require.Equal(t, int64(1000), job.Rejections[0].Line)
	require.Contains(t, job.Rejections[0].Reason, "bad number")
	_, count, err := h.contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: h.camp.ID, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, n-n/1000, count)
	// Progress was visible while it ran.
	require.Greater(t, len(progress), 2)
	growth := int64(peak) - int64(before.HeapAlloc)
	t.Logf("%d lines (%d MB) loaded in %v; heap growth at peak %d MB", n, len(content)>>20, elapsed, growth>>20)
	require.Less(t, growth, int64(32<<20), "memory must not grow with the base: heap grew %d MB", growth>>20)
}

func TestUploadCanBeCanceled(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	id, err := h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Ventas->", Content: bigBase(100_000)})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		jobs, _ := h.eng.Jobs(ctx)
		return jobs[0].Done > 0
	}, 10*time.Second, time.Millisecond)
	require.NoError(t, h.eng.CancelJob(ctx, id))
	job := h.waitJob(id, 10*time.Second)
	require.Equal(t, centralita.JobCanceled, job.State)
	require.Less(t, job.Done, job.Total)
	require.NotNil(t, job.EndedAt)
	_, count, err := h.contacts.FindContacts(ctx, centralita.ContactFilter{CampaignID: h.camp.ID, Limit: 1})
	require.NoError(t, err)
	require.Less(t, count, 100_000-100)
	require.Zero(t, count%1000, "whole batches stay loaded")
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(h.eng.CancelJob(ctx, id)))
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(h.eng.CancelJob(ctx, "nope")))
}

func TestJobsKeepsTheLast50(t *testing.T) {
	h := newHarness(t, centralita.Campaign{})
	ctx := context.Background()
	var ids []string
	for i := range 55 {
		id, err := h.eng.UploadBase(ctx, centralita.BaseUpload{Campaign: "Ventas->", Content: []byte(fmt.Sprintf("Ventas->;0990%05d\n", i))})
		require.NoError(t, err)
		h.waitJob(id, 5*time.Second)
		ids = append(ids, id)
	}
	jobs, err := h.eng.Jobs(ctx)
	require.NoError(t, err)
	require.Len(t, jobs, 50)
	require.Equal(t, ids[5], jobs[0].ID)
	require.Equal(t, ids[54], jobs[49].ID)
}
