package main

import (
	"strings"
	"testing"
)

// Issue 14: classify from standard input says once that classifications
// count against the turn quota, instead of failing line after line
// silently.
func TestClassifyStdinSaysQuotaOnce(t *testing.T) {
	data := t.TempDir()
	in := strings.Repeat("list my servers\n", 6)
	out, errOut, code := runCmd(t, in, "classify", "--data", data, "--as", "acme/bob", "--set", "tenants.acme.turns_per_minute=2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 6 {
		t.Fatalf("exit %d, %d lines:\n%s\n%s", code, len(lines), out, errOut)
	}
	if !strings.Contains(lines[0], `"intent":"read"`) || !strings.Contains(lines[5], "rate_limited") {
		t.Fatalf("lines:\n%s", out)
	}
	if n := strings.Count(errOut, "counts as a turn against the actor's turn quota"); n != 1 {
		t.Fatalf("quota notice said %d times:\n%s", n, errOut)
	}
}
