package centralita

import (
	"context"
	"strings"
	"time"
)

// ListType is the kind of key a list holds (rest-expandweb3.md §4).
type ListType string

// The list types.
const (
	// ListSimple lists map one key ("27126666") to a value.
	ListSimple ListType = "simple"
	// ListRange lists map a range of digit keys ("27120000"–"27129999") to
	// a value.
	ListRange ListType = "range"
)

// Valid reports whether t is a known list type.
func (t ListType) Valid() bool { return t == ListSimple || t == ListRange }

// List is an eXpand key-value list ("vendedores", "cartera"): routing may
// send a caller to the agent or queue a list maps its number to.
type List struct {
	ID int64 `db:"id" json:"id"`
	// Name identifies the list in URLs and in the ACD's "list=" argument.
	Name        string    `db:"name" json:"name"`
	Alias       string    `db:"alias" json:"alias"`
	Description string    `db:"description" json:"description"`
	Type        ListType  `db:"type" json:"type"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// Validate checks l; the error is EINVALID and names the field.
func (l List) Validate() error {
	switch {
	case l.Name == "" || len(l.Name) > 64:
		return Errorf(EINVALID, "list name must have 1 to 64 characters")
	case strings.TrimSpace(l.Name) != l.Name:
		return Errorf(EINVALID, "list name %q must not start or end with white space", l.Name)
	case isDigits(l.Name):
		return Errorf(EINVALID, "list name %q must not be a number (numbers name lists by id)", l.Name)
	case len(l.Alias) > 128:
		return Errorf(EINVALID, "list alias must have at most 128 characters")
	case len(l.Description) > 1024:
		return Errorf(EINVALID, "list description must have at most 1024 characters")
	case !l.Type.Valid():
		return Errorf(EINVALID, "list type must be simple or range, not %q", l.Type)
	}
	return nil
}

// ListEntry is an element of a list. A simple entry has only Key; a range
// entry covers every digit key of Key's length from Key to KeyEnd inclusive.
type ListEntry struct {
	ID     int64 `db:"id" json:"id"`
	ListID int64 `db:"list_id" json:"list_id"`
	// Key is the simple key, or the first key of a range; unique in its list.
	Key string `db:"entry_key" json:"key"`
	// KeyEnd is the last key of a range entry; "" for a simple entry.
	KeyEnd string `db:"key_end" json:"key_end,omitempty"`
	Value  string `db:"value" json:"value"`
}

// Validate checks e as an entry of a list of type t; the error is EINVALID.
// Keys may not start or end with white space.
// Range keys are digit strings of one length with Key <= KeyEnd, so that
// comparing them as text compares them as numbers.
func (e ListEntry) Validate(t ListType) error {
	switch {
	case e.Key == "" || len(e.Key) > 128:
		return Errorf(EINVALID, "element key must have 1 to 128 characters")
	case strings.TrimSpace(e.Key) != e.Key || strings.TrimSpace(e.KeyEnd) != e.KeyEnd:
		// MariaDB's PAD SPACE collations ignore trailing spaces: "123" and
		// "123 " would be one key there and two in SQLite.
		return Errorf(EINVALID, "element key %q must not start or end with white space", e.Key)
	case len(e.Value) > 1024:
		return Errorf(EINVALID, "element value must have at most 1024 characters")
	case t == ListSimple && e.KeyEnd != "":
		return Errorf(EINVALID, "a simple list's element has no key range")
	case t == ListRange && (!isDigits(e.Key) || !isDigits(e.KeyEnd) || len(e.Key) != len(e.KeyEnd)):
		return Errorf(EINVALID, "a range element's keys must be digit strings of the same length")
	case t == ListRange && e.Key > e.KeyEnd:
		return Errorf(EINVALID, "a range element's first key %q is after its last %q", e.Key, e.KeyEnd)
	}
	return nil
}

// Contains reports whether key is e's key (simple) or in e's range.
func (e ListEntry) Contains(key string) bool {
	if e.KeyEnd == "" {
		return key == e.Key
	}
	return len(key) == len(e.Key) && isDigits(key) && e.Key <= key && key <= e.KeyEnd
}

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ListLookup finds what a list maps a key to: the ACD's list routing needs
// only this.
type ListLookup interface {
	// LookupList returns the value of the list named list for key: the
	// simple entry with that exact key, else the range entry containing it
	// (of overlapping ranges, the one starting last). ENOTFOUND when the
	// list or a matching entry does not exist.
	LookupList(ctx context.Context, list, key string) (string, error)
}

// ListService stores lists and their entries.
type ListService interface {
	ListLookup
	// CreateList inserts l and sets its ID; a taken name is ECONFLICT.
	CreateList(ctx context.Context, l *List) error
	// UpdateList replaces name, alias and description of list l.ID (its
	// type is fixed); ENOTFOUND when absent.
	UpdateList(ctx context.Context, l *List) error
	// DeleteList removes a list and its entries; ENOTFOUND when absent.
	DeleteList(ctx context.Context, id int64) error
	FindList(ctx context.Context, id int64) (*List, error)
	FindListByName(ctx context.Context, name string) (*List, error)
	// FindLists lists the lists of type t ("" for all) by id.
	FindLists(ctx context.Context, t ListType) ([]*List, error)

	// CreateListEntry inserts e into list e.ListID and sets its ID; a key
	// the list has already is ECONFLICT, an unknown list ENOTFOUND.
	CreateListEntry(ctx context.Context, e *ListEntry) error
	// UpdateListEntry sets the value (and range end) of the entry with
	// e.Key in list e.ListID and sets e.ID; ENOTFOUND when absent.
	UpdateListEntry(ctx context.Context, e *ListEntry) error
	// DeleteListEntry removes the entry with key from a list and returns
	// it; ENOTFOUND when absent.
	DeleteListEntry(ctx context.Context, listID int64, key string) (*ListEntry, error)
	// FindListEntry returns the entry of a list whose Key is key.
	FindListEntry(ctx context.Context, listID int64, key string) (*ListEntry, error)
	// FindListEntries lists a list's entries by key.
	FindListEntries(ctx context.Context, listID int64) ([]*ListEntry, error)
}
