package offline

import (
	"slices"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

// Typo tolerance (docs/router.md, "Misspellings"). A word of the request
// that the router does not know — not a word of any tool document, of the
// lexicon, a function word, or a name of the tenant — is replaced by the
// one known word nearest to it, when that word is within the edit
// distance its length allows: one transposition for a word of 4 letters
// ("shwo", "lsit"), one edit for 5 to 7 ("restrat", "severs"), two from 8
// ("databses"). A tie between two known words corrects nothing. Names are
// corrected only against the turn's own resources and members, so never
// across tenants. The corrected request is used only when the request
// as written is not understood (spelled). Words with digits or dots (names, addresses) and words
// of fewer than 4 letters are never touched.

// speller is the known vocabulary of one catalog.
type speller struct {
	known map[string]bool
	words []string // the known words of at least 4 letters, candidates
}

func newSpeller(catalog []route.ToolSpec) *speller {
	sp := &speller{known: map[string]bool{}}
	add := func(text string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !isWordRune(r) }) {
			if isAlpha(w) && !sp.known[w] {
				sp.known[w] = true
				if len(w) >= 4 {
					sp.words = append(sp.words, w)
				}
			}
		}
	}
	for _, s := range catalog {
		add(strings.ReplaceAll(s.Name, "_", " "))
		add(s.Extension)
		add(s.Description)
		for _, k := range s.Keywords {
			add(k)
		}
		for _, e := range s.Examples {
			add(e)
		}
		for _, p := range s.Params {
			add(strings.ReplaceAll(p.Name, "_", " "))
			add(p.Resource)
			add(strings.Join(p.Enum, " "))
		}
	}
	for _, g := range lexicon {
		add(strings.Join(g, " "))
	}
	for _, set := range []map[string]bool{stopwords, particles, objectWords, cueWords, selfWords} {
		for w := range set {
			sp.known[w] = true
		}
	}
	return sp
}

// correct returns text with its misspelt words replaced, and whether any
// was. names are the turn's own names (alphabetic ids and members).
func (sp *speller) correct(text string, names []string) (string, bool) {
	toks := tokenize(text)
	var b strings.Builder
	last, changed := 0, false
	for _, tk := range toks {
		if tk.kind != tkWord || tk.quoted {
			continue
		}
		w := tk.low
		if len(w) < 4 || len(w) > maxSpellLen || !isAlpha(w) || sp.known[w] || sp.known[stem(w)] || slices.Contains(names, w) {
			continue
		}
		c := nearest(w, sp.words, names)
		if c == "" {
			continue
		}
		b.WriteString(text[last:tk.start])
		b.WriteString(c)
		last, changed = tk.end, true
	}
	if !changed {
		return text, false
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// nearest is the one candidate within the distance w's length allows,
// "" when there is none or a tie.
func nearest(w string, lists ...[]string) string {
	limit := 1
	if len(w) >= 8 {
		limit = 2
	}
	best, bestD, tie := "", limit+1, false
	for _, list := range lists {
		for _, c := range list {
			if c == best || len(c) < 4 || abs(len(c)-len(w)) > limit {
				continue
			}
			d := osa(w, c, limit)
			if len(w) == 4 && (d != 1 || len(c) != 4 || !transposed(w, c)) {
				continue
			}
			switch {
			case d < bestD:
				best, bestD, tie = c, d, false
			case d == bestD:
				tie = true
			}
		}
	}
	if tie || bestD > limit {
		return ""
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// transposed says whether b is a with two adjacent letters swapped.
func transposed(a, b string) bool {
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

// osa is the optimal string alignment distance between a and b (edits,
// with adjacent transpositions counting one), or limit+1 when it is more
// than limit.
func osa(a, b string, limit int) int {
	n, m := len(a), len(b)
	if n > maxSpellLen || m > maxSpellLen {
		return limit + 1
	}
	var rows [3][maxSpellLen + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= m; j++ {
		prev[j] = j
	}
	for i := 1; i <= n; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= m; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[m] > limit {
		return limit + 1
	}
	return prev[m]
}

// maxSpellLen is the longest word the speller looks at.
const maxSpellLen = 24

// turnNames are the alphabetic names a turn can use: its resources' ids
// and its members.
func turnNames(t route.Turn) []string {
	var out []string
	for _, r := range t.Resources {
		if id := strings.ToLower(r.ID); isAlpha(id) {
			out = append(out, id)
		}
	}
	for _, m := range t.Members {
		out = append(out, strings.ToLower(string(m.ID)))
	}
	return out
}

// spelled returns the turn with its misspellings corrected, when the
// request as written cannot be understood and the corrected one can: a
// request that reads well as written is never changed (so the text of a
// message, "lunch is at noon", is never "corrected"). Route and Plan
// decide alike, over the whole catalog.
func (r *Router) spelled(ix *index, t route.Turn) route.Turn {
	sp, ok := r.spellers.get(ix.fp)
	if !ok {
		sp = newSpeller(t.Catalog)
		r.spellers.put(ix.fp, sp)
	}
	text, changed := sp.correct(t.Text, turnNames(t))
	if !changed {
		return t
	}
	all := allTools(ix)
	if u := r.understand(ix, t, all, all, false); u.failed == nil && !u.conditional {
		return t
	}
	fixed := t
	fixed.Text = text
	if u := r.understand(ix, fixed, all, all, false); u.failed != nil || u.conditional {
		return t
	}
	return fixed
}

// auxiliaries open a yes/no question ("is web-2 running now?", "are any
// servers stopped?") and question words a question ("what is carol working
// on?"); "remind me" or "tell me" before a question word asks to be told
// ("remind me what day it is"). A question asks for a state, it never
// changes one. "can", "could", "would" and "will" are not here: "can you
// start web-2" is a polite command.
var auxiliaries = setOf(`is are was were isn't aren't has have hasn't haven't does did doesn't`)

// yesNoQuestion says whether the request is a question (see auxiliaries):
// only a read can answer it (docs/router.md, "Status questions").
func (a *analysis) yesNoQuestion() bool {
	var first []string
	for _, tk := range a.toks {
		if tk.kind == tkWord {
			first = append(first, tk.low)
			if len(first) == 3 {
				break
			}
		}
	}
	switch {
	case len(first) == 0:
		return false
	case auxiliaries[first[0]] || questionWords[first[0]] && first[0] != "any":
		return true
	case len(first) == 3 && (first[0] == "remind" || first[0] == "tell") && first[1] == "me":
		return questionWords[first[2]]
	}
	return false
}
