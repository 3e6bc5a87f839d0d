package offline

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// Evidence weights. Lexical evidence is BM25 over the tool documents; the
// rest is added on the same scale (one strong, rare keyword ≈ 3–5).
const (
	wEntReq        = 1.6  // a named resource fits a required parameter
	wEntOpt        = 1.0  // … an optional one
	wEntStray      = 0.4  // penalty: a named resource the tool cannot take
	wEnumExact     = 1.0  // an enum value the tool accepts ("xl")
	wEnumNat       = 0.5  // an everyday word for one ("extra large")
	wTyped         = 0.5  // a number / date for an integer / date parameter
	wCaution       = 0.1  // per safety level: on a tie, the safer tool wins
	unknownW       = 2.0  // coverage weight of a word no tool knows
	mentionW       = 1.5  // coverage weight of a named resource
	enumItemW      = 1.0  // coverage weight of an enum value
	missingTargetF = 0.6  // confidence factor when the target is unknown and unknown words remain
	domainShare    = 0.55 // an extension is a candidate domain when its best tool reaches this share of the winner
)

// toolScore is the evidence for one tool.
type toolScore struct {
	tool     int // index into ix.tools
	lex      float64
	total    float64
	coverage float64 // share of the request's evidence this tool explains
	// missingTarget: the tool needs a resource of a kind the request does
	// not name.
	missingTarget bool
}

// score weighs the evidence before token limit for one tool.
func (a *analysis) score(ti int, limit int) toolScore {
	d := &a.ix.tools[ti]
	s := toolScore{tool: ti}
	var e evidence
	var titled []int // tokens of the title of a resource this tool takes
	for _, h := range a.titles {
		if _, ok := d.kinds[h.kind]; ok && a.titleIn(h, limit) {
			titled = append(titled, h.toks...)
			e.ev = max(e.ev, wEntReq*strWeak*h.score)
		}
	}
	s.lex = a.lexEvidence(ti, d, limit, titled, &e)
	a.mentionEvidence(d, limit, &e)
	a.enumEvidence(d, limit, &e)
	a.typedEvidence(d, limit, &e)
	// A tool that changes something needs a word for what it does, from
	// its name or keywords; a name alone ("web-1 is on fire") or a word of
	// its description ("name") may only lead to a read.
	if d.spec.SafetyLevel >= 1 && (!e.anchored || a.yesNoQuestion()) {
		return s
	}
	s.total = s.lex + e.ev
	if s.total <= 0 {
		s.total = 0
		return s
	}
	s.total -= wCaution * float64(d.spec.SafetyLevel)
	if s.total < 0 {
		s.total = 0
	}
	if e.weight > 0 {
		s.coverage = e.explained / e.weight
	}
	for kind, req := range d.kinds {
		if req && !a.names(kind, limit) && !a.implicit[kind] {
			s.missingTarget = true
		}
	}
	return s
}

// evidence is what score gathers for one tool besides its lexical score:
// the weight of the request's evidence and the part of it the tool
// explains (its coverage), the other evidence for it, and whether one of
// its own words is used.
type evidence struct {
	explained, weight float64
	ev                float64
	anchored          bool
}

// lexEvidence returns the lexical score of tool ti (BM25, plus a bonus
// for exact surface forms) and weighs every term as evidence the tool
// explains or not.
func (a *analysis) lexEvidence(ti int, d *toolDoc, limit int, titled []int, e *evidence) float64 {
	var lex float64
	for _, tm := range a.terms {
		if !a.inHead(tm.pos, limit) {
			continue
		}
		var l float64
		if tm.id >= 0 {
			l = a.ix.weight[tm.id][ti]
			e.anchored = e.anchored || a.ix.anchor[tm.id][ti]
		}
		if tm.surfaceID >= 0 {
			l += surfaceW * a.ix.weight[tm.surfaceID][ti]
		}
		lex += l
		w := tm.idf
		e.weight += w
		if l > 0 || a.enumAt[tm.pos] >= 0 && d.enums[a.enums[a.enumAt[tm.pos]].value] != "" || slices.Contains(titled, tm.pos) {
			e.explained += w
		}
	}
	return lex
}

// mentionEvidence weighs the named resources: for a kind or attribute
// the tool takes, against it for one it cannot.
func (a *analysis) mentionEvidence(d *toolDoc, limit int, e *evidence) {
	for _, m := range a.ments {
		if !a.inHead(m.start, limit) {
			continue
		}
		best := a.mentionFit(d, m)
		if m.pron != nil && best == 0 {
			continue // a pronoun this tool cannot use says nothing against it
		}
		e.weight += mentionW * m.best()
		if best > 0 {
			e.ev += best
			e.explained += mentionW * m.best()
		} else {
			e.ev -= wEntStray * m.best()
		}
	}
}

// mentionFit is the evidence mention m gives for tool d: its strongest
// candidate that fills a parameter of d, weighted by that parameter's role.
func (a *analysis) mentionFit(d *toolDoc, m mention) float64 {
	best := 0.0
	for _, c := range m.cands {
		var w float64
		if c.attr != "" {
			if a.hasParam(d, c.attr) {
				w = wEntOpt
			}
		} else if req, ok := d.kinds[c.kind]; ok {
			w = wEntOpt
			if req {
				w = wEntReq
			}
		}
		if v := w * c.strength; v > best {
			best = v
		}
	}
	return best
}

// enumEvidence weighs the enum values written: evidence for a tool that
// accepts them, and coverage for those that are no term of their own.
func (a *analysis) enumEvidence(d *toolDoc, limit int, e *evidence) {
	for _, h := range a.enums {
		if !a.inHead(h.pos, limit) {
			continue
		}
		w := wEnumExact
		if h.natural {
			w = wEnumNat
		}
		_, accepts := d.enums[h.value]
		if accepts {
			e.ev += w
		}
		if !a.isTerm[h.pos] {
			e.weight += enumItemW * w
			if accepts {
				e.explained += enumItemW * w
			}
		}
	}
}

// typedEvidence weighs a number for an integer parameter and a date for a
// date parameter.
func (a *analysis) typedEvidence(d *toolDoc, limit int, e *evidence) {
	if len(d.integer) > 0 {
		for _, h := range a.durs {
			if a.inHead(h.start, limit) {
				e.ev += wTyped
				break
			}
		}
	}
	if len(d.date) > 0 && len(a.dates) > 0 {
		e.ev += wTyped
	}
}

// names reports whether the command names a resource of a kind, by id or
// by title.
func (a *analysis) names(kind string, limit int) bool {
	for i := range a.ments {
		if a.inHead(a.ments[i].start, limit) && len(a.ments[i].ofKind(kind)) > 0 {
			return true
		}
	}
	for _, h := range a.titles {
		if h.kind == kind && a.titleIn(h, limit) {
			return true
		}
	}
	return false
}

func (a *analysis) hasParam(d *toolDoc, name string) bool {
	for _, p := range d.spec.Params {
		if strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}

// rank scores the tools (indexes into ix.tools) on the evidence before
// limit, best first; ties go to the safer tool, then to catalog order.
func (a *analysis) rank(tools []int, limit int) []toolScore {
	out := make([]toolScore, 0, len(tools))
	for _, ti := range tools {
		out = append(out, a.score(ti, limit))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].total != out[j].total {
			return out[i].total > out[j].total
		}
		li, lj := a.ix.tools[out[i].tool].spec.SafetyLevel, a.ix.tools[out[j].tool].spec.SafetyLevel
		if li != lj {
			return li < lj
		}
		return out[i].tool < out[j].tool
	})
	return out
}

// confidence calibrates the winner's evidence into 0..1: how strong it is,
// how much of the request it explains, and how far it leads the next tool.
func confidence(r []toolScore) float64 {
	if len(r) == 0 || r[0].total <= 0 {
		return 0
	}
	top := r[0]
	strength := 1 - math.Exp(-top.total/3)
	margin := 1.0
	if len(r) > 1 {
		margin = (top.total - r[1].total) / top.total
	}
	c := math.Sqrt(strength) * top.coverage * (0.7 + 0.3*math.Min(1, 2*margin))
	if top.coverage < 1 && top.missingTarget {
		// Something unknown is named where the tool's target should be:
		// "turn on the lights".
		c *= missingTargetF
	}
	return math.Round(c*1000) / 1000
}
