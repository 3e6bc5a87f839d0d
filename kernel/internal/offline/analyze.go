package offline

import (
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/route"
)

// enumHit is an enum value written in the request.
type enumHit struct {
	pos, end int
	value    string // lower case
	natural  bool
}

// analysis is one request taken apart. It is built per call and never
// shared, so the router holds no per-request state.
type analysis struct {
	ix     *index
	turn   route.Turn
	now    time.Time
	toks   []token
	ments  []mention
	mentAt []int // token → mention index, or -1
	terms  []term
	enums  []enumHit
	enumAt []int  // token → enum hit index, or -1
	isTerm []bool // token starts a lexical term
	titles []titleHit
	// phraseUsed marks tokens inside a multi-word expression ("tell me").
	phraseUsed []bool
	dates      []dateHit
	durs       []durationHit
	// lists are coordinated names of one kind ("web-1, web-2 and db-1"),
	// as indexes into ments; refs holds what pronoun candidates stand for.
	lists [][]int
	refs  []refTarget
	// implicit kinds are supplied by an earlier clause (see scope).
	implicit map[string]bool
	// head is where the command ends: tokens from payload on are content
	// (the text of a message or a reminder) and are not routing evidence.
	head, payload int
}

func analyze(ix *index, g *gazetteer, t route.Turn, now time.Time, sc *scope) *analysis {
	a := &analysis{ix: ix, turn: t, now: now, toks: tokenize(t.Text)}
	a.ments = g.findMentions(a.toks, t)
	a.negate()
	if sc != nil {
		a.addPronouns(g, sc)
	}
	a.lists = findLists(a.toks, a.ments)
	a.mentAt = make([]int, len(a.toks))
	for i := range a.mentAt {
		a.mentAt[i] = -1
	}
	for mi, m := range a.ments {
		for j := m.start; j < m.end; j++ {
			a.mentAt[j] = mi
		}
	}
	a.dates = findDates(a.toks, now)
	a.durs = findDurations(a.toks)
	value := make([]bool, len(a.toks)) // dates and amounts are values, not words
	for _, d := range a.dates {
		for i := d.start; i < d.end; i++ {
			value[i] = !dateLeads[a.toks[i].low]
		}
	}
	for _, d := range a.durs {
		for i := d.start; i < d.end; i++ {
			value[i] = true
		}
	}
	if sc.refers() {
		// "the list", "the results": an earlier result, not a verb or topic.
		for i := range a.toks {
			value[i] = value[i] || a.refNounAt(i)
		}
	}
	a.implicit = sc.implicitKinds()
	used := make([]bool, len(a.toks))
	a.terms = ix.lx.terms(a.toks, func(i int) bool { return a.mentAt[i] >= 0 || a.toks[i].quoted || value[i] }, used)
	// Words that are only names ("order" near the database "orders") are
	// not vocabulary. A term counts once, where it first occurs.
	kept := a.terms[:0]
	for _, tm := range a.terms {
		if g.nameStems[tm.term] && !ix.vocab[tm.term] || slices.ContainsFunc(kept, func(k term) bool { return k.term == tm.term }) {
			continue
		}
		kept = append(kept, tm)
	}
	a.terms = kept
	for k := range a.terms {
		tm := &a.terms[k]
		tm.id, tm.surfaceID, tm.idf = -1, -1, unknownW
		if id, ok := ix.termID[tm.term]; ok {
			tm.id, tm.idf = id, ix.idf[tm.term]
		}
		if id, ok := ix.termID[tm.surfaceKey]; ok && tm.surfaceKey != "" {
			tm.surfaceID = id
		}
	}
	a.phraseUsed = used
	a.isTerm = make([]bool, len(a.toks))
	for _, tm := range a.terms {
		a.isTerm[tm.pos] = true
	}
	a.enums = a.findEnums(used)
	a.enumAt = make([]int, len(a.toks))
	for i := range a.enumAt {
		a.enumAt[i] = -1
	}
	for k, e := range a.enums {
		a.enumAt[e.pos] = k
	}
	a.titles = a.findTitles(g)
	a.head, a.payload = len(a.toks), len(a.toks)
	return a
}

// negate empties the names a negation excludes ("but not web-2", "except
// orders"): they name nothing to act on.
func (a *analysis) negate() {
	for mi := range a.ments {
		i := a.ments[mi].start - 1
		if i >= 0 && a.toks[i].low == "the" {
			i--
		}
		if i >= 0 && a.toks[i].kind == tkWord && !a.toks[i].quoted && negationWords[a.toks[i].low] {
			a.ments[mi].cands = nil
		}
	}
}

// findEnums finds enum values of any catalog tool, exact or everyday.
func (a *analysis) findEnums(phraseUsed []bool) []enumHit {
	all := map[string]bool{}
	for i := range a.ix.tools {
		for v := range a.ix.tools[i].enums {
			all[v] = true
		}
	}
	var out []enumHit
	for i := 0; i < len(a.toks); i++ {
		tk := a.toks[i]
		if tk.kind != tkWord || a.mentAt[i] >= 0 || tk.quoted {
			continue
		}
		if i+1 < len(a.toks) && a.toks[i+1].kind == tkWord {
			if v, ok := naturalEnum[tk.low+" "+a.toks[i+1].low]; ok && all[v] {
				out = append(out, enumHit{pos: i, end: i + 2, value: v, natural: true})
				i++
				continue
			}
		}
		if all[tk.low] {
			// A value that is also a function word ("a") counts only when
			// written exactly as the enum spells it ("A").
			if !stopwords[tk.low] || a.enumSpelled(tk.raw) {
				out = append(out, enumHit{pos: i, end: i + 1, value: tk.low})
				continue
			}
		}
		if phraseUsed[i] {
			continue
		}
		if v, ok := naturalEnum[tk.low]; ok && all[v] {
			out = append(out, enumHit{pos: i, end: i + 1, value: v, natural: true})
		}
	}
	return out
}

func (a *analysis) enumSpelled(raw string) bool {
	for i := range a.ix.tools {
		if v, ok := a.ix.tools[i].enums[strings.ToLower(raw)]; ok && v == raw {
			return true
		}
	}
	return false
}

// selfRef reports whether the command refers to the speaker ("my tasks",
// "what have I finished"), outside expressions such as "tell me" and
// "show me" where "me" is only the listener, and "my manager".
func (a *analysis) selfRef() bool {
	for i := 0; i < a.head; i++ {
		tk := a.toks[i]
		if tk.kind != tkWord || !selfWords[tk.low] || tk.quoted || a.mentAt[i] >= 0 || a.phraseUsed[i] {
			continue
		}
		if tk.low == "my" && i+1 < len(a.toks) && managerWords[a.toks[i+1].low] {
			continue // "my manager", unknown: someone else, not the actor
		}
		return true
	}
	return false
}

// titleHit is a resource whose title the request repeats ("mark the review
// backups task as done" → T-2, titled "Review backups").
type titleHit struct {
	kind, id string
	toks     []int // the request's tokens that match the title
	score    float64
}

// findTitles matches the request's words against resources' "title" (or
// "name") attributes: at least 60% of a title's words, and two of them
// when it has more than one.
func (a *analysis) findTitles(g *gazetteer) []titleHit {
	if len(g.titles) == 0 {
		return nil
	}
	at := map[string]int{}
	for i, tk := range a.toks {
		if tk.kind == tkWord && !stopwords[tk.low] && a.mentAt[i] < 0 && !tk.quoted {
			if _, ok := at[stem(tk.low)]; !ok {
				at[stem(tk.low)] = i
			}
		}
	}
	// Only titles that share a stem with the request can match.
	var cands []int
	for s := range at {
		cands = append(cands, g.titleAt[s]...)
	}
	slices.Sort(cands) // the tenant's order, each title once
	var out []titleHit
	for _, ti := range slices.Compact(cands) {
		t := g.titles[ti]
		var toks []int
		for _, s := range t.stems {
			if i, ok := at[s]; ok {
				toks = append(toks, i)
			}
		}
		n, hit := len(t.stems), len(toks)
		if hit < min(2, n) || float64(hit) < 0.6*float64(n) {
			continue
		}
		out = append(out, titleHit{kind: t.kind, id: t.id, toks: toks, score: float64(hit) / float64(n)})
	}
	return out
}

// titleIn reports whether every matched token of h is command evidence.
func (a *analysis) titleIn(h titleHit, limit int) bool {
	for _, i := range h.toks {
		if !a.inHead(i, limit) {
			return false
		}
	}
	return true
}

// inHead reports whether token i is routing evidence.
func (a *analysis) inHead(i int, limit int) bool { return i < limit && !a.toks[i].quoted }

// findPayload decides where the command ends and its content begins:
// after a colon, a cue word ("that", "saying", "know"), an infinitive "to"
// ("remind me to …") or a named colleague ("tell bob the …"). A cue counts
// only when the words before it already point to a tool that takes prose
// (a message body, a task title); otherwise the whole request is the
// command ("list all servers that are running").
func (a *analysis) findPayload(tools []int) {
	type cue struct{ head, payload int }
	var cues []cue
	for i, tk := range a.toks {
		if tk.quoted {
			continue
		}
		switch {
		case tk.kind == tkColon:
			cues = append(cues, cue{i, i + 1})
		case tk.kind != tkWord || a.mentAt[i] >= 0:
		case cueWords[tk.low]:
			cues = append(cues, cue{i, i + 1})
		case tk.low == "to" && i+1 < len(a.toks) && a.infinitive(i+1):
			cues = append(cues, cue{i, i + 1})
		}
		if mi := a.mentAt[i]; mi >= 0 && a.ments[mi].end == i+1 && len(a.ments[mi].ofKind(personKind)) > 0 && !a.listContinues(mi) {
			cues = append(cues, cue{i + 1, i + 1})
		}
	}
	for _, c := range cues {
		if c.head == 0 {
			continue
		}
		r := a.rank(tools, c.head)
		if len(r) == 0 || r[0].total <= 0 || r[0].lex <= 0 {
			continue
		}
		if len(a.ix.tools[r[0].tool].freeText) == 0 {
			continue
		}
		a.head, a.payload = c.head, c.payload
		return
	}
}

// infinitive reports whether toks[i] starts a verb phrase after "to":
// not a name, value, date, number or function word.
func (a *analysis) infinitive(i int) bool {
	tk := a.toks[i]
	if tk.kind != tkWord || a.mentAt[i] >= 0 || stopwords[tk.low] || particles[tk.low] || !lexable(tk.low) {
		return false
	}
	for _, e := range a.enums {
		if e.pos == i {
			return false
		}
	}
	for _, d := range a.dates {
		if i >= d.start && i < d.end {
			return false
		}
	}
	if _, ok := numberWords[tk.low]; ok {
		return false
	}
	return true
}
