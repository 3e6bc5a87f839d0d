package ground

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type kind uint8

const (
	kWord   kind = iota // letters only ("running", "isn't")
	kIdent              // contains a digit or an inner . - _ : ("web-1", "acme.test", "size_mb")
	kNumber             // 38, -3, 1.5, 1,240, 62%, 5GB
	kDate               // 2026-03-10 or a timestamp starting with one
	kTime               // 10:00, 10:00:00
	kPunct              // , ; : . ! ? ( ) [ ] { } - — quotes and newline
)

// token is one lexical unit of a text or of a fact string.
type token struct {
	kind kind
	text string // as written
	norm string // lower case; words without a trailing 's
	off  int    // byte offset in the text
	num  float64
	// numbers
	ordinal bool // 1st, 2nd
	// words
	neg bool // a contraction ending in n't
	// punctuation
	p byte
	// set by the checker
	skip bool // part of a month-name date, an enumerator, …
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// lex splits s into tokens. It never fails: anything it does not know is
// skipped.
func lex(s string) []token {
	toks := make([]token, 0, len(s)/4+4)
	for i := 0; i < len(s); {
		r, w := runeAt(s, i)
		switch {
		case r == '\n':
			toks = append(toks, token{kind: kPunct, p: '\n', text: "\n", off: i})
			i += w
		case unicode.IsSpace(r):
			i += w
		case isAlnum(r) || (r == '-' && i+1 < len(s) && isDigitByte(s[i+1]) && negStart(s, i)):
			j := scanWord(s, i)
			toks = append(toks, classify(s, i, j))
			i = j
		case r == '%':
			// a percent sign glued to a number keeps it a number; otherwise ignore
			i += w
		case r == '"' || r == '`' || r == '“' || r == '”':
			toks = append(toks, token{kind: kPunct, p: '"', text: s[i : i+w], off: i})
			i += w
		case r == '—' || r == '–':
			toks = append(toks, token{kind: kPunct, p: '-', text: s[i : i+w], off: i})
			i += w
		case r < utf8.RuneSelf && strings.IndexByte(",;:.!?()[]{}-", byte(r)) >= 0:
			toks = append(toks, token{kind: kPunct, p: byte(r), text: s[i : i+w], off: i})
			i += w
		default:
			i += w
		}
	}
	return toks
}

// negStart reports whether a '-' at i starts a negative number: it is at
// the start or after a space or an opening bracket.
func negStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	return c == ' ' || c == '(' || c == '[' || c == '\t' || c == '\n' || c == ':'
}

// scanWord returns the end of the word starting at i: letters and digits,
// joined by single . - _ (and : between digits), a thousands separator
// between digit groups, an apostrophe inside letters, and a trailing "(s)".
func scanWord(s string, i int) int {
	j := i
	if s[j] == '-' {
		j++
	}
	letters, digits := true, true // so far only letters / only digits and commas
	for j < len(s) {
		r, w := runeAt(s, j)
		if isAlnum(r) {
			if unicode.IsDigit(r) {
				letters = false
			} else {
				digits = false
			}
			j += w
			continue
		}
		nr, _ := runeAt(s, j+w)
		switch r {
		case '-', '.', '_':
			if isAlnum(nr) {
				letters, digits = false, false
				j += w
				continue
			}
		case ':':
			if isDigitByte(s[j-1]) && j+1 < len(s) && isDigitByte(s[j+1]) {
				letters, digits = false, false
				j += w
				continue
			}
		case ',':
			if digits && thousands(s, i, j) {
				j += 4
				continue
			}
		case '\'', '’':
			if letters && unicode.IsLetter(nr) {
				j += w
				continue
			}
		case '(':
			if letters && strings.HasPrefix(s[j:], "(s)") {
				j += 3
			}
		}
		return j
	}
	return j
}

// thousands reports whether the comma at j separates digit groups
// ("1,240"): three digits follow and the digits before form valid groups.
func thousands(s string, i, j int) bool {
	if j+4 > len(s) {
		return false
	}
	for k := j + 1; k <= j+3; k++ {
		if !isDigitByte(s[k]) {
			return false
		}
	}
	if j+4 < len(s) && isDigitByte(s[j+4]) {
		return false
	}
	return groupOK(s[i:j])
}

// groupOK: the digits before a thousands comma are 1–3 digits, or already
// grouped.
func groupOK(prefix string) bool {
	prefix = strings.TrimPrefix(prefix, "-")
	if k := strings.LastIndexByte(prefix, ','); k >= 0 {
		return len(prefix)-k-1 == 3
	}
	return len(prefix) >= 1 && len(prefix) <= 3
}

func classify(s string, i, j int) token {
	text := s[i:j]
	t := token{text: text, off: i}
	low := strings.ToLower(text)
	low = strings.ReplaceAll(low, "’", "'")
	switch {
	case isDateLike(low):
		t.kind, t.norm = kDate, low
		return t
	case isTime(low):
		t.kind, t.norm = kTime, low
		return t
	}
	if v, unit, ok := parseNumber(low); ok {
		t.kind, t.norm, t.num = kNumber, low, v
		t.ordinal = has(ordinals, unit)
		if j < len(s) && s[j] == '%' {
			t.norm += "%"
		}
		return t
	}
	if strings.HasSuffix(low, "(s)") {
		low = strings.TrimSuffix(low, "(s)") + "s"
	}
	if strings.ContainsAny(low, "0123456789.-_:") {
		t.kind, t.norm = kIdent, low
		return t
	}
	t.kind = kWord
	switch {
	case strings.HasSuffix(low, "n't"):
		t.neg = true
	case strings.HasSuffix(low, "'s"):
		low = strings.TrimSuffix(low, "'s")
	case strings.Contains(low, "'"):
		low = low[:strings.IndexByte(low, '\'')]
	}
	t.norm = low
	return t
}

// isDateLike: YYYY-MM-DD, optionally followed by a time (T10:00:00Z).
func isDateLike(s string) bool {
	if len(s) < 10 {
		return false
	}
	for k := 0; k < 10; k++ {
		c := s[k]
		if k == 4 || k == 7 {
			if c != '-' {
				return false
			}
		} else if !isDigitByte(c) {
			return false
		}
	}
	return len(s) == 10 || s[10] == 't'
}

func isTime(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || len(parts[0]) > 2 || len(parts[0]) == 0 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for k := 0; k < len(p); k++ {
			if !isDigitByte(p[k]) {
				return false
			}
		}
	}
	for _, p := range parts[1:] {
		if len(p) != 2 {
			return false
		}
	}
	return true
}

// parseNumber reads 38, -3, 1.5, 1,240 and a number with a unit or ordinal
// suffix ("5gb", "2nd"). It rejects identifiers such as 203.0.113.10.
func parseNumber(s string) (float64, string, bool) {
	k := 0
	if strings.HasPrefix(s, "-") {
		k = 1
	}
	end := k
	dots := 0
	for end < len(s) && (isDigitByte(s[end]) || s[end] == ',' || s[end] == '.') {
		if s[end] == '.' {
			dots++
		}
		end++
	}
	if end == k || dots > 1 {
		return 0, "", false
	}
	unit := s[end:]
	if unit != "" && !has(numberUnits, unit) && !has(ordinals, unit) {
		return 0, "", false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s[:end], ",", ""), 64)
	if err != nil {
		return 0, "", false
	}
	return v, unit, true
}
