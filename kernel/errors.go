package kernel

import (
	"errors"
	"fmt"
	"github.com/steward-os/steward/session"
)

// Error is a user-facing error: a stable code and a plain message.
type Error struct {
	Code    string
	Message string
	Err     error // internal cause, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Stable returns the code and message a user may see.
func (e *Error) Stable() (string, string) { return e.Code, e.Message }

// Errf builds an *Error.
func Errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError converts any error into a user-facing *Error; unknown errors become
// session.CodeInternal with a message that reveals nothing.
func AsError(err error) *Error {
	var ke *Error
	if errors.As(err, &ke) {
		return ke
	}
	return &Error{Code: session.CodeInternal, Message: "Something went wrong on our side; nothing was changed by this request.", Err: err}
}
