package arisim

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// tsLayout is Asterisk's ARI timestamp layout: milliseconds and a numeric
// offset without a colon, for example 2026-11-21T19:50:02.123+0000.
const tsLayout = "2006-01-02T15:04:05.000-0700"

// formatTS formats t the way ARI does.
func formatTS(t time.Time) string { return t.UTC().Format(tsLayout) }

// obj builds one JSON object with the keys in the order they are added, so
// that bodies and events keep Asterisk's exact key order.
type obj struct {
	b []byte
	n int
}

// newObj starts an object.
func newObj() *obj { return &obj{b: make([]byte, 0, 256)} }

func (o *obj) key(k string) {
	if o.n == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

// str adds a string member.
func (o *obj) str(k, v string) *obj {
	o.key(k)
	o.b = appendString(o.b, v)
	return o
}

// num adds an integer member.
func (o *obj) num(k string, v int64) *obj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

// boolean adds a boolean member.
func (o *obj) boolean(k string, v bool) *obj {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

// raw adds a member whose value is already encoded JSON.
func (o *obj) raw(k string, v []byte) *obj {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

// strs adds an array of strings; a nil slice is written as [].
func (o *obj) strs(k string, v []string) *obj {
	o.key(k)
	o.b = appendStrings(o.b, v)
	return o
}

// bytes closes the object and returns its encoding.
func (o *obj) bytes() []byte {
	if o.n == 0 {
		return append(o.b, '{', '}')
	}
	return append(o.b, '}')
}

// appendStrings encodes v as a JSON array of strings.
func appendStrings(b []byte, v []string) []byte {
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// rawArray joins already encoded JSON values into an array.
func rawArray(items [][]byte) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString encodes s as a JSON string the way jansson does: it escapes
// quotes, backslashes and control characters and leaves other UTF-8 as is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
	}
	return append(b, '"')
}
