package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/centralita/centralita"
)

// UserService stores users.
type UserService struct{ db *DB }

// NewUserService returns the user store on db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

var _ centralita.UserService = (*UserService)(nil)

const userColumns = `id, username, password_hash, role, created_at`

// CreateUser inserts user and sets its ID and CreatedAt; a taken username is ECONFLICT.
func (s *UserService) CreateUser(ctx context.Context, u *centralita.User) error {
	if err := validateUsername(u.Username); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return centralita.Errorf(centralita.EINVALID, "role %q: want admin, supervisor or agent", u.Role)
	}
	if u.PasswordHash == "" {
		return centralita.Errorf(centralita.EINVALID, "user %q has no password", u.Username)
	}
	u.CreatedAt = utc(s.db.now())
	res, err := s.db.db.ExecContext(ctx,
		`INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
		u.Username, u.PasswordHash, string(u.Role), u.CreatedAt)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("user %q", u.Username))
	}
	u.ID, err = res.LastInsertId()
	return err
}

// validateUsername accepts 1 to 80 printable characters without spaces or colons
// (a colon cannot travel in HTTP Basic credentials).
func validateUsername(name string) error {
	if name == "" || len(name) > 80 || strings.ContainsAny(name, ": \t\r\n") {
		return centralita.Errorf(centralita.EINVALID, "username %q: want 1 to 80 characters, no spaces or colons", name)
	}
	return nil
}

// FindUserByUsername returns the user with that username.
func (s *UserService) FindUserByUsername(ctx context.Context, username string) (*centralita.User, error) {
	var u centralita.User
	if err := s.db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE username = ?`, username); err != nil {
		return nil, s.db.translate(err, fmt.Sprintf("user %q", username))
	}
	return &u, nil
}

// FindUsers lists every user, oldest first.
func (s *UserService) FindUsers(ctx context.Context) ([]*centralita.User, error) {
	users := []*centralita.User{}
	if err := s.db.db.SelectContext(ctx, &users, `SELECT `+userColumns+` FROM users ORDER BY id`); err != nil {
		return nil, s.db.translate(err, "users")
	}
	return users, nil
}

// DeleteUser removes the user with that username.
func (s *UserService) DeleteUser(ctx context.Context, username string) error {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM users WHERE username = ?`, username)
	if err != nil {
		return s.db.translate(err, fmt.Sprintf("user %q", username))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return centralita.Errorf(centralita.ENOTFOUND, "user %q not found", username)
	}
	return nil
}

// CountUsers returns how many users exist.
func (s *UserService) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, s.db.translate(err, "users")
	}
	return n, nil
}
