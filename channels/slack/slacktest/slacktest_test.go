package slacktest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-os/steward/channels/slack/slacktest"
)

// The fake speaks the wire the real client library expects: its answers,
// its errors, its 429, and signatures the library's verifier accepts.
func TestFakeWithRealClient(t *testing.T) {
	fake := slacktest.Start(t, slacktest.Options{})
	ctx := context.Background()
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()))

	me, err := api.AuthTestContext(ctx)
	if err != nil || me.UserID != fake.BotUserID() {
		t.Fatalf("auth.test: %v %+v", err, me)
	}
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(fake.APIURL())).AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Fatalf("wrong token: %v", err)
	}

	fake.RateLimit("chat.postMessage", 1, 2*time.Second)
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second || fake.Limited("chat.postMessage") != 1 {
		t.Fatalf("429: %v", err)
	}
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false), slack.MsgOptionTS("1.2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", "9.9", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Fatalf("update of a missing message: %v", err)
	}
	m, ok := fake.MessageAt("C1", ts)
	calls := fake.Calls()
	if !ok || m.Text != "edited" || m.ThreadTS != "1.2" || len(calls) != 2 || calls[1].Method != "chat.update" {
		t.Fatalf("state %+v %+v", m, calls)
	}
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}})
	if err != nil || ch.ID != slacktest.DMChannel("U1") {
		t.Fatalf("conversations.open: %v %+v", err, ch)
	}

	body := []byte(`{"type":"url_verification","challenge":"c"}`)
	h := http.Header{}
	fake.SignHeader(h, time.Now(), body)
	sv, err := slack.NewSecretsVerifier(h, fake.SigningSecret())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Fatalf("signature refused by the library: %v", err)
	}
}
