package ground

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-os/steward/session"
)

// obj is one JSON object of a fact (the top-level output merged with the
// call's arguments, or any nested object, such as one item of a list), or
// the error of a failed fact. Claims about a named thing are checked
// against the objects that mention it.
// Objects are small, so their sets are slices.
type obj struct {
	toks  []string // tokens of its own string values and string-array elements, and those values whole
	vals  []string // its own string values whole (lower case), for filtered counts
	extra []string // status evidence beyond its tokens: truthy key words, the tool's verb forms
	nums  []keyNum // its own numeric values by key word
}

type keyNum struct {
	key string
	v   float64
}

func newObj() *obj { return &obj{} }

func (o *obj) mentions(tok string) bool { return slices.Contains(o.toks, tok) }

// has reports whether w is one of its tokens or extra evidence.
func (o *obj) has(w string) bool { return slices.Contains(o.toks, w) || slices.Contains(o.extra, w) }

// numsOf returns its values under key word k and whether it has any.
func (o *obj) numsOf(k string) ([]float64, bool) {
	var out []float64
	found := false
	for _, kn := range o.nums {
		if kn.key == k {
			out, found = append(out, kn.v), true
		}
	}
	return out, found
}

// array is a JSON array in a fact: its length counts, its object items
// give filtered counts.
type array struct {
	n      int
	items  []*obj
	parent *obj
}

// index is everything a set of facts supports.
type index struct {
	voc      vocab
	objs     []*obj
	toks     map[string]struct{} // every token and whole string value, keys, tool names, allowed words
	strs     []string            // whole string values, lower case, for quoted text
	idParts  map[string]struct{} // the parts of identifiers in the facts ("eu", "west")
	nums     map[float64]struct{}
	dates    map[string]struct{} // YYYY-MM-DD
	mdays    map[string]struct{} // MM-DD
	years    map[int]struct{}
	times    map[string]struct{} // HH:MM and HH:MM:SS
	keyNums  map[string][]float64
	keyArrs  map[string][]*array
	arrays   []*array
	nameKeys map[string]struct{}  // key words whose values include plain words (database: orders)
	words    map[string]struct{}  // Options.Words, lower case
	argNums  map[string][]float64 // key word → numbers the call's arguments gave (filters)
	valKeys  map[string][]string  // token → the keys it is a value of
	kwCache  map[string][]string  // key → keyWords(key)
	ok       bool                 // some fact succeeded
	toolWord map[string]struct{}  // verbs of successful tools ("backup", "restart")
	args     bool                 // walking arguments
}

// noNameKeys are keys whose plain-word values are free text, not names.
var noNameKeys = set("status", "title", "body", "subject", "message", "code", "type", "value",
	"zonefile", "to", "name", "id", "created", "completed", "due", "expires", "state", "description", "text", "summary")

func newIndex(facts []session.Fact, opts Options, voc vocab) *index {
	x := &index{
		voc:      voc,
		toks:     map[string]struct{}{},
		idParts:  map[string]struct{}{},
		nums:     map[float64]struct{}{},
		dates:    map[string]struct{}{},
		mdays:    map[string]struct{}{},
		years:    map[int]struct{}{},
		times:    map[string]struct{}{},
		keyNums:  map[string][]float64{},
		keyArrs:  map[string][]*array{},
		nameKeys: map[string]struct{}{},
		words:    map[string]struct{}{},
		argNums:  map[string][]float64{},
		valKeys:  map[string][]string{},
		kwCache:  map[string][]string{},
		toolWord: map[string]struct{}{},
	}
	for _, w := range opts.Words {
		w = strings.ToLower(strings.TrimSpace(w))
		if w != "" {
			x.words[w] = struct{}{}
			x.toks[w] = struct{}{}
		}
	}
	for i := range facts {
		x.addFact(&facts[i])
	}
	if opts.Request != "" {
		// What the user typed may be echoed as a name or a date, never as a
		// number, a count or a status.
		for _, t := range lex(opts.Request) {
			switch t.kind {
			case kIdent, kWord:
				x.toks[t.norm] = struct{}{}
			case kDate, kTime:
				x.addTimeTokens(t.norm)
			}
		}
	}
	return x
}

func (x *index) addFact(f *session.Fact) {
	x.addTool(string(f.Tool))
	if !f.OK {
		// A failure supports only what its error says.
		o := newObj()
		if f.Error != nil {
			x.addString(o, "message", f.Error.Message)
			x.addString(o, "code", f.Error.Code)
		}
		o.extra = append(o.extra, "failed", "failing")
		x.objs = append(x.objs, o)
		return
	}
	x.ok = true
	if verb := toolVerb(string(f.Tool)); verb != "" {
		x.toolWord[verb] = struct{}{}
	}
	top := newObj()
	x.objs = append(x.objs, top)
	if v, ok := decode(f.Output); ok {
		if m, isMap := v.(map[string]any); isMap {
			x.walkObj(top, m)
		} else {
			x.walkValue(top, "", v)
		}
	}
	if v, ok := decode(f.Args); ok {
		x.args = true
		if m, isMap := v.(map[string]any); isMap {
			x.walkObj(top, m)
		} else {
			x.walkValue(top, "", v)
		}
		x.args = false
	}
	// The tool's verb ("restart" in restart_server) supports its participles
	// ("restarted"); a successful call supports "succeeded".
	top.extra = append(top.extra, participles(toolVerb(string(f.Tool)))...)
	top.extra = append(top.extra, "succeeded", "successful", "successfully")
}

// toolVerb is the first word of a tool's name: "restart" in
// "hosting.restart_server".
func toolVerb(tool string) string {
	if k := strings.LastIndexByte(tool, '.'); k >= 0 {
		tool = tool[k+1:]
	}
	verb, _, _ := strings.Cut(strings.ToLower(tool), "_")
	return verb
}

func (x *index) addTool(tool string) {
	tool = strings.ToLower(tool)
	if tool == "" {
		return
	}
	x.toks[tool] = struct{}{}
	for _, part := range strings.FieldsFunc(tool, func(r rune) bool { return r == '.' || r == '_' }) {
		x.toks[part] = struct{}{}
	}
	if k := strings.LastIndexByte(tool, '.'); k >= 0 {
		x.toks[tool[k+1:]] = struct{}{}
	}
}

func decode(raw json.RawMessage) (any, bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// keyWords are the words a key answers to: itself, its parts and their
// singulars ("days_left" → days_left, days, day, left).
func keyWords(k string) []string {
	k = strings.ToLower(k)
	out := []string{k, singular(k)}
	if strings.ContainsAny(k, "_-") {
		for _, p := range strings.FieldsFunc(k, func(r rune) bool { return r == '_' || r == '-' }) {
			out = append(out, p, singular(p))
		}
	}
	return out
}

// kw is keyWords with a cache: list items repeat their keys.
func (x *index) kw(k string) []string {
	if w, ok := x.kwCache[k]; ok {
		return w
	}
	w := keyWords(k)
	x.kwCache[k] = w
	for _, t := range w {
		x.toks[t] = struct{}{}
	}
	return w
}

func (x *index) addKey(k string) { x.kw(k) }

// truthy marks the words of a key whose value is true, non-zero or
// non-empty as status evidence ("deleted": true, "restored_from": "x",
// "sites_removed": [..]).
func (x *index) truthy(o *obj, k string) {
	for _, w := range x.kw(k) {
		if !slices.Contains(o.extra, w) {
			o.extra = append(o.extra, w)
		}
	}
}

func (x *index) walkObj(o *obj, m map[string]any) {
	for k, v := range m {
		x.addKey(k)
		x.walkValue(o, k, v)
	}
}

func (x *index) walkValue(o *obj, k string, v any) {
	switch t := v.(type) {
	case string:
		x.addString(o, k, t)
		if strings.TrimSpace(t) != "" && k != "" {
			x.truthy(o, k)
		}
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return
		}
		x.nums[f] = struct{}{}
		if k != "" {
			for _, w := range x.kw(k) {
				o.nums = append(o.nums, keyNum{w, f})
				x.keyNums[w] = append(x.keyNums[w], f)
				if x.args {
					x.argNums[w] = append(x.argNums[w], f)
				}
			}
			if f != 0 {
				x.truthy(o, k)
			}
		}
	case bool:
		if t && k != "" {
			x.truthy(o, k)
		}
	case map[string]any:
		child := newObj()
		x.objs = append(x.objs, child)
		x.walkObj(child, t)
	case []any:
		a := &array{n: len(t), parent: o}
		x.nums[float64(len(t))] = struct{}{}
		if k != "" {
			for _, w := range x.kw(k) {
				x.keyArrs[w] = append(x.keyArrs[w], a)
			}
			if len(t) > 0 {
				x.truthy(o, k)
			}
		}
		for _, e := range t {
			switch et := e.(type) {
			case map[string]any:
				child := newObj()
				x.objs = append(x.objs, child)
				x.walkObj(child, et)
				a.items = append(a.items, child)
				// items named by plain words make the list's noun a name key
				// ("databases": [{"name": "orders"}] → "database orders")
				for _, nk := range []string{"name", "id"} {
					if s, ok := et[nk].(string); ok && k != "" && isPlainWord(strings.ToLower(s)) {
						x.nameKeys[singular(strings.ToLower(k))] = struct{}{}
					}
				}
			case []any:
				x.walkValue(o, "", et)
			default:
				x.walkValue(o, k, et)
			}
		}
		if len(a.items) > 0 {
			x.arrays = append(x.arrays, a)
		}
	}
}

// addString records a string value: whole, as tokens, its numbers, dates
// and times.
func (x *index) addString(o *obj, k, s string) {
	low := strings.ToLower(strings.TrimSpace(s))
	if low == "" {
		return
	}
	x.strs = append(x.strs, low)
	x.toks[low] = struct{}{}
	o.toks = append(o.toks, low)
	o.vals = append(o.vals, low)
	x.valKey(low, k)
	if f, err := strconv.ParseFloat(low, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		x.nums[f] = struct{}{}
		if k != "" {
			for _, w := range x.kw(k) {
				o.nums = append(o.nums, keyNum{w, f})
				x.keyNums[w] = append(x.keyNums[w], f)
			}
		}
	}
	lk := strings.ToLower(k)
	if k != "" && !has(noNameKeys, lk) && isPlainWord(low) {
		x.nameKeys[singular(lk)] = struct{}{}
	}
	var toks []token
	if oneToken(s) {
		toks = []token{classify(s, 0, len(s))}
	} else {
		toks = lex(s)
	}
	for _, t := range toks {
		if t.norm == low && (t.kind == kWord || t.kind == kIdent || t.kind == kNumber) {
			if t.kind == kIdent {
				x.idParts1(t.norm)
			} else if t.kind == kNumber {
				x.nums[t.num] = struct{}{}
			}
			continue // already recorded whole
		}
		switch t.kind {
		case kWord:
			x.toks[t.norm] = struct{}{}
			o.toks = append(o.toks, t.norm)
		case kIdent:
			x.toks[t.norm] = struct{}{}
			o.toks = append(o.toks, t.norm)
			x.valKey(t.norm, k)
			x.idParts1(t.norm)
		case kNumber:
			x.nums[t.num] = struct{}{}
			o.toks = append(o.toks, t.norm)
		case kDate, kTime:
			x.toks[t.norm] = struct{}{}
			if t.norm != low {
				o.toks = append(o.toks, t.norm)
			}
			x.addTimeTokens(t.norm)
			if t.kind == kDate && len(t.norm) > 10 {
				o.toks = append(o.toks, t.norm[:10])
			}
		}
	}
}

// idParts1 records the parts of an identifier ("eu-west" → eu, west).
func (x *index) idParts1(id string) {
	start := 0
	for i := 0; i <= len(id); i++ {
		if i == len(id) || id[i] == '.' || id[i] == '-' || id[i] == '_' || id[i] == ':' {
			if i > start {
				x.idParts[id[start:i]] = struct{}{}
			}
			start = i + 1
		}
	}
}

// oneToken reports whether s is a single token for lex (a name, a number,
// a date): ASCII letters and digits joined by . - _ :, nothing else.
func oneToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '.' || c == '_' || c == ':') && i > 0 && i < len(s)-1:
			n, p := s[i+1], s[i-1]
			if !isASCIIAlnum(n) || !isASCIIAlnum(p) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// valKey records that tok is (part of) a value of key k.
func (x *index) valKey(tok, k string) {
	if !slices.Contains(x.valKeys[tok], k) {
		x.valKeys[tok] = append(x.valKeys[tok], k)
	}
}

// siblings reports whether a and b are values of the same key somewhere
// (two server names, two regions): a list of peers, not an attribute of
// the other.
func (x *index) siblings(a, b string) bool {
	for _, k := range x.valKeys[a] {
		if slices.Contains(x.valKeys[b], k) {
			return true
		}
	}
	return false
}

func isPlainWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// addTimeTokens records a date, a timestamp or a time of day.
func (x *index) addTimeTokens(s string) {
	x.toks[s] = struct{}{}
	if isDateLike(s) {
		d := s[:10]
		x.dates[d] = struct{}{}
		x.mdays[d[5:]] = struct{}{}
		if y, err := strconv.Atoi(d[:4]); err == nil {
			x.years[y] = struct{}{}
		}
		if len(s) > 11 {
			s = s[11:]
		} else {
			return
		}
	}
	// a time of day: keep HH:MM and HH:MM:SS
	end := 0
	for end < len(s) && (isDigitByte(s[end]) || s[end] == ':') {
		end++
	}
	tm := s[:end]
	if isTime(tm) {
		x.times[tm] = struct{}{}
		if len(tm) > 5 {
			x.times[tm[:len(tm)-3]] = struct{}{}
		}
		if len(tm) == 4 || (len(tm) == 7) { // 9:00 → 09:00
			x.times["0"+tm] = struct{}{}
		}
	}
}

// hasNum reports whether f (or its negation: "3 days ago" for -3) is a
// number in the facts.
func hasNum(m map[float64]struct{}, f float64) bool {
	if _, ok := m[f]; ok {
		return true
	}
	_, ok := m[-f]
	return ok
}

func inNums(list []float64, f float64) bool {
	for _, v := range list {
		if v == f || v == -f {
			return true
		}
	}
	return false
}

// supports reports whether o is evidence for any status group in gs.
func (x *index) supports(o *obj, gs []int, groups [][]string) bool {
	for _, g := range gs {
		for _, w := range groups[g] {
			if o.has(w) {
				return true
			}
		}
	}
	return false
}

// hasStatus reports whether o carries any status word at all (a retrieved
// state).
func (x *index) hasStatus(o *obj) bool {
	for _, w := range o.toks {
		if _, ok := x.voc[w]; ok {
			return true
		}
	}
	for _, w := range o.extra {
		if _, ok := x.voc[w]; ok {
			return true
		}
	}
	return false
}
