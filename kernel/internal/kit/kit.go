// Package kit holds what every part of the kernel shares: the user-facing
// error type, id generation, canonical arguments and their hash, and the
// audit recorder every part writes through.
//
// Contract. Nothing here decides anything: it gives the parts one way to
// say "this failed, with this stable code", one way to name things, one
// way to hash a tool call and one way to write an audit record, so that no
// part re-implements them. Standard library and the audit log only.
package kit

import (
	"crypto/rand"
	"encoding/base32"
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

// Stable returns the code and message a user may see (session.StableError).
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

// Part renders an error as a reply part.
func Part(err error) *session.Error {
	ke := AsError(err)
	return &session.Error{Code: ke.Code, Message: ke.Message}
}

// Message is the user-facing message of an error, "" for nil.
func Message(err error) string {
	if err == nil {
		return ""
	}
	return AsError(err).Message
}

var idEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 16 random base32 characters.
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + idEnc.EncodeToString(b[:])
}
