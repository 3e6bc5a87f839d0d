package ground

import "strings"

// Subjects: the thing a claim is about, and the fact objects that
// mention it.

// mentioning returns the fact objects that contain tok as a value or a
// token of a value.
func (c *checker) mentioning(tok string) []*obj {
	if m, ok := c.mention[tok]; ok {
		return m
	}
	var out []*obj
	for _, o := range c.x.objs {
		if o.mentions(tok) {
			out = append(out, o)
		}
	}
	c.mention[tok] = out
	return out
}

// window bounds how far from a claim the checker looks for its subject,
// its noun or its qualifiers, so that Check stays linear in the text.
const window = 16

// span returns the tokens [start, end) of the segment (clause or sentence,
// seg) of token i that lie within w tokens of it.
func (c *checker) span(i int, seg []int, w int) (int, int) {
	start := max(seg[i], i-w)
	end := i + 1
	for end < len(c.toks) && end <= i+w && seg[end] == seg[i] {
		end++
	}
	return start, end
}

// subject is the thing a claim at i is about: the first supported
// identifier of its clause before it, else the first after it in its
// clause, else the nearest one before it in its sentence; "" when there is
// none.
func (c *checker) subject(i int) string {
	if k := c.subjectAt(i); k >= 0 {
		return c.toks[k].norm
	}
	return ""
}

func (c *checker) subjectAt(i int) int {
	for k := max(c.clause[i], i-2*window); k < i; k++ {
		if c.subjOK[k] && !c.compared[k] {
			return k
		}
	}
	// verb first: "then stopped web-2", "restored it from orders-1"
	for k := i + 1; k < len(c.toks) && k <= i+window && c.clause[k] == c.clause[i]; k++ {
		if c.subjOK[k] && !c.compared[k] {
			return k
		}
	}
	// A relative clause ("…, which runs at 57%") is about the name right
	// before it, even one compared with; otherwise the compared name is
	// skipped ("db-1 is busier than web-1: 57% CPU").
	relative := false
	if cs := c.clause[i]; cs < len(c.toks) && c.toks[cs].kind == kWord && has(relatives, c.toks[cs].norm) {
		relative = true
	}
	for k := i - 1; k >= max(c.sent[i], i-2*window); k-- {
		if c.subjOK[k] && (relative || !c.compared[k]) {
			return k
		}
	}
	return -1
}

// subjects returns the subject of the claim at i and, when the subject
// ends an enumeration ("db-1, web-1 and web-2 are running"), the names
// enumerated before it, which share the claim.
func (c *checker) subjects(i int) []string {
	k := c.subjectAt(i)
	if k < 0 {
		return nil
	}
	out := []string{c.toks[k].norm}
	j := k - 1
	for ; j >= max(c.sent[i], k-4*window); j-- {
		t := c.toks[j]
		if t.kind == kPunct && t.p == ',' || t.kind == kWord && (t.norm == "and" || t.norm == "or") {
			continue
		}
		if c.subjOK[j] {
			out = append(out, t.norm)
			continue
		}
		break
	}
	// An enumeration starts a sentence or follows a colon, a bracket, a
	// dash or "both"; otherwise the names before are the end of another
	// clause ("… in eu-west, and staging-1 is offline").
	if len(out) > 1 && j >= c.sent[i] {
		t := c.toks[j]
		if !(t.kind == kPunct && strings.IndexByte(":(-\"", t.p) >= 0 || t.kind == kWord && (t.norm == "both" || c.key(t.norm) != "")) {
			return out[:1]
		}
	}
	return out
}
