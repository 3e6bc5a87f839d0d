package offline

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/steward-os/steward/sdk"
)

// refTo is a reference argument: {"$ref": target} (see route.Step).
func refTo(target string) map[string]any { return map[string]any{"$ref": target} }

// This file and the two ledger files resolve what a request points back
// at: pronouns ("it", "them", "her"), ordinals ("the second one") and
// questions about an earlier result ("how many of those are in eu-west?").
// The ledger's facts are decoded in ledger.go, and questions about them
// answered in ledger_answer.go.
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

func (sc *scope) implicitKinds() map[string]bool {
	if sc == nil {
		return nil
	}
	return sc.implicit
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
