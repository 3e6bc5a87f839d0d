package ground

import (
	"fmt"
	"slices"
)

// Statuses: status words and what governs them (negation, modals,
// quantifiers).

func (c *checker) status(i int, gs []int) {
	t := c.toks[i]
	if c.inQuote[i] {
		return // quoted text is checked whole
	}
	if t.norm == "up" || t.norm == "down" {
		if i > 0 && c.toks[i-1].kind == kWord && has(phrasal, c.toks[i-1].norm) {
			return
		}
		if i+1 < len(c.toks) && c.toks[i+1].kind != kPunct && has(notStatusAfter, c.toks[i+1].norm) {
			return
		}
		if i+1 < len(c.toks) && c.toks[i+1].kind == kNumber {
			return // "down 5%"
		}
	}
	if c.hypothetical(i) {
		return
	}
	neg := c.negated(i)
	subs := c.subjects(i)
	if len(subs) == 0 {
		subs = []string{""}
	}
	for _, subj := range subs {
		if !c.statusOf(i, gs, subj, neg) {
			return
		}
	}
}

// statusOf checks the status word at i (groups gs) about subj ("" for no
// subject); it reports whether the claim is supported, recording a
// violation when not.
func (c *checker) statusOf(i int, gs []int, subj string, neg bool) bool {
	t := c.toks[i]
	// "Done." / "Backup complete." say that a call succeeded
	done := !neg && c.x.ok && has(completion, t.norm) && (c.interjection(i) || c.aboutCall(i))
	var objs []*obj
	if subj != "" {
		objs = c.mentioning(subj)
	}
	global := len(objs) == 0
	if global {
		objs = c.x.objs
	}
	about := ""
	if !global {
		about = " for " + subj
	}
	if !neg {
		for _, o := range objs {
			if done && slices.Contains(o.extra, "succeeded") {
				return true
			}
			if c.x.supports(o, gs, c.groups) {
				return c.every(i, gs)
			}
		}
		c.fail(KindStatus, t, fmt.Sprintf("no fact gives the status %q%s", t.norm, about))
		return false
	}
	if global && c.counted(i) {
		// "2 tasks are not done": a partial claim, the count is checked
		// on its own; some item must have another, retrieved status
		for _, o := range objs {
			if !c.x.supports(o, gs, c.groups) && c.x.hasStatus(o) {
				return true
			}
		}
	}
	retrieved := false
	for _, o := range objs {
		if c.x.supports(o, gs, c.groups) {
			c.fail(KindStatus, t, fmt.Sprintf("negated status %q%s, but a fact gives it", t.norm, about))
			return false
		}
		retrieved = retrieved || c.x.hasStatus(o)
	}
	if !retrieved {
		c.fail(KindStatus, t, fmt.Sprintf("no fact gives any status%s to negate %q", about, t.norm))
		return false
	}
	return true
}

// counted reports whether the clause of i holds a number (a count).
func (c *checker) counted(i int) bool {
	start, end := c.span(i, c.clause, window)
	for k := start; k < end; k++ {
		if t := c.toks[k]; t.kind == kNumber {
			return true
		} else if _, ok := numberWords[t.norm]; ok && t.kind == kWord {
			return true
		}
	}
	return false
}

// hypothetical reports whether a modal or a conditional governs the
// status word at i ("needs to be started", "will be restarted", "if it is
// down"): an intention, not a claim.
func (c *checker) hypothetical(i int) bool {
	for k, n := i-1, 0; k >= c.clause[i] && n < 3; k, n = k-1, n+1 {
		t := c.toks[k]
		if t.kind != kWord || !has(modals, t.norm) {
			continue
		}
		// "to" only as "to be …" / "to get …" ("scheduled to be restarted"),
		// not as a preposition ("message to bob failed")
		if t.norm == "to" && (k+1 >= i || !has(infinitive, c.toks[k+1].norm)) {
			continue
		}
		return true
	}
	return false
}

// interjection: the word is one of the first two of its sentence and ends
// it or is followed by punctuation ("Done.", "All done!", "Done —").
func (c *checker) interjection(i int) bool {
	words := 0
	for k := c.sent[i]; k < i && words <= 1; k++ {
		if c.toks[k].kind != kPunct {
			words++
		}
	}
	return words <= 1 && (i+1 == len(c.toks) || c.toks[i+1].kind == kPunct)
}

// aboutCall: the clause names a successful tool's verb before the word
// ("Backup complete", "the restart is done").
func (c *checker) aboutCall(i int) bool {
	for k := max(c.clause[i], i-window); k < i; k++ {
		if t := c.toks[k]; t.kind == kWord && has(c.x.toolWord, t.norm) {
			return true
		}
	}
	return false
}

// every checks a quantified status ("all four servers are running", "each
// task is done"): every item of the list the clause names must have it.
// A sentence with an exception ("all … except staging-1") is not checked.
func (c *checker) every(i int, gs []int) bool {
	start, end := c.span(i, c.clause, window)
	q := false
	for k := start; k < i; k++ {
		if c.toks[k].kind == kWord && has(quantifiers, c.toks[k].norm) {
			q = true
		}
	}
	if !q {
		return true
	}
	ss, se := c.span(i, c.sent, 3*window)
	for k := ss; k < se; k++ {
		if c.toks[k].kind == kWord && has(exceptions, c.toks[k].norm) {
			return true
		}
	}
	var lists []*array
	noun := ""
	for k := start; k < end; k++ {
		t := c.toks[k]
		if t.kind != kWord || k == i {
			continue
		}
		if key := c.key(t.norm); key != "" {
			for _, a := range c.x.keyArrs[key] {
				if len(a.items) > 0 {
					lists = append(lists, a)
					noun = t.norm
				}
			}
		}
	}
	if len(lists) == 0 {
		return true
	}
	for _, a := range lists {
		all := true
		for _, it := range a.items {
			if !c.x.supports(it, gs, c.groups) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	c.fail(KindStatus, c.toks[i], fmt.Sprintf("not every %s is %s", singular(noun), c.toks[i].norm))
	return false
}

func (c *checker) negated(i int) bool {
	for k, n := i-1, 0; k >= c.sent[i] && n < 4; k, n = k-1, n+1 {
		t := c.toks[k]
		if t.kind != kWord {
			return false
		}
		if t.neg || has(negators, t.norm) {
			return true
		}
		if !has(between, t.norm) {
			return false
		}
	}
	return false
}
