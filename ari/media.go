package ari

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// Target is a channel or a bridge that media operations act on.
type Target struct {
	resource string // "channels" or "bridges"
	id       string
}

// ChannelTarget names a channel for Play, StartMOH, StopMOH and Record.
func ChannelTarget(channelID string) Target { return Target{resource: "channels", id: channelID} }

// BridgeTarget names a bridge for Play, StartMOH, StopMOH and Record.
func BridgeTarget(bridgeID string) Target { return Target{resource: "bridges", id: bridgeID} }

// String returns "channel:<id>" or "bridge:<id>", as ARI's target_uri.
func (t Target) String() string {
	return strings.TrimSuffix(t.resource, "s") + ":" + t.id
}

// path returns the escaped REST path of the target's sub-resource, or an
// EINVALID error for an empty target.
func (t Target) path(op, sub string) (string, error) {
	if t.resource == "" || t.id == "" {
		return "", centralita.Errorf(centralita.EINVALID, "%s: a channel or bridge id is required", op)
	}
	return t.resource + "/" + seg(t.id) + "/" + sub, nil
}

// Answer answers a ringing channel that is in the application. A channel
// not in the application is ECONFLICT, an unknown one ENOTFOUND.
func (c *Client) Answer(ctx context.Context, channelID string) error {
	if channelID == "" {
		return centralita.Errorf(centralita.EINVALID, "answer: a channel id is required")
	}
	return c.do(ctx, "answer "+channelID, http.MethodPost, "channels/"+seg(channelID)+"/answer", nil, nil, nil)
}

// Play starts playing media URIs (e.g. "sound:hello-world") one after the
// other on target and returns the playback id: playbackID when given, else
// the one Asterisk chose.
func (c *Client) Play(ctx context.Context, target Target, playbackID string, media ...string) (string, error) {
	op := "play on " + target.String()
	p, err := target.path(op, "play")
	if err != nil {
		return "", err
	}
	if len(media) == 0 {
		return "", centralita.Errorf(centralita.EINVALID, "%s: no media", op)
	}
	q := url.Values{"media": {strings.Join(media, ",")}}
	if playbackID != "" {
		q.Set("playbackId", playbackID)
	}
	var pb struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, op, http.MethodPost, p, q, nil, &pb); err != nil {
		return "", err
	}
	return pb.ID, nil
}

// StopPlayback stops a playback; one that already ended is ENOTFOUND.
func (c *Client) StopPlayback(ctx context.Context, playbackID string) error {
	if playbackID == "" {
		return centralita.Errorf(centralita.EINVALID, "stop playback: a playback id is required")
	}
	return c.do(ctx, "stop playback "+playbackID, http.MethodDelete, "playbacks/"+seg(playbackID), nil, nil, nil)
}

// StartMOH starts music on hold on target; an empty class means "default".
func (c *Client) StartMOH(ctx context.Context, target Target, class string) error {
	op := "start music on hold on " + target.String()
	p, err := target.path(op, "moh")
	if err != nil {
		return err
	}
	var q url.Values
	if class != "" {
		q = url.Values{"mohClass": {class}}
	}
	return c.do(ctx, op, http.MethodPost, p, q, nil, nil)
}

// StopMOH stops music on hold on target.
func (c *Client) StopMOH(ctx context.Context, target Target) error {
	op := "stop music on hold on " + target.String()
	p, err := target.path(op, "moh")
	if err != nil {
		return err
	}
	return c.do(ctx, op, http.MethodDelete, p, nil, nil, nil)
}

// RecordRequest describes a recording to start.
type RecordRequest struct {
	// Name is the recording's name; the stored file is Name.Format.
	Name string
	// Format is the file format; default "wav".
	Format string
	// MaxDuration stops the recording after this long; zero means no limit.
	MaxDuration time.Duration
	// MaxSilence stops the recording after this much silence; zero means no limit.
	MaxSilence time.Duration
	// IfExists is what to do when Name exists: "fail" (default), "overwrite" or "append".
	IfExists string
	// Beep plays a beep before recording.
	Beep bool
	// TerminateOn is the DTMF that stops the recording: "none" (default), "any", "*", "#".
	TerminateOn string
}

// Record starts recording target (a bridge records the whole conversation).
// A name already in use with IfExists "fail" is ECONFLICT.
func (c *Client) Record(ctx context.Context, target Target, req RecordRequest) error {
	op := "record " + target.String()
	p, err := target.path(op, "record")
	if err != nil {
		return err
	}
	if req.Name == "" {
		return centralita.Errorf(centralita.EINVALID, "%s: a recording name is required", op)
	}
	if req.MaxDuration < 0 || req.MaxSilence < 0 {
		return centralita.Errorf(centralita.EINVALID, "%s: negative duration", op)
	}
	format := req.Format
	if format == "" {
		format = "wav"
	}
	q := url.Values{"name": {req.Name}, "format": {format}, "beep": {strconv.FormatBool(req.Beep)}}
	if req.MaxDuration > 0 {
		q.Set("maxDurationSeconds", strconv.Itoa(ceilSeconds(req.MaxDuration)))
	}
	if req.MaxSilence > 0 {
		q.Set("maxSilenceSeconds", strconv.Itoa(ceilSeconds(req.MaxSilence)))
	}
	if req.IfExists != "" {
		q.Set("ifExists", req.IfExists)
	}
	if req.TerminateOn != "" {
		q.Set("terminateOn", req.TerminateOn)
	}
	return c.do(ctx, op, http.MethodPost, p, q, nil, nil)
}

// ceilSeconds rounds d up to whole seconds.
func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// StopRecording stops a live recording and keeps the file; an unknown or
// finished recording is ENOTFOUND.
func (c *Client) StopRecording(ctx context.Context, name string) error {
	if name == "" {
		return centralita.Errorf(centralita.EINVALID, "stop recording: a name is required")
	}
	return c.do(ctx, "stop recording "+name, http.MethodPost, "recordings/live/"+seg(name)+"/stop", nil, nil, nil)
}

// DeleteRecording deletes a stored recording; an unknown one is ENOTFOUND.
func (c *Client) DeleteRecording(ctx context.Context, name string) error {
	if name == "" {
		return centralita.Errorf(centralita.EINVALID, "delete recording: a name is required")
	}
	return c.do(ctx, "delete recording "+name, http.MethodDelete, "recordings/stored/"+seg(name), nil, nil, nil)
}

// SetVariable sets a channel variable or function, e.g. "CDR(userfield)".
func (c *Client) SetVariable(ctx context.Context, channelID, name, value string) error {
	if channelID == "" || name == "" {
		return centralita.Errorf(centralita.EINVALID, "set variable: channel id and variable name are required")
	}
	q := url.Values{"variable": {name}, "value": {value}}
	return c.do(ctx, "set variable "+name+" on "+channelID, http.MethodPost, "channels/"+seg(channelID)+"/variable", q, nil, nil)
}

// GetVariable reads a channel variable or function. An unknown channel and
// a variable that is unset or empty are both ENOTFOUND (Asterisk does not
// tell an empty value from an unset one).
func (c *Client) GetVariable(ctx context.Context, channelID, name string) (string, error) {
	if channelID == "" || name == "" {
		return "", centralita.Errorf(centralita.EINVALID, "get variable: channel id and variable name are required")
	}
	var v struct {
		Value string `json:"value"`
	}
	q := url.Values{"variable": {name}}
	if err := c.do(ctx, "get variable "+name+" on "+channelID, http.MethodGet, "channels/"+seg(channelID)+"/variable", q, nil, &v); err != nil {
		return "", err
	}
	return v.Value, nil
}

// StartBridgeMOH plays music on hold of class to a bridge (centralita.MediaController).
func (c *Client) StartBridgeMOH(ctx context.Context, bridgeID, class string) error {
	return c.StartMOH(ctx, BridgeTarget(bridgeID), class)
}

// PlayChannel starts playing media to a channel without waiting for the end
// (centralita.MediaController); the playback id is chosen by Asterisk.
func (c *Client) PlayChannel(ctx context.Context, channelID string, media ...string) error {
	_, err := c.Play(ctx, ChannelTarget(channelID), "", media...)
	return err
}
