package store

import (
	"strings"
	"time"
)

// conds accumulates the WHERE conditions of a finder and their arguments.
type conds struct {
	where []string
	args  []any
}

// between bounds col to [from, to); zero times do not filter.
func (c *conds) between(col string, from, to time.Time) {
	if !from.IsZero() {
		c.where, c.args = append(c.where, col+" >= ?"), append(c.args, utc(from))
	}
	if !to.IsZero() {
		c.where, c.args = append(c.where, col+" < ?"), append(c.args, utc(to))
	}
}

// eq matches col exactly; an empty value does not filter.
func (c *conds) eq(col, val string) {
	if val != "" {
		c.where, c.args = append(c.where, col+" = ?"), append(c.args, val)
	}
}

// query renders SELECT head WHERE … ORDER BY order LIMIT …; limit 0 means no limit.
func (c *conds) query(head, order string, offset, limit int) (string, []any) {
	q := head
	if len(c.where) > 0 {
		q += " WHERE " + strings.Join(c.where, " AND ")
	}
	q += " ORDER BY " + order
	args := c.args
	if limit > 0 || offset > 0 {
		if limit <= 0 {
			limit = 1 << 31
		}
		q += " LIMIT ? OFFSET ?"
		args = append(args, limit, max(offset, 0))
	}
	return q, args
}
