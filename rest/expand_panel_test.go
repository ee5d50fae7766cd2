package rest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// panelQueueLog is a QueueLogService holding the rows of §6's example call.
type panelQueueLog struct{}

func (panelQueueLog) AppendQueueLog(context.Context, *centralita.QueueLogEntry) error { return nil }

func (panelQueueLog) FindQueueLog(_ context.Context, f centralita.QueueLogFilter) ([]*centralita.QueueLogEntry, error) {
	if f.CallID != "1505840001.827" {
		return nil, nil
	}
	return []*centralita.QueueLogEntry{
		{ID: 91662, CallID: f.CallID, QueueName: "ope", Agent: "NONE", Event: centralita.QLEnterQueue},
		{ID: 91670, CallID: f.CallID, QueueName: "ope", Agent: "Agent/303", Event: centralita.QLConnect},
	}, nil
}

// panelEnv is a server with the lists, outgoing calls and forms modules
// over fakes, on a settable clock.
type panelEnv struct {
	t   *testing.T
	srv *rest.Server
	st  *panelStore
	mu  sync.Mutex
	now time.Time
}

func (e *panelEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *panelEnv) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

func startPanel(t *testing.T, formStatus int) *panelEnv {
	t.Helper()
	ctx := context.Background()
	adm := newAdminStore()
	for _, q := range []string{"tecnologia", "ope", "ventas"} {
		require.NoError(t, adm.CreateQueue(ctx, &centralita.Queue{Name: q}))
	}
	for _, a := range []centralita.Agent{
		{Number: "301", Username: "pperez"}, {Number: "302", Username: "daguirre"},
		{Number: "303", Username: "cguerra", Interface: "SIP/303"}, {Number: "304", Username: "agt"},
	} {
		require.NoError(t, adm.CreateAgent(ctx, &a))
	}
	require.NoError(t, adm.SetMember(ctx, &centralita.QueueMember{Queue: "tecnologia", Agent: "304"}))
	e := &panelEnv{t: t, st: &panelStore{now: time.Date(2017, 9, 19, 16, 54, 33, 824000000, time.UTC)},
		now: time.Date(2016, 11, 10, 12, 0, 0, 0, expandZone)}
	s, err := rest.NewServer(rest.Config{Listen: "127.0.0.1:0", Auth: expandAuth{}, MaxBodyBytes: 4096,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, s.RegisterExpandLists(rest.ExpandListsConfig{Lists: e.st, Users: []string{"contactclient"}}))
	require.NoError(t, s.RegisterExpandOutgoing(rest.ExpandOutgoingConfig{Calls: e.st, Queues: foldingDir{adm}, Agents: foldingDir{adm}, Location: expandZone, Now: e.clock}))
	require.NoError(t, s.RegisterExpandForms(rest.ExpandFormsConfig{Forms: e.st, Agents: adm, QueueLog: panelQueueLog{}, Location: expandZone, GetStatus: formStatus}))
	require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.RegisterExpandLists(rest.ExpandListsConfig{Lists: e.st})))
	require.NoError(t, s.Open())
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	e.srv = s
	return e
}

// step is one request and the answer it must get: the body compared
// byte for byte after dropping the whitespace outside strings.
type step struct {
	name, user, method, path, body string
	status                         int
	want                           string
}

func (e *panelEnv) run(steps []step) {
	e.t.Helper()
	for _, s := range steps {
		var r io.Reader
		if s.body != "" {
			r = strings.NewReader(s.body)
		}
		req, err := http.NewRequest(s.method, e.srv.URL()+rest.ExpandExternalPrefix+s.path, r)
		require.NoError(e.t, err)
		if s.user != "-" {
			user := s.user
			if user == "" {
				user = "root"
			}
			req.SetBasicAuth(user, "pw")
		}
		req.Header.Set("Content-Type", "application/json")
		res, got := do(e.t, req)
		require.Equal(e.t, s.status, res.StatusCode, "%s: %s %s: %s", s.name, s.method, s.path, got)
		require.Equal(e.t, "application/json", res.Header.Get("Content-Type"), s.name)
		if s.want != "*" {
			require.Equal(e.t, expandCompact(s.want), got, s.name)
		}
	}
}

const (
	notFoundBody = `{"errrorCode":"Not_found"}`
	conflictBody = `{"errrorCode":"Conflict"}`
)

// TestExpandListsExamples replays §4.3 and the lists' error cases.
func TestExpandListsExamples(t *testing.T) {
	e := startPanel(t, 0)
	vend := `{"alias":"Vendedores","description":"Asocia CallerID de llamantes con extensiones de ejecutivos de venta. Mantenido por SAP.","id":1,"name":"vendedores","type":"simple"}`
	cart := `{"alias":"Cartera","description":"Asocia CallerID de llamantes con la extension del ejecutivo de cartera que debe atenderlo. Mantenido por SAP","id":2,"name":"cartera","type":"simple"}`
	e.run([]step{
		{"create vendedores (extension)", "", "POST", "/lists/simple", `{"name":"vendedores","alias":"Vendedores","description":"Asocia CallerID de llamantes con extensiones de ejecutivos de venta. Mantenido por SAP."}`, 201, vend},
		{"create cartera (extension)", "contactclient", "POST", "/lists/simple", `{"name":"cartera","alias":"Cartera","description":"Asocia CallerID de llamantes con la extension del ejecutivo de cartera que debe atenderlo. Mantenido por SAP"}`, 201, cart},
		{"duplicate list", "", "POST", "/lists/simple", `{"name":"cartera"}`, 409, conflictBody},
		// §4.3 Get lists.
		{"get lists", "", "GET", "/lists/simple", "", 200, `{
  "data": [
    {
      "alias": "Vendedores",
      "description": "Asocia CallerID de llamantes con extensiones de ejecutivos de venta. Mantenido por SAP.",
      "id": 1,
      "name": "vendedores",
      "type": "simple"
    },
    {
      "alias": "Cartera",
      "description": "Asocia CallerID de llamantes con la extension del ejecutivo de cartera que debe atenderlo. Mantenido por SAP",
      "id": 2,
      "name": "cartera",
      "type": "simple"
    }
  ]
}`},
		{"get list by name", "", "GET", "/lists/simple/cartera", "", 200, cart},
		{"get list by id (B11)", "", "GET", "/lists/simple/2", "", 200, cart},
		{"unknown list", "", "GET", "/lists/simple/nada", "", 404, notFoundBody},
		{"a simple list is not a range list", "", "GET", "/lists/range/cartera", "", 404, notFoundBody},
		{"element 200", "", "POST", "/lists/simple/cartera/elements", `{"key":"24000000","value":"200"}`, 201, `{"id":1,"key":"24000000","value":"200"}`},
		// §4.3 Get the elements of a list.
		{"get elements", "", "GET", "/lists/simple/cartera/elements", "", 200, `{"data":[{"id":1,"key":"24000000","value":"200"}]}`},
	})
	e.st.mu.Lock()
	e.st.next = 16 // the manual's element is id 17
	e.st.mu.Unlock()
	e.run([]step{
		// §4.3 Add an element (response per the endpoint table).
		{"add element", "", "POST", "/lists/simple/cartera/elements", `{ "key": "27126666", "value": "112" }`, 201, `{"id":17,"key":"27126666","value":"112"}`},
		{"duplicate key", "", "POST", "/lists/simple/cartera/elements", `{ "key": "27126666", "value": "113" }`, 409, conflictBody},
		{"key with a trailing space", "", "POST", "/lists/simple/cartera/elements", `{ "key": "27126666 ", "value": "113" }`, 400, expandBadFormat},
		{"key with a leading space", "", "POST", "/lists/simple/cartera/elements", `{ "key": " 27126666", "value": "113" }`, 400, expandBadFormat},
		{"get element", "", "GET", "/lists/simple/cartera/elements/27126666", "", 200, `{"id":17,"key":"27126666","value":"112"}`},
		// §4.3 Update an element.
		{"update element", "", "PUT", "/lists/simple/cartera/elements/27126666", `{ "value": "valor nuevo" }`, 200, `{ "id": 17, "key": "27126666", "value": "valor nuevo" }`},
		{"update unknown element", "", "PUT", "/lists/simple/cartera/elements/999", `{"value":"x"}`, 404, notFoundBody},
		{"update without value", "", "PUT", "/lists/simple/cartera/elements/27126666", `{}`, 400, expandBadFormat},
		{"key cannot change", "", "PUT", "/lists/simple/cartera/elements/27126666", `{"key":"1","value":"x"}`, 400, expandBadFormat},
		{"delete element", "", "DELETE", "/lists/simple/cartera/elements/27126666", "", 200, `{"id":17,"key":"27126666","value":"valor nuevo"}`},
		{"deleted", "", "GET", "/lists/simple/cartera/elements/27126666", "", 404, notFoundBody},
		{"delete again", "", "DELETE", "/lists/simple/cartera/elements/27126666", "", 404, notFoundBody},
		{"add to unknown list", "", "POST", "/lists/simple/nada/elements", `{"key":"1","value":"2"}`, 404, notFoundBody},
		{"malformed body", "", "POST", "/lists/simple/cartera/elements", `{"key":`, 400, expandBadFormat},
		{"unknown field", "", "POST", "/lists/simple/cartera/elements", `{"key":"1","value":"2","color":"red"}`, 400, expandBadFormat},
		{"key missing", "", "POST", "/lists/simple/cartera/elements", `{"value":"2"}`, 400, expandBadFormat},
		{"key not a string", "", "POST", "/lists/simple/cartera/elements", `{"key":1,"value":"2"}`, 400, expandBadFormat},
		{"no range on a simple list", "", "POST", "/lists/simple/cartera/elements", `{"key":"1","key_end":"2","value":"2"}`, 400, expandBadFormat},
		{"too large", "", "POST", "/lists/simple/cartera/elements", `{"key":"1","value":"` + strings.Repeat("x", 5000) + `"}`, 413, "*"},
		{"no credentials", "-", "GET", "/lists/simple", "", 401, `{"errrorCode":"Unauthorized"}`},
		{"bad password", "nobody", "GET", "/lists/simple", "", 401, `{"errrorCode":"Unauthorized"}`},
		{"agent without the module", "agt", "GET", "/lists/simple", "", 403, `{"errrorCode":"Forbidden"}`},
		// Range lists (extension).
		{"range list", "", "POST", "/lists/range", `{"name":"zonas","alias":"Zonas"}`, 201, `{"alias":"Zonas","description":"","id":3,"name":"zonas","type":"range"}`},
		{"range element", "", "POST", "/lists/range/zonas/elements", `{"key":"27120000","key_end":"27129999","value":"centro"}`, 201, `{"id":18,"key":"27120000","key_end":"27129999","value":"centro"}`},
		{"range needs key_end", "", "POST", "/lists/range/zonas/elements", `{"key":"27130000","value":"x"}`, 400, expandBadFormat},
		{"range keys are digits", "", "POST", "/lists/range/zonas/elements", `{"key":"a","key_end":"b","value":"x"}`, 400, expandBadFormat},
		{"range lists apart", "", "GET", "/lists/range", "", 200, `{"data":[{"alias":"Zonas","description":"","id":3,"name":"zonas","type":"range"}]}`},
		{"delete list", "", "DELETE", "/lists/range/zonas", "", 200, `{"alias":"Zonas","description":"","id":3,"name":"zonas","type":"range"}`},
		{"deleted list", "", "GET", "/lists/range/zonas/elements", "", 404, notFoundBody},
	})
}

// TestExpandOutgoingExamples replays §5.4, expiration on the clock,
// agent visibility and the error cases.
func TestExpandOutgoingExamples(t *testing.T) {
	e := startPanel(t, 0)
	post := `{
  "queue": "tecnologia",
  "phone": ["21232322","099999999"],
  "contact": "Pedro",
  "subject": "Confirmacion contrato ADSL",
  "calldate": "2016-11-10 15:00",
  "expiration": 0,
  "agent": "pperez",
  "link": { "nombre de link": "http://www.link.com" }
}`
	put := strings.NewReplacer(`"expiration": 0`, `"expiration": 86400`, `"Pedro"`, `"Diego"`, `"099999999"`, `"0991271878"`).Replace(post)
	pepe := `{"queue":"tecnologia","phone":["3344343","0991878"],"contact":"Pepe","subject":"Problema ADSL","calldate":"2016-11-10 15:00","expiration":0,"agent":"daguirre","link":{"nombre de link":"http://www.link.com"}}`
	all := `{
  "data": [
    {
      "id": 1,
      "queue": "tecnologia",
      "phone": ["21232322","0991271878"],
      "contact": "Diego",
      "subject": "Confirmacion contrato ADSL",
      "calldate": "2016-11-10 15:00",
      "expiration": 86400,
      "agent": "pperez",
      "status": "PENDING",
      "link": { "nombre de link": "http://www.link.com" }
    },
    {
      "id": 2,
      "queue": "tecnologia",
      "phone": ["3344343","0991878"],
      "contact": "Pepe",
      "subject": "Problema ADSL",
      "calldate": "2016-11-10 15:00",
      "expiration": 0,
      "agent": "daguirre",
      "status": "COMPLETED",
      "link": { "nombre de link": "http://www.link.com" }
    }
  ]
}`
	pepeDone := expandCompact(all)
	pepeDone = `{"data":[` + pepeDone[strings.Index(pepeDone, `{"id":2`):]
	e.run([]step{
		// §5.4 Add a call.
		{"add", "", "POST", "/outgoingcalls/call", post, 201, `{ "callid": 1 }`},
		// §5.4 Get one call.
		{"get", "", "GET", "/outgoingcalls/call/1", "", 200, `{
  "id": 1,
  "queue": "tecnologia",
  "phone": ["21232322","099999999"],
  "contact": "Pedro",
  "subject": "Confirmacion contrato ADSL",
  "calldate": "2016-11-10 15:00",
  "expiration": 0,
  "agent": "pperez",
  "status": "PENDING",
  "link": { "nombre de link": "http://www.link.com" }
}`},
		// §5.4 Modify.
		{"modify", "", "PUT", "/outgoingcalls/call/1", put, 200, `{ "callid": 1 }`},
		{"add pepe", "", "POST", "/outgoingcalls/call/", pepe, 201, `{"callid":2}`},
		{"complete pepe (B17)", "", "PUT", "/outgoingcalls/call/2", strings.Replace(pepe, `"agent"`, `"status":"COMPLETED","agent"`, 1), 200, `{"callid":2}`},
		// §5.4 Get all (the trailing slash is the manual's).
		{"get all", "", "GET", "/outgoingcalls/call/", "", 200, all},
		{"get all without slash", "", "GET", "/outgoingcalls/call", "", 200, all},
		{"filter queue and agent", "", "GET", "/outgoingcalls/call/?queue=tecnologia&agent=daguirre", "", 200, pepeDone},
		{"filter phone", "", "GET", "/outgoingcalls/call/?phone=0991878", "", 200, pepeDone},
		{"filter status", "", "GET", "/outgoingcalls/call/?status=COMPLETED", "", 200, pepeDone},
		{"filter dates ISO 8601", "", "GET", "/outgoingcalls/call/?startdate=2016-11-10T14:00:00-03:00&enddate=2016-11-10T15:00:00-03:00", "", 200, all},
		{"filter dates exclude", "", "GET", "/outgoingcalls/call/?startdate=2016-11-10T15:01:00-03:00", "", 200, `{"data":[]}`},
		// enddate is inclusive of what it names: a bare date its whole day.
		{"enddate a bare date includes the day", "", "GET", "/outgoingcalls/call/?enddate=2016-11-10", "", 200, all},
		{"enddate the day before", "", "GET", "/outgoingcalls/call/?enddate=2016-11-09", "", 200, `{"data":[]}`},
		{"startdate a bare date", "", "GET", "/outgoingcalls/call/?startdate=2016-11-10&enddate=2016-11-10", "", 200, all},
		{"startdate the day after", "", "GET", "/outgoingcalls/call/?startdate=2016-11-11", "", 200, `{"data":[]}`},
		{"enddate a minute includes it", "", "GET", "/outgoingcalls/call/?enddate='2016-11-10%2015:00'", "", 200, all},
		{"enddate the minute before", "", "GET", "/outgoingcalls/call/?enddate=2016-11-10%2014:59", "", 200, `{"data":[]}`},
		{"enddate a basic offset", "", "GET", "/outgoingcalls/call/?enddate=2016-11-10T14:59:59.999-0300", "", 200, `{"data":[]}`},
		{"startdate a fraction", "", "GET", "/outgoingcalls/call/?startdate=2016-11-10T15:00:00.000", "", 200, all},
		// §5.4 Delete.
		{"delete", "", "DELETE", "/outgoingcalls/call/1", "", 200, `"ok"`},
		{"deleted calls are not listed", "", "GET", "/outgoingcalls/call/", "", 200, pepeDone},
		{"but kept (logical delete)", "", "GET", "/outgoingcalls/call/?status=CANCELED", "", 200, "*"},
		{"unknown call", "", "GET", "/outgoingcalls/call/99", "", 404, notFoundBody},
		{"bad id", "", "GET", "/outgoingcalls/call/x", "", 400, expandBadFormat},
		{"invalid queue", "", "POST", "/outgoingcalls/call", strings.Replace(post, `"tecnologia"`, `"nada"`, 1), 400, expandBadFormat},
		{"invalid agent", "", "POST", "/outgoingcalls/call", strings.Replace(post, `"pperez"`, `"nadie"`, 1), 400, expandBadFormat},
		{"invalid date", "", "POST", "/outgoingcalls/call", strings.Replace(post, `2016-11-10 15:00`, `10/11/2016`, 1), 400, expandBadFormat},
		{"missing contact", "", "POST", "/outgoingcalls/call", `{"queue":"tecnologia","phone":["1"],"subject":"x","calldate":"2016-11-10 15:00"}`, 400, expandBadFormat},
		{"EXPIRED is read-only", "", "PUT", "/outgoingcalls/call/2", strings.Replace(pepe, `"agent"`, `"status":"LOST","agent"`, 1), 400, expandBadFormat},
		{"bad status filter", "", "GET", "/outgoingcalls/call/?status=LOST", "", 400, expandBadFormat},
		{"limit too large", "", "GET", "/outgoingcalls/call/?limit=1001", "", 400, expandBadFormat},
		{"calldate out of range", "", "POST", "/outgoingcalls/call", strings.Replace(post, `2016-11-10 15:00`, `1970-01-01 00:00`, 1), 400, expandBadFormat},
		{"calldate too far", "", "POST", "/outgoingcalls/call", strings.Replace(post, `2016-11-10 15:00`, `9999-12-31 23:00`, 1), 400, expandBadFormat},
		{"expiration too long", "", "POST", "/outgoingcalls/call", strings.Replace(post, `"expiration": 0`, `"expiration": 31536001`, 1), 400, expandBadFormat},
		{"expiration overflows", "", "POST", "/outgoingcalls/call", strings.Replace(post, `"expiration": 0`, `"expiration": 9223372036854775807`, 1), 400, expandBadFormat},
		{"bad date filter", "", "GET", "/outgoingcalls/call/?startdate=ayer", "", 400, expandBadFormat},
		{"no credentials", "-", "GET", "/outgoingcalls/call/", "", 401, `{"errrorCode":"Unauthorized"}`},
		{"a user of role agent that is no agent", "contactclient", "GET", "/outgoingcalls/call/", "", 403, `{"errrorCode":"Forbidden"}`},
	})

	// Expiration: 3 (expires 1 h after 15:00), postponed later on.
	three := `{"queue":"tecnologia","phone":"2400","contact":"Ana","subject":"x","calldate":"2016-11-10T15:00:00-03:00","expiration":3600,"agent":""}`
	e.run([]step{{"add expiring, phone as a string, calldate ISO 8601", "", "POST", "/outgoingcalls/call", three, 201, `{"callid":3}`}})
	status := func(user, path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL()+rest.ExpandExternalPrefix+path, nil)
		req.SetBasicAuth(user, "pw")
		res, b := do(t, req)
		require.Equal(t, 200, res.StatusCode, b)
		return b
	}
	require.Contains(t, status("root", "/outgoingcalls/call/3"), `"status":"PENDING"`)
	e.set(time.Date(2016, 11, 10, 16, 0, 0, 0, expandZone))
	require.Contains(t, status("root", "/outgoingcalls/call/3"), `"status":"EXPIRED"`)
	require.Contains(t, status("root", "/outgoingcalls/call/?status=EXPIRED"), `"id":3`)
	require.NotContains(t, status("root", "/outgoingcalls/call/?status=PENDING"), `"id":3`)
	e.run([]step{{"postpone", "", "PUT", "/outgoingcalls/call/3", strings.Replace(three, "T15:00", "T18:00", 1), 200, `{"callid":3}`}})
	require.Contains(t, status("root", "/outgoingcalls/call/3"), `"status":"PENDING"`)

	// Visibility: agt is agent 304 of tecnologia: it sees the unassigned
	// call 3 and its own, not pperez's or daguirre's.
	mine := `{"queue":"ventas","phone":["2401"],"contact":"Eva","subject":"y","calldate":"2016-11-10 17:00","agent":"agt"}`
	e.run([]step{
		{"agent creates its own call", "agt", "POST", "/outgoingcalls/call", mine, 201, `{"callid":4}`},
		{"agent cannot create another's call", "agt", "POST", "/outgoingcalls/call", post, 403, `{"errrorCode":"Forbidden"}`},
		{"agent cannot see another's call", "agt", "GET", "/outgoingcalls/call/2", "", 404, notFoundBody},
		{"agent cannot see canceled calls", "agt", "GET", "/outgoingcalls/call/?status=CANCELED", "", 200, `{"data":[]}`},
		{"agent completes an unassigned call", "agt", "PUT", "/outgoingcalls/call/3", strings.Replace(three, `"agent":""`, `"agent":"","status":"COMPLETED"`, 1), 200, `{"callid":3}`},
	})
	got := status("agt", "/outgoingcalls/call/")
	require.Contains(t, got, `"id":3`)
	require.Contains(t, got, `"id":4`)
	require.NotContains(t, got, `"id":2`)
	require.Equal(t, got, status("root", "/outgoingcalls/call/?panel=agt"), "staff see an agent's panel")
	require.Contains(t, status("agt", "/outgoingcalls/call/?status=COMPLETED"), `"id":3`)

	// Queue and agent are stored as the directory names them, whatever
	// the case they were given in (the directory may fold case, as
	// MariaDB's default collation does, while the calls' columns do not).
	shout := strings.NewReplacer(`"tecnologia"`, `"TECNOLOGIA"`, `"pperez"`, `"PPerez"`).Replace(post)
	e.run([]step{{"names given in another case", "", "POST", "/outgoingcalls/call", shout, 201, `{"callid":5}`}})
	got = status("root", "/outgoingcalls/call/5")
	require.Contains(t, got, `"queue":"tecnologia"`)
	require.Contains(t, got, `"agent":"pperez"`)
	require.Contains(t, status("root", "/outgoingcalls/call/?queue=tecnologia&agent=pperez"), `"id":5`)
}

// TestExpandFormsExamples replays §6's examples and error cases.
func TestExpandFormsExamples(t *testing.T) {
	e := startPanel(t, 0)
	entry := `{
    "_id": "0000000000000000000000af",
    "agent": { "number": 303, "username": "cguerra" },
    "audio_filename": "audio_91662_1505840066.63",
    "call_chunk": "55a6bc9a43564848ae433fecf3ec0a9115058400249",
    "data": { "codigofeliz": [ { "label": "codigofeliz", "value": "NG1OWF917" } ] },
    "dynamic_form_id": 1,
    "extension": "SIP/303",
    "incomingcall_id": 91662,
    "last_modified_timestamp": "2017-09-19T13:54:33.824000-03:00",
    "queue": "ope",
    "session_id": "5c1df070-19eb-4e6b-8a27-96b28ec51cc8-150582807997",
    "timestamp": "2017-09-19T13:54:33.824000-03:00",
    "uniqueid": "1505840001.827"
  }`
	e.run([]step{
		{"define a form (extension)", "", "POST", "/dynamicforms", `{"name":"contrato","message":"Lea el contrato","fields":[{"name":"codigofeliz","required":true},{"name":"plan","type":"select","options":["A","B"]}],"queues":["ope"]}`, 201, "*"},
		{"duplicate form", "", "POST", "/dynamicforms", `{"name":"contrato","fields":[{"name":"a"}]}`, 409, conflictBody},
		{"form without fields", "", "POST", "/dynamicforms", `{"name":"x","fields":[]}`, 400, expandBadFormat},
		{"submit for the call", "", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"1505840001.827","agent":"cguerra",
			"audio_filename":"audio_91662_1505840066.63","call_chunk":"55a6bc9a43564848ae433fecf3ec0a9115058400249",
			"session_id":"5c1df070-19eb-4e6b-8a27-96b28ec51cc8-150582807997",
			"data":{"codigofeliz":[{"label":"codigofeliz","value":"NG1OWF917"}]}}`, 201, entry},
		// §6.3 example: GET …/entries.
		{"entries", "", "GET", "/dynamicforms/contrato/entries", "", 200, "[" + entry + "]"},
		{"entries after", "", "GET", "/dynamicforms/contrato/entries?start_date=2017-09-19T13:00:00-03:00", "", 200, "[" + entry + "]"},
		{"entries before", "", "GET", "/dynamicforms/contrato/entries?end_date=2017-09-19T13:00:00-03:00", "", 200, "[]"},
		{"entries between", "", "GET", "/dynamicforms/contrato/entries?start_date=2017-09-19&end_date=2017-09-20", "", 200, "[" + entry + "]"},
		// The single-record example.
		{"entry by idcall", "", "GET", "/dynamicforms/contrato/entries/91662", "", 200, entry},
		{"entry by uniqueid", "", "GET", "/dynamicforms/contrato/entries/1505840001.827", "", 200, entry},
		{"invalid form name", "", "GET", "/dynamicforms/nada/entries", "", 404, notFoundBody},
		{"invalid form name (item)", "", "GET", "/dynamicforms/nada/entries/91662", "", 404, notFoundBody},
		{"invalid date", "", "GET", "/dynamicforms/contrato/entries?start_date=ayer", "", 400, expandBadFormat},
		{"invalid end date", "", "GET", "/dynamicforms/contrato/entries?end_date=2017-13-45", "", 400, expandBadFormat},
		{"invalid ID", "", "GET", "/dynamicforms/contrato/entries/-3", "", 400, expandBadFormat},
		{"unknown ID", "", "GET", "/dynamicforms/contrato/entries/1", "", 404, notFoundBody},
		{"unknown field", "", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.1","data":{"color":"x","codigofeliz":"a"}}`, 400, expandBadFormat},
		{"required field", "", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.1","data":{"plan":"A"}}`, 400, expandBadFormat},
		{"select option", "", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.1","data":{"codigofeliz":"a","plan":"C"}}`, 400, expandBadFormat},
		{"queue outside the form's", "", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.1","queue":"ventas","data":{"codigofeliz":"a"}}`, 400, expandBadFormat},
		{"no uniqueid", "", "POST", "/dynamicforms/contrato/entries", `{"data":{"codigofeliz":"a"}}`, 400, expandBadFormat},
		{"unknown agent", "", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.1","agent":"nadie","data":{"codigofeliz":"a"}}`, 400, expandBadFormat},
		{"agent may not read entries", "agt", "GET", "/dynamicforms/contrato/entries", "", 403, `{"errrorCode":"Forbidden"}`},
		{"agent may not submit for another", "agt", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.2","agent":"cguerra","data":{"codigofeliz":"a"}}`, 403, `{"errrorCode":"Forbidden"}`},
		{"agent submits its own", "agt", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.2","queue":"ope","data":{"codigofeliz":"b","plan":["B"]}}`, 201, "*"},
		{"resubmit updates", "agt", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"9.2","queue":"ope","data":{"codigofeliz":"c"}}`, 200, "*"},
		{"agent may not replace another's entry", "agt", "POST", "/dynamicforms/contrato/entries", `{"uniqueid":"1505840001.827","queue":"ope","data":{"codigofeliz":"robado"}}`, 403, `{"errrorCode":"Forbidden"}`},
		{"the other's entry is unchanged", "", "GET", "/dynamicforms/contrato/entries/1505840001.827", "", 200, entry},
		{"paging: limit", "", "GET", "/dynamicforms/contrato/entries?limit=1", "", 200, "[" + entry + "]"},
		{"paging: limit too large", "", "GET", "/dynamicforms/contrato/entries?limit=1001", "", 400, expandBadFormat},
		{"no credentials", "-", "GET", "/dynamicforms/contrato/entries", "", 401, `{"errrorCode":"Unauthorized"}`},
	})
	req, _ := http.NewRequest("GET", e.srv.URL()+rest.ExpandExternalPrefix+"/dynamicforms/contrato/entries/9.2", nil)
	req.SetBasicAuth("root", "pw")
	_, b := do(t, req)
	require.Contains(t, b, `"agent":{"number":304,"username":"agt"}`)
	require.Contains(t, b, `"data":{"codigofeliz":[{"label":"codigofeliz","value":"c"}]}`)
}

// TestExpandFormsManualStatus: GetStatus 201 reproduces the manual (B13).
func TestExpandFormsManualStatus(t *testing.T) {
	e := startPanel(t, 201)
	e.run([]step{
		{"form", "", "POST", "/dynamicforms", `{"name":"f","fields":[{"name":"a"}]}`, 201, "*"},
		{"entries", "", "GET", "/dynamicforms/f/entries", "", 201, "[]"},
	})
}
