package voice

import (
	"slices"
	"strings"
)

// Verdict is what a caller's words amount to for the prompt they answer.
type Verdict int

// Verdicts.
const (
	// Unclear: nothing usable (noise, a sentence outside the grammar,
	// yes and no together): re-prompt.
	Unclear Verdict = iota
	Yes
	No
	// Backchannel: "yeah", "okay", "uh huh" — listening noises, never a
	// confirmation: re-prompt.
	Backchannel
	// OtherTarget: the caller named a different target: re-prompt, naming
	// the pending one.
	OtherTarget
	// Spelled: an identifier spelled letter by letter (Heard.Phrase).
	Spelled
	// Acknowledge: an alert acknowledged.
	Acknowledge
)

var verdictNames = []string{"unclear", "yes", "no", "backchannel", "other_target", "spelled", "acknowledge"}

func (v Verdict) String() string { return verdictNames[v] }

// Heard is a judged utterance.
type Heard struct {
	Verdict Verdict
	Words   []string
	// Target is the other target named (OtherTarget).
	Target string
	// Phrase is the spelled identifier (Spelled).
	Phrase string
}

// maxFiller is how many filler words a confirmation may carry: none. A
// confirmation word inside a sentence that is something else is not a
// confirmation.
const maxFiller = 0

// Judge decides what words mean for a prompt of grammar g. It is
// deliberately strict: anything but a plain confirmation of the pending
// target (g.Targets[0]) is not Yes.
func Judge(g Grammar, words []string) Heard {
	words = normalize(words)
	h := Heard{Words: words}
	if g.Kind == Phrase {
		return judgePhrase(h)
	}
	c := count(g, words)
	switch {
	case c.other != "":
		h.Verdict, h.Target = OtherTarget, c.other
	case c.yes > 0 && (c.no > 0 || c.neg > 0):
		h.Verdict = Unclear
	case c.ack > 0 && g.Kind == Ack && c.no == 0 && c.neg == 0 && c.filler <= maxFiller:
		h.Verdict = Acknowledge
	case c.yes > 0 && c.filler <= maxFiller && c.back == 0 && c.strong > 0:
		// A bare "yes" is not enough on a phone line, which cannot tell
		// it from "yeah" (measured: docs/voice.md); nor is a yes mixed
		// with listening noises.
		h.Verdict = Yes
	case c.no > 0 || c.neg > 0:
		h.Verdict = No
	case c.yes > 0:
		h.Verdict = Unclear
	case c.back > 0:
		h.Verdict = Backchannel
	}
	return h
}

func judgePhrase(h Heard) Heard {
	for _, w := range h.Words {
		if slices.Contains(NoWords, w) {
			h.Verdict = No
			return h
		}
	}
	if h.Phrase = ParseSpelled(h.Words); h.Phrase != "" {
		h.Verdict = Spelled
	}
	return h
}

type tally struct {
	yes, strong, no, neg, back, ack, filler int
	other                                   string
}

// count reads the words as the grammar's items, longest first.
func count(g Grammar, words []string) tally {
	var c tally
	for i := 0; i < len(words); {
		n, kind, id := match(g, words[i:])
		switch kind {
		case "yes":
			c.yes++
			if words[i] != "yes" {
				c.strong++
			}
		case "no":
			c.no++
		case "neg":
			c.neg++
		case "back":
			c.back++
		case "ack":
			c.ack++
		case "target":
			if id != g.Targets[0].ID && c.other == "" {
				c.other = id
			}
		case "polite":
		default:
			c.filler++
		}
		i += n
	}
	return c
}

// match finds the longest item of the grammar at the start of words; a
// word that starts none is filler.
func match(g Grammar, words []string) (int, string, string) {
	best, kind, id := 0, "filler", ""
	try := func(phrase []string, k, tid string) {
		if len(phrase) > best && len(phrase) <= len(words) && slices.Equal(words[:len(phrase)], phrase) {
			best, kind, id = len(phrase), k, tid
		}
	}
	for _, t := range g.Targets {
		try(t.Words, "target", t.ID)
	}
	for _, s := range wordSets {
		for _, p := range s.phrases {
			try(strings.Fields(p), s.name, "")
		}
	}
	if best == 0 {
		return 1, "filler", ""
	}
	return best, kind, id
}

var wordSets = []ruleSet{{"yes", YesWords}, {"no", NoWords}, {"neg", Negations}, {"back", BackchannelWords}, {"ack", AckWords}, {"polite", Polite}}

// normalize lower-cases words and drops a recognizer's markers
// ("<sil>", "[noise]", "(2)" pronunciation variants).
func normalize(words []string) []string {
	var out []string
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		w = strings.Trim(w, ".,!?;:\"")
		if w == "" || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "[") {
			continue
		}
		out = append(out, w)
	}
	return out
}

// WordsOf splits a transcript into words (an open recognizer's text).
func WordsOf(text string) []string {
	return normalize(strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == '.' || r == '!' || r == '?' || r == ';' || r == '\n' || r == '\t'
	}))
}
