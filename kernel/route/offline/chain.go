package offline

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// This file splits a request into clauses and plans each one (CHAIN-01,
// CHAIN-03): "snapshot web-1 and then resize it to xl" is two steps, the
// second depending on the first.
//
// Splitting. Connectors are found first: sentence ends, commas, "and",
// "then", "after that", "once it's done", "before", "after". A connector
// splits only when the words on both sides make sense as commands:
//
//   - never inside the content of a message or task ("tell bob the backup
//     and the restore are done"), except for "then"-like connectors followed
//     by a complete command of its own;
//   - never between coordinated names ("restart web-1 and web-2" is one
//     clause whose step is repeated for each name);
//   - a side that starts with a verb or a question word is a clause of its
//     own, even when nothing can do it (the request is then answered with a
//     question, never run without it);
//   - a side that is a noun phrase ("and the databases on db-1") borrows the
//     verb of the clause before it when that makes a complete command;
//     otherwise it stays part of the clause before ("show me the cpu and
//     memory for staging-1");
//   - a statement that is no command ("web-1 is stuck, restart it") stays
//     with its neighbour.
//
// Order. "then", "after that", "once done" and "before" make what follows
// depend on everything before it; "X after Y" runs Y first. Clauses joined
// by "and" are independent. A reference to an earlier clause's output is a
// dependency as well.

// Bounds: a request is planned as at most maxSteps steps; beyond
// maxConnectors connectors it is read as one clause, as before chains
// existed (a pasted paragraph is not a script).
const (
	maxSteps      = 12
	maxConnectors = 16
)

// Connector strengths.
const (
	connWeak   = iota + 1 // "and", ",", "plus", "but"
	connMedium            // "before", "after Y": only before a command
	connStrong            // "then", a sentence end, "after that", "once done"
)

// Connector orders.
const (
	orderNone   = iota
	orderAfter  // what follows runs after what precedes
	orderBefore // what precedes runs after what follows ("X after Y")
)

// connector joins two pieces of a request: tokens [at, end).
type connector struct {
	at, end  int
	strength int
	order    int
}

// piece is a span of the request's tokens, possibly with a verb phrase
// borrowed from the piece before it ("list" + "the databases on db-1").
type piece struct {
	from, to int
	prefix   string
	conn     connector // the connector before the piece; zero for the first
}

// segmenter splits one request.
type segmenter struct {
	r      *Router
	ix     *index
	g      *gazetteer
	t      route.Turn
	now    time.Time
	a      *analysis // the whole request
	tools  []int     // every tool of the index: splitting does not depend on the surface
	facts  []parsedFact
	probes map[string]*probe
	// conditional is set when a clause is a condition ("if not, start it").
	conditional bool
}

// probe is one candidate clause classified on its own.
type probe struct {
	a        *analysis
	rank     []toolScore
	conf     float64
	min      float64
	complete *bool
}

func (p *probe) good() bool { return p.conf >= p.min && len(p.rank) > 0 && p.rank[0].lex > 0 }

func (p *probe) tool() int { return p.rank[0].tool }

// isComplete reports whether the clause's best tool gets every required
// argument from the clause alone.
func (p *probe) isComplete() bool {
	if p.complete == nil {
		ok := false
		if len(p.rank) > 0 {
			_, q := p.a.extract(&p.a.ix.tools[p.rank[0].tool])
			ok = q == ""
		}
		p.complete = &ok
	}
	return *p.complete
}

func (s *segmenter) probeText(text string) *probe {
	if p, ok := s.probes[text]; ok {
		return p
	}
	t := s.t
	t.Text = text
	var sc *scope
	if len(s.facts) > 0 {
		sc = &scope{facts: s.facts} // "restart web-1 and the second one"
	}
	a := analyze(s.ix, s.g, t, s.now, sc)
	a.findPayload(s.tools)
	rk := a.rank(s.tools, a.head)
	p := &probe{a: a, rank: rk, conf: confidence(rk), min: s.r.min}
	if s.probes == nil {
		s.probes = map[string]*probe{}
	}
	s.probes[text] = p
	return p
}

func (s *segmenter) text(p piece) string {
	t := s.a.span(p.from, p.to)
	if p.prefix != "" {
		t = p.prefix + " " + t
	}
	return t
}

// split returns the request's clauses.
func (s *segmenter) split() []piece {
	conns := s.connectors()
	if len(conns) == 0 || len(conns) > maxConnectors {
		return []piece{{from: 0, to: len(s.a.toks)}}
	}
	var raw []piece
	from := 0
	var prev connector
	for _, c := range conns {
		raw = append(raw, piece{from: from, to: c.at, conn: prev})
		from, prev = c.end, c
	}
	raw = append(raw, piece{from: from, to: len(s.a.toks), conn: prev})
	// A leading empty or filler piece ("Hi. Restart web-1") is dropped.
	for len(raw) > 1 && s.filler(raw[0]) {
		raw = raw[1:]
		raw[0].conn = connector{}
	}
	cur := raw[0]
	var out []piece
	for _, q := range raw[1:] {
		switch next, ok := s.join(cur, q, len(out) == 0); {
		case !ok:
			cur.to = q.to
		default:
			out = append(out, cur)
			cur = next
		}
	}
	return append(out, cur)
}

// join decides whether q starts a new clause after cur. It returns the
// clause q becomes (possibly with a borrowed verb) and true, or false when
// q continues cur.
func (s *segmenter) join(cur, q piece, first bool) (piece, bool) {
	c := q.conn
	inPayload := s.inPayload(cur, c)
	if !inPayload && (s.startsWith(q, conditionWords) || first && s.startsWith(cur, conditionWords)) {
		s.conditional = true
		return q, true
	}
	if s.filler(q) || s.startsWith(q, negationWords) {
		return q, false // "but not web-2" qualifies the clause before
	}
	if s.negated(cur) || s.negated(q) {
		return q, false // "don't restart web-1, restart web-2": one question, not two steps
	}
	qs := s.probeText(s.text(q))
	if inPayload {
		if c.strength == connStrong && s.initial(q) && qs.good() && qs.isComplete() {
			return q, true
		}
		return q, false
	}
	cs := s.probeText(s.text(cur))
	if !cs.good() && !s.initial(cur) {
		return q, false // a statement: context for the command next to it
	}
	if s.initial(q) {
		if c.strength == connMedium && !qs.good() {
			return q, false // "before friday", "after lunch"
		}
		if cs.good() && qs.good() && cs.tool() == qs.tool() && (!cs.isComplete() || !qs.isComplete()) {
			return q, false
		}
		return q, true
	}
	if c.strength == connMedium {
		return q, false
	}
	if prefix := s.verbPrefix(cur); prefix != "" && cs.good() && cs.isComplete() {
		p := q
		p.prefix = prefix
		if ps := s.probeText(s.text(p)); ps.good() && ps.isComplete() {
			return p, true
		}
	}
	if c.strength == connStrong && qs.good() && qs.isComplete() {
		return q, true
	}
	return q, false
}

// inPayload reports whether connector c lies inside the content of the
// clause that starts with cur (a message text, a task title).
func (s *segmenter) inPayload(cur piece, c connector) bool {
	rest := s.a.turn.Text[s.a.toks[cur.from].start:]
	shift := 0
	if cur.prefix != "" {
		rest = cur.prefix + " " + rest
		shift = len(cur.prefix) + 1
	}
	p := s.probeText(rest)
	if p.a.payload >= len(p.a.toks) {
		return false
	}
	at := s.a.toks[cur.from].start + p.a.toks[p.a.payload].start - shift
	return s.a.toks[c.at].start >= at
}

// words returns the piece's word tokens (quoted ones included).
func (s *segmenter) words(p piece) []token {
	var out []token
	for i := p.from; i < p.to; i++ {
		if s.a.toks[i].kind == tkWord {
			out = append(out, s.a.toks[i])
		}
	}
	return out
}

func (s *segmenter) filler(p piece) bool {
	for _, tk := range s.words(p) {
		if !stopwords[tk.low] && !leadFillers[tk.low] && !particles[tk.low] {
			return false
		}
	}
	return p.prefix == ""
}

// negated reports whether a piece is a command not to do something
// ("don't restart web-1", "never delete orders").
func (s *segmenter) negated(p piece) bool {
	w := s.words(p)
	for i := 0; i < len(w); i++ {
		switch w[i].low {
		case "not", "never", "dont":
			return true
		case "do", "does", "did", "please", "pls", "kindly", "just", "and", "but", "then", "also", "so":
			continue
		}
		return false
	}
	return false
}

func (s *segmenter) startsWith(p piece, set map[string]bool) bool {
	w := s.words(p)
	return p.prefix == "" && len(w) > 0 && set[w[0].low]
}

// initial reports whether a piece starts like a command or a question: a
// verb after fillers ("could you please restart …"), or a question word.
func (s *segmenter) initial(p piece) bool {
	if p.prefix != "" {
		return true
	}
	for i := p.from; i < p.to; i++ {
		tk := s.a.toks[i]
		if tk.kind != tkWord {
			continue
		}
		if i == p.from && questionWords[tk.low] {
			return true
		}
		if s.a.mentAt[i] >= 0 {
			return false
		}
		if s.isVerb(tk.low) {
			return true
		}
		if !leadFillers[tk.low] {
			return false
		}
	}
	return false
}

// isVerb reports whether a word is a verb that can start a command: an
// everyday imperative, a verb of the lexicon, or the first word of a tool's
// name that is not a resource kind ("snapshot", "backup", "list").
func (s *segmenter) isVerb(low string) bool {
	st := stem(low)
	if imperatives[st] || s.ix.verbs[st] {
		return true
	}
	c, ok := s.ix.lx.concept[st]
	return ok && s.ix.verbs[c]
}

// verbPrefix returns the verb phrase a piece starts with ("list", "show
// me", "could you scale"), or "".
func (s *segmenter) verbPrefix(p piece) string {
	if p.prefix != "" {
		return p.prefix
	}
	end, verb := p.from, false
	for i := p.from; i < p.to; i++ {
		tk := s.a.toks[i]
		if tk.kind != tkWord || s.a.mentAt[i] >= 0 {
			break
		}
		switch {
		case s.isVerb(tk.low):
			verb = true
		case leadFillers[tk.low], particles[tk.low], tk.low == "me", tk.low == "us":
		default:
			i = p.to
			continue
		}
		end = i + 1
	}
	if !verb || end == p.from {
		return ""
	}
	return s.a.span(p.from, end)
}

// connectors finds the connectors of the request, outside quotes and
// outside coordinated names.
func (s *segmenter) connectors() []connector {
	toks := s.a.toks
	var protected []bool
	if len(s.a.lists) > 0 {
		protected = make([]bool, len(toks))
	}
	for _, l := range s.a.lists {
		for k := 1; k < len(l); k++ {
			for i := s.a.ments[l[k-1]].end; i < s.a.ments[l[k]].start; i++ {
				protected[i] = true
			}
		}
	}
	var out []connector
	for i := 0; i < len(toks); {
		c, ok := s.connectorAt(i, protected)
		if !ok {
			i++
			continue
		}
		for c.end < len(toks) {
			next, ok := s.connectorAt(c.end, protected)
			if !ok {
				next, ok = s.continuation(c.end, protected)
			}
			if !ok {
				break
			}
			c.end = next.end
			c.strength = max(c.strength, next.strength)
			if next.order != orderNone {
				c.order = next.order
			}
		}
		i = c.end
		if c.at == 0 || !hasWord(toks[c.end:]) || !hasWord(toks[:c.at]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func hasWord(toks []token) bool {
	for _, tk := range toks {
		if tk.kind == tkWord {
			return true
		}
	}
	return false
}

// connectorAt reads a connector starting at token i.
func (s *segmenter) connectorAt(i int, protected []bool) (connector, bool) {
	toks := s.a.toks
	tk := toks[i]
	if tk.quoted || protected != nil && protected[i] {
		return connector{}, false
	}
	word := func(k int) string {
		if k < len(toks) && toks[k].kind == tkWord && !toks[k].quoted {
			return toks[k].low
		}
		return ""
	}
	c := connector{at: i, end: i + 1}
	switch {
	case tk.kind == tkEnd:
		c.strength = connStrong
	case tk.kind == tkComma:
		c.strength = connWeak
	case tk.kind != tkWord:
		return c, false
	case tk.low == "and" || tk.low == "plus" || tk.low == "but":
		c.strength = connWeak
	case tk.low == "then" || tk.low == "afterwards" || tk.low == "afterward" || tk.low == "thereafter" || tk.low == "subsequently":
		c.strength, c.order = connStrong, orderAfter
	case tk.low == "after" && (word(i+1) == "that" || word(i+1) == "this" || word(i+1) == "which"):
		c.strength, c.order, c.end = connStrong, orderAfter, i+2
	case tk.low == "before" && (word(i+1) == "that" || word(i+1) == "this"):
		c.strength, c.order, c.end = connStrong, orderBefore, i+2
	case tk.low == "after":
		c.strength, c.order = connMedium, orderBefore
	case tk.low == "before":
		c.strength, c.order = connMedium, orderAfter
	case tk.low == "once" || tk.low == "when" || tk.low == "as" && word(i+1) == "soon" && word(i+2) == "as":
		// "once it's done", "when that is finished", "as soon as it's up"
		j := i + 1
		if tk.low == "as" {
			j = i + 3
		}
		for ; j < len(toks) && j <= i+6 && toks[j].kind == tkWord && !toks[j].quoted; j++ {
			if doneWords[toks[j].low] {
				c.strength, c.order, c.end = connStrong, orderAfter, j+1
				return c, true
			}
			if s.a.mentAt[j] >= 0 {
				break
			}
		}
		return c, false
	default:
		return c, false
	}
	return c, true
}

// continuation reads words that may follow a connector: ", and also",
// ". Next, …", "and finally".
func (s *segmenter) continuation(i int, protected []bool) (connector, bool) {
	tk := s.a.toks[i]
	if tk.kind != tkWord || tk.quoted || protected != nil && protected[i] {
		return connector{}, false
	}
	switch tk.low {
	case "also", "next", "finally", "lastly", "additionally", "too":
		return connector{at: i, end: i + 1, strength: connWeak}, true
	}
	return connector{}, false
}

// understanding is the router's reading of a whole request.
type understanding struct {
	// answer is set when the request is a question about an earlier result.
	answer *route.LedgerQuery
	ext    string // the answer's fact's extension
	// clauses in the order the user wrote them.
	clauses []*clauseRes
	// failed is the first clause nothing can do, if any.
	failed *clauseRes
	// conditional: a clause is a condition, which cannot be planned.
	conditional bool
	conf        float64
}

// clauseRes is one clause, classified and (when needed) planned.
type clauseRes struct {
	text     string
	c        clause
	conn     connector
	drafts   []draft
	question string
	ents     []entity // what its steps bound, for later pronouns
	after    []int    // clauses that must run first
}

// draft is one planned step before numbering.
type draft struct {
	tool string
	args map[string]any // values may be stepRef until numbered
}

// stepRef points at the output of a draft of an earlier clause.
type stepRef struct{ clause, draft int }

// understand reads t.Text: a question about an earlier result, or one or
// more clauses classified over tools (and planned when plan is set or
// needed to count the steps). segTools are the tools splitting may use.
func (r *Router) understand(ix *index, t route.Turn, segTools, tools []int, plan bool) *understanding {
	g := r.gazetteer(ix, t)
	now := r.now()
	whole := analyze(ix, g, t, now, nil)
	var facts []parsedFact
	if len(t.Facts) > 0 && whole.mayRefer() {
		facts = g.parseFacts(t)
	}
	if len(facts) > 0 {
		if q, conf := whole.ledgerAnswer(g, facts); q != nil {
			u := &understanding{answer: q, conf: conf}
			for _, f := range facts {
				if f.f.ID == q.Fact {
					u.ext = f.ext
				}
			}
			return u
		}
	}
	s := &segmenter{r: r, ix: ix, g: g, t: t, now: now, a: whole, tools: segTools, facts: facts}
	pieces := s.split()
	u := &understanding{conditional: s.conditional, conf: 1}
	if u.conditional {
		u.conf = 0
		return u
	}
	for _, p := range pieces {
		u.clauses = append(u.clauses, &clauseRes{text: strings.TrimSpace(s.text(p)), conn: p.conn})
	}
	u.order()
	if len(pieces) == 1 && pieces[0].from == 0 && pieces[0].to == len(whole.toks) && len(whole.lists) == 0 && len(facts) == 0 {
		// The common case: one clause, no names to repeat it for, nothing
		// to refer back to.
		cl := u.clauses[0]
		whole.findPayload(tools)
		rk := whole.rank(tools, whole.head)
		cl.c = clause{a: whole, tools: tools, rank: rk, conf: confidence(rk)}
		u.conf = cl.c.conf
		if cl.c.conf < r.min {
			u.failed = cl
		} else if plan {
			args, q := whole.extract(&ix.tools[rk[0].tool])
			cl.drafts = []draft{{tool: string(ix.tools[rk[0].tool].spec.ID), args: args}}
			cl.question = q
		}
		return u
	}
	for i, cl := range u.clauses {
		sc := &scope{chain: i > 0, facts: facts, implicit: map[string]bool{}}
		for k := i - 1; k >= 0; k-- {
			if d := u.clauses[k].c.a; d != nil && len(u.clauses[k].c.rank) > 0 && lists(&d.ix.tools[u.clauses[k].c.rank[0].tool]) {
				sc.listed = true
			}
			sc.earlier = append(sc.earlier, u.clauses[k].ents)
			for _, e := range u.clauses[k].ents {
				if _, ok := u.omitted(i, e.kind); ok && e.kind != personKind {
					sc.implicit[e.kind] = true
				}
			}
		}
		ct := t
		ct.Text = cl.text
		a := analyze(ix, g, ct, now, sc)
		a.findPayload(tools)
		rk := a.rank(tools, a.head)
		cl.c = clause{a: a, tools: tools, rank: rk, conf: confidence(rk)}
		u.conf = min(u.conf, cl.c.conf)
		if cl.c.conf < r.min {
			if u.failed == nil {
				u.failed = cl
			}
			continue
		}
		if !plan && len(u.clauses) == 1 && !needsSteps(a) {
			continue // Route: one clause, one step
		}
		u.planClause(i, sc)
	}
	return u
}

// stepCount is how many steps the request plans to (a clause that was not
// planned counts as one).
func (u *understanding) stepCount() int {
	n := 0
	for _, cl := range u.clauses {
		n += max(1, len(cl.drafts))
	}
	return n
}

// needsSteps reports whether a clause's step count depends on its
// arguments: coordinated names or plural pronouns.
func needsSteps(a *analysis) bool {
	if len(a.lists) > 0 {
		return true
	}
	for _, m := range a.ments {
		if m.pron != nil && m.pron.plural {
			return true
		}
	}
	return false
}

// order computes which clauses must run before which (CHAIN-03): "then"
// starts a new stage that follows every clause before it; "X after Y"
// runs Y first; "and" keeps clauses in the same stage.
func (u *understanding) order() {
	stage := 0
	for i := 1; i < len(u.clauses); i++ {
		cl := u.clauses[i]
		switch cl.conn.order {
		case orderAfter:
			cl.after = nil
			for k := stage; k < i; k++ {
				cl.after = append(cl.after, k)
			}
			stage = i
		case orderBefore:
			cl.after = slices.Clone(u.clauses[i-1].after)
			u.clauses[i-1].after = append(u.clauses[i-1].after, i)
		default:
			cl.after = slices.Clone(u.clauses[stage].after)
		}
	}
}

// planClause extracts the arguments of clause i: once, or once per
// coordinated name or plural antecedent, with pronouns, omitted objects
// and references to earlier output resolved.
func (u *understanding) planClause(i int, sc *scope) {
	cl := u.clauses[i]
	a := cl.c.a
	d := &a.ix.tools[cl.c.rank[0].tool]
	variants := a.variants(d)
	producers := u.producers(i)
	usedRef := false
	h := &hooks{
		resource: func(p route.Param) (any, bool) {
			if !sc.chain || p.Resource == personKind {
				return nil, false
			}
			return u.omitted(i, p.Resource)
		},
		prose: func(p route.Param, v any) (any, bool) {
			s, _ := v.(string)
			if v != nil && !a.refOnly(s) {
				return nil, false
			}
			if sc.chain && len(producers) > 0 {
				usedRef = true
				return producers[0], true
			}
			if !sc.chain && len(sc.facts) > 0 && a.refWord() {
				return refTo(fmt.Sprintf("fact:%d", sc.facts[0].f.ID)), true
			}
			return nil, false
		},
	}
	if len(variants) > 1 && !sc.chain && a.question() && variants[0].fromLedger() {
		// "how many of those have size m?" is a question: never one change
		// per earlier item. Ask instead.
		variants = variants[:1]
		variants[0] = a
	}
	for _, va := range variants {
		usedRef = false
		args, q := va.extractWith(d, h)
		for k, v := range args {
			args[k] = va.target(v)
		}
		if q != "" && cl.question == "" {
			cl.question = va.display(q)
		}
		cl.drafts = append(cl.drafts, draft{tool: string(d.spec.ID), args: args})
		if usedRef && len(producers) > 1 {
			// "send them to alice" after two lists: one message each.
			for _, pr := range producers[1:] {
				more := make(map[string]any, len(args))
				for k, v := range args {
					if v == producers[0] {
						v = pr
					}
					more[k] = v
				}
				cl.drafts = append(cl.drafts, draft{tool: string(d.spec.ID), args: more})
			}
		}
	}
	for _, dr := range cl.drafts {
		for _, p := range d.spec.Params {
			if p.Resource == "" {
				continue
			}
			if v, ok := dr.args[p.Name]; ok {
				if _, isStep := v.(stepRef); isStep {
					continue
				}
				cl.ents = append(cl.ents, entity{kind: p.Resource, value: v, display: displayOf(v)})
			}
		}
	}
}

func displayOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if t, ok := route.IsRef(v); ok {
		return t
	}
	return fmt.Sprint(v)
}

// omitted resolves a required resource a later clause does not name
// ("snapshot web-1 and then restart the server"): the one resource of that
// kind the nearest earlier clause bound, if exactly one.
func (u *understanding) omitted(i int, kind string) (any, bool) {
	for k := i - 1; k >= 0; k-- {
		var vals []any
		for _, e := range u.clauses[k].ents {
			if e.kind == kind && !slices.ContainsFunc(vals, func(v any) bool { return displayOf(v) == e.display }) {
				vals = append(vals, e.value)
			}
		}
		switch len(vals) {
		case 0:
			continue
		case 1:
			return vals[0], true
		}
		return nil, false
	}
	return nil, false
}

// producers returns the steps whose output a later clause's "them" or
// "the results" means: the reads of the clauses just before it, else the
// steps of the clause just before it.
func (u *understanding) producers(i int) []any {
	var out []any
	for k := i - 1; k >= 0; k-- {
		cl := u.clauses[k]
		if len(cl.drafts) == 0 {
			break
		}
		if cl.c.a.ix.tools[cl.c.rank[0].tool].spec.SafetyLevel > 0 {
			if len(out) == 0 && k == i-1 {
				for j := range cl.drafts {
					out = append(out, stepRef{k, j})
				}
			}
			break
		}
		var these []any
		for j := range cl.drafts {
			these = append(these, stepRef{k, j})
		}
		out = append(these, out...)
	}
	return out
}

// variants returns the analyses to extract d's arguments from: one per
// coordinated name that fills a parameter of d ("restart web-1 and web-2"),
// or one per antecedent of a plural pronoun ("then delete them"), or just a.
func (a *analysis) variants(d *toolDoc) []*analysis {
	for _, l := range a.lists {
		if !a.inHead(a.ments[l[0]].start, a.head) || !a.fills(d, a.ments[l[0]]) {
			continue
		}
		var out []*analysis
		var seen []string
		for _, keep := range l {
			if id := a.ments[keep].cands[0].id; slices.Contains(seen, id) {
				continue // "web-1, web-1": once
			} else {
				seen = append(seen, id)
			}
			b := *a
			b.ments = slices.Clone(a.ments)
			for _, mi := range l {
				if mi != keep {
					b.ments[mi].cands = nil
				}
			}
			out = append(out, &b)
		}
		return out
	}
	for mi, m := range a.ments {
		if m.pron == nil || !m.pron.plural || !a.inHead(m.start, a.head) {
			continue
		}
		for kind := range d.kinds {
			var ids []string
			for _, c := range m.cands {
				if c.kind == kind && !slices.Contains(ids, c.id) {
					ids = append(ids, c.id)
				}
			}
			if len(ids) < 2 {
				continue
			}
			var out []*analysis
			for _, id := range ids {
				b := *a
				b.ments = slices.Clone(a.ments)
				b.ments[mi].cands = []cand{{kind: kind, id: id, strength: strExact}}
				out = append(out, &b)
			}
			return out
		}
	}
	return []*analysis{a}
}

// fills reports whether mention m names something a parameter of d takes.
func (a *analysis) fills(d *toolDoc, m mention) bool {
	for _, c := range m.cands {
		if c.attr != "" && a.hasParam(d, c.attr) {
			return true
		}
		if _, ok := d.kinds[c.kind]; ok && c.attr == "" {
			return true
		}
	}
	return false
}

// steps numbers the drafts s1, s2, … in running order (clauses that must
// run first come first, otherwise as written) and sets DependsOn from the
// order and from references to earlier output (CHAIN-03, CHAIN-08).
func (u *understanding) steps() ([]route.Step, bool) {
	n := len(u.clauses)
	deps := make([][]int, n)
	for i, cl := range u.clauses {
		deps[i] = slices.Clone(cl.after)
		for _, dr := range cl.drafts {
			for _, v := range dr.args {
				if ref, ok := v.(stepRef); ok && !slices.Contains(deps[i], ref.clause) {
					deps[i] = append(deps[i], ref.clause)
				}
			}
		}
	}
	// Kahn's order over clauses, as written among the ready ones.
	var order []int
	done := make([]bool, n)
	for len(order) < n {
		progressed := false
		for i := 0; i < n; i++ {
			if done[i] {
				continue
			}
			ready := true
			for _, d := range deps[i] {
				if !done[d] {
					ready = false
				}
			}
			if ready {
				done[i] = true
				order = append(order, i)
				progressed = true
				break
			}
		}
		if !progressed {
			return nil, false // a cycle: cannot be ordered
		}
	}
	ids := make([][]string, n)
	num := 0
	for _, i := range order {
		for range u.clauses[i].drafts {
			num++
			ids[i] = append(ids[i], fmt.Sprintf("s%d", num))
		}
	}
	var out []route.Step
	for _, i := range order {
		cl := u.clauses[i]
		var after []string
		for _, d := range cl.after {
			after = append(after, ids[d]...)
		}
		for j, dr := range cl.drafts {
			dep := slices.Clone(after)
			args := make(map[string]any, len(dr.args))
			for k, v := range dr.args {
				if ref, ok := v.(stepRef); ok {
					id := ids[ref.clause][ref.draft]
					v = refTo(id)
					if !slices.Contains(dep, id) {
						dep = append(dep, id)
					}
				}
				args[k] = v
			}
			slices.SortFunc(dep, func(x, y string) int { return stepNum(x) - stepNum(y) })
			if dep == nil {
				dep = []string{}
			}
			out = append(out, route.Step{ID: session.StepID(ids[i][j]), Tool: session.ToolID(dr.tool), Args: mustJSON(args), DependsOn: stepIDs(dep)})
		}
	}
	return out, true
}

func stepIDs(ids []string) []session.StepID {
	out := make([]session.StepID, len(ids))
	for i, id := range ids {
		out[i] = session.StepID(id)
	}
	return out
}

func stepNum(id string) int {
	n := 0
	fmt.Sscanf(id, "s%d", &n)
	return n
}

// lists reports whether a tool lists things: a read without a required
// resource ("list_servers"), whose output "the first one" may index.
func lists(d *toolDoc) bool {
	if d.spec.SafetyLevel > 0 {
		return false
	}
	for _, req := range d.kinds {
		if req {
			return false
		}
	}
	return true
}

// question reports whether the request is phrased as a question.
func (a *analysis) question() bool {
	for i, tk := range a.toks {
		if tk.kind == tkEnd && tk.low == "?" {
			return true
		}
		if tk.kind == tkWord && i == 0 {
			switch tk.low {
			case "how", "which", "what", "whats", "who", "are", "is", "do", "does", "did", "was", "were", "have", "has":
				return true
			}
		}
	}
	return false
}

// fromLedger reports whether a variant was made from a pronoun standing
// for earlier results.
func (a *analysis) fromLedger() bool {
	for _, m := range a.ments {
		if m.pron != nil && len(m.cands) > 0 && strings.HasPrefix(m.cands[0].id, placeholderPfx) {
			return true
		}
	}
	return false
}
