package ground

import (
	"fmt"
	"strings"
)

// Identifiers and quoted text.

// quotes checks that quoted text ("…", `…`) appears in the facts.
func (c *checker) quotes() {
	open := -1
	for i, t := range c.toks {
		if t.kind == kPunct && t.p == '\n' {
			open = -1
			continue
		}
		if t.kind != kPunct || t.p != '"' {
			continue
		}
		if open < 0 {
			open = i
			continue
		}
		start := c.toks[open].off + len(c.toks[open].text)
		inner := strings.ToLower(strings.TrimSpace(c.text[start:t.off]))
		open = -1
		if inner == "" || c.quoteOK(inner) {
			continue
		}
		c.fail(KindIdentifier, token{text: c.text[start:t.off], off: start}, "no fact contains the quoted text")
	}
}

func (c *checker) quoteOK(q string) bool {
	q = strings.TrimRight(q, ".,;:!?")
	if q == "" || has(c.x.toks, q) || has(c.x.words, q) {
		return true
	}
	for _, s := range c.x.strs {
		if strings.Contains(s, q) {
			return true
		}
	}
	return false
}

func (c *checker) identOK(t token) bool {
	n := strings.TrimRight(t.norm, ".-_:")
	if has(c.x.toks, n) || has(c.x.words, n) {
		return true
	}
	// A dotted name made of two supported names: record "www" in zone
	// "acme.test" is www.acme.test.
	for k := 0; k < len(n); k++ {
		if n[k] == '.' && k > 0 && k < len(n)-1 {
			if has(c.x.toks, n[:k]) && has(c.x.toks, n[k+1:]) {
				return true
			}
		}
	}
	return false
}

// identLike reports whether an unsupported token with an inner . - _ or a
// digit really names something. Letter-only hyphenated words are names
// only when a part of them is a part of a name in the facts ("eu-central"
// when the facts say "eu-west") or a part is one or two letters; common
// compounds and abbreviations are not names.
func (c *checker) identLike(t token) bool {
	n := strings.TrimRight(t.norm, ".-_:")
	if has(compounds, n) || has(abbreviations, n) {
		return false
	}
	if strings.ContainsAny(n, "0123456789._:") {
		return true
	}
	for _, p := range strings.Split(n, "-") {
		if has(c.x.idParts, p) || len(p) <= 2 {
			return true
		}
	}
	return false
}

// identWith checks a name against the first name of its clause: "db-1
// (us-east, …)" needs a fact object that gives both, unless the two are
// peers (values of the same key, as in a list of server names).
func (c *checker) identWith(i int) {
	t := c.toks[i]
	s := ""
	for k := max(c.clause[i], i-2*window); k < i; k++ {
		if c.subjOK[k] && c.toks[k].norm != t.norm {
			s = c.toks[k].norm
			break
		}
	}
	if s == "" {
		return
	}
	for _, o := range c.mentioning(s) {
		if o.mentions(t.norm) {
			return
		}
	}
	if c.x.siblings(s, t.norm) {
		return
	}
	c.fail(KindIdentifier, t, fmt.Sprintf("no fact gives %s together with %s", t.norm, s))
}
