package originate

import "testing"

func TestWantsRecording(t *testing.T) {
	for in, want := range map[string]bool{
		"":                     false,
		"e2e":                  false,
		"record=1":             true,
		"RECORD=true":          true,
		"cliente=42;record=1":  true,
		"a=1&record=1":         true,
		"a=1|record=1":         true,
		"a=1, record = 1":      false, // "record " then "=" then " 1": spaces split the pair
		"record=0":             false,
		"recorded=1":           false,
		"x=record=1":           false,
		"cliente=42 record=1 ": true,
	} {
		if got := wantsRecording(in); got != want {
			t.Errorf("wantsRecording(%q) = %v, want %v", in, got, want)
		}
	}
}
