package voice

import (
	"strings"
	"unicode"
)

// The words this package spells with (VOI-01). Identifiers are read back
// by this code, never by a model or a speech engine: letters in the NATO
// alphabet, digits one at a time, separators by name, in short groups.
var (
	nato = [26]string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
		"kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
		"victor", "whiskey", "x-ray", "yankee", "zulu"}
	digitWords = [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	sepWords   = map[rune]string{'-': "dash", '.': "dot", '_': "underscore", '/': "slash", ':': "colon", '@': "at"}
)

// groupOf is how many letters or digits are said before a pause.
const groupOf = 4

// Spell spells an identifier for a listener: "staging-1" is "sierra tango
// alpha golf, india november golf, dash, one". Letters become NATO words,
// digits are said one at a time, separators by name; runs of letters or
// digits are cut into groups of at most four, and groups are separated by
// commas (a pause when spoken). Characters it cannot say are left out.
func Spell(id string) string {
	var groups []string
	for _, run := range runs(id) {
		if w, ok := sepWords[run[0]]; ok && len(run) == 1 {
			groups = append(groups, w)
			continue
		}
		for i := 0; i < len(run); i += groupOf {
			var ws []string
			for _, r := range run[i:min(i+groupOf, len(run))] {
				if w := symbolWord(r); w != "" {
					ws = append(ws, w)
				}
			}
			if len(ws) > 0 {
				groups = append(groups, strings.Join(ws, " "))
			}
		}
	}
	return strings.Join(groups, ", ")
}

// SpelledWords is Spell as a list of words, without pauses: what a caller
// says to spell the identifier.
func SpelledWords(id string) []string {
	var out []string
	for _, r := range strings.ToLower(id) {
		if w := symbolWord(r); w != "" {
			out = append(out, w)
		} else if w, ok := sepWords[r]; ok {
			out = append(out, w)
		}
	}
	return out
}

func symbolWord(r rune) string {
	r = unicode.ToLower(r)
	switch {
	case r >= 'a' && r <= 'z':
		return nato[r-'a']
	case r >= '0' && r <= '9':
		return digitWords[r-'0']
	}
	return ""
}

// runs splits an identifier into runs of letters, runs of digits and
// single separators.
func runs(id string) [][]rune {
	var out [][]rune
	var cur []rune
	kind := 0 // 1 letters, 2 digits
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur, kind = nil, 0
	}
	for _, r := range strings.ToLower(id) {
		k := 0
		switch {
		case r >= 'a' && r <= 'z':
			k = 1
		case r >= '0' && r <= '9':
			k = 2
		}
		if k == 0 {
			flush()
			if _, ok := sepWords[r]; ok {
				out = append(out, []rune{r})
			}
			continue
		}
		if k != kind {
			flush()
		}
		kind = k
		cur = append(cur, r)
	}
	flush()
	return out
}

// Lexicon says which words a recognizer knows; a word it does not know
// is said letter by letter.
type Lexicon interface {
	Knows(word string) bool
}

// AnyWord is the lexicon of an open recognizer: it knows every word.
type AnyWord struct{}

// Knows implements Lexicon.
func (AnyWord) Knows(string) bool { return true }

// Name is how an identifier is said as a name: "web-1" is "web one",
// "shop.acme.test" is "shop dot acme dot test", "db-1" is "d b one" (a run
// of letters the lexicon does not know as a word, or shorter than three
// letters, is said letter by letter). Dashes and underscores are silent.
func Name(id string, lex Lexicon) []string {
	var out []string
	for _, run := range runs(id) {
		r := run[0]
		switch {
		case len(run) == 1 && sepWords[r] != "":
			if r != '-' && r != '_' {
				out = append(out, sepWords[r])
			}
		case r >= '0' && r <= '9':
			for _, d := range run {
				out = append(out, digitWords[d-'0'])
			}
		default:
			w := string(run)
			if len(run) >= 3 && hasVowel(w) && (lex == nil || lex.Knows(w)) {
				out = append(out, w)
				continue
			}
			for _, c := range run {
				out = append(out, string(c))
			}
		}
	}
	return out
}

func hasVowel(w string) bool { return strings.ContainsAny(w, "aeiouy") }

// ParseSpelled reads a spelled identifier back from words: NATO letters,
// digit words and separator names, anything else ignored. It returns ""
// when the words spell nothing.
func ParseSpelled(words []string) string {
	var b strings.Builder
	for _, w := range words {
		if r, ok := spelledSymbol(w); ok {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func spelledSymbol(w string) (rune, bool) {
	for i, n := range nato {
		if w == n || (n == "x-ray" && w == "xray") || (n == "juliet" && w == "juliett") {
			return rune('a' + i), true
		}
	}
	for i, d := range digitWords {
		if w == d {
			return rune('0' + i), true
		}
	}
	if w == "oh" {
		return '0', true
	}
	for r, s := range sepWords {
		if w == s {
			return r, true
		}
	}
	return 0, false
}
