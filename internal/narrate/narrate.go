// Package narrate renders replies from verbatim facts: a manifest's
// text/template over a tool's output, or, without a usable template, a
// plain listing of the output's fields.
//
// Contract. Both forms print only values found in the data they are
// given; a template that prints a missing value ("<no value>") fails
// rather than saying something the data does not. Pure functions, no I/O.
// The kernel renders every proposal summary and reply with it, and
// sdk/sdktest renders extension authors' test templates with it, so a test
// sees exactly what a user would.
package narrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template"
)

// Render executes a manifest template over verbatim data. Missing keys are
// tolerated only where the template tests for them ({{if .x}}); a value
// printed from nowhere makes the render fail, and the caller falls back to
// Listing.
func Render(tpl string, data any) (string, error) {
	t, err := parsed(tpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	if strings.Contains(b.String(), "<no value>") {
		return "", errors.New("template printed a missing value")
	}
	return b.String(), nil
}

// cache holds parsed templates: manifests are few and fixed, so the cache
// stays small; parsing on every call cost more than executing.
var cache sync.Map // string → *template.Template

func parsed(tpl string) (*template.Template, error) {
	if t, ok := cache.Load(tpl); ok {
		return t.(*template.Template), nil
	}
	t, err := template.New("n").Option("missingkey=default").Parse(tpl)
	if err != nil {
		return nil, err
	}
	cache.Store(tpl, t)
	return t, nil
}

// Listing lists a tool's output field by field ("tool returned: …").
func Listing(tool string, data any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s returned:", tool)
	WriteValue(&b, data, "\n- ")
	return b.String()
}

// WriteValue writes a JSON-like value as indented lines, keys sorted.
func WriteValue(b *strings.Builder, v any, prefix string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if arr, ok := x[k].([]any); ok {
				fmt.Fprintf(b, "%s%s (%d):", prefix, k, len(arr))
				WriteValue(b, arr, prefix+"  ")
				continue
			}
			enc, _ := json.Marshal(x[k])
			fmt.Fprintf(b, "%s%s: %s", prefix, k, enc)
		}
	case []any:
		for _, e := range x {
			enc, _ := json.Marshal(e)
			fmt.Fprintf(b, "%s%s", prefix, enc)
		}
	default:
		enc, _ := json.Marshal(x)
		fmt.Fprintf(b, "%s%s", prefix, enc)
	}
}
