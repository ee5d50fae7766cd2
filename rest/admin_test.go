package rest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// adminErrorOf decodes an ErrorBody.
func adminErrorOf(t *testing.T, body string) rest.ErrorBody {
	t.Helper()
	var eb rest.ErrorBody
	require.NoError(t, json.Unmarshal([]byte(body), &eb), body)
	return eb
}

func TestRegisterAdminNeedsServices(t *testing.T) {
	s, err := rest.NewServer(rest.Config{Auth: adminAuth{}})
	require.NoError(t, err)
	err = s.RegisterAdmin(rest.AdminConfig{})
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err))
}

func TestAdminQueues(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	reloads := 0
	for _, tc := range []struct {
		name, user, method, path, body string
		status                         int
		kind                           centralita.Kind
		msg                            string // part of the error message
		reload                         bool
	}{
		{"create with defaults", "root", "POST", "/queues", `{"name":"Ventas->"}`, 201, "", "", true},
		{"create a b", "root", "POST", "/queues", `{"name":"a b","strategy":"linear","wrapup_sec":5}`, 201, "", "", true},
		{"create slash and percent", "root", "POST", "/queues", `{"name":"x/y 50%"}`, 201, "", "", true},
		{"create literal percent", "root", "POST", "/queues", `{"name":"50%41"}`, 201, "", "", true},
		{"duplicate", "root", "POST", "/queues", `{"name":"Ventas->"}`, 409, centralita.ECONFLICT, "", false},
		{"unknown field", "root", "POST", "/queues", `{"name":"q","colour":"red"}`, 400, centralita.EINVALID, `unknown field "colour"`, false},
		{"bad strategy", "root", "POST", "/queues", `{"name":"q","strategy":"zigzag"}`, 400, centralita.EINVALID, "strategy", false},
		{"negative duration", "root", "POST", "/queues", `{"name":"q","ring_timeout_sec":-1}`, 400, centralita.EINVALID, "negative", false},
		{"wrong type", "root", "POST", "/queues", `{"name":"q","ring_timeout_sec":"ten"}`, 400, centralita.EINVALID, "ring_timeout_sec must be an integer", false},
		{"malformed", "root", "POST", "/queues", `{"name":`, 400, centralita.EINVALID, "malformed", false},
		{"empty body", "root", "POST", "/queues", ``, 400, centralita.EINVALID, "required", false},
		{"two values", "root", "POST", "/queues", `{"name":"q"}{"name":"r"}`, 400, centralita.EINVALID, "single", false},
		{"no name", "root", "POST", "/queues", `{"description":"d"}`, 400, centralita.EINVALID, "name", false},
		{"overflow into self", "root", "POST", "/queues", `{"name":"q","overflow_queue":"q"}`, 400, centralita.EINVALID, "itself", false},
		{"overflow unknown", "root", "POST", "/queues", `{"name":"q","overflow_queue":"nope"}`, 400, centralita.EINVALID, `"nope" does not exist`, false},
		{"supervisor may not write", "sup", "POST", "/queues", `{"name":"q"}`, 403, centralita.EFORBIDDEN, "", false},
		{"agent may not write", "agt", "POST", "/queues", `{"name":"q"}`, 403, centralita.EFORBIDDEN, "", false},
		{"no credentials", "", "POST", "/queues", `{"name":"q"}`, 401, centralita.EUNAUTHORIZED, "", false},
		{"agent may not read", "agt", "GET", "/queues", "", 403, centralita.EFORBIDDEN, "", false},
		{"no credentials read", "", "GET", "/queues/a%20b", "", 401, centralita.EUNAUTHORIZED, "", false},
		{"supervisor reads", "sup", "GET", "/queues", "", 200, "", "", false},
		{"get escaped arrow", "sup", "GET", "/queues/Ventas-%3E", "", 200, "", "", false},
		{"get over-escaped arrow", "root", "GET", "/queues/Ventas%2D%3E", "", 200, "", "", false},
		{"get space", "root", "GET", "/queues/a%20b", "", 200, "", "", false},
		{"get slash and percent", "root", "GET", "/queues/x%2Fy%2050%25", "", 200, "", "", false},
		{"get literal percent", "root", "GET", "/queues/50%2541", "", 200, "", "", false},
		{"delete literal percent", "root", "DELETE", "/queues/50%2541", "", 204, "", "", true},
		{"get missing", "root", "GET", "/queues/nope", "", 404, centralita.ENOTFOUND, "", false},
		{"replace, path wins", "root", "PUT", "/queues/a%20b", `{"name":"other","strategy":"rrmemory","wrapup_sec":10,"created_at":"2020-01-01T00:00:00Z"}`, 200, "", "", true},
		{"replace missing", "root", "PUT", "/queues/nope", `{"name":"nope"}`, 404, centralita.ENOTFOUND, "", false},
		{"replace invalid", "root", "PUT", "/queues/a%20b", `{"announce_sec":-3}`, 400, centralita.EINVALID, "", false},
		{"replace unknown field", "root", "PUT", "/queues/a%20b", `{"nam":"x"}`, 400, centralita.EINVALID, "unknown field", false},
		{"replace as supervisor", "sup", "PUT", "/queues/a%20b", `{}`, 403, centralita.EFORBIDDEN, "", false},
		{"delete as supervisor", "sup", "DELETE", "/queues/x%2Fy%2050%25", "", 403, centralita.EFORBIDDEN, "", false},
		{"delete slash and percent", "root", "DELETE", "/queues/x%2Fy%2050%25", "", 204, "", "", true},
		{"delete again", "root", "DELETE", "/queues/x%2Fy%2050%25", "", 404, centralita.ENOTFOUND, "", false},
	} {
		status, body := e.call(tc.user, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.kind != "" {
			eb := adminErrorOf(t, body)
			require.Equal(t, tc.kind, eb.Error, tc.name)
			require.Contains(t, eb.Message, tc.msg, tc.name)
		}
		if tc.reload {
			reloads++
		}
		require.Equal(t, reloads, e.acd.reloadCount(), "%s: reload count", tc.name)
	}

	// The created queue came back with the defaults and a Location.
	ctx := context.Background()
	q, err := e.store.FindQueue(ctx, "Ventas->")
	require.NoError(t, err)
	require.Equal(t, centralita.Queue{Name: "Ventas->"}.WithDefaults().Strategy, q.Strategy)
	require.Equal(t, centralita.DefaultRingTimeoutSec, q.RingTimeoutSec)
	require.Equal(t, centralita.DefaultMusicClass, q.MusicClass)

	// PUT kept the path's name and did not create "other".
	q, err = e.store.FindQueue(ctx, "a b")
	require.NoError(t, err)
	require.Equal(t, centralita.StrategyRRMemory, q.Strategy)
	require.Equal(t, 10, q.WrapupSec)
	require.Equal(t, centralita.DefaultRetrySec, q.RetrySec, "defaults apply on replace")
	require.Equal(t, adminStamp, q.CreatedAt.UTC(), "created_at is read-only")
	_, err = e.store.FindQueue(ctx, "other")
	require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

	// Reads answer what is stored, names unescaped.
	var got centralita.Queue
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/queues/Ventas-%3E", "")), &got))
	require.Equal(t, "Ventas->", got.Name)
	require.Equal(t, 15, got.RingTimeoutSec)
	var list []centralita.Queue
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "root", "GET", "/queues", "")), &list))
	require.Len(t, list, 2)
	require.Equal(t, []string{"Ventas->", "a b"}, []string{list[0].Name, list[1].Name})
}

func TestAdminCreateQueueAnswer(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL()+"/api/v1/queues", strings.NewReader(`{"name":"Ventas->","overflow_queue":""}`))
	require.NoError(t, err)
	req.SetBasicAuth("root", "pw")
	res, body := do(t, req)
	require.Equal(t, http.StatusCreated, res.StatusCode, body)
	require.Equal(t, "/api/v1/queues/Ventas-%3E", res.Header.Get("Location"))
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	require.Equal(t, "ringall", m["strategy"])
	require.EqualValues(t, 20, m["service_level_sec"])
	require.EqualValues(t, 40, m["service_level2_sec"])
	require.Equal(t, "sound:vm-goodbye", m["overflow_sound"])

	// The queue may overflow into an existing queue.
	e.mustCall(201, "root", "POST", "/queues", `{"name":"Soporte","overflow_queue":"Ventas->","max_wait_sec":60}`)

	// An empty list is [] and not null.
	e2 := startAdmin(t, rest.Config{}, nil)
	require.Equal(t, "[]", strings.TrimSpace(e2.mustCall(200, "root", "GET", "/queues", "")))
	require.Equal(t, "[]", strings.TrimSpace(e2.mustCall(200, "root", "GET", "/agents", "")))
	require.Equal(t, "[]", strings.TrimSpace(e2.mustCall(200, "root", "GET", "/pause-reasons", "")))
}

func TestAdminMembers(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	ctx := context.Background()
	require.NoError(t, e.store.CreateQueue(ctx, &centralita.Queue{Name: "Ventas->"}))
	require.NoError(t, e.store.CreateAgent(ctx, &centralita.Agent{Number: "101", Username: "ana"}))
	require.NoError(t, e.store.CreateAgent(ctx, &centralita.Agent{Number: "102", Username: "bea"}))
	paused := adminStamp.Add(-time.Minute)

	const path = "/queues/Ventas-%3E/members/"
	reloads := 0
	for _, tc := range []struct {
		name, user, method, path, body string
		status                         int
		kind                           centralita.Kind
		reload                         bool
		before                         func()
	}{
		{"add", "root", "PUT", path + "101", `{"penalty":2,"position":1}`, 201, "", true, nil},
		{"add second", "root", "PUT", path + "102", `{}`, 201, "", true, nil},
		{"change keeps pause", "root", "PUT", path + "101", `{"penalty":3,"position":4}`, 200, "", true, func() {
			m, _ := e.store.member("Ventas->", "101")
			m.Paused, m.PauseReason, m.PausedAt = true, "Almuerzo", &paused
			require.NoError(t, e.store.SetMember(ctx, &m))
		}},
		{"negative penalty", "root", "PUT", path + "101", `{"penalty":-1}`, 400, centralita.EINVALID, false, nil},
		{"unknown field", "root", "PUT", path + "101", `{"penalty":1,"paused":true}`, 400, centralita.EINVALID, false, nil},
		{"no body", "root", "PUT", path + "101", ``, 400, centralita.EINVALID, false, nil},
		{"unknown agent", "root", "PUT", path + "999", `{}`, 404, centralita.ENOTFOUND, false, nil},
		{"unknown queue", "root", "PUT", "/queues/nope/members/101", `{}`, 404, centralita.ENOTFOUND, false, nil},
		{"supervisor may not add", "sup", "PUT", path + "101", `{}`, 403, centralita.EFORBIDDEN, false, nil},
		{"list unknown queue", "sup", "GET", "/queues/nope/members", "", 404, centralita.ENOTFOUND, false, nil},
		{"agent may not list", "agt", "GET", "/queues/Ventas-%3E/members", "", 403, centralita.EFORBIDDEN, false, nil},
		{"remove", "root", "DELETE", path + "102", "", 204, "", true, nil},
		{"remove again", "root", "DELETE", path + "102", "", 404, centralita.ENOTFOUND, false, nil},
		{"supervisor may not remove", "sup", "DELETE", path + "101", "", 403, centralita.EFORBIDDEN, false, nil},
	} {
		if tc.before != nil {
			tc.before()
		}
		status, body := e.call(tc.user, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		if tc.kind != "" {
			require.Equal(t, tc.kind, adminErrorOf(t, body).Error, tc.name)
		}
		if tc.reload {
			reloads++
		}
		require.Equal(t, reloads, e.acd.reloadCount(), "%s: reload count", tc.name)
	}

	m, ok := e.store.member("Ventas->", "101")
	require.True(t, ok)
	require.Equal(t, 3, m.Penalty)
	require.Equal(t, 4, m.Position)
	require.True(t, m.Paused, "the pause survives a penalty change")
	require.Equal(t, "Almuerzo", m.PauseReason)
	_, ok = e.store.member("Ventas->", "102")
	require.False(t, ok)

	var list []centralita.QueueMember
	require.NoError(t, json.Unmarshal([]byte(e.mustCall(200, "sup", "GET", "/queues/Ventas-%3E/members", "")), &list))
	require.Len(t, list, 1)
	require.Equal(t, "Ventas->", list[0].Queue)
	require.Equal(t, "101", list[0].Agent)

	// Deleting the queue deletes its memberships.
	e.mustCall(204, "root", "DELETE", "/queues/Ventas-%3E", "")
	_, ok = e.store.member("Ventas->", "101")
	require.False(t, ok)
}

func TestAdminReloadFailure(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	e.acd.mu.Lock()
	e.acd.reloadErr = centralita.Errorf(centralita.EUNAVAILABLE, "asterisk is down")
	e.acd.mu.Unlock()

	status, body := e.call("root", "POST", "/queues", `{"name":"Ventas->"}`)
	require.Equal(t, http.StatusInternalServerError, status, body)
	eb := adminErrorOf(t, body)
	require.Equal(t, centralita.EINTERNAL, eb.Error)
	require.Contains(t, eb.Message, `queue Ventas-> was saved`)
	require.Contains(t, eb.Message, "asterisk is down")
	// The change stays stored, and the failure is logged.
	_, err := e.store.FindQueue(context.Background(), "Ventas->")
	require.NoError(t, err)
	require.Contains(t, e.log.String(), "ACD reload failed")

	status, body = e.call("root", "PUT", "/pause-reasons/1", `{"name":"Almuerzo"}`)
	require.Equal(t, http.StatusInternalServerError, status, body)
	require.Contains(t, adminErrorOf(t, body).Message, "pause reason 1 was saved")
}

func TestAdminBodyLimit(t *testing.T) {
	e := startAdmin(t, rest.Config{MaxBodyBytes: 64}, nil)
	status, body := e.call("root", "POST", "/queues", `{"name":"q","description":"`+strings.Repeat("x", 100)+`"}`)
	require.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	require.Equal(t, 0, e.acd.reloadCount())

	// A body streamed without a length is cut by the limit too.
	pr := strings.NewReader(`{"name":"q","description":"` + strings.Repeat("x", 100) + `"}`)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL()+"/api/v1/queues", struct{ *strings.Reader }{pr})
	require.NoError(t, err)
	req.ContentLength = -1
	req.SetBasicAuth("root", "pw")
	res, body := do(t, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, body)
}
