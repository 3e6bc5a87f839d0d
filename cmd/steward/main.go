// Command steward runs the Steward gateway and its tools.
//
//	steward serve     [--config FILE] [--addr HOST:PORT] [--data DIR] [--set path=value]…
//	steward chat      [--as USER] [common flags]
//	steward classify  [--as USER] [TEXT…]     (reads one request per line from stdin without TEXT)
//	steward mcp       [common flags]          (MCP over stdio for the actor of STEWARD_TOKEN)
//	steward validate  PATH…
//	steward tools     [EXTENSION…]            (the effective manifests, as JSON)
//	steward audit verify [--data DIR]
//	steward bench     [--embedded | --addr HOST:PORT] [--baseline] [--idle N] [--startup N] [--json]…
//	steward conformance [--addr HOST:PORT [--metrics HOST:PORT]] [--json]
//	steward version
//
// This package only wires configuration to components; behaviour lives in
// the packages it calls.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/mcpserver"
	"github.com/steward-os/steward/channels/terminal"
	"github.com/steward-os/steward/cmd/steward/internal/bench"
	"github.com/steward-os/steward/cmd/steward/internal/conformance"
	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/session"
)

const usage = `steward — the AI Cloud OS kernel

Usage:
  steward serve     [--config FILE] [--addr HOST:PORT] [--data DIR] [--store redis://HOST:PORT] [--set path=value]...
  steward chat      [--as USER] [--config FILE] [--data DIR]
  steward classify  [--as USER] [--config FILE] [--data DIR] [TEXT...]
  steward mcp       [--config FILE] [--data DIR]   (MCP over stdio; STEWARD_TOKEN names the actor)
  steward validate  PATH...
  steward tools     [--config FILE] [EXTENSION...]
  steward audit verify [--config FILE] [--data DIR] [--store redis://HOST:PORT]
  steward conformance [--addr HOST:PORT [--metrics HOST:PORT]] [--json]
  steward bench     [--embedded | --addr HOST:PORT] [--concurrency N] [--duration D] [--turns N]
                    [--mix default|read|write] [--baseline] [--idle N] [--startup N] [--json]...
  steward demo incident [--as USER] [--minutes N] [--clear] SERVER cpu|memory|disk
  steward version
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type common struct {
	config, addr, data, as string
	store                  string
	sets                   multi
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func flags(name string, c *common, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.config, "config", "", "configuration file (default: the embedded default)")
	fs.StringVar(&c.addr, "addr", "", "listen address HOST:PORT (overrides server.addr)")
	fs.StringVar(&c.data, "data", "", "data directory (overrides data)")
	fs.StringVar(&c.store, "store", "", "shared store redis://HOST:PORT[/DB] (overrides store.url)")
	fs.Var(&c.sets, "set", "override any value: path=value (repeatable)")
	if name == "chat" || name == "classify" {
		fs.StringVar(&c.as, "as", "", "act as USER or TENANT/USER (default: the first admin)")
	}
	return fs
}

func (c *common) load() (*configs.Config, error) {
	sets := append([]string(nil), c.sets...)
	if c.addr != "" {
		sets = append(sets, "server.addr="+c.addr)
	}
	if c.data != "" {
		sets = append(sets, "data="+c.data)
	}
	if c.store != "" {
		sets = append(sets, "store.url="+c.store)
	}
	return configs.Load(c.config, os.Environ(), sets)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	// Every secret this run learns (users' tokens, each credential a
	// module resolves) joins m; its log and every error it prints pass
	// through m.
	m := kernel.NewMasker()
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, m, rest, stderr)
	case "chat":
		err = chat(ctx, m, rest, stdin, stdout, stderr)
	case "classify":
		err = classify(ctx, m, rest, stdin, stdout, stderr)
	case "mcp":
		err = mcpCmd(ctx, m, rest, stdin, stdout, stderr)
	case "validate":
		return validate(m, rest, stdout, stderr)
	case "tools":
		err = tools(ctx, m, rest, stdout, stderr)
	case "audit":
		return auditCmd(ctx, m, rest, stdout, stderr)
	case "conformance": // cmd/steward/internal/conformance, against the in-process gateway by default
		err = conformance.Run(ctx, rest, stdout, stderr, func(ctx context.Context, args []string, logs io.Writer) error {
			return masked(m, serve(ctx, m, args, logs))
		}, kernel.ConformanceLevel)
	case "bench":
		// The bench prints what an embedded gateway returns itself.
		err = bench.Run(ctx, rest, stdout, stderr, func(ctx context.Context, args []string, logs io.Writer) error {
			return masked(m, serve(ctx, m, args, logs))
		})
	case "demo":
		err = demoCmd(ctx, m, rest, stdout, stderr) // demo.go
	case "version":
		fmt.Fprintf(stdout, "steward %s (conformance level %d, extension protocol %s)\n", kernel.Version, kernel.ConformanceLevel, manifest.ProtocolVersion)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "steward: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fail(stderr, m, cmd, err)
		return 1
	}
	return 0
}

// fail prints a command's error with every secret m knows removed.
func fail(w io.Writer, m *kernel.Masker, cmd string, err error) {
	fmt.Fprintf(w, "steward %s: %s\n", cmd, m.Secrets(err.Error()))
}

// maskedError is an error whose text has every secret removed; it still
// unwraps to the original, so errors.Is and errors.As see through it.
type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

func masked(m *kernel.Masker, err error) error {
	if err == nil {
		return nil
	}
	return &maskedError{text: m.Secrets(err.Error()), err: err}
}

func serve(ctx context.Context, m *kernel.Masker, args []string, stderr io.Writer) error {
	var c common
	fs := flags("serve", &c, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if cfg.Auth.DemoTokens && !configs.DemoTokensAllowed(cfg.Server.Addr) {
		return fmt.Errorf("refusing to serve demo tokens on %s: bind a loopback address (127.0.0.1) or set auth.demo_tokens=false and configure token_env/token_file", cfg.Server.Addr)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	lock, err := lockData(cfg.Data)
	if err != nil {
		return err
	}
	defer lock.Close()
	a, err := openApp(ctx, cfg, m, stderr, true)
	if err != nil {
		return err
	}
	defer a.Close()
	g, err := newGateway(ctx, a)
	if err != nil {
		return err
	}
	return g.run(ctx)
}

// openInteractive parses a command's flags, loads the configuration and
// opens the app for a command that runs until it is interrupted; done
// releases both.
func openInteractive(ctx context.Context, m *kernel.Masker, name string, args []string, stderr io.Writer) (context.Context, *app, common, func(), error) {
	var c common
	fs := flags(name, &c, stderr)
	if err := fs.Parse(args); err != nil {
		return ctx, nil, c, nil, err
	}
	cfg, err := c.load()
	if err != nil {
		return ctx, nil, c, nil, err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	a, err := openApp(ctx, cfg, m, stderr, false)
	if err != nil {
		stop()
		return ctx, nil, c, nil, err
	}
	return ctx, a, c, func() { a.Close(); stop() }, nil
}

func chat(ctx context.Context, m *kernel.Masker, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, a, c, done, err := openInteractive(ctx, m, "chat", args, stderr)
	if err != nil {
		return err
	}
	defer done()
	actor, err := a.actorFor(ctx, c.as)
	if err != nil {
		return err
	}
	if err := a.kernel.RecordActAs(ctx, actor, terminal.Name); err != nil {
		return err
	}
	interactive := false
	if f, ok := stdin.(*os.File); ok {
		interactive = term.IsTerminal(int(f.Fd()))
	}
	t := &terminal.Terminal{Turns: a.kernel, Events: a.kernel.Deliveries(), Actor: actor, In: stdin, Out: stdout, Interactive: interactive}
	return t.Run(ctx)
}

// mcpCmd serves the MCP protocol on standard input and output for the
// actor whose bearer token is STEWARD_TOKEN (logs go to standard error):
// the same tools, gate and ledger as on every channel.
func mcpCmd(ctx context.Context, m *kernel.Masker, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	token := strings.TrimSpace(os.Getenv("STEWARD_TOKEN"))
	if token == "" {
		return errors.New("STEWARD_TOKEN is not set: give the bearer token of the actor to serve")
	}
	ctx, a, _, done, err := openInteractive(ctx, m, "mcp", args, stderr)
	if err != nil {
		return err
	}
	defer done()
	actor, ok := a.dir.Authenticate(ctx, token)
	if !ok {
		a.kernel.Refuse(ctx, session.Refusal{Channel: mcpserver.Name, Code: session.CodeUnauthenticated, Detail: "unknown STEWARD_TOKEN"})
		return errors.New("STEWARD_TOKEN is not the token of a configured user")
	}
	srv, err := mcpserver.New(channels.CoreOf(a.kernel), mcpserver.Options{Log: a.log})
	if err != nil {
		return err
	}
	return srv.ServeStdio(ctx, actor, stdin, stdout)
}

func classify(ctx context.Context, m *kernel.Masker, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c common
	fs := flags("classify", &c, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, m, stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	actor, err := a.actorFor(ctx, c.as)
	if err != nil {
		return err
	}
	if err := a.kernel.RecordActAs(ctx, actor, "classify"); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	told := false
	one := func(text string) error {
		res, err := a.kernel.Classify(ctx, actor, text)
		if err != nil {
			ke := kernel.AsError(err)
			if ke.Code == session.CodeRateLimited && !told {
				told = true
				fmt.Fprintln(stderr, quotaNotice)
			}
			return enc.Encode(map[string]any{"error": map[string]string{"code": ke.Code, "message": m.Secrets(ke.Message)}})
		}
		return enc.Encode(res)
	}
	if fs.NArg() > 0 {
		return one(strings.Join(fs.Args(), " "))
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := one(line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// tools prints the effective manifests: declared fields plus the
// parameter and return schemas inferred from the handlers.
func tools(ctx context.Context, m *kernel.Masker, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := flags("tools", &c, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if c.data == "" {
		dir, err := os.MkdirTemp("", "steward-tools")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Data = dir // listing tools must not create ./data
	}
	a, err := openApp(ctx, cfg, m, stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	want := map[string]bool{}
	for _, id := range fs.Args() {
		want[id] = true
	}
	for _, m := range a.kernel.Manifests() {
		delete(want, m.ID)
	}
	for id := range want {
		return fmt.Errorf("no extension %q is loaded", id)
	}
	for _, id := range fs.Args() {
		want[id] = true
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	for _, m := range a.kernel.Manifests() {
		if len(want) == 0 || want[m.ID] {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func validate(m *kernel.Masker, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: steward validate PATH...")
		return 2
	}
	failed := false
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	for _, p := range args {
		b, err := os.ReadFile(p)
		if err != nil {
			fail(stderr, m, "validate", err)
			failed = true
			continue
		}
		_, issues := manifest.Parse(b)
		if issues == nil {
			issues = []manifest.Issue{}
		}
		valid := !manifest.HasErrors(issues)
		_ = enc.Encode(map[string]any{"path": p, "valid": valid, "issues": issues})
		if !valid {
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

func auditCmd(ctx context.Context, m *kernel.Masker, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: steward audit verify [--config FILE] [--data DIR] [--store redis://HOST:PORT]")
		return 2
	}
	var c common
	fs := flags("audit verify", &c, stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	cfg, err := c.load()
	if err != nil {
		fail(stderr, m, "audit verify", err)
		return 2
	}
	st, err := openReader(ctx, cfg)
	if err != nil {
		fail(stderr, m, "audit verify", err)
		return 2
	}
	defer st.Close()
	reps, err := audit.Verify(ctx, st)
	if err != nil {
		fail(stderr, m, "audit verify", err)
		return 2
	}
	bad := false
	for _, r := range reps {
		if r.OK {
			fmt.Fprintf(stdout, "ok      %-12s %d records\n", r.Tenant, r.Records)
		} else {
			bad = true
			fmt.Fprintf(stdout, "BROKEN  %-12s at record %d: %s\n", r.Tenant, r.BrokenAt, r.Reason)
		}
	}
	lr, err := audit.VerifyLedger(ctx, st, st)
	if err != nil {
		fail(stderr, m, "audit verify", err)
		return 2
	}
	if lr.OK {
		fmt.Fprintf(stdout, "ok      ledger       %d facts match their audit records\n", lr.Checked)
	} else {
		bad = true
		fmt.Fprintf(stdout, "BROKEN  ledger       %s\n", lr.Reason)
	}
	if bad {
		return 1
	}
	return 0
}
