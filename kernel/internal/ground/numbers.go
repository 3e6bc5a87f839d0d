package ground

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Numbers and counts.

func (c *checker) number(i int) {
	t := c.toks[i]
	if t.ordinal {
		return
	}
	if key := c.keyFor(i); key != "" {
		c.numberClaim(i, t.num, key)
		return
	}
	f := t.num
	if hasNum(c.x.nums, f) {
		return
	}
	if f == math.Trunc(f) && f >= 1900 && f <= 2100 {
		if _, ok := c.x.years[int(f)]; ok {
			return
		}
	}
	for _, a := range c.x.arrays {
		if c.filtered(a, i, f) {
			return
		}
	}
	c.fail(KindNumber, t, "no fact contains the number "+strconv.FormatFloat(f, 'f', -1, 64))
}

// numberClaim checks a number that refers to a fact key: a value of that
// key (of the subject's object when the subject has one) or, for a list,
// its length or the number of its items that match a word of the clause.
func (c *checker) numberClaim(i int, f float64, key string) {
	t := c.toks[i]
	subj := c.subject(i)
	vals := c.x.keyNums[key]
	if subj != "" {
		var own []float64
		found := false
		for _, o := range c.mentioning(subj) {
			if vs, ok := o.numsOf(key); ok {
				found = true
				own = append(own, vs...)
			}
		}
		if found {
			vals = own
		}
	}
	if inNums(vals, f) || inNums(c.x.argNums[key], f) {
		return
	}
	arrs := c.x.keyArrs[key]
	lens := arrs
	if subj != "" {
		var own []*array
		for _, a := range arrs {
			if a.parent != nil && a.parent.mentions(subj) {
				own = append(own, a)
			}
		}
		if len(own) > 0 {
			lens = own
		}
	}
	for _, a := range lens {
		if float64(a.n) == f {
			return
		}
	}
	for _, a := range arrs {
		if c.filtered(a, i, f) {
			return
		}
	}
	kind := KindNumber
	if len(arrs) > 0 && f == math.Trunc(f) {
		kind = KindCount
	}
	if len(vals) == 0 && len(arrs) == 0 {
		c.fail(kind, t, fmt.Sprintf("no fact gives %s", key))
		return
	}
	what := "values"
	if kind == KindCount {
		what = "counts"
	}
	c.fail(kind, t, fmt.Sprintf("%s is not among the %s the facts give for %q", t.text, what, key))
}

// filtered reports whether f items of a match a word of the clause of
// token i: "3 are running" counts the items whose value or status is
// running. With a negation in the clause the complement counts too.
func (c *checker) filtered(a *array, i int, f float64) bool {
	if len(a.items) == 0 || f != math.Trunc(f) || f < 0 {
		return false
	}
	start, end := c.span(i, c.clause, window)
	neg := false
	for k := start; k < end; k++ {
		t := c.toks[k]
		if t.neg || has(negators, t.norm) {
			neg = true
		}
	}
	for k := start; k < end; k++ {
		t := c.toks[k]
		if k == i || (t.kind != kWord && t.kind != kIdent) {
			continue
		}
		gs, isStatus := c.voc[t.norm]
		n := 0
		for _, it := range a.items {
			if slices.Contains(it.vals, t.norm) || (isStatus && c.x.supports(it, gs, c.groups)) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if float64(n) == f || (neg && float64(len(a.items)-n) == f) {
			return true
		}
	}
	return false
}

// keyFor finds the fact key a number at i refers to: the noun after it
// ("3 servers", "5 days", "1240 MB", "3 of 4 tasks") or the word before
// it ("CPU 38%", "memory: 61%"). "" when neither is a key of the facts.
func (c *checker) keyFor(i int) string {
	t := c.toks[i]
	if u := unitOf(t); u != "" {
		if k := c.key(u); k != "" {
			return k
		}
	}
	for k, n := i+1, 0; k < len(c.toks) && n < 5; k, n = k+1, n+1 {
		u := c.toks[k]
		if u.kind == kNumber {
			continue
		}
		if u.kind != kWord {
			break
		}
		if key := c.key(u.norm); key != "" {
			return key
		}
		if _, isNum := numberWords[u.norm]; isNum || has(skipForward, u.norm) || c.voc[u.norm] != nil || has(c.x.toks, u.norm) && len(u.norm) <= 2 {
			continue
		}
		break
	}
	for k, n := i-1, 0; k >= 0 && n < 4; k-- {
		u := c.toks[k]
		if u.kind == kPunct {
			if u.p == ':' || u.p == '"' || u.p == '(' {
				continue
			}
			break
		}
		n++
		if u.kind != kWord {
			break
		}
		if key := c.key(u.norm); key != "" {
			return key
		}
		if has(fillers, u.norm) {
			continue
		}
		break
	}
	return ""
}

// key returns the key word w answers to, if the facts have a numeric or
// list value under it.
func (c *checker) key(w string) string {
	if has(fillers, w) || has(stopwordsNotKeys, w) {
		return ""
	}
	for _, k := range []string{w, singular(w)} {
		if len(c.x.keyNums[k]) > 0 || len(c.x.keyArrs[k]) > 0 {
			return k
		}
	}
	return ""
}

// stopwordsNotKeys are key parts too vague to tie a number to.
var stopwordsNotKeys = set("at", "from", "within", "previous", "id", "left", "name", "kept")

func unitOf(t token) string {
	n := strings.TrimSuffix(t.norm, "%")
	k := len(n)
	for k > 0 && !isDigitByte(n[k-1]) {
		k--
	}
	return n[k:]
}
