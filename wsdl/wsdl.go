// Package wsdl holds the WSDL 1.1 description of the eXpand-compatible apiws SOAP service.
//
// The description is document/literal wrapped, SOAP 1.1, target namespace
// [Namespace]. Each operation {op} has a request element tns:{op} whose
// unqualified children are the parameters, named and ordered exactly as
// shared/spec/soap-apiws.md §5 writes them, and a response element
// tns:{op}Response with one unqualified child, "return".
//
// The spec (A1) proposes rpc style; this description is document/literal
// wrapped instead, because gowsdl and most WS-I tooling only generate clients
// for that style. The server in package soap still accepts rpc/encoded
// requests, so clients written for either style work. Other spec proposals
// taken here:
//   - A2: results are xsd:string, except xsd:int for originateCallStatus,
//     originateCallCancel and sendSms, and xsd:boolean for loginAgent,
//     logoutAgent, pauseAgent and unpauseAgent; parameters are xsd:string,
//     except timeout and msgId (xsd:int).
//   - A3: XML results are a string holding the whole XML document.
//   - A4: queueData and agentData declare authorizedKey as an optional
//     leading part (minOccurs="0"), so the documented key-less form is valid.
//   - A5: getAgentLoggedInfo's key part is named authorizedKey (the server
//     also accepts the manual's spelling, autorizedkey).
//   - A7: logoutAgent has two parts (a third, extension, is accepted and
//     ignored by the server).
//   - recordingPbx's second part is uniqueId (§6.7).
//
// Parameters the spec marks optional ([Agente], [userID], [cola]) or
// "if not specified" (cdrData uniqueid, pauseAgent queues and pauseDTMF,
// unpauseAgent queues) have minOccurs="0".
//
// The client generated from it by gowsdl is in package apiwsclient.
package wsdl

//go:generate go tool gowsdl -d . -p apiwsclient -o apiws.go apiws.wsdl

import (
	_ "embed"
	"encoding/xml"
	"fmt"
	"strings"
)

// Namespace is the target namespace of the apiws WSDL and of its request and response elements.
const Namespace = "urn:apiws"

// DefaultAddress is the soap:address written in the embedded WSDL; servers rewrite it to the URL the client used.
const DefaultAddress = "http://localhost/apiws/2/apiws.php"

//go:embed apiws.wsdl
var apiwsWSDL string

// APIWS returns a fresh copy of the apiws WSDL document.
func APIWS() []byte { return []byte(apiwsWSDL) }

// Operation is one operation of the WSDL, as its schema declares it.
type Operation struct {
	// Name is the operation and request element name, e.g. "originateCall".
	Name string
	// Params are the children of the request element, in order.
	Params []Part
	// Return is the XSD type of the "return" child of the response element, e.g. "xsd:string".
	Return string
	// SOAPAction is the soapAction its binding declares.
	SOAPAction string
}

// Part is one parameter of an operation.
type Part struct {
	// Name is the element name, case as written.
	Name string
	// Type is the XSD type, e.g. "xsd:string" or "xsd:int".
	Type string
	// Optional is true when the element has minOccurs="0".
	Optional bool
}

// Operations parses the embedded WSDL and returns its operations in portType order.
func Operations() ([]Operation, error) { return ParseOperations([]byte(apiwsWSDL)) }

type definitions struct {
	Elements []schemaElement `xml:"types>schema>element"`
	Messages []struct {
		Name  string `xml:"name,attr"`
		Parts []struct {
			Name    string `xml:"name,attr"`
			Element string `xml:"element,attr"`
		} `xml:"part"`
	} `xml:"message"`
	PortOps []struct {
		Name   string `xml:"name,attr"`
		Input  msgRef `xml:"input"`
		Output msgRef `xml:"output"`
	} `xml:"portType>operation"`
	BindingOps []struct {
		Name      string `xml:"name,attr"`
		Operation struct {
			SOAPAction string `xml:"soapAction,attr"`
		} `xml:"operation"`
	} `xml:"binding>operation"`
}

type msgRef struct {
	Message string `xml:"message,attr"`
}

type schemaElement struct {
	Name     string `xml:"name,attr"`
	Children []struct {
		Name      string `xml:"name,attr"`
		Type      string `xml:"type,attr"`
		MinOccurs string `xml:"minOccurs,attr"`
	} `xml:"complexType>sequence>element"`
}

// ParseOperations parses a document/literal-wrapped WSDL 1.1 document and
// returns its operations in portType order; every reference between
// portType, message and schema element must resolve.
func ParseOperations(doc []byte) ([]Operation, error) {
	var d definitions
	if err := xml.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("wsdl: parse: %w", err)
	}
	elements := make(map[string]schemaElement, len(d.Elements))
	for _, e := range d.Elements {
		elements[e.Name] = e
	}
	messages := make(map[string]string, len(d.Messages))
	for _, m := range d.Messages {
		if len(m.Parts) != 1 {
			return nil, fmt.Errorf("wsdl: message %s has %d parts, want 1", m.Name, len(m.Parts))
		}
		messages[m.Name] = localName(m.Parts[0].Element)
	}
	actions := make(map[string]string, len(d.BindingOps))
	for _, b := range d.BindingOps {
		actions[b.Name] = b.Operation.SOAPAction
	}
	ops := make([]Operation, 0, len(d.PortOps))
	for _, po := range d.PortOps {
		in, ok := elements[messages[localName(po.Input.Message)]]
		if !ok {
			return nil, fmt.Errorf("wsdl: operation %s: input message %q does not resolve to an element", po.Name, po.Input.Message)
		}
		out, ok := elements[messages[localName(po.Output.Message)]]
		if !ok {
			return nil, fmt.Errorf("wsdl: operation %s: output message %q does not resolve to an element", po.Name, po.Output.Message)
		}
		if in.Name != po.Name {
			return nil, fmt.Errorf("wsdl: operation %s: request element is %s, want the operation name", po.Name, in.Name)
		}
		if len(out.Children) != 1 || out.Children[0].Name != "return" {
			return nil, fmt.Errorf("wsdl: operation %s: response element %s must have one child named return", po.Name, out.Name)
		}
		action, ok := actions[po.Name]
		if !ok {
			return nil, fmt.Errorf("wsdl: operation %s has no binding", po.Name)
		}
		op := Operation{Name: po.Name, Return: out.Children[0].Type, SOAPAction: action}
		for _, c := range in.Children {
			op.Params = append(op.Params, Part{Name: c.Name, Type: c.Type, Optional: c.MinOccurs == "0"})
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func localName(qname string) string {
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}
