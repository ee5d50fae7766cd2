package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/centralita/centralita"
)

// ContactService stores dialer contacts, their state log and dial attempts.
type ContactService struct{ db *DB }

// NewContactService returns the contact store on db.
func NewContactService(db *DB) *ContactService { return &ContactService{db: db} }

var _ centralita.ContactService = (*ContactService)(nil)

// contactColumns are the columns a contact writes, in contactArgs' order.
func contactColumns() []string {
	return []string{"campaign_id", "number", "dial_number", "name", "data", "info", "alternates",
		"alt_index", "priority", "time_zone", "agent", "base", "enabled", "state", "attempts", "next_at",
		"last_attempt_at", "last_outcome", "state_at", "added_at", "in_flight"}
}

// contactSelect reads contactRow from contacts c.
const contactSelect = `SELECT c.id, c.campaign_id, c.number, c.dial_number, c.name, c.data,
	c.info AS info_json, c.alternates AS alternates_text, c.alt_index, c.priority, c.time_zone,
	c.agent, c.base, c.enabled, c.state, c.attempts, c.next_at, c.last_attempt_at, c.last_outcome,
	c.state_at, c.added_at, c.in_flight FROM contacts c`

// Limits of FindContacts and ClaimContacts.
const (
	defaultContactLimit = 100
	maxContactLimit     = 1000
	maxTransitionLen    = 255
)

// Multi-row inserts are cut at this many rows or about this many bytes,
// under SQLite's 32766 variables and MariaDB's max_allowed_packet.
const (
	insertChunkRows  = 500
	insertChunkBytes = 1 << 20
)

// contactRow is a contacts row: the contact and its encoded columns.
type contactRow struct {
	centralita.Contact
	DialNumber string `db:"dial_number"`
	InfoJSON   string `db:"info_json"`
	AltText    string `db:"alternates_text"`
}

// contact decodes the row.
func (r *contactRow) contact() *centralita.Contact {
	c := r.Contact
	c.Info = json.RawMessage(r.InfoJSON)
	if r.AltText != "" {
		c.Alternates = strings.Split(r.AltText, ":")
	}
	return &c
}

// dialNumber is the number c dials now: Number, or alternate AltIndex.
func dialNumber(c *centralita.Contact) string {
	if c.AltIndex >= 1 && c.AltIndex <= len(c.Alternates) {
		return c.Alternates[c.AltIndex-1]
	}
	return c.Number
}

// contactArgs are c's values for contactColumns.
func contactArgs(c *centralita.Contact) []any {
	return []any{c.CampaignID, c.Number, dialNumber(c), c.Name, c.Data, string(c.Info),
		strings.Join(c.Alternates, ":"), c.AltIndex, c.Priority, c.TimeZone, c.Agent, c.Base, c.Enabled,
		string(c.State), c.Attempts, utcPtr(c.NextAt), utcPtr(c.LastAttemptAt), string(c.LastOutcome),
		utc(c.StateAt), utc(c.AddedAt), c.InFlight}
}

// validateContact applies Contact.Validate and the column sizes, and sets
// an empty Info to {}.
func validateContact(c *centralita.Contact) error {
	if c == nil {
		return centralita.Errorf(centralita.EINVALID, "no contact given")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case c.AltIndex < 0:
		return centralita.Errorf(centralita.EINVALID, "alternate index must not be negative")
	case len(c.TimeZone) > 64:
		return centralita.Errorf(centralita.EINVALID, "contact time zone must have at most 64 characters")
	case len(c.Agent) > 80:
		return centralita.Errorf(centralita.EINVALID, "contact agent must have at most 80 characters")
	case len(c.Base) > 255:
		return centralita.Errorf(centralita.EINVALID, "contact base name must have at most 255 characters")
	case len(c.LastOutcome) > 16:
		return centralita.Errorf(centralita.EINVALID, "unknown outcome %q", c.LastOutcome)
	case c.Attempts < 0:
		return centralita.Errorf(centralita.EINVALID, "attempts must not be negative")
	}
	for _, a := range c.Alternates {
		if strings.Contains(a, ":") {
			return centralita.Errorf(centralita.EINVALID, "alternate number %q must not contain ':'", a)
		}
	}
	if len(c.Info) == 0 {
		c.Info = json.RawMessage(`{}`)
	} else if !json.Valid(c.Info) {
		return centralita.Errorf(centralita.EINVALID, "contact info is not valid JSON")
	}
	return nil
}

// begin starts a transaction; on MariaDB at READ COMMITTED when rc is set.
// SQLite's transactions are BEGIN IMMEDIATE: one writer at a time.
func (s *ContactService) begin(ctx context.Context, rc bool) (*sqlx.Tx, error) {
	var opts *sql.TxOptions
	if rc && s.db.dialect.name == "mysql" {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.db.db.BeginTxx(ctx, opts)
	if err != nil {
		return nil, s.db.translate(err, "contacts")
	}
	return tx, nil
}

// forUpdate is the row-locking suffix of a SELECT in a transaction: MariaDB
// needs it, SQLite's write transaction already excludes other writers.
func (s *ContactService) forUpdate() string {
	if s.db.dialect.name == "mysql" {
		return " FOR UPDATE"
	}
	return ""
}

// CreateContacts inserts cs in one transaction and sets their IDs; with a
// transition, each gets its first state-log entry at its AddedAt. A zero
// AddedAt is the clock's time, a zero StateAt is AddedAt, an empty State is
// Pending and an empty Info is {}; the rest is stored as given (Enabled and
// Priority included). Rows go in multi-row INSERTs of up to 500. A missing
// campaign is ENOTFOUND; an invalid contact is EINVALID naming its position
// and nothing is inserted. On failure the IDs are left 0.
func (s *ContactService) CreateContacts(ctx context.Context, cs []*centralita.Contact, transition string) (err error) {
	if len(cs) == 0 {
		return nil
	}
	if len(transition) > maxTransitionLen {
		return centralita.Errorf(centralita.EINVALID, "transition must have at most %d characters", maxTransitionLen)
	}
	now := utc(s.db.now())
	for i, c := range cs {
		err := validateContact(c)
		if err == nil && c.CampaignID <= 0 {
			err = centralita.Errorf(centralita.EINVALID, "a contact needs its campaign")
		}
		if err != nil {
			return centralita.WrapError(centralita.EINVALID, err, "contact %d (%q): %s", i+1, numberOf(c), centralita.ErrorMessage(err))
		}
		c.AddedAt = utc(c.AddedAt)
		if c.AddedAt.IsZero() {
			c.AddedAt = now
		}
		if c.StateAt.IsZero() {
			c.StateAt = c.AddedAt
		}
		if c.State == "" {
			c.State = centralita.ContactPending
		}
	}
	defer func() {
		if err != nil {
			for _, c := range cs {
				c.ID = 0
			}
		}
	}()
	tx, err := s.begin(ctx, false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// ids[i] is the id of the i-th row of a multi-row insert, given its
	// LastInsertId: the first id on MariaDB (consecutive, by the auto
	// increment step, with innodb_autoinc_lock_mode 0 or 1), the last on SQLite.
	ids := func(last int64, n, i int) int64 { return last - int64(n-1-i) }
	oneByOne := len(cs) == 1
	if s.db.dialect.name == "mysql" {
		var step, lockMode int64
		if err := tx.QueryRowxContext(ctx, `SELECT @@auto_increment_increment, @@innodb_autoinc_lock_mode`).Scan(&step, &lockMode); err != nil {
			return s.db.translate(err, "contacts")
		}
		// Interleaved mode (2) gives a multi-row insert no consecutive ids.
		oneByOne = oneByOne || lockMode == 2
		ids = func(first int64, _, i int) int64 { return first + int64(i)*step }
	}
	for start := 0; start < len(cs); {
		end := start
		if oneByOne {
			end++
		} else {
			for size := 0; end < len(cs) && end-start < insertChunkRows && size < insertChunkBytes; end++ {
				c := cs[end]
				size += 200 + len(c.Name) + len(c.Data) + len(c.Info) + len(c.Base) + 41*len(c.Alternates)
			}
		}
		if err := s.insertChunk(ctx, tx, cs[start:end], ids); err != nil {
			return err
		}
		if transition != "" {
			if err := insertLogs(ctx, tx, cs[start:end], transition); err != nil {
				return s.db.translate(err, "contact log")
			}
		}
		start = end
	}
	if err := tx.Commit(); err != nil {
		return s.db.translate(err, "contacts")
	}
	return nil
}

// numberOf is c's number, for messages.
func numberOf(c *centralita.Contact) string {
	if c == nil {
		return ""
	}
	return c.Number
}

// insertChunk inserts chunk in one statement and sets its IDs.
func (s *ContactService) insertChunk(ctx context.Context, tx *sqlx.Tx, chunk []*centralita.Contact, ids func(int64, int, int) int64) error {
	cols := contactColumns()
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	args := make([]any, 0, len(chunk)*len(cols))
	for _, c := range chunk {
		args = append(args, contactArgs(c)...)
	}
	q := `INSERT INTO contacts (` + strings.Join(cols, ", ") + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ")
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return s.campaignError(ctx, tx, err, chunk)
	}
	lid, err := res.LastInsertId()
	if err != nil {
		return s.db.translate(err, "contacts")
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
		return centralita.Errorf(centralita.EINTERNAL, "contacts: inserted %d rows of %d", n, len(chunk))
	}
	for i, c := range chunk {
		c.ID = ids(lid, len(chunk), i)
	}
	return nil
}

// campaignError translates an insert error, naming the campaign when it
// is a campaign of chunk that does not exist.
func (s *ContactService) campaignError(ctx context.Context, tx *sqlx.Tx, err error, chunk []*centralita.Contact) error {
	terr := s.db.translate(err, "contact")
	if centralita.ErrorKind(terr) != centralita.EINVALID {
		return terr
	}
	checked := map[int64]bool{}
	for _, c := range chunk {
		if checked[c.CampaignID] {
			continue
		}
		checked[c.CampaignID] = true
		var n int
		if cerr := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM campaigns WHERE id = ?`, c.CampaignID); cerr == nil && n == 0 {
			return centralita.WrapError(centralita.ENOTFOUND, err, "campaign %d not found", c.CampaignID)
		}
	}
	return terr
}

// insertLogs appends one transition per contact, at its AddedAt.
func insertLogs(ctx context.Context, tx *sqlx.Tx, chunk []*centralita.Contact, transition string) error {
	args := make([]any, 0, 3*len(chunk))
	for _, c := range chunk {
		args = append(args, c.ID, c.AddedAt, transition)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO contact_log (contact_id, time, transition) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(chunk)), ", "), args...)
	return err
}

// UpdateContact writes every field of the contact c.ID but its campaign (a
// contact does not move: CampaignID is read back) and, with a transition,
// appends it to the state log, in one transaction. StateAt is the store's:
// it becomes the clock's time when State changes, and is read back
// otherwise. A zero AddedAt keeps the stored one. The log entry is at the
// clock's time. An empty Info is stored as {}; ENOTFOUND when the contact
// does not exist.
func (s *ContactService) UpdateContact(ctx context.Context, c *centralita.Contact, transition string) error {
	if err := validateContact(c); err != nil {
		return err
	}
	switch {
	case c.State == "":
		return centralita.Errorf(centralita.EINVALID, "contact %d: state required", c.ID)
	case len(transition) > maxTransitionLen:
		return centralita.Errorf(centralita.EINVALID, "transition must have at most %d characters", maxTransitionLen)
	}
	what := fmt.Sprintf("contact %d", c.ID)
	tx, err := s.begin(ctx, false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cur struct {
		CampaignID int64     `db:"campaign_id"`
		State      string    `db:"state"`
		StateAt    time.Time `db:"state_at"`
		AddedAt    time.Time `db:"added_at"`
	}
	if err := tx.GetContext(ctx, &cur, `SELECT campaign_id, state, state_at, added_at FROM contacts WHERE id = ?`+s.forUpdate(), c.ID); err != nil {
		return s.db.translate(err, what)
	}
	now := utc(s.db.now())
	c.CampaignID, c.StateAt = cur.CampaignID, cur.StateAt
	if c.AddedAt.IsZero() {
		c.AddedAt = cur.AddedAt
	}
	if cur.State != string(c.State) {
		c.StateAt = now
	}
	args := contactArgs(c)[1:] // every column but campaign_id
	set := make([]string, 0, len(args))
	for _, col := range contactColumns()[1:] {
		set = append(set, col+" = ?")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contacts SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(args, c.ID)...); err != nil {
		return s.db.translate(err, what)
	}
	if transition != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_log (contact_id, time, transition) VALUES (?, ?, ?)`, c.ID, now, transition); err != nil {
			return s.db.translate(err, what)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.db.translate(err, what)
	}
	return nil
}

// FindContact returns the contact with that id.
func (s *ContactService) FindContact(ctx context.Context, id int64) (*centralita.Contact, error) {
	var r contactRow
	if err := s.db.db.GetContext(ctx, &r, contactSelect+` WHERE c.id = ?`, id); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("contact %d", id))
	}
	return r.contact(), nil
}

// contactOrder maps ContactFilter.OrderBy (eXpand's order_by) to a column;
// names sort without regard to case on both databases (ASCII on SQLite).
func contactOrder(by string) (string, bool) {
	switch by {
	case "", "id":
		return "c.id", true
	case "name":
		return "LOWER(c.name)", true
	case "numcall":
		return "c.attempts", true
	case "timestampadd":
		return "c.added_at", true
	case "statetimestamp":
		return "c.state_at", true
	}
	return "", false
}

// likePattern matches values containing s: LIKE's wildcards in s are
// escaped with '!', an escape both databases read the same way (a
// backslash is itself an escape in MariaDB literals).
func likePattern(s string) string {
	return "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s) + "%"
}

// FindContacts returns the page of contacts that match f and how many match
// in all. CampaignID 0 matches every campaign. Like matches number or name
// containing it, case-insensitively (ASCII only on SQLite). Ties of the order
// are broken by id, in the same direction. The limit is 100 when not given
// and at most 1000; a negative offset or limit, an unknown state or order
// is EINVALID.
func (s *ContactService) FindContacts(ctx context.Context, f centralita.ContactFilter) ([]*centralita.Contact, int, error) {
	order, ok := contactOrder(f.OrderBy)
	switch {
	case !ok:
		return nil, 0, centralita.Errorf(centralita.EINVALID, "contacts cannot be ordered by %q: want id, name, numcall, timestampadd or statetimestamp", f.OrderBy)
	case f.State != "" && !f.State.Valid():
		return nil, 0, centralita.Errorf(centralita.EINVALID, "unknown contact state %q", f.State)
	case f.Offset < 0 || f.Limit < 0:
		return nil, 0, centralita.Errorf(centralita.EINVALID, "offset and limit must not be negative")
	}
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	order += dir
	if !strings.HasPrefix(order, "c.id") {
		order += ", c.id" + dir
	}
	var c conds
	if f.CampaignID != 0 {
		c.where, c.args = append(c.where, "c.campaign_id = ?"), append(c.args, f.CampaignID)
	}
	c.eq("c.state", string(f.State))
	c.eq("c.number", f.Number)
	if f.Like != "" {
		p := likePattern(f.Like)
		c.where = append(c.where, `(c.number LIKE ? ESCAPE '!' OR c.name LIKE ? ESCAPE '!')`)
		c.args = append(c.args, p, p)
	}
	c.between("c.state_at", f.StateFrom, f.StateTo)
	c.between("c.added_at", f.AddedFrom, f.AddedTo)
	limit := f.Limit
	if limit == 0 {
		limit = defaultContactLimit
	}
	limit = min(limit, maxContactLimit)

	count := `SELECT COUNT(*) FROM contacts c`
	if len(c.where) > 0 {
		count += " WHERE " + strings.Join(c.where, " AND ")
	}
	var total int
	if err := s.db.db.GetContext(ctx, &total, count, c.args...); err != nil {
		return nil, 0, s.db.translate(err, "contacts")
	}
	q, args := c.query(contactSelect, order, f.Offset, limit)
	var rows []*contactRow
	if err := s.db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, 0, s.db.translate(err, "contacts")
	}
	out := make([]*centralita.Contact, len(rows))
	for i, r := range rows {
		out[i] = r.contact()
	}
	return out, total, nil
}

// ContactLog returns a contact's transitions, oldest first; ENOTFOUND when
// the contact does not exist.
func (s *ContactService) ContactLog(ctx context.Context, id int64) ([]*centralita.ContactTransition, error) {
	out := []*centralita.ContactTransition{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT contact_id, time, transition FROM contact_log
		WHERE contact_id = ? ORDER BY time, id`, id); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("log of contact %d", id))
	}
	if len(out) == 0 {
		if _, err := s.FindContact(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ClaimContacts marks up to limit (at most 1000) due contacts of the
// campaign in flight and returns them, as ContactService documents. The
// claim is one transaction. On MariaDB it first locks the campaign's row,
// so claims of a campaign run one at a time and each sees the numbers the
// one before put in flight; candidates are read FOR UPDATE SKIP LOCKED (a
// contact an update holds is left for the next claim). On SQLite the
// transaction is BEGIN IMMEDIATE, which already excludes other writers. A
// contact whose number being dialled (the alternate when AltIndex > 0) is
// already in flight in the campaign is skipped, and of two due contacts with
// the same number only the first is claimed. ENOTFOUND when the campaign
// does not exist.
func (s *ContactService) ClaimContacts(ctx context.Context, campaignID int64, now time.Time, limit int, agents []string) ([]*centralita.Contact, error) {
	out := []*centralita.Contact{}
	switch {
	case limit < 0:
		return nil, centralita.Errorf(centralita.EINVALID, "claim limit must not be negative")
	case limit == 0:
		return out, nil
	}
	limit = min(limit, maxContactLimit)
	tx, err := s.begin(ctx, true)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM campaigns WHERE id = ?`+s.forUpdate(), campaignID); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("campaign %d", campaignID))
	}
	owner, args := `c.agent = ''`, []any{campaignID, string(centralita.ContactPending), utc(now)}
	if len(agents) > 0 {
		owner, args = `(c.agent = '' OR c.agent IN (?))`, append(args, agents)
	}
	lock := ""
	if s.db.dialect.name == "mysql" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// Over-fetch: same-number duplicates among the candidates are dropped.
	q, args, err := sqlx.In(contactSelect+` WHERE c.campaign_id = ? AND c.state = ? AND c.enabled = 1
		AND c.in_flight = 0 AND (c.next_at IS NULL OR c.next_at <= ?) AND `+owner+`
		AND NOT EXISTS (SELECT 1 FROM contacts f WHERE f.campaign_id = c.campaign_id
			AND f.dial_number = c.dial_number AND f.in_flight = 1)
		ORDER BY c.priority, c.next_at, c.id LIMIT ?`+lock, append(args, 2*limit+8)...)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "claim query")
	}
	var rows []*contactRow
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return nil, s.db.translate(err, "contacts")
	}
	seen := make(map[string]bool, len(rows))
	ids := make([]int64, 0, limit)
	for _, r := range rows {
		if len(ids) == limit {
			break
		}
		if seen[r.DialNumber] {
			continue
		}
		seen[r.DialNumber] = true
		c := r.contact()
		c.InFlight = true
		out = append(out, c)
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err = sqlx.In(`UPDATE contacts SET in_flight = 1 WHERE id IN (?)`, ids)
	if err != nil {
		return nil, centralita.WrapError(centralita.EINTERNAL, err, "claim update")
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return nil, s.db.translate(err, "contacts")
	}
	if err := tx.Commit(); err != nil {
		return nil, s.db.translate(err, "contacts")
	}
	return out, nil
}

// ReleaseInFlight clears InFlight on the contacts of the campaign (of every
// campaign when campaignID is 0) but those in except.
func (s *ContactService) ReleaseInFlight(ctx context.Context, campaignID int64, except []int64) error {
	q, args := `UPDATE contacts SET in_flight = 0 WHERE in_flight = 1`, []any{}
	if campaignID != 0 {
		q, args = q+` AND campaign_id = ?`, append(args, campaignID)
	}
	if len(except) > 0 {
		q, args = q+` AND id NOT IN (?)`, append(args, except)
	}
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return centralita.WrapError(centralita.EINTERNAL, err, "release query")
	}
	if _, err := s.db.db.ExecContext(ctx, s.db.db.Rebind(q), args...); err != nil {
		return s.db.translate(err, "contacts")
	}
	return nil
}
