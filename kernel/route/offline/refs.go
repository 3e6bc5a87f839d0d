package offline

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// refTo is a reference argument: {"$ref": target} (see route.Step).
func refTo(target string) map[string]any { return map[string]any{"$ref": target} }

// This file resolves what a request points back at: pronouns ("it",
// "them", "her"), ordinals ("the second one") and questions about an
// earlier result ("how many of those are in eu-west?").
//
// Inside a multi-step request a pronoun refers to what an earlier clause
// named, and becomes that literal id ("snapshot web-1 and then resize it").
// Otherwise it refers to the session's ledger (Turn.Facts, AF-02) and
// becomes a reference into a verbatim fact: {"$ref": "fact:42#/servers/1/name"}.
// Only facts present in the turn, and only successful ones, are used.

// pronoun is what a pronoun or ordinal mention stands for.
type pronoun struct {
	plural  bool // "them", "those": every antecedent, one step each
	person  bool // "him", "her"
	ordinal bool // "the second one": one item of an earlier list
	index   int  // for ordinals: 0-based, -1 = last
}

// refTarget is what a placeholder candidate id stands for: a literal or a
// reference, and how to name it in a question.
type refTarget struct {
	value   any
	display string
}

// maxPronouns bounds the pronouns resolved in one clause.
const maxPronouns = 8

// placeholderPfx marks candidate ids that stand for a refTarget.
const placeholderPfx = "\x00ref"

func (a *analysis) placeholder(value any, display string) string {
	a.refs = append(a.refs, refTarget{value: value, display: display})
	return placeholderPfx + strconv.Itoa(len(a.refs)-1)
}

// target returns what an argument value stands for: itself, or the
// literal or reference behind a placeholder.
func (a *analysis) target(v any) any {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(s, placeholderPfx) {
		return v
	}
	i, err := strconv.Atoi(strings.TrimPrefix(s, placeholderPfx))
	if err != nil || i < 0 || i >= len(a.refs) {
		return v
	}
	return a.refs[i].value
}

// literal returns the id a candidate id names: itself, or the value a
// placeholder's reference points at (for following relations).
func (a *analysis) literal(id string) string {
	if i, err := strconv.Atoi(strings.TrimPrefix(id, placeholderPfx)); err == nil && strings.HasPrefix(id, placeholderPfx) && i < len(a.refs) {
		return a.refs[i].display
	}
	return id
}

// display names placeholders in a question by the value they stand for.
func (a *analysis) display(q string) string {
	for i := len(a.refs) - 1; i >= 0; i-- {
		q = strings.ReplaceAll(q, placeholderPfx+strconv.Itoa(i), a.refs[i].display)
	}
	return q
}

// entity is a resource an earlier clause bound to a parameter.
type entity struct {
	kind    string
	value   any // a literal id, or a reference
	display string
}

// scope is what a clause's pronouns may refer to.
type scope struct {
	// chain is set for every clause after the first of a multi-step
	// request: its pronouns refer to earlier clauses, never to the ledger.
	chain bool
	// earlier holds the entities of earlier clauses, nearest clause first.
	earlier [][]entity
	// facts is the ledger, most recent first, successful facts only.
	facts []parsedFact
	// listed is set when an earlier clause of the request lists things:
	// "the first one" then means an item of a list not produced yet.
	listed bool
	// implicit holds the kinds an earlier clause supplies when this one
	// names none ("snapshot web-1, then restart the server"): a tool that
	// needs one is not missing its target.
	implicit map[string]bool
}

// refers reports whether the clause has something to refer back to.
func (sc *scope) refers() bool { return sc != nil && (sc.chain || len(sc.facts) > 0) }

// parsedFact is a ledger fact with its output decoded.
type parsedFact struct {
	f   session.Fact
	ext string
	obj map[string]any // the output, when it is an object
	// The output's list of items, when it has one: its key ("servers"),
	// items, and the item field naming each one ("name") with its kinds.
	key     string
	items   []map[string]any
	idField string
}

// mayRefer reports whether a request could point back at anything: a
// pronoun, an ordinal, a reference noun, or a question about items. Only
// then is the ledger read.
func (a *analysis) mayRefer() bool {
	for i, tk := range a.toks {
		if tk.kind != tkWord {
			continue
		}
		low := tk.low
		if singularPron[low] || pluralPron[low] || personPron[low] || low == "ones" || low == "one" || low == "many" || low == "which" || refNouns[stem(low)] {
			return true
		}
		if _, ok := ordinal(low); ok && i > 0 && a.toks[i-1].low == "the" {
			return true
		}
	}
	return false
}

// maxParsed bounds the decoded facts a name table keeps.
const maxParsed = 256

// parseFacts decodes the turn's successful facts, most recent first. A
// decoded fact is kept with the tenant's name table (its id field depends
// on the tenant's resources), keyed by id and a hash of its output.
func (g *gazetteer) parseFacts(t route.Turn) []parsedFact {
	var out []parsedFact
	for i := len(t.Facts) - 1; i >= 0; i-- {
		f := t.Facts[i]
		if !f.OK || len(f.Output) == 0 || f.ID <= 0 {
			continue
		}
		key := factKey{id: f.ID, tool: f.Tool, sum: maphash.Bytes(factSeed, f.Output)}
		g.mu.Lock()
		pf, ok := g.parsed[key]
		g.mu.Unlock()
		if !ok {
			pf = g.parseFact(f)
			g.mu.Lock()
			if g.parsed == nil || len(g.parsed) >= maxParsed {
				g.parsed = map[factKey]*parsedFact{}
			}
			g.parsed[key] = pf
			g.mu.Unlock()
		}
		if pf != nil {
			out = append(out, *pf)
		}
	}
	return out
}

// factKey identifies a fact's verbatim output.
type factKey struct {
	id   int64
	tool session.ToolID
	sum  uint64
}

var factSeed = maphash.MakeSeed()

// parseFact decodes one fact; nil when its output is not a JSON object.
func (g *gazetteer) parseFact(f session.Fact) *parsedFact {
	var v any
	if err := json.Unmarshal(f.Output, &v); err != nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	ext, _, _ := strings.Cut(string(f.Tool), ".")
	pf := &parsedFact{f: f, ext: ext, obj: obj}
	pf.key, pf.items = listIn(obj, g)
	if pf.items != nil {
		pf.idField = idField(pf.items, pf.key, g)
	}
	return pf
}

// listIn finds the output's list of objects: the one whose key names a
// resource kind when there are several ("servers"), else the first by key.
func listIn(obj map[string]any, g *gazetteer) (string, []map[string]any) {
	keys := make([]string, 0, len(obj))
	for k, v := range obj {
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			if _, ok := arr[0].(map[string]any); ok {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	sort.Strings(keys)
	best := keys[0]
	for _, k := range keys {
		if g.kindStems[stem(k)] {
			best = k
			break
		}
	}
	var items []map[string]any
	for _, e := range obj[best].([]any) {
		if m, ok := e.(map[string]any); ok {
			items = append(items, m)
		}
	}
	return best, items
}

// kindsOf returns the kinds of resource (or "person") whose id is v.
func (g *gazetteer) kindsOf(v string) []string {
	var out []string
	for _, c := range g.exact[normName(v)] {
		if strings.EqualFold(c.id, v) && !slices.Contains(out, c.kind) {
			out = append(out, c.kind)
		}
	}
	sort.Strings(out)
	return out
}

// idField returns the item field that names each item: the one whose
// values are ids of the kind the list's key names ("servers" → name),
// else "name" or "id", else the first field holding ids.
func idField(items []map[string]any, key string, g *gazetteer) string {
	fields := map[string][]string{} // field → kinds every item's value has
	var names []string
	for f := range items[0] {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		var kinds []string
		for i, it := range items {
			s, ok := it[f].(string)
			if !ok {
				kinds = nil
				break
			}
			ks := g.kindsOf(s)
			if i == 0 {
				kinds = ks
			} else {
				kinds = slices.DeleteFunc(kinds, func(k string) bool { return !slices.Contains(ks, k) })
			}
		}
		if len(kinds) > 0 {
			fields[f] = kinds
		}
	}
	ks := stem(key)
	for _, f := range names {
		for _, k := range fields[f] {
			if kindStem(k) == ks {
				return f
			}
		}
	}
	for _, f := range []string{"name", "id"} {
		if _, ok := items[0][f]; ok {
			return f
		}
	}
	for _, f := range names {
		if len(fields[f]) > 0 {
			return f
		}
	}
	return ""
}

// kindStem is the stem of a kind's last word: dns_record → record.
func kindStem(kind string) string {
	if i := strings.LastIndexByte(kind, '_'); i >= 0 {
		kind = kind[i+1:]
	}
	return stem(kind)
}

// addPronouns adds a mention for every pronoun and ordinal that has an
// antecedent in sc.
func (a *analysis) addPronouns(g *gazetteer, sc *scope) {
	taken := make([]bool, len(a.toks))
	for _, m := range a.ments {
		for j := m.start; j < m.end; j++ {
			taken[j] = true
		}
	}
	word := func(k int) string {
		if k < len(a.toks) && a.toks[k].kind == tkWord && !a.toks[k].quoted {
			return a.toks[k].low
		}
		return ""
	}
	var add []mention
	for i := 0; i < len(a.toks); i++ {
		tk := a.toks[i]
		if tk.kind != tkWord || tk.quoted || taken[i] {
			continue
		}
		low := tk.low
		var p pronoun
		end := i + 1
		if n, ok := ordinal(word(i + 1)); ok && low == "the" && a.ordinalEnds(i+2) {
			p = pronoun{ordinal: true, index: n}
			end = i + 2
			if oneWords[word(i+2)] {
				end++
			}
		} else {
			switch {
			case (low == "that" || low == "this") && word(i+1) == "one":
				end = i + 2
			case low == "the" && word(i+1) == "ones":
				p.plural, end = true, i+2
			case (low == "all" || low == "each" || low == "both") && word(i+1) == "of" && pluralPron[word(i+2)]:
				p.plural, end = true, i+3
			case low == "both" && (i+1 >= len(a.toks) || !taken[i+1]):
				p.plural = true
			case singularPron[low]:
			case pluralPron[low] && low != "both":
				p.plural = true
			case personPron[low]:
				p.person = true
			default:
				continue
			}
		}
		if len(add) >= maxPronouns {
			break
		}
		if cands := a.antecedents(g, sc, p); len(cands) > 0 {
			pp := p
			add = append(add, mention{start: i, end: end, cands: cands, pron: &pp})
		}
		i = end - 1
	}
	if len(add) > 0 {
		a.ments = append(a.ments, add...)
		sort.SliceStable(a.ments, func(i, j int) bool { return a.ments[i].start < a.ments[j].start })
	}
}

// ordinalEnds reports whether an ordinal's phrase may end before token k:
// "the second one", "the last server", "the first to l", "the third."
func (a *analysis) ordinalEnds(k int) bool {
	if k >= len(a.toks) || a.toks[k].kind != tkWord {
		return true
	}
	low := a.toks[k].low
	if oneWords[low] || stopwords[low] || particles[low] {
		return true
	}
	s := stem(low)
	if c, ok := a.ix.lx.concept[s]; ok {
		s = c
	}
	return a.ix.vocab[s]
}

// antecedents returns the candidates a pronoun may stand for.
func (a *analysis) antecedents(g *gazetteer, sc *scope, p pronoun) []cand {
	if p.ordinal && sc.listed {
		return nil // an item of a list this turn has not produced yet
	}
	if p.person || sc.chain && !p.ordinal {
		// The nearest clause that bound something; for a plural pronoun,
		// also the clauses before it that bound the same kinds ("resize
		// web-1 to xl and web-2 to l, then restart both").
		var out []cand
		kinds := map[string]bool{}
		for _, ents := range sc.earlier {
			var these []cand
			for _, e := range ents {
				if (e.kind == personKind) == p.person && (len(out) == 0 || kinds[e.kind]) {
					these = append(these, a.entityCand(e))
				}
			}
			if len(these) == 0 {
				if len(out) > 0 {
					break
				}
				continue
			}
			out = append(these, out...)
			if !p.plural {
				break
			}
			for _, c := range these {
				kinds[c.kind] = true
			}
		}
		return out
	}
	return a.ledgerCands(g, sc.facts, p)
}

func (a *analysis) entityCand(e entity) cand {
	if s, ok := e.value.(string); ok {
		return cand{kind: e.kind, id: s, strength: strExact}
	}
	return cand{kind: e.kind, id: a.placeholder(e.value, e.display), strength: strExact}
}

// ledgerCands resolves a pronoun or ordinal against earlier results: an
// ordinal picks that item of the most recent list of each kind; "it" and
// "them" stand for the most recent result that names something (its items,
// when it is a list).
func (a *analysis) ledgerCands(g *gazetteer, facts []parsedFact, p pronoun) []cand {
	var out []cand
	seen := map[string]bool{}
	for fi, f := range facts {
		if p.ordinal {
			if f.idField == "" {
				continue
			}
			i := p.index
			if i < 0 {
				i = len(f.items) - 1
			}
			if i >= len(f.items) {
				continue
			}
			val, _ := f.items[i][f.idField].(string)
			strength := strExact
			if len(out) > 0 || fi > 0 {
				strength = strPartial
			}
			for _, k := range g.kindsOf(val) {
				if k == personKind || seen[k] {
					continue
				}
				seen[k] = true
				ref := refTo(fmt.Sprintf("fact:%d#/%s/%d/%s", f.f.ID, escapePointer(f.key), i, escapePointer(f.idField)))
				out = append(out, cand{kind: k, id: a.placeholder(ref, val), strength: strength})
			}
			continue
		}
		if f.idField != "" {
			for i, it := range f.items {
				val, _ := it[f.idField].(string)
				for _, k := range g.kindsOf(val) {
					if k == personKind {
						continue
					}
					ref := refTo(fmt.Sprintf("fact:%d#/%s/%d/%s", f.f.ID, escapePointer(f.key), i, escapePointer(f.idField)))
					out = append(out, cand{kind: k, id: a.placeholder(ref, val), strength: strExact})
				}
			}
		} else {
			// A single object: every top-level field that names a resource;
			// the one the tool's name is about first ("get_server" → server).
			_, tool, _ := strings.Cut(string(f.f.Tool), ".")
			var keys []string
			for k := range f.obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				val, ok := f.obj[k].(string)
				if !ok {
					continue
				}
				for _, kind := range g.kindsOf(val) {
					if kind == personKind {
						continue
					}
					strength := strPartial
					if strings.Contains(tool, kindStem(kind)) {
						strength = strExact
					}
					ref := refTo(fmt.Sprintf("fact:%d#/%s", f.f.ID, escapePointer(k)))
					out = append(out, cand{kind: kind, id: a.placeholder(ref, val), strength: strength})
				}
			}
		}
		if len(out) > 0 {
			return out // "it" and "them" mean the most recent result that names something
		}
	}
	return out
}

// escapePointer escapes a JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// findLists finds coordinated names that share a kind: "web-1, web-2 and
// db-1", "alice and carol", "eu-west and us-east". "or" does not
// coordinate (it asks a choice).
func findLists(toks []token, ments []mention) [][]int {
	var lists [][]int
	var cur []int
	for mi := 0; mi < len(ments); mi++ {
		m := ments[mi]
		if m.pron != nil {
			continue
		}
		if len(cur) > 0 {
			prev := ments[cur[len(cur)-1]]
			if joined(toks, prev.end, m.start) && shareKind(prev, m) {
				cur = append(cur, mi)
				continue
			}
			if len(cur) > 1 {
				lists = append(lists, cur)
			}
		}
		cur = []int{mi}
	}
	if len(cur) > 1 {
		lists = append(lists, cur)
	}
	return lists
}

// joined reports whether tokens [from, to) only join two names: commas,
// "and", "as well as", "plus", and articles.
func joined(toks []token, from, to int) bool {
	conj := false
	for i := from; i < to; i++ {
		tk := toks[i]
		switch {
		case tk.quoted:
			return false
		case tk.kind == tkComma:
			conj = true
		case tk.kind != tkWord:
			return false
		case tk.low == "and" || tk.low == "plus" || tk.low == "&":
			conj = true
		case tk.low == "the" || tk.low == "as" || tk.low == "well" || tk.low == "also":
		default:
			return false
		}
	}
	return conj
}

func shareKind(a, b mention) bool {
	for _, x := range a.cands {
		for _, y := range b.cands {
			if x.kind == y.kind && x.attr == y.attr {
				return true
			}
		}
	}
	return false
}

// listContinues reports whether mention mi is followed by another name of
// its list ("tell alice and carol that …": no content starts after alice).
func (a *analysis) listContinues(mi int) bool {
	for _, l := range a.lists {
		if i := slices.Index(l, mi); i >= 0 && i < len(l)-1 {
			return true
		}
	}
	return false
}

// refOnly reports whether a prose value only points at an earlier result
// ("them", "the list to her", "about it"): pronouns, reference nouns,
// function words and names of people.
func (a *analysis) refOnly(v string) bool {
	pointer := false
	for _, tk := range tokenize(v) {
		if tk.kind != tkWord {
			continue
		}
		low := tk.low
		switch {
		case singularPron[low], pluralPron[low], personPron[low], refNouns[stem(low)]:
			pointer = true
		case stopwords[low], managerWords[low]:
		case slices.ContainsFunc(a.turn.Members, func(m sdk.Member) bool { return strings.EqualFold(string(m.ID), low) }):
		default:
			return false
		}
	}
	return pointer
}

// refNounAt reports whether token i is a noun standing for an earlier
// result ("send the list to her", "the results"), not the topic of a
// question ("the status of web-1").
func (a *analysis) refNounAt(i int) bool {
	tk := a.toks[i]
	if tk.kind != tkWord || tk.quoted || !refNouns[stem(tk.low)] || i == 0 {
		return false
	}
	switch a.toks[i-1].low {
	case "the", "those", "these", "that", "this":
	default:
		return false
	}
	if i+1 < len(a.toks) && a.toks[i+1].kind == tkWord {
		switch a.toks[i+1].low {
		case "of", "for", "on", "in", "about", "from":
			return false
		}
	}
	return true
}

// refWord reports whether the command (or its content) points at an
// earlier result: a pronoun or a reference noun.
func (a *analysis) refWord() bool {
	for i, tk := range a.toks {
		if tk.kind != tkWord || tk.quoted {
			continue
		}
		if singularPron[tk.low] || pluralPron[tk.low] || a.refNounAt(i) {
			return true
		}
	}
	return false
}

// answerWords may appear in a question about earlier results besides the
// filters: "how many of those are there in total?"
var answerWords = setOf(`how many number count which what list show name names any total altogether overall left there ones one`)

// ledgerAnswer answers a question about an earlier result from its fact
// (AF-02): "how many of those are in eu-west?", "which of them are
// running?", "how many are stopped?". It needs a clear reference to earlier
// results (those, them, these, "which ones", or a question with no subject
// of its own, "how many are stopped"), and every other word must be a
// filter on the items' fields or a word for the items themselves;
// otherwise the request is routed normally. It returns the query, its
// confidence and the fact's extension.
func (a *analysis) ledgerAnswer(g *gazetteer, facts []parsedFact) (*route.LedgerQuery, float64) {
	op := ""
	explicit, elliptic := false, false
	word := func(k int) string {
		if k < len(a.toks) && a.toks[k].kind == tkWord {
			return a.toks[k].low
		}
		return ""
	}
	for i, tk := range a.toks {
		if tk.kind != tkWord || tk.quoted {
			continue
		}
		switch tk.low {
		case "how":
			if word(i+1) == "many" {
				op = "count"
				switch word(i + 2) {
				case "", "are", "is", "were", "was", "have", "has", "do", "does":
					elliptic = true
				}
			}
		case "number":
			if word(i+1) == "of" && op == "" {
				op = "count"
			}
		case "count":
			if op == "" {
				op = "count"
			}
		case "which":
			if op == "" {
				op = "list"
			}
			switch word(i + 1) {
			case "are", "is", "were", "was", "have", "has", "ones", "one":
				elliptic = true
			}
		case "what", "list", "show", "name", "any":
			if op == "" {
				op = "list"
			}
		case "are", "were":
			if op == "" && i == 0 {
				op = "list" // "are they running?"
			}
		case "those", "them", "these", "they", "ones":
			explicit = true
		}
	}
	if op == "" || !explicit && !elliptic {
		return nil, 0
	}
	for _, f := range facts {
		if f.items == nil {
			continue
		}
		where, ok := a.filters(g, f)
		if !ok {
			continue
		}
		conf := 0.8
		if explicit {
			conf = 0.9
		}
		return &route.LedgerQuery{Fact: f.f.ID, Path: "/" + escapePointer(f.key), Where: where, Op: op, Field: f.idField}, conf
	}
	return nil, 0
}

// filters maps the question's values onto the fields of f's items, and
// reports whether every word of the question is accounted for.
func (a *analysis) filters(g *gazetteer, f parsedFact) (map[string]string, bool) {
	where := map[string]string{}
	set := func(field, v string) bool {
		if old, ok := where[field]; ok && !strings.EqualFold(old, v) {
			return false // "running or stopped": not one filter
		}
		where[field] = v
		return true
	}
	var d *toolDoc
	if i, ok := a.ix.byID[f.f.Tool]; ok {
		d = &a.ix.tools[i]
	}
	fields := make([]string, 0, len(f.items[0]))
	for k := range f.items[0] {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	// A field some item holds value v in, or whose values are of kind.
	holding := func(v, kind string) string {
		for _, fl := range fields {
			for _, it := range f.items {
				s, ok := it[fl].(string)
				if !ok {
					continue
				}
				if kind == "" && strings.EqualFold(s, v) || kind != "" && slices.Contains(g.kindsOf(s), kind) {
					return fl
				}
			}
		}
		return ""
	}
	for _, e := range a.enums {
		field := ""
		if d != nil {
			for _, p := range d.spec.Params {
				if slices.ContainsFunc(p.Enum, func(x string) bool { return strings.EqualFold(x, e.value) }) {
					if _, ok := f.items[0][p.Name]; ok {
						field = p.Name
					}
				}
			}
		}
		if field == "" {
			field = holding(e.value, "")
		}
		if field == "" || !set(field, e.value) {
			return nil, false
		}
	}
	for _, m := range a.ments {
		field, value := "", ""
		for _, c := range m.cands {
			switch {
			case c.attr != "":
				if _, ok := f.items[0][c.attr]; ok {
					field, value = c.attr, c.id
				}
			case field == "":
				if fl := holding("", c.kind); fl != "" && fl != f.idField {
					field, value = fl, c.id
				}
			}
		}
		if field == "" || !set(field, value) {
			return nil, false
		}
	}
	for i, tk := range a.toks {
		if tk.kind != tkWord || tk.quoted || a.mentAt[i] >= 0 || a.enumAt[i] >= 0 {
			continue
		}
		low := tk.low
		switch {
		case selfWords[low]:
			fl := holding("", personKind)
			if fl == "" || !set(fl, string(a.turn.Actor.ID)) {
				return nil, false
			}
		case stopwords[low], particles[low], answerWords[low], pluralPron[low]:
		case a.enumCovers(i):
		default:
			s := stem(low)
			if c, ok := a.ix.lx.concept[s]; ok {
				s = c
			}
			if s == stem(f.key) || d != nil && d.anchor[s] {
				continue // a word for the items themselves: "servers", "machines"
			}
			if _, ok := f.items[0][low]; ok {
				continue // a field's name: "in the us-east region", "with size m"
			}
			return nil, false
		}
	}
	if len(where) == 0 {
		where = nil
	}
	return where, true
}

// enumCovers reports whether token i is part of a two-word enum value.
func (a *analysis) enumCovers(i int) bool {
	for _, e := range a.enums {
		if i >= e.pos && i < e.end {
			return true
		}
	}
	return false
}

func (sc *scope) implicitKinds() map[string]bool {
	if sc == nil {
		return nil
	}
	return sc.implicit
}
