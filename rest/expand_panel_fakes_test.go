package rest_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/centralita/centralita"
)

// panelStore is an in-memory ListService, OutgoingCallService and FormService.
type panelStore struct {
	mu      sync.Mutex
	lists   []*centralita.List
	entries []*centralita.ListEntry
	calls   []*centralita.OutgoingCall
	forms   []*centralita.Form
	fentry  []*centralita.FormEntry
	next    int64
	now     time.Time
}

func (s *panelStore) id() int64 { s.next++; return s.next }

func notFound(what string) error {
	return centralita.Errorf(centralita.ENOTFOUND, "%s not found", what)
}

func (s *panelStore) CreateList(_ context.Context, l *centralita.List) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := l.Validate(); err != nil {
		return err
	}
	for _, x := range s.lists {
		if x.Name == l.Name {
			return centralita.Errorf(centralita.ECONFLICT, "list exists")
		}
	}
	l.ID = int64(len(s.lists) + 1)
	cp := *l
	s.lists = append(s.lists, &cp)
	return nil
}

func (s *panelStore) UpdateList(context.Context, *centralita.List) error { return nil }

func (s *panelStore) DeleteList(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists = slices.DeleteFunc(s.lists, func(l *centralita.List) bool { return l.ID == id })
	s.entries = slices.DeleteFunc(s.entries, func(e *centralita.ListEntry) bool { return e.ListID == id })
	return nil
}

func (s *panelStore) FindList(_ context.Context, id int64) (*centralita.List, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lists {
		if l.ID == id {
			cp := *l
			return &cp, nil
		}
	}
	return nil, notFound("list")
}

func (s *panelStore) FindListByName(_ context.Context, name string) (*centralita.List, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lists {
		if l.Name == name {
			cp := *l
			return &cp, nil
		}
	}
	return nil, notFound("list")
}

func (s *panelStore) FindLists(_ context.Context, t centralita.ListType) ([]*centralita.List, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*centralita.List{}
	for _, l := range s.lists {
		if t == "" || l.Type == t {
			cp := *l
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *panelStore) CreateListEntry(ctx context.Context, e *centralita.ListEntry) error {
	l, err := s.FindList(ctx, e.ListID)
	if err != nil {
		return err
	}
	if err := e.Validate(l.Type); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.entries {
		if x.ListID == e.ListID && x.Key == e.Key {
			return centralita.Errorf(centralita.ECONFLICT, "element exists")
		}
	}
	e.ID = s.id()
	cp := *e
	s.entries = append(s.entries, &cp)
	return nil
}

func (s *panelStore) UpdateListEntry(_ context.Context, e *centralita.ListEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.entries {
		if x.ListID == e.ListID && x.Key == e.Key {
			x.Value, x.KeyEnd, e.ID = e.Value, e.KeyEnd, x.ID
			return nil
		}
	}
	return notFound("element")
}

func (s *panelStore) DeleteListEntry(ctx context.Context, listID int64, key string) (*centralita.ListEntry, error) {
	e, err := s.FindListEntry(ctx, listID, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = slices.DeleteFunc(s.entries, func(x *centralita.ListEntry) bool { return x.ID == e.ID })
	return e, nil
}

func (s *panelStore) FindListEntry(_ context.Context, listID int64, key string) (*centralita.ListEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.entries {
		if x.ListID == listID && x.Key == key {
			cp := *x
			return &cp, nil
		}
	}
	return nil, notFound("element")
}

func (s *panelStore) FindListEntries(_ context.Context, listID int64) ([]*centralita.ListEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*centralita.ListEntry{}
	for _, x := range s.entries {
		if x.ListID == listID {
			cp := *x
			out = append(out, &cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (s *panelStore) LookupList(context.Context, string, string) (string, error) {
	return "", notFound("element")
}

func (s *panelStore) CreateOutgoingCall(_ context.Context, c *centralita.OutgoingCall) error {
	if c.Status == "" {
		c.Status = centralita.OutgoingPending
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = int64(len(s.calls) + 1)
	cp := *c
	s.calls = append(s.calls, &cp)
	return nil
}

func (s *panelStore) UpdateOutgoingCall(_ context.Context, c *centralita.OutgoingCall) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.calls {
		if x.ID == c.ID {
			cp := *c
			s.calls[i] = &cp
			return nil
		}
	}
	return notFound("call")
}

func (s *panelStore) FindOutgoingCall(_ context.Context, id int64) (*centralita.OutgoingCall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.calls {
		if x.ID == id {
			cp := *x
			return &cp, nil
		}
	}
	return nil, notFound("call")
}

func (s *panelStore) FindOutgoingCalls(_ context.Context, f centralita.OutgoingFilter) ([]*centralita.OutgoingCall, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*centralita.OutgoingCall{}
	for _, x := range s.calls {
		st := x.StatusAt(f.Now)
		switch {
		case f.Queue != "" && x.Queue != f.Queue, f.Agent != "" && x.Agent != f.Agent,
			f.Phone != "" && !slices.Contains(x.Phones, f.Phone),
			!f.From.IsZero() && x.CallDate.Before(f.From), !f.To.IsZero() && x.CallDate.After(f.To),
			f.Status == "" && st == centralita.OutgoingCanceled, f.Status != "" && st != f.Status,
			f.Visible != nil && !f.Visible.Sees(x):
			continue
		}
		cp := *x
		out = append(out, &cp)
	}
	return page(out, f.Offset, f.Limit, centralita.OutgoingDefaultLimit), nil
}

// page is the store's paging: offset, then limit (def when 0).
func page[T any](xs []T, offset, limit, def int) []T {
	if limit == 0 {
		limit = def
	}
	xs = xs[min(offset, len(xs)):]
	return xs[:min(limit, len(xs))]
}

func (s *panelStore) CreateForm(_ context.Context, f *centralita.Form) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.forms {
		if x.Name == f.Name {
			return centralita.Errorf(centralita.ECONFLICT, "form exists")
		}
	}
	f.ID, f.CreatedAt, f.UpdatedAt = int64(len(s.forms)+1), s.now, s.now
	cp := *f
	s.forms = append(s.forms, &cp)
	return nil
}

func (s *panelStore) UpdateForm(_ context.Context, f *centralita.Form) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.forms {
		if x.Name == f.Name {
			f.ID, f.CreatedAt, f.UpdatedAt = x.ID, x.CreatedAt, s.now
			cp := *f
			s.forms[i] = &cp
			return nil
		}
	}
	return notFound("form")
}

func (s *panelStore) DeleteForm(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forms = slices.DeleteFunc(s.forms, func(f *centralita.Form) bool { return f.Name == name })
	return nil
}

func (s *panelStore) FindForm(_ context.Context, name string) (*centralita.Form, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.forms {
		if x.Name == name {
			cp := *x
			return &cp, nil
		}
	}
	return nil, notFound("form")
}

func (s *panelStore) FindForms(context.Context) ([]*centralita.Form, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.forms), nil
}

func (s *panelStore) SaveFormEntry(_ context.Context, e *centralita.FormEntry, owner string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.fentry {
		if x.FormID == e.FormID && x.UniqueID == e.UniqueID {
			if owner != "" && x.AgentUsername != owner {
				return false, centralita.Errorf(centralita.EFORBIDDEN, "another agent's entry")
			}
			e.ID, e.OID, e.CreatedAt, e.UpdatedAt = x.ID, x.OID, x.CreatedAt, s.now
			cp := *e
			s.fentry[i] = &cp
			return false, nil
		}
	}
	e.ID = s.id()
	e.OID = strings.Repeat("0", 22) + string(rune('a'+len(s.fentry)%26)) + "f"
	e.CreatedAt, e.UpdatedAt = s.now, s.now
	cp := *e
	s.fentry = append(s.fentry, &cp)
	return true, nil
}

func (s *panelStore) FindFormEntries(_ context.Context, f centralita.FormEntryFilter) ([]*centralita.FormEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*centralita.FormEntry{}
	for _, x := range s.fentry {
		switch {
		case x.FormID != f.FormID, !f.After.IsZero() && !x.CreatedAt.After(f.After),
			!f.Before.IsZero() && !x.CreatedAt.Before(f.Before),
			f.IncomingCallID != 0 && x.IncomingCallID != f.IncomingCallID, f.UniqueID != "" && x.UniqueID != f.UniqueID:
			continue
		}
		cp := *x
		out = append(out, &cp)
	}
	return page(out, f.Offset, f.Limit, centralita.FormEntryDefaultLimit), nil
}

// foldingDir is the queue and agent directory as MariaDB's default
// collation answers it: names found whatever their case.
type foldingDir struct{ *adminStore }

func (d foldingDir) FindQueue(ctx context.Context, name string) (*centralita.Queue, error) {
	qs, err := d.FindQueues(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if strings.EqualFold(q.Name, name) {
			return q, nil
		}
	}
	return nil, notFound("queue")
}

func (d foldingDir) FindAgentByUsername(ctx context.Context, username string) (*centralita.Agent, error) {
	as, err := d.FindAgents(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if strings.EqualFold(a.Username, username) {
			return a, nil
		}
	}
	return nil, notFound("agent")
}
