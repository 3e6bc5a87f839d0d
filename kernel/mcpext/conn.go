package mcpext

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/sdk"
)

// conn is one server's connection, kept running: restarted with back-off
// when it stops, its tool list re-read when the server says it changed.
type conn struct {
	srv     *Server
	ov      *Overlay
	env     map[string]string
	headers map[string]string
	reg     Registry
	log     *slog.Logger

	ctx     context.Context // ends at close
	cancel  context.CancelFunc
	changed chan struct{} // a tools/list_changed arrived
	wg      sync.WaitGroup

	mu      sync.Mutex
	session *mcp.ClientSession // nil while the server is down
	info    *mcp.Implementation
	tools   []*mcp.Tool // the list the registered catalog was made from
	names   map[string]string
}

func newConn(s *Server, ov *Overlay, env, headers map[string]string, reg Registry, log *slog.Logger) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{srv: s, ov: ov, env: env, headers: headers, reg: reg, log: log, ctx: ctx, cancel: cancel, changed: make(chan struct{}, 1)}
}

func dflt(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// open connects and lists the tools, then keeps the connection running.
func (c *conn) open(ctx context.Context) error {
	cs, tools, err := c.connect(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.session, c.info, c.tools = cs, cs.InitializeResult().ServerInfo, tools
	c.mu.Unlock()
	c.wg.Add(1)
	go c.keep(cs)
	return nil
}

// connect starts (or reaches) the server, initialises and lists its tools.
func (c *conn) connect(ctx context.Context) (*mcp.ClientSession, []*mcp.Tool, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "steward", Version: "1"}, &mcp.ClientOptions{
		KeepAlive: dflt(c.srv.KeepAlive.D(), 15*time.Second),
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case c.changed <- struct{}{}:
			default:
			}
		},
	})
	ctx, cancel := context.WithTimeout(ctx, dflt(c.srv.ConnectTimeout.D(), 20*time.Second))
	defer cancel()
	cs, err := client.Connect(ctx, c.transport(), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	tools, err := list(ctx, cs)
	if err != nil {
		_ = cs.Close()
		return nil, nil, err
	}
	return cs, tools, nil
}

func list(ctx context.Context, cs *mcp.ClientSession) ([]*mcp.Tool, error) {
	var tools []*mcp.Tool
	for t, err := range cs.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("tools/list: %w", err)
		}
		tools = append(tools, t)
	}
	return tools, nil
}

// transport is a new transport to the server: a fresh process for a
// command, given only the environment its block names (plus PATH, HOME
// and LANG), or the HTTP endpoint with the block's headers.
func (c *conn) transport() mcp.Transport {
	if c.srv.Command != "" {
		cmd := exec.Command(c.srv.Command, c.srv.Args...)
		for _, k := range []string{"PATH", "HOME", "LANG"} {
			if v, ok := os.LookupEnv(k); ok {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
		}
		for k, v := range c.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stderr = &lineLog{log: c.log}
		return &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}
	}
	return &mcp.StreamableClientTransport{Endpoint: c.srv.URL, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: headerTransport{headers: c.headers, next: http.DefaultTransport}}}
}

// keep watches a session: when it ends (the server stopped) the tools are
// unavailable until a restart succeeds, tried with back-off; a tool list
// change is re-validated and replaces the catalog.
func (c *conn) keep(cs *mcp.ClientSession) {
	defer c.wg.Done()
	ended := make(chan struct{})
	go func() { _ = cs.Wait(); close(ended) }()
	for {
		select {
		case <-c.ctx.Done():
			_ = cs.Close()
			<-ended
			return
		case <-c.changed:
			c.refresh(cs)
		case <-ended:
			c.mu.Lock()
			c.session = nil
			c.mu.Unlock()
			c.log.Warn("the MCP server stopped; its tools are unavailable until it is restarted", "server", c.srv.name)
			if cs = c.restart(); cs == nil {
				return
			}
			ended = make(chan struct{})
			go func() { _ = cs.Wait(); close(ended) }()
		}
	}
}

// restart reconnects with back-off until it succeeds or the connection
// closes (nil).
func (c *conn) restart() *mcp.ClientSession {
	wait := dflt(c.srv.RestartMin.D(), time.Second)
	limit := dflt(c.srv.RestartMax.D(), time.Minute)
	for {
		select {
		case <-c.ctx.Done():
			return nil
		case <-time.After(wait):
		}
		cs, tools, err := c.connect(c.ctx)
		if err != nil {
			c.log.Warn("restarting the MCP server failed", "server", c.srv.name, "retry_in", (2 * wait).String(), "err", err)
			wait = min(2*wait, limit)
			continue
		}
		c.mu.Lock()
		c.session, c.info = cs, cs.InitializeResult().ServerInfo
		c.mu.Unlock()
		c.log.Info("the MCP server was restarted", "server", c.srv.name)
		c.apply(tools)
		return cs
	}
}

// refresh re-reads the tool list after the server said it changed.
func (c *conn) refresh(cs *mcp.ClientSession) {
	ctx, cancel := context.WithTimeout(c.ctx, dflt(c.srv.ConnectTimeout.D(), 20*time.Second))
	defer cancel()
	tools, err := list(ctx, cs)
	if err != nil {
		c.log.Warn("re-reading the MCP server's tools failed; the catalog is unchanged", "server", c.srv.name, "err", err)
		return
	}
	c.apply(tools)
}

// apply replaces the catalog with one made from tools, all or nothing: a
// list that fails the manifest rules keeps the registered catalog (the
// registry audits the refusal with its issues) and is logged.
func (c *conn) apply(tools []*mcp.Tool) {
	c.mu.Lock()
	same := reflect.DeepEqual(tools, c.tools)
	c.mu.Unlock()
	if same || c.reg == nil {
		return
	}
	ext, sy := c.build(tools)
	issues, err := c.reg.Replace(c.ctx, ext)
	if err != nil {
		c.log.Warn("the MCP server's new tool list was refused; the catalog is unchanged", "server", c.srv.name, "issues", fmt.Sprint(append(sy.notes, issues...)), "err", err)
		return
	}
	c.mu.Lock()
	c.tools, c.names = tools, sy.names
	c.mu.Unlock()
	c.log.Info("the MCP server's tool list changed; the catalog was replaced", "server", c.srv.name, "tools", len(tools))
}

// extension is the extension made from the current tool list.
func (c *conn) extension() sdk.Extension {
	c.mu.Lock()
	tools := c.tools
	c.mu.Unlock()
	ext, sy := c.build(tools)
	for _, n := range sy.notes {
		c.log.Warn("MCP overlay", "server", c.srv.name, "rule", n.Rule, "path", n.Path, "message", n.Message, "fix", n.Fix)
	}
	c.mu.Lock()
	c.names = sy.names
	c.mu.Unlock()
	return ext
}

// build synthesises the manifest and binds a handler to every tool.
func (c *conn) build(tools []*mcp.Tool) (sdk.Extension, synthesis) {
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	sy := synthesise(c.srv.name, info, tools, c.ov)
	raw, _ := json.Marshal(sy.m)
	ext := sdk.Extension{Manifest: raw}
	for _, t := range sy.m.Tools {
		ext.Handlers = append(ext.Handlers, &handler{c: c, name: t.Name, remote: sy.names[t.Name], params: t.Parameters, returns: t.Returns})
	}
	for _, t := range c.srv.Tenants {
		ext.Tenants = append(ext.Tenants, sdk.TenantID(t))
	}
	if len(c.ov.Context) > 0 {
		rs := c.ov.Context
		ext.Context = sdk.ContextFunc(func(context.Context, sdk.TenantID, sdk.State) ([]sdk.Resource, error) { return rs, nil })
	}
	return ext, sy
}

// current is the running session, or an unavailable error.
func (c *conn) current() (*mcp.ClientSession, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil, &sdk.Error{Code: "unavailable", Message: fmt.Sprintf("The %s tools are unavailable: their server stopped and is being restarted. Try again in a moment; nothing was run.", c.srv.name)}
	}
	return c.session, nil
}

// close ends the connection and its restarts, and waits for them.
func (c *conn) close() {
	c.cancel()
	c.wg.Wait()
	c.mu.Lock()
	cs := c.session
	c.session = nil
	c.mu.Unlock()
	if cs != nil {
		_ = cs.Close()
	}
}

// headerTransport adds the block's headers to every request.
type headerTransport struct {
	headers map[string]string
	next    http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

// lineLog logs a server's standard error, line by line (the logger masks
// secrets).
type lineLog struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.log.Debug("mcp server stderr", "line", string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 4096 {
		l.log.Debug("mcp server stderr", "line", string(l.buf))
		l.buf = nil
	}
	return len(p), nil
}
