package centralita

import (
	"context"
	"io"
	"regexp"
	"strings"
	"time"
)

// RecordingState is where a recording is on its way from Asterisk to an MP3.
type RecordingState string

// Recording states, in the order a recording passes them. A recording in
// RecordingActive or RecordingStored when the server starts is picked up
// again: Asterisk's file is fetched (or the stored file converted) anew.
const (
	// RecordingActive: Asterisk is recording the call's bridge.
	RecordingActive RecordingState = "recording"
	// RecordingStored: the call ended and Asterisk's file is (being) brought
	// to records/YYYYMMDD/<guid>.<source format>; not yet converted.
	RecordingStored RecordingState = "stored"
	// RecordingReady: records/YYYYMMDD/<guid>.mp3 exists.
	RecordingReady RecordingState = "ready"
	// RecordingFailed: fetching or converting failed for good; Error says why.
	RecordingFailed RecordingState = "failed"
)

// Recording is one call's audio, indexed with the call (rest-integra.md §5,
// soap-apiws.md §6.7). Its file is <data-dir>/records/YYYYMMDD/<GUID>.<Format>,
// YYYYMMDD being CallDate's local date.
type Recording struct {
	ID int64 `json:"id"`
	// GUID names the file and identifies the recording in Integra (§5.2);
	// also the Asterisk recording name.
	GUID string `json:"guid"`
	// UniqueID is the call's uniqueid (CDR uniqueid, queue_log callid,
	// recordingPbx's uniqueId).
	UniqueID string    `json:"uniqueid"`
	CallDate time.Time `json:"calldate"`
	// Queue or Campaign the call belonged to (either may be empty).
	Queue    string `json:"queue,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	// Agent is the agent number who took the call, if any.
	Agent       string `json:"agent,omitempty"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	// Duration is the recorded audio's length, in seconds.
	Duration int `json:"duration"`
	// Format is the file's current extension: "mp3" when Ready, otherwise
	// the format Asterisk recorded in ("wav", "gsm").
	Format string         `json:"format"`
	State  RecordingState `json:"state"`
	// Tags is the Agents/TagRecord text, successive tags joined by "\n".
	Tags string `json:"tags,omitempty"`
	// Rating is a 0..5 score set by supervisors; 0 is unrated.
	Rating    int       `json:"rating,omitempty"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Folder is the recording's dated folder, CallDate's date in loc as YYYYMMDD.
func (r *Recording) Folder(loc *time.Location) string {
	return r.CallDate.In(loc).Format("20060102")
}

// RecordingFilter selects recordings (Cdr/getrecords' filter object). Zero
// fields do not filter.
type RecordingFilter struct {
	GUID, UniqueID string
	// From and To bound CallDate (inclusive).
	From, To            time.Time
	Agent, Campaign     string
	Queue               string
	Source, Destination string
	// Data is a substring of Tags.
	Data string
	// HourFrom..HourTo (0..23, inclusive, local time) bound CallDate's hour
	// when HasHours; getrecords' "range".
	HasHours         bool
	HourFrom, HourTo int
	// MinRating selects Rating >= MinRating when > 0.
	MinRating int
	// MinDuration selects Duration >= MinDuration seconds.
	MinDuration int
	// Exclude drops recordings whose Source or Destination is this number.
	Exclude string
	// States restricts to these states; empty means any.
	States []RecordingState
	// Before selects CallDate < Before (retention).
	Before time.Time
	// Offset and Limit page the result, ordered by CallDate then ID.
	Offset, Limit int
}

// RecordingService stores the recordings index.
type RecordingService interface {
	// CreateRecording inserts r and sets its ID and timestamps; ECONFLICT
	// when the GUID exists.
	CreateRecording(ctx context.Context, r *Recording) error
	// UpdateRecording saves r's State, Format, Duration, Error, Agent,
	// Queue, Campaign, Destination and Rating; ENOTFOUND when it is gone.
	UpdateRecording(ctx context.Context, r *Recording) error
	// FindRecording returns the recording with this GUID; ENOTFOUND.
	FindRecording(ctx context.Context, guid string) (*Recording, error)
	// FindRecordings returns a page of the recordings f selects and the
	// total number f selects.
	FindRecordings(ctx context.Context, f RecordingFilter) ([]*Recording, int, error)
	// TagRecording appends data to the recording's Tags; ENOTFOUND.
	TagRecording(ctx context.Context, guid, data string) error
	// DeleteRecording removes the index row; ENOTFOUND.
	DeleteRecording(ctx context.Context, guid string) error
}

// RecordingRequest asks for a call to be recorded: what the recordings
// engine is told when a recorded call's bridge is up.
type RecordingRequest struct {
	// BridgeID is the Asterisk bridge to record.
	BridgeID string
	// ChannelID is the channel to record when there is no bridge (a call
	// Asterisk bridges itself, as originateCall's Dial); used only when
	// BridgeID is empty.
	ChannelID string
	UniqueID  string
	CallDate  time.Time
	Queue     string
	Campaign  string
	Agent     string
	Source    string
	// Destination is the number called, or the queue's name for an
	// inbound call when nothing better is known.
	Destination string
}

// Recorder records calls: the engines call Start when a recorded call's
// bridge is up and Stop when the call ends; the facades read and convert.
type Recorder interface {
	// Start begins recording req.BridgeID and indexes the recording in
	// RecordingActive; it returns the recording's GUID.
	Start(ctx context.Context, req RecordingRequest) (guid string, err error)
	// Stop ends the recording guid; the file is then fetched and converted
	// in the background. Stopping an unknown or stopped recording is a no-op.
	Stop(ctx context.Context, guid string) error
}

// RecordingFiles reads recordings' files for the facades.
type RecordingFiles interface {
	// Open returns the recording's file in format ("mp3", "wav", "gsm"),
	// its modification time and size, for http.ServeContent; ENOTFOUND when
	// there is no such file. folder, when not empty, must match the
	// recording's dated folder.
	Open(ctx context.Context, guid, folder, format string) (io.ReadSeekCloser, time.Time, int64, error)
	// Convert makes the MP3 of a recording stored in another format now
	// (Supervisor/convert); a recording already in MP3 is a no-op.
	Convert(ctx context.Context, guid, folder string) error
}

// pairSpaces matches the spaces around a pair's "=".
var pairSpaces = regexp.MustCompile(`\s*=\s*`)

// AsksRecording reports whether call data asks for the call to be
// recorded: it holds the pair record=1 (or record=true, any case) among its
// k=v pairs, which may be separated by ":" (Integra data), ";", "&", "|",
// "," or spaces, e.g. "cliente=42;record=1" or "a=1:record = true". It is
// how originateCall's callinfo and Integra's AgentCall data ask.
func AsksRecording(pairs string) bool {
	pairs = pairSpaces.ReplaceAllString(pairs, "=")
	for _, kv := range strings.FieldsFunc(pairs, func(r rune) bool {
		return strings.ContainsRune(":;&|,", r) || r == ' ' || r == '\t'
	}) {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "record") {
			return v == "1" || strings.EqualFold(v, "true")
		}
	}
	return false
}
