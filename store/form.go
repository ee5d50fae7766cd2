package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/centralita/centralita"
)

// FormService stores agent forms and their entries.
type FormService struct{ db *DB }

// NewFormService returns the form store on db.
func NewFormService(db *DB) *FormService { return &FormService{db: db} }

var _ centralita.FormService = (*FormService)(nil)

// formRow is a forms row.
type formRow struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Message   string    `db:"message"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// fieldRow is a form_fields row; options is JSON.
type fieldRow struct {
	FormID   int64  `db:"form_id"`
	Position int    `db:"position"`
	Name     string `db:"name"`
	Label    string `db:"label"`
	Type     string `db:"type"`
	Required bool   `db:"required"`
	Options  string `db:"options"`
}

// CreateForm inserts f with its fields and queues and sets its ID and
// timestamps; a taken name is ECONFLICT.
func (s *FormService) CreateForm(ctx context.Context, f *centralita.Form) error {
	if f == nil {
		return centralita.Errorf(centralita.EINVALID, "no form given")
	}
	if err := f.Validate(); err != nil {
		return err
	}
	what := fmt.Sprintf("form %q", f.Name)
	now := utc(s.db.now())
	f.CreatedAt, f.UpdatedAt = now, now
	return s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO forms (name, message, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			f.Name, f.Message, now, now)
		if err != nil {
			return err
		}
		if f.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return writeFormParts(ctx, tx, f)
	})
}

// UpdateForm replaces message, fields and queues of the form f.Name and
// sets f's ID and timestamps; ENOTFOUND when absent.
func (s *FormService) UpdateForm(ctx context.Context, f *centralita.Form) error {
	if f == nil {
		return centralita.Errorf(centralita.EINVALID, "no form given")
	}
	if err := f.Validate(); err != nil {
		return err
	}
	cur, err := s.FindForm(ctx, f.Name)
	if err != nil {
		return err
	}
	f.ID, f.CreatedAt, f.UpdatedAt = cur.ID, cur.CreatedAt, utc(s.db.now())
	return s.inTx(ctx, fmt.Sprintf("form %q", f.Name), func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE forms SET message = ?, updated_at = ? WHERE id = ?`, f.Message, f.UpdatedAt, f.ID); err != nil {
			return err
		}
		for _, t := range []string{"form_fields", "form_queues"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE form_id = ?`, f.ID); err != nil {
				return err
			}
		}
		return writeFormParts(ctx, tx, f)
	})
}

// writeFormParts inserts f's fields and queues.
func writeFormParts(ctx context.Context, tx *sqlx.Tx, f *centralita.Form) error {
	for i, fl := range f.Fields {
		opts, err := json.Marshal(fl.Options)
		if err != nil {
			return err
		}
		if fl.Options == nil {
			opts = []byte(`[]`)
		}
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO form_fields (form_id, position, name, label, type, required, options)
			VALUES (:form_id, :position, :name, :label, :type, :required, :options)`,
			fieldRow{FormID: f.ID, Position: i, Name: fl.Name, Label: fl.Label, Type: string(fl.Type), Required: fl.Required, Options: string(opts)}); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, q := range f.Queues {
		if seen[q] {
			continue
		}
		seen[q] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO form_queues (form_id, queue_name) VALUES (?, ?)`, f.ID, q); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction, translating its error.
func (s *FormService) inTx(ctx context.Context, what string, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.db.translate(err, what)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return s.db.translate(err, what)
	}
	return s.db.translate(tx.Commit(), what)
}

// DeleteForm removes a form and (by cascade) its fields, queues and
// entries; ENOTFOUND when absent.
func (s *FormService) DeleteForm(ctx context.Context, name string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM forms WHERE name = ?`, name)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("form %q", name))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "form %q not found", name)
	}
	return nil
}

// FindForm returns the form with that name, its fields and queues.
func (s *FormService) FindForm(ctx context.Context, name string) (*centralita.Form, error) {
	var r formRow
	if err := s.db.db.GetContext(ctx, &r, `SELECT id, name, message, created_at, updated_at FROM forms WHERE name = ?`, name); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("form %q", name))
	}
	fs, err := s.complete(ctx, []formRow{r})
	if err != nil {
		return nil, err
	}
	return fs[0], nil
}

// FindForms lists every form by name.
func (s *FormService) FindForms(ctx context.Context) ([]*centralita.Form, error) {
	var rows []formRow
	if err := s.db.db.SelectContext(ctx, &rows, `SELECT id, name, message, created_at, updated_at FROM forms ORDER BY name`); err != nil {
		return nil, s.db.translate(err, "forms")
	}
	return s.complete(ctx, rows)
}

// complete reads the fields and queues of the forms rows.
func (s *FormService) complete(ctx context.Context, rows []formRow) ([]*centralita.Form, error) {
	out := make([]*centralita.Form, 0, len(rows))
	for _, r := range rows {
		f := &centralita.Form{ID: r.ID, Name: r.Name, Message: r.Message, Fields: []centralita.FormField{},
			Queues: []string{}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		var fields []fieldRow
		if err := s.db.db.SelectContext(ctx, &fields, `SELECT form_id, position, name, label, type, required, options
			FROM form_fields WHERE form_id = ? ORDER BY position`, r.ID); err != nil {
			return nil, s.db.translate(err, "form fields")
		}
		for _, fr := range fields {
			fl := centralita.FormField{Name: fr.Name, Label: fr.Label, Type: centralita.FieldType(fr.Type), Required: fr.Required}
			if err := json.Unmarshal([]byte(fr.Options), &fl.Options); err != nil {
				return nil, centralita.WrapError(centralita.EINTERNAL, err, "form %q: stored options", r.Name)
			}
			if len(fl.Options) == 0 {
				fl.Options = nil
			}
			f.Fields = append(f.Fields, fl)
		}
		if err := s.db.db.SelectContext(ctx, &f.Queues, `SELECT queue_name FROM form_queues WHERE form_id = ? ORDER BY queue_name`, r.ID); err != nil {
			return nil, s.db.translate(err, "form queues")
		}
		out = append(out, f)
	}
	return out, nil
}

const entryColumns = `id, oid, form_id, uniqueid, incomingcall_id, queue_name, agent_number, agent_username,
	extension, audio_filename, call_chunk, session_id, data, created_at, updated_at`

// entryRow is a form_entries row; data is JSON.
type entryRow struct {
	ID             int64     `db:"id"`
	OID            string    `db:"oid"`
	FormID         int64     `db:"form_id"`
	UniqueID       string    `db:"uniqueid"`
	IncomingCallID int64     `db:"incomingcall_id"`
	Queue          string    `db:"queue_name"`
	AgentNumber    string    `db:"agent_number"`
	AgentUsername  string    `db:"agent_username"`
	Extension      string    `db:"extension"`
	AudioFilename  string    `db:"audio_filename"`
	CallChunk      string    `db:"call_chunk"`
	SessionID      string    `db:"session_id"`
	Data           string    `db:"data"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

// newOID returns a 24-hex record id: 4 bytes of seconds, 8 random bytes.
func newOID(now time.Time) (string, error) {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	if _, err := rand.Read(b[4:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// SaveFormEntry inserts e, or updates the form's entry for e.UniqueID with
// e's data and e's other non-empty fields; see centralita.FormService. Two
// first submits for one call may race: the one whose insert meets the
// other's row (ECONFLICT on the form and uniqueid key) updates that row
// instead, under the same owner rule.
func (s *FormService) SaveFormEntry(ctx context.Context, e *centralita.FormEntry, owner string) (bool, error) {
	switch {
	case e == nil:
		return false, centralita.Errorf(centralita.EINVALID, "no form entry given")
	case e.UniqueID == "" || len(e.UniqueID) > 64:
		return false, centralita.Errorf(centralita.EINVALID, "uniqueid must have 1 to 64 characters")
	case len(e.Queue) > 128 || len(e.AgentNumber) > 32 || len(e.AgentUsername) > 64 || len(e.Extension) > 80:
		return false, centralita.Errorf(centralita.EINVALID, "queue, agent or extension too long")
	case len(e.AudioFilename) > 255 || len(e.CallChunk) > 128 || len(e.SessionID) > 128:
		return false, centralita.Errorf(centralita.EINVALID, "audio_filename, call_chunk or session_id too long")
	}
	if e.Data == nil {
		e.Data = map[string][]centralita.FormValue{}
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return false, centralita.WrapError(centralita.EINVALID, err, "form data")
	}
	for try := 0; ; try++ {
		olds, err := s.FindFormEntries(ctx, centralita.FormEntryFilter{FormID: e.FormID, UniqueID: e.UniqueID, Limit: 1})
		if err != nil {
			return false, err
		}
		if len(olds) > 0 {
			return false, s.updateEntry(ctx, e, olds[0], owner, string(data))
		}
		err = s.insertEntry(ctx, e, string(data))
		if centralita.ErrorKind(err) == centralita.ECONFLICT && try == 0 {
			continue // a concurrent first submit inserted it: update that
		}
		return err == nil, err
	}
}

// insertEntry inserts e as a new entry and sets its ID, OID and timestamps.
func (s *FormService) insertEntry(ctx context.Context, e *centralita.FormEntry, data string) error {
	what := fmt.Sprintf("form entry of call %q", e.UniqueID)
	now := utc(s.db.now())
	oid, err := newOID(now)
	if err != nil {
		return centralita.WrapError(centralita.EINTERNAL, err, "record id")
	}
	r := entryRow{OID: oid, FormID: e.FormID, UniqueID: e.UniqueID, IncomingCallID: e.IncomingCallID, Queue: e.Queue,
		AgentNumber: e.AgentNumber, AgentUsername: e.AgentUsername, Extension: e.Extension, AudioFilename: e.AudioFilename,
		CallChunk: e.CallChunk, SessionID: e.SessionID, Data: data, CreatedAt: now, UpdatedAt: now}
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO form_entries (`+entryColumns[4:]+`) VALUES (:oid, :form_id,
		:uniqueid, :incomingcall_id, :queue_name, :agent_number, :agent_username, :extension, :audio_filename,
		:call_chunk, :session_id, :data, :created_at, :updated_at)`, r)
	if err != nil {
		return s.db.translate(err, what)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return s.db.translate(err, what)
	}
	e.OID, e.CreatedAt, e.UpdatedAt = oid, now, now
	return nil
}

// updateEntry replaces old's data with e's and its other fields with e's
// non-empty ones, and sets e's ID, OID and timestamps; EFORBIDDEN when
// owner is set and old was captured by another agent.
func (s *FormService) updateEntry(ctx context.Context, e, old *centralita.FormEntry, owner, data string) error {
	if owner != "" && old.AgentUsername != owner {
		return centralita.Errorf(centralita.EFORBIDDEN, "the form entry of call %q belongs to another agent", e.UniqueID)
	}
	keep := func(v *string, was string) {
		if *v == "" {
			*v = was
		}
	}
	keep(&e.Queue, old.Queue)
	keep(&e.AgentNumber, old.AgentNumber)
	keep(&e.AgentUsername, old.AgentUsername)
	keep(&e.Extension, old.Extension)
	keep(&e.AudioFilename, old.AudioFilename)
	keep(&e.CallChunk, old.CallChunk)
	keep(&e.SessionID, old.SessionID)
	if e.IncomingCallID == 0 {
		e.IncomingCallID = old.IncomingCallID
	}
	now := utc(s.db.now())
	e.ID, e.OID, e.CreatedAt, e.UpdatedAt = old.ID, old.OID, old.CreatedAt, now
	_, err := s.db.db.ExecContext(ctx, `UPDATE form_entries SET incomingcall_id = ?, queue_name = ?, agent_number = ?,
		agent_username = ?, extension = ?, audio_filename = ?, call_chunk = ?, session_id = ?, data = ?, updated_at = ?
		WHERE id = ?`, e.IncomingCallID, e.Queue, e.AgentNumber, e.AgentUsername, e.Extension, e.AudioFilename,
		e.CallChunk, e.SessionID, data, now, e.ID)
	return s.db.translate(err, fmt.Sprintf("form entry of call %q", e.UniqueID))
}

// FindFormEntries returns the entries f selects, by created_at then id,
// at most f.Limit (FormEntryDefaultLimit when 0).
func (s *FormService) FindFormEntries(ctx context.Context, f centralita.FormEntryFilter) ([]*centralita.FormEntry, error) {
	if f.Offset < 0 || f.Limit < 0 || f.Limit > centralita.FormEntryMaxLimit {
		return nil, centralita.Errorf(centralita.EINVALID, "offset must not be negative, limit must be 0 to %d", centralita.FormEntryMaxLimit)
	}
	if f.Limit == 0 {
		f.Limit = centralita.FormEntryDefaultLimit
	}
	var c conds
	if f.FormID != 0 {
		c.where, c.args = append(c.where, "form_id = ?"), append(c.args, f.FormID)
	}
	if !f.After.IsZero() {
		c.where, c.args = append(c.where, "created_at > ?"), append(c.args, utc(f.After))
	}
	if !f.Before.IsZero() {
		c.where, c.args = append(c.where, "created_at < ?"), append(c.args, utc(f.Before))
	}
	if f.IncomingCallID != 0 {
		c.where, c.args = append(c.where, "incomingcall_id = ?"), append(c.args, f.IncomingCallID)
	}
	c.eq("uniqueid", f.UniqueID)
	q, args := c.query(`SELECT `+entryColumns+` FROM form_entries`, "created_at, id", f.Offset, f.Limit)
	var rows []entryRow
	if err := s.db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.db.translate(err, "form entries")
	}
	out := make([]*centralita.FormEntry, 0, len(rows))
	for _, r := range rows {
		e := &centralita.FormEntry{ID: r.ID, OID: r.OID, FormID: r.FormID, UniqueID: r.UniqueID, IncomingCallID: r.IncomingCallID,
			Queue: r.Queue, AgentNumber: r.AgentNumber, AgentUsername: r.AgentUsername, Extension: r.Extension,
			AudioFilename: r.AudioFilename, CallChunk: r.CallChunk, SessionID: r.SessionID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		if err := json.Unmarshal([]byte(r.Data), &e.Data); err != nil {
			return nil, centralita.WrapError(centralita.EINTERNAL, err, "form entry %d: stored data", r.ID)
		}
		out = append(out, e)
	}
	return out, nil
}
