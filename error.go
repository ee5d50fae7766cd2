package centralita

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error; each facade maps a kind to its own wire
// code once (HTTP status, SOAP code, Integra text).
type Kind string

// The error kinds. The set is deliberately small.
const (
	EINVALID      Kind = "invalid"      // the request is malformed or breaks a rule
	ENOTFOUND     Kind = "not_found"    // the thing named does not exist
	ECONFLICT     Kind = "conflict"     // it exists already, or its state forbids the change
	EUNAUTHORIZED Kind = "unauthorized" // no valid credentials
	EFORBIDDEN    Kind = "forbidden"    // valid credentials, not allowed
	ELIMITED      Kind = "limited"      // too many requests or failed attempts; try later
	EUNAVAILABLE  Kind = "unavailable"  // a dependency (database, Asterisk) is down
	EINTERNAL     Kind = "internal"     // a bug or an unexpected failure
)

// Error is Centralita's one domain error type.
type Error struct {
	// Kind is what kind of failure this is.
	Kind Kind
	// Message is safe to show to the caller.
	Message string
	// Err is the underlying cause, kept for logs; never shown to callers.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns a domain error of the given kind that keeps err as its cause.
func WrapError(kind Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorKind returns the kind of the first domain error in err's chain,
// EINTERNAL for any other non-nil error, and "" for nil.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first domain error in
// err's chain, or a generic text for any other error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
