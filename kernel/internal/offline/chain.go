package offline

import (
	"slices"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

// A request is split into clauses and each clause is planned (CHAIN-01,
// CHAIN-03): "snapshot web-1 and then resize it to xl" is two steps, the
// second depending on the first. This file reads a whole request and
// orders its clauses; splitting is in chain_clauses.go (connectors in
// chain_connectors.go), planning one clause in chain_drafts.go and
// numbering the steps in chain_steps.go.
//
// Splitting. Connectors are found first: sentence ends, commas, "and",
// "then", "after that", "once it's done", "before", "after". A connector
// splits only when the words on both sides make sense as commands:
//
//   - never inside the content of a message or task ("tell bob the backup
//     and the restore are done"), except for "then"-like connectors followed
//     by a complete command of its own;
//   - never between coordinated names ("restart web-1 and web-2" is one
//     clause whose step is repeated for each name);
//   - a side that starts with a verb or a question word is a clause of its
//     own, even when nothing can do it (the request is then answered with a
//     question, never run without it);
//   - a side that is a noun phrase ("and the databases on db-1") borrows the
//     verb of the clause before it when that makes a complete command;
//     otherwise it stays part of the clause before ("show me the cpu and
//     memory for staging-1");
//   - a statement that is no command ("web-1 is stuck, restart it") stays
//     with its neighbour.
//
// Order. "then", "after that", "once done" and "before" make what follows
// depend on everything before it; "X after Y" runs Y first. Clauses joined
// by "and" are independent. A reference to an earlier clause's output is a
// dependency as well.

// Bounds: a request is planned as at most maxSteps steps; beyond
// maxConnectors connectors it is read as one clause, as before chains
// existed (a pasted paragraph is not a script).
const (
	maxSteps      = 12
	maxConnectors = 16
)

// understanding is the router's reading of a whole request.
type understanding struct {
	// answer is set when the request is a question about an earlier result.
	answer *route.LedgerQuery
	ext    string // the answer's fact's extension
	// clauses in the order the user wrote them.
	clauses []*clauseRes
	// failed is the first clause nothing can do, if any.
	failed *clauseRes
	// conditional: a clause is a condition, which cannot be planned.
	conditional bool
	conf        float64
}

// clauseRes is one clause, classified and (when needed) planned.
type clauseRes struct {
	text     string
	c        clause
	conn     connector
	drafts   []draft
	question string
	ents     []entity // what its steps bound, for later pronouns
	after    []int    // clauses that must run first
}

// draft is one planned step before numbering.
type draft struct {
	tool string
	args map[string]any // values may be stepRef until numbered
}

// stepRef points at the output of a draft of an earlier clause.
type stepRef struct{ clause, draft int }

// understand reads t.Text: a question about an earlier result, or one or
// more clauses classified over tools (and planned when plan is set or
// needed to count the steps). segTools are the tools splitting may use.
func (r *Router) understand(ix *index, t route.Turn, segTools, tools []int, plan bool) *understanding {
	g := r.gazetteer(ix, t)
	now := r.now()
	whole := analyze(ix, g, t, now, nil)
	var facts []parsedFact
	if len(t.Facts) > 0 && whole.mayRefer() {
		facts = g.parseFacts(t)
	}
	if len(facts) > 0 {
		if q, conf := whole.ledgerAnswer(g, facts); q != nil {
			u := &understanding{answer: q, conf: conf}
			for _, f := range facts {
				if f.f.ID == q.Fact {
					u.ext = f.ext
				}
			}
			return u
		}
	}
	s := &segmenter{r: r, ix: ix, g: g, t: t, now: now, a: whole, tools: segTools, facts: facts}
	pieces := s.split()
	u := &understanding{conditional: s.conditional, conf: 1}
	if u.conditional {
		u.conf = 0
		return u
	}
	for _, p := range pieces {
		u.clauses = append(u.clauses, &clauseRes{text: strings.TrimSpace(s.text(p)), conn: p.conn})
	}
	u.order()
	if len(pieces) == 1 && pieces[0].from == 0 && pieces[0].to == len(whole.toks) && len(whole.lists) == 0 && len(facts) == 0 {
		// The common case: one clause, no names to repeat it for, nothing
		// to refer back to.
		cl := u.clauses[0]
		whole.findPayload(tools)
		rk := whole.rank(tools, whole.head)
		cl.c = clause{a: whole, tools: tools, rank: rk, conf: confidence(rk)}
		u.conf = cl.c.conf
		if cl.c.conf < r.min {
			u.failed = cl
		} else if plan {
			args, q := whole.extract(&ix.tools[rk[0].tool])
			cl.drafts = []draft{{tool: string(ix.tools[rk[0].tool].spec.ID), args: args}}
			cl.question = q
		}
		return u
	}
	for i, cl := range u.clauses {
		sc := &scope{chain: i > 0, facts: facts, implicit: map[string]bool{}}
		for k := i - 1; k >= 0; k-- {
			if d := u.clauses[k].c.a; d != nil && len(u.clauses[k].c.rank) > 0 && lists(&d.ix.tools[u.clauses[k].c.rank[0].tool]) {
				sc.listed = true
			}
			sc.earlier = append(sc.earlier, u.clauses[k].ents)
			for _, e := range u.clauses[k].ents {
				if _, ok := u.omitted(i, e.kind); ok && e.kind != personKind {
					sc.implicit[e.kind] = true
				}
			}
		}
		ct := t
		ct.Text = cl.text
		a := analyze(ix, g, ct, now, sc)
		a.findPayload(tools)
		rk := a.rank(tools, a.head)
		cl.c = clause{a: a, tools: tools, rank: rk, conf: confidence(rk)}
		u.conf = min(u.conf, cl.c.conf)
		if cl.c.conf < r.min {
			if u.failed == nil {
				u.failed = cl
			}
			continue
		}
		if !plan && len(u.clauses) == 1 && !needsSteps(a) {
			continue // Route: one clause, one step
		}
		u.planClause(i, sc)
	}
	return u
}

// stepCount is how many steps the request plans to (a clause that was not
// planned counts as one).
func (u *understanding) stepCount() int {
	n := 0
	for _, cl := range u.clauses {
		n += max(1, len(cl.drafts))
	}
	return n
}

// needsSteps reports whether a clause's step count depends on its
// arguments: coordinated names or plural pronouns.
func needsSteps(a *analysis) bool {
	if len(a.lists) > 0 {
		return true
	}
	for _, m := range a.ments {
		if m.pron != nil && m.pron.plural {
			return true
		}
	}
	return false
}

// order computes which clauses must run before which (CHAIN-03): "then"
// starts a new stage that follows every clause before it; "X after Y"
// runs Y first; "and" keeps clauses in the same stage.
func (u *understanding) order() {
	stage := 0
	for i := 1; i < len(u.clauses); i++ {
		cl := u.clauses[i]
		switch cl.conn.order {
		case orderAfter:
			cl.after = nil
			for k := stage; k < i; k++ {
				cl.after = append(cl.after, k)
			}
			stage = i
		case orderBefore:
			cl.after = slices.Clone(u.clauses[i-1].after)
			u.clauses[i-1].after = append(u.clauses[i-1].after, i)
		default:
			cl.after = slices.Clone(u.clauses[stage].after)
		}
	}
}
