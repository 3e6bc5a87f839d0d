package guard_test

import (
	"net/http"
	"testing"

	"github.com/steward-os/steward/channels/guard"
)

func TestHosts(t *testing.T) {
	h, err := guard.NewHosts([]string{"Chat.Example.com", "ops.example.com:8443", "192.0.2.7", "[2001:DB8::7]:443"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost:9": true, "127.0.0.1:8080": true, "127.255.0.9": true, "[::1]:80": true, "[::1]": true,
		"chat.example.com": true, "chat.example.com:80": true, "ops.example.com:8443": true, "192.0.2.7:1": true, "[2001:db8::7]:443": true,
		"ops.example.com": false, "ops.example.com:443": false, "[2001:db8::7]:80": false, "evil.example": false, "": false,
		"localhost.evil.example": false, "127.0.0.1.nip.io": false, "0.0.0.0": false, "10.0.0.1": false, "chat.example.com.": false,
	} {
		if got := h.Allowed(host); got != want {
			t.Errorf("Host %q: %v", host, got)
		}
	}
	for origin, want := range map[string]bool{
		"http://localhost:3000": true, "https://chat.example.com": true, "http://127.0.0.1:8080": true, "http://[::1]:8080": true,
		"https://ops.example.com:8443": true, "https://ops.example.com": false, "https://evil.example": false, "null": false,
		"ftp://chat.example.com": false, "chat.example.com": false,
	} {
		if got := h.Origin(origin); got != want {
			t.Errorf("origin %q: %v", origin, got)
		}
	}
	// Unchecked: any Host, but still only its own origins.
	open, _ := guard.NewHosts(nil, false)
	if !open.Allowed("evil.example") || open.Origin("http://evil.example") || !open.Origin("http://localhost:1") {
		t.Fatal("unchecked hosts")
	}
	for _, bad := range []string{"https://x.example", "x.example/p", "*.example.com", "x.example:0", "x.example:99999", "u@x.example", ""} {
		if _, err := guard.NewHosts([]string{bad}, true); err == nil {
			t.Errorf("entry %q accepted", bad)
		}
	}
}

// A client is its IP address; an IPv6 client is its /64, so that one
// host cannot spread its refusals over 2^64 addresses.
func TestClient(t *testing.T) {
	cases := [][2]string{
		{"192.0.2.7:5555", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"not an address", "not an address"},
	}
	var got []string
	for _, c := range cases {
		got = append(got, guard.Client(&http.Request{RemoteAddr: c[0]}))
	}
	for i, c := range cases {
		if got[i] != c[1] {
			t.Errorf("%s → %s, want %s", c[0], got[i], c[1])
		}
	}
}
