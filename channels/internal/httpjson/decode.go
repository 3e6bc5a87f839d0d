package httpjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/steward-os/steward/session"
)

// Strict decodes data, which must hold exactly one JSON object, into v,
// a struct whose fields name the members it takes. Member names match
// the fields' names exactly (case-sensitively), and a name may appear
// only once in an object: an unknown name (a case variant included) is
// unknown_field, a repeated name, a wrong type, invalid JSON or UTF-8,
// and anything after the object are bad_request. what names the input
// in the messages ("body", "frame"); code and msg are "" when v was
// filled.
func Strict(data []byte, v any, what string) (code, msg string) {
	return decode(data, v, what, true)
}

// Lenient is Strict for a look at a few members of a larger object:
// names v does not have are skipped, every other rule holds.
func Lenient(data []byte, v any, what string) (code, msg string) {
	return decode(data, v, what, false)
}

func decode(data []byte, v any, what string, strict bool) (code, msg string) {
	if len(bytes.TrimSpace(data)) == 0 {
		return session.CodeBadRequest, fmt.Sprintf("The %s is empty; send a JSON object.", what)
	}
	// The defaults refuse duplicate names and invalid UTF-8, and match
	// names case-sensitively; unknown names are refused on top.
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if err := json.UnmarshalDecode(dec, v, json.RejectUnknownMembers(strict)); err != nil {
		return describe(err, what)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return session.CodeBadRequest, fmt.Sprintf("The %s must hold exactly one JSON object.", what)
	}
	return "", ""
}

// describe turns a decoding error into a stable code and a message that
// names the member at fault.
func describe(err error, what string) (code, msg string) {
	var se *jsontext.SyntacticError
	var me *json.SemanticError
	switch {
	case errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName):
		return session.CodeBadRequest, fmt.Sprintf("The field %q appears more than once.", field(se.JSONPointer))
	case errors.As(err, &se):
		return session.CodeBadRequest, fmt.Sprintf("The %s is not valid JSON (at byte %d).", what, se.ByteOffset)
	case errors.As(err, &me) && errors.Is(me.Err, json.ErrUnknownName):
		return session.CodeUnknownField, fmt.Sprintf("Unknown field %q.", field(me.JSONPointer))
	case errors.As(err, &me) && me.JSONPointer == "":
		return session.CodeBadRequest, fmt.Sprintf("The %s must be a JSON object.", what)
	case errors.As(err, &me) && me.GoType != nil:
		return session.CodeBadRequest, fmt.Sprintf("The field %q must be a %s.", field(me.JSONPointer), me.GoType.Kind())
	case errors.As(err, &me):
		return session.CodeBadRequest, fmt.Sprintf("The field %q has the wrong type.", field(me.JSONPointer))
	}
	return session.CodeBadRequest, fmt.Sprintf("The %s is not valid JSON.", what)
}

// field is a JSON pointer as the dotted path of member names.
func field(p jsontext.Pointer) string {
	var parts []string
	for t := range p.Tokens() {
		parts = append(parts, t)
	}
	return strings.Join(parts, ".")
}

// ErrAmbiguousName is CheckNames's error for an object that names a
// member twice, or two that differ only in case.
var ErrAmbiguousName = errors.New("ambiguous member name")

// CheckNames checks that data is one JSON value in which no object holds
// a member name twice, or two names that differ only in case (compared
// with Unicode case folding, as encoding/json matches names); the error
// wraps ErrAmbiguousName when one does. It is for bodies decoded into
// types that match names case-insensitively (a chat platform's, through
// its client library): without either, every member reaches the one
// field it names.
func CheckNames(data []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	var objects []map[string]string // per open object: folded name → name
	for {
		tok, err := dec.ReadToken()
		var se *jsontext.SyntacticError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName):
			return fmt.Errorf("%w: %q appears twice", ErrAmbiguousName, field(se.JSONPointer))
		case err != nil:
			return err
		}
		switch tok.Kind() {
		case '{':
			objects = append(objects, map[string]string{})
		case '[':
			objects = append(objects, nil)
		case '}', ']':
			objects = objects[:len(objects)-1]
		case '"':
			// A string is a name when it is at an even position of its
			// object (names and values are counted alike).
			if kind, n := dec.StackIndex(dec.StackDepth()); kind == '{' && n%2 == 1 {
				name, key := tok.String(), fold(tok.String())
				if prev, ok := objects[len(objects)-1][key]; ok {
					return fmt.Errorf("%w: %q and %q differ only in case", ErrAmbiguousName, prev, name)
				}
				objects[len(objects)-1][key] = name
			}
		}
	}
}

// fold maps each rune of s to the smallest rune of its case-folding
// orbit, so that fold(a) == fold(b) exactly when strings.EqualFold(a, b).
func fold(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		out = append(out, m)
	}
	return string(out)
}
