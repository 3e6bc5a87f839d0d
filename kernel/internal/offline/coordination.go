package offline

import "slices"

// findLists finds coordinated names that share a kind: "web-1, web-2 and
// db-1", "alice and carol", "eu-west and us-east". "or" does not
// coordinate (it asks a choice).
func findLists(toks []token, ments []mention) [][]int {
	var lists [][]int
	var cur []int
	for mi := 0; mi < len(ments); mi++ {
		m := ments[mi]
		if m.pron != nil {
			continue
		}
		if len(cur) > 0 {
			prev := ments[cur[len(cur)-1]]
			if joined(toks, prev.end, m.start) && shareKind(prev, m) {
				cur = append(cur, mi)
				continue
			}
			if len(cur) > 1 {
				lists = append(lists, cur)
			}
		}
		cur = []int{mi}
	}
	if len(cur) > 1 {
		lists = append(lists, cur)
	}
	return lists
}

// joined reports whether tokens [from, to) only join two names: commas,
// "and", "as well as", "plus", and articles.
func joined(toks []token, from, to int) bool {
	conj := false
	for i := from; i < to; i++ {
		tk := toks[i]
		switch {
		case tk.quoted:
			return false
		case tk.kind == tkComma:
			conj = true
		case tk.kind != tkWord:
			return false
		case tk.low == "and" || tk.low == "plus" || tk.low == "&":
			conj = true
		case tk.low == "the" || tk.low == "as" || tk.low == "well" || tk.low == "also":
		default:
			return false
		}
	}
	return conj
}

func shareKind(a, b mention) bool {
	for _, x := range a.cands {
		for _, y := range b.cands {
			if x.kind == y.kind && x.attr == y.attr {
				return true
			}
		}
	}
	return false
}

// listContinues reports whether mention mi is followed by another name of
// its list ("tell alice and carol that …": no content starts after alice).
func (a *analysis) listContinues(mi int) bool {
	for _, l := range a.lists {
		if i := slices.Index(l, mi); i >= 0 && i < len(l)-1 {
			return true
		}
	}
	return false
}
