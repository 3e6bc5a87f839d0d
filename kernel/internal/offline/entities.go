package offline

import (
	"sort"
	"strings"
	"sync"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
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
	// titleAt indexes titles by stem: which titles a word may be part of.
	titleAt map[string][]int
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
	n := len(t.Resources) + len(t.Members)
	g := &gazetteer{exact: make(map[string][]cand, n), weak: make(map[string][]cand, n), attr: map[string][]cand{}, nameStems: map[string]bool{}, kindStems: map[string]bool{}, maxSpan: 1,
		titles: make([]titleDef, 0, len(t.Resources))}
	for _, r := range t.Resources {
		g.add(ix.namesOf(r.Resource, false))
	}
	for _, m := range t.Members {
		g.add(ix.namesOf(sdk.Resource{Kind: personKind, ID: string(m.ID)}, true))
	}
	if g.maxSpan > 3 {
		g.maxSpan = 3
	}
	g.titleAt = make(map[string][]int, len(g.titles))
	for i, td := range g.titles {
		for _, s := range td.stems {
			if l := g.titleAt[s]; len(l) == 0 || l[len(l)-1] != i {
				g.titleAt[s] = append(l, i)
			}
		}
	}
	return g
}

// names is what one resource gives the gazetteer: its exact name, how
// many tokens the name may be written in, the stem of a one-word name,
// its title's stems, its informal aliases and the attribute values that
// fill slots. It depends on the resource and the catalog only, so it is
// computed once per resource and catalog (index.namesOf).
type names struct {
	kind, id  string
	exact     string
	span      int
	nameStem  string
	kindStem  string
	title     titleDef
	weak      []string
	attrKeys  []string // slot name
	attrNames []string // normalised value, same index
	attrVals  []string // value as written
}

// add merges one resource's names.
func (g *gazetteer) add(n *names) {
	if n.kindStem != "" {
		g.kindStems[n.kindStem] = true
	}
	if n.exact != "" {
		g.exact[n.exact] = appendCand(g.exact[n.exact], cand{kind: n.kind, id: n.id, strength: strExact})
		g.maxSpan = max(g.maxSpan, n.span)
		if n.nameStem != "" {
			g.nameStems[n.nameStem] = true
		}
	}
	if len(n.title.stems) > 0 {
		g.titles = append(g.titles, n.title)
	}
	for _, a := range n.weak {
		g.weak[a] = appendCand(g.weak[a], cand{kind: n.kind, id: n.id, strength: strWeak})
	}
	for i, k := range n.attrKeys {
		key := n.attrNames[i]
		g.attr[key] = appendCand(g.attr[key], cand{kind: "", id: n.attrVals[i], strength: strExact, attr: k})
	}
}

// maxNames bounds the memo of names per catalog.
const maxNames = 65536

// namesOf is a resource's names, from the memo when the same resource
// (kind, id and the attributes read) was seen with this catalog.
func (ix *index) namesOf(r sdk.Resource, member bool) *names {
	prefix := "r\x00"
	if member {
		prefix = "m\x00"
	}
	key := prefix + r.Kind + "\x00" + r.ID + "\x00" + r.Attrs["title"] + "\x00" + r.Attrs["name"]
	for _, k := range ix.slotList {
		key += "\x00" + r.Attrs[k]
	}
	ix.namesMu.Lock()
	n, ok := ix.names[key]
	ix.namesMu.Unlock()
	if ok {
		return n
	}
	n = ix.computeNames(r, member)
	ix.namesMu.Lock()
	if ix.names == nil || len(ix.names) >= maxNames {
		ix.names = map[string]*names{}
	}
	ix.names[key] = n
	ix.namesMu.Unlock()
	return n
}

// computeNames works a resource's names out.
func (ix *index) computeNames(r sdk.Resource, member bool) *names {
	n := &names{kind: r.Kind, id: r.ID, exact: normName(r.ID), span: 1}
	if !member {
		n.kindStem = kindStem(r.Kind)
	}
	if n.exact != "" {
		// "web-1" may be written "web 1": one token per part.
		n.span = len(strings.FieldsFunc(r.ID, func(c rune) bool { return c == '-' || c == '_' || c == '.' || c == ' ' }))
		if isAlpha(strings.ToLower(r.ID)) {
			n.nameStem = stem(strings.ToLower(r.ID))
		}
	}
	if member {
		return n
	}
	title := r.Attrs["title"]
	if title == "" {
		title = r.Attrs["name"]
	}
	if title != "" {
		n.title = titleDef{kind: r.Kind, id: r.ID}
		for _, tk := range tokenize(title) {
			if tk.kind == tkWord && !stopwords[tk.low] {
				n.title.stems = append(n.title.stems, stem(tk.low))
			}
		}
	}
	for _, a := range weakAliases(r.ID) {
		if !stopwords[a] && !ix.vocab[stem(a)] && !ix.vocab[ix.lx.concept[stem(a)]] {
			n.weak = append(n.weak, a)
		}
	}
	for k, v := range r.Attrs {
		k = strings.ToLower(k)
		if !ix.slotNames[k] || len(v) < 3 || stopwords[strings.ToLower(v)] {
			continue
		}
		n.attrKeys, n.attrNames, n.attrVals = append(n.attrKeys, k), append(n.attrNames, normName(v)), append(n.attrVals, v)
	}
	return n
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
