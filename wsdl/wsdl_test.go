package wsdl_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita/wsdl"
)

type specOp struct {
	name   string
	params []string // "?" suffix: optional
	ret    string
}

// specOps returns shared/spec/soap-apiws.md §5, with the types of A2 and
// the optional key of A4.
func specOps() []specOp {
	return []specOp{
		{"originateCall", []string{"authorizedKey", "src", "srcCallerID", "dst", "dstCallerID", "timeout", "callinfo"}, "xsd:string"},
		{"originateCallStatus", []string{"authorizedKey", "originatedID"}, "xsd:int"},
		{"originateCallCancel", []string{"authorizedKey", "originatedID"}, "xsd:int"},
		{"extensionPbx", []string{"authorizedKey"}, "xsd:string"},
		{"recordingPbx", []string{"authorizedKey", "uniqueId"}, "xsd:string"},
		{"cdrData", []string{"authorizedKey", "uniqueid?", "inicio", "fin"}, "xsd:string"},
		{"cdrCustom", []string{"authorizedKey", "inicio", "fin"}, "xsd:string"},
		{"statusQueues", []string{"authorizedKey"}, "xsd:string"},
		{"queueData", []string{"authorizedKey?", "Cola", "Agente?", "FechaInicio", "FechaFin"}, "xsd:string"},
		{"agentData", []string{"authorizedKey?", "Cola", "FechaInicio", "FechaFin"}, "xsd:string"},
		{"loginAgent", []string{"authorizedKey", "agent", "extension"}, "xsd:boolean"},
		{"logoutAgent", []string{"authorizedKey", "agent"}, "xsd:boolean"},
		{"pauseAgent", []string{"authorizedKey", "agent", "queues?", "pauseDTMF?"}, "xsd:boolean"},
		{"unpauseAgent", []string{"authorizedKey", "agent", "queues?"}, "xsd:boolean"},
		{"getAgentLoggedInfo", []string{"authorizedKey", "username"}, "xsd:string"},
		{"getUserByAgent", []string{"authorizedKey", "agent"}, "xsd:string"},
		{"getUserInfo", []string{"authorizedKey", "username"}, "xsd:string"},
		{"getAgentTimes", []string{"authorizedKey", "inicio", "fin", "agente", "cola"}, "xsd:string"},
		{"agentSessionDetail", []string{"authorizedKey", "inicio", "fin", "userID?", "cola?"}, "xsd:string"},
		{"getAgentLogin", []string{"authorizedKey", "extensions"}, "xsd:string"},
		{"sendSms", []string{"authorizedKey", "msgId", "msgData", "msgRecip"}, "xsd:int"},
		{"statusSms", []string{"authorizedKey", "idSMS"}, "xsd:string"},
	}
}

func TestOperationsMatchSpec(t *testing.T) {
	ops, err := wsdl.Operations()
	require.NoError(t, err)
	require.Len(t, ops, len(specOps()), "the spec has 22 operations")

	byName := make(map[string]wsdl.Operation, len(ops))
	for _, op := range ops {
		byName[op.Name] = op
	}
	for _, want := range specOps() {
		t.Run(want.name, func(t *testing.T) {
			op, ok := byName[want.name]
			require.True(t, ok, "operation missing from the WSDL")
			assert.Equal(t, want.ret, op.Return)
			assert.Equal(t, "urn:apiws#"+want.name, op.SOAPAction)
			got := make([]string, 0, len(op.Params))
			for _, p := range op.Params {
				name := p.Name
				if p.Optional {
					name += "?"
				}
				got = append(got, name)
				wantType := "xsd:string"
				if p.Name == "timeout" || p.Name == "msgId" {
					wantType = "xsd:int"
				}
				assert.Equal(t, wantType, p.Type, "type of %s", p.Name)
			}
			assert.Equal(t, want.params, got, "parameters, in order")
		})
	}
}

func TestDocumentShape(t *testing.T) {
	doc := wsdl.APIWS()
	var d struct {
		TargetNamespace string `xml:"targetNamespace,attr"`
		Schema          struct {
			TargetNamespace    string `xml:"targetNamespace,attr"`
			ElementFormDefault string `xml:"elementFormDefault,attr"`
		} `xml:"types>schema"`
		Address struct {
			Location string `xml:"location,attr"`
		} `xml:"service>port>address"`
	}
	require.NoError(t, xml.Unmarshal(doc, &d))
	assert.Equal(t, wsdl.Namespace, d.TargetNamespace)
	assert.Equal(t, wsdl.Namespace, d.Schema.TargetNamespace)
	assert.Equal(t, "unqualified", d.Schema.ElementFormDefault)
	assert.Equal(t, wsdl.DefaultAddress, d.Address.Location)
	assert.Equal(t, 1, bytes.Count(doc, []byte(wsdl.DefaultAddress)), "the address appears once, in soap:address")

	var raw struct {
		Binding struct {
			SOAP struct {
				Style     string `xml:"style,attr"`
				Transport string `xml:"transport,attr"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ binding"`
			Ops []struct {
				In struct {
					Use string `xml:"use,attr"`
				} `xml:"input>body"`
				Out struct {
					Use string `xml:"use,attr"`
				} `xml:"output>body"`
			} `xml:"operation"`
		} `xml:"binding"`
	}
	require.NoError(t, xml.Unmarshal(doc, &raw))
	assert.Equal(t, "document", raw.Binding.SOAP.Style)
	assert.Equal(t, "http://schemas.xmlsoap.org/soap/http", raw.Binding.SOAP.Transport)
	assert.Len(t, raw.Binding.Ops, len(specOps()))
	for i, op := range raw.Binding.Ops {
		assert.Equal(t, "literal", op.In.Use, "operation %d input", i)
		assert.Equal(t, "literal", op.Out.Use, "operation %d output", i)
	}
}

func TestAPIWSReturnsACopy(t *testing.T) {
	a := wsdl.APIWS()
	a[0] = 'X'
	assert.NotEqual(t, a[0], wsdl.APIWS()[0])
}

func TestParseOperationsRejectsBrokenReferences(t *testing.T) {
	broken := strings.Replace(string(wsdl.APIWS()), `element="tns:statusSms"`, `element="tns:nowhere"`, 1)
	_, err := wsdl.ParseOperations([]byte(broken))
	assert.ErrorContains(t, err, "statusSms")

	_, err = wsdl.ParseOperations([]byte("<definitions"))
	assert.Error(t, err)
}

// TestGeneratedClientUpToDate regenerates the gowsdl client into a temporary
// directory and compares it with the committed one.
func TestGeneratedClientUpToDate(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool gowsdl needs the go command: %v", err)
	}
	src, err := filepath.Abs("apiws.wsdl")
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), goBin, "tool", "gowsdl", "-d", dir, "-p", "apiwsclient", "-o", "apiws.go", src)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go tool gowsdl: %s", out)

	fresh, err := os.ReadFile(filepath.Join(dir, "apiwsclient", "apiws.go"))
	require.NoError(t, err)
	committed, err := os.ReadFile(filepath.Join("apiwsclient", "apiws.go"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(fresh, committed), "wsdl/apiwsclient/apiws.go is stale: run go generate ./wsdl")
}
