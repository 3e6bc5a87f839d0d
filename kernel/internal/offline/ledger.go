package offline

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strings"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Earlier results (AF-02): the turn's ledger facts decoded, and the
// pronouns and ordinals that stand for their items.

// parsedFact is a ledger fact with its output decoded.
type parsedFact struct {
	f   session.Fact
	ext string
	obj map[string]any // the output, when it is an object
	// The output's list of items, when it has one: its key ("servers"),
	// items, and the item field naming each one ("name") with its kinds.
	key     string
	items   []map[string]any
	idField string
}

// maxParsed bounds the decoded facts a name table keeps.
const maxParsed = 256

// parseFacts decodes the turn's successful facts, most recent first. A
// decoded fact is kept with the tenant's name table (its id field depends
// on the tenant's resources), keyed by id and a hash of its output.
func (g *gazetteer) parseFacts(t route.Turn) []parsedFact {
	var out []parsedFact
	for i := len(t.Facts) - 1; i >= 0; i-- {
		f := t.Facts[i]
		if !f.OK || len(f.Output) == 0 || f.ID <= 0 {
			continue
		}
		key := factKey{id: f.ID, tool: f.Tool, sum: maphash.Bytes(factSeed, f.Output)}
		g.mu.Lock()
		pf, ok := g.parsed[key]
		g.mu.Unlock()
		if !ok {
			pf = g.parseFact(f)
			g.mu.Lock()
			if g.parsed == nil || len(g.parsed) >= maxParsed {
				g.parsed = map[factKey]*parsedFact{}
			}
			g.parsed[key] = pf
			g.mu.Unlock()
		}
		if pf != nil {
			out = append(out, *pf)
		}
	}
	return out
}

// factKey identifies a fact's verbatim output.
type factKey struct {
	id   int64
	tool session.ToolID
	sum  uint64
}

var factSeed = maphash.MakeSeed()

// parseFact decodes one fact; nil when its output is not a JSON object.
func (g *gazetteer) parseFact(f session.Fact) *parsedFact {
	var v any
	if err := json.Unmarshal(f.Output, &v); err != nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	ext, _, _ := strings.Cut(string(f.Tool), ".")
	pf := &parsedFact{f: f, ext: ext, obj: obj}
	pf.key, pf.items = listIn(obj, g)
	if pf.items != nil {
		pf.idField = idField(pf.items, pf.key, g)
	}
	return pf
}

// listIn finds the output's list of objects: the one whose key names a
// resource kind when there are several ("servers"), else the first by key.
func listIn(obj map[string]any, g *gazetteer) (string, []map[string]any) {
	keys := make([]string, 0, len(obj))
	for k, v := range obj {
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			if _, ok := arr[0].(map[string]any); ok {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	sort.Strings(keys)
	best := keys[0]
	for _, k := range keys {
		if g.kindStems[stem(k)] {
			best = k
			break
		}
	}
	var items []map[string]any
	for _, e := range obj[best].([]any) {
		if m, ok := e.(map[string]any); ok {
			items = append(items, m)
		}
	}
	return best, items
}

// kindsOf returns the kinds of resource (or "person") whose id is v.
func (g *gazetteer) kindsOf(v string) []string {
	var out []string
	for _, c := range g.exact[normName(v)] {
		if strings.EqualFold(c.id, v) && !slices.Contains(out, c.kind) {
			out = append(out, c.kind)
		}
	}
	sort.Strings(out)
	return out
}

// idField returns the item field that names each item: the one whose
// values are ids of the kind the list's key names ("servers" → name),
// else "name" or "id", else the first field holding ids.
func idField(items []map[string]any, key string, g *gazetteer) string {
	fields := map[string][]string{} // field → kinds every item's value has
	var names []string
	for f := range items[0] {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		var kinds []string
		for i, it := range items {
			s, ok := it[f].(string)
			if !ok {
				kinds = nil
				break
			}
			ks := g.kindsOf(s)
			if i == 0 {
				kinds = ks
			} else {
				kinds = slices.DeleteFunc(kinds, func(k string) bool { return !slices.Contains(ks, k) })
			}
		}
		if len(kinds) > 0 {
			fields[f] = kinds
		}
	}
	ks := stem(key)
	for _, f := range names {
		for _, k := range fields[f] {
			if kindStem(k) == ks {
				return f
			}
		}
	}
	for _, f := range []string{"name", "id"} {
		if _, ok := items[0][f]; ok {
			return f
		}
	}
	for _, f := range names {
		if len(fields[f]) > 0 {
			return f
		}
	}
	return ""
}

// kindStem is the stem of a kind's last word: dns_record → record.
func kindStem(kind string) string {
	if i := strings.LastIndexByte(kind, '_'); i >= 0 {
		kind = kind[i+1:]
	}
	return stem(kind)
}

// ledgerCands resolves a pronoun or ordinal against earlier results: an
// ordinal picks that item of the most recent list of each kind; "it" and
// "them" stand for the most recent result that names something (its items,
// when it is a list).
func (a *analysis) ledgerCands(g *gazetteer, facts []parsedFact, p pronoun) []cand {
	var out []cand
	seen := map[string]bool{}
	for fi, f := range facts {
		if p.ordinal {
			if f.idField == "" {
				continue
			}
			i := p.index
			if i < 0 {
				i = len(f.items) - 1
			}
			if i >= len(f.items) {
				continue
			}
			val, _ := f.items[i][f.idField].(string)
			strength := strExact
			if len(out) > 0 || fi > 0 {
				strength = strPartial
			}
			for _, k := range g.kindsOf(val) {
				if k == personKind || seen[k] {
					continue
				}
				seen[k] = true
				ref := refTo(fmt.Sprintf("fact:%d#/%s/%d/%s", f.f.ID, escapePointer(f.key), i, escapePointer(f.idField)))
				out = append(out, cand{kind: k, id: a.placeholder(ref, val), strength: strength})
			}
			continue
		}
		if f.idField != "" {
			for i, it := range f.items {
				val, _ := it[f.idField].(string)
				for _, k := range g.kindsOf(val) {
					if k == personKind {
						continue
					}
					ref := refTo(fmt.Sprintf("fact:%d#/%s/%d/%s", f.f.ID, escapePointer(f.key), i, escapePointer(f.idField)))
					out = append(out, cand{kind: k, id: a.placeholder(ref, val), strength: strExact})
				}
			}
		} else {
			// A single object: every top-level field that names a resource;
			// the one the tool's name is about first ("get_server" → server).
			_, tool, _ := strings.Cut(string(f.f.Tool), ".")
			var keys []string
			for k := range f.obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				val, ok := f.obj[k].(string)
				if !ok {
					continue
				}
				for _, kind := range g.kindsOf(val) {
					if kind == personKind {
						continue
					}
					strength := strPartial
					if strings.Contains(tool, kindStem(kind)) {
						strength = strExact
					}
					ref := refTo(fmt.Sprintf("fact:%d#/%s", f.f.ID, escapePointer(k)))
					out = append(out, cand{kind: kind, id: a.placeholder(ref, val), strength: strength})
				}
			}
		}
		if len(out) > 0 {
			return out // "it" and "them" mean the most recent result that names something
		}
	}
	return out
}

// escapePointer escapes a JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
