package redact_test

import (
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/internal/redact"
)

// ISO-05 AF-10: secrets removed, PII replaced by stable placeholders.
func TestMask(t *testing.T) {
	m := redact.New("hunter2-long-secret")
	cases := []struct{ in, gone, has string }{
		{"mail jane.doe@example.com now", "jane.doe@example.com", "<email:"},
		{"call +1 (555) 010-9999", "010-9999", "<phone:"},
		{"key sk-abcdefghijklmnopqrstuv", "sk-abcdefghijklmnopqrstuv", "[secret]"},
		{"Authorization: Bearer abc.def.ghi", "abc.def.ghi", "[secret]"},
		{"slack xoxb-1234567890-abcdef", "xoxb-1234567890-abcdef", "[secret]"},
		{"pw hunter2-long-secret!", "hunter2-long-secret", "[secret]"},
	}
	for _, c := range cases {
		got := m.String(c.in)
		if strings.Contains(got, c.gone) || !strings.Contains(got, c.has) {
			t.Errorf("%q → %q", c.in, got)
		}
	}
	// Dates, sizes and ids are left alone.
	for _, keep := range []string{"due 2026-12-01", "size 1240 MB", "web-1", "T-3", "203.0.113.10",
		"6196415212c55bcdb8fc32e67790ddc333febd90ecafe0438cbc135544fdac97", "2026-11-23T16:18:38.977501316Z"} {
		if got := m.String(keep); got != keep {
			t.Errorf("%q → %q", keep, got)
		}
	}
	// Same email, same placeholder (records stay correlatable).
	if m.String("a@b.test") != m.String("A@B.test") {
		t.Error("placeholders differ by case")
	}
	out := string(m.JSON([]byte(`{"to":"x@y.test","n":12345678901234567890,"list":["hunter2-long-secret"]}`)))
	if strings.Contains(out, "x@y.test") || strings.Contains(out, "hunter2") || !strings.Contains(out, "12345678901234567890") {
		t.Errorf("JSON: %s", out)
	}
}
