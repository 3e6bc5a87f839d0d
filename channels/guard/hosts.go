package guard

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Hosts is the set of names the gateway answers to: loopback names and
// addresses (localhost, 127.0.0.0/8, ::1) on any port, and the entries
// of server.allowed_hosts. It says which Host headers are accepted and
// which origins' pages may open the web page's socket. Create it with
// NewHosts; the zero value holds the loopback names only and accepts any
// Host.
type Hosts struct {
	check bool
	rules []hostRule
}

// hostRule is one entry: a lower-case name or canonical address, and the
// port it is limited to ("" for any).
type hostRule struct{ host, port string }

// NewHosts builds the set from entries ("chat.example.com",
// "chat.example.com:8443", "192.0.2.7", "[2001:db8::7]:443"). With check
// set, Allowed refuses every Host not in the set; without, it accepts any.
func NewHosts(entries []string, check bool) (*Hosts, error) {
	h := &Hosts{check: check}
	for _, e := range entries {
		r, err := parseEntry(e)
		if err != nil {
			return nil, err
		}
		h.rules = append(h.rules, r)
	}
	return h, nil
}

// parseEntry reads one allowed_hosts entry.
func parseEntry(e string) (hostRule, error) {
	host, port := split(e)
	if host == "" || strings.ContainsAny(host, "/@?#*[] ") || strings.Contains(e, "://") {
		return hostRule{}, fmt.Errorf("allowed host %q: want a name or an address, optionally with :port", e)
	}
	if n, err := strconv.Atoi(port); port != "" && (err != nil || n < 1 || n > 65535) {
		return hostRule{}, fmt.Errorf("allowed host %q: the port must be 1–65535", e)
	}
	return hostRule{host: host, port: port}, nil
}

// split separates a Host header's (or an origin's) name and port, lower
// case, an address in its canonical form and without brackets.
func split(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = strings.ToLower(host)
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.String()
	}
	return host, port
}

// Checked reports whether Allowed refuses Hosts outside the set.
func (h *Hosts) Checked() bool { return h != nil && h.check }

// Allowed reports whether a request with this Host header is answered.
func (h *Hosts) Allowed(hostHeader string) bool {
	return !h.Checked() || h.has(split(hostHeader))
}

// Origin reports whether a page of this origin (scheme://host[:port],
// http or https) is one of the set's own, whether or not Hosts are
// checked: the socket never trusts an origin for matching the request's
// own Host.
func (h *Hosts) Origin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return h.has(split(u.Host))
}

func (h *Hosts) has(host, port string) bool {
	if host == "localhost" {
		return true
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Unmap().IsLoopback() {
		return true
	}
	if h == nil {
		return false
	}
	for _, r := range h.rules {
		if r.host == host && (r.port == "" || r.port == port) {
			return true
		}
	}
	return false
}

// HostSource is a module host that knows the gateway's Hosts (serve's
// does); a channel that checks origins finds it by type assertion.
type HostSource interface {
	Hosts() *Hosts
}
