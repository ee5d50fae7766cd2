package soap

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBind(t *testing.T) {
	ops := make(map[string]*Operation)
	for _, op := range Operations() {
		ops[op.Name] = &op
	}
	tests := []struct {
		name string
		op   string
		args []arg
		want map[string]string
	}{
		{"exact name wins over a case-insensitive one", "recordingPbx",
			[]arg{{name: "UNIQUEID", value: "a"}, {name: "uniqueId", value: "b"}, {name: "authorizedKey", value: "k"}},
			map[string]string{"uniqueId": "b", "authorizedKey": "k"}},
		{"alias before case-insensitive", "originateCall",
			[]arg{{name: "INFO", value: "x"}},
			map[string]string{"callinfo": "x"}},
		{"first of duplicated names", "statusSms",
			[]arg{{name: "idSMS", value: "1"}, {name: "idSMS", value: "2"}},
			map[string]string{"idSMS": "1"}},
		{"nil is absent", "statusSms",
			[]arg{{name: "authorizedKey", value: "k"}, {name: "idSMS", nil: true}},
			map[string]string{"authorizedKey": "k"}},
		{"extra positional arguments are dropped", "statusSms",
			[]arg{{name: "p0", value: "k"}, {name: "p1", value: "1"}, {name: "p2", value: "junk"}},
			map[string]string{"authorizedKey": "k", "idSMS": "1"}},
		{"short positional call of a keyed operation keeps the key first", "pauseAgent",
			[]arg{{name: "p0", value: "k"}, {name: "p1", value: "admin"}},
			map[string]string{"authorizedKey": "k", "agent": "admin"}},
		{"queueData named key and positional rest", "queueData",
			[]arg{{name: "authorizedKey", value: "k"}, {name: "x", value: "q"}, {name: "y", value: "a"}, {name: "z", value: "s"}, {name: "w", value: "e"}},
			map[string]string{"authorizedKey": "k", "Cola": "q", "Agente": "a", "FechaInicio": "s", "FechaFin": "e"}},
		{"no arguments", "extensionPbx", nil, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, bind(ops[tt.op], tt.args))
		})
	}
}
