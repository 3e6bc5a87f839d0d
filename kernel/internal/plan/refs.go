package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-os/steward/internal/narrate"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/narration"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// ParseRef splits "s1#/a/0" into its target and JSON Pointer.
func ParseRef(ref string) (target, pointer string, err error) {
	target, pointer, _ = strings.Cut(ref, "#")
	if target == "" {
		return "", "", fmt.Errorf("the reference %q names no producer", ref)
	}
	if pointer != "" && !strings.HasPrefix(pointer, "/") {
		return "", "", fmt.Errorf("the reference %q has a pointer that does not start with /", ref)
	}
	if strings.HasPrefix(target, "fact:") {
		if _, err := strconv.ParseInt(strings.TrimPrefix(target, "fact:"), 10, 64); err != nil {
			return "", "", fmt.Errorf("the reference %q names no fact", ref)
		}
	}
	return target, pointer, nil
}

// Resolve replaces a step's references with values from the producers'
// verbatim facts (CHAIN-08, CHAIN-09) and returns canonical arguments and
// where each resolved value came from.
func (c *Checker) Resolve(ctx context.Context, a session.Actor, ch *store.ChainRow, st *store.ChainStep, t *registry.Tool) (json.RawMessage, []session.Source, error) {
	args := map[string]any{}
	if len(st.Args) > 0 {
		if err := kit.DecodeNumbers(st.Args, &args); err != nil {
			return nil, nil, kit.Errf(session.CodeInvalidArguments, "The arguments for %s are not valid JSON.", t.ID)
		}
	}
	var sources []session.Source
	for name, v := range args {
		ref, ok := route.IsRef(v)
		if !ok {
			continue
		}
		val, src, err := c.resolveRef(ctx, a, ch, st, t, name, ref)
		if err != nil {
			return nil, nil, err
		}
		args[name] = val
		sources = append(sources, src)
	}
	raw, _ := json.Marshal(args)
	canon, err := kit.Canonical(raw)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(sources, func(x, y session.Source) int { return strings.Compare(x.Param, y.Param) })
	return canon, sources, nil
}

// resolveRef resolves one reference of a step's parameter.
func (c *Checker) resolveRef(ctx context.Context, a session.Actor, ch *store.ChainRow, st *store.ChainStep, t *registry.Tool, name, ref string) (any, session.Source, error) {
	var none session.Source
	target, pointer, err := ParseRef(ref)
	if err != nil {
		return nil, none, kit.Errf(session.CodeInvalidPlan, "%v", err)
	}
	factID, ok := factTarget(target)
	if !ok {
		for _, s := range ch.Steps {
			if s.ID == session.StepID(target) {
				if s.State != store.StepDone || s.Fact == 0 {
					return nil, none, kit.Errf(session.CodeDependencyFailed, "Step %s needs the output of step %s, which did not complete.", st.ID, target)
				}
				factID = s.Fact
			}
		}
	}
	f, out, err := c.SessionFact(ctx, a, factID)
	if err != nil {
		var ke *kit.Error
		if errors.As(err, &ke) {
			return nil, none, kit.Errf(session.CodeDependencyFailed, "The result %s refers to is not available.", ref)
		}
		return nil, none, err
	}
	val, err := JSONPointer(out, pointer)
	if err != nil {
		return nil, none, kit.Errf(session.CodeDependencyFailed, "The reference %s points at nothing in %s's result: %v.", ref, f.Tool, err)
	}
	val = c.fitParam(t, name, val, f, pointer)
	enc, _ := json.Marshal(val)
	return val, session.Source{Param: name, Ref: ref, Fact: f.ID, Tool: f.Tool, Value: enc}, nil
}

// SessionFact loads a successful fact of the actor's session and decodes
// its output. A fact that is missing, failed or of another session is a
// *kit.Error (not_found); other errors are the store's.
func (c *Checker) SessionFact(ctx context.Context, a session.Actor, id int64) (session.Fact, any, error) {
	f, err := c.sessionFact(ctx, a, id)
	if err != nil {
		return f, nil, err
	}
	var out any
	if err := kit.DecodeNumbers(f.Output, &out); err != nil {
		return f, nil, fmt.Errorf("decode fact %d: %w", id, err)
	}
	return f, out, nil
}

// fitParam adapts a resolved value to a string parameter: an object or an
// array is rendered with the producer tool's narration (the whole output)
// or listed deterministically (a part of it); a number becomes its text.
func (c *Checker) fitParam(t *registry.Tool, name string, val any, f session.Fact, pointer string) any {
	if p, _ := t.Param(name); p.Type != "string" {
		return val
	}
	switch val.(type) {
	case string, json.Number, bool:
		return ScalarText(val)
	case map[string]any, []any:
		if pointer == "" || pointer == "/" {
			if pt, ok := c.reg.Tool(f.Tool); ok {
				return narration.Text(pt, f)
			}
		}
		var b strings.Builder
		narrate.WriteValue(&b, val, "\n- ")
		return strings.TrimPrefix(b.String(), "\n")
	}
	return val
}

// JSONPointer resolves an RFC 6901 pointer.
func JSONPointer(v any, pointer string) (any, error) {
	if pointer == "" {
		return v, nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no field %q", tok)
			}
			v = e
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || !arrayIndex(tok) || i >= len(x) {
				return nil, fmt.Errorf("no item %s (the list has %d)", tok, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%q is not inside an object or list", tok)
		}
	}
	return v, nil
}

// arrayIndex reports whether tok is an array index as RFC 6901 writes
// one: "0", or digits without a leading zero (not "+1", "01" or "-0").
func arrayIndex(tok string) bool {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}

// ScalarText renders a decoded JSON value as text.
func ScalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// sessionFact loads a fact that is a successful result of the actor's
// session; anything else (missing, failed, another session's) is a
// *kit.Error (not_found), store failures excepted.
func (c *Checker) sessionFact(ctx context.Context, a session.Actor, id int64) (session.Fact, error) {
	f, err := c.ledger.Fact(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (f.Session != session.SessionFor(a) || !f.OK)) {
		return f, kit.Errf(session.CodeNotFound, "I no longer have that result; ask for it again.")
	}
	if err != nil {
		return f, fmt.Errorf("load fact %d: %w", id, err)
	}
	return f, nil
}
