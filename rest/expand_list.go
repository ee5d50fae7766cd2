package rest

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// ExpandListsConfig configures the eXpand REST lists module.
type ExpandListsConfig struct {
	// Lists is required.
	Lists centralita.ListService
	// Users are usernames given the module whatever their role (the
	// manual's "external_user"); admins and supervisors always have it (B20).
	Users []string
}

// ExpandKeyList is the list object of §4.2, keys in the manual's order.
type ExpandKeyList struct {
	Alias       string `json:"alias"`
	Description string `json:"description"`
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
}

// ExpandElement is a list element: {"id","key","value"} (§4.2); a range
// element also has key_end, the last key of its range.
type ExpandElement struct {
	ID     int64  `json:"id"`
	Key    string `json:"key"`
	KeyEnd string `json:"key_end,omitempty"`
	Value  string `json:"value"`
}

// expandLists is the lists module.
type expandLists struct {
	x   *expand
	cfg ExpandListsConfig
}

// RegisterExpandLists adds the eXpand REST lists module (rest-expandweb3.md
// §4) under ExpandExternalPrefix+"/lists/simple":
//
//	GET    /lists/simple                         {"data": [list…]}
//	GET    /lists/simple/{list}                  list
//	GET    /lists/simple/{list}/elements         {"data": [element…]}
//	POST   /lists/simple/{list}/elements         201 element; 409 when the key exists
//	GET    /lists/simple/{list}/elements/{key}   element
//	PUT    /lists/simple/{list}/elements/{key}   200 element, body {"value"}
//	DELETE /lists/simple/{list}/elements/{key}   200 the deleted element
//
// {list} is a list name or a numeric id (B11 as proposed); 409 applies to
// POST only. As extensions (the manual defines lists in the administration
// screens), POST /lists/simple with {"name","alias","description"} creates
// a list (201 list, 409 when the name is taken) and DELETE
// /lists/simple/{list} deletes one with its elements (200 list). Range
// lists have no API in the manual (B10); this module serves them the same
// way under /lists/range, their elements carrying "key_end" (the range is
// key..key_end, digit keys of one length), PUT taking {"value","key_end"}.
//
// Authentication and error bodies are the dialer module's (B1, B20):
// Unknown_data_format for every 400, {"errrorCode":"Not_found"} for an
// unknown list or key, {"errrorCode":"Conflict"} for a duplicate key.
func (s *Server) RegisterExpandLists(cfg ExpandListsConfig) error {
	if cfg.Lists == nil {
		return centralita.Errorf(centralita.EINVALID, "expand lists: the list service is required")
	}
	m := &expandLists{x: s.newExpandModule("lists", nil), cfg: cfg}
	allow := expandStaffOr(cfg.Users, false)
	for _, t := range []centralita.ListType{centralita.ListSimple, centralita.ListRange} {
		routes := []panelRoute{
			{http.MethodGet, "", m.listLists(t)},
			{http.MethodPost, "", m.createList(t)},
			{http.MethodGet, "/:list", m.getList(t)},
			{http.MethodDelete, "/:list", m.deleteList(t)},
			{http.MethodGet, "/:list/elements", m.listElements(t)},
			{http.MethodPost, "/:list/elements", m.addElement(t)},
			{http.MethodGet, "/:list/elements/:key", m.getElement(t)},
			{http.MethodPut, "/:list/elements/:key", m.updateElement(t)},
			{http.MethodDelete, "/:list/elements/:key", m.deleteElement(t)},
		}
		if err := s.addExpandRoutes(m.x, "lists", "/lists/"+string(t), allow, routes); err != nil {
			return err
		}
	}
	return nil
}

// listOut converts a list.
func listOut(l *centralita.List) ExpandKeyList {
	return ExpandKeyList{Alias: l.Alias, Description: l.Description, ID: l.ID, Name: l.Name, Type: string(l.Type)}
}

// elementOut converts an element.
func elementOut(e *centralita.ListEntry) ExpandElement {
	return ExpandElement{ID: e.ID, Key: e.Key, KeyEnd: e.KeyEnd, Value: e.Value}
}

// findList returns the list of the path, by name or numeric id, of type t;
// a list of the other type is ENOTFOUND here.
func (m *expandLists) findList(c *echo.Context, t centralita.ListType) (*centralita.List, error) {
	v, err := adminParam(c, "list")
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	var l *centralita.List
	if id, perr := strconv.ParseInt(v, 10, 64); perr == nil && id > 0 {
		l, err = m.cfg.Lists.FindList(ctx, id)
	} else {
		l, err = m.cfg.Lists.FindListByName(ctx, v)
	}
	if err != nil {
		return nil, err
	}
	if l.Type != t {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "list %q is not a %s list", v, t)
	}
	return l, nil
}

func (m *expandLists) listLists(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ls, err := m.cfg.Lists.FindLists(c.Request().Context(), t)
		if err != nil {
			return err
		}
		out := expandData[ExpandKeyList]{Data: make([]ExpandKeyList, 0, len(ls))}
		for _, l := range ls {
			out.Data = append(out.Data, listOut(l))
		}
		return m.x.write(c, http.StatusOK, out)
	}
}

func (m *expandLists) createList(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		var in struct {
			Name        string `json:"name"`
			Alias       string `json:"alias"`
			Description string `json:"description"`
			Type        string `json:"type"`
		}
		if err := expandDecode(c, &in); err != nil {
			return err
		}
		if in.Type != "" && in.Type != string(t) {
			return centralita.Errorf(centralita.EINVALID, "type %q: this path creates %s lists", in.Type, t)
		}
		l := &centralita.List{Name: in.Name, Alias: in.Alias, Description: in.Description, Type: t}
		if err := m.cfg.Lists.CreateList(c.Request().Context(), l); err != nil {
			return err
		}
		return m.x.write(c, http.StatusCreated, listOut(l))
	}
}

func (m *expandLists) getList(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		l, err := m.findList(c, t)
		if err != nil {
			return err
		}
		return m.x.write(c, http.StatusOK, listOut(l))
	}
}

func (m *expandLists) deleteList(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		l, err := m.findList(c, t)
		if err != nil {
			return err
		}
		if err := m.cfg.Lists.DeleteList(c.Request().Context(), l.ID); err != nil {
			return err
		}
		return m.x.write(c, http.StatusOK, listOut(l))
	}
}

func (m *expandLists) listElements(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		l, err := m.findList(c, t)
		if err != nil {
			return err
		}
		es, err := m.cfg.Lists.FindListEntries(c.Request().Context(), l.ID)
		if err != nil {
			return err
		}
		out := expandData[ExpandElement]{Data: make([]ExpandElement, 0, len(es))}
		for _, e := range es {
			out.Data = append(out.Data, elementOut(e))
		}
		return m.x.write(c, http.StatusOK, out)
	}
}

// elementBody is an element's request body; which keys are allowed
// depends on the request (see readElement).
type elementBody struct {
	ID     *int64  `json:"id"`
	Key    *string `json:"key"`
	KeyEnd *string `json:"key_end"`
	Value  *string `json:"value"`
}

// readElement reads an element body: value is required; key too when
// create is set (a PUT may repeat the path's key); key_end belongs to
// range lists, where it is required on create. id is ignored (as read).
func readElement(c *echo.Context, t centralita.ListType, create bool) (elementBody, error) {
	var in elementBody
	if err := expandDecode(c, &in); err != nil {
		return in, err
	}
	switch {
	case in.Value == nil:
		return in, centralita.Errorf(centralita.EINVALID, "value is required")
	case create && in.Key == nil:
		return in, centralita.Errorf(centralita.EINVALID, "key is required")
	case t == centralita.ListSimple && in.KeyEnd != nil:
		return in, centralita.Errorf(centralita.EINVALID, "key_end belongs to range lists")
	case t == centralita.ListRange && create && in.KeyEnd == nil:
		return in, centralita.Errorf(centralita.EINVALID, "key_end is required")
	}
	return in, nil
}

func (m *expandLists) addElement(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		l, err := m.findList(c, t)
		if err != nil {
			return err
		}
		in, err := readElement(c, t, true)
		if err != nil {
			return err
		}
		e := &centralita.ListEntry{ListID: l.ID, Key: *in.Key, Value: *in.Value}
		if in.KeyEnd != nil {
			e.KeyEnd = *in.KeyEnd
		}
		if err := m.cfg.Lists.CreateListEntry(c.Request().Context(), e); err != nil {
			return err
		}
		return m.x.write(c, http.StatusCreated, elementOut(e))
	}
}

// findElement returns the list and element of the path.
func (m *expandLists) findElement(c *echo.Context, t centralita.ListType) (*centralita.List, *centralita.ListEntry, error) {
	l, err := m.findList(c, t)
	if err != nil {
		return nil, nil, err
	}
	key, err := adminParam(c, "key")
	if err != nil {
		return nil, nil, err
	}
	e, err := m.cfg.Lists.FindListEntry(c.Request().Context(), l.ID, key)
	return l, e, err
}

func (m *expandLists) getElement(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		_, e, err := m.findElement(c, t)
		if err != nil {
			return err
		}
		return m.x.write(c, http.StatusOK, elementOut(e))
	}
}

func (m *expandLists) updateElement(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		_, e, err := m.findElement(c, t)
		if err != nil {
			return err
		}
		in, err := readElement(c, t, false)
		if err != nil {
			return err
		}
		if in.Key != nil && *in.Key != e.Key {
			return centralita.Errorf(centralita.EINVALID, "the key cannot change (%q in the body, %q in the path)", *in.Key, e.Key)
		}
		e.Value = *in.Value
		if in.KeyEnd != nil {
			e.KeyEnd = *in.KeyEnd
		}
		if err := m.cfg.Lists.UpdateListEntry(c.Request().Context(), e); err != nil {
			return err
		}
		return m.x.write(c, http.StatusOK, elementOut(e))
	}
}

func (m *expandLists) deleteElement(t centralita.ListType) echo.HandlerFunc {
	return func(c *echo.Context) error {
		l, e, err := m.findElement(c, t)
		if err != nil {
			return err
		}
		del, err := m.cfg.Lists.DeleteListEntry(c.Request().Context(), l.ID, e.Key)
		if err != nil {
			return err
		}
		return m.x.write(c, http.StatusOK, elementOut(del))
	}
}
