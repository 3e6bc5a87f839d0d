package offline

// Connector strengths.
const (
	connWeak   = iota + 1 // "and", ",", "plus", "but"
	connMedium            // "before", "after Y": only before a command
	connStrong            // "then", a sentence end, "after that", "once done"
)

// Connector orders.
const (
	orderNone   = iota
	orderAfter  // what follows runs after what precedes
	orderBefore // what precedes runs after what follows ("X after Y")
)

// connector joins two pieces of a request: tokens [at, end).
type connector struct {
	at, end  int
	strength int
	order    int
}

// connectors finds the connectors of the request, outside quotes and
// outside coordinated names.
func (s *segmenter) connectors() []connector {
	toks := s.a.toks
	var protected []bool
	if len(s.a.lists) > 0 {
		protected = make([]bool, len(toks))
	}
	for _, l := range s.a.lists {
		for k := 1; k < len(l); k++ {
			for i := s.a.ments[l[k-1]].end; i < s.a.ments[l[k]].start; i++ {
				protected[i] = true
			}
		}
	}
	var out []connector
	for i := 0; i < len(toks); {
		c, ok := s.connectorAt(i, protected)
		if !ok {
			i++
			continue
		}
		for c.end < len(toks) {
			next, ok := s.connectorAt(c.end, protected)
			if !ok {
				next, ok = s.continuation(c.end, protected)
			}
			if !ok {
				break
			}
			c.end = next.end
			c.strength = max(c.strength, next.strength)
			if next.order != orderNone {
				c.order = next.order
			}
		}
		i = c.end
		if c.at == 0 || !hasWord(toks[c.end:]) || !hasWord(toks[:c.at]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func hasWord(toks []token) bool {
	for _, tk := range toks {
		if tk.kind == tkWord {
			return true
		}
	}
	return false
}

// connectorAt reads a connector starting at token i.
func (s *segmenter) connectorAt(i int, protected []bool) (connector, bool) {
	toks := s.a.toks
	tk := toks[i]
	if tk.quoted || protected != nil && protected[i] {
		return connector{}, false
	}
	word := func(k int) string {
		if k < len(toks) && toks[k].kind == tkWord && !toks[k].quoted {
			return toks[k].low
		}
		return ""
	}
	c := connector{at: i, end: i + 1}
	switch {
	case tk.kind == tkEnd:
		c.strength = connStrong
	case tk.kind == tkComma:
		c.strength = connWeak
	case tk.kind != tkWord:
		return c, false
	case tk.low == "and" || tk.low == "plus" || tk.low == "but":
		c.strength = connWeak
	case tk.low == "then" || tk.low == "afterwards" || tk.low == "afterward" || tk.low == "thereafter" || tk.low == "subsequently":
		c.strength, c.order = connStrong, orderAfter
	case tk.low == "after" && (word(i+1) == "that" || word(i+1) == "this" || word(i+1) == "which"):
		c.strength, c.order, c.end = connStrong, orderAfter, i+2
	case tk.low == "before" && (word(i+1) == "that" || word(i+1) == "this"):
		c.strength, c.order, c.end = connStrong, orderBefore, i+2
	case tk.low == "after":
		c.strength, c.order = connMedium, orderBefore
	case tk.low == "before":
		c.strength, c.order = connMedium, orderAfter
	case tk.low == "once" || tk.low == "when" || tk.low == "as" && word(i+1) == "soon" && word(i+2) == "as":
		// "once it's done", "when that is finished", "as soon as it's up"
		j := i + 1
		if tk.low == "as" {
			j = i + 3
		}
		for ; j < len(toks) && j <= i+6 && toks[j].kind == tkWord && !toks[j].quoted; j++ {
			if doneWords[toks[j].low] {
				c.strength, c.order, c.end = connStrong, orderAfter, j+1
				return c, true
			}
			if s.a.mentAt[j] >= 0 {
				break
			}
		}
		return c, false
	default:
		return c, false
	}
	return c, true
}

// continuation reads words that may follow a connector: ", and also",
// ". Next, …", "and finally".
func (s *segmenter) continuation(i int, protected []bool) (connector, bool) {
	tk := s.a.toks[i]
	if tk.kind != tkWord || tk.quoted || protected != nil && protected[i] {
		return connector{}, false
	}
	switch tk.low {
	case "also", "next", "finally", "lastly", "additionally", "too":
		return connector{at: i, end: i + 1, strength: connWeak}, true
	}
	return connector{}, false
}
