package soap_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/soap"
)

// debianPython is Debian's interpreter, which sees the python3-zeep package
// (a python3 earlier on PATH may be a pyenv shim that does not).
const debianPython = "/usr/bin/python3"

// TestZeepClient drives the server with zeep, a real third-party SOAP
// client, through soap/testdata/zeep_smoke.py. It needs python3-zeep; it
// fails rather than skips without it (make test installs it).
func TestZeepClient(t *testing.T) {
	if out, err := exec.CommandContext(t.Context(), debianPython, "-c", "import zeep").CombinedOutput(); err != nil {
		msg := "TestZeepClient needs zeep for " + debianPython + ": run `apt-get install -y python3-zeep` (make test does)"
		if os.Getenv("CI") != "" {
			msg = "CI is set but " + msg
		}
		t.Fatalf("%s\n%v: %s", msg, err, out)
	}

	srv := soap.NewServer(soap.Config{Auth: &fakeAuth{}})
	srv.Handle("originateCall", func(_ context.Context, req *soap.Request) (any, error) {
		if req.Param("srcCallerID") != "Juan Perez" || req.Param("timeout") != "20" || req.Param("callinfo") != "01-43-1" {
			return nil, centralita.Errorf(centralita.EINVALID, "unexpected parameters")
		}
		return "e68af1aa", nil
	})
	srv.Handle("originateCallStatus", func(_ context.Context, req *soap.Request) (any, error) {
		if req.Param("originatedID") != "e68af1aa" {
			return nil, centralita.Errorf(centralita.ENOTFOUND, "no such job")
		}
		return 1, nil
	})
	srv.Handle("loginAgent", func(_ context.Context, req *soap.Request) (any, error) {
		return req.Param("agent") == "admin" && req.Param("extension") == "803", nil
	})
	srv.Handle("extensionPbx", func(context.Context, *soap.Request) (any, error) {
		return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<extensions>\n" +
			`  <extensioninfo extension="101" channel="SIP/101" calleridName="Juan Pérez &amp; Co"/>` + "\n</extensions>", nil
	})
	srv.Handle("queueData", func(_ context.Context, req *soap.Request) (any, error) {
		if req.Key != nil || req.Has("authorizedKey") {
			return nil, centralita.Errorf(centralita.EINVALID, "expected the key-less form")
		}
		return "<queue_activity queue=\"" + req.Param("Cola") + "\" agente=\"" + req.Param("Agente") + "\"/>", nil
	})
	srv.Handle("recordingPbx", func(context.Context, *soap.Request) (any, error) { return "unreachable", nil })
	srv.Handle("sendSms", func(_ context.Context, req *soap.Request) (any, error) {
		if id, err := req.Int("msgId"); err != nil || id != 0 {
			return 0, nil
		}
		return 4711, nil
	})
	srv.Handle("cdrData", func(_ context.Context, req *soap.Request) (any, error) {
		return nil, centralita.Errorf(centralita.EINVALID, "inicio %q is not YYYY-MM-DD HH:MM:SS", req.Param("inicio"))
	})
	_, url := startServer(t, srv)

	cmd := exec.CommandContext(t.Context(), debianPython, "testdata/zeep_smoke.py", url+"?wsdl", goodKey)
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost", "PYTHONDONTWRITEBYTECODE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "zeep_smoke.py failed:\n%s", stderr.String())

	var got struct {
		Zeep                      string         `json:"zeep"`
		Address                   string         `json:"address"`
		OriginateCall             string         `json:"originateCall"`
		OriginateCallStatus       int            `json:"originateCallStatus"`
		OriginateCallStatusBadKey int            `json:"originateCallStatusBadKey"`
		LoginAgent                bool           `json:"loginAgent"`
		LoginAgentBadKey          *bool          `json:"loginAgentBadKey"`
		ExtensionPbx              string         `json:"extensionPbx"`
		QueueData                 string         `json:"queueData"`
		RecordingPbxBadKey        string         `json:"recordingPbxBadKey"`
		SendSms                   int            `json:"sendSms"`
		CdrDataFault              map[string]any `json:"cdrDataFault"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "output: %s", out)
	t.Logf("zeep %s", got.Zeep)

	assert.Equal(t, url, got.Address, "zeep posts to the rewritten soap:address")
	assert.Equal(t, "e68af1aa", got.OriginateCall)
	assert.Equal(t, 1, got.OriginateCallStatus)
	assert.Equal(t, -1, got.OriginateCallStatusBadKey)
	assert.True(t, got.LoginAgent)
	require.NotNil(t, got.LoginAgentBadKey)
	assert.False(t, *got.LoginAgentBadKey)
	assert.Equal(t, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<extensions>\n"+
		`  <extensioninfo extension="101" channel="SIP/101" calleridName="Juan Pérez &amp; Co"/>`+"\n</extensions>", got.ExtensionPbx)
	assert.Equal(t, `<queue_activity queue="q_ven" agente=""/>`, got.QueueData)
	assert.Contains(t, got.RecordingPbxBadKey, `<recording status="-1" uniqueid="12548543.8" encoding="base64"></recording>`)
	assert.Equal(t, 4711, got.SendSms)
	require.NotNil(t, got.CdrDataFault, "cdrData should have faulted")
	assert.Contains(t, got.CdrDataFault["code"], "Client")
	assert.Equal(t, `inicio "not a date" is not YYYY-MM-DD HH:MM:SS`, got.CdrDataFault["message"])
}
