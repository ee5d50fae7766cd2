package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// childEnv names the environment variable that makes the test binary run
// `centralita` with the JSON-encoded arguments it holds instead of the
// tests: a real serve process a test can kill with SIGKILL.
const childEnv = "CENTRALITA_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			fmt.Fprintln(os.Stderr, "bad", childEnv, err)
			os.Exit(2)
		}
		os.Args = append(os.Args[:1], argv...)
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer safe for a server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `serve` in-process until the returned stop is called.
func startServe(t *testing.T, dataDir string) (addr string, stdout *syncBuffer, stop func()) {
	t.Helper()
	addr = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--data-dir", dataDir, "--log-format", "json"}, nil, stdout, stderr)
	}()
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "server did not answer /healthz: %s", stderr)
	return addr, stdout, func() {
		cancel()
		require.NoError(t, <-done, stderr.String())
		http.DefaultClient.CloseIdleConnections()
	}
}

func TestServeFirstStartCredentials(t *testing.T) {
	dir := t.TempDir()
	addr, out, stop := startServe(t, dir)
	res, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	stop()

	first := out.String()
	require.Contains(t, first, "admin password:")
	key := regexp.MustCompile(`access key:\s+([0-9a-f]{32})`).FindStringSubmatch(first)
	require.NotNil(t, key, first)
	st, err := os.Stat(filepath.Join(dir, "initial-credentials"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	saved, err := os.ReadFile(filepath.Join(dir, "initial-credentials"))
	require.NoError(t, err)
	require.Contains(t, string(saved), key[1])
	require.FileExists(t, filepath.Join(dir, "centralita.db"))

	_, out2, stop2 := startServe(t, dir)
	stop2()
	require.Empty(t, out2.String(), "a second start prints no credentials")
}

func cli(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func TestKeysAndUsersCommands(t *testing.T) {
	db := "--db=sqlite:" + filepath.Join(t.TempDir(), "c.db")

	out, err := cli(t, "", "keys", "create", "--description", "crm", db)
	require.NoError(t, err)
	key := regexp.MustCompile(`(?m)^[0-9a-f]{32}$`).FindString(out)
	require.NotEmpty(t, key, out)

	out, err = cli(t, "", "keys", "list", db)
	require.NoError(t, err)
	require.Contains(t, out, "crm")
	require.NotContains(t, out, key, "keys list never shows the key")

	_, err = cli(t, "", "keys", "create", db)
	require.Error(t, err, "description required")
	_, err = cli(t, "", "keys", "revoke", db, "1")
	require.NoError(t, err)
	_, err = cli(t, "", "keys", "revoke", db, "99")
	require.ErrorContains(t, err, "not found")
	out, err = cli(t, "", "keys", "list", db)
	require.NoError(t, err)
	require.Contains(t, out, "revoked")

	out, err = cli(t, "a long password\n", "users", "create", "--username", "sup", "--role", "supervisor", db)
	require.NoError(t, err)
	require.NotContains(t, out, "password (shown only now)")
	out, err = cli(t, "", "users", "create", "--username", "ag", "--role", "agent", db)
	require.NoError(t, err)
	require.Regexp(t, `password \(shown only now\): \S{20}`, out)
	_, err = cli(t, "", "users", "create", "--username", "ag", "--role", "agent", db)
	require.ErrorContains(t, err, "already exists")
	_, err = cli(t, "short\n", "users", "create", "--username", "x", db)
	require.ErrorContains(t, err, "8 to 72")

	out, err = cli(t, "", "users", "list", db)
	require.NoError(t, err)
	require.Contains(t, out, "sup")
	require.Contains(t, out, "supervisor")
	_, err = cli(t, "", "users", "delete", db, "ag")
	require.NoError(t, err)
	_, err = cli(t, "", "users", "delete", db, "ag")
	require.ErrorContains(t, err, "not found")

	out, err = cli(t, "", "migrate", "status", db)
	require.NoError(t, err)
	require.Contains(t, out, "applied")
	out, err = cli(t, "", "version")
	require.NoError(t, err)
	require.Contains(t, out, "centralita ")
}

func TestEnvEquivalents(t *testing.T) {
	t.Setenv("CENTRALITA_TIMEZONE", "America/Montevideo")
	t.Setenv("CENTRALITA_LISTEN", "127.0.0.1:9999")
	c, err := env{stderr: &bytes.Buffer{}}.serveFlags([]string{"--listen", "127.0.0.1:7777"})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7777", c.listen, "a flag beats its environment variable")
	require.Equal(t, "America/Montevideo", c.location.String())

	t.Setenv("CENTRALITA_TIMEZONE", "Mars/Olympus")
	_, err = env{stderr: &bytes.Buffer{}}.serveFlags(nil)
	require.ErrorContains(t, err, "Mars/Olympus")

	t.Setenv("CENTRALITA_TIMEZONE", "UTC")
	t.Setenv("CENTRALITA_MAX_BODY", "lots")
	_, err = env{stderr: &bytes.Buffer{}}.serveFlags(nil)
	require.ErrorContains(t, err, "CENTRALITA_MAX_BODY")
}

func TestUnknownCommand(t *testing.T) {
	_, err := cli(t, "", "frobnicate")
	require.Error(t, err)
	_, err = cli(t, "", "serve", "--db", "postgres://x", "--listen", freeAddr(t), "--data-dir", t.TempDir())
	require.ErrorContains(t, err, "sqlite:PATH")
}
