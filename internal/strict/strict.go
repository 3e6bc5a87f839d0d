// Package strict decodes YAML or JSON documents into Go structs strictly:
// every key must name a field (matched by its json tag), and each problem is
// reported with the path of the offending value ("tools[2].safety_lvl").
//
// Contract. Decode either fills v completely or returns a *Error listing
// every unknown key and the first type mismatch; it never ignores input
// silently. It performs no I/O.
package strict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one decoding problem.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// Error lists every problem found.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Path + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// MaxDocument bounds the size of a document Decode accepts.
const MaxDocument = 4 << 20

// Generic parses YAML or JSON into maps, slices and scalars (map keys as strings).
func Generic(data []byte) (any, error) {
	if len(data) > MaxDocument {
		return nil, &Error{Problems: []Problem{{Path: "$", Message: fmt.Sprintf("document larger than %d bytes", MaxDocument)}}}
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, &Error{Problems: []Problem{{Path: "$", Message: "not valid YAML or JSON: " + err.Error()}}}
	}
	if node.Kind == 0 {
		return map[string]any{}, nil
	}
	var out any
	if err := node.Decode(&out); err != nil {
		return nil, &Error{Problems: []Problem{{Path: "$", Message: err.Error()}}}
	}
	return normalise(out), nil
}

func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalise(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalise(e)
		}
		return x
	default:
		return v
	}
}

// Decode parses data (YAML or JSON) into v, a pointer to a struct.
func Decode(data []byte, v any) error {
	g, err := Generic(data)
	if err != nil {
		return err
	}
	return DecodeValue(g, v)
}

// DecodeValue decodes an already parsed generic value into v.
func DecodeValue(g any, v any) error {
	var probs []Problem
	Check(g, reflect.TypeOf(v), "", &probs)
	if len(probs) > 0 {
		return &Error{Problems: probs}
	}
	raw, err := json.Marshal(g)
	if err != nil {
		return &Error{Problems: []Problem{{Path: "$", Message: err.Error()}}}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			path := te.Field
			if path == "" {
				path = "$"
			}
			return &Error{Problems: []Problem{{Path: path, Message: fmt.Sprintf("expected %s, got %s", kindName(te.Type), te.Value)}}}
		}
		return &Error{Problems: []Problem{{Path: "$", Message: err.Error()}}}
	}
	return nil
}

// kindName names what a value of t is written as, in a document's terms
// (never a Go type's name).
func kindName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

// Check appends a problem for every key in g that names no field of t.
// Fields of type json.RawMessage (or any) accept anything.
func Check(g any, t reflect.Type, path string, probs *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() || t.Kind() == reflect.Interface {
		return
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := g.(map[string]any)
		if !ok {
			return // type mismatch: reported by the JSON pass
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				*probs = append(*probs, Problem{Path: join(path, k), Message: "unknown key"})
				continue
			}
			Check(m[k], ft, join(path, k), probs)
		}
	case reflect.Map:
		m, ok := g.(map[string]any)
		if !ok {
			return
		}
		for k, e := range m {
			Check(e, t.Elem(), join(path, k), probs)
		}
	case reflect.Slice, reflect.Array:
		s, ok := g.([]any)
		if !ok {
			return
		}
		for i, e := range s {
			Check(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", probs)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
