package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

// startRecordingStack is a stack whose queue "grabada" records its calls,
// with agent 101 (ana) logged in; it returns the stack and its data folder.
func startRecordingStack(t *testing.T, args ...string) (*stack, string) {
	s := startStackWith(t, stackOpts{args: append([]string{"--provision", "testdata/recording_provision.json"}, args...)})
	require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", s.key, "agent", "ana", "extension", "101"), "true"))
	return s, filepath.Dir(strings.TrimPrefix(s.dsn, "sqlite:"))
}

// recordedCall makes a call to "grabada" that talks talk simulated seconds
// with the agent, waits for its end and returns its id.
func recordedCall(t *testing.T, s *stack, talk int) string {
	start := time.Now().Add(-time.Second)
	call := s.simCall(t, map[string]any{"from": "099555111", "queue": "grabada", "talk_duration": strconv.Itoa(talk) + "s"})
	s.waitLog(t, start, 20*time.Second, "COMPLETECALLER", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == call && r.Event == centralita.QLCompleteCaller
	})
	return call
}

// waitRecording waits until the call's recording is in state.
func waitRecording(t *testing.T, s *stack, call string, state centralita.RecordingState) *centralita.Recording {
	t.Helper()
	var got *centralita.Recording
	require.Eventually(t, func() bool {
		rs, _, err := store.NewRecordingService(s.db).FindRecordings(context.Background(), centralita.RecordingFilter{UniqueID: call})
		if err != nil || len(rs) != 1 {
			return false
		}
		got = rs[0]
		return got.State == state
	}, 20*time.Second, 50*time.Millisecond, "the recording of %s never %s: %+v", call, state, got)
	return got
}

// checkMP3 checks that the recording's MP3 decodes as talk seconds of audio.
func checkMP3(t *testing.T, dir string, r *centralita.Recording, talk int) {
	t.Helper()
	mp3 := filepath.Join(dir, "records", r.CallDate.UTC().Format("20060102"), r.GUID+".mp3")
	out, err := exec.Command("sox", "--i", "-D", mp3).CombinedOutput()
	require.NoError(t, err, "sox --i -D %s: %s", mp3, out)
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	require.NoError(t, err)
	// The simulator records in simulated time: the audio is as long as the talk.
	require.InDelta(t, float64(talk), secs, 1.0, "audio length of %s", mp3)
	require.InDelta(t, talk, r.Duration, 1)
	// The row is Ready before the WAV is removed, a moment later.
	wav := strings.TrimSuffix(mp3, ".mp3") + ".wav"
	require.Eventually(t, func() bool {
		_, err := os.Stat(wav)
		return errors.Is(err, os.ErrNotExist)
	}, 5*time.Second, 5*time.Millisecond, "the WAV was removed")
}

func TestRecordingQueueCall(t *testing.T) {
	s, dir := startRecordingStack(t)
	call := recordedCall(t, s, 8)
	r := waitRecording(t, s, call, centralita.RecordingReady)
	require.Equal(t, "grabada", r.Queue)
	require.Equal(t, "101", r.Agent)
	require.Equal(t, "099555111", r.Source)
	require.Equal(t, "grabada", r.Destination)
	require.Equal(t, "mp3", r.Format)
	checkMP3(t, dir, r, 8)
}

func TestRecordingSurvivesRestart(t *testing.T) {
	// --record-delay holds the fetch back so that serve stops between the
	// hangup and the conversion; the next start picks the recording up at once.
	s, dir := startRecordingStack(t, "--record-delay", "1h")
	call := recordedCall(t, s, 6)
	r := waitRecording(t, s, call, centralita.RecordingStored)
	folder := filepath.Join(dir, "records", r.CallDate.UTC().Format("20060102"))
	_, err := os.Stat(filepath.Join(folder, r.GUID+".mp3"))
	require.ErrorIs(t, err, os.ErrNotExist, "not converted before the restart")

	s.restart()
	r = waitRecording(t, s, call, centralita.RecordingReady)
	checkMP3(t, dir, r, 6)
}

func TestRecordingOriginateCallinfo(t *testing.T) {
	s, dir := startRecordingStack(t)
	// The default rules answer an outside number after 1 s and hang up after 4 s.
	id := s.soapCall(t, "originateCall", "authorizedKey", s.key, "src", "102", "srcCallerID", "Beto", "dst", "099777666",
		"dstCallerID", "Cliente", "timeout", "20", "callinfo", "cliente=42;record=1")
	require.NotEmpty(t, id)
	var got *centralita.Recording
	require.Eventually(t, func() bool {
		rs, _, err := store.NewRecordingService(s.db).FindRecordings(context.Background(), centralita.RecordingFilter{Destination: "099777666"})
		if err != nil || len(rs) != 1 {
			return false
		}
		got = rs[0]
		return got.State == centralita.RecordingReady
	}, 20*time.Second, 50*time.Millisecond, "the originated call's recording: %+v", got)
	require.Equal(t, "102", got.Source)
	checkMP3(t, dir, got, 4)

	// recordingPbx finds it by the originatedID and by its CDR's uniqueid.
	var cdrs struct {
		Calls []struct {
			UniqueID string `xml:"uniqueid,attr"`
			Dst      string `xml:"dst,attr"`
		} `xml:"call"`
	}
	var uniqueids []string
	require.Eventually(t, func() bool {
		s.soapDoc(t, &cdrs, "cdrData", "authorizedKey", s.key, "inicio", time.Now().Add(-time.Hour).Format(time.DateTime), "fin", time.Now().Add(time.Hour).Format(time.DateTime))
		uniqueids = uniqueids[:0]
		for _, c := range cdrs.Calls {
			uniqueids = append(uniqueids, c.UniqueID)
		}
		return len(uniqueids) > 0
	}, 10*time.Second, 100*time.Millisecond, "the call's CDRs")
	t.Logf("cdrData uniqueids: %v, recording uniqueid %s", uniqueids, got.UniqueID)
	for _, uid := range append([]string{id}, uniqueids[0]) {
		var doc struct {
			Recording struct {
				Status int `xml:"status,attr"`
			} `xml:"recording"`
		}
		s.soapDoc(t, &doc, "recordingPbx", "authorizedKey", s.key, "uniqueId", uid)
		require.Equal(t, 1, doc.Recording.Status, "recordingPbx(%s)", uid)
	}

	// Without record=1 nothing is recorded.
	s.soapCall(t, "originateCall", "authorizedKey", s.key, "src", "103", "srcCallerID", "Carla", "dst", "099777665",
		"dstCallerID", "Cliente", "timeout", "20", "callinfo", "cliente=43")
	require.Eventually(t, func() bool { return s.simChannels(t) == 0 }, 20*time.Second, 50*time.Millisecond)
	rs, _, err := store.NewRecordingService(s.db).FindRecordings(context.Background(), centralita.RecordingFilter{Destination: "099777665"})
	require.NoError(t, err)
	require.Empty(t, rs)
}
