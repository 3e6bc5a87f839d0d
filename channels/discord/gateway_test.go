package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// The bot identifies with its token and exactly the intents it needs.
func TestIdentify(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	ids := h.fake.Identifies()
	if len(ids) != 1 || ids[0].Token != "Bot "+h.fake.Token() || ids[0].Intents != int(Intents) {
		t.Fatalf("identify: %+v", ids)
	}
	if Intents != 1<<9|1<<12|1<<15 {
		t.Fatalf("intents %d: want guild messages, direct messages and message content", Intents)
	}
}

// A refused token stops New with an error that names the bot.
func TestNewRefusedToken(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{NoExtend: true})
	fake := discordtest.Start(t, discordtest.Options{})
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"wrong token", Options{Token: "nope", APIURL: fake.APIURL()}, "discord default: token refused by the platform"},
		{"no token", Options{APIURL: fake.APIURL()}, "discord default: no bot token"},
		{"bad public key", Options{Token: fake.Token(), APIURL: fake.APIURL(), PublicKey: []byte{1, 2}}, "public key"},
		{"bad api url", Options{Token: fake.Token(), APIURL: "discord.com"}, "api_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Tenant = "acme"
			_, err := New(context.Background(), channels.CoreOf(e.K), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	a, err := New(context.Background(), channels.CoreOf(e.K), Options{Name: "ops", Tenant: "acme", Token: "Bot " + fake.Token(), APIURL: fake.APIURL()})
	if err != nil || a.Name() != "discord.ops" || a.BotID() != fake.Bot().ID || a.Capabilities().MaxText != 2000 || !a.Capabilities().Buttons || !a.Capabilities().Edits {
		t.Fatalf("new: %v %+v", err, a)
	}
}

// In a guild channel the bot answers only messages that mention it; it
// answers every DM; it never answers bots or itself.
func TestWhichMessagesAreAnswered(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	bot := h.fake.Bot()
	const guild, channel = "700000000000000001", "710000000000000001"
	list := `hosting.list_servers {}`
	for _, tc := range []struct {
		name     string
		in       discordtest.In
		answered bool
	}{
		{"DM", discordtest.In{Author: alice, Content: list}, true},
		{"guild, no mention", discordtest.In{ChannelID: channel, GuildID: guild, Author: alice, Content: list}, false},
		{"guild, leading mention", discordtest.In{ChannelID: channel, GuildID: guild, Author: alice, Content: "<@" + bot.ID + "> " + list, Mentions: []discordtest.User{bot}}, true},
		{"guild, nickname mention", discordtest.In{ChannelID: channel, GuildID: guild, Author: alice, Content: "<@!" + bot.ID + "> " + list}, true},
		{"guild, someone else mentioned", discordtest.In{ChannelID: channel, GuildID: guild, Author: alice, Content: "<@" + bob.ID + "> " + list, Mentions: []discordtest.User{bob}}, false},
		{"another bot", discordtest.In{Author: discordtest.User{ID: "555", Username: "other", Bot: true}, Content: list}, false},
		{"the bot itself", discordtest.In{ChannelID: channel, GuildID: guild, Author: bot, Content: "<@" + bot.ID + "> " + list}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, recs := h.sayRecords(t, tc.in)
			if tc.answered != (len(recs) > 0) {
				t.Fatalf("answered=%v: %+v", len(recs) > 0, recs)
			}
			if tc.answered && (len(o.Errors) > 0 || !strings.Contains(o.Text(), "web-1")) {
				t.Fatalf("reply: %+v", o)
			}
			for _, r := range recs {
				if r.ChannelID != tc.in.ChannelID && tc.in.ChannelID != "" {
					t.Fatalf("answered in %s", r.ChannelID)
				}
			}
		})
	}
}

// Replies are escaped and ping no one.
func TestRepliesPingNoOne(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	_, recs := h.sayRecords(t, discordtest.In{Author: alice, Content: `hosting.restart_server {"server":"web-1"}`})
	if len(recs) == 0 {
		t.Fatal("no reply")
	}
	for _, r := range recs {
		var am struct {
			Parse       []string `json:"parse"`
			RepliedUser bool     `json:"replied_user"`
		}
		if err := json.Unmarshal(r.AllowedMentions, &am); err != nil || am.Parse == nil || len(am.Parse) != 0 || am.RepliedUser {
			t.Fatalf("allowed_mentions %s", r.AllowedMentions)
		}
		if strings.Contains(r.Content, "restart_server") {
			t.Fatalf("markdown not escaped: %s", r.Content)
		}
	}
}

// A 429 with retry_after delays a message; it still arrives, once.
func TestRateLimitedSendArrives(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	h.fake.RateLimit(1, 50*time.Millisecond)
	o, recs := h.sayRecords(t, discordtest.In{ID: "m-rl", Author: alice, Content: `hosting.list_servers {}`})
	if h.fake.RateLimited() != 1 {
		t.Fatalf("the fake answered 429 %d times", h.fake.RateLimited())
	}
	if len(recs) != 1 || !strings.Contains(o.Text(), "web-1") {
		t.Fatalf("after a 429: %+v", recs)
	}
	// Deliveries too: a rate-limited delivery is retried, not dropped.
	h.fake.RateLimit(2, 20*time.Millisecond)
	if err := h.a.Deliver(context.Background(), session.Address{Channel: "discord", Account: alice.ID}, session.Outbound{Parts: []session.Part{&session.Text{Text: "pushed"}}}); err != nil {
		t.Fatal(err)
	}
	dm := h.fake.DMChannel(alice.ID)
	ms := h.fake.Messages(dm)
	if last := ms[len(ms)-1]; last.Content != "pushed" || h.fake.RateLimited() != 3 {
		t.Fatalf("delivery: %+v", last)
	}
}

// A delivery addressed to an account only opens the DM (UserChannelCreate).
func TestDeliverOpensDM(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	d, err := h.a.Direct(context.Background(), bob.ID)
	if err != nil || d.Chat != h.fake.DMChannel(bob.ID) || d.Account != bob.ID || d.Channel != "discord" {
		t.Fatalf("direct: %+v %v", d, err)
	}
	if err := h.a.Deliver(context.Background(), session.Address{Channel: "discord", Account: bob.ID}, session.Outbound{Parts: []session.Part{&session.Error{Code: "not_found", Message: "No *such* server."}}}); err != nil {
		t.Fatal(err)
	}
	ms := h.fake.Messages(d.Chat)
	if len(ms) != 1 || ms[0].Content != `✗ No \*such\* server. [not\_found]` {
		t.Fatalf("delivered %+v", ms)
	}
}
