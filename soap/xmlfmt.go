package soap

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// XML declarations of the call-center documents: every example of the spec
// declares UTF-8 except statusQueues, which declares ISO-8859-1 (§4, §7.2).
const (
	declUTF8   = `<?xml version="1.0" encoding="UTF-8" ?>`
	declLatin1 = `<?xml version="1.0" encoding="iso-8859-1"?>`
)

// xmlWriter builds the call-center XML documents by hand, so that attributes
// come out in the order of the spec's examples, empty elements self-close,
// and apostrophes stay literal inside double-quoted attributes (agentData's
// `07h 10' 40”`, which encoding/xml would write as &#39;). Lines are
// indented by two spaces per level, as in the examples.
//
// With ascii set, every character outside US-ASCII is written as a numeric
// character reference (&#233;), so that the document is the same byte
// string in ISO-8859-1 and in UTF-8 (see statusQueues).
type xmlWriter struct {
	b     strings.Builder
	ascii bool
	depth int
}

// newXMLWriter starts a document with decl as its first line.
func newXMLWriter(decl string, ascii bool) *xmlWriter {
	w := &xmlWriter{ascii: ascii}
	w.b.WriteString(decl)
	w.b.WriteByte('\n')
	return w
}

// start writes name's start tag with attrs (name, value pairs) and enters it.
func (w *xmlWriter) start(name string, attrs ...string) {
	w.tag(name, attrs)
	w.b.WriteString(">\n")
	w.depth++
}

// end closes the element opened by the matching start.
func (w *xmlWriter) end(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

// empty writes a self-closing element: <name/> or <name a="v" />.
func (w *xmlWriter) empty(name string, attrs ...string) {
	w.tag(name, attrs)
	if len(attrs) == 0 {
		w.b.WriteString("/>\n")
		return
	}
	w.b.WriteString(" />\n")
}

// leaf writes an element holding only text: <name a="v">text</name>.
func (w *xmlWriter) leaf(name, text string, attrs ...string) {
	w.tag(name, attrs)
	w.b.WriteByte('>')
	w.escape(text, false)
	w.b.WriteString("</" + name + ">\n")
}

// String returns the document written so far.
func (w *xmlWriter) String() string { return w.b.String() }

func (w *xmlWriter) tag(name string, attrs []string) {
	w.indent()
	w.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="`)
		w.escape(attrs[i+1], true)
		w.b.WriteByte('"')
	}
}

func (w *xmlWriter) indent() {
	for range w.depth {
		w.b.WriteString("  ")
	}
}

// escape writes s as character data, or as an attribute value when attr is
// set. Characters XML 1.0 cannot carry (control characters, invalid UTF-8,
// U+FFFE/U+FFFF) become U+FFFD.
func (w *xmlWriter) escape(s string, attr bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 || !xmlChar(r) {
			r = utf8.RuneError
		}
		switch {
		case r == '&':
			w.b.WriteString("&amp;")
		case r == '<':
			w.b.WriteString("&lt;")
		case r == '>':
			w.b.WriteString("&gt;")
		case r == '"' && attr:
			w.b.WriteString("&quot;")
		case (r == '\t' || r == '\n' || r == '\r') && attr, r == '\r':
			// Attribute normalisation would turn them into spaces, and a
			// bare CR in text into LF.
			w.b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		case r >= utf8.RuneSelf && w.ascii:
			w.b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		default:
			w.b.WriteRune(r)
		}
	}
}

// xmlChar reports whether r is allowed in an XML 1.0 document.
func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return false
	}
	return r <= utf8.MaxRune
}

// hms formats seconds as agentData's durations: `HHh MM' SS”`, zero padded,
// with as many hour digits as needed past 99 (§7.4). Negative values are 0.
func hms(sec int64) string {
	if sec < 0 {
		sec = 0
	}
	h, m, s := sec/3600, sec/60%60, sec%60
	hh := strconv.FormatInt(h, 10)
	if h < 10 {
		hh = "0" + hh
	}
	return hh + "h " + pad2(m) + "' " + pad2(s) + "''"
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// phpFloat formats f as PHP echoes a float with its default precision=14
// (§7.4 [observation]: 159.76923076923, 84.071428571429, 149.1875): 14
// significant digits, trailing zeros dropped, integral values without a
// decimal point, and PHP's exponent form (1.0E+25, 1.5E-7) where %G would
// use one. NaN and infinities are written NAN, INF and -INF.
func phpFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	s := strconv.FormatFloat(f, 'g', 14, 64)
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "E" + string(sign) + exp
}

// epoch is t in Unix seconds, "0" for the zero time (the spec's "never").
func epoch(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// epochCenti is t in Unix seconds with two decimals, truncated (statusQueues'
// generated="1275586846.78").
func epochCenti(t time.Time) string {
	ns := t.UnixNano()
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	return strconv.FormatInt(sec, 10) + "." + pad2(frac/1e7)
}

// localDate formats t as the spec's YYYY-MM-DD HH:MM:SS in loc, "" for the zero time.
func localDate(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(dateLayout)
}

// flag is "1" or "0".
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
