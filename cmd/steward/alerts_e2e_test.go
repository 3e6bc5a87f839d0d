package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
)

// alertsDoc configures the bots and an on-call setup where alice is
// always on call and erin is the second level, erinAfter later.
func alertsDoc(bots, tick, erinAfter, alice, erin string) string {
	return bots + fmt.Sprintf(`
alerts:
  tick: %s
  tenants:
    acme:
      alertmanager: {token_env: E2E_AM_TOKEN}
      schedules:
        primary: {rotation: [alice], start: "2020-01-06T00:00:00Z", shift: 168h}
      policies:
        default:
          levels:
            - {targets: ["schedule:primary"]}
            - {delay: %s, targets: ["user:erin"]}
      policy: default
      users:
        alice: {rules: %s}
        erin: {rules: %s}
`, tick, erinAfter, alice, erin)
}

func amPayload(status, fp, startsAt string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"version":"4","groupKey":"g","status":%q,"receiver":"steward","groupLabels":{},"commonLabels":{},
"commonAnnotations":{},"externalURL":"http://am","alerts":[{"status":%q,"labels":{"alertname":"HostDown","instance":"web-2","severity":"critical"},
"annotations":{"summary":"web-2 is not answering"},"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z","fingerprint":%q}]}`, status, status, startsAt, fp))
}

// PRO-04, PRO-06: an Alertmanager POST reaches the on-call person's preferred channel
// (Slack), then Telegram after its delay; with no ack it escalates to
// the next level; a resend pages nobody; an ack pressed on Slack edits
// the Slack and Telegram copies and stops the pages still pending.
func TestAlertsEndToEnd(t *testing.T) {
	tg := telegramtest.Start(t, telegramtest.Options{})
	sl := slacktest.Start(t, slacktest.Options{})
	cfg := filepath.Join(t.TempDir(), "steward.yaml")
	bots := fmt.Sprintf(`
telegram:
  default: {tenant: acme, token_env: E2E_TG_TOKEN, api_url: "%s", poll_timeout: 1s}
slack:
  default: {tenant: acme, token_env: E2E_SLACK_BOT, mode: events, signing_secret_env: E2E_SLACK_SIGNING, api_url: "%s"}
`, tg.APIURL(), sl.APIURL())
	// alice: Slack at once, Telegram after 2 s; erin 4 s later.
	doc := alertsDoc(bots, "200ms", "4s", "{critical: [{channel: slack}, {channel: telegram, after: 2s}]}", "{default: [{channel: telegram}]}")
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startCmd(t, t.TempDir(), []string{"E2E_TG_TOKEN=" + tg.Token, "E2E_SLACK_BOT=" + sl.BotToken(),
		"E2E_SLACK_SIGNING=" + sl.SigningSecret(), "E2E_AM_TOKEN=am-secret"}, []string{"--config", cfg})
	sl.SetEventsURL(g.base + "/hooks/slack/default")
	linkTG := func(token string, u telegramtest.User) {
		_, m := g.post(token, "/v1/links", nil)
		tg.WaitConfirmed(t, tg.SendText(t, u, telegramtest.Private(u), "link "+m["code"].(string)))
	}
	alice, erin := telegramtest.User{ID: 111, FirstName: "Alice"}, telegramtest.User{ID: 333, FirstName: "Erin"}
	linkTG("demo-alice", alice)
	linkTG("demo-erin", erin)
	_, m := g.post("demo-alice", "/v1/links", nil)
	ctx := context.Background()
	if _, res, err := sl.Message(ctx, slacktest.Message{User: "UALICE", Channel: slacktest.DMChannel("UALICE"), Text: "link " + m["code"].(string)}); err != nil || res.Status != 200 {
		t.Fatalf("slack link: %v %+v", err, res)
	}
	if st, m := g.post("wrong", "/hooks/alertmanager/acme", amPayload("firing", "fp1", "2026-03-02T09:59:00Z")); st != 401 || !strings.Contains(fmt.Sprint(m), "unauthenticated") {
		t.Fatalf("wrong token: %d %v", st, m)
	}

	// The page: Slack first.
	n, seq := len(sl.Calls()), tg.Seq()
	start := time.Now()
	if st, m := g.post("am-secret", "/hooks/alertmanager/acme", amPayload("firing", "fp1", "2026-03-02T09:59:00Z")); st != 200 {
		t.Fatalf("alertmanager: %d %v", st, m)
	}
	calls, ok := sl.Wait(n, 10*time.Second, func(c []slacktest.Call) bool { return len(c) > 0 && strings.Contains(c[0].Text, "HostDown on web-2") })
	if !ok {
		t.Fatalf("no Slack page: %+v\n%s", sl.Since(n), g.logs)
	}
	page := calls[0]
	if !strings.Contains(string(page.Blocks), "al:a:al_") {
		t.Fatalf("the Slack card has no Ack button: %s", page.Blocks)
	}
	g.post("am-secret", "/hooks/alertmanager/acme", amPayload("firing", "fp1", "2026-03-02T09:59:00Z")) // a resend
	// Telegram after 2 s, then erin 4 s after the first page (no ack).
	tgPages := func(chat int64) []telegramtest.Event {
		var out []telegramtest.Event
		for _, e := range tg.Events(seq) {
			if e.Kind == "send" && e.ChatID == chat && strings.Contains(e.Text, "HostDown") {
				out = append(out, e)
			}
		}
		return out
	}
	waitFor(t, 15*time.Second, func() bool { return len(tgPages(alice.ID)) == 1 && len(tgPages(erin.ID)) == 1 }, func() string { return fmt.Sprint(tg.Events(seq)) })
	if took := time.Since(start); took < 4*time.Second {
		t.Fatalf("escalated after %s, before its delays", took)
	}

	// Ack on Slack: every copy edited.
	id := page.Blocks[strings.Index(string(page.Blocks), "al:a:")+5:]
	alertID := string(id[:strings.IndexByte(string(id), '"')])
	n = len(sl.Calls())
	if _, res, err := sl.Press(ctx, slacktest.Press{User: "UALICE", Channel: page.Channel, MessageTS: page.TS, ActionID: "al:a:" + alertID, Value: "al:a:" + alertID}); err != nil || res.Status != 200 {
		t.Fatalf("press: %v %+v", err, res)
	}
	if _, ok := sl.Wait(n, 10*time.Second, func(c []slacktest.Call) bool {
		for _, x := range c {
			if x.Method == "chat.update" && x.TS == page.TS && strings.Contains(x.Text, "acknowledged by alice") {
				return true
			}
		}
		return false
	}); !ok {
		t.Fatalf("Slack copy not edited: %+v", sl.Since(n))
	}
	edited := func(chat int64) bool {
		for _, e := range tg.Events(seq) {
			if e.Kind == "edit" && e.ChatID == chat && strings.Contains(e.Text, "acknowledged by alice") {
				return true
			}
		}
		return false
	}
	waitFor(t, 10*time.Second, func() bool { return edited(alice.ID) && edited(erin.ID) }, func() string { return fmt.Sprint(tg.Events(seq)) })

	// A second alert acked on Slack at once: its Telegram page never goes.
	seq = tg.Seq()
	n = len(sl.Calls())
	g.post("am-secret", "/hooks/alertmanager/acme", amPayload("firing", "fp2", "2026-03-02T10:10:00Z"))
	calls, _ = sl.Wait(n, 10*time.Second, func(c []slacktest.Call) bool { return len(c) > 0 && c[len(c)-1].Method == "chat.postMessage" })
	second := calls[len(calls)-1]
	id2 := second.Blocks[strings.Index(string(second.Blocks), "al:a:")+5:]
	alert2 := string(id2[:strings.IndexByte(string(id2), '"')])
	if _, res, err := sl.Press(ctx, slacktest.Press{User: "UALICE", Channel: second.Channel, MessageTS: second.TS, ActionID: "x", Value: "al:a:" + alert2}); err != nil || res.Status != 200 {
		t.Fatalf("press: %v %+v", err, res)
	}
	time.Sleep(7 * time.Second)
	if p := tgPages(alice.ID); len(p) != 0 {
		t.Fatalf("telegram paged after the ack: %+v", p)
	}
	if p := tgPages(erin.ID); len(p) != 0 {
		t.Fatalf("escalated after the ack: %+v", p)
	}
	// A typed act over the API (as on the web page) reaches the alerts.
	if _, m := g.post("demo-alice", "/v1/messages", map[string]string{"text": "resolve " + alertID, "id": "r1"}); !strings.Contains(fmt.Sprint(m), "resolved") {
		t.Fatalf("typed resolve: %v", m)
	}
	if _, m := g.get("demo-alice", "/v1/alerts?open=1"); strings.Contains(fmt.Sprint(m), alertID) {
		t.Fatalf("resolved alert still open: %v", m)
	}
	g.stop()
}

func waitFor(t *testing.T, d time.Duration, cond func() bool, show func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s: %s", d, show())
}
