// Package redact masks personal data and removes secrets from values before
// they are written to the audit trail or shown to a model, and removes
// secrets from every log record (Handler, a slog.Handler wrapper).
//
// Contract. A Masker is safe for concurrent use; its secrets may grow
// (AddSecrets, when a module resolves a credential at start-up) and never
// shrink, and every copy made by WithFields shares them. Mask never
// returns a secret it was told about (exact values given to New or
// AddSecrets, as they are or URL-escaped, and well-known token shapes);
// a Handler never hands its wrapped handler a record that holds one. Emails and
// phone numbers are replaced by stable placeholders that keep a short hash,
// so records stay correlatable without holding the data.
package redact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

var (
	reEmail  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	rePhone  = regexp.MustCompile(`\+?\d[\d\s().\-]{7,}\d`)
	reIPv4   = regexp.MustCompile(`^\d{1,3}(?:\.\d{1,3}){3}$`)
	reTokens = regexp.MustCompile(`\b(?:sk-[A-Za-z0-9_\-]{16,}|xox[abpr]-[A-Za-z0-9\-]{10,}|xapp-[A-Za-z0-9\-]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16})\b`)
	// A Telegram bot token, alone or in a Bot API path (".../bot<token>/getMe").
	reTelegram = regexp.MustCompile(`(\bbot|\b)\d{6,}:[A-Za-z0-9_\-]{30,}\b`)
	reBearer   = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/\-]+=*`)
)

// Masker masks PII and secrets.
type Masker struct {
	secrets *secretSet
	fields  map[string]bool
}

// secretSet is the secrets a Masker and its copies remove, longest first.
type secretSet struct {
	mu   sync.Mutex
	list atomic.Pointer[[]string]
}

func (s *secretSet) load() []string {
	if s == nil {
		return nil
	}
	if l := s.list.Load(); l != nil {
		return *l
	}
	return nil
}

func (s *secretSet) add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := slices.Clone(s.load())
	for _, v := range secrets {
		if len(v) < 4 {
			continue
		}
		// A secret in a URL (a bot token in a request path, as client
		// libraries' errors show it) may appear escaped.
		for _, form := range []string{v, url.PathEscape(v), url.QueryEscape(v)} {
			if !slices.Contains(next, form) {
				next = append(next, form)
			}
		}
	}
	sort.Slice(next, func(i, j int) bool { return len(next[i]) > len(next[j]) })
	s.list.Store(&next)
}

// AddSecrets makes the masker (and every copy of it) remove these values
// too, as they are and URL-escaped. Values shorter than four characters
// are ignored.
func (m *Masker) AddSecrets(secrets ...string) {
	if m != nil && m.secrets != nil {
		m.secrets.add(secrets...)
	}
}

// WithFields returns a copy that also masks the whole value of every
// object field with one of these names (configured personal fields).
func (m *Masker) WithFields(names ...string) *Masker {
	c := &Masker{secrets: m.secrets, fields: map[string]bool{}}
	for k := range m.fields {
		c.fields[k] = true
	}
	for _, n := range names {
		c.fields[strings.ToLower(n)] = true
	}
	return c
}

// MaskedField reports whether a field is configured to be masked whole.
func (m *Masker) MaskedField(name string) bool {
	return m != nil && m.fields[strings.ToLower(name)]
}

// New returns a masker that also removes each of the given secret values.
func New(secrets ...string) *Masker {
	m := &Masker{secrets: &secretSet{}}
	m.secrets.add(secrets...)
	return m
}

func short(s string) string {
	h := sha256.Sum256([]byte(strings.ToLower(s)))
	return hex.EncodeToString(h[:4])
}

// Secrets removes credentials only (configured secrets and well-known
// token shapes), leaving personal data in place. The kernel applies it to
// inbound text so a pasted credential never reaches a router, a tool, the
// ledger or the audit trail.
func (m *Masker) Secrets(s string) string {
	if m == nil {
		return s
	}
	for _, sec := range m.secrets.load() {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[secret]")
		}
	}
	if hasFold(s, "bearer") {
		s = reBearer.ReplaceAllString(s, "Bearer [secret]")
	}
	if hasPrefixToken(s) && reTokens.FindStringIndex(s) != nil {
		s = reTokens.ReplaceAllString(s, "[secret]")
	}
	if hasDigitsColon(s) && reTelegram.FindStringIndex(s) != nil {
		s = reTelegram.ReplaceAllString(s, "${1}[secret]")
	}
	return s
}

// hasPrefixToken is a cheap, allocation-free pre-check for reTokens: one
// of its prefixes (sk-, xox, xapp-, AKIA, gh?_) is there.
func hasPrefixToken(s string) bool {
	if len(s) < 16 {
		return false
	}
	for _, p := range []string{"sk-", "xox", "xapp-", "AKIA"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return anyAt(s, "gh", func(i int) bool {
		return i+3 < len(s) && strings.IndexByte("pousr", s[i+2]) >= 0 && s[i+3] == '_'
	})
}

// hasDigitsColon is the pre-check for reTelegram: a colon after at least
// six digits.
func hasDigitsColon(s string) bool {
	return len(s) >= 37 && anyAt(s, ":", func(i int) bool {
		n := 0
		for k := i - 1; k >= 0 && s[k] >= '0' && s[k] <= '9'; k-- {
			n++
		}
		return n >= 6
	})
}

// anyAt reports whether ok holds at some index where sub occurs in s.
func anyAt(s, sub string, ok func(i int) bool) bool {
	for off := 0; ; {
		j := strings.Index(s[off:], sub)
		if j < 0 {
			return false
		}
		if ok(off + j) {
			return true
		}
		off += j + len(sub)
	}
}

// hasFold reports whether s holds sub (lower case ASCII), in any case.
func hasFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i] | 0x20; c == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// String masks one string: secrets and personal data.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	s = m.Secrets(s)
	if strings.IndexByte(s, '@') >= 0 {
		s = reEmail.ReplaceAllStringFunc(s, func(e string) string { return "<email:" + short(e) + ">" })
	}
	if digits(s) < 9 { // a phone number has at least nine digits
		return s
	}
	return maskPhones(s)
}

// maskPhones replaces phone numbers: runs of at least nine digits (with
// spaces, dots, dashes or parentheses) that stand alone. A run glued to a
// letter, a digit or a colon is part of something else (a hash, a
// timestamp, an identifier) and is left alone, as are IPv4 addresses.
func maskPhones(s string) string {
	locs := rePhone.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		p := s[l[0]:l[1]]
		if digits(p) < 9 || reIPv4.MatchString(p) || glued(s, l[0], l[1]) {
			continue
		}
		b.WriteString(s[last:l[0]])
		b.WriteString("<phone:" + short(p) + ">")
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func glued(s string, start, end int) bool {
	isWord := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':' || c == '_'
	}
	return start > 0 && isWord(s[start-1]) || end < len(s) && isWord(s[end])
}

// Value masks every string inside a JSON-like value (maps, slices, strings).
func (m *Masker) Value(v any) any {
	switch x := v.(type) {
	case string:
		return m.String(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if m.MaskedField(k) {
				out[k] = "<masked>"
				continue
			}
			out[k] = m.Value(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.Value(e)
		}
		return out
	default:
		return v
	}
}

// JSON masks a JSON document; invalid JSON is masked as a string. A
// document with nothing to mask is returned as it is (see clean); one
// with something to mask comes back re-encoded, compact and without
// HTML escaping.
func (m *Masker) JSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	if json.Valid(raw) && m.clean(raw) {
		return raw // nothing to mask: no decode/re-encode round trip
	}
	return m.slowJSON(raw)
}

// slowJSON masks a document by decoding it, masking every string and
// encoding it again.
func (m *Masker) slowJSON(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as the tool wrote them
	var v any
	if err := dec.Decode(&v); err != nil {
		return marshal(m.String(string(raw)))
	}
	return marshal(m.Value(v))
}

// Marshal encodes a JSON-like value as the masker writes it: without
// HTML escaping, so placeholders stay readable.
func Marshal(v any) json.RawMessage { return marshal(v) }

// marshal encodes without HTML escaping, so placeholders stay readable.
func marshal(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}
