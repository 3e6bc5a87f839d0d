// Package guard is the gateway's front door for requests from the
// network: which Host names it answers to, how many refusals one client
// address may cause before its requests are turned away unread, and how
// refusals reach the audit trail without growing it without bound.
//
// Contract. Wrap answers, before the request reaches the API, the web
// page or a webhook (and so before any token is read): 429 rate_limited
// with Retry-After while the client's refusal allowance is spent, and 421
// host_not_allowed when Hosts are checked and the Host header is not one
// of them (health probes pass both). Every refusal a channel reports
// through Turns, and each of the door's own, spends one of the client's
// allowance (Burst, refilled at PerMinute) and is recorded through the
// Refuser: the first of a requester's refusals in a Window at once, the
// rest as one summary per requester and window, written when the window
// ends (Run), when room is needed, and at Flush. Memory is bounded: at
// most MaxClients allowances and MaxClients open windows are kept, the
// least recent forgotten (an allowance) or summarised early (a window)
// first. A client is its IP address; an IPv6 client is its /64.
package guard

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// CodeHostNotAllowed is session.CodeHostNotAllowed, the door's refusal of
// a Host it does not answer to.
const CodeHostNotAllowed = session.CodeHostNotAllowed

// Options configure a Guard. Zero values take the defaults.
type Options struct {
	// Hosts are the names the gateway answers to (nil: loopback names
	// only, and any Host accepted).
	Hosts *Hosts
	// Burst is how many refusals a client may cause before its requests
	// are answered 429 (default 20; negative: never). PerMinute is how
	// fast the allowance refills (default 60).
	Burst     int
	PerMinute float64
	// Window gathers a requester's refusals into one summary record
	// (default 1 minute).
	Window time.Duration
	// MaxClients bounds the clients remembered (default 10000).
	MaxClients int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Burst == 0 {
		o.Burst = 20
	}
	if o.PerMinute <= 0 {
		o.PerMinute = 60
	}
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.MaxClients <= 0 {
		o.MaxClients = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Hosts == nil {
		o.Hosts = &Hosts{}
	}
}

// Guard is the front door. Create it with New.
type Guard struct {
	opt    Options
	limits *limiter
	sum    *summaries
}

// New returns a guard that records refusals through next.
func New(next Refuser, opt Options) *Guard {
	opt.defaults()
	return &Guard{opt: opt, limits: newLimiter(opt.PerMinute, opt.Burst, opt.MaxClients),
		sum: newSummaries(next, opt.Window, opt.MaxClients, opt.Now)}
}

// Hosts are the names the gateway answers to.
func (g *Guard) Hosts() *Hosts { return g.opt.Hosts }

// Client is the address a request comes from, as the guard counts it:
// the peer's IP address, or the /64 of an IPv6 one.
func Client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Refuse records a refusal and spends one of its client's allowance.
func (g *Guard) Refuse(ctx context.Context, r session.Refusal) {
	if r.From != "" && r.Codes == nil {
		g.limits.charge(r.From, g.opt.Now())
	}
	g.sum.refuse(ctx, r)
}

// Turns is t with its refusals going through the guard.
func (g *Guard) Turns(t channels.Turns) channels.Turns { return guarded{Turns: t, g: g} }

type guarded struct {
	channels.Turns
	g *Guard
}

func (t guarded) Refuse(ctx context.Context, r session.Refusal) { t.g.Refuse(ctx, r) }

// Door says which channel a request to the gateway is for, and whether
// it is a health probe (which the door lets through whatever it holds).
type Door func(r *http.Request) (channel session.ChannelID, probe bool)

// Wrap is next behind the door.
func (g *Guard) Wrap(next http.Handler, door Door) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		channel, probe := door(r)
		if probe {
			next.ServeHTTP(w, r)
			return
		}
		from := Client(r)
		if wait := g.limits.wait(from, g.opt.Now()); wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			g.Refuse(r.Context(), session.Refusal{Channel: channel, From: from, Code: session.CodeRateLimited, Detail: r.Method + " " + clip(r.URL.Path, 120)})
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			httpjson.Error(w, http.StatusTooManyRequests, session.CodeRateLimited,
				fmt.Sprintf("Too many refused requests came from your address; try again in %d s.", secs))
			return
		}
		if !g.opt.Hosts.Allowed(r.Host) {
			g.Refuse(r.Context(), session.Refusal{Channel: channel, From: from, Code: CodeHostNotAllowed, Detail: "Host " + clip(r.Host, 120)})
			httpjson.Error(w, http.StatusMisdirectedRequest, CodeHostNotAllowed, "This server does not answer to that host name; use its own address.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Run writes the summaries of ended windows until ctx ends.
func (g *Guard) Run(ctx context.Context) {
	t := time.NewTicker(min(max(g.opt.Window/4, time.Second), 15*time.Second))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			g.sum.sweep(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// Sweep writes the summaries of the windows that have ended.
func (g *Guard) Sweep(ctx context.Context) { g.sum.sweep(ctx) }

// Flush ends every open window and writes its summary (at shutdown).
func (g *Guard) Flush(ctx context.Context) { g.sum.flush(ctx) }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
