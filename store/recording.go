package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/centralita/centralita"
)

// RecordingService stores the index of call recordings.
type RecordingService struct {
	db  *DB
	loc *time.Location
}

// NewRecordingService returns the recordings store on db. Hour filters
// (RecordingFilter.HasHours) read CallDate in time.Local unless InLocation
// says otherwise.
func NewRecordingService(db *DB) *RecordingService {
	return &RecordingService{db: db, loc: time.Local}
}

// InLocation returns a copy of the service whose hour filters read CallDate
// in loc (the server's --timezone).
func (s *RecordingService) InLocation(loc *time.Location) *RecordingService {
	cp := *s
	if loc != nil {
		cp.loc = loc
	}
	return &cp
}

var _ centralita.RecordingService = (*RecordingService)(nil)

const recordingColumns = `id, guid, uniqueid, calldate, queue_name, campaign, agent, source, destination,
	duration, format, state, tags, rating, error, created_at, updated_at`

// recordingRow is a recordings row.
type recordingRow struct {
	ID          int64     `db:"id"`
	GUID        string    `db:"guid"`
	UniqueID    string    `db:"uniqueid"`
	CallDate    time.Time `db:"calldate"`
	Queue       string    `db:"queue_name"`
	Campaign    string    `db:"campaign"`
	Agent       string    `db:"agent"`
	Source      string    `db:"source"`
	Destination string    `db:"destination"`
	Duration    int       `db:"duration"`
	Format      string    `db:"format"`
	State       string    `db:"state"`
	Tags        string    `db:"tags"`
	Rating      int       `db:"rating"`
	Error       string    `db:"error"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

func (r *recordingRow) recording() *centralita.Recording {
	return &centralita.Recording{
		ID: r.ID, GUID: r.GUID, UniqueID: r.UniqueID, CallDate: r.CallDate, Queue: r.Queue, Campaign: r.Campaign,
		Agent: r.Agent, Source: r.Source, Destination: r.Destination, Duration: r.Duration, Format: r.Format,
		State: centralita.RecordingState(r.State), Tags: r.Tags, Rating: r.Rating, Error: r.Error,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func rowOfRecording(r *centralita.Recording) *recordingRow {
	return &recordingRow{
		ID: r.ID, GUID: r.GUID, UniqueID: r.UniqueID, CallDate: utc(r.CallDate), Queue: r.Queue, Campaign: r.Campaign,
		Agent: r.Agent, Source: r.Source, Destination: r.Destination, Duration: r.Duration, Format: r.Format,
		State: string(r.State), Tags: r.Tags, Rating: r.Rating, Error: clipText(r.Error, 255),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// clipText cuts s to at most n bytes on a character boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// validState reports whether st is a known recording state.
func validState(st centralita.RecordingState) bool {
	switch st {
	case centralita.RecordingActive, centralita.RecordingStored, centralita.RecordingReady, centralita.RecordingFailed:
		return true
	}
	return false
}

// validateRecording checks what the store keeps of r (the column sizes,
// the state and the rating).
func validateRecording(r *centralita.Recording, create bool) error {
	if r == nil {
		return centralita.Errorf(centralita.EINVALID, "no recording given")
	}
	for _, f := range []struct {
		name, val string
		max       int
	}{
		{"guid", r.GUID, 64}, {"uniqueid", r.UniqueID, 150}, {"queue", r.Queue, 128}, {"campaign", r.Campaign, 128},
		{"agent", r.Agent, 80}, {"source", r.Source, 80}, {"destination", r.Destination, 80}, {"format", r.Format, 8},
	} {
		if len(f.val) > f.max {
			return centralita.Errorf(centralita.EINVALID, "recording %q: %s must have at most %d characters", r.GUID, f.name, f.max)
		}
	}
	switch {
	case r.GUID == "":
		return centralita.Errorf(centralita.EINVALID, "a recording needs a guid")
	case create && r.CallDate.IsZero():
		return centralita.Errorf(centralita.EINVALID, "recording %q: a call date is required", r.GUID)
	case !validState(r.State):
		return centralita.Errorf(centralita.EINVALID, "recording %q: unknown state %q", r.GUID, r.State)
	case r.Rating < 0 || r.Rating > 5:
		return centralita.Errorf(centralita.EINVALID, "recording %q: rating must be 0 to 5", r.GUID)
	case r.Duration < 0:
		return centralita.Errorf(centralita.EINVALID, "recording %q: duration must not be negative", r.GUID)
	case create && len(r.Tags) > maxJSONText:
		// Only CreateRecording writes Tags (UpdateRecording leaves them).
		return centralita.Errorf(centralita.EINVALID, "recording %q: tags too long", r.GUID)
	}
	return nil
}

// CreateRecording inserts r, sets its ID, CreatedAt and UpdatedAt; a taken
// GUID is ECONFLICT.
func (s *RecordingService) CreateRecording(ctx context.Context, r *centralita.Recording) error {
	if err := validateRecording(r, true); err != nil {
		return err
	}
	now := utc(s.db.now())
	row := rowOfRecording(r)
	row.CreatedAt, row.UpdatedAt = now, now
	what := fmt.Sprintf("recording %q", r.GUID)
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO recordings (guid, uniqueid, calldate, queue_name, campaign,
		agent, source, destination, duration, format, state, tags, rating, error, created_at, updated_at) VALUES (
		:guid, :uniqueid, :calldate, :queue_name, :campaign, :agent, :source, :destination, :duration, :format,
		:state, :tags, :rating, :error, :created_at, :updated_at)`, row)
	if err != nil {
		return s.db.translate(err, what)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return s.db.translate(err, what)
	}
	r.ID, r.CallDate, r.CreatedAt, r.UpdatedAt = id, row.CallDate, now, now
	return nil
}

// UpdateRecording saves r's State, Format, Duration, Error, Agent, Queue,
// Campaign, Destination and Rating, found by GUID, and sets its UpdatedAt;
// ENOTFOUND when it is gone.
func (s *RecordingService) UpdateRecording(ctx context.Context, r *centralita.Recording) error {
	if err := validateRecording(r, false); err != nil {
		return err
	}
	row := rowOfRecording(r)
	row.UpdatedAt = utc(s.db.now())
	what := fmt.Sprintf("recording %q", r.GUID)
	res, err := s.db.db.NamedExecContext(ctx, `UPDATE recordings SET state = :state, format = :format,
		duration = :duration, error = :error, agent = :agent, queue_name = :queue_name, campaign = :campaign,
		destination = :destination, rating = :rating, updated_at = :updated_at WHERE guid = :guid`, row)
	if err != nil {
		return s.db.translate(err, what)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts changed rows only: tell "absent" apart.
		var c int
		if err := s.db.db.GetContext(ctx, &c, `SELECT COUNT(*) FROM recordings WHERE guid = ?`, r.GUID); err != nil {
			return s.db.translate(err, what)
		}
		if c == 0 {
			return centralita.Errorf(centralita.ENOTFOUND, "%s not found", what)
		}
	}
	r.UpdatedAt = row.UpdatedAt
	return nil
}

// FindRecording returns the recording with this GUID; ENOTFOUND.
func (s *RecordingService) FindRecording(ctx context.Context, guid string) (*centralita.Recording, error) {
	var row recordingRow
	if err := s.db.db.GetContext(ctx, &row, `SELECT `+recordingColumns+` FROM recordings WHERE guid = ?`, guid); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("recording %q", guid))
	}
	return row.recording(), nil
}

// recordingConds renders every filter of f but the hours.
func recordingConds(f centralita.RecordingFilter) (conds, error) {
	var c conds
	c.eq("guid", f.GUID)
	c.eq("uniqueid", f.UniqueID)
	c.eq("agent", f.Agent)
	c.eq("campaign", f.Campaign)
	c.eq("queue_name", f.Queue)
	c.eq("source", f.Source)
	c.eq("destination", f.Destination)
	add := func(w string, args ...any) {
		c.where, c.args = append(c.where, w), append(c.args, args...)
	}
	if !f.From.IsZero() {
		add("calldate >= ?", utc(f.From))
	}
	if !f.To.IsZero() {
		add("calldate <= ?", utc(f.To))
	}
	if !f.Before.IsZero() {
		add("calldate < ?", utc(f.Before))
	}
	if f.Data != "" {
		add("tags LIKE ? ESCAPE '!'", likePattern(f.Data))
	}
	if f.MinRating > 0 {
		add("rating >= ?", f.MinRating)
	}
	if f.MinDuration > 0 {
		add("duration >= ?", f.MinDuration)
	}
	if f.Exclude != "" {
		add("source <> ? AND destination <> ?", f.Exclude, f.Exclude)
	}
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			if !validState(st) {
				return c, centralita.Errorf(centralita.EINVALID, "unknown recording state %q", st)
			}
			ph[i] = "?"
			c.args = append(c.args, string(st))
		}
		c.where = append(c.where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	return c, nil
}

// FindRecordings returns the page of recordings f selects, ordered by
// CallDate then ID, and how many f selects in all. Hours are read in the
// service's location, in Go, so that daylight saving is right on both
// databases. A negative offset or limit, bad hours or an unknown state is
// EINVALID.
func (s *RecordingService) FindRecordings(ctx context.Context, f centralita.RecordingFilter) ([]*centralita.Recording, int, error) {
	switch {
	case f.Offset < 0 || f.Limit < 0:
		return nil, 0, centralita.Errorf(centralita.EINVALID, "offset and limit must not be negative")
	case f.HasHours && (f.HourFrom < 0 || f.HourFrom > 23 || f.HourTo < 0 || f.HourTo > 23):
		return nil, 0, centralita.Errorf(centralita.EINVALID, "hours must be 0 to 23")
	}
	c, err := recordingConds(f)
	if err != nil {
		return nil, 0, err
	}
	if f.HasHours {
		return s.findByHours(ctx, c, f)
	}
	total := 0
	where := ""
	if len(c.where) > 0 {
		where = " WHERE " + strings.Join(c.where, " AND ")
	}
	if err := s.db.db.GetContext(ctx, &total, `SELECT COUNT(*) FROM recordings`+where, c.args...); err != nil {
		return nil, 0, s.db.translate(err, "recordings")
	}
	q, args := c.query(`SELECT `+recordingColumns+` FROM recordings`, "calldate, id", f.Offset, f.Limit)
	var rows []recordingRow
	if err := s.db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, 0, s.db.translate(err, "recordings")
	}
	out := make([]*centralita.Recording, len(rows))
	for i := range rows {
		out[i] = rows[i].recording()
	}
	return out, total, nil
}

// findByHours selects the ids and dates c matches, keeps those whose local
// hour is in range (a range whose start is after its end wraps midnight),
// pages them and reads those rows.
func (s *RecordingService) findByHours(ctx context.Context, c conds, f centralita.RecordingFilter) ([]*centralita.Recording, int, error) {
	q, args := c.query(`SELECT id, calldate FROM recordings`, "calldate, id", 0, 0)
	var keys []struct {
		ID       int64     `db:"id"`
		CallDate time.Time `db:"calldate"`
	}
	if err := s.db.db.SelectContext(ctx, &keys, q, args...); err != nil {
		return nil, 0, s.db.translate(err, "recordings")
	}
	var ids []int64
	for _, k := range keys {
		h := k.CallDate.In(s.loc).Hour()
		in := h >= f.HourFrom && h <= f.HourTo
		if f.HourFrom > f.HourTo {
			in = h >= f.HourFrom || h <= f.HourTo
		}
		if in {
			ids = append(ids, k.ID)
		}
	}
	total := len(ids)
	ids = ids[min(f.Offset, len(ids)):]
	if f.Limit > 0 && len(ids) > f.Limit {
		ids = ids[:f.Limit]
	}
	out := []*centralita.Recording{}
	if len(ids) == 0 {
		return out, total, nil
	}
	sel, iargs, err := sqlx.In(`SELECT `+recordingColumns+` FROM recordings WHERE id IN (?) ORDER BY calldate, id`, ids)
	if err != nil {
		return nil, 0, centralita.WrapError(centralita.EINTERNAL, err, "recordings query")
	}
	var rows []recordingRow
	if err := s.db.db.SelectContext(ctx, &rows, s.db.db.Rebind(sel), iargs...); err != nil {
		return nil, 0, s.db.translate(err, "recordings")
	}
	for i := range rows {
		out = append(out, rows[i].recording())
	}
	return out, total, nil
}

// TagRecording appends data to the recording's Tags, after a newline when
// it has tags already; empty data is EINVALID, an unknown GUID ENOTFOUND.
func (s *RecordingService) TagRecording(ctx context.Context, guid, data string) error {
	what := fmt.Sprintf("recording %q", guid)
	if data == "" {
		return centralita.Errorf(centralita.EINVALID, "%s: no tag given", what)
	}
	if len(data) > 4096 {
		return centralita.Errorf(centralita.EINVALID, "%s: a tag must have at most 4096 characters", what)
	}
	concat := `tags || ?`
	if s.db.dialect.name == "mysql" {
		concat = `CONCAT(tags, ?)`
	}
	res, err := s.db.db.ExecContext(ctx, `UPDATE recordings SET tags = CASE WHEN tags = '' THEN ? ELSE `+concat+` END,
		updated_at = ? WHERE guid = ? AND LENGTH(tags) + ? <= ?`,
		data, "\n"+data, utc(s.db.now()), guid, len(data)+1, maxJSONText)
	if err != nil {
		return s.db.translate(err, what)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if _, err := s.FindRecording(ctx, guid); err != nil {
			return err
		}
		return centralita.Errorf(centralita.EINVALID, "%s: too many tags", what)
	}
	return nil
}

// DeleteRecording removes the index row; ENOTFOUND when absent.
func (s *RecordingService) DeleteRecording(ctx context.Context, guid string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM recordings WHERE guid = ?`, guid)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("recording %q", guid))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "recording %q not found", guid)
	}
	return nil
}
