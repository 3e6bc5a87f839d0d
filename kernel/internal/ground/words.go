package ground

import (
	"fmt"
	"strings"
)

// Words: statuses, names after a key noun, number words.

func (c *checker) word(i int) {
	t := c.toks[i]
	if has(c.x.words, t.norm) {
		return
	}
	if f, ok := numberWords[t.norm]; ok {
		if key := c.keyFor(i); key != "" {
			c.numberClaim(i, f, key)
		}
		return
	}
	if gs, ok := c.voc[t.norm]; ok {
		c.status(i, gs)
		return
	}
	// A plain word right after a noun the facts use as a key with plain-word
	// names ("database orders", "size m"), or in a list after that noun and
	// a colon ("Databases: orders, analytics."), is such a name.
	if c.inQuote[i] || has(stopwords, t.norm) || has(negators, t.norm) || months[t.norm] != 0 ||
		has(c.x.toks, t.norm) || t.neg || verbForm(t.norm) {
		return
	}
	if noun := c.nameSlot(i); noun != "" {
		c.fail(KindIdentifier, t, fmt.Sprintf("no fact names a %s %q", noun, t.norm))
	}
}

// verbForm: a participle or gerund ("record pointing to", "database
// containing") is read as a verb, not a name.
func verbForm(w string) bool {
	return len(w) > 4 && (strings.HasSuffix(w, "ing") || strings.HasSuffix(w, "ed"))
}

// nameSlot returns the name-key noun whose name the word at i is, or "".
func (c *checker) nameSlot(i int) string {
	if i == 0 {
		return ""
	}
	if p := c.toks[i-1]; p.kind == kWord && has(c.x.nameKeys, singular(p.norm)) {
		return singular(p.norm)
	}
	// a list: Noun: a, b and c
	for k := i - 1; k >= max(c.sent[i], i-4*window); k-- {
		u := c.toks[k]
		switch {
		case u.kind == kPunct && u.p == ':':
			if k > 0 && c.toks[k-1].kind == kWord && has(c.x.nameKeys, singular(c.toks[k-1].norm)) {
				return singular(c.toks[k-1].norm)
			}
			return ""
		case u.kind == kPunct && u.p == ',':
		case u.kind == kWord && (u.norm == "and" || u.norm == "or"):
		case u.kind == kWord && k == i-1:
		case u.kind == kWord && c.isListItem(k):
		default:
			return ""
		}
	}
	return ""
}

// isListItem: a word preceded by a comma, a colon or "and"/"or" (an item
// of a list of names).
func (c *checker) isListItem(k int) bool {
	if k == 0 {
		return false
	}
	p := c.toks[k-1]
	return p.kind == kPunct && (p.p == ',' || p.p == ':') || p.kind == kWord && (p.norm == "and" || p.norm == "or")
}
