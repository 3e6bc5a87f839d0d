package offline

import (
	"slices"
	"sort"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

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
	var d *toolDoc
	if i, ok := a.ix.byID[f.f.Tool]; ok {
		d = &a.ix.tools[i]
	}
	fields := make([]string, 0, len(f.items[0]))
	for k := range f.items[0] {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	w := &itemFilter{g: g, f: f, fields: fields, where: map[string]string{}}
	if !a.filterEnums(w, d) || !a.filterMentions(w) || !a.filterWords(w, d) {
		return nil, false
	}
	if len(w.where) == 0 {
		return nil, true
	}
	return w.where, true
}

// itemFilter is what a question asks of the items of one fact: a value
// for some of their fields.
type itemFilter struct {
	g      *gazetteer
	f      parsedFact
	fields []string // the items' fields, sorted
	where  map[string]string
}

// set filters field on v; false when the question already gave the field
// another value.
func (w *itemFilter) set(field, v string) bool {
	if old, ok := w.where[field]; ok && !strings.EqualFold(old, v) {
		return false // "running or stopped": not one filter
	}
	w.where[field] = v
	return true
}

// holding returns a field some item holds value v in, or whose values are
// of kind.
func (w *itemFilter) holding(v, kind string) string {
	for _, fl := range w.fields {
		for _, it := range w.f.items {
			s, ok := it[fl].(string)
			if !ok {
				continue
			}
			if kind == "" && strings.EqualFold(s, v) || kind != "" && slices.Contains(w.g.kindsOf(s), kind) {
				return fl
			}
		}
	}
	return ""
}

// filterEnums filters on the enum values of the question: the field of the
// parameter of the fact's tool that takes the value, else a field some
// item holds it in.
func (a *analysis) filterEnums(w *itemFilter, d *toolDoc) bool {
	for _, e := range a.enums {
		field := ""
		if d != nil {
			for _, p := range d.spec.Params {
				if slices.ContainsFunc(p.Enum, func(x string) bool { return strings.EqualFold(x, e.value) }) {
					if _, ok := w.f.items[0][p.Name]; ok {
						field = p.Name
					}
				}
			}
		}
		if field == "" {
			field = w.holding(e.value, "")
		}
		if field == "" || !w.set(field, e.value) {
			return false
		}
	}
	return true
}

// filterMentions filters on the names of the question: a resource
// attribute of the same name as a field, else a field (other than the
// items' own names) whose values are of the name's kind.
func (a *analysis) filterMentions(w *itemFilter) bool {
	for _, m := range a.ments {
		field, value := "", ""
		for _, c := range m.cands {
			switch {
			case c.attr != "":
				if _, ok := w.f.items[0][c.attr]; ok {
					field, value = c.attr, c.id
				}
			case field == "":
				if fl := w.holding("", c.kind); fl != "" && fl != w.f.idField {
					field, value = fl, c.id
				}
			}
		}
		if field == "" || !w.set(field, value) {
			return false
		}
	}
	return true
}

// filterWords accounts for the question's other words: "my" filters on
// the actor; function words, answer words, words for the items themselves
// and the names of fields are allowed; any other word fails.
func (a *analysis) filterWords(w *itemFilter, d *toolDoc) bool {
	for i, tk := range a.toks {
		if tk.kind != tkWord || tk.quoted || a.mentAt[i] >= 0 || a.enumAt[i] >= 0 {
			continue
		}
		low := tk.low
		switch {
		case selfWords[low]:
			fl := w.holding("", personKind)
			if fl == "" || !w.set(fl, string(a.turn.Actor.ID)) {
				return false
			}
		case stopwords[low], particles[low], answerWords[low], pluralPron[low]:
		case a.enumCovers(i):
		default:
			s := stem(low)
			if c, ok := a.ix.lx.concept[s]; ok {
				s = c
			}
			if s == stem(w.f.key) || d != nil && d.anchor[s] {
				continue // a word for the items themselves: "servers", "machines"
			}
			if _, ok := w.f.items[0][low]; ok {
				continue // a field's name: "in the us-east region", "with size m"
			}
			return false
		}
	}
	return true
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
