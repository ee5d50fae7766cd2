// Package crm calls the customer's backend during calls: getCallerIDName,
// IVRCode and pushAgentInfo, over REST (JSON) or SOAP.
//
// The three services are those of rest-expandweb3.md §7, whose interface is
// only "suggested"; the wire formats below are this package's choices.
//
// REST: POST <URL> with Content-Type application/json and a JSON object of
// the signature's parameter names, in signature order:
//
//	getCallerIDName {"callerIdNum":"..."}
//	IVRCode         {"UniqueID":"...","callerIdNum":"...","IVRCode":"...","IVRData":"..."}
//	pushAgentInfo   {"uniqueid":"...","queuename":"...","callerid":"...","agentchan":"...","ivrdata":"..."}
//
// pushAgentInfo uses the signature's lower-case names, not the table's camel
// case (B15 [proposal]); Target.Fields renames any parameter, which makes the
// names configurable as B15 asks. Any 2xx answer is a success and its body
// may be a JSON string ("Ana"), a JSON object with a "result" field (or
// "name", for getCallerIDName), a JSON boolean (pushAgentInfo), JSON null
// (an empty result) or plain text (trimmed). A body that starts like JSON
// ('"', '{', '[') must be valid JSON. pushAgentInfo's booleans are true,
// false, 1, 0, yes, no and ok in any case; an empty body means true: B14
// [proposal] reads the value as "the backend accepted the notification", and
// a 2xx with nothing to say is an acceptance. Every non-2xx is a failure.
//
// SOAP: an rpc-style SOAP 1.1 envelope, POSTed with Content-Type
// "text/xml; charset=utf-8" and SOAPAction "<Namespace>#<method>" (quoted, as
// SOAP 1.1 writes it):
//
//	<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
//	<ns:getCallerIDName xmlns:ns="urn:crm"><callerIdNum>...</callerIdNum></ns:getCallerIDName>
//	</soap:Body></soap:Envelope>
//
// with the same, unqualified, part names as REST. The result is the text of
// the first child element of the first element of the answer's Body
// (<getCallerIDNameResponse><return>...</return>); no child, or xsi:nil,
// is an empty result, and so is an empty 2xx body (a one-way operation). A
// soap:Fault is a failure.
//
// Answers are read as UTF-8 unless labelled ISO-8859-1 (Content-Type
// charset, or the XML declaration); a body that is not valid UTF-8 is read
// as ISO-8859-1 whatever its label.
//
// Each call is bounded by the caller's ctx and each attempt by
// Config.Timeout. Failures are retried with doubling, jittered backoff
// (pushAgentInfo twice by default; the lookups, which are on the call's
// path, not at all unless Config.LookupRetries says so); a retry whose backoff
// would outlast ctx's deadline is not started. A circuit breaker per target
// URL fails calls fast while the backend is down; a caller that goes away
// mid-request counts neither for nor against the backend.
//
// Every attempt, retries and breaker skips included, is recorded as a
// centralita.CRMPush, with UniqueID the call's uniqueid, except for
// getCallerIDName, whose signature has none: its records carry the number.
// A cached caller name is not an attempt and is not recorded. Errors are
// domain errors: EUNAVAILABLE for transport failures, timeouts, non-2xx
// answers, SOAP faults and an open breaker; EINVALID for answers that cannot
// be read or exceed Config.MaxResponseBytes.
package crm

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// Defaults of Config.
const (
	DefaultTimeout          = 2 * time.Second
	DefaultPushRetries      = 2
	DefaultBackoff          = 200 * time.Millisecond
	DefaultBreakerFailures  = 5
	DefaultBreakerCooldown  = 30 * time.Second
	DefaultCacheTTL         = 5 * time.Minute
	DefaultCacheSize        = 10000
	DefaultNamespace        = "urn:crm"
	DefaultMaxResponseBytes = 64 << 10
	DefaultRecordTimeout    = 250 * time.Millisecond
)

// Target kinds.
const (
	KindREST = "rest"
	KindSOAP = "soap"
)

// Target is where one method is sent.
type Target struct {
	// URL is the http or https endpoint; "" disables the method
	// (CallerIDName and IVRCode return "", PushAgentInfo false, all with a
	// nil error, and nothing is recorded).
	URL string
	// Kind is "rest" (default) or "soap".
	Kind string
	// Namespace is the SOAP namespace of the operation element (default
	// "urn:crm"); the SOAPAction header is "<Namespace>#<method>".
	Namespace string
	// Header holds optional extra headers (e.g. Authorization) sent with
	// every request; they may override the defaults.
	Header map[string]string
	// Fields renames parameters on the wire, default name to sent name, e.g.
	// {"uniqueid": "UniqueId"} for the table's camel case (B15).
	Fields map[string]string
}

// Config configures a Client.
type Config struct {
	// CallerIDName, IVRCode and PushAgentInfo are the three methods' targets.
	CallerIDName, IVRCode, PushAgentInfo Target
	// Timeout bounds each attempt; default 2 s.
	Timeout time.Duration
	// Retries is the number of extra pushAgentInfo attempts after a
	// retryable failure (transport error, timeout, 408, 429, 5xx, SOAP server
	// fault); 0 means DefaultPushRetries and a negative value none.
	Retries int
	// LookupRetries is the same for getCallerIDName and IVRCode, which are
	// on the call's path: 0 (the default) or negative means none.
	LookupRetries int
	// Backoff is the delay before the first retry, doubled for each further
	// one, with jitter (a random point in the upper half); default 200 ms.
	Backoff time.Duration
	// BreakerFailures is how many consecutive failed attempts on one target
	// URL open its breaker; default 5, negative disables the breaker.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker fails calls fast before it
	// lets one trial request through (half-open); default 30 s.
	BreakerCooldown time.Duration
	// CacheTTL is how long a caller name is cached per number; 0 uses the
	// default 5 min, negative disables the cache.
	CacheTTL time.Duration
	// CacheSize bounds the cached numbers (oldest evicted); default 10000.
	CacheSize int
	// Pushes records every attempt; nil records nothing.
	Pushes centralita.CRMPushService
	// RecordTimeout bounds recording one attempt; default 250 ms. A record
	// is also bounded by the caller's ctx, except when that ctx has already
	// ended (the attempt that ended it is still recorded, within this bound).
	RecordTimeout time.Duration
	// HTTPClient sends the requests; default a client of its own transport
	// with no global timeout (attempts are bounded by their ctx).
	HTTPClient *http.Client
	// Now is the clock of the cache, the breaker and CreatedAt; default time.Now.
	Now func() time.Time
	// Logger is where failing records are reported; default discards.
	Logger *slog.Logger
	// MaxResponseBytes bounds the answer bodies read; a longer answer is a
	// failure (EINVALID). Default 64 KiB.
	MaxResponseBytes int64
}

// Client calls the CRM; it implements centralita.CRM and is safe for
// concurrent use.
type Client struct {
	cfg       Config
	callerID  *target
	ivrCode   *target
	pushAgent *target
	cache     *cache
	flights   *flights
}

var _ centralita.CRM = (*Client)(nil)

// New checks cfg, fills in its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if err := defaults(&cfg); err != nil {
		return nil, err
	}
	breakers := map[string]*breaker{}
	build := func(method string, t Target) (*target, error) {
		return newTarget(&cfg, method, t, breakers)
	}
	c := &Client{cfg: cfg, flights: newFlights()}
	var err error
	if c.callerID, err = build(centralita.CRMGetCallerIDName, cfg.CallerIDName); err != nil {
		return nil, err
	}
	if c.ivrCode, err = build(centralita.CRMIVRCode, cfg.IVRCode); err != nil {
		return nil, err
	}
	if c.pushAgent, err = build(centralita.CRMPushAgentInfo, cfg.PushAgentInfo); err != nil {
		return nil, err
	}
	if cfg.CacheTTL > 0 {
		c.cache = newCache(cfg.CacheTTL, cfg.CacheSize)
	}
	return c, nil
}

// defaults validates the numeric settings of cfg and fills in defaults.
func defaults(cfg *Config) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Timeout", cfg.Timeout}, {"Backoff", cfg.Backoff}, {"BreakerCooldown", cfg.BreakerCooldown}, {"RecordTimeout", cfg.RecordTimeout}} {
		if d.v < 0 {
			return centralita.Errorf(centralita.EINVALID, "crm: %s must not be negative", d.name)
		}
	}
	if cfg.CacheSize < 0 {
		return centralita.Errorf(centralita.EINVALID, "crm: CacheSize must not be negative")
	}
	if cfg.MaxResponseBytes < 0 {
		return centralita.Errorf(centralita.EINVALID, "crm: MaxResponseBytes must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.BreakerFailures == 0 {
		cfg.BreakerFailures = DefaultBreakerFailures
	}
	if cfg.BreakerCooldown == 0 {
		cfg.BreakerCooldown = DefaultBreakerCooldown
	}
	if cfg.RecordTimeout == 0 {
		cfg.RecordTimeout = DefaultRecordTimeout
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// paramNames names a method's parameters, in signature order.
func paramNames(method string) []string {
	switch method {
	case centralita.CRMGetCallerIDName:
		return []string{"callerIdNum"}
	case centralita.CRMIVRCode:
		return []string{"UniqueID", "callerIdNum", "IVRCode", "IVRData"}
	}
	return []string{"uniqueid", "queuename", "callerid", "agentchan", "ivrdata"}
}

// xmlName is what this package accepts as a JSON key or XML element name.
var xmlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]*$`)

// headerName is an HTTP field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// validHeaderValue reports whether v may be sent as a field value: no
// control characters other than tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// target is a validated Target of one method.
type target struct {
	method  string
	url     string
	shown   string // url without credentials or query, as attempts record it
	soap    bool
	ns      string
	header  http.Header
	names   []string // wire names of the parameters, in order
	retries int
	brk     *breaker // shared by the targets of one URL; nil when disabled
}

// newTarget validates t for method; it returns nil when t is disabled.
func newTarget(cfg *Config, method string, t Target, breakers map[string]*breaker) (*target, error) {
	if t.URL == "" {
		return nil, nil
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINVALID, err, "crm %s: bad URL %q", method, t.URL)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "crm %s: URL %q must be an absolute http or https URL", method, t.URL)
	}
	tg := &target{method: method, url: t.URL, shown: redactURL(t.URL), ns: t.Namespace, header: http.Header{}}
	switch strings.ToLower(t.Kind) {
	case "", KindREST:
	case KindSOAP:
		tg.soap = true
	default:
		return nil, centralita.Errorf(centralita.EINVALID, "crm %s: kind %q is not rest or soap", method, t.Kind)
	}
	if tg.ns == "" {
		tg.ns = DefaultNamespace
	}
	for k, v := range t.Header {
		if !headerName.MatchString(k) || !validHeaderValue(v) {
			return nil, centralita.Errorf(centralita.EINVALID, "crm %s: bad header %q", method, k)
		}
		tg.header.Set(k, v)
	}
	defaultNames := paramNames(method)
	for k, v := range t.Fields {
		known := false
		for _, n := range defaultNames {
			known = known || n == k
		}
		if !known {
			return nil, centralita.Errorf(centralita.EINVALID, "crm %s: Fields renames %q, which is not one of %s", method, k, strings.Join(defaultNames, ", "))
		}
		if !xmlName.MatchString(v) {
			return nil, centralita.Errorf(centralita.EINVALID, "crm %s: Fields name %q is not a valid element name", method, v)
		}
	}
	for _, n := range defaultNames {
		if v, ok := t.Fields[n]; ok {
			n = v
		}
		tg.names = append(tg.names, n)
	}
	switch {
	case method != centralita.CRMPushAgentInfo:
		tg.retries = max(cfg.LookupRetries, 0)
	case cfg.Retries > 0:
		tg.retries = cfg.Retries
	case cfg.Retries == 0:
		tg.retries = DefaultPushRetries
	}
	if cfg.BreakerFailures > 0 {
		if tg.brk = breakers[t.URL]; tg.brk == nil {
			tg.brk = &breaker{failures: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown}
			breakers[t.URL] = tg.brk
		}
	}
	return tg, nil
}

// CallerIDName asks the CRM for the name of number (getCallerIDName). The
// answer is cached per number for CacheTTL (empty answers too; failures
// are not), and concurrent lookups of one number share one request. An
// empty number is not looked up. Its records carry the number as UniqueID,
// since the call's uniqueid is not part of the signature.
func (c *Client) CallerIDName(ctx context.Context, number string) (string, error) {
	if c.callerID == nil || number == "" {
		return "", nil
	}
	if c.cache != nil {
		if name, ok := c.cache.get(number, c.cfg.Now()); ok {
			return name, nil
		}
	}
	for {
		f, leader := c.flights.join(number)
		if leader {
			a, err := c.call(ctx, c.callerID, number, number)
			if err == nil && c.cache != nil {
				c.cache.put(number, a.text, c.cfg.Now())
			}
			c.flights.finish(number, f, a.text, err)
			return a.text, err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", centralita.WrapError(centralita.EUNAVAILABLE, ctx.Err(), "CRM getCallerIDName did not answer in time")
		}
		// The leader gave up because its own caller went away: ask again.
		if f.err != nil && f.canceled && ctx.Err() == nil {
			continue
		}
		return f.name, f.err
	}
}

// IVRCode reports that call uniqueID reached IVR node code (IVRCode); the
// answer is the text to append to the call's IVR data.
func (c *Client) IVRCode(ctx context.Context, uniqueID, callerNumber, code, ivrData string) (string, error) {
	if c.ivrCode == nil {
		return "", nil
	}
	a, err := c.call(ctx, c.ivrCode, uniqueID, uniqueID, callerNumber, code, ivrData)
	return a.text, err
}

// PushAgentInfo is the screen-pop (pushAgentInfo): true means the backend
// accepted the notification (B14 [proposal]); the value never affects
// routing.
func (c *Client) PushAgentInfo(ctx context.Context, info centralita.AgentInfo) (bool, error) {
	if c.pushAgent == nil {
		return false, nil
	}
	a, err := c.call(ctx, c.pushAgent, info.UniqueID, info.UniqueID, info.Queue, info.CallerID, info.AgentChannel, info.IVRData)
	return a.ok, err
}

// redactURL drops what may carry credentials (user info, query, fragment)
// from a URL before it is stored or listed with the attempts.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
