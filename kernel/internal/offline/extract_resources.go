package offline

import (
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

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

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
