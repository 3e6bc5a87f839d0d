package dialogue

import (
	"strings"
)

// followUp reads an elliptical turn ("what about web-2?", "and db-1?",
// "same for analytics", "sorry, us-east", "web-2 too") against the last
// request: when what remains is one name, and the last request named
// something of the same kind, the result is the last request with that
// name replaced. A person may also replace "my" / "mine".
func followUp(last, norm string, n Names) (string, bool) {
	rest := ""
	if m := reEllipsis.FindStringSubmatch(norm); m != nil {
		rest = m[1]
	} else if m := reToo.FindStringSubmatch(norm); m != nil {
		rest = m[1]
	} else {
		return "", false
	}
	rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(rest, "for "), "the "))
	rest = strings.TrimSpace(strings.TrimPrefix(rest, "on "))
	rest = strings.TrimSpace(strings.TrimPrefix(rest, "in "))
	kind, value := n.kindOf(rest)
	if kind == "" {
		return "", false
	}
	words := strings.Fields(last)
	for i, w := range words {
		core, suffix := splitWord(w)
		if k, _ := n.kindOf(strings.ToLower(core)); k == kind {
			words[i] = value + suffix
			return strings.Join(words, " "), true
		}
	}
	if kind == "person" {
		for i, w := range words {
			core, suffix := splitWord(w)
			if c := strings.ToLower(core); c == "my" || c == "mine" {
				words[i] = value + "'s" + suffix
				return strings.Join(words, " "), true
			}
		}
	}
	return "", false
}

// splitWord splits a word of a request into its core and what follows it
// (a possessive, punctuation): "web-1's" → "web-1", "'s".
func splitWord(w string) (string, string) {
	end := len(w)
	for end > 0 && strings.ContainsRune("?!.,;:", rune(w[end-1])) {
		end--
	}
	core, suffix := w[:end], w[end:]
	for _, p := range []string{"'s", "’s"} {
		if strings.HasSuffix(strings.ToLower(core), p) {
			return core[:len(core)-len(p)], core[len(core)-len(p):] + suffix
		}
	}
	return core, suffix
}

// kindOf says what a word names: "res:<kind>" for a resource (its id, with
// separators varied), "person" for a member, "attr:<key>" for an
// attribute value of a resource (a region); "" for anything else. value
// is the name as it should be written.
func (n Names) kindOf(w string) (kind, value string) {
	k := key(w)
	if k == "" {
		return "", ""
	}
	for _, m := range n.Members {
		if key(string(m.ID)) == k {
			return "person", string(m.ID)
		}
	}
	for _, r := range n.Resources {
		if key(r.ID) == k {
			return "res:" + r.Kind, r.ID
		}
	}
	for _, r := range n.Resources {
		for a, v := range r.Attrs {
			// Only values that look like names: "eu-west", not "m" or "running".
			if key(v) == k && strings.ContainsAny(v, "-_.") {
				return "attr:" + a, v
			}
		}
	}
	return "", ""
}

// pronoun reads "it" in a short request ("start it", "restart it please")
// as the one thing the last request was about: it named exactly one
// resource, of a kind its tool requires ("stop staging-1", nothing to do,
// then "start it"). After a list ("list the databases on db-1") "it" is
// left to the router, which reads it against the listed items.
func pronoun(last Request, text string, n Names) (string, bool) {
	words := strings.Fields(text)
	if len(words) > 5 {
		return "", false
	}
	at := -1
	for i, w := range words {
		if core, _ := splitWord(w); strings.EqualFold(core, "it") {
			if at >= 0 {
				return "", false
			}
			at = i
		}
	}
	if at < 0 {
		return "", false
	}
	named, kind := "", ""
	for _, w := range strings.Fields(last.Text) {
		core, _ := splitWord(w)
		if k, v := n.kindOf(strings.ToLower(core)); strings.HasPrefix(k, "res:") {
			if named != "" && named != v {
				return "", false
			}
			named, kind = v, strings.TrimPrefix(k, "res:")
		}
	}
	if named == "" || !n.requires(last.Tool, kind) {
		return "", false
	}
	_, suffix := splitWord(words[at])
	words[at] = named + suffix
	return strings.Join(words, " "), true
}

// requires says whether a tool has a required parameter of a resource kind.
func (n Names) requires(tool, kind string) bool {
	for _, t := range n.Catalog {
		if string(t.ID) != tool {
			continue
		}
		for _, p := range t.Params {
			if p.Required && p.Resource == kind {
				return true
			}
		}
	}
	return false
}
