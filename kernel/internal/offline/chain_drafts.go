package offline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

// planClause extracts the arguments of clause i: once, or once per
// coordinated name or plural antecedent, with pronouns, omitted objects
// and references to earlier output resolved.
func (u *understanding) planClause(i int, sc *scope) {
	cl := u.clauses[i]
	a := cl.c.a
	d := &a.ix.tools[cl.c.rank[0].tool]
	variants := a.variants(d)
	producers := u.producers(i)
	usedRef := false
	h := &hooks{
		resource: func(p route.Param) (any, bool) {
			if !sc.chain || p.Resource == personKind {
				return nil, false
			}
			return u.omitted(i, p.Resource)
		},
		prose: func(p route.Param, v any) (any, bool) {
			s, _ := v.(string)
			if v != nil && !a.refOnly(s) {
				return nil, false
			}
			if sc.chain && len(producers) > 0 {
				usedRef = true
				return producers[0], true
			}
			if !sc.chain && len(sc.facts) > 0 && a.refWord() {
				return refTo(fmt.Sprintf("fact:%d", sc.facts[0].f.ID)), true
			}
			return nil, false
		},
	}
	if len(variants) > 1 && !sc.chain && a.question() && variants[0].fromLedger() {
		// "how many of those have size m?" is a question: never one change
		// per earlier item. Ask instead.
		variants = variants[:1]
		variants[0] = a
	}
	for _, va := range variants {
		usedRef = false
		args, q := va.extractWith(d, h)
		for k, v := range args {
			args[k] = va.target(v)
		}
		if q != "" && cl.question == "" {
			cl.question = va.display(q)
		}
		cl.drafts = append(cl.drafts, draft{tool: string(d.spec.ID), args: args})
		if usedRef && len(producers) > 1 {
			// "send them to alice" after two lists: one message each.
			for _, pr := range producers[1:] {
				more := make(map[string]any, len(args))
				for k, v := range args {
					if v == producers[0] {
						v = pr
					}
					more[k] = v
				}
				cl.drafts = append(cl.drafts, draft{tool: string(d.spec.ID), args: more})
			}
		}
	}
	for _, dr := range cl.drafts {
		for _, p := range d.spec.Params {
			if p.Resource == "" {
				continue
			}
			if v, ok := dr.args[p.Name]; ok {
				if _, isStep := v.(stepRef); isStep {
					continue
				}
				cl.ents = append(cl.ents, entity{kind: p.Resource, value: v, display: displayOf(v)})
			}
		}
	}
}

func displayOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if t, ok := route.IsRef(v); ok {
		return t
	}
	return fmt.Sprint(v)
}

// omitted resolves a required resource a later clause does not name
// ("snapshot web-1 and then restart the server"): the one resource of that
// kind the nearest earlier clause bound, if exactly one.
func (u *understanding) omitted(i int, kind string) (any, bool) {
	for k := i - 1; k >= 0; k-- {
		var vals []any
		for _, e := range u.clauses[k].ents {
			if e.kind == kind && !slices.ContainsFunc(vals, func(v any) bool { return displayOf(v) == e.display }) {
				vals = append(vals, e.value)
			}
		}
		switch len(vals) {
		case 0:
			continue
		case 1:
			return vals[0], true
		}
		return nil, false
	}
	return nil, false
}

// producers returns the steps whose output a later clause's "them" or
// "the results" means: the reads of the clauses just before it, else the
// steps of the clause just before it.
func (u *understanding) producers(i int) []any {
	var out []any
	for k := i - 1; k >= 0; k-- {
		cl := u.clauses[k]
		if len(cl.drafts) == 0 {
			break
		}
		if cl.c.a.ix.tools[cl.c.rank[0].tool].spec.SafetyLevel > 0 {
			if len(out) == 0 && k == i-1 {
				for j := range cl.drafts {
					out = append(out, stepRef{k, j})
				}
			}
			break
		}
		var these []any
		for j := range cl.drafts {
			these = append(these, stepRef{k, j})
		}
		out = append(these, out...)
	}
	return out
}

// variants returns the analyses to extract d's arguments from: one per
// coordinated name that fills a parameter of d ("restart web-1 and web-2"),
// or one per antecedent of a plural pronoun ("then delete them"), or just a.
func (a *analysis) variants(d *toolDoc) []*analysis {
	for _, l := range a.lists {
		if !a.inHead(a.ments[l[0]].start, a.head) || !a.fills(d, a.ments[l[0]]) {
			continue
		}
		var out []*analysis
		var seen []string
		for _, keep := range l {
			if id := a.ments[keep].cands[0].id; slices.Contains(seen, id) {
				continue // "web-1, web-1": once
			} else {
				seen = append(seen, id)
			}
			b := *a
			b.ments = slices.Clone(a.ments)
			for _, mi := range l {
				if mi != keep {
					b.ments[mi].cands = nil
				}
			}
			out = append(out, &b)
		}
		return out
	}
	for mi, m := range a.ments {
		if m.pron == nil || !m.pron.plural || !a.inHead(m.start, a.head) {
			continue
		}
		for kind := range d.kinds {
			var ids []string
			for _, c := range m.cands {
				if c.kind == kind && !slices.Contains(ids, c.id) {
					ids = append(ids, c.id)
				}
			}
			if len(ids) < 2 {
				continue
			}
			var out []*analysis
			for _, id := range ids {
				b := *a
				b.ments = slices.Clone(a.ments)
				b.ments[mi].cands = []cand{{kind: kind, id: id, strength: strExact}}
				out = append(out, &b)
			}
			return out
		}
	}
	return []*analysis{a}
}

// fills reports whether mention m names something a parameter of d takes.
func (a *analysis) fills(d *toolDoc, m mention) bool {
	for _, c := range m.cands {
		if c.attr != "" && a.hasParam(d, c.attr) {
			return true
		}
		if _, ok := d.kinds[c.kind]; ok && c.attr == "" {
			return true
		}
	}
	return false
}

// lists reports whether a tool lists things: a read without a required
// resource ("list_servers"), whose output "the first one" may index.
func lists(d *toolDoc) bool {
	if d.spec.SafetyLevel > 0 {
		return false
	}
	for _, req := range d.kinds {
		if req {
			return false
		}
	}
	return true
}

// question reports whether the request is phrased as a question.
func (a *analysis) question() bool {
	for i, tk := range a.toks {
		if tk.kind == tkEnd && tk.low == "?" {
			return true
		}
		if tk.kind == tkWord && i == 0 {
			switch tk.low {
			case "how", "which", "what", "whats", "who", "are", "is", "do", "does", "did", "was", "were", "have", "has":
				return true
			}
		}
	}
	return false
}

// fromLedger reports whether a variant was made from a pronoun standing
// for earlier results.
func (a *analysis) fromLedger() bool {
	for _, m := range a.ments {
		if m.pron != nil && len(m.cands) > 0 && strings.HasPrefix(m.cands[0].id, placeholderPfx) {
			return true
		}
	}
	return false
}
