package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// How the Integra dialer endpoints read their JSON objects (black,
// callspool, callschedule, call): one JSON object per form field, unknown
// fields ignored, and scalars read leniently, since uContact clients are
// loose about quoting: a text field also takes a number (a phone sent as
// 98344484), a number field also takes a numeric string ("9999"), a
// boolean also takes "true"/"false", and null is the field's zero value.

// integraDateLayout is the Integra date-time format, yyyy-MM-dd HH:mm:ss (§1).
const integraDateLayout = "2006-01-02 15:04:05"

// looseString is a JSON string, number or null read as text.
type looseString string

// UnmarshalJSON reads a string, a number (its literal) or null ("").
func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = looseString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a string or a number")
	}
	*s = looseString(n.String())
	return nil
}

// looseInt is a JSON integer, a string holding one, or null (0).
type looseInt int64

// UnmarshalJSON reads an integer, a numeric string or null (0).
func (n *looseInt) UnmarshalJSON(b []byte) error {
	var s looseString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if strings.TrimSpace(string(s)) == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	if err != nil {
		return errors.New("want an integer")
	}
	*n = looseInt(v)
	return nil
}

// looseBool is a JSON boolean, "true"/"false" (any case), or null (false).
type looseBool bool

// UnmarshalJSON reads a boolean, "true"/"false" or null (false).
func (v *looseBool) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true":
		*v = true
	case "false", "null", "":
		*v = false
	default:
		return errors.New("want true or false")
	}
	return nil
}

// decodeObject reads text, a form field's value, as one JSON object into v.
// Anything else (not JSON, an array, trailing data) is EINVALID.
func decodeObject(field, text string, v any) error {
	text = strings.TrimSpace(text)
	if text == "" || text[0] != '{' {
		return centralita.Errorf(centralita.EINVALID, "%s: want a JSON object", field)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(v); err != nil {
		return centralita.WrapError(centralita.EINVALID, err, "%s: bad JSON", field)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return centralita.Errorf(centralita.EINVALID, "%s: data after the JSON object", field)
	}
	return nil
}

// parseDate reads an Integra date-time, yyyy-MM-dd HH:mm:ss, in the
// configured Location; surrounding spaces are ignored, and every field must
// have its full width.
func (in *integra) parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) != len(integraDateLayout) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(integraDateLayout, s, in.cfg.Location)
	return t, err == nil
}

// splitAlternatives splits uContact's ':'-separated alternative numbers,
// trimming each and dropping empty ones; "" gives nil.
func splitAlternatives(s string) []string {
	var out []string
	for a := range strings.SplitSeq(s, ":") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
