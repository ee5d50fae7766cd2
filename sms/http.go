package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/centralita/centralita"
)

// HTTPConfig configures an HTTPProvider: a web gateway called once per
// message (the gateway splits long texts itself).
//
// URL and Body are text/template templates over the message, with these
// fields: .To, .From, .Text, .ID (Centralita's id), .MsgID, .Campaign,
// .Parts (the part count Centralita would use), and these functions:
// urlquery (the standard one), json (a JSON string literal, quotes
// included) and xml (XML-escaped text). An example:
//
//	URL:  https://gw.example/send?to={{urlquery .To}}&text={{urlquery .Text}}
//	Body: {"to":{{json .To}},"text":{{json .Text}}}
type HTTPConfig struct {
	URL    string
	Method string // default POST with a Body, else GET
	Body   string
	// ContentType of the body; default application/json when Body starts
	// with "{" or "[", else application/x-www-form-urlencoded.
	ContentType string
	// Headers are added to every request (e.g. Authorization).
	Headers map[string]string
	// Success decides a 2xx answer succeeded: "" accepts any 2xx; a value
	// starting with "re:" is a regular expression matched against the body,
	// any other value a substring it must contain. With a regular
	// expression, its first group, when it matches one, is the message id.
	Success string
	// Timeout bounds one request; default 15 s.
	Timeout time.Duration
	// Client; default a new http.Client.
	Client *http.Client
}

// HTTPProvider sends through a web gateway. A network failure, a timeout,
// 429 or 5xx is transient (retried); other answers and a body that does not
// match Success fail the message.
type HTTPProvider struct {
	cfg     HTTPConfig
	url     *template.Template
	body    *template.Template
	success *regexp.Regexp
}

// maxHTTPAnswer bounds the gateway answer read.
const maxHTTPAnswer = 64 << 10

// NewHTTPProvider checks cfg and parses its templates.
func NewHTTPProvider(cfg HTTPConfig) (*HTTPProvider, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "sms http: a URL template is required")
	}
	funcs := template.FuncMap{
		"json": func(s string) (string, error) {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			err := enc.Encode(s)
			return strings.TrimSuffix(b.String(), "\n"), err
		},
		"xml": func(s string) string {
			var b strings.Builder
			_ = xmlEscape(&b, s)
			return b.String()
		},
	}
	p := &HTTPProvider{cfg: cfg}
	var err error
	if p.url, err = template.New("url").Funcs(funcs).Option("missingkey=error").Parse(cfg.URL); err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: URL template")
	}
	if cfg.Body != "" {
		if p.body, err = template.New("body").Funcs(funcs).Option("missingkey=error").Parse(cfg.Body); err != nil {
			return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: body template")
		}
	}
	if re, ok := strings.CutPrefix(cfg.Success, "re:"); ok {
		if p.success, err = regexp.Compile(re); err != nil {
			return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: success expression")
		}
	}
	if p.cfg.Method == "" {
		p.cfg.Method = http.MethodGet
		if cfg.Body != "" {
			p.cfg.Method = http.MethodPost
		}
	}
	p.cfg.Method = strings.ToUpper(p.cfg.Method)
	if p.cfg.ContentType == "" {
		p.cfg.ContentType = "application/x-www-form-urlencoded"
		if b := strings.TrimSpace(cfg.Body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
			p.cfg.ContentType = "application/json"
		}
	}
	if p.cfg.Timeout <= 0 {
		p.cfg.Timeout = 15 * time.Second
	}
	if p.cfg.Client == nil {
		p.cfg.Client = &http.Client{}
	}
	return p, nil
}

// Name is "http".
func (p *HTTPProvider) Name() string { return "http" }

// Start does nothing: the gateway reports no receipts here.
func (p *HTTPProvider) Start(context.Context, Sink) error { return nil }

// Close does nothing.
func (p *HTTPProvider) Close() error { return nil }

// templateData is what the templates see.
type templateData struct {
	To, From, Text, MsgID, Campaign string
	ID                              int64
	Parts                           int
}

// Send calls the gateway once.
func (p *HTTPProvider) Send(ctx context.Context, m *centralita.SMS) ([]string, error) {
	segs, _ := Segments(m.Text)
	d := templateData{To: m.Recipient, From: m.Sender, Text: m.Text, MsgID: m.MsgID, Campaign: m.Campaign, ID: m.ID, Parts: len(segs)}
	var u, body bytes.Buffer
	if err := p.url.Execute(&u, d); err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: URL template")
	}
	if _, err := url.Parse(u.String()); err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: the URL template gave a bad URL")
	}
	if p.body != nil {
		if err := p.body.Execute(&body, d); err != nil {
			return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: body template")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if p.body != nil {
		rd = &body
	}
	req, err := http.NewRequestWithContext(ctx, p.cfg.Method, u.String(), rd)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "sms http: request")
	}
	if p.body != nil {
		req.Header.Set("Content-Type", p.cfg.ContentType)
	}
	for k, v := range p.cfg.Headers {
		req.Header.Set(k, v)
	}
	res, err := p.cfg.Client.Do(req)
	if err != nil {
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, err, "sms gateway unreachable")
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxHTTPAnswer))
	if err != nil {
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, err, "sms gateway answer cut")
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		return nil, centralita.Errorf(centralita.ELIMITED, "sms gateway: HTTP 429")
	case res.StatusCode >= 500:
		return nil, centralita.Errorf(centralita.EUNAVAILABLE, "sms gateway: HTTP %d", res.StatusCode)
	case res.StatusCode < 200 || res.StatusCode > 299:
		return nil, centralita.Errorf(centralita.EINVALID, "sms gateway refused: HTTP %d: %s", res.StatusCode, clip(answer))
	}
	id := fmt.Sprintf("http-%d", m.ID)
	switch {
	case p.success != nil:
		sub := p.success.FindSubmatch(answer)
		if sub == nil {
			return nil, centralita.Errorf(centralita.EINVALID, "sms gateway answer does not match the success expression: %s", clip(answer))
		}
		if len(sub) > 1 && len(sub[1]) > 0 {
			id = string(sub[1])
		}
	case p.cfg.Success != "" && !bytes.Contains(answer, []byte(p.cfg.Success)):
		return nil, centralita.Errorf(centralita.EINVALID, "sms gateway answer lacks %q: %s", p.cfg.Success, clip(answer))
	}
	return []string{id}, nil
}

// clip shortens a gateway answer for an error message to 200 characters
// of valid UTF-8 (the answer may be in any charset, or cut mid-character
// by maxHTTPAnswer; the store refuses invalid UTF-8 on MariaDB).
func clip(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	n := 0
	for i := range s {
		if n == 200 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
