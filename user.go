package centralita

import (
	"context"
	"time"
)

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleAdmin      Role = "admin"      // configures everything
	RoleSupervisor Role = "supervisor" // watches and steers queues, agents and campaigns
	RoleAgent      Role = "agent"      // takes calls and works contacts
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleSupervisor, RoleAgent:
		return true
	}
	return false
}

// User is a person or system that signs in with a username and password.
type User struct {
	ID           int64     `db:"id"`
	Username     string    `db:"username"`
	PasswordHash string    `db:"password_hash"`
	Role         Role      `db:"role"`
	CreatedAt    time.Time `db:"created_at"`
}

// UserService stores users.
type UserService interface {
	// CreateUser inserts user (with its PasswordHash set) and sets its ID;
	// a taken username is ECONFLICT.
	CreateUser(ctx context.Context, user *User) error
	// FindUserByUsername returns the user with that username.
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	// FindUsers lists every user, oldest first.
	FindUsers(ctx context.Context) ([]*User, error)
	// DeleteUser removes the user with that username.
	DeleteUser(ctx context.Context, username string) error
	// CountUsers returns how many users exist.
	CountUsers(ctx context.Context) (int, error)
}

// Principal is who an authenticated request acts as: a user or an access key.
type Principal struct {
	// User is set when a user signed in.
	User *User
	// Key is set when an access key was presented.
	Key *AccessKey
}

// Authenticator checks the credentials every facade accepts. Failed attempts
// count against the client's address; too many give ELIMITED.
type Authenticator interface {
	// AuthenticateKey checks an access key presented by clientIP.
	AuthenticateKey(ctx context.Context, key, clientIP string) (*AccessKey, error)
	// AuthenticateUser checks a username and password presented by clientIP.
	AuthenticateUser(ctx context.Context, username, password, clientIP string) (*User, error)
}
