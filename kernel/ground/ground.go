package ground

import (
	"fmt"
	"math"
	"slices"
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

// segment assigns every token its sentence (newline, . ! ? ;) and its
// clause (also split at commas and conjunctions outside brackets).
func (c *checker) segment() {
	n := len(c.toks)
	c.sent = make([]int, n)
	c.clause = make([]int, n)
	c.inQuote = make([]bool, n)
	s, cl, depth := 0, 0, 0
	quote := false
	for i, t := range c.toks {
		if t.kind == kPunct {
			switch t.p {
			case '\n', '.', '!', '?', ';':
				c.sent[i], c.clause[i] = s, cl
				s, cl, depth = i+1, i+1, 0
				if t.p == '\n' {
					quote = false
				}
				continue
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			case ',', '-':
				if depth == 0 && !quote {
					c.sent[i], c.clause[i] = s, cl
					cl = i + 1
					continue
				}
			case '"':
				quote = !quote
			}
		}
		if t.kind == kWord && depth == 0 && !quote {
			switch t.norm {
			case "and", "but", "while", "whereas", "although", "though", "except", "or", "because", "so", "whilst":
				c.sent[i], c.clause[i] = s, i
				cl = i
				continue
			}
		}
		c.sent[i], c.clause[i] = s, cl
		c.inQuote[i] = quote && !(t.kind == kPunct && t.p == '"')
	}
	// A quoted single word ("running" in a JSON listing) is a value like
	// any other; only quoted phrases (titles, message bodies) are exempt
	// from the status and name rules, being checked whole.
	for i := 0; i < n; {
		if !c.inQuote[i] {
			i++
			continue
		}
		j, words := i, 0
		for j < n && c.inQuote[j] {
			if c.toks[j].kind != kPunct {
				words++
			}
			j++
		}
		if words <= 1 {
			for k := i; k < j; k++ {
				c.inQuote[k] = false
			}
		}
		i = j
	}
}

// quotes checks that quoted text ("…", `…`) appears in the facts.
func (c *checker) quotes() {
	open := -1
	for i, t := range c.toks {
		if t.kind == kPunct && t.p == '\n' {
			open = -1
			continue
		}
		if t.kind != kPunct || t.p != '"' {
			continue
		}
		if open < 0 {
			open = i
			continue
		}
		start := c.toks[open].off + len(c.toks[open].text)
		inner := strings.ToLower(strings.TrimSpace(c.text[start:t.off]))
		open = -1
		if inner == "" || c.quoteOK(inner) {
			continue
		}
		c.fail(KindIdentifier, token{text: c.text[start:t.off], off: start}, "no fact contains the quoted text")
	}
}

func (c *checker) quoteOK(q string) bool {
	q = strings.TrimRight(q, ".,;:!?")
	if q == "" || has(c.x.toks, q) || has(c.x.words, q) {
		return true
	}
	for _, s := range c.x.strs {
		if strings.Contains(s, q) {
			return true
		}
	}
	return false
}

// mentioning returns the fact objects that contain tok as a value or a
// token of a value.
func (c *checker) mentioning(tok string) []*obj {
	if m, ok := c.mention[tok]; ok {
		return m
	}
	var out []*obj
	for _, o := range c.x.objs {
		if o.mentions(tok) {
			out = append(out, o)
		}
	}
	c.mention[tok] = out
	return out
}

// window bounds how far from a claim the checker looks for its subject,
// its noun or its qualifiers, so that Check stays linear in the text.
const window = 16

// span returns the tokens [start, end) of the segment (clause or sentence,
// seg) of token i that lie within w tokens of it.
func (c *checker) span(i int, seg []int, w int) (int, int) {
	start := max(seg[i], i-w)
	end := i + 1
	for end < len(c.toks) && end <= i+w && seg[end] == seg[i] {
		end++
	}
	return start, end
}

// subject is the thing a claim at i is about: the first supported
// identifier of its clause before it, else the first after it in its
// clause, else the nearest one before it in its sentence; "" when there is
// none.
func (c *checker) subject(i int) string {
	if k := c.subjectAt(i); k >= 0 {
		return c.toks[k].norm
	}
	return ""
}

func (c *checker) subjectAt(i int) int {
	for k := max(c.clause[i], i-2*window); k < i; k++ {
		if c.subjOK[k] && !c.compared[k] {
			return k
		}
	}
	// verb first: "then stopped web-2", "restored it from orders-1"
	for k := i + 1; k < len(c.toks) && k <= i+window && c.clause[k] == c.clause[i]; k++ {
		if c.subjOK[k] && !c.compared[k] {
			return k
		}
	}
	// A relative clause ("…, which runs at 57%") is about the name right
	// before it, even one compared with; otherwise the compared name is
	// skipped ("db-1 is busier than web-1: 57% CPU").
	relative := false
	if cs := c.clause[i]; cs < len(c.toks) && c.toks[cs].kind == kWord && has(relatives, c.toks[cs].norm) {
		relative = true
	}
	for k := i - 1; k >= max(c.sent[i], i-2*window); k-- {
		if c.subjOK[k] && (relative || !c.compared[k]) {
			return k
		}
	}
	return -1
}

// subjects returns the subject of the claim at i and, when the subject
// ends an enumeration ("db-1, web-1 and web-2 are running"), the names
// enumerated before it, which share the claim.
func (c *checker) subjects(i int) []string {
	k := c.subjectAt(i)
	if k < 0 {
		return nil
	}
	out := []string{c.toks[k].norm}
	j := k - 1
	for ; j >= max(c.sent[i], k-4*window); j-- {
		t := c.toks[j]
		if t.kind == kPunct && t.p == ',' || t.kind == kWord && (t.norm == "and" || t.norm == "or") {
			continue
		}
		if c.subjOK[j] {
			out = append(out, t.norm)
			continue
		}
		break
	}
	// An enumeration starts a sentence or follows a colon, a bracket, a
	// dash or "both"; otherwise the names before are the end of another
	// clause ("… in eu-west, and staging-1 is offline").
	if len(out) > 1 && j >= c.sent[i] {
		t := c.toks[j]
		if !(t.kind == kPunct && strings.IndexByte(":(-\"", t.p) >= 0 || t.kind == kWord && (t.norm == "both" || c.key(t.norm) != "")) {
			return out[:1]
		}
	}
	return out
}

// --- identifiers ---

func (c *checker) identOK(t token) bool {
	n := strings.TrimRight(t.norm, ".-_:")
	if has(c.x.toks, n) || has(c.x.words, n) {
		return true
	}
	// A dotted name made of two supported names: record "www" in zone
	// "acme.test" is www.acme.test.
	for k := 0; k < len(n); k++ {
		if n[k] == '.' && k > 0 && k < len(n)-1 {
			if has(c.x.toks, n[:k]) && has(c.x.toks, n[k+1:]) {
				return true
			}
		}
	}
	return false
}

// identLike reports whether an unsupported token with an inner . - _ or a
// digit really names something. Letter-only hyphenated words are names
// only when a part of them is a part of a name in the facts ("eu-central"
// when the facts say "eu-west") or a part is one or two letters; common
// compounds and abbreviations are not names.
func (c *checker) identLike(t token) bool {
	n := strings.TrimRight(t.norm, ".-_:")
	if has(compounds, n) || has(abbreviations, n) {
		return false
	}
	if strings.ContainsAny(n, "0123456789._:") {
		return true
	}
	for _, p := range strings.Split(n, "-") {
		if has(c.x.idParts, p) || len(p) <= 2 {
			return true
		}
	}
	return false
}

// identWith checks a name against the first name of its clause: "db-1
// (us-east, …)" needs a fact object that gives both, unless the two are
// peers (values of the same key, as in a list of server names).
func (c *checker) identWith(i int) {
	t := c.toks[i]
	s := ""
	for k := max(c.clause[i], i-2*window); k < i; k++ {
		if c.subjOK[k] && c.toks[k].norm != t.norm {
			s = c.toks[k].norm
			break
		}
	}
	if s == "" {
		return
	}
	for _, o := range c.mentioning(s) {
		if o.mentions(t.norm) {
			return
		}
	}
	if c.x.siblings(s, t.norm) {
		return
	}
	c.fail(KindIdentifier, t, fmt.Sprintf("no fact gives %s together with %s", t.norm, s))
}

// --- words: statuses, names after a key noun, number words ---

func (c *checker) word(i int) {
	t := c.toks[i]
	if has(c.x.words, t.norm) {
		return
	}
	if f, ok := numberWords[t.norm]; ok {
		if key := c.keyFor(i); key != "" {
			c.numberClaim(i, f, key)
		}
		return
	}
	if gs, ok := c.voc[t.norm]; ok {
		c.status(i, gs)
		return
	}
	// A plain word right after a noun the facts use as a key with plain-word
	// names ("database orders", "size m"), or in a list after that noun and
	// a colon ("Databases: orders, analytics."), is such a name.
	if c.inQuote[i] || has(stopwords, t.norm) || has(negators, t.norm) || months[t.norm] != 0 ||
		has(c.x.toks, t.norm) || t.neg || verbForm(t.norm) {
		return
	}
	if noun := c.nameSlot(i); noun != "" {
		c.fail(KindIdentifier, t, fmt.Sprintf("no fact names a %s %q", noun, t.norm))
	}
}

// verbForm: a participle or gerund ("record pointing to", "database
// containing") is read as a verb, not a name.
func verbForm(w string) bool {
	return len(w) > 4 && (strings.HasSuffix(w, "ing") || strings.HasSuffix(w, "ed"))
}

// nameSlot returns the name-key noun whose name the word at i is, or "".
func (c *checker) nameSlot(i int) string {
	if i == 0 {
		return ""
	}
	if p := c.toks[i-1]; p.kind == kWord && has(c.x.nameKeys, singular(p.norm)) {
		return singular(p.norm)
	}
	// a list: Noun: a, b and c
	for k := i - 1; k >= max(c.sent[i], i-4*window); k-- {
		u := c.toks[k]
		switch {
		case u.kind == kPunct && u.p == ':':
			if k > 0 && c.toks[k-1].kind == kWord && has(c.x.nameKeys, singular(c.toks[k-1].norm)) {
				return singular(c.toks[k-1].norm)
			}
			return ""
		case u.kind == kPunct && u.p == ',':
		case u.kind == kWord && (u.norm == "and" || u.norm == "or"):
		case u.kind == kWord && k == i-1:
		case u.kind == kWord && c.isListItem(k):
		default:
			return ""
		}
	}
	return ""
}

// isListItem: a word preceded by a comma, a colon or "and"/"or" (an item
// of a list of names).
func (c *checker) isListItem(k int) bool {
	if k == 0 {
		return false
	}
	p := c.toks[k-1]
	return p.kind == kPunct && (p.p == ',' || p.p == ':') || p.kind == kWord && (p.norm == "and" || p.norm == "or")
}

func (c *checker) status(i int, gs []int) {
	t := c.toks[i]
	if c.inQuote[i] {
		return // quoted text is checked whole
	}
	if t.norm == "up" || t.norm == "down" {
		if i > 0 && c.toks[i-1].kind == kWord && has(phrasal, c.toks[i-1].norm) {
			return
		}
		if i+1 < len(c.toks) && c.toks[i+1].kind != kPunct && has(notStatusAfter, c.toks[i+1].norm) {
			return
		}
		if i+1 < len(c.toks) && c.toks[i+1].kind == kNumber {
			return // "down 5%"
		}
	}
	if c.hypothetical(i) {
		return
	}
	neg := c.negated(i)
	subs := c.subjects(i)
	if len(subs) == 0 {
		subs = []string{""}
	}
	for _, subj := range subs {
		if !c.statusOf(i, gs, subj, neg) {
			return
		}
	}
}

// statusOf checks the status word at i (groups gs) about subj ("" for no
// subject); it reports whether the claim is supported, recording a
// violation when not.
func (c *checker) statusOf(i int, gs []int, subj string, neg bool) bool {
	t := c.toks[i]
	// "Done." / "Backup complete." say that a call succeeded
	done := !neg && c.x.ok && has(completion, t.norm) && (c.interjection(i) || c.aboutCall(i))
	var objs []*obj
	if subj != "" {
		objs = c.mentioning(subj)
	}
	global := len(objs) == 0
	if global {
		objs = c.x.objs
	}
	about := ""
	if !global {
		about = " for " + subj
	}
	if !neg {
		for _, o := range objs {
			if done && slices.Contains(o.extra, "succeeded") {
				return true
			}
			if c.x.supports(o, gs, c.groups) {
				return c.every(i, gs)
			}
		}
		c.fail(KindStatus, t, fmt.Sprintf("no fact gives the status %q%s", t.norm, about))
		return false
	}
	if global && c.counted(i) {
		// "2 tasks are not done": a partial claim, the count is checked
		// on its own; some item must have another, retrieved status
		for _, o := range objs {
			if !c.x.supports(o, gs, c.groups) && c.x.hasStatus(o) {
				return true
			}
		}
	}
	retrieved := false
	for _, o := range objs {
		if c.x.supports(o, gs, c.groups) {
			c.fail(KindStatus, t, fmt.Sprintf("negated status %q%s, but a fact gives it", t.norm, about))
			return false
		}
		retrieved = retrieved || c.x.hasStatus(o)
	}
	if !retrieved {
		c.fail(KindStatus, t, fmt.Sprintf("no fact gives any status%s to negate %q", about, t.norm))
		return false
	}
	return true
}

// counted reports whether the clause of i holds a number (a count).
func (c *checker) counted(i int) bool {
	start, end := c.span(i, c.clause, window)
	for k := start; k < end; k++ {
		if t := c.toks[k]; t.kind == kNumber {
			return true
		} else if _, ok := numberWords[t.norm]; ok && t.kind == kWord {
			return true
		}
	}
	return false
}

// hypothetical reports whether a modal or a conditional governs the
// status word at i ("needs to be started", "will be restarted", "if it is
// down"): an intention, not a claim.
func (c *checker) hypothetical(i int) bool {
	for k, n := i-1, 0; k >= c.clause[i] && n < 3; k, n = k-1, n+1 {
		t := c.toks[k]
		if t.kind != kWord || !has(modals, t.norm) {
			continue
		}
		// "to" only as "to be …" / "to get …" ("scheduled to be restarted"),
		// not as a preposition ("message to bob failed")
		if t.norm == "to" && (k+1 >= i || !has(infinitive, c.toks[k+1].norm)) {
			continue
		}
		return true
	}
	return false
}

// interjection: the word is one of the first two of its sentence and ends
// it or is followed by punctuation ("Done.", "All done!", "Done —").
func (c *checker) interjection(i int) bool {
	words := 0
	for k := c.sent[i]; k < i && words <= 1; k++ {
		if c.toks[k].kind != kPunct {
			words++
		}
	}
	return words <= 1 && (i+1 == len(c.toks) || c.toks[i+1].kind == kPunct)
}

// aboutCall: the clause names a successful tool's verb before the word
// ("Backup complete", "the restart is done").
func (c *checker) aboutCall(i int) bool {
	for k := max(c.clause[i], i-window); k < i; k++ {
		if t := c.toks[k]; t.kind == kWord && has(c.x.toolWord, t.norm) {
			return true
		}
	}
	return false
}

// every checks a quantified status ("all four servers are running", "each
// task is done"): every item of the list the clause names must have it.
// A sentence with an exception ("all … except staging-1") is not checked.
func (c *checker) every(i int, gs []int) bool {
	start, end := c.span(i, c.clause, window)
	q := false
	for k := start; k < i; k++ {
		if c.toks[k].kind == kWord && has(quantifiers, c.toks[k].norm) {
			q = true
		}
	}
	if !q {
		return true
	}
	ss, se := c.span(i, c.sent, 3*window)
	for k := ss; k < se; k++ {
		if c.toks[k].kind == kWord && has(exceptions, c.toks[k].norm) {
			return true
		}
	}
	var lists []*array
	noun := ""
	for k := start; k < end; k++ {
		t := c.toks[k]
		if t.kind != kWord || k == i {
			continue
		}
		if key := c.key(t.norm); key != "" {
			for _, a := range c.x.keyArrs[key] {
				if len(a.items) > 0 {
					lists = append(lists, a)
					noun = t.norm
				}
			}
		}
	}
	if len(lists) == 0 {
		return true
	}
	for _, a := range lists {
		all := true
		for _, it := range a.items {
			if !c.x.supports(it, gs, c.groups) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	c.fail(KindStatus, c.toks[i], fmt.Sprintf("not every %s is %s", singular(noun), c.toks[i].norm))
	return false
}

func (c *checker) negated(i int) bool {
	for k, n := i-1, 0; k >= c.sent[i] && n < 4; k, n = k-1, n+1 {
		t := c.toks[k]
		if t.kind != kWord {
			return false
		}
		if t.neg || has(negators, t.norm) {
			return true
		}
		if !has(between, t.norm) {
			return false
		}
	}
	return false
}

// --- numbers and counts ---

func (c *checker) number(i int) {
	t := c.toks[i]
	if t.ordinal {
		return
	}
	if key := c.keyFor(i); key != "" {
		c.numberClaim(i, t.num, key)
		return
	}
	f := t.num
	if hasNum(c.x.nums, f) {
		return
	}
	if f == math.Trunc(f) && f >= 1900 && f <= 2100 {
		if _, ok := c.x.years[int(f)]; ok {
			return
		}
	}
	for _, a := range c.x.arrays {
		if c.filtered(a, i, f) {
			return
		}
	}
	c.fail(KindNumber, t, "no fact contains the number "+strconv.FormatFloat(f, 'f', -1, 64))
}

// numberClaim checks a number that refers to a fact key: a value of that
// key (of the subject's object when the subject has one) or, for a list,
// its length or the number of its items that match a word of the clause.
func (c *checker) numberClaim(i int, f float64, key string) {
	t := c.toks[i]
	subj := c.subject(i)
	vals := c.x.keyNums[key]
	if subj != "" {
		var own []float64
		found := false
		for _, o := range c.mentioning(subj) {
			if vs, ok := o.numsOf(key); ok {
				found = true
				own = append(own, vs...)
			}
		}
		if found {
			vals = own
		}
	}
	if inNums(vals, f) || inNums(c.x.argNums[key], f) {
		return
	}
	arrs := c.x.keyArrs[key]
	lens := arrs
	if subj != "" {
		var own []*array
		for _, a := range arrs {
			if a.parent != nil && a.parent.mentions(subj) {
				own = append(own, a)
			}
		}
		if len(own) > 0 {
			lens = own
		}
	}
	for _, a := range lens {
		if float64(a.n) == f {
			return
		}
	}
	for _, a := range arrs {
		if c.filtered(a, i, f) {
			return
		}
	}
	kind := KindNumber
	if len(arrs) > 0 && f == math.Trunc(f) {
		kind = KindCount
	}
	if len(vals) == 0 && len(arrs) == 0 {
		c.fail(kind, t, fmt.Sprintf("no fact gives %s", key))
		return
	}
	what := "values"
	if kind == KindCount {
		what = "counts"
	}
	c.fail(kind, t, fmt.Sprintf("%s is not among the %s the facts give for %q", t.text, what, key))
}

// filtered reports whether f items of a match a word of the clause of
// token i: "3 are running" counts the items whose value or status is
// running. With a negation in the clause the complement counts too.
func (c *checker) filtered(a *array, i int, f float64) bool {
	if len(a.items) == 0 || f != math.Trunc(f) || f < 0 {
		return false
	}
	start, end := c.span(i, c.clause, window)
	neg := false
	for k := start; k < end; k++ {
		t := c.toks[k]
		if t.neg || has(negators, t.norm) {
			neg = true
		}
	}
	for k := start; k < end; k++ {
		t := c.toks[k]
		if k == i || (t.kind != kWord && t.kind != kIdent) {
			continue
		}
		gs, isStatus := c.voc[t.norm]
		n := 0
		for _, it := range a.items {
			if slices.Contains(it.vals, t.norm) || (isStatus && c.x.supports(it, gs, c.groups)) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if float64(n) == f || (neg && float64(len(a.items)-n) == f) {
			return true
		}
	}
	return false
}

// keyFor finds the fact key a number at i refers to: the noun after it
// ("3 servers", "5 days", "1240 MB", "3 of 4 tasks") or the word before
// it ("CPU 38%", "memory: 61%"). "" when neither is a key of the facts.
func (c *checker) keyFor(i int) string {
	t := c.toks[i]
	if u := unitOf(t); u != "" {
		if k := c.key(u); k != "" {
			return k
		}
	}
	for k, n := i+1, 0; k < len(c.toks) && n < 5; k, n = k+1, n+1 {
		u := c.toks[k]
		if u.kind == kNumber {
			continue
		}
		if u.kind != kWord {
			break
		}
		if key := c.key(u.norm); key != "" {
			return key
		}
		if _, isNum := numberWords[u.norm]; isNum || has(skipForward, u.norm) || c.voc[u.norm] != nil || has(c.x.toks, u.norm) && len(u.norm) <= 2 {
			continue
		}
		break
	}
	for k, n := i-1, 0; k >= 0 && n < 4; k-- {
		u := c.toks[k]
		if u.kind == kPunct {
			if u.p == ':' || u.p == '"' || u.p == '(' {
				continue
			}
			break
		}
		n++
		if u.kind != kWord {
			break
		}
		if key := c.key(u.norm); key != "" {
			return key
		}
		if has(fillers, u.norm) {
			continue
		}
		break
	}
	return ""
}

// key returns the key word w answers to, if the facts have a numeric or
// list value under it.
func (c *checker) key(w string) string {
	if has(fillers, w) || has(stopwordsNotKeys, w) {
		return ""
	}
	for _, k := range []string{w, singular(w)} {
		if len(c.x.keyNums[k]) > 0 || len(c.x.keyArrs[k]) > 0 {
			return k
		}
	}
	return ""
}

// stopwordsNotKeys are key parts too vague to tie a number to.
var stopwordsNotKeys = set("at", "from", "within", "previous", "id", "left", "name", "kept")

func unitOf(t token) string {
	n := strings.TrimSuffix(t.norm, "%")
	k := len(n)
	for k > 0 && !isDigitByte(n[k-1]) {
		k--
	}
	return n[k:]
}

// --- dates ---

// markDates turns "Dec 1", "1 December" and "March 3, 2026" into date
// claims and skips list enumerators ("1." at the start of a line).
func (c *checker) markDates() {
	for i := range c.toks {
		t := &c.toks[i]
		if t.kind == kNumber && (i == 0 || c.toks[i-1].kind == kPunct && c.toks[i-1].p == '\n') &&
			i+1 < len(c.toks) && c.toks[i+1].kind == kPunct && (c.toks[i+1].p == '.' || c.toks[i+1].p == ')') {
			t.skip = true
			continue
		}
		if t.kind != kWord {
			continue
		}
		m := months[t.norm]
		if m == 0 || (t.norm == "may" && t.text != "May") {
			continue
		}
		day, dayTok, year := 0, -1, 0
		if i+1 < len(c.toks) && isDay(c.toks[i+1]) {
			day, dayTok = int(c.toks[i+1].num), i+1
			k := i + 2
			if k < len(c.toks) && c.toks[k].kind == kPunct && c.toks[k].p == ',' {
				k++
			}
			if k < len(c.toks) && isYear(c.toks[k]) {
				year = int(c.toks[k].num)
				c.toks[k].skip = true
			}
		} else if i > 0 && isDay(c.toks[i-1]) {
			day, dayTok = int(c.toks[i-1].num), i-1
		} else if i > 1 && c.toks[i-1].norm == "of" && isDay(c.toks[i-2]) {
			day, dayTok = int(c.toks[i-2].num), i-2
		}
		if dayTok < 0 {
			continue
		}
		if year == 0 && i+1 < len(c.toks) && dayTok < i && isYear(c.toks[i+1]) {
			year = int(c.toks[i+1].num)
			c.toks[i+1].skip = true
		}
		c.toks[dayTok].skip = true
		md := fmt.Sprintf("%02d-%02d", m, day)
		c.monthDate(i, md, year)
	}
}

func isDay(t token) bool {
	return t.kind == kNumber && t.num >= 1 && t.num <= 31 && t.num == math.Trunc(t.num) && !strings.HasSuffix(t.norm, "%")
}

func isYear(t token) bool {
	return t.kind == kNumber && t.num >= 1900 && t.num <= 2100 && t.num == math.Trunc(t.num)
}

func (c *checker) monthDate(i int, md string, year int) {
	t := c.toks[i]
	match := func(d string) bool {
		return isDateLike(d) && d[5:10] == md && (year == 0 || d[:4] == strconv.Itoa(year))
	}
	ok := false
	for d := range c.x.dates {
		if match(d) {
			ok = true
			break
		}
	}
	if !ok {
		c.fail(KindDate, t, "no fact contains the date "+md)
		return
	}
	if subj := c.subject(i); subj != "" {
		objs := c.mentioning(subj)
		for _, o := range objs {
			for _, tok := range o.toks {
				if len(tok) >= 10 && match(tok[:10]) {
					return
				}
			}
		}
		if len(objs) > 0 {
			c.fail(KindDate, t, fmt.Sprintf("no fact gives the date %s for %s", md, subj))
		}
	}
}

func (c *checker) date(i int) {
	t := c.toks[i]
	d := t.norm[:10]
	if !has(c.x.dates, d) {
		c.fail(KindDate, t, "no fact contains the date "+d)
		return
	}
	if len(t.norm) > 10 && !has(c.x.toks, t.norm) {
		rest := t.norm[11:]
		end := 0
		for end < len(rest) && (isDigitByte(rest[end]) || rest[end] == ':') {
			end++
		}
		if !has(c.x.times, rest[:end]) {
			c.fail(KindDate, t, "no fact contains the time "+t.norm)
			return
		}
	}
	if subj := c.subject(i); subj != "" {
		objs := c.mentioning(subj)
		for _, o := range objs {
			if o.mentions(d) {
				return
			}
		}
		if len(objs) > 0 {
			c.fail(KindDate, t, fmt.Sprintf("no fact gives the date %s for %s", d, subj))
		}
	}
}
