package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Long replies are split at Slack's limits, after escaping, and nothing
// is lost.
func TestSplitLongReplies(t *testing.T) {
	para := strings.Repeat("word ", 199) + "end." // 999 characters
	cases := []struct {
		name string
		text string
		want int
	}{
		{"short", "hello", 1},
		{"exactly the limit", strings.Repeat("x", MaxText), 1},
		{"one over", strings.Repeat("x", MaxText+1), 2},
		{"paragraphs", strings.Repeat(para+"\n\n", 10), 4},     // three paragraphs a message
		{"escaping grows it", strings.Repeat("a<b ", 1000), 2}, // 4000 runes, 7000 escaped: cut at 4000·4000/7000
		{"multibyte", strings.Repeat("é", 9000), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgs := render([]session.Part{&session.Text{Text: c.text}}, time.Now(), true, "UBOT")
			if len(msgs) != c.want {
				t.Fatalf("%d messages, want %d", len(msgs), c.want)
			}
			var all strings.Builder
			for _, m := range msgs {
				if n := utf8.RuneCountInString(m.text); n > MaxText {
					t.Fatalf("a message of %d characters", n)
				}
				all.WriteString(slacktest.Unescape(m.text))
			}
			squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if squash(all.String()) != squash(c.text) {
				t.Fatal("text lost in the split")
			}
		})
	}
}

func TestEscape(t *testing.T) {
	msgs := render([]session.Part{&session.Text{Text: "<@U123> & <!channel> *bold*"}, &session.Error{Code: "not_found", Message: "No <such> server."}}, time.Now(), true, "")
	if len(msgs) != 1 || msgs[0].text != "&lt;@U123&gt; &amp; &lt;!channel&gt; *bold*\n\n✗ No &lt;such&gt; server. [not_found]" {
		t.Fatalf("%q", msgs[0].text)
	}
}

// A card whose text passes a section's 3000 characters is cut into
// several sections, which Slack accepts.
func TestLongCard(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents})
	now := time.Now()
	c := &session.ProposalCard{ID: "p_abcdefgh", Tool: "x.y", Args: json.RawMessage(`{"a":"` + strings.Repeat("<&>", 3000) + `"}`), SafetyLevel: 2, Summary: "Big", ExpiresAt: now.Add(time.Minute)}
	m := cardMessage(c, now, true, "UBOT")
	var n int
	for _, b := range m.blocks {
		if s, ok := b.(*slack.SectionBlock); ok {
			n++
			if utf8.RuneCountInString(s.Text.Text) > MaxSection {
				t.Fatalf("section of %d characters", utf8.RuneCountInString(s.Text.Text))
			}
		}
	}
	if n < 4 {
		t.Fatalf("%d sections", n)
	}
	if err := r.a.show(context.Background(), session.Address{Account: "UALICE", Chat: "DUALICE"}, []session.Part{c}, ""); err != nil {
		t.Fatalf("Slack refused the card: %v", err)
	}
}

// New names what is wrong.
func TestNewErrors(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	fake := slacktest.Start(t, slacktest.Options{})
	ok := Options{Name: "default", Tenant: "acme", Token: fake.BotToken(), AppToken: fake.AppToken(), SigningSecret: "s", APIURL: fake.APIURL()}
	cases := []struct {
		name string
		edit func(o *Options)
		want string
	}{
		{"no token", func(o *Options) { o.Token = "" }, "slack default: no bot token"},
		{"no tenant", func(o *Options) { o.Tenant = "" }, "slack default: no tenant"},
		{"socket without app token", func(o *Options) { o.AppToken = "" }, "needs an app-level token"},
		{"events without secret", func(o *Options) { o.Mode, o.SigningSecret = ModeEvents, "" }, "needs the signing secret"},
		{"unknown mode", func(o *Options) { o.Mode = "poll" }, `mode "poll"`},
		{"refused token", func(o *Options) { o.Token = "xoxb-wrong" }, "slack default: token refused by the platform (invalid_auth)"},
		{"named bot", func(o *Options) { o.Name, o.Token = "ops", "xoxb-wrong" }, "slack ops: token refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := ok
			c.edit(&o)
			_, err := New(context.Background(), channels.CoreOf(e.K), o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	a, err := New(context.Background(), channels.CoreOf(e.K), ok)
	if err != nil || a.Name() != "slack" || a.botID != fake.BotUserID() || !a.Capabilities().Buttons || a.Capabilities().MaxText != MaxText {
		t.Fatalf("%v %+v", err, a)
	}
}

// A refused app-level token stops Socket Mode, and Run says so.
func TestRunRefusedAppToken(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	fake := slacktest.Start(t, slacktest.Options{})
	a, err := New(context.Background(), channels.CoreOf(e.K), Options{Tenant: "acme", Token: fake.BotToken(), AppToken: "xapp-wrong", APIURL: fake.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := a.Run(ctx); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Run: %v", err)
	}
}
