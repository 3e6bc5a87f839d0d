package offline

import (
	"sort"
	"strings"
	"sync"

	"github.com/steward-os/steward/kernel/route"
)

// Mention strengths.
const (
	strExact   = 1.0 // the id itself, however spaced: web-1, "web 1", web1
	strPartial = 0.8 // a suffix of an unknown dotted name: api.acme.test → acme.test
	strWeak    = 0.5 // an alias: the first label of a dotted id or the stem of a numbered one
)

// personKind is the resource kind of tenant members.
const personKind = "person"

// cand is one resource a mention may denote.
type cand struct {
	kind     string
	id       string
	strength float64
	attr     string // set for attribute values ("region" for eu-west)
}

// mention is a span of tokens naming one or more resources.
type mention struct {
	start, end int // token range [start, end)
	cands      []cand
	label      string // for partial dotted names: the unknown leading label ("api")
	// pron is set for a pronoun or an ordinal ("it", "them", "the second
	// one") standing for something named earlier; its candidates are the
	// antecedents (see refs.go).
	pron *pronoun
}

func (m *mention) best() float64 {
	b := 0.0
	for _, c := range m.cands {
		if c.strength > b {
			b = c.strength
		}
	}
	return b
}

// ofKind returns the candidates of kind k, strongest first.
func (m *mention) ofKind(k string) []cand {
	var out []cand
	for _, c := range m.cands {
		if c.kind == k && c.attr == "" {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].strength > out[j].strength })
	return out
}

// gazetteer maps normalised names to the resources they denote. It is built
// per turn from the actor's own resources and colleagues only.
type gazetteer struct {
	exact map[string][]cand
	weak  map[string][]cand
	attr  map[string][]cand
	// stems of single-word names: such words are names, not vocabulary.
	nameStems map[string]bool
	maxSpan   int
	titles    []titleDef
	// kindStems are the stems of the tenant's resource kinds ("server").
	kindStems map[string]bool
	// parsed caches decoded ledger facts (ledger.go); the table is shared
	// between goroutines, so it has its own lock.
	mu     sync.Mutex
	parsed map[factKey]*parsedFact
}

// titleDef is a resource's "title" (or "name") attribute as content stems.
type titleDef struct {
	kind, id string
	stems    []string
}

// normName folds case and separators: "Web 1", "web-1" and "web1" agree.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case '-', '_', '.', ' ', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func buildGazetteer(t route.Turn, ix *index) *gazetteer {
	g := &gazetteer{exact: map[string][]cand{}, weak: map[string][]cand{}, attr: map[string][]cand{}, nameStems: map[string]bool{}, kindStems: map[string]bool{}, maxSpan: 1}
	addExact := func(kind, id string) {
		key := normName(id)
		if key == "" {
			return
		}
		g.exact[key] = appendCand(g.exact[key], cand{kind: kind, id: id, strength: strExact})
		// "web-1" may be written "web 1": one token per part.
		parts := strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' })
		if n := len(parts); n > g.maxSpan {
			g.maxSpan = n
		}
		if isAlpha(strings.ToLower(id)) {
			g.nameStems[stem(strings.ToLower(id))] = true
		}
	}
	for _, r := range t.Resources {
		g.kindStems[kindStem(r.Kind)] = true
		addExact(r.Kind, r.ID)
		title := r.Attrs["title"]
		if title == "" {
			title = r.Attrs["name"]
		}
		if title != "" {
			td := titleDef{kind: r.Kind, id: r.ID}
			for _, tk := range tokenize(title) {
				if tk.kind == tkWord && !stopwords[tk.low] {
					td.stems = append(td.stems, stem(tk.low))
				}
			}
			if len(td.stems) > 0 {
				g.titles = append(g.titles, td)
			}
		}
		for _, a := range weakAliases(r.ID) {
			if stopwords[a] || ix.vocab[stem(a)] || ix.vocab[ix.lx.concept[stem(a)]] {
				continue
			}
			g.weak[a] = appendCand(g.weak[a], cand{kind: r.Kind, id: r.ID, strength: strWeak})
		}
		for k, v := range r.Attrs {
			k = strings.ToLower(k)
			if !ix.slotNames[k] || len(v) < 3 || stopwords[strings.ToLower(v)] {
				continue
			}
			key := normName(v)
			g.attr[key] = appendCand(g.attr[key], cand{kind: "", id: v, strength: strExact, attr: k})
		}
	}
	for _, m := range t.Members {
		addExact(personKind, string(m.ID))
	}
	if g.maxSpan > 3 {
		g.maxSpan = 3
	}
	return g
}

func appendCand(cs []cand, c cand) []cand {
	for _, x := range cs {
		if x.kind == c.kind && x.id == c.id && x.attr == c.attr {
			return cs
		}
	}
	return append(cs, c)
}

// weakAliases are the informal names of an id: the first label of a dotted
// name (blog.acme.test → blog) and the word of a numbered one (staging-1 →
// staging).
func weakAliases(id string) []string {
	low := strings.ToLower(id)
	var out []string
	if i := strings.IndexByte(low, '.'); i > 0 && strings.Count(low, ".") >= 2 {
		out = append(out, low[:i])
	}
	trim := strings.TrimRight(low, "0123456789")
	if trim != low && trim != "" {
		trim = strings.TrimRight(trim, "-_ ")
		if len(trim) >= 3 && isAlpha(trim) {
			out = append(out, trim)
		}
	}
	return out
}

// findMentions finds resource and member names in toks, longest first.
// "my manager" is resolved to the actor's manager.
func (g *gazetteer) findMentions(toks []token, t route.Turn) []mention {
	var out []mention
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tkWord {
			continue
		}
		if toks[i].low == "my" && i+1 < len(toks) && managerWords[toks[i+1].low] && t.Actor.Manager != "" {
			out = append(out, mention{start: i, end: i + 2, cands: []cand{{kind: personKind, id: string(t.Actor.Manager), strength: strExact}}})
			i++
			continue
		}
		found := false
		for span := g.maxSpan; span >= 1 && !found; span-- {
			if i+span > len(toks) {
				continue
			}
			var key strings.Builder
			ok := true
			for j := i; j < i+span; j++ {
				if toks[j].kind != tkWord {
					ok = false
					break
				}
				key.WriteString(normName(toks[j].low))
			}
			if !ok {
				continue
			}
			k := key.String()
			var cs []cand
			cs = append(cs, g.exact[k]...)
			if span == 1 {
				for _, c := range g.weak[toks[i].low] {
					cs = appendCand(cs, c)
				}
				cs = append(cs, g.attr[k]...)
			}
			if len(cs) == 0 {
				continue
			}
			out = append(out, mention{start: i, end: i + span, cands: cs})
			i += span - 1
			found = true
		}
		if found {
			continue
		}
		// An unknown dotted name ending in a known one: api.acme.test.
		low := toks[i].low
		for dot := strings.IndexByte(low, '.'); dot > 0; {
			suffix := low[dot+1:]
			if cs := g.exact[normName(suffix)]; len(cs) > 0 && strings.Contains(suffix, ".") {
				var part []cand
				for _, c := range cs {
					c.strength = strPartial
					part = append(part, c)
				}
				out = append(out, mention{start: i, end: i + 1, cands: part, label: toks[i].raw[:dot]})
				break
			}
			next := strings.IndexByte(suffix, '.')
			if next < 0 {
				break
			}
			dot += 1 + next
		}
	}
	return out
}
