package llm

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/session"
)

// gate is the PII gate of one prompt (AF-10, ISO-05): everything sent
// goes through it. Secrets are always removed; personal data becomes the
// masker's placeholders unless the tenant opted in to unmasked context.
// It remembers which value each placeholder stood for, so a placeholder
// the model echoes (a message to <email:…>) can be put back — only from
// values of this same prompt, never from anywhere else.
type gate struct {
	m      *redact.Masker
	unmask bool
	back   map[string]string
}

func (m *Model) gate(t session.TenantID) *gate {
	return &gate{m: m.o.Masker, unmask: m.o.UnmaskPII[t], back: map[string]string{}}
}

// rePlaceholder matches the masker's placeholders for personal data.
var rePlaceholder = regexp.MustCompile(`<(?:email|phone):[0-9a-f]{8}>`)

// text masks a string for a prompt.
func (g *gate) text(s string) string {
	s = g.m.Secrets(s)
	if g.unmask {
		return s
	}
	masked := g.m.String(s)
	if masked != s {
		g.learn(s, masked)
	}
	return masked
}

// learn aligns a string with its masked form and records, for each
// placeholder, the span of the original that masks to it. The text
// between placeholders is the same in both; a span is accepted only when
// masking it alone gives the placeholder again.
func (g *gate) learn(orig, masked string) {
	locs := rePlaceholder.FindAllStringIndex(masked, -1)
	pm, po := 0, 0
	for i, l := range locs {
		lit := masked[pm:l[0]]
		if !strings.HasPrefix(orig[po:], lit) {
			return
		}
		po += len(lit)
		ph := masked[l[0]:l[1]]
		next := masked[l[1]:]
		if i+1 < len(locs) {
			next = masked[l[1]:locs[i+1][0]]
		}
		end := g.spanEnd(orig, po, next, ph, i == len(locs)-1)
		if end < 0 {
			return
		}
		g.back[ph] = orig[po:end]
		po, pm = end, l[1]
	}
}

// spanEnd finds where the original of placeholder ph, starting at from,
// ends: just before an occurrence of the next literal text (the end of
// the string for the last placeholder) where the span masks to ph alone.
// -1 if there is no such place.
func (g *gate) spanEnd(orig string, from int, next, ph string, last bool) int {
	if next == "" && last {
		if g.m.String(orig[from:]) == ph {
			return len(orig)
		}
		return -1
	}
	for e := from + 1; e <= len(orig); e++ {
		if next != "" {
			k := strings.Index(orig[e:], next)
			if k < 0 {
				return -1
			}
			e += k
		}
		if g.m.String(orig[from:e]) == ph {
			return e
		}
	}
	return -1
}

// json masks a JSON document for a prompt (numbers kept as written):
// the kernel's masker, after each string has been masked once more here
// so the gate learns its placeholders; for a tenant that opted in, only
// secrets are removed.
func (g *gate) json(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var v any
	if err := kit.DecodeNumbers(raw, &v); err != nil {
		return redact.Marshal(g.text(string(raw)))
	}
	if g.unmask {
		return redact.Marshal(mapStrings(v, g.m.Secrets))
	}
	mapStrings(v, g.text) // learn the placeholders
	return g.m.JSON(raw)
}

// restore puts back the values this prompt's placeholders stood for.
func (g *gate) restore(s string) string {
	if len(g.back) == 0 || !strings.Contains(s, "<") {
		return s
	}
	return rePlaceholder.ReplaceAllStringFunc(s, func(p string) string {
		if o, ok := g.back[p]; ok {
			return o
		}
		return p
	})
}

// mapStrings replaces, in place, every string of a decoded JSON value by
// what f returns for it, and returns the value.
func mapStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		for k, e := range x {
			x[k] = mapStrings(e, f)
		}
	case []any:
		for i, e := range x {
			x[i] = mapStrings(e, f)
		}
	}
	return v
}
