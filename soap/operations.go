package soap

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/centralita/centralita"
)

// Type is the XSD type of a parameter or of an operation's result.
type Type string

// The XSD types the apiws operations use.
const (
	String  Type = "xsd:string"  // text, XML documents and codes written as text
	Int     Type = "xsd:int"     // integers and integer codes
	Boolean Type = "xsd:boolean" // true/false (the manual's TRUE/FALSE)
)

// Param is one parameter of an operation, in the order the spec documents.
type Param struct {
	// Name is the element name, case as the spec writes it.
	Name string
	// Aliases are other names accepted for it (e.g. "autorizedkey", "info").
	Aliases []string
	// Type is its XSD type; the value reaches handlers as text either way.
	Type Type
	// Optional marks a parameter that may be left out.
	Optional bool
	// Key marks the access-key parameter, checked through Config.Auth
	// before the handler runs. An Optional key allows a key-less call.
	Key bool
}

// Operation describes one SOAP operation: how its parameters are bound and
// how its failures are written on the wire.
type Operation struct {
	// Name is the local name of the request element, e.g. "originateCall".
	Name string
	// Params are its parameters in positional order.
	Params []Param
	// Return is the XSD type of the result.
	Return Type
	// Denied is the result for a missing, wrong or rate-limited access key
	// (the spec's -1); nil gives a soap:Client fault instead.
	Denied any
	// Codes maps the kinds of errors a handler returns to the operation's
	// documented results (e.g. ENOTFOUND to "" for getUserByAgent); kinds
	// not listed fall back to the mapping documented on Server.
	Codes map[centralita.Kind]any
	// Render, when set, turns Denied or a Codes value into the wire result;
	// recordingPbx uses it to put the status code inside its XML document.
	Render func(req *Request, code any) any
}

// key returns the access-key parameter, or nil.
func (op *Operation) key() *Param {
	for i := range op.Params {
		if op.Params[i].Key {
			return &op.Params[i]
		}
	}
	return nil
}

// KeyParam is the name of the access-key parameter of every apiws operation.
const KeyParam = "authorizedKey"

// Operations returns the 22 operations of the eXpand apiws service
// (shared/spec/soap-apiws.md §5), freshly built on every call.
//
// Resolutions of the spec's ambiguities, all its [proposal]s:
//   - A2: results are String, except Int for originateCallStatus,
//     originateCallCancel and sendSms, and Boolean for loginAgent,
//     logoutAgent, pauseAgent and unpauseAgent.
//   - §3, A18 and §8.2: a bad key gives -1 everywhere ("-1" for String
//     results, false for the Boolean ones, which document no code, and
//     status="-1" inside the XML for recordingPbx).
//   - A4: queueData and agentData take an optional leading authorizedKey;
//     without one they run key-less unless Config.RequireKey is set.
//   - A5: the key is also accepted as "autorizedkey" (getAgentLoggedInfo's
//     spelling, and sendSms's "autorizedKey"), on every operation.
//   - A6: originateCall's callinfo is also accepted as "info".
//   - A7: logoutAgent takes two parameters; an extra "extension" is ignored.
//   - §6.7: recordingPbx's uniqueId is also accepted as "uniqueid".
//   - A16: getAgentLogin's unnumbered "bad extension" code is -5 (returned
//     by its handler).
//
// Documented failure codes are mapped from error kinds where the spec has a
// generic one: "unknown error" codes (-3, or -2 for agentSessionDetail) and
// the catch-all 0 of originateCallStatus, originateCallCancel and sendSms
// take EINTERNAL and EUNAVAILABLE; "wrong parameters" (-2) takes EINVALID;
// "not found" results take ENOTFOUND; sendSms's -2 takes ELIMITED; the
// Boolean operations answer false for every error. Specific codes (e.g.
// getAgentTimes -4 … -10) are returned by handlers as ordinary results.
func Operations() []Operation {
	unknown := func(code any, more map[centralita.Kind]any) map[centralita.Kind]any {
		m := map[centralita.Kind]any{centralita.EINTERNAL: code, centralita.EUNAVAILABLE: code}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	allFalse := map[centralita.Kind]any{}
	for _, k := range []centralita.Kind{
		centralita.EINVALID, centralita.ENOTFOUND, centralita.ECONFLICT, centralita.EUNAUTHORIZED,
		centralita.EFORBIDDEN, centralita.ELIMITED, centralita.EUNAVAILABLE, centralita.EINTERNAL,
	} {
		allFalse[k] = false
	}
	boolOp := func(name string, params ...Param) Operation {
		return Operation{Name: name, Params: keyed(params...), Return: Boolean, Denied: false, Codes: allFalse}
	}
	strOp := func(name string, codes map[centralita.Kind]any, params ...Param) Operation {
		return Operation{Name: name, Params: keyed(params...), Return: String, Denied: "-1", Codes: codes}
	}
	intOp := func(name string, codes map[centralita.Kind]any, params ...Param) Operation {
		return Operation{Name: name, Params: keyed(params...), Return: Int, Denied: -1, Codes: codes}
	}
	keyless := func(op Operation) Operation {
		op.Params[0].Optional = true
		return op
	}
	return []Operation{
		strOp("originateCall", nil, str("src"), str("srcCallerID"), str("dst"), str("dstCallerID"),
			Param{Name: "timeout", Type: Int}, Param{Name: "callinfo", Aliases: []string{"info"}, Type: String}),
		intOp("originateCallStatus", unknown(0, map[centralita.Kind]any{centralita.ENOTFOUND: 0}), str("originatedID")),
		intOp("originateCallCancel", unknown(0, map[centralita.Kind]any{centralita.ENOTFOUND: 0, centralita.ECONFLICT: 0}), str("originatedID")),
		strOp("extensionPbx", nil),
		{
			Name:   "recordingPbx",
			Params: keyed(Param{Name: "uniqueId", Aliases: []string{"uniqueid"}, Type: String}),
			Return: String, Denied: -1,
			Codes:  map[centralita.Kind]any{centralita.ENOTFOUND: -1},
			Render: renderRecording,
		},
		strOp("cdrData", nil, opt("uniqueid"), str("inicio"), str("fin")),
		strOp("cdrCustom", nil, str("inicio"), str("fin")),
		strOp("statusQueues", nil),
		keyless(strOp("queueData", nil, str("Cola"), opt("Agente"), str("FechaInicio"), str("FechaFin"))),
		keyless(strOp("agentData", nil, str("Cola"), str("FechaInicio"), str("FechaFin"))),
		boolOp("loginAgent", str("agent"), str("extension")),
		boolOp("logoutAgent", str("agent")),
		boolOp("pauseAgent", str("agent"), opt("queues"), opt("pauseDTMF")),
		boolOp("unpauseAgent", str("agent"), opt("queues")),
		strOp("getAgentLoggedInfo", unknown("-3", map[centralita.Kind]any{centralita.EINVALID: "-2", centralita.ENOTFOUND: "0"}), str("username")),
		strOp("getUserByAgent", unknown("-3", map[centralita.Kind]any{centralita.EINVALID: "-2", centralita.ENOTFOUND: ""}), str("agent")),
		strOp("getUserInfo", unknown("-3", map[centralita.Kind]any{centralita.EINVALID: "-2", centralita.ENOTFOUND: ""}), str("username")),
		strOp("getAgentTimes", unknown("-3", map[centralita.Kind]any{centralita.EINVALID: "-2"}), str("inicio"), str("fin"), str("agente"), str("cola")),
		strOp("agentSessionDetail", unknown("-2", nil), str("inicio"), str("fin"), opt("userID"), opt("cola")),
		strOp("getAgentLogin", unknown("-3", map[centralita.Kind]any{centralita.EINVALID: "-2"}), str("extensions")),
		intOp("sendSms", unknown(0, map[centralita.Kind]any{centralita.ELIMITED: -2}),
			Param{Name: "msgId", Type: Int}, str("msgData"), str("msgRecip")),
		strOp("statusSms", map[centralita.Kind]any{centralita.ENOTFOUND: ""}, str("idSMS")),
	}
}

// keyed prepends the authorizedKey parameter to params.
func keyed(params ...Param) []Param {
	key := Param{Name: KeyParam, Aliases: []string{"autorizedkey"}, Type: String, Key: true}
	return append([]Param{key}, params...)
}

func str(name string) Param { return Param{Name: name, Type: String} }

func opt(name string) Param { return Param{Name: name, Type: String, Optional: true} }

// renderRecording writes recordingPbx's XML result with the given status
// and no recording, as the spec proposes for status 0 and -1 (§6.7).
func renderRecording(req *Request, code any) any {
	var id strings.Builder
	_ = xml.EscapeText(&id, []byte(req.Param("uniqueId")))
	return fmt.Sprintf(`%s<record><recording status="%v" uniqueid="%s" encoding="base64"></recording></record>`,
		xml.Header, code, id.String())
}
