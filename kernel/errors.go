package kernel

import (
	"encoding/json"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/session"
)

// Error is a user-facing error: a stable code and a plain message (it
// implements session.StableError).
type Error = kit.Error

// Errf builds an *Error.
func Errf(code, format string, args ...any) *Error { return kit.Errf(code, format, args...) }

// AsError converts any error into a user-facing *Error; unknown errors
// become session.CodeInternal with a message that reveals nothing.
func AsError(err error) *Error { return kit.AsError(err) }

// ArgsHash is the hash shown on a proposal and re-checked at execution:
// SHA-256 over the tool id and its canonical arguments.
func ArgsHash(tool session.ToolID, canonicalArgs json.RawMessage) string {
	return kit.ArgsHash(tool, canonicalArgs)
}
