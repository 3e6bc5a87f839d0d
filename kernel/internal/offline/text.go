package offline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tkWord  tokKind = iota // letters, digits and inner connectors: web-1, acme.test, 203.0.113.7
	tkColon                // ':' introducing content
	tkComma                // ',' ';' (clause separators, for segmentation)
	tkEnd                  // '.', '?', '!' ending a sentence
	tkQuote                // an opening or closing quote mark
)

// token is one unit of the input.
type token struct {
	raw        string // as written (possessive/clitic removed)
	low        string // lower case
	start, end int    // byte offsets of raw in the text
	kind       tokKind
	quoted     bool // inside a quoted span
}

// tokenize splits text into tokens. Inner '-', '.', '_', '@', '/' and ':'
// between digits stay inside a token (web-1, acme.test, 10:30); clitics are
// split off and dropped ("what's" → "what", "don't" → "do not", "bob's" →
// "bob"); apostrophes at word edges are quote marks.
func tokenize(text string) []token {
	z := &tokenizer{text: text}
	i := 0
	n := len(text)
	for i < n {
		r, w := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
		case isQuoteRune(r) && !(r == '\'' || r == '’') || ((r == '\'' || r == '’') && atWordEdge(text, i, w)):
			// A quote mark. Apostrophes inside words are handled by word.
			z.quote(i, w, r)
			i += w
		case z.punct(i, r):
			i++
		case !isWordRune(r) && r != '@':
			i += w // other punctuation: ignore
		default:
			i = z.word(i)
		}
	}
	return z.toks
}

// tokenizer is the state of tokenize: the tokens so far and the quote
// they are in.
type tokenizer struct {
	text      string
	toks      []token
	inQuote   bool
	quoteChar rune
}

// quote adds the quote mark r at text[i:i+w], opening or closing a quote.
func (z *tokenizer) quote(i, w int, r rune) {
	closing := z.inQuote && sameQuote(z.quoteChar, r)
	if closing {
		z.inQuote = false
	} else if !z.inQuote {
		z.inQuote = true
		z.quoteChar = r
	}
	z.toks = append(z.toks, token{raw: z.text[i : i+w], low: z.text[i : i+w], start: i, end: i + w, kind: tkQuote})
}

// punct adds the one-byte token at text[i] when r is a colon, a clause
// separator, a sentence end or a lone '@', and reports whether it did.
func (z *tokenizer) punct(i int, r rune) bool {
	text := z.text
	var kind tokKind
	switch {
	case r == ':':
		kind = tkColon
	case r == ',' || r == ';':
		kind = tkComma
	case r == '.' || r == '?' || r == '!':
		kind = tkEnd
	case r == '@' && (i+1 >= len(text) || !isWordRune(rune(text[i+1]))):
		kind = tkWord
	default:
		return false
	}
	z.toks = append(z.toks, token{raw: text[i : i+1], low: text[i : i+1], start: i, end: i + 1, kind: kind, quoted: z.inQuote})
	return true
}

// word adds the word starting at text[start]: word runes and inner
// connectors, with a clitic split off. It returns where the next token
// may start.
func (z *tokenizer) word(start int) int {
	text := z.text
	n := len(text)
	j := start
	for j < n {
		r, w := utf8.DecodeRuneInString(text[j:])
		if isWordRune(r) || r == '@' {
			j += w
			continue
		}
		if (r == '-' || r == '.' || r == '_' || r == '/') && j+w < n {
			next, _ := utf8.DecodeRuneInString(text[j+w:])
			if isWordRune(next) {
				j += w
				continue
			}
		}
		if r == ':' && j > start && j+1 < n && isDigit(text[j-1]) && isDigit(text[j+1]) {
			j++
			continue
		}
		if (r == '\'' || r == '’') && j+w < n {
			// Apostrophe inside a word: a clitic or possessive.
			rest := strings.ToLower(text[j+w:])
			if cl := clitic(rest); cl > 0 {
				z.cliticWord(start, j, j+w+cl, rest)
				return j + w + cl
			}
		}
		break
	}
	z.toks = append(z.toks, mkWord(text, start, j, z.inQuote))
	return j
}

// cliticWord adds the word text[start:j] whose clitic ends at end, rest
// being the lower-case text after the apostrophe: "don't" becomes "do
// not", "can't" "can not"; other clitics are dropped.
func (z *tokenizer) cliticWord(start, j, end int, rest string) {
	text := z.text
	word := text[start:j]
	if !strings.HasSuffix(strings.ToLower(word), "n") || !strings.HasPrefix(rest, "t") {
		z.toks = append(z.toks, mkWord(text, start, j, z.inQuote))
		return
	}
	// don't → do not; can't → can not
	base := word[:len(word)-1]
	if strings.EqualFold(word, "can") || strings.EqualFold(word, "won") {
		base = word
	}
	if base != "" {
		z.toks = append(z.toks, mkWord(text, start, start+len(base), z.inQuote))
	}
	z.toks = append(z.toks, token{raw: "not", low: "not", start: start + len(base), end: end, kind: tkWord, quoted: z.inQuote})
}

func mkWord(text string, start, end int, quoted bool) token {
	raw := text[start:end]
	return token{raw: raw, low: strings.ToLower(raw), start: start, end: end, kind: tkWord, quoted: quoted}
}

// clitic returns the length of an English clitic at the start of s (after
// the apostrophe), or 0.
func clitic(s string) int {
	for _, c := range []string{"s", "m", "re", "ve", "ll", "d", "t"} {
		if strings.HasPrefix(s, c) && (len(s) == len(c) || !isWordRune(rune(s[len(c)]))) {
			return len(c)
		}
	}
	return 0
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isQuoteRune(r rune) bool {
	switch r {
	case '"', '“', '”', '«', '»', '\'', '‘', '’':
		return true
	}
	return false
}

func sameQuote(open, r rune) bool {
	switch open {
	case '“':
		return r == '”' || r == '"'
	case '‘':
		return r == '’' || r == '\''
	case '«':
		return r == '»'
	}
	return r == open || (open == '\'' && r == '’') || (open == '"' && r == '”')
}

// atWordEdge reports whether the apostrophe at text[i:i+w] is not between
// two word characters.
func atWordEdge(text string, i, w int) bool {
	before := i > 0
	if before {
		r, _ := utf8.DecodeLastRuneInString(text[:i])
		before = isWordRune(r)
	}
	after := i+w < len(text)
	if after {
		r, _ := utf8.DecodeRuneInString(text[i+w:])
		after = isWordRune(r)
	}
	return !(before && after)
}

// stem reduces an English word to a crude stem: plural and verb endings go,
// a final e goes, double final consonants are undoubled, British -is- forms
// become -iz-. It only has to be consistent, not linguistically right.
func stem(w string) string {
	if len(w) <= 3 || !isAlpha(w) || stemExceptions[w] {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	undouble := false
	switch {
	case strings.HasSuffix(w, "ing") && len(w) > 5 && hasVowel(w[:len(w)-3]):
		w = w[:len(w)-3]
		undouble = true
	case strings.HasSuffix(w, "ed") && len(w) > 4 && hasVowel(w[:len(w)-2]):
		w = w[:len(w)-2]
		undouble = true
	}
	if undouble && len(w) > 2 && w[len(w)-1] == w[len(w)-2] && !strings.ContainsRune("lsz", rune(w[len(w)-1])) && !strings.ContainsRune("aeiou", rune(w[len(w)-1])) {
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "isation"):
		w = w[:len(w)-7] + "ization"
	case strings.HasSuffix(w, "ise") && len(w) > 5:
		w = w[:len(w)-3] + "iz"
	case strings.HasSuffix(w, "is") && len(w) > 5 && undouble:
		w = w[:len(w)-2] + "iz"
	}
	if strings.HasSuffix(w, "e") && len(w) > 3 {
		w = w[:len(w)-1]
	}
	return w
}

// stemExceptions are words the suffix rules would turn into other words.
var stemExceptions = setOf(`news series always perhaps`)

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func hasVowel(s string) bool { return strings.ContainsAny(s, "aeiouy") }

// stopwords carry no routing signal: function words, pronouns, politeness
// and filler adverbs. Question words are here too: both read and write
// requests use them.
var stopwords = setOf(`a an the this that these those it its
	i me my mine myself we us our ours you your yours he him his she her they them their
	is are was were be been being am do does did doing have has had having
	of in on at for to from with by about into onto over under off out back as than then so
	and or but if not no nor also too very just only even still already again anymore
	please pls plz kindly could would can will shall should may might must
	what which who whom whose how when where why whether there here
	hey hi hello thanks thank ok okay yes yeah sure
	some any all every each both either neither other another such own same
	now right currently presently really actually basically maybe perhaps quickly asap
	want wants wanted need needs needed like go going gonna wanna seem seems
	one thing things something anything stuff lot lots bit`)

// particles join a verb into a phrasal verb ("shut web-1 down"); alone they
// are stopwords.
var particles = setOf(`up down on off out back over in away`)

// objectWords may sit between a phrasal verb and its particle.
var objectWords = setOf(`the a an it them this that these those my our his her their all both back`)

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

// lexicon is a small, general English thesaurus of action verbs and a few
// common nouns: each group collapses to its first member, in tool documents
// and requests alike. Domain words belong in extension manifests (keywords,
// examples), never here.
var lexicon = [][]string{
	{"show", "list", "display", "view", "see", "look up", "lookup", "enumerate", "check", "give me", "tell me", "let me know", "show me"},
	{"delete", "remove", "destroy", "erase", "eliminate", "discard", "trash", "purge", "wipe", "nuke", "drop", "get rid of", "do away with", "tear down", "delete permanently"},
	{"restart", "reboot", "bounce", "power cycle", "relaunch", "cycle"},
	{"start", "boot", "launch", "power on", "turn on", "switch on", "bring up", "boot up", "start up"},
	{"stop", "halt", "shut down", "shutdown", "power off", "turn off", "switch off", "shut off", "bring down", "take down"},
	{"create", "add", "new", "set up", "insert", "append"},
	{"tell", "message", "notify", "inform", "let know", "ping", "say", "email", "mail", "write to", "text", "reach out to"},
	{"complete", "finish", "tick off", "check off", "cross off", "mark done", "close"},
	{"renew", "refresh", "extend", "prolong"},
	{"expire", "expiry", "expiration"},
	{"resize", "scale", "grow", "shrink", "increase", "decrease", "enlarge", "reduce", "upgrade", "downgrade", "bigger", "larger", "smaller", "scale up", "scale down"},
	{"restore", "roll back", "rollback", "revert", "recover", "undo"},
	{"status", "state", "health", "condition"},
	{"detail", "details", "info", "information", "overview", "summary", "describe"},
	{"usage", "utilization", "utilisation", "consumption", "load"},
	{"manager", "boss", "supervisor"},
	{"todo", "to do", "to-do", "to dos", "to-dos", "todos"},
}

// cueWords introduce the content of a message or reminder ("tell bob that
// …", "saying …", "let her know …").
var cueWords = setOf(`that saying say says know`)

// selfWords refer to the speaker; they never name a target by themselves.
var selfWords = setOf(`i me my myself mine`)

// managerWords after "my" name the actor's manager.
var managerWords = setOf(`manager boss supervisor`)

// freeTextParams are parameter names whose values are prose.
var freeTextParams = setOf(`body title subject text message note content description summary comment reason`)

// naturalEnum maps everyday words to enum values; an entry applies only
// when the parameter's enum contains the value.
var naturalEnum = map[string]string{
	"small": "s", "medium": "m", "large": "l", "extra large": "xl", "extra-large": "xl", "xlarge": "xl", "x-large": "xl",
	"down": "stopped", "offline": "stopped", "off": "stopped", "halted": "stopped", "stopped": "stopped",
	"up": "running", "online": "running", "active": "running",
	"finished": "done", "completed": "done", "complete": "done", "closed": "done",
	"open": "pending", "outstanding": "pending", "unfinished": "pending", "incomplete": "pending", "todo": "pending", "remaining": "pending",
}

// Words that shape multi-step requests and references (chain_clauses.go,
// chain_connectors.go, refs.go).
var (
	// imperatives are everyday English verbs that start a command, stemmed.
	// Whether a clause starts with a verb decides whether "and …" begins a
	// new command or continues a list ("web-1 and web-2").
	imperatives = stemSet(`find fetch grab pull give make take run check look put mark set change move
		update open bring turn switch shut power spin fire kick scale bump let remind ask forward share
		report count tick cross back wipe clean clear dump copy save send email ping text message notify
		inform write schedule book order play sing buy call get go help cancel close finish end kill
		reset reload deploy roll upgrade downgrade increase decrease reboot boot cycle pause resume
		rename install launch create add remove delete destroy drop stop start restart show list display
		view see tell renew extend refresh restore recover revert resize grow shrink complete snapshot
		backup bounce halt terminate decommission nuke purge export import verify confirm`)
	// questionWords open a question when they come first.
	questionWords = setOf(`what which how who whose when where why is are was were does did has have any whats`)
	// leadFillers may precede the verb of a command ("could you please …").
	leadFillers = setOf(`please pls plz kindly could can would will you u i we also and then now just first firstly
		next finally lastly so ok okay oh hey hi to want need like should must maybe quickly additionally
		afterwards afterward plus immediately right away too go ahead`)
	// doneWords end "once it's done", "when that's finished", "once it's up".
	doneWords = setOf(`done finished complete completed over ready up running back through`)
	// negationWords exclude what follows ("restart web-1 but not web-2").
	negationWords = setOf(`not never except excluding without nor`)
	// conditionWords make a step depend on a result: not plannable yet.
	conditionWords = setOf(`if unless otherwise`)
	// refNouns stand for an earlier result as a whole ("send the list to alice").
	refNouns = stemSet(`result results list output details detail info information findings numbers figures stats
		statistics metrics status summary answer data report rundown`)
	// oneWords may follow an ordinal ("the second one", "the last item").
	oneWords = setOf(`one item entry result row`)
	// Pronouns that refer back to something already named or returned.
	singularPron = setOf(`it its`)
	pluralPron   = setOf(`them they their those these both`)
	personPron   = setOf(`him her his`)
)

// verbConcepts are the lexicon's groups of verbs (by their first member).
var verbConcepts = []string{"show", "delete", "restart", "start", "stop", "create", "tell", "complete", "renew", "resize", "restore"}

// ordinalWords map "first"… "tenth", "last" to an index (-1 = last).
var ordinalWords = map[string]int{
	"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "seventh": 6, "eighth": 7,
	"ninth": 8, "tenth": 9, "last": -1, "final": -1, "latter": -1, "former": 0, "top": 0,
}

// ordinal reads an ordinal word or number ("second", "2nd").
func ordinal(low string) (int, bool) {
	if n, ok := ordinalWords[low]; ok {
		return n, true
	}
	for _, suf := range []string{"st", "nd", "rd", "th"} {
		if num, ok := strings.CutSuffix(low, suf); ok && num != "" && len(num) <= 2 && isDigits(num) {
			n := 0
			for _, c := range num {
				n = n*10 + int(c-'0')
			}
			if n >= 1 {
				return n - 1, true
			}
		}
	}
	return 0, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func stemSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[stem(f)] = true
	}
	return m
}
