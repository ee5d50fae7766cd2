package sms

import (
	"encoding/xml"
	"io"
	"unicode/utf16"

	"github.com/linxGnu/gosmpp/data"
)

// Segment limits of GSM 03.38 / 3GPP TS 23.040: a single message holds 160
// GSM-7 septets or 70 UCS-2 units; a concatenated one loses 6 octets of
// each part to the UDH, leaving 153 septets or 67 units per part.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
	// maxParts bounds a message: the concatenation UDH counts parts in a byte.
	maxParts = 255
)

// IsGSM7 reports whether text can be written in the GSM 7-bit default
// alphabet and its extension table.
func IsGSM7(text string) bool { return len(data.ValidateGSM7String(text)) == 0 }

// Segments splits text the way it goes on the air: GSM-7 when every
// character fits (an extension-table character such as € or { takes two
// septets and is never split from its escape), UCS-2 otherwise (a surrogate
// pair is never split). A text within one message's limit is one segment.
// ucs2 reports the encoding chosen.
func Segments(text string) (segs []string, ucs2 bool) {
	runes := []rune(text)
	if IsGSM7(text) {
		return split(runes, gsmSingle, gsmPart, func(r rune) int {
			if data.IsEscapeChar(r) {
				return 2
			}
			return 1
		}), false
	}
	return split(runes, ucs2Single, ucs2Part, func(r rune) int {
		if utf16.IsSurrogate(r) || r > 0xFFFF {
			return 2
		}
		return 1
	}), true
}

// split cuts runes into chunks of at most part units (single when it all
// fits in one), where size gives a rune's units.
func split(runes []rune, single, part int, size func(rune) int) []string {
	total := 0
	for _, r := range runes {
		total += size(r)
	}
	if total <= single {
		return []string{string(runes)}
	}
	var out []string
	start, n := 0, 0
	for i, r := range runes {
		if n+size(r) > part {
			out = append(out, string(runes[start:i]))
			start, n = i, 0
		}
		n += size(r)
	}
	return append(out, string(runes[start:]))
}

// xmlEscape writes s XML-escaped.
func xmlEscape(w io.Writer, s string) error { return xml.EscapeText(w, []byte(s)) }
