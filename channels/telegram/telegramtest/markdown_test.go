package telegramtest

import "testing"

func TestPlainText(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`hello`, "hello", true},
		{`a\.b\!`, "a.b!", true},
		{`*bold* _it_ __u__ ~s~ ||sp||`, "bold it u s sp", true},
		{"`a.b` ```x*y```", "a.b x*y", true},
		{`[site](http://x.y/a\)b)`, "site", true},
		{`\\ and \_`, `\ and _`, true},
		{`a.b`, "", false},   // reserved, unescaped
		{`(x)`, "", false},   // reserved, unescaped
		{`*open`, "", false}, // never closed
		{`end\`, "", false},  // trailing backslash
		{"`open", "", false},
		{`*a _b* c_`, "", false}, // overlapping
	}
	for _, c := range cases {
		got, err := PlainText(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("PlainText(%q) = %q, %v", c.in, got, err)
		}
	}
}
