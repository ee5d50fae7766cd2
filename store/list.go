package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/centralita/centralita"
)

// ListService stores key-value lists and their entries.
type ListService struct{ db *DB }

// NewListService returns the list store on db.
func NewListService(db *DB) *ListService { return &ListService{db: db} }

var _ centralita.ListService = (*ListService)(nil)

const listColumns = `id, name, alias, description, type, created_at, updated_at`

const listEntryColumns = `id, list_id, entry_key, key_end, value`

// CreateList inserts l and sets its ID and timestamps; a taken name is ECONFLICT.
func (s *ListService) CreateList(ctx context.Context, l *centralita.List) error {
	if l == nil {
		return centralita.Errorf(centralita.EINVALID, "no list given")
	}
	if err := l.Validate(); err != nil {
		return err
	}
	now := utc(s.db.now())
	l.CreatedAt, l.UpdatedAt = now, now
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO lists (name, alias, description, type, created_at, updated_at)
		VALUES (:name, :alias, :description, :type, :created_at, :updated_at)`, l)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("list %q", l.Name))
	}
	l.ID, err = res.LastInsertId()
	return s.db.translate(err, fmt.Sprintf("list %q", l.Name))
}

// UpdateList replaces name, alias and description of list l.ID and reads
// back its type and CreatedAt; ENOTFOUND when absent, ECONFLICT when the
// new name is taken.
func (s *ListService) UpdateList(ctx context.Context, l *centralita.List) error {
	if l == nil {
		return centralita.Errorf(centralita.EINVALID, "no list given")
	}
	cur, err := s.FindList(ctx, l.ID)
	if err != nil {
		return err
	}
	l.Type, l.CreatedAt = cur.Type, cur.CreatedAt
	if err := l.Validate(); err != nil {
		return err
	}
	l.UpdatedAt = utc(s.db.now())
	_, err = s.db.db.NamedExecContext(ctx, `UPDATE lists SET name = :name, alias = :alias,
		description = :description, updated_at = :updated_at WHERE id = :id`, l)
	return s.db.translate(err, fmt.Sprintf("list %q", l.Name))
}

// DeleteList removes a list and (by cascade) its entries; ENOTFOUND when absent.
func (s *ListService) DeleteList(ctx context.Context, id int64) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM lists WHERE id = ?`, id)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("list %d", id))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "list %d not found", id)
	}
	return nil
}

// FindList returns the list with that id.
func (s *ListService) FindList(ctx context.Context, id int64) (*centralita.List, error) {
	var l centralita.List
	if err := s.db.db.GetContext(ctx, &l, `SELECT `+listColumns+` FROM lists WHERE id = ?`, id); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("list %d", id))
	}
	return &l, nil
}

// FindListByName returns the list with that name.
func (s *ListService) FindListByName(ctx context.Context, name string) (*centralita.List, error) {
	var l centralita.List
	if err := s.db.db.GetContext(ctx, &l, `SELECT `+listColumns+` FROM lists WHERE name = ?`, name); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("list %q", name))
	}
	return &l, nil
}

// FindLists lists the lists of type t ("" for all) by id.
func (s *ListService) FindLists(ctx context.Context, t centralita.ListType) ([]*centralita.List, error) {
	var c conds
	c.eq("type", string(t))
	q, args := c.query(`SELECT `+listColumns+` FROM lists`, "id", 0, 0)
	out := []*centralita.List{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "lists")
	}
	return out, nil
}

// entryOf checks e against its list and returns the list.
func (s *ListService) entryOf(ctx context.Context, e *centralita.ListEntry) (*centralita.List, error) {
	if e == nil {
		return nil, centralita.Errorf(centralita.EINVALID, "no list element given")
	}
	l, err := s.FindList(ctx, e.ListID)
	if err != nil {
		return nil, err
	}
	return l, e.Validate(l.Type)
}

// CreateListEntry inserts e and sets its ID; a key the list has already is
// ECONFLICT, an unknown list ENOTFOUND.
func (s *ListService) CreateListEntry(ctx context.Context, e *centralita.ListEntry) error {
	l, err := s.entryOf(ctx, e)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("element %q of list %q", e.Key, l.Name)
	res, err := s.db.db.NamedExecContext(ctx, `INSERT INTO list_entries (list_id, entry_key, key_end, value)
		VALUES (:list_id, :entry_key, :key_end, :value)`, e)
	if err != nil {
		return s.db.translate(err, what)
	}
	e.ID, err = res.LastInsertId()
	return s.db.translate(err, what)
}

// UpdateListEntry sets the value and range end of the entry e.Key of list
// e.ListID and sets e.ID; ENOTFOUND when absent.
func (s *ListService) UpdateListEntry(ctx context.Context, e *centralita.ListEntry) error {
	l, err := s.entryOf(ctx, e)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("element %q of list %q", e.Key, l.Name)
	if _, err := s.db.db.NamedExecContext(ctx, `UPDATE list_entries SET key_end = :key_end, value = :value
		WHERE list_id = :list_id AND entry_key = :entry_key`, e); err != nil {
		return s.db.translate(err, what)
	}
	// MySQL counts changed rows only: reading the id back tells "absent" apart.
	err = s.db.db.GetContext(ctx, &e.ID, `SELECT id FROM list_entries WHERE list_id = ? AND entry_key = ?`, e.ListID, e.Key)
	return s.db.translate(err, what)
}

// DeleteListEntry removes the entry with key from a list and returns it.
func (s *ListService) DeleteListEntry(ctx context.Context, listID int64, key string) (*centralita.ListEntry, error) {
	e, err := s.FindListEntry(ctx, listID, key)
	if err != nil {
		return nil, err
	}
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM list_entries WHERE id = ?`, e.ID)
	if err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("element %q", key))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "element %q not found", key)
	}
	return e, nil
}

// FindListEntry returns the entry of a list whose Key is key.
func (s *ListService) FindListEntry(ctx context.Context, listID int64, key string) (*centralita.ListEntry, error) {
	var e centralita.ListEntry
	err := s.db.db.GetContext(ctx, &e, `SELECT `+listEntryColumns+` FROM list_entries WHERE list_id = ? AND entry_key = ?`, listID, key)
	if err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("element %q", key))
	}
	return &e, nil
}

// FindListEntries lists a list's entries by key; ENOTFOUND for an unknown list.
func (s *ListService) FindListEntries(ctx context.Context, listID int64) ([]*centralita.ListEntry, error) {
	if _, err := s.FindList(ctx, listID); err != nil {
		return nil, err
	}
	out := []*centralita.ListEntry{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT `+listEntryColumns+` FROM list_entries
		WHERE list_id = ? ORDER BY entry_key`, listID); err != nil {
		return nil, s.db.translate(err, "list elements")
	}
	return out, nil
}

// LookupList returns what the list named list maps key to: the simple
// entry with that key, else the range entry containing it that starts
// last; ENOTFOUND when the list or a matching entry does not exist.
func (s *ListService) LookupList(ctx context.Context, list, key string) (string, error) {
	rangeLen := len(key)
	if strings.Trim(key, "0123456789") != "" {
		rangeLen = -1 // only digit keys fall in ranges
	}
	var v []string
	err := s.db.db.SelectContext(ctx, &v, `SELECT e.value FROM list_entries e JOIN lists l ON l.id = e.list_id
		WHERE l.name = ? AND ((e.key_end = '' AND e.entry_key = ?)
			OR (e.key_end <> '' AND LENGTH(e.entry_key) = ? AND e.entry_key <= ? AND e.key_end >= ?))
		ORDER BY CASE WHEN e.key_end = '' THEN 0 ELSE 1 END, e.entry_key DESC LIMIT 1`,
		list, key, rangeLen, key, key)
	if err != nil {
		return "", s.db.translate(err, fmt.Sprintf("list %q", list))
	}
	if len(v) == 0 {
		return "", centralita.Errorf(centralita.ENOTFOUND, "list %q has no element for %q", list, key)
	}
	return v[0], nil
}
