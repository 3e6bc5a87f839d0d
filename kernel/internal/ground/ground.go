package ground

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/steward-os/steward/session"
)

// Violation kinds.
const (
	KindNumber     = "number"
	KindCount      = "count"
	KindIdentifier = "identifier"
	KindStatus     = "status"
	KindDate       = "date"
)

// Result is the verdict on one text.
type Result struct {
	// Grounded is true when no claim lacks support (Violations is empty).
	Grounded bool
	// Violations lists each unsupported claim once per kind and token, in
	// text order.
	Violations []Violation
}

// Violation is one claim of the text that no fact supports.
type Violation struct {
	Kind   string // "number", "count", "identifier", "status" or "date"
	Token  string // the claim as written in the text
	Reason string // why it is unsupported, for logs and audit
	Offset int    // byte offset of Token in the text
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %q at %d: %s", v.Kind, v.Token, v.Offset, v.Reason)
}

// Options tune Check. The zero value is the strict default.
type Options struct {
	// Words are always supported, case-insensitively: product names,
	// proposal ids or fixed phrasing of a channel that a narration may
	// contain without a fact ("Steward"). A status word listed here is
	// not treated as a claim.
	Words []string
	// Statuses replaces the status vocabulary: groups of words that name
	// the same state (see DefaultStatuses). nil means the default.
	Statuses [][]string
	// Request is the user's own request text. Empty (the default): nothing
	// the user said supports a claim. Set: identifiers, words and dates
	// the user typed may be echoed ("there is no server web-9"), but a
	// number, a count or a status never is — the user asking "is web-1
	// down?" is not evidence that it is.
	Request string
}

// Check reports whether every claim in text is supported by the facts.
//
// Claims are numbers, counts, identifiers, statuses and dates; see the
// package documentation and docs/grounding.md for the rules. Facts with
// OK=false support only the content of their error. Check does no I/O,
// keeps no state between calls and is safe for concurrent use.
func Check(text string, facts []session.Fact, opts Options) Result {
	voc, groups := defaultVocab, defaultStatuses
	if opts.Statuses != nil {
		groups = opts.Statuses
		voc = newVocab(groups)
	}
	c := &checker{
		text:   text,
		x:      newIndex(facts, opts, voc),
		voc:    voc,
		groups: groups,
		toks:   lex(text),
		seen:   map[string]bool{},
	}
	c.run()
	sort.SliceStable(c.out, func(a, b int) bool { return c.out[a].Offset < c.out[b].Offset })
	return Result{Grounded: len(c.out) == 0, Violations: c.out}
}

type checker struct {
	text   string
	x      *index
	voc    vocab
	groups [][]string
	toks   []token

	sent     []int  // index of the first token of each token's sentence
	clause   []int  // index of the first token of each token's clause
	inQuote  []bool // inside a quoted text of more than one word
	subjOK   []bool // the token is a supported identifier some fact object mentions
	compared []bool // the identifier follows "than"/"vs": what a subject is compared with
	mention  map[string][]*obj

	out  []Violation
	seen map[string]bool
}

func (c *checker) fail(kind string, t token, reason string) {
	key := kind + "\x00" + strings.ToLower(t.text)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.out = append(c.out, Violation{Kind: kind, Token: t.text, Reason: reason, Offset: t.off})
}

func (c *checker) run() {
	c.segment()
	c.quotes()
	c.subjOK = make([]bool, len(c.toks))
	c.compared = make([]bool, len(c.toks))
	c.mention = map[string][]*obj{}
	idOK := make([]bool, len(c.toks))
	for i, t := range c.toks {
		if t.kind == kIdent {
			idOK[i] = c.identOK(t)
			c.subjOK[i] = idOK[i] && len(c.mentioning(t.norm)) > 0
			// "busier than web-1": the compared thing is not the subject
			c.compared[i] = i > 0 && c.toks[i-1].kind == kWord && has(comparators, c.toks[i-1].norm)
		}
	}
	c.markDates()
	for i := range c.toks {
		t := c.toks[i]
		if t.skip {
			continue
		}
		switch t.kind {
		case kIdent:
			if !idOK[i] && c.identLike(t) {
				c.fail(KindIdentifier, t, "no fact contains "+strconv.Quote(t.norm))
			} else if c.subjOK[i] {
				c.identWith(i)
			}
		case kNumber:
			c.number(i)
		case kDate:
			c.date(i)
		case kTime:
			if !has(c.x.times, t.norm) && !has(c.x.times, "0"+t.norm) && !has(c.x.toks, t.norm) {
				c.fail(KindDate, t, "no fact contains the time "+t.norm)
			}
		case kWord:
			c.word(i)
		}
	}
}
