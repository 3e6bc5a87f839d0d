package redact

import (
	"bytes"
	"encoding/json"
	"sync"
	"unsafe"
)

// The fast path of JSON masking. Most records hold nothing to mask (ids,
// counts, tool names, text already masked), so before decoding a document
// the masker scans its bytes once: a document whose string values String
// would leave as they are, whose keys name no masked field and whose
// strings hold no escape sequence is returned as it is, without the
// decode/re-encode round trip. Anything else takes the full path.

// clean reports whether masking raw (valid JSON) would change nothing:
// every string literal is free of escapes (so its bytes are its value),
// every value string is unchanged by String and no key is a masked field.
func (m *Masker) clean(raw []byte) bool {
	if m == nil || len(raw) == 0 {
		return true
	}
	// raw is not modified while s is in use, and s is not kept.
	s := unsafe.String(&raw[0], len(raw))
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		end := i + 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				return false
			}
			end++
		}
		if end >= len(s) {
			return false
		}
		lit := s[i+1 : end]
		i = end
		if isKey(s, end+1) {
			if len(m.fields) > 0 && m.MaskedField(lit) {
				return false
			}
			continue
		}
		if m.String(lit) != lit {
			return false
		}
	}
	return true
}

// isKey reports whether the next non-space byte from i is a colon: the
// string before it was an object key.
func isKey(s string, i int) bool {
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		default:
			return false
		}
	}
	return false
}

var encoders = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// EncodeJSON encodes v as the masker writes JSON (no HTML escaping) and
// masks it: one encode, then the byte scan, and the decode/re-encode
// round trip only when the scan finds something to mask. The result is
// the caller's to keep.
func (m *Masker) EncodeJSON(v any) (json.RawMessage, error) {
	b := encoders.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= 64<<10 { // a rare huge record does not pin its buffer
			encoders.Put(b)
		}
	}()
	b.Reset()
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	raw := bytes.TrimRight(b.Bytes(), "\n")
	if m.clean(raw) {
		return bytes.Clone(raw), nil
	}
	return m.slowJSON(raw), nil
}
