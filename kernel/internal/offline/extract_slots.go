package offline

import (
	"net/netip"
	"strings"

	"github.com/steward-os/steward/kernel/route"
)

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
