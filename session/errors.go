package session

import "errors"

// MaxTextLen bounds the text of one inbound message, in characters
// (runes), on every channel.
const MaxTextLen = 4000

// StableError is an error that carries a stable code and a message a user
// may see. The kernel's errors implement it; channels render any error
// through ErrorOf, so a cause that is not stable never leaks.
type StableError interface {
	error
	Stable() (code, message string)
}

// internalMessage is what a user sees for an error that is not stable.
const internalMessage = "Something went wrong on our side."

// ErrorOf returns the stable code and message an error carries
// (anywhere in its chain), or CodeInternal with a message that reveals
// nothing.
func ErrorOf(err error) (code, message string) {
	var s StableError
	if errors.As(err, &s) {
		return s.Stable()
	}
	return CodeInternal, internalMessage
}

// ErrorPart renders any error as a reply part (see ErrorOf).
func ErrorPart(err error) *Error {
	c, m := ErrorOf(err)
	return &Error{Code: c, Message: m}
}
