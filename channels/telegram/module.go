package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Telegram registers itself as the module "channels.telegram"; its
// configuration block `telegram:` maps bot names to bots
// (docs/channels.md#telegram).
func init() { module.Register(new(Bot)) }

// Bot is one Telegram bot's configuration block and, once provisioned,
// its running adapter (Start and Stop come from chatkit.BotBlock).
type Bot struct {
	chatkit.BotBlock
	// Mode is "poll" (long polling, the default) or "webhook".
	Mode string `json:"mode,omitempty"`
	// WebhookURL is the public https URL that reaches this server's
	// /hooks/telegram/<name>; registered with setWebhook at start.
	WebhookURL string `json:"webhook_url,omitempty"`
	// The webhook secret (X-Telegram-Bot-Api-Secret-Token); webhook mode.
	SecretEnv  string `json:"secret_env,omitempty"`
	SecretFile string `json:"secret_file,omitempty"`
	// APIURL is the Bot API endpoint pattern (token, method); default
	// https://api.telegram.org/bot%s/%s, or a self-hosted Bot API server.
	APIURL      string          `json:"api_url,omitempty"`
	PollTimeout module.Duration `json:"poll_timeout,omitempty"`
}

// Module names the module type: one Bot per name in the block.
func (*Bot) Module() module.Info {
	return module.Info{ID: "channels.telegram", New: func() module.Module { return new(Bot) }, Instances: true}
}

// Validate checks the block.
func (b *Bot) Validate() error {
	errs := []error{b.CheckToken()}
	switch b.Mode {
	case "", "poll":
	case "webhook":
		if u, err := url.Parse(b.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("webhook_url %q: webhook mode needs the public https URL that reaches /hooks/telegram/<name>", b.WebhookURL))
		}
		if b.SecretEnv == "" && b.SecretFile == "" {
			errs = append(errs, errors.New("webhook mode needs secret_env or secret_file (the secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token)"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want poll or webhook", b.Mode))
	}
	if b.PollTimeout.D() < 0 || b.PollTimeout.D() > 50*time.Second {
		errs = append(errs, errors.New("poll_timeout: want 0–50s"))
	}
	return errors.Join(errs...)
}

// Provision resolves the bot's secrets and builds its adapter, which asks
// Telegram who the bot is (getMe).
func (b *Bot) Provision(ctx context.Context, h module.Host) error {
	ch, name, token, err := b.Open(ctx, h, "telegram")
	if err != nil {
		return err
	}
	secret, err := h.Secret("secret", b.SecretEnv, b.SecretFile)
	if err != nil {
		return err
	}
	a, err := New(ctx, ch.Core(), Options{Name: name, Tenant: session.TenantID(b.Tenant), Token: token, Mode: b.Mode,
		WebhookURL: b.WebhookURL, Secret: secret, APIURL: b.APIURL, PollTimeout: b.PollTimeout.D(), Log: h.Logger()})
	if err == nil {
		b.Runs(a)
	}
	return err
}
