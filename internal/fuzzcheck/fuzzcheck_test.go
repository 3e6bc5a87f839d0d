package fuzzcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9_]*)\(f \*testing\.F\)`)
var makeEntry = regexp.MustCompile(`(\./[A-Za-z0-9_./-]+):(Fuzz[A-Za-z0-9_]*)`)

// Every Fuzz function of the tree is listed in the Makefile's
// FUZZ_TARGETS under its own package, and every entry there names one
// that exists, so `make fuzz` runs each parser's target and none is
// forgotten.
func TestMakefileListsEveryTarget(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range makeEntry.FindAllStringSubmatch(string(mk), -1) {
		listed[m[1]+":"+m[2]] = true
	}
	found := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		for _, m := range fuzzFunc.FindAllStringSubmatch(string(b), -1) {
			found["./"+filepath.ToSlash(rel)+":"+m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("no fuzz target found in the tree")
	}
	var missing, stale []string
	for k := range found {
		if !listed[k] {
			missing = append(missing, k)
		}
	}
	for k := range listed {
		if !found[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Fatalf("Makefile FUZZ_TARGETS: missing %v; naming no fuzz target %v", missing, stale)
	}
}

func TestCodesAndPlain(t *testing.T) {
	c := Codes(t)
	for _, want := range []string{"bad_request", "unknown_field", "auth_required", "internal"} {
		if !c[want] {
			t.Errorf("docs/errors.md code %q not read", want)
		}
	}
	ft := &fakeTB{TB: t}
	Plain(ft, "panic: boom\ngoroutine 1 [running]:\nmain.go:12", nil)
	if !ft.failed {
		t.Fatal("a stack trace passed as plain")
	}
	ft = &fakeTB{TB: t}
	Plain(ft, `Unknown field "a.go:1".`, []byte(`{"a.go:1":1}`))
	if ft.failed {
		t.Fatal("the input quoted back was held against the message")
	}
}

// fakeTB records a failure instead of failing the test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }
