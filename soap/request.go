package soap

import (
	"strconv"
	"strings"

	"github.com/centralita/centralita"
)

// Request is one decoded call of an operation, handed to its HandlerFunc.
type Request struct {
	// Operation is the name of the operation called.
	Operation string
	// ClientIP is the caller's address, as Config.ClientIP reports it.
	ClientIP string
	// Key is the access key that authorized the call; nil when the
	// operation takes no key or was called in its key-less form.
	Key *centralita.AccessKey

	values map[string]string
}

// NewRequest returns a request for operation with the given parameter
// values, keyed by their declared names; for tests and direct calls.
func NewRequest(operation string, params map[string]string) *Request {
	values := make(map[string]string, len(params))
	for k, v := range params {
		values[k] = v
	}
	return &Request{Operation: operation, values: values}
}

// Param returns the text of the parameter with that declared name, or "" when it was not sent.
func (r *Request) Param(name string) string { return r.values[name] }

// Has reports whether the parameter with that declared name was sent (an empty value counts).
func (r *Request) Has(name string) bool {
	_, ok := r.values[name]
	return ok
}

// Int returns the parameter with that declared name as an integer; a
// missing or non-integer value is an EINVALID error.
func (r *Request) Int(name string) (int, error) {
	s, ok := r.values[name]
	if !ok {
		return 0, centralita.Errorf(centralita.EINVALID, "parameter %s is missing", name)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, centralita.Errorf(centralita.EINVALID, "parameter %s is not an integer", name)
	}
	return n, nil
}

// arg is one child element of the operation element, as sent.
type arg struct {
	name  string
	value string
	nil   bool
}

// bind assigns the sent arguments to op's parameters and returns the values
// by declared name. Matching follows the spec (A1): by name first (exact
// name or alias, then the same ignoring case), then by position for the
// arguments no name matched (e.g. PHP SoapClient's param0, param1, …). When
// the optional key of a key-less operation was not matched by name and
// fewer arguments than parameters were sent, positions skip the key (A4:
// queueData with 4 arguments and agentData with 3 are the key-less form).
// Arguments sent with xsi:nil="true" count as not sent; arguments left over
// are ignored.
func bind(op *Operation, args []arg) map[string]string {
	bound := make([]int, len(op.Params))
	for i := range bound {
		bound[i] = -1
	}
	claimed := make([]bool, len(args))
	match := func(eq func(a, b string) bool) {
		for i, p := range op.Params {
			if bound[i] >= 0 {
				continue
			}
			for j, a := range args {
				if !claimed[j] && p.named(a.name, eq) {
					bound[i], claimed[j] = j, true
					break
				}
			}
		}
	}
	match(func(a, b string) bool { return a == b })
	match(strings.EqualFold)

	positional := make([]int, 0, len(op.Params))
	for i, p := range op.Params {
		if p.Key && p.Optional && bound[i] < 0 && len(args) < len(op.Params) {
			continue
		}
		positional = append(positional, i)
	}
	for j := range args {
		if claimed[j] || j >= len(positional) {
			continue
		}
		if i := positional[j]; bound[i] < 0 {
			bound[i], claimed[j] = j, true
		}
	}

	values := make(map[string]string, len(op.Params))
	for i, j := range bound {
		if j >= 0 && !args[j].nil {
			values[op.Params[i].Name] = args[j].value
		}
	}
	return values
}

// named reports whether name is p's name or one of its aliases under eq.
func (p *Param) named(name string, eq func(a, b string) bool) bool {
	if eq(name, p.Name) {
		return true
	}
	for _, a := range p.Aliases {
		if eq(name, a) {
			return true
		}
	}
	return false
}
