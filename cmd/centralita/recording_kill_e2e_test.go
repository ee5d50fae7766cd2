package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/ari/arisim"
	"github.com/centralita/centralita/store"
)

// killableStack is a stack whose serve is a child process (this test
// binary re-executed, see TestMain), so that it can be killed with SIGKILL.
type killableStack struct {
	*stack
	dir  string
	args []string
	cmd  *exec.Cmd
	log  *syncBuffer
}

func startKillableStack(t *testing.T) *killableStack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "c.db")
	db, err := store.Open(ctx, store.Config{DSN: dsn})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	t.Cleanup(func() { db.Close() })
	s := &stack{simUser: "asterisk", simPW: "sim-secret", cdrs: store.NewCDRService(db), db: db, dsn: dsn}
	// The simulator stands for Asterisk, which outlives a crash of serve.
	s.sim, err = arisim.New(arisim.Config{Username: s.simUser, Password: s.simPW, CDR: s.cdrs, TimeScale: 0.2, InboundApp: "centralita"})
	require.NoError(t, err)
	require.NoError(t, s.sim.Start(ctx, "127.0.0.1:0"))
	t.Cleanup(func() { s.sim.Close() })
	out, err := cli(t, "", "keys", "create", "--description", "e2e", "--db", dsn)
	require.NoError(t, err)
	s.key = regexp.MustCompile(`(?m)^[0-9a-f]{32}$`).FindString(out)
	addr := freeAddr(t)
	s.url = "http://" + addr
	k := &killableStack{stack: s, dir: dir, log: &syncBuffer{}, args: []string{"serve", "--listen", addr, "--db", dsn,
		"--data-dir", dir, "--timezone", "UTC", "--ari-url", s.sim.URL() + "/ari", "--ari-user", s.simUser,
		"--ari-password", s.simPW, "--log-format", "json", "--provision", "testdata/recording_provision.json"}}
	t.Cleanup(func() {
		k.kill(t)
		if t.Failed() {
			t.Logf("serve's log:\n%s", k.log)
		}
	})
	return k
}

// start runs serve as a child process with the stack's arguments and more.
func (k *killableStack) start(t *testing.T, more ...string) {
	t.Helper()
	argv, err := json.Marshal(append(append([]string(nil), k.args...), more...))
	require.NoError(t, err)
	k.cmd = exec.Command(os.Args[0], "-test.run=^$")
	k.cmd.Env = append(os.Environ(), childEnv+"="+string(argv))
	k.cmd.Stdout, k.cmd.Stderr = k.log, k.log
	require.NoError(t, k.cmd.Start())
	require.Eventually(t, func() bool {
		res, err := http.Get(k.url + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, "serve did not become healthy: %s", k.log)
}

// kill ends serve with SIGKILL: no shutdown code runs.
func (k *killableStack) kill(t *testing.T) {
	if k.cmd == nil {
		return
	}
	_ = k.cmd.Process.Kill()
	_ = k.cmd.Wait()
	k.cmd = nil
	http.DefaultClient.CloseIdleConnections()
}

// TestRecordingSurvivesKill kills serve (SIGKILL) between a recorded call's
// hangup and the conversion of its recording, twice: once with the
// recording held back in state stored (--record-delay), once at the moment
// the call ends, wherever the recording is then. After each restart the
// MP3 is there and holds the call's audio.
func TestRecordingSurvivesKill(t *testing.T) {
	k := startKillableStack(t)
	login := func() {
		require.True(t, strings.EqualFold(k.soapText(t, "loginAgent", "authorizedKey", k.key, "agent", "ana", "extension", "101"), "true"))
	}

	k.start(t, "--record-delay", "1h")
	login()
	call := recordedCall(t, k.stack, 6)
	r := waitRecording(t, k.stack, call, centralita.RecordingStored)
	folder := filepath.Join(k.dir, "records", r.CallDate.UTC().Format("20060102"))
	_, err := os.Stat(filepath.Join(folder, r.GUID+".mp3"))
	require.ErrorIs(t, err, os.ErrNotExist, "not converted before the kill")
	k.kill(t)
	k.start(t)
	r = waitRecording(t, k.stack, call, centralita.RecordingReady)
	checkMP3(t, k.dir, r, 6)

	// Killed as the call ends: the recording may still be live in Asterisk,
	// stopped but not fetched, or being converted. When serve died before
	// it stopped the recording, Asterisk goes on recording the agent's leg
	// until the restarted serve ends the call, so the audio holds at least
	// the talk and at most the talk plus the time serve was down.
	login()
	call = recordedCall(t, k.stack, 5)
	down := time.Now()
	k.kill(t)
	k.start(t)
	r = waitRecording(t, k.stack, call, centralita.RecordingReady)
	mp3 := filepath.Join(k.dir, "records", r.CallDate.UTC().Format("20060102"), r.GUID+".mp3")
	out, err := exec.Command("sox", "--i", "-D", mp3).CombinedOutput()
	require.NoError(t, err, "sox --i -D %s: %s", mp3, out)
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	require.NoError(t, err)
	// The simulator runs at 0.2: a real second is 5 simulated ones.
	most := 5 + 1 + time.Since(down).Seconds()/0.2
	t.Logf("killed at the call's end: %.1f s of audio (at most %.0f)", secs, most)
	require.True(t, secs >= 4 && secs <= most, "audio of %s: %.1f s, want 5 s to %.0f s", mp3, secs, most)
}
