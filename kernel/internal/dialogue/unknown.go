package dialogue

import (
	"net/netip"
	"regexp"
	"strings"
)

// Unknown names (docs/conversation.md, "Names that are not here"). A
// request that names something the actor's tenant does not have — a
// dotted name ("acme.test"), a numbered id ("web-9"), or a person ("what
// tasks does bob have?", "bob's tasks") — must not be answered for
// something else: the planner, which knows only the tenant's own names,
// would fill the target from what is there. The answer says the name is
// not found, the same whether or not it exists elsewhere.

var (
	reDotted   = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9-]{2,})+$`)
	reNumbered = regexp.MustCompile(`^[a-z]+[a-z-]*-?[0-9]+$`)
	rePossess  = regexp.MustCompile(`(?i)\b([a-z]+)(?:'s|’s)\s`)
	reDoesHave = regexp.MustCompile(`(?i)\b(?:does|did|has)\s+([a-z]+)\s+(?:have|got|own|work)`)
)

// UnknownName returns a name the text uses that is not the tenant's, or ""
// when every name is known. used are the values the plan's steps hold
// (a new record's value is no name to look up); people says whether a
// planned tool takes a person (only then is "bob's" or "does bob have" a
// person's name).
func UnknownName(text string, n Names, used []string, people bool) string {
	for _, w := range strings.Fields(strings.ToLower(text)) {
		w = strings.Trim(w, "?!.,;:\"'()")
		core, _ := splitWord(w)
		if core == "" || !(reDotted.MatchString(core) || reNumbered.MatchString(core)) {
			continue
		}
		if _, err := netip.ParseAddr(core); err == nil || n.known(core) || inValues(core, used) {
			continue
		}
		return core
	}
	if !people {
		return ""
	}
	for _, re := range []*regexp.Regexp{rePossess, reDoesHave} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			w := strings.ToLower(m[1])
			if n.looksLikePerson(w) {
				return w
			}
		}
	}
	return ""
}

// known says whether a name is one of the tenant's: a resource, a member,
// or a sub-name of a resource's dotted name ("api.acme.test" in acme.test).
func (n Names) known(w string) bool {
	if k, _ := n.kindOf(w); k != "" {
		return true
	}
	for _, t := range n.Catalog {
		if strings.EqualFold(string(t.ID), w) {
			return true // a tool's own id ("hosting.get_server"), not a name
		}
	}
	for _, r := range n.Resources {
		if id := strings.ToLower(r.ID); strings.Contains(id, ".") && strings.HasSuffix(w, "."+id) {
			return true
		}
	}
	return false
}

// looksLikePerson says whether a word in a person's place is a name the
// tenant does not have: not a member, not a resource, not a word of any
// tool's name, description or keywords, not a function word.
func (n Names) looksLikePerson(w string) bool {
	if len(w) < 3 || n.known(w) || startsRequest(w, n) {
		return false
	}
	switch w {
	case "it", "that", "what", "who", "this", "there", "here", "one", "everyone", "anyone", "someone", "today", "server", "team",
		"let", "he", "she", "where", "how", "when", "everybody", "nobody", "somebody", "tomorrow", "yesterday", "week", "month":
		return false
	}
	for _, t := range n.Catalog {
		// Not the examples: they name people of no tenant ("send a
		// message to bob").
		text := strings.ToLower(t.Name + " " + t.Description + " " + strings.Join(t.Keywords, " "))
		for _, x := range strings.FieldsFunc(text, func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
			if x == w {
				return false
			}
		}
	}
	return true
}

func inValues(w string, used []string) bool {
	for _, u := range used {
		if strings.EqualFold(strings.TrimSpace(u), w) {
			return true
		}
	}
	return false
}
