package configs

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/steward-os/steward/internal/strict"
)

// Load reads the configuration: path ("" for the embedded default), then
// the environment (environ as from os.Environ), then sets ("a.b=value").
func Load(path string, environ []string, sets []string) (*Config, error) {
	root, err := document(path)
	if err != nil {
		return nil, err
	}
	// Order: short forms, then full path names (which win over a short
	// form for the same key), then sets.
	overrides, unused := envOverrides(root, environ)
	for _, s := range sets {
		p, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("--set %q: want path=value", s)
		}
		overrides = append(overrides, [2]string{strings.TrimSpace(p), v})
	}
	doc := documentType()
	for _, o := range overrides {
		if err := setPath(root, doc, o[0], o[1]); err != nil {
			return nil, fmt.Errorf("override %s: %w", o[0], err)
		}
	}
	var c Config
	c.Channels = channelBlocks(root)
	if err := strict.DecodeValue(root, &c); err != nil {
		return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
	}
	if err := c.checkModules(); err != nil {
		return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
	}
	// A STEWARD_* variable that sets nothing is most likely misspelt;
	// variables named by token_env are credentials, not settings.
	for _, k := range unused {
		if !c.tokenEnv(k) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("environment variable %s does not name a setting; it was ignored", k))
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
	}
	return &c, nil
}

// document is the embedded default as a generic tree, with the file at
// path ("" for none) overlaid on it.
func document(path string) (map[string]any, error) {
	def, err := strict.Generic(Default)
	if err != nil {
		return nil, fmt.Errorf("embedded default: %w", err)
	}
	root := def.(map[string]any)
	if path == "" {
		return root, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	g, err := strict.Generic(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", nameOf(path), err)
	}
	file, ok := g.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("config %s: the document must be a mapping", nameOf(path))
	}
	overlay(root, file, "")
	return root, nil
}

// envOverrides returns the overrides the STEWARD_* variables of environ
// make, as (dotted path, value) pairs: first the short forms STEWARD_ADDR
// and STEWARD_DATA, then the full path names of every setting root can
// hold (EnvName), sorted by path, so a full name wins over a short form for
// the same key. unused are the STEWARD_* variables that name no setting,
// sorted.
func envOverrides(root map[string]any, environ []string) (overrides [][2]string, unused []string) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "STEWARD_") {
			env[k] = v
		}
	}
	for _, a := range [][2]string{{"STEWARD_ADDR", "server.addr"}, {"STEWARD_DATA", "data"}} {
		if v, ok := env[a[0]]; ok {
			overrides = append(overrides, [2]string{a[1], v})
			delete(env, a[0])
		}
	}
	paths := leafPaths(documentType(), root, "")
	sort.Strings(paths)
	for _, p := range paths {
		name := EnvName(p)
		if v, ok := env[name]; ok {
			overrides = append(overrides, [2]string{p, v})
			delete(env, name)
		}
	}
	unused = make([]string, 0, len(env))
	for k := range env {
		unused = append(unused, k)
	}
	sort.Strings(unused)
	return overrides, unused
}

// EnvName is the environment variable that overrides a dotted path.
func EnvName(path string) string {
	return "STEWARD_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(path))
}

// replaced are the keys a file replaces whole instead of merging into the
// default: a deployment's people, roles and extensions never mix with the
// demo's.
var replaced = map[string]bool{"tenants": true, "roles": true, "extensions": true}

// overlay writes src over dst: sections merge key by key (so a file need
// only name what it changes and keeps working as settings are added),
// except the replaced keys and every non-mapping value, which src replaces.
func overlay(dst, src map[string]any, prefix string) {
	for k, v := range src {
		sub, isMap := v.(map[string]any)
		cur, curMap := dst[k].(map[string]any)
		if isMap && curMap && !replaced[join(prefix, k)] {
			overlay(cur, sub, join(prefix, k))
			continue
		}
		dst[k] = v
	}
}

func nameOf(path string) string {
	if path == "" {
		return "(embedded default)"
	}
	return path
}

// leafPaths lists the dotted paths of every scalar value the type can hold,
// expanding maps by the keys present in the document.
func leafPaths(t reflect.Type, doc any, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Duration]() {
		return []string{prefix}
	}
	switch t.Kind() {
	case reflect.Struct:
		var out []string
		m, _ := doc.(map[string]any)
		for name, ft := range fieldsOf(t) {
			out = append(out, leafPaths(ft, m[name], join(prefix, name))...)
		}
		return out
	case reflect.Map:
		var out []string
		m, _ := doc.(map[string]any)
		for k, v := range m {
			out = append(out, leafPaths(t.Elem(), v, join(prefix, k))...)
		}
		return out
	default:
		return []string{prefix}
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// setPath writes a string value at a dotted path, converting it to the
// field's kind (lists are comma-separated).
func setPath(root map[string]any, t reflect.Type, path, value string) error {
	keys := strings.Split(path, ".")
	cur := root
	for i, k := range keys {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		var ft reflect.Type
		switch t.Kind() {
		case reflect.Struct:
			var found bool
			ft, found = fieldsOf(t)[k]
			if !found {
				return fmt.Errorf("unknown key %q", strings.Join(keys[:i+1], "."))
			}
		case reflect.Map:
			ft = t.Elem()
		default:
			return fmt.Errorf("%q is not a section", strings.Join(keys[:i], "."))
		}
		if i == len(keys)-1 {
			v, err := convert(ft, value)
			if err != nil {
				return err
			}
			cur[k] = v
			return nil
		}
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur, t = next, ft
	}
	return nil
}

func convert(t reflect.Type, s string) (any, error) {
	if t == reflect.TypeFor[Duration]() {
		if _, err := time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("want a duration such as 30s: %w", err)
		}
		return s, nil
	}
	switch t.Kind() {
	case reflect.String:
		return s, nil
	case reflect.Bool:
		return strconv.ParseBool(s)
	case reflect.Int, reflect.Int64:
		return strconv.ParseInt(s, 10, 64)
	case reflect.Float64:
		return strconv.ParseFloat(s, 64)
	case reflect.Slice:
		var out []any
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot set a %s from text", t.Kind())
}

// fieldsOf maps a struct's JSON keys to their types, the fields of an
// embedded struct without a name of its own included (as encoding/json
// flattens them).
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k, v := range fieldsOf(f.Type) {
				out[k] = v
			}
		case name != "" && name != "-" && f.IsExported():
			out[name] = f.Type
		}
	}
	return out
}
