package rest_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/rest"
)

// loadAdminOpenAPI fetches the served document, without credentials.
func loadAdminOpenAPI(t *testing.T, e *adminEnv) map[string]any {
	t.Helper()
	res, body := get(t, e.srv.URL()+rest.AdminPrefix+"/openapi.json")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Contains(t, res.Header.Get("Content-Type"), "application/json")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	return doc
}

var openAPIPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// openAPIOperations lists the documented "METHOD /path" pairs, paths under the server URL.
func openAPIOperations(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				out[strings.ToUpper(method)+" "+path] = op.(map[string]any)
			}
		}
	}
	return out
}

func TestAdminOpenAPIMatchesRoutes(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	doc := loadAdminOpenAPI(t, e)
	require.Equal(t, "3.0.3", doc["openapi"])
	servers := doc["servers"].([]any)
	require.Len(t, servers, 1)
	require.Equal(t, rest.AdminPrefix, servers[0].(map[string]any)["url"])

	// Every route under /api/v1 is documented, and every documented operation is routed.
	var registered []string
	for _, r := range e.srv.Echo.Router().Routes() {
		if !strings.HasPrefix(r.Path, rest.AdminPrefix+"/") {
			continue
		}
		path := strings.TrimPrefix(r.Path, rest.AdminPrefix)
		for _, p := range r.Parameters {
			path = strings.Replace(path, ":"+p, "{"+p+"}", 1)
		}
		require.NotContains(t, path, ":", r.Path)
		registered = append(registered, r.Method+" "+path)
	}
	var documented []string
	for k := range openAPIOperations(doc) {
		documented = append(documented, k)
	}
	sort.Strings(registered)
	sort.Strings(documented)
	require.Equal(t, registered, documented)
	require.GreaterOrEqual(t, len(registered), 26)
}

// openAPIResolve follows a local JSON pointer such as "#/components/schemas/Queue".
func openAPIResolve(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// openAPIRefs calls f with every "$ref" value in v.
func openAPIRefs(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "$ref" {
				f(s)
				continue
			}
			openAPIRefs(c, f)
		}
	case []any:
		for _, c := range x {
			openAPIRefs(c, f)
		}
	}
}

func TestAdminOpenAPIStructure(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	doc := loadAdminOpenAPI(t, e)
	comps := doc["components"].(map[string]any)

	// Every $ref resolves, and every component is used.
	used := map[string]bool{}
	openAPIRefs(doc, func(ref string) {
		_, ok := openAPIResolve(doc, ref)
		require.True(t, ok, "dangling $ref %s", ref)
		require.True(t, strings.HasPrefix(ref, "#/components/"), ref)
		used[ref] = true
	})
	for kind, set := range comps {
		if kind == "securitySchemes" {
			continue
		}
		for name := range set.(map[string]any) {
			require.True(t, used["#/components/"+kind+"/"+name], "component %s/%s is never used", kind, name)
		}
	}

	// HTTP Basic is the security scheme, required everywhere but for the document itself.
	basic := comps["securitySchemes"].(map[string]any)["basicAuth"].(map[string]any)
	require.Equal(t, "http", basic["type"])
	require.Equal(t, "basic", basic["scheme"])
	require.Equal(t, []any{map[string]any{"basicAuth": []any{}}}, doc["security"])

	ids := map[string]bool{}
	for key, op := range openAPIOperations(doc) {
		method, path, _ := strings.Cut(key, " ")
		id, _ := op["operationId"].(string)
		require.NotEmpty(t, id, key)
		require.False(t, ids[id], "operationId %s repeated", id)
		ids[id] = true
		sec, overridden := op["security"]
		require.Equal(t, path == "/openapi.json", overridden, key)
		if overridden {
			require.Empty(t, sec, key)
		}
		responses := op["responses"].(map[string]any)
		require.NotEmpty(t, responses, key)
		if path != "/openapi.json" {
			require.Contains(t, responses, "401", key)
			require.Contains(t, responses, "403", key)
		}
		if method == "POST" || method == "PUT" {
			if _, ok := op["requestBody"]; !ok {
				require.Equal(t, "/agents/{number}/logout", path, "%s has no request body", key)
			}
		}

		// Path parameters match the path's placeholders.
		var params []any
		if ps, ok := doc["paths"].(map[string]any)[path].(map[string]any)["parameters"]; ok {
			params = ps.([]any)
		}
		if ps, ok := op["parameters"]; ok {
			params = append(params, ps.([]any)...)
		}
		var declared []string
		for _, p := range params {
			pm := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				r, _ := openAPIResolve(doc, ref)
				pm = r.(map[string]any)
			}
			if pm["in"] == "path" {
				require.Equal(t, true, pm["required"], "%s: path parameter %v", key, pm["name"])
				declared = append(declared, pm["name"].(string))
			}
		}
		var want []string
		for _, m := range openAPIPathParam.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		slices.Sort(want)
		slices.Sort(declared)
		require.Equal(t, want, declared, key)
	}
}

// TestAdminOpenAPISchemasMatchTypes checks each schema's properties against
// the JSON names of the Go type that is written or read for it.
func TestAdminOpenAPISchemasMatchTypes(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	doc := loadAdminOpenAPI(t, e)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	types := map[string]any{
		"Error": rest.ErrorBody{}, "Queue": centralita.Queue{}, "QueueMember": centralita.QueueMember{},
		"MemberInput": rest.AdminMemberInput{}, "Agent": centralita.Agent{}, "LoginRequest": rest.AdminLoginRequest{},
		"PauseRequest": rest.AdminPauseRequest{}, "UnpauseRequest": rest.AdminUnpauseRequest{},
		"PauseReason": centralita.PauseReason{}, "PauseReasonInput": rest.AdminPauseReasonInput{},
		"TransferRequest": rest.AdminTransferRequest{}, "Status": rest.AdminStatus{}, "QueueStatus": rest.AdminQueueStatus{},
		"QueueCall": rest.AdminQueueCall{}, "MemberState": rest.AdminMemberState{}, "AgentState": rest.AdminAgentState{},
		"AgentStats": rest.AdminAgentStats{}, "AgentSession": rest.AdminAgentSession{}, "AgentPause": rest.AdminAgentPause{},
		"CRMPush": centralita.CRMPush{},
	}
	var names []string
	for n := range schemas {
		names = append(names, n)
	}
	for n := range types {
		require.Contains(t, names, n, "schema %s missing", n)
	}
	require.Len(t, names, len(types), "a schema has no Go type in this test")
	for name, v := range types {
		s := schemas[name].(map[string]any)
		require.Equal(t, "object", s["type"], name)
		props := s["properties"].(map[string]any)
		var got, want []string
		for p := range props {
			got = append(got, p)
		}
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			require.NotEmpty(t, tag, "%s.%s has no json name", rt.Name(), rt.Field(i).Name)
			want = append(want, tag)
		}
		sort.Strings(got)
		sort.Strings(want)
		require.Equal(t, want, got, name)
		if req, ok := s["required"]; ok {
			for _, r := range req.([]any) {
				require.Contains(t, props, r, "%s requires an unknown property", name)
			}
		}
	}
}

// TestAdminRoutesNeedCredentials checks every route but the document
// answers 401 without credentials, as the document's security says.
func TestAdminRoutesNeedCredentials(t *testing.T) {
	e := startAdmin(t, rest.Config{}, nil)
	for _, r := range e.srv.Echo.Router().Routes() {
		if !strings.HasPrefix(r.Path, rest.AdminPrefix+"/") || r.Path == rest.AdminPrefix+"/openapi.json" {
			continue
		}
		args := make([]any, len(r.Parameters))
		for i := range args {
			args[i] = "x"
		}
		path := echo.RouteInfo{Path: r.Path}.Reverse(args...)
		status, _ := e.call("", r.Method, strings.TrimPrefix(path, rest.AdminPrefix), "")
		require.Equal(t, http.StatusUnauthorized, status, "%s %s", r.Method, r.Path)
	}
}
