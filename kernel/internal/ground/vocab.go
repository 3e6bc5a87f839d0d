package ground

import "strings"

// defaultStatuses are the status words a narration can claim, in groups of
// words that mean the same state. A claim of any word of a group is
// supported by evidence of any word of the same group. The list is English
// and generic (no domain knowledge): it names states, not resources.
var defaultStatuses = [][]string{
	{"running", "up", "online", "active"},
	{"started", "booted"},
	{"stopped", "down", "offline", "inactive", "halted"},
	{"pending", "open", "outstanding", "incomplete", "unfinished"},
	{"done", "completed", "complete", "finished", "closed"},
	{"deleted", "removed", "destroyed", "dropped", "gone", "decommissioned", "purged"},
	{"restarted", "rebooted", "bounced"},
	{"restored", "recovered"},
	{"renewed"},
	{"resized", "upgraded", "downgraded"},
	{"created", "added"},
	{"sent", "delivered"},
	{"failed", "failing", "errored", "crashed", "broken"},
	{"succeeded", "successful", "successfully"},
	{"expired"},
	{"healthy"},
	{"unhealthy", "degraded", "overloaded"},
	{"unavailable", "unreachable"},
	{"suspended", "paused"},
	{"disabled"},
	{"enabled"},
	{"locked"},
	{"unlocked"},
	{"idle"},
}

// DefaultStatuses returns a copy of the default status vocabulary: groups of
// synonymous status words. Pass a modified copy in Options.Statuses to
// change it.
func DefaultStatuses() [][]string {
	out := make([][]string, len(defaultStatuses))
	for i, g := range defaultStatuses {
		out[i] = append([]string(nil), g...)
	}
	return out
}

// vocab maps a status word to the indexes of the groups it belongs to.
type vocab map[string][]int

func newVocab(groups [][]string) vocab {
	v := vocab{}
	for i, g := range groups {
		for _, w := range g {
			w = strings.ToLower(strings.TrimSpace(w))
			if w != "" {
				v[w] = append(v[w], i)
			}
		}
	}
	return v
}

// defaultVocab is built once and only read.
var defaultVocab = newVocab(defaultStatuses)

// phrasal lists the words before "up"/"down" that make them part of a verb
// ("back up", "scale down") rather than a status.
var phrasal = set(
	"back", "backed", "backing", "set", "setting", "scale", "scaled", "scaling",
	"size", "sized", "sizing", "speed", "sped", "look", "looked", "sign", "signed",
	"pick", "picked", "clean", "cleaned", "free", "freed", "sum", "summed",
	"follow", "followed", "break", "broke", "narrow", "narrowed", "write", "wrote",
	"count", "counted", "mark", "marked", "step", "stepped", "ramp", "ramped",
	"wrap", "wrapped", "trim", "trimmed", "cut", "slow", "slowed", "warm",
	"warmed", "cool", "cooled", "top", "topped", "make", "made", "end", "ended",
	"line", "lined", "tidy", "tidied",
	"give", "gave", "keep", "kept", "pile", "piling", "add", "adds",
	"adding", "round", "rounded", "wind", "wound", "hold", "held", "tied", "tie",
	"catch", "caught", "stand", "stood", "bump", "bumped", "double", "triple",
	"check", "checked", "drill", "drilled", "bottom", "ups", "downs", "upside",
	"up", "down", "heads", "next", "what", "whats", "grown", "listed",
)

// infinitive: "to" followed by these is a modal ("to be restarted").
var infinitive = set("be", "get", "become", "remain", "stay", "keep")

// relatives open a clause about the name just before it.
var relatives = set("which", "who", "whose", "where", "that")

// comparators introduce the thing a subject is compared with.
var comparators = set("than", "vs", "versus")

// notStatusAfter lists words after "up"/"down" that make them a direction
// or a comparison ("up to 5", "down from 38%").
var notStatusAfter = set("to", "from", "by", "the", "a", "an", "and", "or", "on", "with")

// negators turn a following status word into a negated claim.
var negators = set("not", "no", "never", "none", "neither", "nor", "cannot", "without", "nothing")

// between may separate a negator from its status word ("not yet done",
// "no longer running", "not been restarted").
var between = set("yet", "longer", "be", "been", "being", "currently", "still", "any", "anymore",
	"is", "are", "was", "were", "it", "they", "them", "of", "the", "servers", "server",
	"tasks", "task", "all", "one", "either", "ever", "really", "fully", "successfully", "properly")

// fillers are skipped when looking for the key word a number refers to.
var fillers = set(
	"is", "are", "was", "were", "be", "been", "at", "of", "to", "with", "by", "on",
	"uses", "using", "used", "usage", "use", "utilisation", "utilization", "utilised", "utilized",
	"load", "reads", "reading", "currently", "now", "about", "around", "approximately",
	"roughly", "nearly", "almost", "just", "only", "still", "exactly", "the", "a", "an", "its",
	"their", "his", "her", "your", "my", "our", "has", "have", "had", "total", "in", "for",
	"percent", "per", "cent", "pct", "value", "level", "stands", "sits", "sitting",
	"showing", "shows", "over", "under", "above", "below", "all", "and", "it",
	"read", "stand", "stood",
)

// modals before a status word make it a hypothesis or an intention, not a
// claim ("needs to be started", "will be restarted", "if it is down").
var modals = set("will", "would", "should", "could", "can", "must", "may", "might", "shall",
	"if", "unless", "once", "whether", "to", "need", "needs", "want", "wants", "going",
	"until", "before", "when")

// completion words say an operation finished; "Done." or "Backup
// complete." is supported by any successful call.
var completion = set("done", "complete", "completed", "finished", "succeeded", "successful", "successfully")

// quantifiers make a status claim about every item of a list ("all tasks
// are done"); exceptions make the claim partial ("all … except staging-1").
var (
	quantifiers = set("all", "every", "each", "both")
	exceptions  = set("except", "but", "apart", "besides", "aside", "save", "other", "excluding", "only")
)

// skipForward are skipped between a number and its noun ("3 of the 4
// servers", "2 more tasks").
var skipForward = set("of", "the", "your", "my", "our", "their", "its", "these", "those",
	"percent", "per", "cent", "pct", "more", "other", "total", "distinct", "different", "new",
	"existing", "separate", "individual", "remaining", "in", "all", "are", "is")

// numberWords are the spelled-out numbers the check reads; they are claims
// only when followed by a noun the facts key (see keyed counts).
var numberWords = map[string]float64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
	"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
	"eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
	"fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	"hundred": 100, "both": 2, "single": 1,
}

// months maps month names and abbreviations to their number.
var months = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
	"aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
	"october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

// numberUnits are letter suffixes glued to a number that keep it a number
// ("5GB", "30s", "2x").
var numberUnits = set("k", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib", "ms", "s",
	"sec", "secs", "min", "mins", "h", "hr", "hrs", "d", "x", "m")

// ordinals are suffixes of ordinal numbers ("1st", "2nd"); ordinals are
// positions, not claimed values, and are not checked.
var ordinals = set("st", "nd", "rd", "th")

// compounds are common hyphenated English words that are never identifiers.
var compounds = set(
	"to-do", "to-dos", "follow-up", "follow-ups", "up-to-date", "out-of-date",
	"point-in-time", "built-in", "opt-in", "opt-out", "add-on", "add-ons", "log-in",
	"sign-in", "check-in", "read-only", "so-called", "well-known", "long-running",
	"real-time", "re-run", "re-check", "one-off", "two-step", "step-by-step",
	"e-mail", "day-to-day", "in-place", "up-front", "first-party", "third-party",
	"self-attested", "end-to-end", "back-up", "set-up", "roll-back", "re-enable",
	"co-worker", "non-zero", "re-issued", "re-issue", "x-ray", "all-in-one",
)

// abbreviations are dotted words that are not host names.
var abbreviations = set("e.g", "i.e", "a.m", "p.m", "etc", "vs", "u.s", "n.b", "cf", "approx")

// stopwords are never resource names: the word after a key noun ("the
// database holds …") is checked as a name only if it is not one of these.
var stopwords = set(
	"a", "an", "the", "this", "that", "these", "those", "it", "its", "they", "them", "their",
	"is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having",
	"do", "does", "did", "will", "would", "can", "could", "should", "shall", "may", "might",
	"must", "not", "no", "and", "or", "but", "nor", "so", "yet", "if", "then", "than", "as",
	"of", "in", "on", "at", "to", "from", "by", "with", "without", "for", "into", "onto",
	"over", "under", "about", "after", "before", "since", "until", "via", "per", "across",
	"between", "within", "out", "off", "up", "down", "which", "who", "whose", "what",
	"when", "where", "why", "how", "there", "here", "now", "still", "also", "again",
	"already", "just", "only", "too", "very", "all", "any", "each", "every", "some",
	"both", "either", "neither", "more", "most", "less", "least", "other", "another",
	"same", "such", "own", "currently", "itself", "themselves", "we", "you", "your", "our",
	"my", "i", "me", "he", "she", "him", "her", "his", "us",
	// common verbs and nouns that follow a resource noun in narration
	"holds", "hold", "hosts", "host", "hosted", "runs", "run", "ran", "contains", "contain",
	"uses", "use", "used", "needs", "need", "needed", "stores", "store", "stored", "keeps",
	"kept", "takes", "took", "taken", "got", "gets", "get", "went", "goes", "came", "comes",
	"shows", "showed", "show", "looks", "looked", "reports", "reported", "returned",
	"returns", "lives", "lived", "sits", "sat", "remains", "remained", "stays", "stayed",
	"changed", "changes", "grew", "grows", "shrank", "shrinks", "belongs", "belonged",
	"size", "sizes", "status", "state", "name", "names", "named", "called", "backup",
	"backups", "snapshot", "snapshots", "record", "records", "file", "files", "data",
	"usage", "metrics", "load", "details", "detail", "list", "listing", "server",
	"servers", "database", "databases", "site", "sites", "zone", "zones", "region",
	"regions", "certificate", "certificates", "task", "tasks", "message", "messages",
	"alone", "instead", "first", "last", "next", "previous", "later",
	"earlier", "today", "tomorrow", "yesterday", "soon", "ago", "left", "total",
	"entirely", "fully", "partly", "mostly", "please", "right", "back", "once",
	"twice", "together", "isn't", "wasn't", "aren't", "weren't", "hasn't",
	"haven't", "won't", "can't", "doesn't", "didn't", "don't", "shouldn't", "couldn't",
	"wouldn't", "dump", "export", "restore", "restoring", "drop", "dropping",
	"delete", "deleting", "restart", "restarting", "stop", "stopping", "start",
	"starting", "resize", "resizing", "change", "changing", "owner", "owners", "team",
	"large", "small", "big", "bigger", "smaller", "larger", "medium", "extra",
)

func set(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

func has(m map[string]struct{}, w string) bool {
	_, ok := m[w]
	return ok
}

// singular is a crude English singular: "servers" → "server", "entries" →
// "entry", "status" stays.
func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

// participles returns the past-participle and progressive forms a verb
// may take ("restart" → "restarted", "restarting"; "stop" → "stopped").
func participles(v string) []string {
	if v == "" {
		return nil
	}
	if irr, ok := irregular[v]; ok {
		return append([]string{v + "ing"}, irr...)
	}
	out := []string{v + "ed", v + "ing"}
	last := v[len(v)-1]
	switch {
	case last == 'e':
		out = append(out, v+"d", v[:len(v)-1]+"ing")
	case last == 'y' && len(v) > 1 && !strings.ContainsRune("aeiou", rune(v[len(v)-2])):
		out = append(out, v[:len(v)-1]+"ied")
	case len(v) >= 3 && !strings.ContainsRune("aeiouwxy", rune(last)) &&
		strings.ContainsRune("aeiou", rune(v[len(v)-2])) && !strings.ContainsRune("aeiou", rune(v[len(v)-3])):
		out = append(out, v+string(last)+"ed", v+string(last)+"ing")
	}
	return out
}

var irregular = map[string][]string{
	"send": {"sent"}, "take": {"taken", "took"}, "get": {"got", "gotten"},
	"make": {"made"}, "run": {"ran", "run"}, "write": {"written", "wrote"},
	"set": {"set"}, "put": {"put"}, "shut": {"shut"}, "begin": {"begun", "began"},
	"break": {"broken", "broke"}, "give": {"given", "gave"}, "build": {"built"},
}
