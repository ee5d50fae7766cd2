package ari

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/centralita/centralita"
)

// Originate asks Asterisk for a new outgoing channel into the application
// (POST /channels). The channel enters the application (ChannelEntered)
// once answered. The channel may exist even when the call fails, so callers
// match events by req.ChannelID. req.Originator is passed as ARI's
// originator, so both legs share a linkedid. A malformed endpoint is EINVALID, a
// duplicate channel id ECONFLICT, and an endpoint that cannot be dialled
// (unknown, unregistered) EUNAVAILABLE.
func (c *Client) Originate(ctx context.Context, req centralita.OriginateRequest) error {
	if req.ChannelID == "" {
		return centralita.Errorf(centralita.EINVALID, "originate: a channel id is required")
	}
	if req.Endpoint == "" {
		return centralita.Errorf(centralita.EINVALID, "originate: an endpoint is required")
	}
	if req.Timeout < 0 {
		return centralita.Errorf(centralita.EINVALID, "originate: negative timeout")
	}
	for _, a := range req.AppArgs {
		if strings.Contains(a, ",") {
			return centralita.Errorf(centralita.EINVALID, "originate: application argument %q contains a comma", a)
		}
	}
	q := url.Values{
		"endpoint":  {req.Endpoint},
		"app":       {c.cfg.Application},
		"channelId": {req.ChannelID},
	}
	if len(req.AppArgs) > 0 {
		q.Set("appArgs", strings.Join(req.AppArgs, ","))
	}
	if cid := callerID(req.CallerIDName, req.CallerIDNumber); cid != "" {
		q.Set("callerId", cid)
	}
	if req.Originator != "" {
		q.Set("originator", req.Originator)
	}
	if req.Timeout > 0 {
		q.Set("timeout", strconv.Itoa(ceilSeconds(req.Timeout)))
	}
	var body any
	if len(req.Variables) > 0 {
		body = map[string]map[string]string{"variables": req.Variables}
	}
	return c.do(ctx, "originate "+req.ChannelID, http.MethodPost, "channels", q, body, nil)
}

// callerID formats a caller id the way Asterisk parses it: "Name" <number>.
func callerID(name, number string) string {
	name = strings.Map(func(r rune) rune {
		switch r {
		case '"', '<', '>', '\\':
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	number = strings.TrimSpace(number)
	switch {
	case name == "":
		return number
	case number == "":
		return `"` + name + `"`
	default:
		return `"` + name + `" <` + number + `>`
	}
}

// Hangup hangs channelID up with an ARI reason (normal, busy, congestion,
// no_answer, ...; empty means normal). A channel that is already gone is
// ENOTFOUND.
func (c *Client) Hangup(ctx context.Context, channelID, reason string) error {
	if channelID == "" {
		return centralita.Errorf(centralita.EINVALID, "hangup: a channel id is required")
	}
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return c.do(ctx, "hangup "+channelID, http.MethodDelete, "channels/"+seg(channelID), q, nil, nil)
}

// CreateBridge creates a bridge with the caller's id; typ is "mixing" or
// "holding" (empty means mixing). An existing id is ECONFLICT.
func (c *Client) CreateBridge(ctx context.Context, bridgeID, typ string) error {
	if bridgeID == "" {
		return centralita.Errorf(centralita.EINVALID, "create bridge: a bridge id is required")
	}
	if typ == "" {
		typ = "mixing"
	}
	q := url.Values{"type": {typ}, "name": {bridgeID}}
	return c.do(ctx, "create bridge "+bridgeID, http.MethodPost, "bridges/"+seg(bridgeID), q, nil, nil)
}

// AddChannel puts channelID into bridgeID. An unknown bridge or channel is
// ENOTFOUND; a channel that is not in the application is ECONFLICT.
func (c *Client) AddChannel(ctx context.Context, bridgeID, channelID string) error {
	return c.bridgeChannel(ctx, "add channel "+channelID+" to bridge "+bridgeID, "addChannel", bridgeID, channelID)
}

// RemoveChannel takes channelID out of bridgeID. A channel not in the bridge
// is ECONFLICT.
func (c *Client) RemoveChannel(ctx context.Context, bridgeID, channelID string) error {
	return c.bridgeChannel(ctx, "remove channel "+channelID+" from bridge "+bridgeID, "removeChannel", bridgeID, channelID)
}

// bridgeChannel runs addChannel or removeChannel.
func (c *Client) bridgeChannel(ctx context.Context, op, action, bridgeID, channelID string) error {
	if bridgeID == "" || channelID == "" {
		return centralita.Errorf(centralita.EINVALID, "%s: bridge and channel ids are required", action)
	}
	q := url.Values{"channel": {channelID}}
	err := c.do(ctx, op, http.MethodPost, "bridges/"+seg(bridgeID)+"/"+action, q, nil, nil)
	// Asterisk answers 400 "Channel not found" for an unknown channel.
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest && strings.EqualFold(se.Message, "Channel not found") {
		return centralita.WrapError(centralita.ENOTFOUND, se, "%s: %s", op, se.Message)
	}
	return err
}

// DestroyBridge deletes bridgeID; the channels in it stay up. An unknown
// bridge is ENOTFOUND.
func (c *Client) DestroyBridge(ctx context.Context, bridgeID string) error {
	if bridgeID == "" {
		return centralita.Errorf(centralita.EINVALID, "destroy bridge: a bridge id is required")
	}
	return c.do(ctx, "destroy bridge "+bridgeID, http.MethodDelete, "bridges/"+seg(bridgeID), nil, nil, nil)
}

// BridgeInfo is a live bridge as Asterisk lists it.
type BridgeInfo struct {
	// ID is the bridge id.
	ID string
	// Type is "mixing" or "holding".
	Type string
	// ChannelIDs are the channels in the bridge.
	ChannelIDs []string
}

// ListBridges lists every bridge, for reconciling after a gap.
func (c *Client) ListBridges(ctx context.Context) ([]BridgeInfo, error) {
	var raw []struct {
		ID         string   `json:"id"`
		BridgeType string   `json:"bridge_type"`
		Channels   []string `json:"channels"`
	}
	if err := c.do(ctx, "list bridges", http.MethodGet, "bridges", nil, nil, &raw); err != nil {
		return nil, err
	}
	out := make([]BridgeInfo, 0, len(raw))
	for _, b := range raw {
		out = append(out, BridgeInfo{ID: b.ID, Type: b.BridgeType, ChannelIDs: b.Channels})
	}
	return out, nil
}

// ListChannels lists every live channel in Asterisk.
func (c *Client) ListChannels(ctx context.Context) ([]centralita.ChannelInfo, error) {
	var raw []channelJSON
	if err := c.do(ctx, "list channels", http.MethodGet, "channels", nil, nil, &raw); err != nil {
		return nil, err
	}
	out := make([]centralita.ChannelInfo, 0, len(raw))
	for _, ch := range raw {
		out = append(out, ch.info())
	}
	return out, nil
}

// endpointJSON is an ARI Endpoint.
type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

// info converts the endpoint to the domain type.
func (e endpointJSON) info() centralita.EndpointInfo {
	state := e.State
	if state == "" {
		state = "unknown"
	}
	ids := e.ChannelIDs
	if ids == nil {
		ids = []string{}
	}
	return centralita.EndpointInfo{Technology: e.Technology, Resource: e.Resource, State: state, ChannelIDs: ids}
}

// ListEndpoints lists every endpoint (extensions and trunks).
func (c *Client) ListEndpoints(ctx context.Context) ([]centralita.EndpointInfo, error) {
	var raw []endpointJSON
	if err := c.do(ctx, "list endpoints", http.MethodGet, "endpoints", nil, nil, &raw); err != nil {
		return nil, err
	}
	out := make([]centralita.EndpointInfo, 0, len(raw))
	for _, e := range raw {
		out = append(out, e.info())
	}
	return out, nil
}

// Endpoint returns one endpoint named "TECH/resource", e.g. "PJSIP/101";
// ENOTFOUND when it does not exist, EINVALID when the name is malformed.
func (c *Client) Endpoint(ctx context.Context, name string) (centralita.EndpointInfo, error) {
	tech, resource, ok := strings.Cut(name, "/")
	if !ok || tech == "" || resource == "" || strings.Contains(resource, "/") {
		return centralita.EndpointInfo{}, centralita.Errorf(centralita.EINVALID, "endpoint %q: want TECH/resource", name)
	}
	var raw endpointJSON
	if err := c.do(ctx, "endpoint "+name, http.MethodGet, "endpoints/"+seg(tech)+"/"+seg(resource), nil, nil, &raw); err != nil {
		return centralita.EndpointInfo{}, err
	}
	return raw.info(), nil
}

// DeviceState returns the device state of "TECH/resource" (GET
// /deviceStates/{device}), e.g. INUSE for a phone with a call or off-hook.
func (c *Client) DeviceState(ctx context.Context, device string) (string, error) {
	if device == "" {
		return "", centralita.Errorf(centralita.EINVALID, "device state: a device name is required")
	}
	var raw struct {
		State string `json:"state"`
	}
	if err := c.do(ctx, "device state "+device, http.MethodGet, "deviceStates/"+seg(device), nil, nil, &raw); err != nil {
		return "", err
	}
	return raw.State, nil
}
