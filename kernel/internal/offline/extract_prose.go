package offline

import "strings"

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
	if q, ok := x.quoted(); ok {
		return q
	}
	a := x.a
	// Keep the content's tokens, minus values bound elsewhere (a due date,
	// a subject) and trailing punctuation and politeness.
	var keep []int
	for i := x.proseStart(); i < len(a.toks); i++ {
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
	return a.joinRuns(keep)
}

// quoted returns the first quoted text of the request, which is the
// content, and marks its tokens used.
func (x *extraction) quoted() (string, bool) {
	a := x.a
	for i := 0; i < len(a.toks); i++ {
		if a.toks[i].kind == tkQuote {
			j := i + 1
			for j < len(a.toks) && a.toks[j].kind != tkQuote {
				j++
			}
			if j > i+1 {
				x.markTokens(i, j+1)
				return a.span(i+1, j), true
			}
		}
	}
	return "", false
}

// proseStart returns the first token of the content: the payload the
// router found or, with no cue, the first word that is not the tool's own,
// a name bound to a parameter or a function word; past a leading run up
// to its last cue in either case.
func (x *extraction) proseStart() int {
	a := x.a
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
	return start
}

// joinRuns joins the contiguous runs of the (non-empty, ascending) tokens
// keep as written, one space between runs.
func (a *analysis) joinRuns(keep []int) string {
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
