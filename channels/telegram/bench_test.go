package telegram_test

import (
	"testing"

	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
)

// BenchmarkWebhookTurn is one read turn through the whole Telegram path:
// the fake Bot API posts an update to the webhook, the adapter verifies
// it, runs the turn on a real kernel (SQLite, audit) and sends the reply
// back through the real client library to the fake.
func BenchmarkWebhookTurn(b *testing.B) {
	e := kerneltest.New(b, kerneltest.Options{})
	r := start(b, e, rigOptions{})
	r.link(b, tgAlice, kerneltest.Alice)
	chat := telegramtest.Private(tgAlice)
	for b.Loop() {
		r.say(b, tgAlice, chat, `hosting.list_servers {}`)
	}
}
