package centralita

import (
	"context"
	"time"
)

// ChannelEventType says what happened to a channel.
type ChannelEventType string

// The channel events engines react to.
const (
	// ChannelRinging: the far end is alerting (ARI ChannelStateChange to Ringing).
	ChannelRinging ChannelEventType = "ringing"
	// ChannelAnswered: the channel is up (ARI ChannelStateChange to Up).
	ChannelAnswered ChannelEventType = "answered"
	// ChannelEntered: the channel entered our application (ARI StasisStart);
	// an originated channel enters once answered.
	ChannelEntered ChannelEventType = "entered"
	// ChannelLeft: the channel left our application (ARI StasisEnd).
	ChannelLeft ChannelEventType = "left"
	// ChannelHungup: the channel is gone (ARI ChannelDestroyed), with its cause.
	ChannelHungup ChannelEventType = "hungup"
	// ChannelDTMF: a digit was received (ARI ChannelDtmfReceived).
	ChannelDTMF ChannelEventType = "dtmf"
	// PBXReconnected: the event stream came back after a gap in which events
	// may have been lost; consumers reconcile with ListChannels.
	PBXReconnected ChannelEventType = "reconnected"
	// PBXDisconnected: the event stream was lost.
	PBXDisconnected ChannelEventType = "disconnected"
)

// Q.850 hangup causes engines distinguish (ARI ChannelDestroyed.cause).
const (
	CauseUnallocated      = 1  // number does not exist (404)
	CauseNormalClearing   = 16 // normal hangup
	CauseUserBusy         = 17 // busy (486)
	CauseNoUserResponse   = 18 // no response
	CauseNoAnswer         = 19 // rang out (timeout)
	CauseSubscriberAbsent = 20 // unregistered / unavailable
	CauseCallRejected     = 21 // declined (603)
	CauseCongestion       = 34 // no circuit available (503)
	CauseUnavailable      = 38 // network out of order
)

// ChannelEvent is one thing that happened to a channel, translated from the PBX.
type ChannelEvent struct {
	Type      ChannelEventType
	ChannelID string
	// State is the channel state after the event: Down, Ring, Ringing, Up, ...
	State string
	// Cause and CauseText come with ChannelHungup.
	Cause     int
	CauseText string
	// Args are the application arguments of ChannelEntered.
	Args []string
	// Digit comes with ChannelDTMF.
	Digit string
	// CallerNumber and CallerName identify the calling party, when known.
	CallerNumber, CallerName string
	// Time is when the PBX says it happened.
	Time time.Time
}

// OriginateRequest asks the PBX for a new outgoing channel into our application.
type OriginateRequest struct {
	// ChannelID is chosen by the caller, so that events arriving before the
	// REST answer (or after a failed one) can still be matched.
	ChannelID string
	// Endpoint is what to dial: "PJSIP/101", "PJSIP/5551234@trunk", "Local/5551234@from-internal".
	Endpoint string
	// CallerIDName and CallerIDNumber are presented to the called party.
	CallerIDName, CallerIDNumber string
	// Timeout is how long to ring before giving up.
	Timeout time.Duration
	// AppArgs are passed to the application with ChannelEntered.
	AppArgs []string
	// Variables are set on the channel, e.g. "CDR(userfield)".
	Variables map[string]string
	// Originator is the id of the channel this call is made for; the new
	// channel shares its linkedid, so both legs' CDRs belong to one call.
	Originator string
}

// ChannelInfo is a live channel as the PBX lists it.
type ChannelInfo struct {
	ID, Name, State string
	CallerNumber    string
	CreatedAt       time.Time
}

// EndpointInfo is a PBX endpoint (an extension or a trunk).
type EndpointInfo struct {
	Technology, Resource string
	// State is "online", "offline" or "unknown".
	State string
	// ChannelIDs are the channels using it now.
	ChannelIDs []string
}

// Originator creates outgoing channels.
type Originator interface {
	Originate(ctx context.Context, req OriginateRequest) error
}

// Hanger hangs channels up; reason is an ARI reason: normal, busy, congestion, no_answer, ...
type Hanger interface {
	Hangup(ctx context.Context, channelID, reason string) error
}

// Bridger creates bridges and puts channels in them.
type Bridger interface {
	// CreateBridge creates a bridge with the caller's id; typ is "mixing" or "holding".
	CreateBridge(ctx context.Context, bridgeID, typ string) error
	AddChannel(ctx context.Context, bridgeID, channelID string) error
	DestroyBridge(ctx context.Context, bridgeID string) error
}

// ChannelLister lists live channels, for reconciling after a gap.
type ChannelLister interface {
	ListChannels(ctx context.Context) ([]ChannelInfo, error)
}

// EndpointLister lists and looks up endpoints.
type EndpointLister interface {
	ListEndpoints(ctx context.Context) ([]EndpointInfo, error)
	// Endpoint returns one endpoint, "PJSIP/101"; ENOTFOUND when it does not exist.
	Endpoint(ctx context.Context, name string) (EndpointInfo, error)
}

// DeviceStater reads Asterisk device states.
type DeviceStater interface {
	// DeviceState returns the state of a device such as "PJSIP/101":
	// NOT_INUSE, INUSE, BUSY, RINGING, RINGINUSE, ONHOLD, UNAVAILABLE, UNKNOWN, INVALID.
	DeviceState(ctx context.Context, device string) (string, error)
}

// EventSource delivers channel events of our application, in order, without
// dropping any; cancel stops the delivery and closes the channel.
type EventSource interface {
	Subscribe() (events <-chan ChannelEvent, cancel func())
}

// PBX is everything the telephony engines use of Asterisk.
type PBX interface {
	Originator
	Hanger
	Bridger
	ChannelLister
	EndpointLister
	DeviceStater
	EventSource
}
