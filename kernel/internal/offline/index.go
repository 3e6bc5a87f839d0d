package offline

import (
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Field weights of a tool document: its name says most, then its keywords,
// then its description and examples.
const (
	wName     = 3.0
	wKeyword  = 2.0
	wDesc     = 1.0
	wExample  = 1.0
	wExt      = 1.0
	bm25K1    = 1.2
	bm25B     = 0.5
	surfaceW  = 0.5 // weight of an exact surface-form match on top of the stem match
	surfacePf = "="
)

// phrase is a multi-word expression that becomes one term.
type phrase struct {
	stems []string
	term  string
	// gap allows an object between the verb and a final particle
	// ("shut web-1 down", "let bob know").
	gap bool
}

// lexer turns token sequences into terms; it is immutable once built.
type lexer struct {
	concept map[string]string   // stem → canonical term
	phrases map[string][]phrase // first stem → phrases, longest first
}

func newLexer(extra []string) *lexer {
	lx := &lexer{concept: map[string]string{}, phrases: map[string][]phrase{}}
	for _, group := range lexicon {
		canon := stem(group[0])
		for _, w := range group {
			ws := strings.Fields(w)
			if len(ws) == 1 {
				lx.concept[stem(ws[0])] = canon
				continue
			}
			lx.addPhrase(ws, canon)
		}
	}
	for _, k := range extra {
		ws := strings.Fields(strings.ToLower(k))
		if len(ws) < 2 {
			continue
		}
		stems := make([]string, len(ws))
		for i, w := range ws {
			stems[i] = stem(w)
		}
		if lx.findPhrase(stems) != "" {
			continue
		}
		lx.addPhrase(ws, strings.Join(stems, "_"))
	}
	for k := range lx.phrases {
		ps := lx.phrases[k]
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].stems) > len(ps[j].stems) })
	}
	return lx
}

func (lx *lexer) addPhrase(ws []string, term string) {
	stems := make([]string, len(ws))
	for i, w := range ws {
		stems[i] = stem(w)
	}
	last := ws[len(ws)-1]
	p := phrase{stems: stems, term: term, gap: len(ws) == 2 && (particles[last] || last == "know")}
	lx.phrases[stems[0]] = append(lx.phrases[stems[0]], p)
}

func (lx *lexer) findPhrase(stems []string) string {
	for _, p := range lx.phrases[stems[0]] {
		if equalStrings(p.stems, stems) {
			return p.term
		}
	}
	return ""
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// term is one lexical unit found in a token sequence.
type term struct {
	term       string // canonical stem or concept
	surface    string // the word as written (single words only)
	surfaceKey string // surfacePf + surface
	// Resolved against an index by analyze: term ids (-1 when unknown) and
	// the term's idf (unknownW when unknown).
	id, surfaceID int
	idf           float64
	pos           int // index of its first token
	last          int // index of its last token
}

// lexable reports whether a word token may carry a lexical term: values
// with digits, dots or slashes are names, never vocabulary.
func lexable(low string) bool {
	return !strings.ContainsAny(low, "0123456789./@_")
}

// terms extracts the lexical terms of toks; skip marks tokens already taken
// (entity mentions, quoted content). used, when non-nil, receives the
// indexes of tokens consumed by a multi-word phrase.
func (lx *lexer) terms(toks []token, skip func(i int) bool, used []bool) []term {
	var out []term
	taken := make([]bool, len(toks))
	for i := 0; i < len(toks); i++ {
		if taken[i] || toks[i].kind != tkWord || (skip != nil && skip(i)) {
			continue
		}
		s := stem(toks[i].low)
		if m, end, gapIdx := lx.matchPhrase(toks, i, skip, taken); m != "" {
			for j := i; j <= end; j++ {
				if gapIdx != nil && gapIdx[j] {
					continue
				}
				taken[j] = true
				if used != nil {
					used[j] = true
				}
			}
			tm := term{term: m, pos: i, last: end}
			if c, ok := lx.concept[s]; ok && c == m && lexable(toks[i].low) {
				// "show me": the word "show" is written, so it counts as
				// written, like "show" alone does.
				tm.surface, tm.surfaceKey = toks[i].low, surfacePf+toks[i].low
			}
			out = append(out, tm)
			continue
		}
		low := toks[i].low
		if stopwords[low] || particles[low] && low != "up" && low != "down" || !lexable(low) {
			continue
		}
		t := s
		if c, ok := lx.concept[s]; ok {
			t = c
		}
		out = append(out, term{term: t, surface: low, surfaceKey: surfacePf + low, pos: i, last: i})
	}
	return out
}

// matchPhrase tries every phrase starting at toks[i]. It returns the term,
// the index of the phrase's last token and, for a gapped match, the tokens
// of the gap (which stay available).
func (lx *lexer) matchPhrase(toks []token, i int, skip func(int) bool, taken []bool) (string, int, map[int]bool) {
	first := stem(toks[i].low)
	cands := lx.phrases[first]
	if len(cands) == 0 {
		cands = lx.phrases[toks[i].low]
	}
	for _, p := range cands {
		// Contiguous match.
		j, k := i, 0
		for ; k < len(p.stems) && j < len(toks); j, k = j+1, k+1 {
			if toks[j].kind != tkWord || taken[j] || (j > i && skip != nil && skip(j)) {
				break
			}
			if stem(toks[j].low) != p.stems[k] && toks[j].low != p.stems[k] {
				break
			}
		}
		if k == len(p.stems) {
			return p.term, j - 1, nil
		}
		if !p.gap {
			continue
		}
		// Gapped: verb, up to three object tokens, particle.
		gap := map[int]bool{}
		for j = i + 1; j < len(toks) && j <= i+4; j++ {
			if toks[j].kind != tkWord {
				break
			}
			low := toks[j].low
			if stem(low) == p.stems[1] || low == p.stems[1] {
				if len(gap) > 0 {
					return p.term, j, gap
				}
				break
			}
			if !(objectWords[low] || (skip != nil && skip(j))) {
				break
			}
			gap[j] = true
		}
	}
	return "", 0, nil
}

// toolDoc is one tool as the router sees it.
type toolDoc struct {
	spec    route.ToolSpec
	tf      map[string]float64
	length  float64
	trigger map[string]bool // terms of its name, keywords and description
	anchor  map[string]bool // terms of its name and keywords: what it does
	// Parameters by role.
	kinds    map[string]bool // resource kind → required
	enums    map[string]string
	integer  []int // indexes into spec.Params
	date     []int
	freeText []int // prose parameters, the primary (required) one first
	slots    []int // other short strings (name, value, region)
}

func (d *toolDoc) hasEnum(v string) bool { _, ok := d.enums[strings.ToLower(v)]; return ok }

// index is everything derived from one catalog.
type index struct {
	fp     uint64 // fingerprint of the catalog
	lx     *lexer
	tools  []toolDoc
	byID   map[session.ToolID]int
	idf    map[string]float64
	avgLen float64
	// Precomputed per term: its id, and for each tool its BM25 weight and
	// whether it is one of the tool's own words (anchor).
	termID map[string]int
	weight [][]float64     // [term][tool]
	anchor [][]bool        // [term][tool]
	vocab  map[string]bool // terms of names, keywords, descriptions
	// slotNames are the names of short string parameters; resource attributes
	// with the same key are values of them ("region").
	slotNames map[string]bool
	slotList  []string          // slotNames, sorted
	exts      []string          // extension ids in catalog order
	help      map[string]string // extension → one example request
	// verbs are stems that start a command: the lexicon's verbs and the
	// first word of tool names that is not a resource kind ("snapshot").
	verbs map[string]bool
	// names memoises what each resource gives a gazetteer (namesOf).
	namesMu sync.Mutex
	names   map[string]*names
}

func buildIndex(catalog []route.ToolSpec) *index {
	ix := &index{
		lx:        newLexer(multiWordKeywords(catalog)),
		idf:       map[string]float64{},
		byID:      map[session.ToolID]int{},
		vocab:     map[string]bool{},
		slotNames: map[string]bool{},
		help:      map[string]string{},
	}
	df := map[string]int{}
	var total float64
	for _, spec := range catalog {
		d := ix.newToolDoc(spec)
		for t := range d.tf {
			df[t]++
		}
		total += d.length
		ix.byID[spec.ID] = len(ix.tools)
		ix.tools = append(ix.tools, d)
		if _, ok := ix.help[spec.Extension]; !ok {
			ix.exts = append(ix.exts, spec.Extension)
			if len(spec.Examples) > 0 {
				ix.help[spec.Extension] = spec.Examples[0]
			}
		}
	}
	ix.verbs = commandVerbs(catalog)
	for k := range ix.slotNames {
		ix.slotList = append(ix.slotList, k)
	}
	sort.Strings(ix.slotList)
	n := float64(len(catalog))
	for t, c := range df {
		ix.idf[t] = math.Log(1 + (n-float64(c)+0.5)/(float64(c)+0.5))
	}
	if len(catalog) > 0 {
		ix.avgLen = total / n
	}
	ix.weighTerms(df)
	return ix
}

// multiWordKeywords returns the catalog's keywords of more than one word,
// which the lexer reads as one term.
func multiWordKeywords(catalog []route.ToolSpec) []string {
	var multi []string
	for _, t := range catalog {
		for _, k := range t.Keywords {
			if strings.Contains(strings.TrimSpace(k), " ") {
				multi = append(multi, k)
			}
		}
	}
	return multi
}

// newToolDoc builds the document of one tool: its weighted terms, and its
// parameters by role.
func (ix *index) newToolDoc(spec route.ToolSpec) toolDoc {
	d := toolDoc{spec: spec, tf: map[string]float64{}, trigger: map[string]bool{}, kinds: map[string]bool{}, enums: map[string]string{}}
	d.anchor = map[string]bool{}
	ix.addText(&d, strings.ReplaceAll(spec.Name, "_", " "), wName, true)
	for _, k := range spec.Keywords {
		ix.addText(&d, k, wKeyword, true)
	}
	ix.addText(&d, spec.Description, wDesc, true)
	for _, e := range spec.Examples {
		ix.addText(&d, e, wExample, false)
	}
	ix.addText(&d, spec.Extension, wExt, false)
	ix.addParams(&d, spec.Params)
	return d
}

// addText adds the terms of text to d with weight w; with trig they are
// also words that trigger the tool.
func (ix *index) addText(d *toolDoc, text string, w float64, trig bool) {
	toks := tokenize(text)
	for _, t := range ix.lx.terms(toks, nil, nil) {
		d.tf[t.term] += w
		d.length += w
		if t.surface != "" {
			d.tf[surfacePf+t.surface] += w
		}
		if w >= wKeyword {
			d.anchor[t.term] = true
		}
		if trig {
			d.trigger[t.term] = true
			ix.vocab[t.term] = true
		}
	}
}

// addParams sorts d's parameters by role: resources, enums, integers,
// dates, prose and other short strings (slots).
func (ix *index) addParams(d *toolDoc, params []route.Param) {
	for i, p := range params {
		switch {
		case p.Resource != "":
			d.kinds[p.Resource] = d.kinds[p.Resource] || p.Required
		case len(p.Enum) > 0:
			for _, v := range p.Enum {
				d.enums[strings.ToLower(v)] = v
			}
		case p.Type == "integer" || p.Type == "number":
			d.integer = append(d.integer, i)
		case isDateParam(p):
			d.date = append(d.date, i)
		case freeTextParams[strings.ToLower(p.Name)]:
			if p.Required {
				d.freeText = append([]int{i}, d.freeText...)
			} else {
				d.freeText = append(d.freeText, i)
			}
		case p.Type == "" || p.Type == "string":
			d.slots = append(d.slots, i)
			ix.slotNames[strings.ToLower(p.Name)] = true
		}
	}
}

// commandVerbs returns the stems that start a command: the lexicon's verbs
// and the first word of tool names that is not a resource kind.
func commandVerbs(catalog []route.ToolSpec) map[string]bool {
	verbs := map[string]bool{}
	for _, v := range verbConcepts {
		verbs[stem(v)] = true
	}
	kinds := map[string]bool{}
	for _, spec := range catalog {
		for _, p := range spec.Params {
			if p.Resource != "" {
				kinds[stem(p.Resource)] = true
			}
		}
	}
	for _, spec := range catalog {
		if parts := strings.Split(spec.Name, "_"); len(parts) >= 2 && isAlpha(parts[0]) && !kinds[stem(parts[0])] {
			verbs[stem(parts[0])] = true
		}
	}
	return verbs
}

// weighTerms numbers the terms (sorted) and precomputes each one's BM25
// weight and anchor flag for every tool.
func (ix *index) weighTerms(df map[string]int) {
	ix.termID = make(map[string]int, len(df))
	terms := make([]string, 0, len(df))
	for t := range df {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	for id, t := range terms {
		ix.termID[t] = id
		ws := make([]float64, len(ix.tools))
		an := make([]bool, len(ix.tools))
		for ti := range ix.tools {
			ws[ti] = ix.bm25(&ix.tools[ti], t)
			an[ti] = ix.tools[ti].anchor[t]
		}
		ix.weight = append(ix.weight, ws)
		ix.anchor = append(ix.anchor, an)
	}
}

// isDateParam reports whether a string parameter holds a calendar date.
func isDateParam(p route.Param) bool {
	if p.Type != "" && p.Type != "string" {
		return false
	}
	switch strings.ToLower(p.Name) {
	case "due", "date", "deadline", "due_date", "when":
		return true
	}
	return strings.Contains(strings.ToUpper(p.Description), "YYYY-MM-DD")
}

// bm25 is the contribution of query term t to tool d.
func (ix *index) bm25(d *toolDoc, t string) float64 {
	f := d.tf[t]
	if f == 0 {
		return 0
	}
	norm := 1 - bm25B + bm25B*d.length/ix.avgLen
	return ix.idf[t] * f * (bm25K1 + 1) / (f + bm25K1*norm)
}

// fingerprint identifies a catalog's content for the index cache.
func fingerprint(seed maphash.Seed, catalog []route.ToolSpec) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	w := func(s string) {
		h.WriteString(s)
		h.WriteByte(0)
	}
	for _, t := range catalog {
		w(string(t.ID))
		w(t.Extension)
		w(t.Name)
		w(t.Description)
		w(strconv.Itoa(t.SafetyLevel))
		for _, e := range t.Examples {
			w(e)
		}
		w("\x01")
		for _, k := range t.Keywords {
			w(k)
		}
		w("\x01")
		for _, p := range t.Params {
			w(p.Name)
			w(p.Type)
			w(p.Resource)
			w(p.Description)
			if p.Required {
				w("r")
			}
			for _, e := range p.Enum {
				w(e)
			}
			w("\x02")
		}
		w("\x03")
	}
	return h.Sum64()
}

// same reports whether catalog is the catalog ix was built from.
func (ix *index) same(catalog []route.ToolSpec) bool {
	if len(catalog) != len(ix.tools) {
		return false
	}
	for i := range catalog {
		if !sameSpec(&catalog[i], &ix.tools[i].spec) {
			return false
		}
	}
	return true
}

// sameSpec reports whether two tool specs are identical.
func sameSpec(a, b *route.ToolSpec) bool {
	if a.ID != b.ID || a.Extension != b.Extension || a.Name != b.Name || a.Description != b.Description ||
		a.SafetyLevel != b.SafetyLevel || !equalStrings(a.Examples, b.Examples) || !equalStrings(a.Keywords, b.Keywords) ||
		len(a.Params) != len(b.Params) {
		return false
	}
	for i := range a.Params {
		p, q := &a.Params[i], &b.Params[i]
		if p.Name != q.Name || p.Type != q.Type || p.Required != q.Required || p.Resource != q.Resource ||
			p.Description != q.Description || !equalStrings(p.Enum, q.Enum) {
			return false
		}
	}
	return true
}
