package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/centralita/centralita"
)

// QueueService stores queue configuration and memberships.
type QueueService struct{ db *DB }

// NewQueueService returns the queue store on db.
func NewQueueService(db *DB) *QueueService { return &QueueService{db: db} }

var _ centralita.QueueService = (*QueueService)(nil)

const queueColumns = `name, description, strategy, ring_timeout_sec, retry_sec, wrapup_sec,
	service_level_sec, service_level2_sec, penalty_step_sec, max_wait_sec, overflow_queue,
	overflow_sound, music_class, announce_sec, record, created_at, updated_at`

const memberColumns = `queue_name, agent_number, penalty, position, paused, pause_reason, paused_at`

// validateQueue applies Queue.Validate and the column sizes.
func validateQueue(q *centralita.Queue) error {
	if q == nil {
		return centralita.Errorf(centralita.EINVALID, "no queue given")
	}
	if err := q.Validate(); err != nil {
		return err
	}
	switch {
	case len(q.Description) > 255:
		return centralita.Errorf(centralita.EINVALID, "queue %q: description must have at most 255 characters", q.Name)
	case len(q.OverflowQueue) > 128:
		return centralita.Errorf(centralita.EINVALID, "queue %q: overflow queue name must have at most 128 characters", q.Name)
	case len(q.OverflowSound) > 255:
		return centralita.Errorf(centralita.EINVALID, "queue %q: overflow sound must have at most 255 characters", q.Name)
	case len(q.MusicClass) > 80:
		return centralita.Errorf(centralita.EINVALID, "queue %q: music class must have at most 80 characters", q.Name)
	}
	return nil
}

// CreateQueue inserts q as given (no defaults applied) and sets its
// CreatedAt and UpdatedAt; a taken name is ECONFLICT.
func (s *QueueService) CreateQueue(ctx context.Context, q *centralita.Queue) error {
	if err := validateQueue(q); err != nil {
		return err
	}
	now := utc(s.db.now())
	q.CreatedAt, q.UpdatedAt = now, now
	_, err := s.db.db.NamedExecContext(ctx, `INSERT INTO queues (`+queueColumns+`) VALUES (
		:name, :description, :strategy, :ring_timeout_sec, :retry_sec, :wrapup_sec,
		:service_level_sec, :service_level2_sec, :penalty_step_sec, :max_wait_sec, :overflow_queue,
		:overflow_sound, :music_class, :announce_sec, :record, :created_at, :updated_at)`, q)
	return s.db.translate(err, fmt.Sprintf("queue %q", q.Name))
}

// UpdateQueue replaces the queue named q.Name, sets its UpdatedAt and reads
// back its CreatedAt; ENOTFOUND when absent.
func (s *QueueService) UpdateQueue(ctx context.Context, q *centralita.Queue) error {
	if err := validateQueue(q); err != nil {
		return err
	}
	what := fmt.Sprintf("queue %q", q.Name)
	q.UpdatedAt = utc(s.db.now())
	_, err := s.db.db.NamedExecContext(ctx, `UPDATE queues SET description = :description,
		strategy = :strategy, ring_timeout_sec = :ring_timeout_sec, retry_sec = :retry_sec,
		wrapup_sec = :wrapup_sec, service_level_sec = :service_level_sec,
		service_level2_sec = :service_level2_sec, penalty_step_sec = :penalty_step_sec,
		max_wait_sec = :max_wait_sec, overflow_queue = :overflow_queue,
		overflow_sound = :overflow_sound, music_class = :music_class,
		announce_sec = :announce_sec, record = :record, updated_at = :updated_at WHERE name = :name`, q)
	if err != nil {
		return s.db.translate(err, what)
	}
	// MySQL counts changed rows only: reading created_at back tells "absent" apart.
	if err := s.db.db.GetContext(ctx, &q.CreatedAt, `SELECT created_at FROM queues WHERE name = ?`, q.Name); err != nil {
		return s.db.translate(err, what)
	}
	return nil
}

// DeleteQueue removes a queue and (by cascade) its memberships; ENOTFOUND when absent.
func (s *QueueService) DeleteQueue(ctx context.Context, name string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM queues WHERE name = ?`, name)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("queue %q", name))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "queue %q not found", name)
	}
	return nil
}

// FindQueue returns the queue with that name.
func (s *QueueService) FindQueue(ctx context.Context, name string) (*centralita.Queue, error) {
	var q centralita.Queue
	if err := s.db.db.GetContext(ctx, &q, `SELECT `+queueColumns+` FROM queues WHERE name = ?`, name); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("queue %q", name))
	}
	return &q, nil
}

// FindQueues lists every queue by name.
func (s *QueueService) FindQueues(ctx context.Context) ([]*centralita.Queue, error) {
	out := []*centralita.Queue{}
	if err := s.db.db.SelectContext(ctx, &out, `SELECT `+queueColumns+` FROM queues ORDER BY name`); err != nil {
		return nil, s.db.translate(err, "queues")
	}
	return out, nil
}

// SetMember inserts or updates a membership (penalty, position, pause, all
// as given); ENOTFOUND when the queue or agent does not exist.
func (s *QueueService) SetMember(ctx context.Context, m *centralita.QueueMember) error {
	switch {
	case m == nil:
		return centralita.Errorf(centralita.EINVALID, "no queue member given")
	case m.Queue == "" || m.Agent == "":
		return centralita.Errorf(centralita.EINVALID, "a queue member needs a queue and an agent")
	case m.Penalty < 0 || m.Position < 0:
		return centralita.Errorf(centralita.EINVALID, "member penalty and position must not be negative")
	case len(m.PauseReason) > 128:
		return centralita.Errorf(centralita.EINVALID, "pause reason must have at most 128 characters")
	}
	m.PausedAt = utcPtr(m.PausedAt)
	_, err := s.db.db.NamedExecContext(ctx, upsertSQL(s.db.dialect.name, "queue_members",
		[]string{"queue_name", "agent_number"}, []string{"penalty", "position", "paused", "pause_reason", "paused_at"}), m)
	if err == nil {
		return nil
	}
	// A missing queue or agent fails the foreign key: say which one.
	for _, p := range []struct{ table, col, what, val string }{
		{"queues", "name", "queue", m.Queue},
		{"agents", "number", "agent", m.Agent},
	} {
		var n int
		if cerr := s.db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM `+p.table+` WHERE `+p.col+` = ?`, p.val); cerr == nil && n == 0 {
			return centralita.WrapError(centralita.ENOTFOUND, err, "%s %q not found", p.what, p.val)
		}
	}
	return s.db.translate(err, fmt.Sprintf("member %q of queue %q", m.Agent, m.Queue))
}

// RemoveMember deletes a membership; ENOTFOUND when absent.
func (s *QueueService) RemoveMember(ctx context.Context, queue, agent string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM queue_members WHERE queue_name = ? AND agent_number = ?`, queue, agent)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("member %q of queue %q", agent, queue))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "agent %q is not a member of queue %q", agent, queue)
	}
	return nil
}

// FindMembers lists memberships, filtered by queue and/or agent when not
// empty, ordered by queue, position, agent.
func (s *QueueService) FindMembers(ctx context.Context, queue, agent string) ([]*centralita.QueueMember, error) {
	var c conds
	c.eq("queue_name", queue)
	c.eq("agent_number", agent)
	q, args := c.query(`SELECT `+memberColumns+` FROM queue_members`, "queue_name, position, agent_number", 0, 0)
	out := []*centralita.QueueMember{}
	if err := s.db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, s.db.translate(err, "queue members")
	}
	return out, nil
}

// upsertSQL renders a named INSERT of keys and cols into table that, when
// the keys exist already, updates cols instead, in the dialect's syntax.
func upsertSQL(dialect, table string, keys, cols []string) string {
	all := append(append([]string{}, keys...), cols...)
	q := `INSERT INTO ` + table + ` (` + strings.Join(all, ", ") + `) VALUES (:` + strings.Join(all, ", :") + `)`
	set := make([]string, len(cols))
	for i, c := range cols {
		if dialect == "mysql" {
			set[i] = c + " = VALUES(" + c + ")"
		} else {
			set[i] = c + " = excluded." + c
		}
	}
	if dialect == "mysql" {
		return q + ` ON DUPLICATE KEY UPDATE ` + strings.Join(set, ", ")
	}
	return q + ` ON CONFLICT (` + strings.Join(keys, ", ") + `) DO UPDATE SET ` + strings.Join(set, ", ")
}
