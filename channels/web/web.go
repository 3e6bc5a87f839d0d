// Package web is the browser channel: a chat page served at "/" (static
// assets embedded in the binary, nothing fetched from elsewhere) and a
// WebSocket endpoint at "/ws" that speaks the JSON protocol described in
// docs/web.md.
//
// Contract. A socket is accepted only from an allowed Origin (one of the
// gateway's own names, guard.Hosts, or the configured allow-list, never
// compared with the request's Host; an absent Origin only when
// configured). Its first frame must be {"type":"auth","token":…}; anything
// else, a bad token or no frame within the auth timeout closes it with
// code 4401 and a stable reason. Every frame is bounded (oversize → close
// 1009 "frame_too_large") and decoded strictly (unknown fields — names
// match exactly —, a name given twice, wrong types and trailing data are
// refused with an error frame and a stable
// code; repeated malformed frames close the socket with 4400). Every
// refusal is audited through Turns.Refuse. Messages and decisions carry a
// client-chosen id that becomes session.Inbound.ID, so a frame re-sent
// after a reconnect gets the kernel's stored outcome back and nothing runs
// twice. A turn, once received, runs to completion even if the socket
// drops. Each connection has exactly one writer goroutine fed by a bounded
// queue, and a ping/pong keepalive. The channel never shows a stack trace
// and imports no kernel internals.
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// Name of the channel in addresses and audit records.
const Name session.ChannelID = "web"

// Options configure the web channel. Zero values take the defaults.
type Options struct {
	// AllowedOrigins are origins ("https://chat.example.com", scheme and
	// host[:port], no path) allowed to open a socket besides those of
	// Hosts.
	AllowedOrigins []string
	// Hosts are the gateway's own names: their pages may open a socket
	// (default: loopback names only).
	Hosts *guard.Hosts
	// AllowMissingOrigin accepts sockets without an Origin header
	// (non-browser clients). Off by default.
	AllowMissingOrigin bool
	// MaxFrameBytes bounds one inbound frame (default 64 KiB).
	MaxFrameBytes int64
	// AuthTimeout is how long a new socket may take to authenticate
	// (default 10 s).
	AuthTimeout time.Duration
	// PingInterval is how often the server pings (default 25 s); a socket
	// silent for 2.5 intervals is closed.
	PingInterval time.Duration
	// WriteTimeout bounds one write (default 10 s).
	WriteTimeout time.Duration
	// MaxInFlight bounds the turns one socket runs at once (default 4);
	// further frames wait.
	MaxInFlight int
	// MaxMalformed is how many refused frames a socket may send before it
	// is closed with 4400 (default 5).
	MaxMalformed int
	// EventWait is the long-poll wait for session events (default 25 s).
	EventWait time.Duration
	Log       *slog.Logger
	// Now is the clock reported to the page as server_time (default
	// time.Now); the page uses it to correct countdowns for clock skew.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 64 << 10
	}
	if o.AuthTimeout <= 0 {
		o.AuthTimeout = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 4
	}
	if o.MaxMalformed <= 0 {
		o.MaxMalformed = 5
	}
	if o.EventWait <= 0 {
		o.EventWait = 25 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Hosts == nil {
		o.Hosts = &guard.Hosts{}
	}
}

//go:embed static
var static embed.FS

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Web serves the chat page and its socket. Create it with New.
type Web struct {
	core    channels.Core
	dir     session.Directory
	opt     Options
	origins map[string]bool
	assets  map[string]asset
	up      websocket.Upgrader

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	turns   sync.WaitGroup // turns still running, with or without a socket
	socks   sync.WaitGroup // sockets being served
}

// New returns the web channel.
func New(core channels.Core, dir session.Directory, opt Options) *Web {
	opt.defaults()
	w := &Web{core: core, dir: dir, opt: opt, origins: map[string]bool{}, assets: map[string]asset{}, conns: map[*conn]struct{}{}}
	for _, o := range opt.AllowedOrigins {
		if n, ok := NormalizeOrigin(o); ok {
			w.origins[n] = true
		}
	}
	w.up = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// Sized to the protocol: frames are small JSON, so a 1 KiB read
		// buffer (larger frames are read through it), and a write buffer
		// taken from a pool only while a frame is written; an idle socket
		// holds neither the HTTP server's 4 KiB buffers nor its own.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: writeBuffers,
		// The Origin is checked (and refusals audited) before Upgrade.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	sub, _ := fs.Sub(static, "static")
	_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		w.assets[p] = asset{body: b, ctype: contentType(p), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	return w
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

// Name of the channel.
func (w *Web) Name() session.ChannelID { return Name }

// Capabilities of the web page: buttons, and cards that update in place
// when decided (CHAN-03: the same gate, in the channel's own form).
func (w *Web) Capabilities() channels.Capabilities {
	return channels.Capabilities{Buttons: true, Edits: true, MaxText: session.MaxTextLen}
}

// Run serves until ctx ends (the HTTP server owns the listener), then
// closes every socket and returns nil.
func (w *Web) Run(ctx context.Context) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = w.Shutdown(sctx)
	return nil
}

// Shutdown refuses new sockets, closes the open ones with 1001 ("going
// away"; the page reconnects to the next instance), and waits until their
// running turns have finished or ctx ends. http.Server.Shutdown does not
// do this: it neither closes nor waits for hijacked connections.
func (w *Web) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	w.closing = true
	cs := make([]*conn, 0, len(w.conns))
	for c := range w.conns {
		cs = append(cs, c)
	}
	w.mu.Unlock()
	for _, c := range cs {
		c.closeWith(websocket.CloseGoingAway, "going_away")
	}
	done := make(chan struct{})
	go func() {
		w.socks.Wait()
		w.turns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP implements http.Handler: "/" is the page, "/assets/…" its
// files, "/ws" the socket; anything else is 404.
func (w *Web) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/ws":
		w.serveSocket(rw, r)
		return
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		w.serveAsset(rw, r, "index.html")
		return
	case strings.HasPrefix(r.URL.Path, "/assets/"):
		name := strings.TrimPrefix(r.URL.Path, "/assets/")
		if name != "index.html" {
			if _, ok := w.assets[name]; ok {
				w.serveAsset(rw, r, name)
				return
			}
		}
	}
	httpjson.Error(rw, http.StatusNotFound, session.CodeNotFound, "No such page.")
}

// The page's policy: nothing but its own files and its own socket.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (w *Web) serveAsset(rw http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rw.Header().Set("Allow", "GET, HEAD")
		httpjson.Error(rw, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, r.Method+" is not allowed here; use GET.")
		return
	}
	a := w.assets[name]
	h := rw.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	if name == "index.html" {
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == a.etag {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	rw.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = rw.Write(a.body)
	}
}

// NormalizeOrigin lower-cases an origin and checks that it is
// scheme://host[:port] with an http(s) scheme and nothing else.
func NormalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// originAllowed applies the allow-list: the origins of the gateway's own
// names, the configured origins, and an absent Origin only when
// configured. The request's Host is never compared: a page on a name
// that resolves to the gateway (DNS rebinding) sends that name as both.
func (w *Web) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return w.opt.AllowMissingOrigin
	}
	n, ok := NormalizeOrigin(o)
	if !ok {
		return false
	}
	return w.origins[n] || w.opt.Hosts.Origin(n)
}

func (w *Web) serveSocket(rw http.ResponseWriter, r *http.Request) {
	from := guard.Client(r)
	if !websocket.IsWebSocketUpgrade(r) {
		w.refuse(r.Context(), nil, from, session.CodeBadRequest, "GET /ws without a WebSocket upgrade")
		httpjson.Error(rw, http.StatusBadRequest, session.CodeBadRequest, "This endpoint speaks WebSocket only.")
		return
	}
	if !w.originAllowed(r) {
		w.refuse(r.Context(), nil, from, CodeOriginNotAllowed, "socket from origin "+clip(r.Header.Get("Origin"), 120))
		httpjson.Error(rw, http.StatusForbidden, CodeOriginNotAllowed, "This origin may not open a socket here.")
		return
	}
	w.mu.Lock()
	closing := w.closing
	if !closing {
		w.socks.Add(1)
	}
	w.mu.Unlock()
	if closing {
		httpjson.Error(rw, http.StatusServiceUnavailable, session.CodeUnavailable, "The server is shutting down; try again shortly.")
		return
	}
	defer w.socks.Done()
	ws, err := w.up.Upgrade(rw, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := newConn(w, ws, r)
	w.mu.Lock()
	w.conns[c] = struct{}{}
	closing = w.closing // Shutdown began after the check above
	w.mu.Unlock()
	if closing {
		c.closeWith(websocket.CloseGoingAway, "going_away")
	}
	// The socket is served on its own goroutine and the HTTP handler
	// returns, so an idle connection holds one goroutine, not two.
	go func() {
		c.serve()
		w.mu.Lock()
		delete(w.conns, c)
		w.mu.Unlock()
	}()
}

func (w *Web) refuse(ctx context.Context, a *session.Actor, from, code, detail string) {
	w.core.Turns.Refuse(context.WithoutCancel(ctx), session.Refusal{Actor: a, Channel: Name, From: from, Code: code, Detail: detail})
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
