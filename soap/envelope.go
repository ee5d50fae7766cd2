package soap

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// XML namespaces of SOAP 1.1 and XML Schema.
const (
	nsEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	nsEncoding = "http://schemas.xmlsoap.org/soap/encoding/"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	nsXSD      = "http://www.w3.org/2001/XMLSchema"
)

// SOAP 1.1 fault codes.
const (
	faultClient          = "soap:Client"
	faultServer          = "soap:Server"
	faultVersionMismatch = "soap:VersionMismatch"
	faultMustUnderstand  = "soap:MustUnderstand"
)

// fault is a SOAP 1.1 fault to send back.
type fault struct {
	code   string
	reason string
}

func (f *fault) Error() string { return f.code + ": " + f.reason }

func clientFault(format string, args ...any) *fault {
	return &fault{code: faultClient, reason: fmt.Sprintf(format, args...)}
}

// call is the decoded operation element of a request body.
type call struct {
	space string // namespace of the operation element
	name  string // its local name
	rpc   bool   // sent rpc/encoded (encodingStyle or xsi:type seen)
	args  []arg
}

// decodeCall reads a whole SOAP 1.1 envelope and returns the first child of
// its Body. The rest of the document is read too, so that malformed XML
// anywhere, and a body over the size limit, are reported.
func decodeCall(r io.Reader) (*call, *fault) {
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetReader
	var c *call
	sawBody, rpc := false, false
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readFault(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, clientFault("a DTD is not allowed in a SOAP message")
		case xml.EndElement:
			depth--
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				if t.Name.Local != "Envelope" {
					return nil, clientFault("the root element is %s, want soap:Envelope", t.Name.Local)
				}
				if t.Name.Space != nsEnvelope {
					return nil, &fault{code: faultVersionMismatch, reason: "only SOAP 1.1 envelopes (" + nsEnvelope + ") are accepted"}
				}
				rpc = encoded(t.Attr)
			case depth == 2 && t.Name.Space == nsEnvelope && t.Name.Local == "Header":
				if f := checkHeader(d); f != nil {
					return nil, f
				}
				depth--
			case depth == 2 && t.Name.Space == nsEnvelope && t.Name.Local == "Body" && !sawBody:
				sawBody = true
				op, f := decodeBody(d, rpc || encoded(t.Attr))
				if f != nil {
					return nil, f
				}
				c = op
				depth--
			default:
				if err := d.Skip(); err != nil {
					return nil, readFault(err)
				}
				depth--
			}
		}
	}
	switch {
	case !sawBody:
		return nil, clientFault("the request has no soap:Envelope with a soap:Body")
	case c == nil:
		return nil, clientFault("the soap:Body is empty")
	}
	return c, nil
}

// decodeBody reads the Body's children up to its end tag and returns the
// first one as the call (nil when the Body is empty).
func decodeBody(d *xml.Decoder, rpc bool) (*call, *fault) {
	var c *call
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, readFault(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return c, nil
		case xml.StartElement:
			if c != nil {
				if err := d.Skip(); err != nil {
					return nil, readFault(err)
				}
				continue
			}
			c = &call{space: t.Name.Space, name: t.Name.Local, rpc: rpc || encoded(t.Attr)}
			if f := decodeArgs(d, c); f != nil {
				return nil, f
			}
		}
	}
}

// decodeArgs reads the children of the operation element up to its end tag.
func decodeArgs(d *xml.Decoder, c *call) *fault {
	for {
		tok, err := d.Token()
		if err != nil {
			return readFault(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			a := arg{name: t.Name.Local}
			for _, at := range t.Attr {
				switch {
				case at.Name.Space == nsXSI && at.Name.Local == "type":
					c.rpc = true
				case at.Name.Space == nsXSI && at.Name.Local == "nil":
					a.nil = at.Value == "true" || at.Value == "1"
				}
			}
			text, err := elementText(d)
			if err != nil {
				return readFault(err)
			}
			a.value = text
			c.args = append(c.args, a)
		}
	}
}

// elementText returns the character data inside the current element, nested elements included, up to its end tag.
func elementText(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			b.Write(t)
		}
	}
	return b.String(), nil
}

// checkHeader reads the soap:Header up to its end tag. No header entry is
// understood, so one marked mustUnderstand="1" is a MustUnderstand fault.
func checkHeader(d *xml.Decoder) *fault {
	for {
		tok, err := d.Token()
		if err != nil {
			return readFault(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			for _, at := range t.Attr {
				if at.Name.Space == nsEnvelope && at.Name.Local == "mustUnderstand" && (at.Value == "1" || at.Value == "true") {
					return &fault{code: faultMustUnderstand, reason: "header " + t.Name.Local + " is not understood"}
				}
			}
			if err := d.Skip(); err != nil {
				return readFault(err)
			}
		}
	}
}

// encoded reports whether attrs carry a soap:encodingStyle.
func encoded(attrs []xml.Attr) bool {
	for _, at := range attrs {
		if at.Name.Space == nsEnvelope && at.Name.Local == "encodingStyle" {
			return true
		}
	}
	return false
}

// readFault turns a read or XML syntax error into a client fault.
func readFault(err error) *fault {
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		return clientFault("the request body is larger than %d bytes", tooBig.Limit)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return clientFault("malformed XML: %v", err)
}

// charsetReader lets requests declare ISO-8859-1 or US-ASCII besides UTF-8.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
		return &latin1Reader{r: bufio.NewReader(input)}, nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}

// latin1Reader converts ISO-8859-1 bytes to UTF-8.
type latin1Reader struct {
	r       *bufio.Reader
	pending []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.pending) > 0 {
			c := copy(p[n:], l.pending)
			l.pending = l.pending[c:]
			n += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n++
			continue
		}
		l.pending = utf8.AppendRune(l.pending[:0], rune(b))
	}
	return n, nil
}

// encodeResponse writes the response envelope of a call: {op}Response in
// the request's namespace (or ns when it had none) with one "return" child.
// rpc/encoded calls also get soap:encodingStyle and an xsi:type on return,
// which clients without a WSDL (PHP SoapClient, NuSOAP) use to type the value.
func encodeResponse(c *call, ns string, ret Type, value string) []byte {
	if c.space != "" {
		ns = c.space
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + nsEnvelope + `" xmlns:xsd="` + nsXSD + `" xmlns:xsi="` + nsXSI + `"`)
	if c.rpc {
		b.WriteString(` xmlns:SOAP-ENC="` + nsEncoding + `"`)
	}
	b.WriteString(`><soap:Body><tns:` + c.name + `Response xmlns:tns="`)
	escape(&b, ns)
	b.WriteString(`"`)
	if c.rpc {
		b.WriteString(` soap:encodingStyle="` + nsEncoding + `"><return xsi:type="` + string(ret) + `">`)
	} else {
		b.WriteString(`><return>`)
	}
	escape(&b, value)
	b.WriteString(`</return></tns:` + c.name + `Response></soap:Body></soap:Envelope>`)
	return b.Bytes()
}

// encodeFault writes a SOAP 1.1 fault envelope.
func encodeFault(f *fault) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + nsEnvelope + `"><soap:Body><soap:Fault><faultcode>`)
	b.WriteString(f.code)
	b.WriteString(`</faultcode><faultstring>`)
	escape(&b, f.reason)
	b.WriteString(`</faultstring></soap:Fault></soap:Body></soap:Envelope>`)
	return b.Bytes()
}

func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // writing to a bytes.Buffer cannot fail
}
