package centralita_test

import (
	"testing"

	"github.com/centralita/centralita"
)

func TestAsksRecording(t *testing.T) {
	for in, want := range map[string]bool{
		"":                     false,
		"e2e":                  false,
		"record=1":             true,
		"RECORD=true":          true,
		"cliente=42;record=1":  true,
		"a=1&record=1":         true,
		"a=1|record=1":         true,
		"cliente=55:record=1":  true,
		"a=1, record = 1":      true,
		"a=1; record =TRUE":    true,
		"record=0":             false,
		"recorded=1":           false,
		"notrecord=1":          false,
		"x=record=1":           false,
		"cliente=42 record=1 ": true,
	} {
		if got := centralita.AsksRecording(in); got != want {
			t.Errorf("AsksRecording(%q) = %v, want %v", in, got, want)
		}
	}
}
