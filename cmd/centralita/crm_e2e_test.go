package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
)

// fakeCRM is a customer backend answering the three REST web services.
type fakeCRM struct {
	srv   *httptest.Server
	hang  time.Duration // getCallerIDName sleeps this long
	mu    sync.Mutex
	pops  []map[string]string
	codes []map[string]string
}

func newFakeCRM(t *testing.T, hang time.Duration) *fakeCRM {
	c := &fakeCRM{hang: hang}
	release := make(chan struct{})
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]string
		_ = json.Unmarshal(body, &m)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/callerid":
			select {
			case <-time.After(c.hang):
			case <-release:
			}
			if m["callerIdNum"] == "5550100" {
				_, _ = io.WriteString(w, `"Cliente VIP"`)
				return
			}
			_, _ = io.WriteString(w, `""`)
		case "/ivrcode":
			c.mu.Lock()
			c.codes = append(c.codes, m)
			c.mu.Unlock()
			_, _ = io.WriteString(w, `"opt=2;"`)
		case "/push":
			c.mu.Lock()
			c.pops = append(c.pops, m)
			c.mu.Unlock()
			_, _ = io.WriteString(w, `true`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(release); c.srv.Close() })
	return c
}

func (c *fakeCRM) args(timeout string) []string {
	return []string{"--crm-callerid-url", c.srv.URL + "/callerid", "--crm-ivrcode-url", c.srv.URL + "/ivrcode",
		"--crm-push-url", c.srv.URL + "/push", "--crm-timeout", timeout}
}

func (c *fakeCRM) popups() []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]string(nil), c.pops...)
}

// TestCRMScreenPop: the caller's name comes from getCallerIDName, the IVR
// code's answer is added to the IVR data, and pushAgentInfo tells the CRM
// who answered, with the call's uniqueid; every attempt is listed.
func TestCRMScreenPop(t *testing.T) {
	crm := newFakeCRM(t, 0)
	s := startACDStack(t, crm.args("2s")...)
	start := time.Now().Add(-time.Second)
	require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", s.key, "agent", "ana", "extension", "101"), "true"))

	id := s.simCall(t, map[string]any{"from": "5550100", "app": "centralita", "to": "700", "args": []string{"queue", "sales", "ivrcode=MENU1"}, "talk_duration": "2s"})
	require.Eventually(t, func() bool { return len(crm.popups()) == 1 }, 10*time.Second, 50*time.Millisecond, "no pushAgentInfo")
	pop := crm.popups()[0]
	require.Equal(t, id, pop["uniqueid"])
	require.Equal(t, "sales", pop["queuename"])
	require.Equal(t, "Cliente VIP <5550100>", pop["callerid"])
	require.Equal(t, "SIP/101", pop["agentchan"])
	require.Contains(t, pop["ivrdata"], "opt=2;")
	crm.mu.Lock()
	require.Len(t, crm.codes, 1)
	require.Equal(t, id, crm.codes[0]["UniqueID"])
	require.Equal(t, "MENU1", crm.codes[0]["IVRCode"])
	crm.mu.Unlock()

	// The pushes are recorded and listed by the admin API.
	require.Eventually(t, func() bool {
		st, body := s.admin(t, http.MethodGet, "/crm/pushes?uniqueid="+id, nil)
		var list []centralita.CRMPush
		if st != http.StatusOK || json.Unmarshal(body, &list) != nil {
			return false
		}
		methods := map[string]bool{}
		for _, p := range list {
			methods[p.Method] = p.Status == "ok"
		}
		return methods[centralita.CRMIVRCode] && methods[centralita.CRMPushAgentInfo]
	}, 5*time.Second, 50*time.Millisecond)
	s.waitLog(t, start, 10*time.Second, "the call completes", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == id && strings.HasPrefix(r.Event, "COMPLETE")
	})
}

// TestCRMThatHangsDoesNotHoldTheCall: a getCallerIDName that never answers
// delays the call by the CRM timeout at most.
func TestCRMThatHangsDoesNotHoldTheCall(t *testing.T) {
	crm := newFakeCRM(t, time.Minute)
	s := startACDStack(t, crm.args("300ms")...)
	start := time.Now().Add(-time.Second)
	require.True(t, strings.EqualFold(s.soapText(t, "loginAgent", "authorizedKey", s.key, "agent", "ana", "extension", "101"), "true"))

	began := time.Now()
	id := s.simCall(t, map[string]any{"from": "5550100", "queue": "sales", "talk_duration": "1s"})
	s.waitLog(t, start, 5*time.Second, "CONNECT", func(r *centralita.QueueLogEntry) bool {
		return r.CallID == id && r.Event == centralita.QLConnect
	})
	// 300 ms of CRM timeout plus the phone's simulated 1 s ring (0.2 s real).
	require.Less(t, time.Since(began), 2*time.Second, "the hanging CRM held the call")
	require.Len(t, crm.popups(), 1)
	require.Equal(t, "5550100", strings.Trim(crm.popups()[0]["callerid"], " <>")) // no name: "<5550100>" or " <5550100>"
}
