// Package ari is Centralita's Asterisk adapter: it implements centralita.PBX
// over the Asterisk REST Interface (ARI) of Asterisk 22.
//
// # Library choice
//
// The adapter speaks ARI itself: REST with net/http and encoding/json, and
// the events WebSocket with golang.org/x/net/websocket. It does not use
// github.com/CyCoreSystems/ari/v6 (client/native), because that library
// breaks guarantees this package must give: it redials the events WebSocket
// forever with a fixed one-second sleep and no callback, so nothing can tell
// consumers that events were lost and must be reconciled; its Connected()
// races under -race, so /healthz cannot rely on it; its REST calls use an
// http.Client without a timeout; and its event bus silently drops events past
// 100 per subscription. Centralita needs a dozen REST calls and one JSON
// event stream, which are smaller to write and test directly than to work
// around.
//
// # Events
//
// Every subscriber gets every translated channel event, in the order Asterisk
// sent them, through its own unbounded queue: a slow consumer delays only
// itself and never loses events. Subscribe before originating calls; events
// published while nobody is subscribed are not kept. Event types the adapter
// does not use (Dial, ChannelVarset, ChannelToneDetected, ChannelTransfer,
// RESTResponse, ...) are ignored. Asterisk sends no ChannelDestroyed to the
// application for a channel that left it (StasisEnd) while still alive, so
// for an inbound channel "left" can be the last event.
//
// # Reconnection
//
// When the events WebSocket drops, the adapter publishes a
// centralita.PBXDisconnected event and redials with an exponential, jittered
// backoff (100 ms doubling up to 5 s by default). Once connected again it
// publishes centralita.PBXReconnected. Asterisk replays nothing, so
// consumers reconcile with ListChannels after PBXReconnected (and once at
// start-up, after subscribing). State and Check report the connection for
// health checks. TCP keep-alive probes detect a silently dead peer. A
// connection counts as up only once Asterisk lists the application, since
// Asterisk registers it after answering the handshake. When Asterisk says
// another connection took the application over (ApplicationReplaced), the
// adapter reports the loss and takes it back after ReconnectMax, so two
// processes sharing an application name show up as flapping, not as
// silence.
package ari

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"

	"github.com/centralita/centralita"
)

// Config configures a Client.
type Config struct {
	// URL is the ARI base URL, e.g. http://127.0.0.1:8088/ari; https gives a
	// TLS WebSocket (wss).
	URL string
	// Username and Password are the ARI user's credentials (HTTP Basic).
	Username, Password string
	// Application is the Stasis application name the events WebSocket registers.
	Application string
	// SubscribeAll also delivers events of channels outside the application.
	SubscribeAll bool
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
	// RequestTimeout bounds every REST call and WebSocket handshake; default 5s.
	RequestTimeout time.Duration
	// Now is the clock used for connection events; default time.Now.
	Now func() time.Time
	// ReconnectMin is the first reconnection delay; default 100ms.
	ReconnectMin time.Duration
	// ReconnectMax caps the doubling reconnection delay; default 5s.
	ReconnectMax time.Duration
	// TLSConfig, when set, is used for https and wss connections.
	TLSConfig *tls.Config
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.URL == "" {
		return c, centralita.Errorf(centralita.EINVALID, "ari: URL is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, centralita.Errorf(centralita.EINVALID, "ari: URL %q must be an http or https URL", c.URL)
	}
	if c.Application == "" {
		return c, centralita.Errorf(centralita.EINVALID, "ari: Application is required")
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReconnectMin <= 0 {
		c.ReconnectMin = 100 * time.Millisecond
	}
	if c.ReconnectMax <= 0 {
		c.ReconnectMax = 5 * time.Second
	}
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = c.ReconnectMin
	}
	return c, nil
}

// State is the state of the events connection.
type State string

// The states of the events connection.
const (
	// StateConnected: the events WebSocket is open.
	StateConnected State = "connected"
	// StateDisconnected: the events WebSocket was lost and is being redialled.
	StateDisconnected State = "disconnected"
	// StateClosed: Close was called.
	StateClosed State = "closed"
)

// errReplaced ends a connection on which Asterisk announced that another
// WebSocket took over the application.
var errReplaced = errors.New("another WebSocket connection took over the ARI application")

// Client is a connection to one Asterisk's ARI; it implements centralita.PBX.
type Client struct {
	cfg       Config
	log       *slog.Logger
	transport *http.Transport
	http      *http.Client
	auth      string
	wsURL     string
	hub       *hub

	ctx       context.Context // ends on Close
	cancel    context.CancelFunc
	done      chan struct{} // closed when the connection loop exits
	closeOnce sync.Once

	mu      sync.Mutex
	state   State
	lastErr error
	ws      *websocket.Conn
}

var _ centralita.PBX = (*Client)(nil)

// New connects to ARI and returns a Client. It dials the events WebSocket,
// retrying with backoff, until it succeeds, ctx ends, or Asterisk rejects
// the credentials; later losses are repaired in the background.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLSConfig != nil {
		transport.TLSClientConfig = cfg.TLSConfig.Clone()
	}
	c := &Client{
		cfg:       cfg,
		log:       cfg.Logger.With("ari_app", cfg.Application),
		transport: transport,
		http:      &http.Client{Transport: transport},
		auth:      "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password)),
		hub:       newHub(),
		done:      make(chan struct{}),
	}
	c.wsURL, err = eventsURL(cfg)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())

	ws, err := c.redial(ctx, cfg.ReconnectMin, false)
	if err != nil {
		c.cancel()
		transport.CloseIdleConnections()
		return nil, centralita.WrapError(centralita.EUNAVAILABLE, err, "cannot connect to the Asterisk events stream")
	}
	c.state = StateConnected
	c.ws = ws
	c.log.Info("ARI events connected", "url", c.wsURL)
	go c.run(ws)
	return c, nil
}

// eventsURL derives the events WebSocket URL from the REST base URL.
func eventsURL(cfg Config) (string, error) {
	u, err := url.Parse(cfg.URL + "/events")
	if err != nil {
		return "", centralita.WrapError(centralita.EINVALID, err, "ari: bad URL %q", cfg.URL)
	}
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	q := url.Values{"app": {cfg.Application}}
	if cfg.SubscribeAll {
		q.Set("subscribeAll", "true")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// State returns the state of the events connection.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Check returns nil when the events WebSocket is up and an EUNAVAILABLE
// error otherwise; it is meant for health checks.
func (c *Client) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "Asterisk check cancelled")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateConnected {
		return nil
	}
	return centralita.WrapError(centralita.EUNAVAILABLE, c.lastErr, "Asterisk events stream is %s", c.state)
}

// Subscribe returns a channel that receives every channel event from now on,
// in order and without loss, until cancel is called or the Client closes;
// then the channel is closed.
func (c *Client) Subscribe() (<-chan centralita.ChannelEvent, func()) {
	return c.hub.subscribe()
}

// Close stops the events connection, aborts REST calls in flight, closes
// every subscription and waits for the adapter's goroutines to end.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		c.mu.Lock()
		c.state = StateClosed
		if c.ws != nil {
			closeWS(c.ws)
		}
		c.mu.Unlock()
		<-c.done
		c.hub.close()
		c.transport.CloseIdleConnections()
		c.log.Info("ARI client closed")
	})
	return nil
}

// run reads events from ws and, each time the connection is lost, redials
// until Close.
func (c *Client) run(ws *websocket.Conn) {
	defer close(c.done)
	for {
		err := c.readLoop(ws)
		closeWS(ws)
		if c.ctx.Err() != nil {
			return
		}
		c.log.Warn("ARI events connection lost", "err", err)
		c.setDisconnected(err)
		c.hub.publish(centralita.ChannelEvent{Type: centralita.PBXDisconnected, Time: c.cfg.Now()})

		first := c.cfg.ReconnectMin
		if errors.Is(err, errReplaced) {
			// Another client owns the application; do not fight it at full speed.
			first = c.cfg.ReconnectMax
		}
		ws, err = c.redial(c.ctx, first, true)
		if err != nil {
			return
		}
		if !c.setConnected(ws) {
			closeWS(ws)
			return
		}
		c.log.Info("ARI events reconnected")
		c.hub.publish(centralita.ChannelEvent{Type: centralita.PBXReconnected, Time: c.cfg.Now()})
	}
}

// readLoop handles messages from ws until it fails.
func (c *Client) readLoop(ws *websocket.Conn) error {
	for {
		var msg []byte
		if err := websocket.Message.Receive(ws, &msg); err != nil {
			return err
		}
		if err := c.handleMessage(msg); err != nil {
			return err
		}
	}
}

// setDisconnected records the loss of the connection.
func (c *Client) setDisconnected(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws = nil
	c.lastErr = err
	if c.state != StateClosed {
		c.state = StateDisconnected
	}
}

// setConnected records a new connection; false when the Client was closed
// meanwhile.
func (c *Client) setConnected(ws *websocket.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateClosed {
		return false
	}
	c.ws = ws
	c.state = StateConnected
	c.lastErr = nil
	return true
}

// redial dials the events WebSocket until it succeeds or ctx ends, waiting
// a jittered delay that starts at first and doubles up to ReconnectMax
// between attempts. When reconnecting it also waits before the first
// attempt; otherwise (the first connection) rejected credentials end the
// attempts at once.
func (c *Client) redial(ctx context.Context, first time.Duration, reconnecting bool) (*websocket.Conn, error) {
	b := backoff{min: first, max: c.cfg.ReconnectMax}
	if reconnecting {
		// Reconnecting: pause before the first attempt so a server that
		// drops every connection at once is not hammered.
		if err := sleep(ctx, b.next()); err != nil {
			return nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		ws, err := c.dial(ctx)
		if err == nil {
			return ws, nil
		}
		if ctx.Err() == nil {
			if !reconnecting && errors.Is(err, websocket.ErrBadStatus) {
				if perr := c.probe(ctx); isAuthError(perr) {
					return nil, perr
				}
			}
			c.log.Warn("ARI events dial failed", "attempt", attempt, "err", err)
		}
		if serr := sleep(ctx, b.next()); serr != nil {
			return nil, fmt.Errorf("%w (last attempt: %w)", serr, err)
		}
	}
}

// dial opens the events WebSocket once.
func (c *Client) dial(ctx context.Context) (*websocket.Conn, error) {
	wcfg, err := websocket.NewConfig(c.wsURL, c.cfg.URL)
	if err != nil {
		return nil, err
	}
	wcfg.Header.Set("Authorization", c.auth)
	if c.cfg.TLSConfig != nil {
		wcfg.TlsConfig = c.cfg.TLSConfig.Clone()
	}
	wcfg.Dialer = &net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3},
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	ws, err := wcfg.DialContext(dctx)
	if err != nil {
		// DialError has no Unwrap; expose its cause to errors.Is.
		var de *websocket.DialError
		if errors.As(err, &de) {
			err = de.Err
		}
		return nil, fmt.Errorf("dial %s: %w", c.wsURL, err)
	}
	if err := c.awaitRegistered(dctx); err != nil {
		closeWS(ws)
		return nil, fmt.Errorf("dial %s: %w", c.wsURL, err)
	}
	return ws, nil
}

// awaitRegistered waits until Asterisk lists the application. Asterisk
// registers it only after it has sent the handshake answer, so events of a
// channel originated in between would be lost (and, with no subscription,
// so would its ChannelDestroyed).
func (c *Client) awaitRegistered(ctx context.Context) error {
	path := "applications/" + seg(c.cfg.Application)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		err := c.do(ctx, "check application", http.MethodGet, path, nil, nil, nil)
		if centralita.ErrorKind(err) != centralita.ENOTFOUND {
			return err
		}
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("application %q not registered: %w", c.cfg.Application, err)
		}
	}
}

// probe asks a cheap REST question to learn why a handshake was refused.
func (c *Client) probe(ctx context.Context) error {
	return c.do(ctx, "ping", http.MethodGet, "asterisk/ping", nil, nil, nil)
}

// isAuthError reports whether err is ARI refusing the credentials.
func isAuthError(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden)
}

// closeWS closes ws without blocking long on a dead peer.
func closeWS(ws *websocket.Conn) {
	_ = ws.SetWriteDeadline(time.Now().Add(time.Second))
	_ = ws.Close()
}

// backoff yields exponentially growing, jittered delays.
type backoff struct {
	min, max, cur time.Duration
}

// next returns the next delay: the current step with jitter in [step/2,
// step], and doubles the step up to max.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	}
	step := b.cur
	b.cur = min(2*b.cur, b.max)
	half := step / 2
	return half + rand.N(step-half+1)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
