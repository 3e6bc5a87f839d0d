// Package fuzzcheck holds the properties every fuzz target of the tree
// checks on a refusal: its code is a stable one (listed in
// docs/errors.md), and its message is plain text that carries no stack
// trace, no Go source position and no runtime detail.
//
// Contract. Test support only: imported from _test.go files, never from
// production code. Codes reads docs/errors.md once, from the source tree
// this file is in (it fails the test when the page cannot be read);
// Refusal and Plain report through the testing.TB they are given and
// never panic. A marker that the input itself holds is not held against
// the message, which may quote the input back.
package fuzzcheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	once  sync.Once
	codes map[string]bool
	err   error
)

// codeRow is a row of a code table in docs/errors.md: "| `code` | …".
var codeRow = regexp.MustCompile("^\\| `([a-z][a-z0-9_]*)` \\|")

// Codes returns the stable codes docs/errors.md lists (every table whose
// rows start with a code in backquotes).
func Codes(t testing.TB) map[string]bool {
	t.Helper()
	once.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			err = os.ErrNotExist
			return
		}
		var f *os.File
		f, err = os.Open(filepath.Join(filepath.Dir(file), "..", "..", "docs", "errors.md"))
		if err != nil {
			return
		}
		defer f.Close()
		codes = map[string]bool{}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			if m := codeRow.FindStringSubmatch(sc.Text()); m != nil {
				codes[m[1]] = true
			}
		}
		err = sc.Err()
	})
	if err != nil || len(codes) == 0 {
		t.Fatalf("fuzzcheck: reading docs/errors.md: %v (%d codes)", err, len(codes))
	}
	return codes
}

// internals are what a message must not hold: signs of a stack trace, a
// Go source position, a panic or a Go value's default formatting.
var internals = []string{"goroutine ", "[running]", "panic(", "panic:", ".go:", "runtime.", "runtime/", "0xc0", "<nil>", "%!"}

// Refusal fails the test unless code is a stable code and msg a plain,
// non-empty message (Plain); input is what was fed to the parser.
func Refusal(t testing.TB, code, msg string, input []byte) {
	t.Helper()
	if !Codes(t)[code] {
		t.Fatalf("refusal code %q is not a stable code of docs/errors.md (message %q)", code, msg)
	}
	if strings.TrimSpace(msg) == "" {
		t.Fatalf("refusal %s without a message", code)
	}
	Plain(t, msg, input)
}

// Plain fails the test when text holds a marker of internals that input
// does not hold itself.
func Plain(t testing.TB, text string, input []byte) {
	t.Helper()
	for _, m := range internals {
		if strings.Contains(text, m) && !bytes.Contains(input, []byte(m)) {
			t.Fatalf("internals (%q) in %q", m, text)
		}
	}
}

// Post sends body to url with the headers h and returns the status and
// the answer's body.
func Post(t testing.TB, url string, h http.Header, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// Answer checks a gateway's HTTP answer to input: a status of allowed,
// and any status but 2xx the refusal form {"error":{"code","message"}}
// with a stable code and a plain message (Refusal). It returns the
// refusal's code ("" for a 2xx answer).
func Answer(t testing.TB, status int, body []byte, input []byte, allowed ...int) string {
	t.Helper()
	ok := false
	for _, s := range allowed {
		ok = ok || s == status
	}
	if !ok {
		t.Fatalf("status %d (want one of %v) for %q: %s", status, allowed, input, body)
	}
	if status >= 200 && status < 300 {
		Plain(t, string(body), input)
		return ""
	}
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("status %d with a body that is not the refusal form: %q", status, body)
	}
	Refusal(t, env.Error.Code, env.Error.Message, input)
	return env.Error.Code
}
