package centralita

import (
	"context"
	"slices"
	"strings"
	"time"
)

// FieldType is the kind of value a form field takes.
type FieldType string

// The form field types.
const (
	FieldText   FieldType = "text"   // any text
	FieldNumber FieldType = "number" // a decimal number
	FieldSelect FieldType = "select" // one of Options
)

// FormField is one field of an agent form.
type FormField struct {
	// Name keys the field in an entry's data.
	Name     string    `json:"name"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	// Options are the values a select field allows.
	Options []string `json:"options,omitempty"`
}

// Form is an agent form ("dynamic form", rest-expandweb3.md §6): agents of
// its queues fill it in during a call, with the message they read out.
type Form struct {
	ID int64 `json:"id"`
	// Name identifies the form in URLs.
	Name string `json:"name"`
	// Message is what the agent reads out while capturing.
	Message string      `json:"message"`
	Fields  []FormField `json:"fields"`
	// Queues are the queues whose agents use the form; empty = any queue.
	Queues    []string  `json:"queues"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks f; the error is EINVALID and names the field.
func (f *Form) Validate() error {
	switch {
	case f.Name == "" || len(f.Name) > 64:
		return Errorf(EINVALID, "form name must have 1 to 64 characters")
	case strings.TrimSpace(f.Name) != f.Name:
		return Errorf(EINVALID, "form name %q must not start or end with white space", f.Name)
	case len(f.Message) > 4096:
		return Errorf(EINVALID, "form message must have at most 4096 characters")
	case len(f.Fields) == 0 || len(f.Fields) > 100:
		return Errorf(EINVALID, "a form needs 1 to 100 fields")
	case len(f.Queues) > 100:
		return Errorf(EINVALID, "a form may name at most 100 queues")
	}
	seen := map[string]bool{}
	for _, fl := range f.Fields {
		switch {
		case fl.Name == "" || len(fl.Name) > 64:
			return Errorf(EINVALID, "field names must have 1 to 64 characters")
		case seen[fl.Name]:
			return Errorf(EINVALID, "field %q appears twice", fl.Name)
		case len(fl.Label) > 255:
			return Errorf(EINVALID, "field %q: label must have at most 255 characters", fl.Name)
		case fl.Type != FieldText && fl.Type != FieldNumber && fl.Type != FieldSelect:
			return Errorf(EINVALID, "field %q: type must be text, number or select", fl.Name)
		case fl.Type == FieldSelect && len(fl.Options) == 0:
			return Errorf(EINVALID, "field %q: a select needs options", fl.Name)
		}
		seen[fl.Name] = true
	}
	for _, q := range f.Queues {
		if q == "" || len(q) > 128 {
			return Errorf(EINVALID, "form queue names must have 1 to 128 characters")
		}
	}
	return nil
}

// Field returns the field named name.
func (f *Form) Field(name string) (FormField, bool) {
	i := slices.IndexFunc(f.Fields, func(fl FormField) bool { return fl.Name == name })
	if i < 0 {
		return FormField{}, false
	}
	return f.Fields[i], true
}

// FormValue is one captured value of a field, with the field's label.
type FormValue struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// FormEntry is one filled-in form, tied to the call it was captured in.
type FormEntry struct {
	ID int64
	// OID is the 24-hex record id (the manual's "_id").
	OID    string
	FormID int64
	// UniqueID is the call's uniqueid; IncomingCallID its numeric id
	// (see the facade for how it is chosen). One entry per form and call.
	UniqueID       string
	IncomingCallID int64
	Queue          string
	// AgentNumber and AgentUsername are the agent who captured; Extension
	// its channel ("SIP/303").
	AgentNumber   string
	AgentUsername string
	Extension     string
	// AudioFilename names the recording backing the data, if any.
	AudioFilename string
	// CallChunk and SessionID are opaque values the client may give.
	CallChunk string
	SessionID string
	// Data maps a field name to its values.
	Data      map[string][]FormValue
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FormEntryFilter selects a form's entries. Zero fields do not filter.
type FormEntryFilter struct {
	FormID int64
	// After and Before bound CreatedAt, exclusive.
	After, Before  time.Time
	IncomingCallID int64
	UniqueID       string
	// Offset and Limit page the result, ordered by CreatedAt then ID;
	// Limit 0 reads FormEntryDefaultLimit, and more than
	// FormEntryMaxLimit is EINVALID.
	Offset, Limit int
}

// The page sizes of FindFormEntries.
const (
	FormEntryDefaultLimit = 100
	FormEntryMaxLimit     = 1000
)

// FormService stores forms and their entries.
type FormService interface {
	// CreateForm inserts f and sets its ID and timestamps; a taken name is ECONFLICT.
	CreateForm(ctx context.Context, f *Form) error
	// UpdateForm replaces message, fields and queues of the form f.Name;
	// ENOTFOUND when absent.
	UpdateForm(ctx context.Context, f *Form) error
	// DeleteForm removes a form and its entries; ENOTFOUND when absent.
	DeleteForm(ctx context.Context, name string) error
	FindForm(ctx context.Context, name string) (*Form, error)
	// FindForms lists every form by name.
	FindForms(ctx context.Context) ([]*Form, error)

	// SaveFormEntry stores e: a new entry (ID, OID, CreatedAt set; created
	// true), or, when the form has one for e.UniqueID already, that entry
	// with e's data and the other non-empty fields of e (UpdatedAt set).
	// owner, when not "", is the username of an agent saving on its own
	// behalf: an existing entry whose AgentUsername differs is EFORBIDDEN
	// and left as it was.
	SaveFormEntry(ctx context.Context, e *FormEntry, owner string) (created bool, err error)
	// FindFormEntries returns the entries f selects.
	FindFormEntries(ctx context.Context, f FormEntryFilter) ([]*FormEntry, error)
}
