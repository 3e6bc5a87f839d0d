package chatkit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

func TestSplit(t *testing.T) {
	long := strings.Repeat("word ", 30) // 150 runes
	cases := []struct {
		name string
		text string
		max  int
	}{
		{"short", "hello", 10},
		{"at spaces", long, 40},
		{"at lines", strings.Repeat("line one\n", 20), 50},
		{"no break", strings.Repeat("x", 95), 30},
		{"multibyte", strings.Repeat("ü€😀", 40), 25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := chatkit.Split(c.text, c.max)
			total := 0
			for _, p := range parts {
				n := len([]rune(p))
				if n > c.max || n == 0 {
					t.Fatalf("piece of %d runes (max %d): %q", n, c.max, p)
				}
				if !strings.Contains(c.text, p) {
					t.Fatalf("piece not from the text: %q", p)
				}
				total += n
			}
			// Only the separators cut at may be missing.
			if drop := len([]rune(c.text)) - total; drop < 0 || drop > 2*len(parts) {
				t.Fatalf("lost %d runes in %d pieces", drop, len(parts))
			}
		})
	}
}

func TestRecentForgetsOldest(t *testing.T) {
	r := chatkit.NewRecent(2)
	if r.Seen("a") || r.Seen("b") || !r.Seen("a") {
		t.Fatal("seen")
	}
	r.Seen("c") // forgets a
	if r.Seen("a") {
		t.Fatal("a remembered beyond the bound")
	}
}

func TestButtonData(t *testing.T) {
	for _, accept := range []bool{true, false} {
		d := chatkit.ButtonData("p_abcdefghijklmnop", accept)
		if len(d) > 64 {
			t.Fatalf("%d bytes", len(d))
		}
		id, acc, ok := chatkit.ParseButtonData(d)
		if !ok || id != "p_abcdefghijklmnop" || acc != accept {
			t.Fatalf("%q → %q %v %v", d, id, acc, ok)
		}
	}
	for _, bad := range []string{"", "x", "z:p_1", "a:", strings.Repeat("a", 70), "a:" + strings.Repeat("p", 63)} {
		if _, _, ok := chatkit.ParseButtonData(bad); ok {
			t.Fatalf("accepted %q", bad)
		}
	}
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	// Rate limits delay and never count as failures.
	n := 0
	v, err := chatkit.Retry(ctx, log, "x", func(context.Context) (int, error) {
		n++
		if n <= chatkit.RetryAttempts+2 {
			return 0, &chatkit.RetryAfter{Wait: time.Millisecond, Err: errors.New("429")}
		}
		return 7, nil
	})
	if err != nil || v != 7 {
		t.Fatalf("rate limited: %v %v", v, err)
	}
	// A permanent error stops at once.
	n = 0
	_, err = chatkit.Retry(ctx, log, "x", func(context.Context) (int, error) { n++; return 0, chatkit.Permanent(errors.New("chat not found")) })
	if n != 1 || !chatkit.IsPermanent(err) {
		t.Fatalf("permanent: %d %v", n, err)
	}
	// Other failures are bounded.
	n = 0
	_, err = chatkit.Retry(ctx, log, "x", func(context.Context) (int, error) { n++; return 0, errors.New("503") })
	if n != chatkit.RetryAttempts || err == nil {
		t.Fatalf("bounded: %d %v", n, err)
	}
	// A cancelled context ends a wait.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := chatkit.Retry(cctx, log, "x", func(context.Context) (int, error) {
		return 0, &chatkit.RetryAfter{Wait: time.Hour}
	}); err == nil {
		t.Fatal("waited past cancellation")
	}
}

func TestParseSession(t *testing.T) {
	tn, a, ok := chatkit.ParseSession(session.SessionFor(kerneltest.Bob))
	if !ok || tn != "acme" || a != "bob" {
		t.Fatalf("%s %s %v", tn, a, ok)
	}
	for _, bad := range []session.SessionID{"", "s:", "s:acme", "x:acme:bob", "s::bob"} {
		if _, _, ok := chatkit.ParseSession(bad); ok {
			t.Fatalf("accepted %q", bad)
		}
	}
}

// platform is a Deliverer that records what it was asked to show.
type platform struct {
	mu   sync.Mutex
	got  []string // "chat: text"
	fail int      // rate-limit this many deliveries first
}

func (p *platform) Deliver(_ context.Context, to session.Address, out session.Outbound) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return &chatkit.RetryAfter{Wait: 5 * time.Millisecond, Err: errors.New("429")}
	}
	for _, part := range out.Parts {
		if x, ok := part.(*session.Text); ok {
			p.got = append(p.got, to.Chat+": "+x.Text)
		}
	}
	return nil
}

func (p *platform) Direct(_ context.Context, account string) (session.Address, error) {
	return session.Address{Account: account, Chat: "dm-" + account}, nil
}

func (p *platform) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		got := append([]string(nil), p.got...)
		p.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("want %d deliveries, got %v", n, p.got)
	return nil
}

func link(t *testing.T, e *kerneltest.Env, b *chatkit.Bridge, a session.Actor, account string) {
	t.Helper()
	code, _, err := e.K.Identity().LinkCode(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	parts := b.Message(context.Background(), session.Address{Account: account, Chat: account}, "", "link "+code).Parts
	if len(parts) != 1 || !strings.Contains(parts[0].(*session.Text).Text, "now acts as "+string(a.ID)) {
		t.Fatalf("link: %#v", parts)
	}
}

// An account nobody linked is told how to link, nothing runs, and the
// refusal is audited in the bot's tenant; "link CODE" links it.
func TestUnknownSenderAndLinking(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	ctx := context.Background()
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "telegram", Platform: "Telegram", Tenant: "acme", Now: e.Clock.Now})
	parts := b.Message(ctx, session.Address{Account: "42", Chat: "42"}, "u1", `hosting.restart_server {"server":"web-1"}`).Parts
	er, ok := parts[0].(*session.Error)
	if len(parts) != 1 || !ok || er.Code != session.CodeUnknownSender || !strings.Contains(er.Message, `send "link my account"`) {
		t.Fatalf("unknown sender: %#v", parts)
	}
	if got := b.Decide(ctx, session.Address{Account: "42"}, "u2", "p_x", true).Parts; got[0].(*session.Error).Code != session.CodeUnknownSender {
		t.Fatalf("unknown presser: %#v", got)
	}
	found := false
	for _, r := range e.Audit(t, "acme") {
		if r.Kind == "request_refused" && r.Actor == "telegram:42" && strings.Contains(r.Data, session.CodeUnknownSender) {
			found = true
		}
	}
	if !found {
		t.Fatal("unknown sender not audited in the bot's tenant")
	}
	if got := b.Message(ctx, session.Address{Account: "42"}, "u3", "link ABCD-EFGH").Parts; got[0].(*session.Error).Code != session.CodeLinkCodeInvalid {
		t.Fatalf("bad code: %#v", got)
	}
	link(t, e, b, kerneltest.Bob, "42")
	if a, ok := b.Actor(ctx, "42"); !ok || a.ID != "bob" {
		t.Fatalf("actor %v %v", a, ok)
	}
	out := b.Message(ctx, session.Address{Account: "42", Chat: "42"}, "u4", `hosting.list_servers {}`).Parts
	if !strings.Contains(fmt.Sprint(out[0]), "web-1") {
		t.Fatalf("turn: %#v", out)
	}
	// A bot of another tenant does not know the account.
	g := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "telegram", Tenant: "globex", Now: e.Clock.Now})
	if _, ok := g.Actor(ctx, "42"); ok {
		t.Fatal("link crossed tenants")
	}
}

// CHAN-07: the pump delivers events addressed to its channel (with the
// chat they name) and, for delivery "all", to every linked account's
// direct conversation; a rate limit delays and loses nothing; the cursor
// is durable, so a restarted pump neither replays nor skips.
func TestPumpDeliversAndResumes(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: 50 * time.Millisecond}})
	release := e.LoadSlow(t)
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "telegram", Tenant: "acme", Now: e.Clock.Now})
	link(t, e, b, kerneltest.Alice, "7")
	p := &platform{fail: 2}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Pump(ctx, p) }()
	started(t, e, "telegram")

	// The request comes from a group chat: the result goes there.
	parts := b.Message(context.Background(), session.Address{Account: "7", Chat: "group-1"}, "m1", `slowtest.work {"label":"a"}`).Parts
	if pr, ok := parts[0].(*session.Progress); !ok || pr.State != "running" {
		t.Fatalf("not a task: %#v", parts)
	}
	release <- struct{}{}
	got := p.wait(t, 1)
	if !strings.HasPrefix(got[len(got)-1], "group-1: ") {
		t.Fatalf("delivered %v", got)
	}
	cancel()
	<-done

	// While the pump is down, two events are published; the next run
	// delivers both, once.
	e.Say(t, kerneltest.Alice, `slowtest.work {"label":"b"}`) // from channel "test": its result is not for telegram
	release <- struct{}{}
	waitTasks(t, e)
	b.Message(context.Background(), session.Address{Account: "7", Chat: "group-2"}, "m2", `slowtest.work {"label":"c"}`)
	release <- struct{}{}
	waitTasks(t, e)
	p2 := &platform{}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { _ = b.Pump(ctx2, p2) }()
	got2 := p2.wait(t, 1)
	time.Sleep(50 * time.Millisecond) // nothing more may arrive
	p2.mu.Lock()
	defer p2.mu.Unlock()
	for _, g := range p2.got {
		if strings.Contains(g, "Work a") || strings.Contains(g, "Work b") {
			t.Fatalf("replayed or misdelivered: %v", p2.got)
		}
	}
	if !strings.Contains(strings.Join(got2, "|"), "Work c done.") || !strings.HasPrefix(got2[0], "group-2: ") {
		t.Fatalf("resumed pump delivered %v", p2.got)
	}
}

// started waits for a first pump to have saved its cursor.
func started(t *testing.T, e *kerneltest.Env, channel string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok, _ := e.K.Deliveries().Mark(context.Background(), "cursor:"+channel); ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("pump did not start")
}

func waitTasks(t *testing.T, e *kerneltest.Env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ts, err := e.K.Tasks().Tasks(context.Background(), kerneltest.Alice)
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, x := range ts {
			if x.State == store.TaskRunning {
				running++
			}
		}
		if running == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("tasks still running")
}

// Delivery "all": an event with no address goes to the direct
// conversation of each account of the actor linked on this channel.
func TestPumpDeliversToEveryLinkedAccount(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: 50 * time.Millisecond, Delivery: "all"}})
	release := e.LoadSlow(t)
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "slack", Tenant: "acme", Now: e.Clock.Now})
	link(t, e, b, kerneltest.Alice, "U1")
	link(t, e, b, kerneltest.Alice, "U2")
	p := &platform{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Pump(ctx, p) }()
	started(t, e, "slack")
	e.Say(t, kerneltest.Alice, `slowtest.work {"label":"z"}`)
	close(release)
	got := strings.Join(p.wait(t, 2), "|")
	if !strings.Contains(got, "dm-U1: Task") || !strings.Contains(got, "dm-U2: Task") || strings.Count(got, "Work z done.") != 2 {
		t.Fatalf("delivered %s", got)
	}
}

// A card is settled once its proposal ends, whichever channel decided it.
func TestSettleAndSweep(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	ctx := context.Background()
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "discord", Tenant: "acme", Now: e.Clock.Now})
	card1 := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.restart_server {"server":"web-1"}`))
	card2 := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.restart_server {"server":"web-2"}`))
	for i, c := range []*session.ProposalCard{card1, card2} {
		if err := b.RememberCard(ctx, kerneltest.Alice, c, fmt.Sprintf("chan/%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := b.Settle(ctx, card1.ID); ok {
		t.Fatal("a pending proposal settled")
	}
	e.Decide(t, kerneltest.Alice, card1.ID, session.ActionReject, "") // decided elsewhere
	ended, err := b.Sweep(ctx)
	if err != nil || len(ended) != 1 || ended[0].Ref != "chan/0" || ended[0].Proposal.State != store.ProposalRejected {
		t.Fatalf("sweep: %+v %v", ended, err)
	}
	if chatkit.Outcome(ended[0].Proposal) != "✗ Rejected: nothing was changed." {
		t.Fatal(chatkit.Outcome(ended[0].Proposal))
	}
	e.Clock.Advance(11 * time.Minute)
	ended, _ = b.Sweep(ctx)
	if len(ended) != 1 || ended[0].Ref != "chan/1" || ended[0].Proposal.State != store.ProposalExpired {
		t.Fatalf("expiry: %+v", ended)
	}
	if ended, _ = b.Sweep(ctx); len(ended) != 0 {
		t.Fatalf("settled twice: %+v", ended)
	}
	// Someone else's proposal is not found.
	if _, err := e.K.Proposal(ctx, kerneltest.Bob, card1.ID); err == nil {
		t.Fatal("another actor's proposal was readable")
	}
}

// The card text keeps the typed instruction only where a button cannot
// carry what is needed (a danger phrase).
func TestCardBody(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	c := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.restart_server {"server":"web-1"}`))
	body := chatkit.CardBody(c, e.Clock.Now())
	if strings.Contains(body, "To confirm") || strings.Contains(body, "To cancel") || !strings.Contains(body, "level 2") {
		t.Fatalf("level 2 body:\n%s", body)
	}
	d := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.delete_server {"server":"staging-1"}`))
	body = chatkit.CardBody(d, e.Clock.Now())
	if !strings.Contains(body, "To confirm, type: confirm "+string(d.ID)) || strings.Contains(body, "To cancel") {
		t.Fatalf("level 4 body:\n%s", body)
	}
}

// Delivery "preferred:<channel>": the kernel names the channel only; the
// pump finds the actor's linked accounts there.
func TestPumpPreferredChannel(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: 50 * time.Millisecond, Delivery: "preferred:telegram"}})
	release := e.LoadSlow(t)
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "telegram", Tenant: "acme", Now: e.Clock.Now})
	link(t, e, b, kerneltest.Alice, "99")
	p := &platform{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Pump(ctx, p) }()
	started(t, e, "telegram")
	e.Say(t, kerneltest.Alice, `slowtest.work {"label":"p"}`) // asked on another channel
	close(release)
	got := strings.Join(p.wait(t, 1), "|")
	if !strings.Contains(got, "dm-99: Task") || !strings.Contains(got, "Work p done.") {
		t.Fatalf("delivered %s", got)
	}
}

// A decision and a sweep racing to settle one card: exactly one wins.
func TestSettleOnce(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	ctx := context.Background()
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "slack", Tenant: "acme", Now: e.Clock.Now})
	c := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.restart_server {"server":"web-1"}`))
	if err := b.RememberCard(ctx, kerneltest.Alice, c, "C1/1"); err != nil {
		t.Fatal(err)
	}
	e.Decide(t, kerneltest.Alice, c.ID, session.ActionReject, "")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := b.Settle(ctx, c.ID); ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d settled the card", wins)
	}
}
