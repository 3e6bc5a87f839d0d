package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
)

// The real binary runs all three chat bots from its configuration against
// fake platforms: Telegram by long polling, Slack over the Events API
// mounted at /hooks/slack/default, Discord over its gateway. An account is
// linked with a code asked for over the API, then talks; an unknown
// account is told how to link; a forged webhook is refused; no bot
// credential is written anywhere; and the server stops cleanly.
func TestChatBotsOverServe(t *testing.T) {
	tg := telegramtest.Start(t, telegramtest.Options{})
	sl := slacktest.Start(t, slacktest.Options{})
	dc := discordtest.Start(t, discordtest.Options{})
	cfg := filepath.Join(t.TempDir(), "steward.yaml")
	doc := fmt.Sprintf(`
telegram:
  default: {tenant: acme, token_env: E2E_TG_TOKEN, api_url: "%s", poll_timeout: 1s}
slack:
  default: {tenant: acme, token_env: E2E_SLACK_BOT, mode: events, signing_secret_env: E2E_SLACK_SIGNING, api_url: "%s"}
discord:
  default: {tenant: acme, token_env: E2E_DISCORD_TOKEN, api_url: "%s"}
`, tg.APIURL(), sl.APIURL(), dc.APIURL())
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	g := startCmd(t, data, []string{
		"E2E_TG_TOKEN=" + tg.Token, "E2E_SLACK_BOT=" + sl.BotToken(), "E2E_SLACK_SIGNING=" + sl.SigningSecret(), "E2E_DISCORD_TOKEN=" + dc.Token(),
	}, []string{"--config", cfg})
	if !strings.Contains(g.logs.String(), "chat_bots=\"[discord slack telegram]\"") {
		t.Fatalf("bots not started:\n%s", g.logs)
	}
	sl.SetEventsURL(g.base + "/hooks/slack/default")
	if err := dc.WaitConnected(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	code := func() string {
		st, m := g.post("demo-bob", "/v1/links", nil)
		if st != 200 {
			t.Fatalf("link code: %d %v", st, m)
		}
		return m["code"].(string)
	}

	// Telegram, by long polling.
	bob := telegramtest.User{ID: 222, FirstName: "Bob"}
	seq := tg.Seq()
	u := tg.SendText(t, bob, telegramtest.Private(bob), "link "+code())
	tg.WaitConfirmed(t, u)
	u = tg.SendText(t, bob, telegramtest.Private(bob), "list my servers")
	tg.WaitConfirmed(t, u)
	var got strings.Builder
	for _, e := range tg.Events(seq) {
		got.WriteString(e.Text + "\n")
	}
	if !strings.Contains(got.String(), "now acts as bob") || !strings.Contains(got.String(), "web-1") {
		t.Fatalf("telegram:\n%s\n%s", got.String(), g.logs)
	}

	// Slack, through the mounted Events API endpoint.
	ctx := context.Background()
	n := len(sl.Calls())
	if _, res, err := sl.Message(ctx, slacktest.Message{User: "UBOB", Channel: slacktest.DMChannel("UBOB"), Text: "list my servers"}); err != nil || res.Status != 200 {
		t.Fatalf("slack event: %v %+v", err, res)
	}
	if _, ok := sl.Wait(n, 10*time.Second, func(c []slacktest.Call) bool {
		return len(c) > 0 && strings.Contains(c[len(c)-1].Shown(), "unknown_sender")
	}); !ok {
		t.Fatalf("unknown slack user: %+v", sl.Since(n))
	}
	if _, res, err := sl.Message(ctx, slacktest.Message{User: "UBOB", Channel: slacktest.DMChannel("UBOB"), Text: "link " + code()}); err != nil || res.Status != 200 {
		t.Fatalf("slack link: %v %+v", err, res)
	}
	if _, ok := sl.Wait(n, 10*time.Second, func(c []slacktest.Call) bool {
		return len(c) > 0 && strings.Contains(c[len(c)-1].Shown(), "now acts as bob")
	}); !ok {
		t.Fatalf("slack link: %+v", sl.Since(n))
	}
	// A forged event is refused before anything is read.
	resp, err := http.Post(g.base+"/hooks/slack/default/events", "application/json", strings.NewReader(`{"type":"event_callback"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(body), "bad_signature") {
		t.Fatalf("forged slack event: %d %s", resp.StatusCode, body)
	}
	// No bot is configured at other paths.
	resp, err = http.Get(g.base + "/hooks/telegram/other")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"not_found"`) {
		t.Fatalf("unknown hook: %d %s", resp.StatusCode, body)
	}

	// Discord, over the gateway.
	id, err := dc.Say(discordtest.In{Author: discordtest.User{ID: "4242", Username: "bob"}, Content: "link " + code()})
	if err != nil {
		t.Fatal(err)
	}
	if !dc.WaitFor(10*time.Second, func([]discordtest.Record) bool { return len(dc.RepliesTo(id)) > 0 }) || !strings.Contains(dc.RepliesTo(id)[0].Content, "now acts as bob") {
		t.Fatalf("discord link: %+v\n%s", dc.Records(), g.logs)
	}

	g.stop()
	// No bot credential was written to the data directory or the log.
	secrets := []string{tg.Token, sl.BotToken(), sl.SigningSecret(), dc.Token()}
	_ = filepath.Walk(data, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a bot credential", p)
			}
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(g.logs.String(), s) {
			t.Errorf("the log holds a bot credential")
		}
	}
}

// A configured bot whose credential is missing stops start-up with a
// message naming it.
func TestChatBotMissingToken(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "steward.yaml")
	if err := os.WriteFile(cfg, []byte("telegram:\n  default: {tenant: acme, token_env: E2E_TG_UNSET}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCmd(t, "", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--config", cfg)
	if code == 0 || !strings.Contains(stderr, "telegram.default: token_env E2E_TG_UNSET is not set or empty") {
		t.Fatalf("code %d: %s", code, stderr)
	}
}
