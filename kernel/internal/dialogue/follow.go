package dialogue

import (
	"regexp"
	"slices"
	"strings"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
)

// Kind is what a turn is, read against the dialogue state.
type Kind int

const (
	NewRequest Kind = iota // a request of its own
	Answer                 // the answer to the pending question
	FollowUp               // the last request again, with one name replaced
	Confirm                // a confirmation word
	Reject                 // a rejection word
	Greeting               // hello, what can you do
	Thanks                 // thanks
	Dismiss                // "never mind" while a question is pending
)

// Reading is how a turn is read.
type Reading struct {
	Kind Kind
	// Text is the request to plan: the original request with the answer
	// (Answer), the last request with the new name (FollowUp), else the
	// text as typed.
	Text string
	// Dropped says the turn dropped a pending question (said once).
	Dropped bool
}

// Names is what a turn can name: the tenant's resources and members as
// the actor sees them, and the tools of the catalog (for verbs).
type Names struct {
	Resources []route.Resource
	Members   []sdk.Member
	Catalog   []route.ToolSpec
}

var (
	reConfirmWord = regexp.MustCompile(`^(?:yes|yes please|yep|yeah|y|sure|ok|okay|ok do it|okay do it|do it|go ahead|go for it|please do|confirm|confirmed|approve|approved|accept|proceed|yes go ahead|yes do it)$`)
	reRejectWord  = regexp.MustCompile(`^(?:no|nope|n|no thanks|reject|reject that|reject it|cancel|cancel that|cancel it|don't|do not|don't do it|decline|deny|abort)$`)
	reDismiss     = regexp.MustCompile(`^(?:never ?mind|forget it|forget that|skip it|skip that|nothing|no matter)$`)
	reGreeting    = regexp.MustCompile(`^(?:(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|greetings)(?: there| steward)?(?: what can you do| what do you do| help)?|what can you do|what do you do|help|help me)$`)
	reThanks      = regexp.MustCompile(`^(?:thanks?(?: you)?(?: so much| a lot| very much)?|thx|ty|cheers|great thanks|thanks a lot|much appreciated|perfect thanks|ok thanks|okay thanks)$`)
	reEllipsis    = regexp.MustCompile(`^(?:and|what about|how about|and what about|and how about|same for|same with|same thing for|do the same for|now|also|actually|sorry|no i meant|no i mean|i meant|i mean|rather|instead)\s+(.+?)(?:\s+(?:too|as well|also|instead|please))?$`)
	reToo         = regexp.MustCompile(`^(.+?)\s+(?:too|as well)$`)
	reOrdinal     = regexp.MustCompile(`^(?:the\s+)?(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|#?[1-8]|number [1-8])(?:\s+one)?$`)
	rePunct       = regexp.MustCompile(`[!?.,;:]+`)
)

// normal lower-cases a text and removes punctuation and extra spaces.
func normal(text string) string {
	t := strings.ToLower(rePunct.ReplaceAllString(text, " "))
	return strings.Join(strings.Fields(t), " ")
}

// Follow reads text against the state.
func Follow(s State, text string, n Names) Reading {
	norm := normal(text)
	switch {
	case reConfirmWord.MatchString(norm):
		return Reading{Kind: Confirm, Text: text}
	case reRejectWord.MatchString(norm):
		return Reading{Kind: Reject, Text: text}
	case reGreeting.MatchString(norm):
		return Reading{Kind: Greeting, Text: text}
	case reThanks.MatchString(norm):
		return Reading{Kind: Thanks, Text: text}
	}
	r := Reading{Kind: NewRequest, Text: text}
	if p := s.Pending; p != nil {
		if reDismiss.MatchString(norm) {
			return Reading{Kind: Dismiss, Text: text}
		}
		if v, ok := answers(p, norm, n); ok {
			if v == norm { // a value of its own: as written, case kept ("A")
				v = strings.Join(strings.Fields(strings.Trim(text, " !?.,;:")), " ")
			}
			return Reading{Kind: Answer, Text: resume(p.Text, v, n)}
		}
		r.Dropped = true
	}
	if s.Last != nil {
		if t, ok := followUp(s.Last.Text, norm, n); ok {
			r.Kind, r.Text = FollowUp, t
		} else if t, ok := pronoun(*s.Last, text, n); ok {
			r.Kind, r.Text = FollowUp, t
		}
	}
	return r
}

// answers says whether text answers the pending question and with what
// value: one of the values it offered (by name or ordinal), or a short
// text that does not start a request of its own.
func answers(p *Pending, norm string, n Names) (string, bool) {
	norm = strings.TrimSuffix(strings.TrimPrefix(norm, "oh "), " please")
	for _, o := range p.Options {
		if key(o) == key(norm) || key("the "+o) == key(norm) {
			return o, true
		}
	}
	if m := reOrdinal.FindStringSubmatch(norm); m != nil && len(p.Options) > 0 {
		if i := ordinal(m[1], len(p.Options)); i >= 0 {
			return p.Options[i], true
		}
	}
	words := strings.Fields(norm)
	if len(words) == 0 || len(words) > 6 || startsRequest(words[0], n) {
		return "", false
	}
	return norm, true
}

// resume is the pending request completed by its answer: the answer
// added at the end ("restart the web server web-1"), or, for a person,
// right after the request's first word ("send alice a note saying …"),
// where it cannot be read as part of a message's text.
func resume(request, answer string, n Names) string {
	if kind, id := n.kindOf(answer); kind == "person" {
		if verb, rest, ok := strings.Cut(request, " "); ok {
			return verb + " " + id + " " + rest
		}
	}
	return request + " " + answer
}

func ordinal(w string, n int) int {
	w = strings.TrimPrefix(strings.TrimPrefix(w, "number "), "#")
	i := slices.Index([]string{"first", "second", "third", "fourth", "fifth"}, w)
	if i < 0 {
		i = slices.Index([]string{"1st", "2nd", "3rd", "4th", "5th"}, w)
	}
	if i < 0 && len(w) == 1 && w[0] >= '1' && w[0] <= '8' {
		i = int(w[0] - '1')
	}
	if w == "last" {
		i = n - 1
	}
	if i >= n {
		return -1
	}
	return i
}

// questionWords and requestWords start a request of its own.
var requestWords = []string{
	"what", "which", "who", "where", "when", "why", "how", "is", "are", "can", "could", "would", "will", "do", "does",
	"show", "list", "tell", "send", "give", "get", "make", "create", "add", "delete", "remove", "restart", "start",
	"stop", "check", "find", "actually", "instead", "please", "let", "i", "help",
}

// startsRequest says whether a first word starts a request: a question
// word, a common imperative, or the first word of a tool's name or of one
// of its keywords.
func startsRequest(w string, n Names) bool {
	if slices.Contains(requestWords, w) {
		return true
	}
	for _, t := range n.Catalog {
		if first, _, _ := strings.Cut(t.Name, "_"); first == w {
			return true
		}
		for _, k := range t.Keywords {
			if first, _, _ := strings.Cut(strings.ToLower(k), " "); first == w && len(w) > 2 {
				return true
			}
		}
	}
	return false
}

// options are the values a question offers: "Which server do you mean:
// web-1, web-2 or db-1?" offers web-1, web-2 and db-1.
func options(question string) []string {
	_, list, ok := strings.Cut(question, ": ")
	if !ok {
		return nil
	}
	list = strings.TrimSuffix(strings.TrimSpace(list), "?")
	var out []string
	for _, part := range strings.Split(list, ", ") {
		for _, o := range strings.Split(part, " or ") {
			if o = strings.TrimSpace(o); o != "" && !strings.Contains(o, " ") {
				out = append(out, o)
			}
		}
	}
	return out
}

// key folds a name for comparison: lower case, letters and digits only.
func key(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
