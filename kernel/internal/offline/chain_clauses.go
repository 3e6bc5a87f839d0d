package offline

import (
	"time"

	"github.com/steward-os/steward/kernel/route"
)

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
