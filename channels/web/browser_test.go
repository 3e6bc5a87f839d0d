package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/steward-os/steward/channels"
	_ "github.com/steward-os/steward/channels/all" // the default configuration has blocks of every channel
	"github.com/steward-os/steward/channels/web"
	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/extensions/demo"
	"github.com/steward-os/steward/internal/strict"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store/sqlite"
)

// The browser test (issue 5, part 3) drives the real page in Debian's
// headless Chromium against a real gateway in this process: the embedded
// default configuration, SQLite in a fresh directory, the offline router,
// the demo extensions and world, the real clock (so the 30 s cooling
// period is waited out for real: it can only be raised, never lowered).
// A missing browser fails the test (`make deps` installs it); it is never
// skipped.

// chromiumPath finds Debian's chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("STEWARD_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	hint := "run `make deps` (apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatalf("chromium is missing in CI: %s; the browser test never skips", hint)
	}
	t.Fatalf("chromium is missing: %s", hint)
	return ""
}

// axeScript reads axe-core's browser build, which `make deps` installs
// with `npm ci` from the committed package-lock.json (an exact version,
// checked here against the lockfile) into the module root's
// node_modules. The test never downloads it; a missing copy fails the
// test, as a missing browser does.
func axeScript(t *testing.T) (src, version string) {
	t.Helper()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			t.Fatal("no go.mod above the test's directory")
		}
		root = up
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	b, err := os.ReadFile(filepath.Join(root, "package-lock.json"))
	if err == nil {
		err = json.Unmarshal(b, &lock)
	}
	if err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	version = lock.Packages["node_modules/axe-core"].Version
	if version == "" {
		t.Fatal("package-lock.json does not pin axe-core")
	}
	b, err = os.ReadFile(filepath.Join(root, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		hint := "run `make deps` (npm ci installs axe-core " + version + " from package-lock.json)"
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is missing in CI: %s; the accessibility audit never skips (%v)", hint, err)
		}
		t.Fatalf("axe-core is missing: %s (%v)", hint, err)
	}
	return string(b), version
}

// axeViolation is one failed axe-core rule, with the nodes that fail it.
type axeViolation struct {
	Rule    string   `json:"rule"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeRules are the rule sets the page is audited against: WCAG 2.1 A and
// AA, and axe-core's best practices (a level-one heading, allowed roles).
const axeRules = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']`

// axeRun injects axe-core into the page when it is not there (once per
// page load), checks that it is the pinned version, and audits the whole
// document as it stands.
func axeRun(ctx context.Context, src, version string) ([]axeViolation, error) {
	have, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof axe === 'object' ? axe.version : ''`))
	if err != nil {
		return nil, err
	}
	if have == "" {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
		if have, err = chromedp.Run(ctx, chromedp.Evaluate[string](`axe.version`)); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	if have != version {
		return nil, fmt.Errorf("axe-core %s in the page, the lockfile pins %s: run `make deps`", have, version)
	}
	return chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {
		runOnly: {type: 'tag', values: `+axeRules+`},
		resultTypes: ['violations'],
	}).then(r => r.violations.map(v => ({
		rule: v.id, impact: v.impact || '', help: v.help,
		targets: v.nodes.map(n => n.target.flat().join(' ')),
	})))`, chromedp.EvalAwaitPromise))
}

// artifactDir is where screenshots go: $STEWARD_TEST_ARTIFACTS/<test> when
// set, else the test's artifact directory (go test -artifacts keeps it
// under -outputdir).
func artifactDir(t *testing.T) string {
	if d := os.Getenv("STEWARD_TEST_ARTIFACTS"); d != "" {
		p := filepath.Join(d, t.Name())
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return t.ArtifactDir()
}

// swapHandler lets the test replace the web channel under a live listener
// (to drop every socket and have the page reconnect).
type swapHandler struct{ h atomic.Pointer[web.Web] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.Load().ServeHTTP(w, r) }

type gateway struct {
	url  string
	k    *kernel.Kernel
	dir  session.Directory
	cfg  *configs.Config
	swap *swapHandler
}

// startGateway wires what `steward serve` wires, in-process, on 127.0.0.1.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	ctx := context.Background()
	cfg, err := configs.Load("", nil, []string{"data=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dir := session.NewStaticDirectory()
	for tn, tc := range cfg.Tenants {
		for un, u := range tc.Users {
			dir.Add(session.Actor{ID: session.ActorID(un), Tenant: session.TenantID(tn), Roles: u.Roles, Manager: session.ActorID(u.Manager)}, "demo-"+un)
		}
	}
	st, err := sqlite.Open(ctx, cfg.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	quota := map[session.TenantID]int{}
	for tn, tc := range cfg.Tenants {
		quota[session.TenantID(tn)] = tc.TurnsPerMinute
	}
	k, err := kernel.New(kernel.Config{
		Roles: cfg.Roles, ProposalTTL: cfg.Safety.ProposalTTL.D(), Cooling: cfg.Safety.CoolingPeriod.D(),
		MinConfidence: cfg.Router.MinConfidence, PlanRetries: cfg.Safety.PlanRetries, TenantTurnsPerMinute: quota,
		LedgerCap:    session.Cap{Count: cfg.Ledger.ReplayCount, Bytes: cfg.Ledger.ReplayBytes},
		InlineBudget: cfg.Tasks.InlineBudget.D(), TaskCap: cfg.Tasks.DefaultCap.D(), MaxTaskCap: cfg.Tasks.MaxCap.D(),
		MaxResultBytes: cfg.Tasks.MaxResultBytes,
	}, kernel.Deps{Store: st, Directory: dir}) // the embedded offline router, as serve has it
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range demo.Extensions() {
		if _, err := k.Load(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	var world struct {
		Tenants map[string]map[string]any `json:"tenants"`
	}
	if err := strict.Decode(configs.World, &world); err != nil {
		t.Fatal(err)
	}
	for tn := range cfg.Tenants {
		parts := map[string]json.RawMessage{}
		for ext, v := range world.Tenants[tn] {
			parts[ext], _ = json.Marshal(v)
		}
		if err := k.Seed(ctx, session.TenantID(tn), parts); err != nil {
			t.Fatal(err)
		}
	}
	g := &gateway{k: k, dir: dir, cfg: cfg, swap: &swapHandler{}}
	g.swap.h.Store(g.newWeb())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g.swap, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	g.url = "http://" + ln.Addr().String() + "/"
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = g.swap.h.Load().Shutdown(sctx)
		_ = k.Shutdown(sctx)
		st.Close()
	})
	return g
}

// newWeb builds the page from the configuration's web block, as the
// module does.
func (g *gateway) newWeb() *web.Web {
	m, err := module.Decode("channels.web", g.cfg.Channels["web"])
	if err != nil {
		panic(err)
	}
	return web.New(channels.CoreOf(g.k), g.dir, m.(*web.Module).Options(quietHost{}))
}

// quietHost is a module host that logs nothing.
type quietHost struct{}

func (quietHost) Logger() *slog.Logger                  { return slog.New(slog.DiscardHandler) }
func (quietHost) Secret(_, _, _ string) (string, error) { return "", nil }

// CHAN-03 CHAN-04: the same gate as every channel, in the page's own form
// (cards with buttons, a phrase field, countdowns).
func TestBrowser(t *testing.T) {
	began := time.Now()
	exe := chromiumPath(t)
	axeSrc, axeVersion := axeScript(t)
	g := startGateway(t)
	out := artifactDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			problems = append(problems, fmt.Sprintf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, "console.error")
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	step := 0
	shot := func(name string) {
		t.Helper()
		step++
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(out, fmt.Sprintf("%02d-%s.png", step, name))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", p)
	}
	do := func(what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			shot("failed")
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main:not([hidden])')?.innerText ?? ''`))
			t.Fatalf("%s: %v\npage text:\n%s", what, err, html)
		}
	}
	eval := func(expr string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	wait := func(expr string, d time.Duration) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(100*time.Millisecond))
	}
	// audit runs axe-core on the page as it stands and fails on every
	// violation, printing its rule, impact and target. The page has none
	// of any impact, so moderate and minor ones (a missing level-one
	// heading, a role the element may not have) fail too, not only the
	// serious and critical ones.
	var axeTook time.Duration
	audited := 0
	audit := func(state string) {
		t.Helper()
		began := time.Now()
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		vs, err := axeRun(actx, axeSrc, axeVersion)
		axeTook += time.Since(began)
		audited++
		if err != nil {
			t.Fatalf("accessibility audit (%s): %v", state, err)
		}
		for _, v := range vs {
			for _, target := range v.Targets {
				t.Errorf("accessibility (%s): %s [%s] at %s: %s", state, v.Rule, v.Impact, target, v.Help)
			}
		}
	}
	botSays := func(s string) string {
		b, _ := json.Marshal(s)
		return `[...document.querySelectorAll('.msg-bot .bubble')].some(b => b.textContent.includes(` + string(b) + `))`
	}
	const (
		restartCard = `article.card[data-level="2"]`
		deleteCard  = `article.card[data-level="4"]`
	)

	// Sign in as alice. The first Run starts the browser: no timeout on it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	do("open the page", 15*time.Second, chromedp.Navigate(g.url), chromedp.WaitVisible(chromedp.CSS("#token")))
	shot("sign-in")
	audit("signed out")
	do("a wrong token is refused", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS("#token"), "demo-mallory"),
		chromedp.Click(chromedp.CSS("#signin-button")),
		wait(`document.querySelector('#signin-error').textContent.includes('not accepted')`, 10*time.Second))
	shot("sign-in-refused")
	audit("sign-in refused")
	do("sign in", 15*time.Second,
		chromedp.SendKeys(chromedp.CSS("#token"), "demo-alice"),
		chromedp.Click(chromedp.CSS("#signin-button")),
		chromedp.WaitVisible(chromedp.CSS("#composer-input")),
		wait(`document.querySelector('#conn').classList.contains('online')`, 10*time.Second))
	if eval(`location.href.includes('demo-alice') || document.cookie.includes('demo-alice')`) {
		t.Fatal("the token leaked into the URL or a cookie")
	}
	shot("signed-in")
	audit("signed in, no conversation yet")

	// Ask to restart web-1, see the card, confirm, see the result.
	do("ask to restart web-1", 15*time.Second,
		say("restart web-1"),
		chromedp.WaitVisible(chromedp.CSS(restartCard)))
	card, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(restartCard)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hosting.restart_server", "web-1", "Level 2", "Arguments hash", "Expires in", "Reversible"} {
		if !strings.Contains(strings.ToLower(card), strings.ToLower(want)) {
			t.Errorf("restart card lacks %q:\n%s", want, card)
		}
	}
	do("show the card", 5*time.Second, into(restartCard, "end"))
	shot("restart-card")
	do("confirm the restart", 15*time.Second,
		chromedp.Click(chromedp.CSS(restartCard+` .actions button`)),
		wait(botSays("restarted"), 10*time.Second),
		wait(`document.querySelector('`+restartCard+` .status').textContent === 'Confirmed'`, 5*time.Second))
	shot("restart-confirmed")
	audit("signed in with a conversation")

	// Ask to delete staging-1: a level-4 card with a phrase field and a
	// cooling countdown; Confirm is disabled until the cooling period ends.
	do("ask to delete staging-1", 15*time.Second,
		say("delete staging-1"),
		chromedp.WaitVisible(chromedp.CSS(deleteCard)))
	cardShown := time.Now()
	if !eval(`document.querySelector('` + deleteCard + ` .actions button').disabled`) {
		t.Fatal("Confirm is enabled during the cooling period")
	}
	card, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(deleteCard)))
	for _, want := range []string{"hosting.delete_server", "staging-1", "Level 4", "Cooling period", "No — this cannot be undone", "hosting.snapshot_server", "type the exact name of the target"} {
		if !strings.Contains(strings.ToLower(card), strings.ToLower(want)) {
			t.Errorf("delete card lacks %q:\n%s", want, card)
		}
	}
	do("show the card", 5*time.Second, into(deleteCard, "end"))
	shot("delete-card-cooling")
	audit("a level-4 proposal card, cooling")
	do("dark mode", 5*time.Second, colorScheme("dark"), chromedp.Sleep(200*time.Millisecond))
	audit("dark mode, a card cooling")
	do("light mode", 5*time.Second, colorScheme(""))

	// Meanwhile, a background task: its progress bar moves with events.
	do("run a health check", 20*time.Second,
		say("run a health check on web-2"),
		chromedp.WaitVisible(chromedp.CSS(".task")))
	shot("task-progress")
	audit("a task's progress")
	do("health check finishes", 20*time.Second, wait(`document.querySelector('.task')?.dataset.state === 'succeeded'`, 19*time.Second), wait(botSays("healthy"), 5*time.Second))
	shot("task-done")

	// The waiting card at phone width: countdown, phrase field, buttons.
	do("phone width", 10*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Sleep(200*time.Millisecond), into(deleteCard, "end"))
	shot("phone-card-cooling")
	audit("phone width, a card cooling")
	do("desktop width", 10*time.Second, chromedp.EmulateViewport(1280, 860), chromedp.Sleep(200*time.Millisecond))

	// The connection drops (the channel is replaced under the listener):
	// the page reconnects, resumes, and shows nothing twice.
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#messages > li').length`))
	old := g.swap.h.Load()
	g.swap.h.Store(g.newWeb())
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = old.Shutdown(sctx)
	scancel()
	do("reconnect", 20*time.Second,
		wait(`!document.querySelector('#conn').classList.contains('online')`, 5*time.Second),
		wait(`document.querySelector('#conn').classList.contains('online')`, 15*time.Second))
	time.Sleep(500 * time.Millisecond)
	after, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#messages > li').length`))
	if after != before {
		t.Fatalf("the conversation changed on reconnect: %d items, then %d", before, after)
	}

	// A wrong phrase once the cooling period is over: refused, shown on
	// the card, nothing deleted, the card still waits.
	do("type a wrong phrase", 5*time.Second, chromedp.SendKeys(chromedp.CSS(deleteCard+` input`), "staging-2"))
	if time.Since(cardShown) < 25*time.Second && !eval(`document.querySelector('`+deleteCard+` .actions button').disabled`) {
		t.Fatal("Confirm is enabled during the cooling period")
	}
	do("wait out the cooling period", 45*time.Second,
		chromedp.WaitEnabled(chromedp.CSS(deleteCard+` .actions button`)))
	t.Logf("cooling period over %.1fs after the card appeared", time.Since(cardShown).Seconds())
	do("confirm with the wrong phrase", 15*time.Second,
		chromedp.Click(chromedp.CSS(deleteCard+` .actions button`)),
		wait(`document.querySelector('`+deleteCard+` .card-note').textContent.includes('wrong_danger_phrase')`, 10*time.Second))
	if !eval(`document.querySelector('` + deleteCard + ` .status').textContent === 'Waiting for your decision'`) {
		t.Fatal("the card does not wait after a wrong phrase")
	}
	do("show the card", 5*time.Second, into(deleteCard, "end"))
	shot("wrong-phrase-refused")

	// The right phrase: deleted.
	do("type the right phrase and confirm", 20*time.Second,
		script(`document.querySelector('`+deleteCard+` input').value = ''`),
		chromedp.SendKeys(chromedp.CSS(deleteCard+` input`), "staging-1"),
		chromedp.WaitEnabled(chromedp.CSS(deleteCard+` .actions button`)),
		chromedp.Click(chromedp.CSS(deleteCard+` .actions button`)),
		wait(botSays("deleted"), 15*time.Second),
		wait(`document.querySelector('`+deleteCard+` .status').textContent === 'Confirmed'`, 5*time.Second))
	shot("deleted")
	do("dark mode", 5*time.Second, colorScheme("dark"), chromedp.Sleep(200*time.Millisecond), into(deleteCard, "end"))
	shot("dark-mode")
	audit("dark mode")
	do("light mode", 5*time.Second, colorScheme(""))

	// Phone width: no sideways scrolling, the card still readable.
	do("phone width", 10*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		into(deleteCard, "start"),
		chromedp.Sleep(300*time.Millisecond))
	if !eval(`document.documentElement.scrollWidth <= window.innerWidth && document.querySelector('#log').scrollWidth <= document.querySelector('#log').clientWidth`) {
		t.Error("the page scrolls sideways at 390 px")
	}
	shot("phone-card")
	audit("phone width, the conversation")
	do("phone bottom", 5*time.Second,
		script(`(l => { l.style.scrollBehavior = 'auto'; l.scrollTop = l.scrollHeight; })(document.querySelector('#log'))`),
		chromedp.Sleep(300*time.Millisecond))
	shot("phone-conversation")
	do("sign out", 10*time.Second, chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#token")))
	if eval(`sessionStorage.length > 0`) {
		t.Error("sign-out left state in sessionStorage")
	}
	shot("phone-sign-in")
	audit("phone width, signed out")

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("browser test took %s (%d accessibility audits with axe-core %s: %s); screenshots in %s",
		time.Since(began).Round(100*time.Millisecond), audited, axeVersion, axeTook.Round(10*time.Millisecond), out)
}

// say types a message and presses Enter. The Enter is a key down and up
// with no char event: a synthetic char would type a newline into the
// emptied box (see chromedp.SendKeys).
func say(text string) chromedp.Action[chromedp.Void] {
	enter := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return chromedp.Steps(chromedp.SendKeys(chromedp.CSS("#composer-input"), text), enter)
}

// colorScheme emulates prefers-color-scheme ("" resets it).
func colorScheme(v string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var f []*emulation.MediaFeature
		if v != "" {
			f = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: f})
		return err
	})
}

// into scrolls an element into view.
func into(sel, block string) chromedp.Action[chromedp.Void] {
	return script(`document.querySelector('` + sel + `').scrollIntoView({block: '` + block + `'})`)
}

// script runs JavaScript for its effect.
func script(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(() => { "+js+"; return true; })()")(ctx, t)
		return chromedp.Void{}, err
	}
}
