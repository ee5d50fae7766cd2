package crm

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/centralita/centralita"
)

// nsSOAP is the SOAP 1.1 envelope namespace.
const nsSOAP = "http://schemas.xmlsoap.org/soap/envelope/"

// answer is a decoded result: text for the lookups, ok for pushAgentInfo.
type answer struct {
	text string
	ok   bool
}

// encode builds the request body of t's method with values in parameter order.
func encode(t *target, values []string) []byte {
	var b bytes.Buffer
	if !t.soap {
		b.WriteByte('{')
		for i, n := range t.names {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, n)
			b.WriteByte(':')
			writeJSONString(&b, values[i])
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<soap:Envelope xmlns:soap="` + nsSOAP + `"><soap:Body>`)
	b.WriteString(`<ns:` + t.method + ` xmlns:ns="`)
	xmlEscape(&b, t.ns)
	b.WriteString(`">`)
	for i, n := range t.names {
		b.WriteString("<" + n + ">")
		xmlEscape(&b, values[i])
		b.WriteString("</" + n + ">")
	}
	b.WriteString(`</ns:` + t.method + `></soap:Body></soap:Envelope>`)
	return b.Bytes()
}

// writeJSONString writes s as a JSON string, without HTML escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)         // a string always encodes (invalid UTF-8 becomes U+FFFD)
	b.Truncate(b.Len() - 1) // the encoder's newline
}

// xmlEscape writes s escaped for XML text and attribute values.
func xmlEscape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}

// decode reads the body of a 2xx answer to t's method.
func decode(t *target, contentType string, body []byte) (answer, error) {
	body = toUTF8(contentType, body)
	var text string
	var empty bool
	if t.soap && len(bytes.TrimSpace(body)) == 0 {
		empty = true // a one-way operation's answer
	} else if t.soap {
		var f *soapFault
		var err error
		text, empty, f, err = decodeSOAP(body)
		if err != nil {
			return answer{}, err
		}
		if f != nil {
			return answer{}, f
		}
	} else {
		v, isJSON, err := decodeREST(body)
		if err != nil {
			return answer{}, err
		}
		if !isJSON {
			text, empty = v.(string), v.(string) == ""
		} else if text, empty, err = jsonResult(t.method, v); err != nil {
			return answer{}, err
		}
	}
	if t.method != centralita.CRMPushAgentInfo {
		return answer{text: text}, nil
	}
	if empty {
		return answer{ok: true}, nil
	}
	ok, valid := parseBool(text)
	if !valid {
		return answer{}, fmt.Errorf("pushAgentInfo answered %q, not a boolean", clip(text))
	}
	return answer{ok: ok}, nil
}

// decodeREST reads a REST body: JSON when it starts like JSON (or is the
// literal null), else trimmed plain text.
func decodeREST(body []byte) (v any, isJSON bool, err error) {
	s := bytes.TrimSpace(body)
	if len(s) == 0 {
		return "", false, nil
	}
	if s[0] != '"' && s[0] != '{' && s[0] != '[' && string(s) != "null" {
		return string(s), false, nil
	}
	d := json.NewDecoder(bytes.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, true, fmt.Errorf("answer is not valid JSON: %w", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, true, errors.New("answer has data after its JSON value")
	}
	return v, true, nil
}

// jsonResult takes the result out of a decoded JSON answer; empty reports
// null or a missing value.
func jsonResult(method string, v any) (text string, empty bool, err error) {
	if m, ok := v.(map[string]any); ok {
		r, found := m["result"]
		if !found && method == centralita.CRMGetCallerIDName {
			r, found = m["name"]
		}
		if !found {
			want := `"result"`
			if method == centralita.CRMGetCallerIDName {
				want = `"result" or "name"`
			}
			return "", false, fmt.Errorf("answer object has no %s field", want)
		}
		v = r
	}
	switch x := v.(type) {
	case nil:
		return "", true, nil
	case string:
		return x, false, nil
	case json.Number:
		return x.String(), false, nil
	case bool:
		if x {
			return "true", false, nil
		}
		return "false", false, nil
	}
	return "", false, fmt.Errorf("answer is a JSON %T, not a string or boolean", v)
}

// parseBool reads pushAgentInfo's answer.
func parseBool(s string) (value, valid bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "ok":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

// soapFault is a SOAP Fault answered by the CRM.
type soapFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
}

func (f *soapFault) Error() string { return "SOAP fault " + f.Code + ": " + clip(f.String) }

// client reports a fault of the request (soap:Client, or SOAP 1.2's Sender),
// which a retry would not change.
func (f *soapFault) client() bool {
	code := f.Code
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	return strings.HasPrefix(code, "Client") || strings.HasPrefix(code, "Sender")
}

// decodeSOAP reads a SOAP answer: the text of the first child of the first
// element of Body (empty when there is none or it is xsi:nil), or its Fault.
func decodeSOAP(body []byte) (text string, empty bool, f *soapFault, err error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetReader
	depth := 0
	inBody := false
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", false, nil, errors.New("SOAP answer has no Body")
			}
			return "", false, nil, fmt.Errorf("SOAP answer is not valid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return "", false, nil, errors.New("SOAP answer has a DTD")
		case xml.EndElement:
			depth--
			if inBody && depth == 1 {
				return "", false, nil, errors.New("SOAP Body is empty")
			}
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local != "Envelope":
				return "", false, nil, fmt.Errorf("SOAP answer's root is %s, not Envelope", t.Name.Local)
			case depth == 2 && t.Name.Local == "Body":
				inBody = true
			case depth == 3 && inBody && t.Name.Local == "Fault":
				f := &soapFault{}
				if err := d.DecodeElement(f, &t); err != nil {
					return "", false, nil, fmt.Errorf("SOAP Fault is not valid XML: %w", err)
				}
				return "", false, f, nil
			case depth == 3 && inBody:
				return firstChildText(d)
			case depth == 2:
				if err := d.Skip(); err != nil { // a Header
					return "", false, nil, fmt.Errorf("SOAP answer is not valid XML: %w", err)
				}
				depth--
			}
		}
	}
}

// firstChildText reads the rest of the response element: the text of its
// first child element.
func firstChildText(d *xml.Decoder) (text string, empty bool, f *soapFault, err error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return "", false, nil, fmt.Errorf("SOAP answer is not valid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return "", true, nil, nil
		case xml.StartElement:
			var v struct {
				Nil  string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
				Text string `xml:",chardata"`
			}
			if err := d.DecodeElement(&v, &t); err != nil {
				return "", false, nil, fmt.Errorf("SOAP answer is not valid XML: %w", err)
			}
			if v.Nil == "true" || v.Nil == "1" {
				return "", true, nil, nil
			}
			return v.Text, v.Text == "", nil, nil
		}
	}
}

// toUTF8 returns body as UTF-8: bodies labelled ISO-8859-1, and bodies
// that are not valid UTF-8 whatever their label, are read as ISO-8859-1.
func toUTF8(contentType string, body []byte) []byte {
	_, p, _ := mime.ParseMediaType(contentType)
	if isLatin1(p["charset"]) || !utf8.Valid(body) {
		return latin1ToUTF8(body)
	}
	return body
}

// charsetReader lets XML answers declare ISO-8859-1 or US-ASCII besides UTF-8.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch {
	case isLatin1(charset):
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		if utf8.Valid(b) {
			return bytes.NewReader(b), nil // converted already, from the Content-Type
		}
		return bytes.NewReader(latin1ToUTF8(b)), nil
	case strings.EqualFold(charset, "utf-8"), strings.EqualFold(charset, "utf8"),
		strings.EqualFold(charset, "us-ascii"), strings.EqualFold(charset, "ascii"):
		return input, nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}

// isLatin1 reports whether charset names ISO-8859-1 (or its superset windows-1252).
func isLatin1(charset string) bool {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252":
		return true
	}
	return false
}

// latin1ToUTF8 converts ISO-8859-1 bytes to UTF-8.
func latin1ToUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// clip shortens s for error messages.
func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	for i := limit; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// truncate turns a body into valid UTF-8 of at most n bytes, for records.
func truncate(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
