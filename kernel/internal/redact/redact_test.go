package redact_test

import (
	"net/url"
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

// ISO-05: a configured secret is removed as it is and URL-escaped (a
// client library's error shows the request URL); every token shape is
// still found behind the cheap pre-check, and look-alikes are left alone.
func TestSecretsForms(t *testing.T) {
	const odd = "p@ss/w0rd+x y"
	m := redact.New(odd)
	for _, in := range []string{
		"Post \"https://h.test/bot" + url.PathEscape(odd) + "/getMe\": refused",
		"GET /x?token=" + url.QueryEscape(odd) + " failed",
		"raw " + odd,
	} {
		if got := m.Secrets(in); !strings.Contains(got, "[secret]") || strings.Contains(got, "w0rd") {
			t.Errorf("%q → %q", in, got)
		}
	}
	shapes := []string{
		"Post \"https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe\"",
		"token ghp_abcdefghijklmnopqrstuvwxyz0123",
		"key AKIAABCDEFGHIJKLMNOP here",
		"xapp-1-A0123456789-abcdef",
		"AUTHORIZATION: BEARER abc.def",
	}
	for _, in := range shapes {
		if got := m.Secrets(in); !strings.Contains(got, "[secret]") {
			t.Errorf("shape kept: %q → %q", in, got)
		}
	}
	if got := m.Secrets(shapes[0]); !strings.Contains(got, "/bot[secret]/getMe") {
		t.Errorf("the path around a token is kept: %q", got)
	}
	for _, keep := range []string{
		"dial tcp 127.0.0.1:8080: connect: connection refused at 08:46:42",
		"though the high ghost laughed",
		"order 12345:abc is due",
	} {
		if got := m.Secrets(keep); got != keep {
			t.Errorf("%q → %q", keep, got)
		}
	}
}
