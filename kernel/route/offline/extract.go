package offline

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

// maxListed bounds how many candidates a question lists.
const maxListed = 8

// extraction is the state of filling one tool's arguments.
type extraction struct {
	a        *analysis
	d        *toolDoc
	args     map[string]any
	usedMent map[int]bool // mentions already bound to a parameter
	usedTok  map[int]bool // tokens already bound to a parameter
	narrowed map[string]bool
	question string
	h        *hooks
}

// hooks let the chain planner fill what a clause leaves to its context.
type hooks struct {
	// resource fills a required resource the clause does not name
	// ("… and then restart the server" after "snapshot web-1").
	resource func(p route.Param) (any, bool)
	// prose replaces the main prose value when it is missing or only
	// points at an earlier result ("send them to alice").
	prose func(p route.Param, v any) (any, bool)
}

// extract fills d's parameters from the request. It returns the arguments
// it is sure of and, when a required one is missing or ambiguous, one
// question for the user.
func (a *analysis) extract(d *toolDoc) (map[string]any, string) { return a.extractWith(d, nil) }

// extractWith is extract with hooks for what the clause leaves to its
// context.
func (a *analysis) extractWith(d *toolDoc, h *hooks) (map[string]any, string) {
	x := &extraction{a: a, d: d, args: map[string]any{}, usedMent: map[int]bool{}, usedTok: map[int]bool{}, narrowed: map[string]bool{}, h: h}
	params := d.spec.Params
	ambiguous := map[string][]string{}
	// 1. Values written out: resources, enum values, amounts, dates.
	for _, p := range params {
		if p.Resource != "" {
			if ids := x.resourceByMention(p); len(ids) == 1 {
				x.args[p.Name] = ids[0]
			} else if len(ids) > 1 {
				ambiguous[p.Name] = ids
			}
		}
	}
	for _, p := range params {
		switch {
		case p.Resource != "":
		case len(p.Enum) > 0:
			if v, amb := x.enumValue(p); v != "" {
				x.args[p.Name] = v
			} else if len(amb) > 1 {
				ambiguous[p.Name] = amb
			}
		case p.Type == "integer" || p.Type == "number":
			if n, ok := x.amount(p); ok {
				x.args[p.Name] = n
			}
		case isDateParam(p):
			if len(a.dates) > 0 {
				x.args[p.Name] = a.dates[0].date.Format("2006-01-02")
				for i := a.dates[0].start; i < a.dates[0].end; i++ {
					x.usedTok[i] = true
				}
			}
		}
	}
	// 2. Short strings: attribute values, "called X", "value X", shapes.
	for _, i := range d.slots {
		p := params[i]
		if v := x.slotValue(p); v != "" {
			x.args[p.Name] = v
		}
	}
	// 3. Prose: named ("subject X") first, so that the main one (quoted,
	// or the request's content) does not swallow them.
	for _, i := range d.freeText {
		if v := x.named(params[i].Name); v != "" {
			x.args[params[i].Name] = v
		}
	}
	if len(d.freeText) > 0 && x.args[params[d.freeText[0]].Name] == nil {
		if v := x.prose(); v != "" {
			x.args[params[d.freeText[0]].Name] = v
		}
	}
	if h != nil && h.prose != nil && len(d.freeText) > 0 && params[d.freeText[0]].Required {
		main := params[d.freeText[0]]
		if v, ok := h.prose(main, x.args[main.Name]); ok {
			x.args[main.Name] = v
		}
	}
	// 4. Resources nobody named: follow relations from the named ones,
	// match titles, or list the candidates.
	for _, p := range params {
		if p.Resource == "" || x.args[p.Name] != nil || len(ambiguous[p.Name]) > 0 {
			continue
		}
		if h != nil && h.resource != nil && p.Required {
			if v, ok := h.resource(p); ok {
				x.args[p.Name] = v
				continue
			}
		}
		ids := x.inferResource(p)
		if len(ids) == 1 && (x.narrowed[p.Name] || d.spec.SafetyLevel == 0) {
			x.args[p.Name] = ids[0]
			continue
		}
		if p.Required {
			ambiguous[p.Name] = ids
		}
	}
	// One question, for the first required parameter still open.
	for _, p := range params {
		if !p.Required || x.args[p.Name] != nil {
			continue
		}
		delete(x.args, p.Name)
		x.question = question(p, ambiguous[p.Name])
		break
	}
	return x.args, x.question
}

// resourceByMention returns the ids of kind p.Resource named in the
// command part of the request, strongest first; more than one means the
// user must choose.
func (x *extraction) resourceByMention(p route.Param) []string {
	best := 0.0
	var pick []int
	// A name beats a pronoun: "restart web-1 and the second one" is asked
	// about, not merged; pronouns count only when nothing is named.
	for pass := 0; pass < 2 && len(pick) == 0; pass++ {
		x.pickMentions(p, pass == 1, &best, &pick)
	}
	if len(pick) == 0 {
		if p.Resource == personKind && x.a.selfRef() && x.a.turn.Actor.ID != "" {
			return []string{string(x.a.turn.Actor.ID)}
		}
		return nil
	}
	return x.bindMentions(p, pick)
}

// pickMentions finds the strongest mentions of kind p.Resource in the
// command, names or (pron) pronouns.
func (x *extraction) pickMentions(p route.Param, pron bool, best *float64, pick *[]int) {
	for mi, m := range x.a.ments {
		if x.usedMent[mi] || !x.a.inHead(m.start, x.a.head) || (m.pron != nil) != pron {
			continue
		}
		cs := m.ofKind(p.Resource)
		if len(cs) == 0 {
			continue
		}
		s := cs[0].strength
		if m.label != "" {
			s = strExact // a zone given by a full name in it
		}
		switch {
		case s > *best:
			*best, *pick = s, []int{mi}
		case s == *best:
			*pick = append(*pick, mi)
		}
	}
}

// bindMentions returns the ids the picked mentions name, and binds them
// when there is one.
func (x *extraction) bindMentions(p route.Param, pick []int) []string {
	var ids []string
	for _, mi := range pick {
		for _, c := range x.a.ments[mi].ofKind(p.Resource) {
			if c.strength == x.a.ments[mi].ofKind(p.Resource)[0].strength && !contains(ids, c.id) {
				ids = append(ids, c.id)
			}
		}
	}
	if len(ids) == 1 {
		x.usedMent[pick[0]] = true
		m := x.a.ments[pick[0]]
		for i := m.start; i < m.end; i++ {
			x.usedTok[i] = true
		}
	}
	return ids
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// enumValue returns the one enum value the request states for p, or the
// conflicting values.
func (x *extraction) enumValue(p route.Param) (string, []string) {
	canon := map[string]string{}
	for _, v := range p.Enum {
		canon[strings.ToLower(v)] = v
	}
	var exact, natural []string
	for _, e := range x.a.enums {
		v, ok := canon[e.value]
		if !ok || !x.a.inHead(e.pos, x.a.head) || x.usedTok[e.pos] {
			continue
		}
		if e.natural {
			if !contains(natural, v) {
				natural = append(natural, v)
			}
		} else if !contains(exact, v) {
			exact = append(exact, v)
		}
	}
	vals := exact
	if len(vals) == 0 {
		vals = natural
	}
	if len(vals) == 1 {
		return vals[0], nil
	}
	return "", vals
}

// amount returns an integer for p: a duration converted to p's unit, or a
// bare number.
func (x *extraction) amount(p route.Param) (int, bool) {
	unit := 1
	name := strings.ToLower(p.Name)
	switch {
	case strings.Contains(name, "week"):
		unit = 7
	case strings.Contains(name, "month"):
		unit = 30
	case strings.Contains(name, "hour"), strings.Contains(name, "minute"):
		unit = 0 // durations in days do not convert
	}
	for _, h := range x.a.durs {
		if !x.a.inHead(h.start, x.a.head) {
			continue
		}
		if h.number {
			return h.days, true
		}
		if unit > 0 {
			return h.days / unit, true
		}
	}
	return 0, false
}

// slotValue fills a short string parameter (a record name, a value, a
// region): from a resource attribute of the same name, from "<name> X" or
// "called X", or, when required, from a token of the shape its
// description's example shows.
func (x *extraction) slotValue(p route.Param) string {
	key := strings.ToLower(p.Name)
	for mi, m := range x.a.ments {
		if x.usedMent[mi] || !x.a.inHead(m.start, x.a.head) {
			continue
		}
		for _, c := range m.cands {
			if c.attr == key {
				x.usedMent[mi] = true
				x.markTokens(m.start, m.end)
				return c.id
			}
		}
	}
	if v := x.named(p.Name); v != "" {
		return v
	}
	if !p.Required {
		return ""
	}
	shape := exampleShape(p.Description)
	if key == "name" || shape == shapeWord {
		for _, lead := range []string{"called", "named"} {
			if v := x.after(lead); v != "" {
				return v
			}
		}
		for _, m := range x.a.ments {
			if m.label != "" && x.a.inHead(m.start, x.a.head) {
				return m.label
			}
		}
	}
	switch shape {
	case shapeAddress:
		// The last address-shaped token not bound elsewhere.
		for i := len(x.a.toks) - 1; i >= 0; i-- {
			tk := x.a.toks[i]
			if tk.kind != tkWord || x.usedTok[i] || !isAddress(tk.low) {
				continue
			}
			if mi := x.a.mentAt[i]; mi >= 0 && x.a.ments[mi].label != "" {
				continue
			}
			x.usedTok[i] = true
			return tk.raw
		}
	case shapeWord:
		for i, tk := range x.a.toks {
			if tk.kind != tkWord || x.usedTok[i] || x.a.mentAt[i] >= 0 || !x.a.inHead(i, x.a.head) {
				continue
			}
			if stopwords[tk.low] || particles[tk.low] || !isAlpha(tk.low) || x.isVocabulary(i) {
				continue
			}
			x.usedTok[i] = true
			return tk.raw
		}
	}
	return ""
}

func (x *extraction) markTokens(from, to int) {
	for i := from; i < to; i++ {
		x.usedTok[i] = true
	}
}

// isVocabulary reports whether token i is one of the tool's own words or
// an enum value.
func (x *extraction) isVocabulary(i int) bool {
	low := x.a.toks[i].low
	s := stem(low)
	if c, ok := x.a.ix.lx.concept[s]; ok {
		s = c
	}
	if x.d.trigger[s] || x.d.hasEnum(low) {
		return true
	}
	for _, e := range x.a.enums {
		if i >= e.pos && i < e.end {
			return true
		}
	}
	return false
}

type shape int

const (
	shapeAny shape = iota
	shapeWord
	shapeAddress
)

// exampleShape reads "e.g. X" in a parameter description.
func exampleShape(desc string) shape {
	i := strings.Index(desc, "e.g.")
	if i < 0 {
		return shapeAny
	}
	f := strings.Fields(desc[i+4:])
	if len(f) == 0 {
		return shapeAny
	}
	ex := strings.Trim(f[0], ",;)")
	switch {
	case isAddress(ex):
		return shapeAddress
	case isAlpha(strings.ToLower(ex)):
		return shapeWord
	}
	return shapeAny
}

// isAddress reports an IP address or a dotted host name.
func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	return strings.Count(s, ".") >= 1 && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".") && !isISODate(s)
}

// named returns the value written after the parameter's own name ("subject
// Budget", "value 198.51.100.2"), up to the next cue, colon or comma.
func (x *extraction) named(name string) string {
	return x.after(strings.ToLower(strings.ReplaceAll(name, "_", " ")))
}

func (x *extraction) after(word string) string {
	toks := x.a.toks
	for i, tk := range toks {
		if tk.kind != tkWord || tk.low != word || x.usedTok[i] {
			continue
		}
		j := i + 1
		if j < len(toks) && (toks[j].kind == tkColon || toks[j].low == "is" || toks[j].low == "of") {
			j++
		}
		k := j
		for k < len(toks) && toks[k].kind == tkWord && !cueWords[toks[k].low] && !x.usedTok[k] {
			if k > j && (x.isParamName(toks[k].low) || toks[k].low == "and" || toks[k].low == "with") {
				break
			}
			k++
			if word != "subject" && word != "title" {
				break // short values are one token
			}
		}
		if k == j {
			continue
		}
		x.markTokens(i, k)
		return x.a.span(j, k)
	}
	return ""
}

func (x *extraction) isParamName(low string) bool {
	for _, p := range x.d.spec.Params {
		if strings.EqualFold(p.Name, low) {
			return true
		}
	}
	return false
}

// span returns the text of tokens [from, to) as written.
func (a *analysis) span(from, to int) string {
	if from >= to {
		return ""
	}
	return strings.TrimSpace(a.turn.Text[a.toks[from].start:a.toks[to-1].end])
}

// prose returns the request's content for the main prose parameter: a
// quoted text, the part after the cue the router found, or what follows
// the tool's own words ("new task write the report").
func (x *extraction) prose() string {
	a := x.a
	// A quoted text is the content.
	for i := 0; i < len(a.toks); i++ {
		if a.toks[i].kind == tkQuote {
			j := i + 1
			for j < len(a.toks) && a.toks[j].kind != tkQuote {
				j++
			}
			if j > i+1 {
				x.markTokens(i, j+1)
				return a.span(i+1, j)
			}
		}
	}
	start := a.payload
	if start >= len(a.toks) {
		// No cue: skip the tool's own words, names bound to parameters and
		// function words at the start.
		start = 0
		for start < len(a.toks) {
			tk := a.toks[start]
			if tk.kind == tkWord && !x.usedTok[start] && !stopwords[tk.low] && !x.d.trigger[x.termOf(start)] {
				break
			}
			start++
		}
	}
	// Skip a leading run up to its last cue ("a message saying …").
	lastCue := -1
	for i := start; i < len(a.toks); i++ {
		tk := a.toks[i]
		isCue := tk.kind == tkColon || tk.kind == tkWord && cueWords[tk.low]
		if isCue {
			lastCue = i
			continue
		}
		if tk.kind == tkComma || tk.kind == tkWord && (stopwords[tk.low] || x.usedTok[i] || x.d.trigger[x.termOf(i)]) {
			continue
		}
		break
	}
	if lastCue >= 0 {
		start = lastCue + 1
	}
	// Keep the content's tokens, minus values bound elsewhere (a due date,
	// a subject) and trailing punctuation and politeness.
	var keep []int
	for i := start; i < len(a.toks); i++ {
		if x.usedTok[i] && a.mentAt[i] < 0 {
			continue
		}
		keep = append(keep, i)
	}
	for len(keep) > 0 {
		tk := a.toks[keep[len(keep)-1]]
		if tk.kind != tkWord || tk.low == "please" || tk.low == "thanks" || tk.low == "pls" || tk.low == "due" || tk.low == "by" {
			keep = keep[:len(keep)-1]
			continue
		}
		break
	}
	for len(keep) > 0 && a.toks[keep[0]].kind != tkWord {
		keep = keep[1:]
	}
	if len(keep) == 0 {
		return ""
	}
	// Join contiguous runs as written.
	var parts []string
	runStart := keep[0]
	for k := 1; k <= len(keep); k++ {
		if k == len(keep) || keep[k] != keep[k-1]+1 {
			parts = append(parts, a.span(runStart, keep[k-1]+1))
			if k < len(keep) {
				runStart = keep[k]
			}
		}
	}
	return strings.Join(parts, " ")
}

// termOf is the lexical term of token i.
func (x *extraction) termOf(i int) string {
	s := stem(x.a.toks[i].low)
	if c, ok := x.a.ix.lx.concept[s]; ok {
		return c
	}
	return s
}

// inferResource proposes resources of kind p.Resource nobody named: those
// related to resources already chosen (a record's zone, a database's
// backups), then those whose title the request quotes, then all of them.
func (x *extraction) inferResource(p route.Param) []string {
	a := x.a
	kind := p.Resource
	if kind == personKind {
		var ids []string
		for _, m := range a.turn.Members {
			if m.ID != a.turn.Actor.ID {
				ids = append(ids, string(m.ID))
			}
		}
		return ids
	}
	chosen := map[string]string{} // id → kind of arguments already set
	for _, q := range x.d.spec.Params {
		if v, ok := x.args[q.Name].(string); ok && q.Resource != "" {
			chosen[strings.ToLower(x.a.literal(v))] = q.Resource
		}
	}
	var related []string
	for _, r := range a.turn.Resources {
		if r.Kind == kind {
			for _, rel := range r.Relations {
				if k, ok := chosen[strings.ToLower(rel.ID)]; ok && k == rel.Kind && x.attrsAgree(r.Attrs) {
					related = appendUnique(related, r.ID)
				}
			}
			continue
		}
		if k, ok := chosen[strings.ToLower(r.ID)]; ok && k == r.Kind {
			for _, rel := range r.Relations {
				if rel.Kind == kind {
					related = appendUnique(related, rel.ID)
				}
			}
		}
	}
	if len(related) > 0 {
		x.narrowed[p.Name] = true
		return related
	}
	if ids := x.byTitle(kind); len(ids) > 0 {
		x.narrowed[p.Name] = true
		return ids
	}
	var all []string
	for _, r := range a.turn.Resources {
		if r.Kind == kind && x.attrsAgree(r.Attrs) {
			all = appendUnique(all, r.ID)
		}
	}
	if len(all) > 0 && len(all) < x.countKind(kind) {
		x.narrowed[p.Name] = true // narrowed by a stated attribute (type MX)
	}
	return all
}

func (x *extraction) countKind(kind string) int {
	n := 0
	for _, r := range x.a.turn.Resources {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// attrsAgree reports whether a resource's attributes agree with the enum
// arguments already chosen under the same names (a record of type MX).
func (x *extraction) attrsAgree(attrs map[string]string) bool {
	for k, v := range x.args {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if av, ok := attrs[k]; ok && !strings.EqualFold(av, s) {
			return false
		}
	}
	return true
}

// byTitle returns the resources of a kind whose title the command
// repeats best.
func (x *extraction) byTitle(kind string) []string {
	best := 0.0
	var ids []string
	for _, h := range x.a.titles {
		if h.kind != kind || !x.a.titleIn(h, x.a.head) {
			continue
		}
		switch {
		case h.score > best:
			best, ids = h.score, []string{h.id}
		case h.score == best:
			ids = append(ids, h.id)
		}
	}
	return ids
}

func appendUnique(xs []string, s string) []string {
	if contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

// question asks for one parameter in plain words.
func question(p route.Param, cands []string) string {
	what := strings.ReplaceAll(p.Name, "_", " ")
	switch {
	case p.Resource == personKind:
		if len(cands) == 0 {
			return "Who do you mean?"
		}
		return "Who do you mean: " + listOr(cands) + "?"
	case p.Resource != "":
		kind := strings.ReplaceAll(p.Resource, "_", " ")
		if len(cands) == 0 {
			return fmt.Sprintf("Which %s do you mean?", kind)
		}
		return fmt.Sprintf("Which %s do you mean: %s?", kind, listOr(cands))
	case len(p.Enum) > 0:
		opts := cands
		if len(opts) < 2 {
			opts = p.Enum
		}
		return fmt.Sprintf("Which %s: %s?", what, listOr(opts))
	case strings.HasPrefix(p.Description, "the "):
		return fmt.Sprintf("What should %s be?", strings.TrimSuffix(p.Description, "."))
	case p.Description != "":
		return fmt.Sprintf("What is the %s (%s)?", what, strings.TrimSuffix(p.Description, "."))
	}
	return fmt.Sprintf("What is the %s?", what)
}

// listOr writes "a, b or c", at most maxListed items.
func listOr(items []string) string {
	if len(items) > maxListed {
		return strings.Join(items[:maxListed], ", ") + " or another one"
	}
	return joinOr(items, "or")
}
