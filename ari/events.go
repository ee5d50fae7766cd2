package ari

import (
	"encoding/json"
	"time"

	"github.com/centralita/centralita"
)

// ariTimeLayout is how ARI writes times: 2026-11-21T19:50:04.678+0000.
const ariTimeLayout = "2006-01-02T15:04:05.000-0700"

// callerJSON is an ARI CallerID.
type callerJSON struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// channelJSON is the part of an ARI Channel the adapter uses.
type channelJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	State        string     `json:"state"`
	Caller       callerJSON `json:"caller"`
	CreationTime string     `json:"creationtime"`
}

// info converts the channel to the domain type.
func (ch channelJSON) info() centralita.ChannelInfo {
	t, _ := parseTime(ch.CreationTime)
	return centralita.ChannelInfo{
		ID:           ch.ID,
		Name:         ch.Name,
		State:        ch.State,
		CallerNumber: ch.Caller.Number,
		CreatedAt:    t,
	}
}

// eventJSON is the part of the ARI channel events the adapter uses.
type eventJSON struct {
	Type      string       `json:"type"`
	Timestamp string       `json:"timestamp"`
	Channel   *channelJSON `json:"channel"`
	Args      []string     `json:"args"`
	Cause     int          `json:"cause"`
	CauseTxt  string       `json:"cause_txt"`
	Digit     string       `json:"digit"`
}

// parseTime parses an ARI time, also accepting RFC 3339.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(ariTimeLayout, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// translate turns one ARI event message into a domain event; ok is false
// for events the adapter does not use. Only the type is decoded first, so
// unknown event shapes cannot fail the decoding.
func translate(msg []byte, now func() time.Time) (ev centralita.ChannelEvent, typ string, ok bool, err error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(msg, &head); err != nil {
		return ev, "", false, err
	}
	var kind centralita.ChannelEventType
	switch head.Type {
	case "StasisStart":
		kind = centralita.ChannelEntered
	case "StasisEnd":
		kind = centralita.ChannelLeft
	case "ChannelStateChange":
		// The kind depends on the new state, decoded below.
	case "ChannelDestroyed":
		kind = centralita.ChannelHungup
	case "ChannelDtmfReceived":
		kind = centralita.ChannelDTMF
	default:
		return ev, head.Type, false, nil
	}
	var e eventJSON
	if err := json.Unmarshal(msg, &e); err != nil {
		return ev, head.Type, false, err
	}
	if e.Channel == nil || e.Channel.ID == "" {
		return ev, head.Type, false, nil
	}
	if head.Type == "ChannelStateChange" {
		switch e.Channel.State {
		case "Ringing":
			kind = centralita.ChannelRinging
		case "Up":
			kind = centralita.ChannelAnswered
		default:
			return ev, head.Type, false, nil
		}
	}
	t, ok := parseTime(e.Timestamp)
	if !ok {
		t = now()
	}
	ev = centralita.ChannelEvent{
		Type:         kind,
		ChannelID:    e.Channel.ID,
		State:        e.Channel.State,
		CallerNumber: e.Channel.Caller.Number,
		CallerName:   e.Channel.Caller.Name,
		Time:         t,
	}
	switch kind {
	case centralita.ChannelEntered:
		ev.Args = e.Args
	case centralita.ChannelHungup:
		ev.Cause = e.Cause
		ev.CauseText = e.CauseTxt
	case centralita.ChannelDTMF:
		ev.Digit = e.Digit
	}
	return ev, head.Type, true, nil
}

// handleMessage publishes the event in msg, if it is one the adapter uses.
// It returns errReplaced when Asterisk says another WebSocket took over the
// application, which ends this connection.
func (c *Client) handleMessage(msg []byte) error {
	ev, typ, ok, err := translate(msg, c.cfg.Now)
	switch {
	case err != nil:
		c.log.Warn("ARI event not understood", "type", typ, "err", err)
	case ok:
		c.hub.publish(ev)
	case typ == "ApplicationReplaced":
		c.log.Error("ARI application taken over by another connection; check that no other process uses it")
		return errReplaced
	default:
		c.log.Debug("ARI event ignored", "type", typ)
	}
	return nil
}
