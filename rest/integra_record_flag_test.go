package rest

import "testing"

func TestAskRecording(t *testing.T) {
	for _, tc := range []struct {
		field, data string
		want        bool
	}{
		{"1", "", true},
		{"true", "", true},
		{"", "cliente=55:record=1:x=2", true},
		{"", "record=TRUE", true},
		{"", "a=1; record = 1", true},
		{"", "record=0", false},
		{"0", "recorder=1", false},
		{"", "", false},
		{"yes", "notrecord=1", false},
	} {
		if got := askRecording(tc.field, tc.data); got != tc.want {
			t.Errorf("askRecording(%q, %q) = %v, want %v", tc.field, tc.data, got, tc.want)
		}
	}
}
