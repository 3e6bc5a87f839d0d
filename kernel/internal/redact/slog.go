package redact

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
)

// Handler is a slog.Handler that removes secrets (Masker.Secrets) from
// every record before the handler it wraps sees it: the message, and the
// value of every attribute, those of the record and those added with
// WithAttrs, inside groups too. Strings are masked as they are; an error,
// an encoding.TextMarshaler, a json.Marshaler, a fmt.Stringer, a []byte
// and any other value as the text it would be written as (its Error,
// MarshalText, MarshalJSON or String, or fmt's %+v). A value that holds
// a secret is replaced by its masked text; any other is passed on
// untouched, so a record that holds no secret reaches the wrapped handler
// as it was, without a copy. Personal data is left alone (logs are the
// operator's). Keys and group names are not masked.
//
// The masker's secrets may grow after a logger was derived with With:
// attributes added with WithAttrs are kept and masked again, once, when
// the masker has learnt a secret since they were last masked. A Handler
// is safe for concurrent use.
type Handler struct {
	m    *Masker
	base slog.Handler
	ops  []withOp // the WithAttrs and WithGroup calls that made this handler, in order
	cur  *atomic.Pointer[derived]
}

// withOp is one WithGroup (group set) or WithAttrs call, unmasked.
type withOp struct {
	group string
	attrs []slog.Attr
}

// derived is the wrapped handler with every op applied, masked with the
// secrets of version gen.
type derived struct {
	gen *[]string
	h   slog.Handler
}

// NewHandler wraps next; a nil m masks well-known token shapes only.
func NewHandler(next slog.Handler, m *Masker) *Handler {
	if m == nil {
		m = New()
	}
	h := &Handler{m: m, base: next, cur: new(atomic.Pointer[derived])}
	h.cur.Store(&derived{gen: m.version(), h: next})
	return h
}

// version identifies the masker's current secrets: it changes whenever a
// secret is added.
func (m *Masker) version() *[]string {
	if m.secrets == nil {
		return nil
	}
	return m.secrets.list.Load()
}

// next is the wrapped handler with this handler's attributes and groups,
// masked with the masker's current secrets.
func (h *Handler) next() slog.Handler {
	gen := h.m.version()
	if d := h.cur.Load(); d.gen == gen {
		return d.h
	}
	nh := h.base
	for _, op := range h.ops {
		nh = op.apply(h.m, nh)
	}
	h.cur.Store(&derived{gen: gen, h: nh})
	return nh
}

func (op withOp) apply(m *Masker, h slog.Handler) slog.Handler {
	if op.group != "" {
		return h.WithGroup(op.group)
	}
	as, _ := maskAttrs(m, op.attrs)
	return h.WithAttrs(as)
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next().Enabled(ctx, level)
}

// Handle masks the record and hands it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	next := h.next()
	msg := h.m.Secrets(r.Message)
	dirty := msg != r.Message
	if !dirty {
		r.Attrs(func(a slog.Attr) bool {
			_, dirty = maskAttr(h.m, a)
			return !dirty
		})
	}
	if !dirty {
		return next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if b, ok := maskAttr(h.m, a); ok {
			a = b
		}
		out.AddAttrs(a)
		return true
	})
	return next.Handle(ctx, out)
}

// WithAttrs returns a handler whose records also carry as, masked.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return h.with(withOp{attrs: slices.Clone(as)})
}

// WithGroup returns a handler whose later attributes are in group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(withOp{group: name})
}

func (h *Handler) with(op withOp) *Handler {
	c := &Handler{m: h.m, base: h.base, ops: append(slices.Clip(h.ops), op), cur: new(atomic.Pointer[derived])}
	gen := h.m.version() // read before masking: a newer secret only means one more rebuild
	c.cur.Store(&derived{gen: gen, h: op.apply(h.m, h.next())})
	return c
}

// maskAttr returns the attribute with its value masked, and whether the
// value changed.
func maskAttr(m *Masker, a slog.Attr) (slog.Attr, bool) {
	v, ok := maskValue(m, a.Value)
	if !ok {
		return a, false
	}
	return slog.Attr{Key: a.Key, Value: v}, true
}

// maskAttrs returns as itself when no value changes, else a masked copy
// and true.
func maskAttrs(m *Masker, as []slog.Attr) ([]slog.Attr, bool) {
	var out []slog.Attr
	for i, a := range as {
		if b, ok := maskAttr(m, a); ok {
			if out == nil {
				out = slices.Clone(as)
			}
			out[i] = b
		}
	}
	if out == nil {
		return as, false
	}
	return out, true
}

func maskValue(m *Masker, v slog.Value) (slog.Value, bool) {
	switch v.Kind() {
	case slog.KindString:
		return maskText(m, v, v.String())
	case slog.KindGroup:
		if as, ok := maskAttrs(m, v.Group()); ok {
			return slog.GroupValue(as...), true
		}
		return v, false
	case slog.KindLogValuer:
		// Resolved once here, so the text masked is the text written.
		r := v.Resolve()
		if masked, ok := maskValue(m, r); ok {
			return masked, true
		}
		return r, true
	case slog.KindAny:
		return maskAny(m, v)
	}
	return v, false // numbers, booleans, times and durations hold no secret
}

// maskAny masks a value as the text a handler writes for it.
func maskAny(m *Masker, v slog.Value) (slog.Value, bool) {
	var s string
	switch x := v.Any().(type) {
	case error:
		s = x.Error()
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		if err != nil {
			return v, false
		}
		s = string(b)
	case json.Marshaler:
		b, err := x.MarshalJSON()
		if err != nil {
			return v, false
		}
		s = string(b)
	case fmt.Stringer:
		s = x.String()
	case []byte:
		s = string(x)
	default:
		s = fmt.Sprintf("%+v", x)
	}
	return maskText(m, v, s)
}

// maskText returns s masked as a string value, or v when s holds no
// secret.
func maskText(m *Masker, v slog.Value, s string) (slog.Value, bool) {
	if t := m.Secrets(s); t != s {
		return slog.StringValue(t), true
	}
	return v, false
}
