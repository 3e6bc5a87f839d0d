package discord

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// The harness runs the real adapter (and so the real discordgo client)
// against the fake Discord over a real test kernel, and reads back only
// what Discord would show a person.

var (
	alice = discordtest.User{ID: "100000000000000001", Username: "alice"}
	bob   = discordtest.User{ID: "100000000000000002", Username: "bob"}
	carol = discordtest.User{ID: "100000000000000003", Username: "carol"}
)

const waitLong = 10 * time.Second

type harness struct {
	e    *kerneltest.Env
	fake *discordtest.Server
	a    *Adapter
	hook *httptest.Server // the adapter's ServeHTTP

	mu      sync.Mutex
	waiters map[string][]chan struct{}
	cards   map[string]discordtest.Record // proposal id → the message showing it
}

type setup struct {
	noPublicKey bool
	ackWait     time.Duration
}

func testLog() *slog.Logger {
	if os.Getenv("DISCORD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start runs the adapter against a fresh fake; it stops when the test
// ends.
func start(t testing.TB, e *kerneltest.Env, s setup) *harness {
	t.Helper()
	fake := discordtest.Start(t, discordtest.Options{Now: e.Clock.Now})
	o := Options{Name: "default", Channel: "discord", Tenant: "acme", Token: fake.Token(), PublicKey: fake.PublicKey(),
		APIURL: fake.APIURL(), Log: testLog(), Now: e.Clock.Now}
	if s.noPublicKey {
		o.PublicKey = nil
	}
	a, err := New(context.Background(), channels.CoreOf(e.K), o)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	h := &harness{e: e, fake: fake, a: a, waiters: map[string][]chan struct{}{}, cards: map[string]discordtest.Record{}}
	a.onDone = h.signal
	if s.ackWait > 0 {
		a.ackWait = s.ackWait
	}
	h.hook = httptest.NewServer(a)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("run: %v", err)
		}
		h.hook.Close()
	})
	if err := fake.WaitConnected(waitLong); err != nil {
		t.Fatal(err)
	}
	return h
}

// link links a Discord user to an actor the way a person does: a code
// asked for where the actor is known, sent to the bot in a DM.
func (h *harness) link(t testing.TB, u discordtest.User, a session.Actor) {
	t.Helper()
	code, _, err := h.e.K.Identity().LinkCode(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	o := h.say(t, discordtest.In{ID: "link-" + u.ID, Author: u, Content: "link " + code})
	if !strings.Contains(o.Text(), "Linked") {
		t.Fatalf("link: %+v", o)
	}
}

func (h *harness) expect(id string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan struct{})
	h.waiters[id] = append(h.waiters[id], c)
	return c
}

func (h *harness) signal(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if w := h.waiters[id]; len(w) > 0 {
		close(w[0])
		h.waiters[id] = w[1:]
	}
}

func (h *harness) wait(t testing.TB, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(waitLong):
		t.Fatalf("%s: not handled within %s", what, waitLong)
	}
}

func (h *harness) mark() int {
	r := h.fake.Records()
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1].Seq
}

// say sends a message and returns what the bot answered to it.
func (h *harness) say(t testing.TB, m discordtest.In) channeltest.Observation {
	t.Helper()
	o, _ := h.sayRecords(t, m)
	return o
}

func (h *harness) sayRecords(t testing.TB, m discordtest.In) (channeltest.Observation, []discordtest.Record) {
	t.Helper()
	if m.ID == "" {
		m.ID = "m" + strconv.Itoa(h.mark()+1) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	w := h.expect(m.ID)
	from := h.mark()
	if _, err := h.fake.Say(m); err != nil {
		t.Fatal(err)
	}
	h.wait(t, w, "message "+m.ID)
	var got []discordtest.Record
	for _, r := range h.fake.Records() {
		if r.Seq > from && r.Kind == "create" && r.Reference == m.ID {
			got = append(got, r)
		}
	}
	h.remember(got)
	return parse(got), got
}

// remember notes which message shows each proposal.
func (h *harness) remember(rs []discordtest.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range rs {
		for _, b := range r.Buttons {
			if p, _, ok := chatkit.ParseButtonData(b.CustomID); ok && r.Kind == "create" {
				h.cards[string(p)] = r
			}
		}
	}
}

// card returns the message that showed a proposal.
func (h *harness) card(t testing.TB, id string) discordtest.Record {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.cards[id]
	if !ok {
		t.Fatalf("no message showed proposal %s", id)
	}
	return r
}

// press presses a button on a message (over HTTP, or the gateway) and
// returns what the presser was shown: the interaction's answer message,
// follow-ups, and replies to the card; and every record it caused.
func (h *harness) press(t testing.TB, p discordtest.Press, gateway bool) (channeltest.Observation, []discordtest.Record) {
	t.Helper()
	w := h.expect(p.ID)
	from := h.mark()
	if gateway {
		if err := h.fake.PressGateway(p); err != nil {
			t.Fatal(err)
		}
	} else {
		rep, err := h.fake.PressHTTP(context.Background(), h.hook.URL+"/", p)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != 200 {
			t.Fatalf("press answered %d %s", rep.Status, rep.Body)
		}
	}
	h.wait(t, w, "press "+p.ID)
	var all, shown []discordtest.Record
	for _, r := range h.fake.Records() {
		if r.Seq <= from {
			continue
		}
		all = append(all, r)
		switch {
		case r.Kind == "callback" && r.Type == 4 && r.Interaction == p.ID,
			r.Kind == "followup" && r.Interaction == p.ID,
			r.Kind == "create" && r.Reference == p.MessageID:
			shown = append(shown, r)
		}
	}
	h.remember(shown)
	return parse(shown), all
}

var (
	reCard      = regexp.MustCompile(`^⚠ Needs your confirmation — level (\d)`)
	rePhrase    = regexp.MustCompile(`To confirm, type: confirm (p_[a-z2-7]+) <exact name of the target>`)
	reUnescaped = regexp.MustCompile(`\\([\\*_~` + "`" + `|>])`)
)

// unescape is what Discord shows for escaped markdown.
func unescape(s string) string { return reUnescaped.ReplaceAllString(s, "$1") }

// parse reads messages as a person sees them: a message with buttons is a
// proposal (its id from the buttons' payload, its level from the text);
// other messages are texts, "✗ … [code]" errors and "… task" progress.
func parse(msgs []discordtest.Record) channeltest.Observation {
	var o channeltest.Observation
	for _, m := range msgs {
		text := unescape(m.Content)
		if len(m.Buttons) > 0 {
			c := channeltest.Card{}
			hasAccept := false
			for _, b := range m.Buttons {
				if id, accept, ok := chatkit.ParseButtonData(b.CustomID); ok {
					c.ID = string(id)
					hasAccept = hasAccept || accept
				}
			}
			if mm := reCard.FindStringSubmatch(text); mm != nil {
				c.Level, _ = strconv.Atoi(mm[1])
			}
			c.NeedsPhrase = rePhrase.MatchString(text) && !hasAccept
			o.Cards = append(o.Cards, c)
			continue
		}
		channeltest.ReadText(&o, text)
	}
	return o
}

func one(t testing.TB, o channeltest.Observation) channeltest.Card {
	t.Helper()
	if len(o.Cards) != 1 {
		t.Fatalf("want one proposal, got %+v", o)
	}
	return o.Cards[0]
}

func restarts(t testing.TB, e *kerneltest.Env, server string) float64 {
	t.Helper()
	m := e.Call(t, kerneltest.Alice, "hosting.get_server", `{"server":"`+server+`"}`)
	n, _ := m["restarts"].(float64)
	return n
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
