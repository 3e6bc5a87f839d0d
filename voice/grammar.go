package voice

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is what a prompt listens for.
type Kind int

// Prompt kinds.
const (
	// Confirm listens for yes or no about one pending target.
	Confirm Kind = iota
	// Phrase listens for an identifier spelled letter by letter (level 4).
	Phrase
	// Ack listens for an acknowledgement of an alert (or no).
	Ack
	// Open listens for a request in the caller's own words; only an open
	// recognizer (voice/cloud) can.
	Open
)

// The words the constrained grammars are made of. Confirmation words are
// few and distinct; backchannels ("yeah", "okay", "uh huh") are listened
// for so that they are recognised as what they are and never taken for a
// yes; filler words absorb noise and sentences outside the grammar, so a
// recognizer that must fit every sound to some word has somewhere else to
// put it than "yes".
var (
	YesWords         = []string{"yes", "confirm", "confirmed", "approve", "affirmative", "go ahead"}
	NoWords          = []string{"no", "nope", "cancel", "stop", "negative", "reject", "abort"}
	Negations        = []string{"don't", "do not", "not", "never"}
	BackchannelWords = []string{"yeah", "yep", "okay", "uh huh", "mm hmm", "right", "sure", "alright", "got it", "i see"}
	AckWords         = []string{"acknowledge", "acknowledged"}
	Polite           = []string{"please", "thanks", "thank you"}
	// Fillers are longer words: short ones ("you", "do") become sinks
	// that a recognizer fits everything to, "yes" included.
	Fillers = []string{"weather", "today", "driving", "later", "minute", "second", "repeat", "tell", "about", "think",
		"check", "maybe", "again", "hello", "sorry", "there", "busy", "first", "something", "question", "moment",
		"number", "after", "before", "other", "really", "what", "where", "when", "who", "why", "how", "time", "call", "hold"}
)

// Grammar constrains what a recognizer may hear for one prompt. Targets
// holds the names (as words) of the pending target first, then its
// siblings and confusable neighbours: a caller naming any of them is
// heard naming that one, so "web two" is never fitted to "web one".
type Grammar struct {
	Kind    Kind
	Targets []Target
	// Context holds words of the prompt itself (the action read back:
	// "restart"), which a caller may repeat; they count as filler.
	Context []string
}

// Target is a resource a prompt may hear named.
type Target struct {
	ID    string   // "web-1"
	Words []string // how it is said: "web", "one"
}

// ConfirmGrammar is the grammar of a read-back about target: its name,
// the names of siblings (other resources of its kind in the tenant) and
// confusable neighbours (the same name with another digit), in the
// lexicon's words.
func ConfirmGrammar(kind Kind, target string, siblings []string, lex Lexicon) Grammar {
	g := Grammar{Kind: kind}
	seen := map[string]bool{}
	add := func(id string) {
		words := Name(id, lex)
		key := strings.Join(words, " ")
		if len(words) == 0 || seen[key] {
			return
		}
		seen[key] = true
		g.Targets = append(g.Targets, Target{ID: id, Words: words})
	}
	add(target)
	for _, s := range siblings {
		add(s)
	}
	for _, n := range Neighbours(target) {
		add(n)
	}
	return g
}

// Neighbours are the identifiers one digit away from id ("web-1" →
// "web-0", "web-2", … "web-9"): what a recognizer could take it for.
func Neighbours(id string) []string {
	var out []string
	b := []byte(id)
	for i, c := range b {
		if c < '0' || c > '9' {
			continue
		}
		for d := byte('0'); d <= '9'; d++ {
			if d != c {
				n := slices.Clone(b)
				n[i] = d
				out = append(out, string(n))
			}
		}
	}
	return out
}

// Words lists every word the grammar may produce (for a lexicon check).
func (g Grammar) Words() []string {
	var out []string
	for _, set := range g.sets() {
		for _, p := range set.phrases {
			out = append(out, strings.Fields(p)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type ruleSet struct {
	name    string
	phrases []string
}

func (g Grammar) sets() []ruleSet {
	var sets []ruleSet
	switch g.Kind {
	case Phrase:
		var sym []string
		sym = append(sym, nato[:]...)
		sym = append(sym, digitWords[:]...)
		sym = append(sym, "oh", "dash", "dot", "underscore")
		sets = append(sets, ruleSet{"symbol", sym}, ruleSet{"no", NoWords})
		// The whole spelled names compete with the free sequence of
		// symbols: a name spelled to its end is heard as that name
		// ("sierra" is not taken for "zero"); anything else is heard
		// symbol by symbol, and is not the name.
		var names []string
		for _, t := range g.Targets {
			if w := SpelledWords(t.ID); len(w) > 0 {
				names = append(names, strings.Join(w, " "))
			}
		}
		if len(names) > 0 {
			sets = append(sets, ruleSet{"spelled", names})
		}
		return sets // no filler: every sound is a symbol, so a wrong one is not the name
	default:
		sets = append(sets, ruleSet{"yes", YesWords}, ruleSet{"no", NoWords}, ruleSet{"neg", Negations},
			ruleSet{"back", BackchannelWords}, ruleSet{"polite", Polite})
		if g.Kind == Ack {
			sets = append(sets, ruleSet{"ack", AckWords})
		}
		var names []string
		for _, t := range g.Targets {
			names = append(names, strings.Join(t.Words, " "))
		}
		if len(names) > 0 {
			sets = append(sets, ruleSet{"target", names})
		}
	}
	fill := slices.Clone(Fillers)
	for _, w := range g.Context {
		if !slices.Contains(fill, w) && !g.listened(w) {
			fill = append(fill, w)
		}
	}
	return append(sets, ruleSet{"filler", fill})
}

// listened reports whether a word already means something to the prompt.
func (g Grammar) listened(w string) bool {
	for _, set := range [][]string{YesWords, NoWords, Negations, BackchannelWords, AckWords, Polite, nato[:], digitWords[:]} {
		if slices.Contains(set, w) {
			return true
		}
	}
	return false
}

// JSGF renders the grammar in the Java Speech Grammar Format that
// pocketsphinx reads: any sequence of its items.
func (g Grammar) JSGF() string {
	var b strings.Builder
	b.WriteString("#JSGF V1.0;\ngrammar steward;\n")
	var refs []string
	for _, s := range g.sets() {
		refs = append(refs, "<"+s.name+">")
		fmt.Fprintf(&b, "<%s> = %s;\n", s.name, strings.Join(s.phrases, " | "))
	}
	fmt.Fprintf(&b, "public <utt> = (%s)+;\n", strings.Join(refs, " | "))
	return b.String()
}
