// Package telegram is the Telegram channel: one bot account, through the
// Bot API (github.com/go-telegram-bot-api/telegram-bot-api/v5), serving one
// tenant under one channel name ("telegram", "telegram.<name>").
//
// Contract. Updates arrive by long polling (the default) or by webhook.
// A poll loop confirms an update (advances the offset past it) only after
// it was handled, so a crash redelivers rather than loses it; a webhook
// answers 200 only after handling, and 503 when handling failed so that
// Telegram retries. A redelivered update never makes a second turn: its
// dedupe key (Inbound.ID) is the message's identity, "tg:<chat>:<message
// id>", or the callback query's, "tg:cb:<query id>", and the kernel keeps
// it durably. The account is the Telegram user id and the chat the chat
// id; replies go, as replies, to the chat the message came from. A
// proposal is a message with an inline keyboard (Confirm and Reject, or
// only Reject plus the typed instruction when a danger phrase is needed),
// edited in place, keyboard removed, when the proposal ends however it
// ended. Every callback query is answered; a refused press (someone
// else's proposal, an unlinked account, an unknown, expired or decided
// proposal) is answered to the presser only, as the callback's alert.
// Text is sent as MarkdownV2 with everything escaped, in messages of at
// most 4096 characters after escaping. A rate limit (429, retry_after)
// delays a send and never drops it. Webhook requests must carry the
// secret in X-Telegram-Bot-Api-Secret-Token (401 bad_signature otherwise,
// audited); a malformed body is 400 bad_request.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// DefaultAPIURL is the Bot API endpoint pattern (token, method).
const DefaultAPIURL = "https://api.telegram.org/bot%s/%s"

// MaxText is the longest message Telegram accepts, in characters.
const MaxText = 4096

// webhookTimeout bounds the handling of one webhook update; handling is
// detached from the request, so a dropped connection does not cut a turn.
const webhookTimeout = 2 * time.Minute

// Options configure an Adapter.
type Options struct {
	Name    string            // bot name in config ("default")
	Channel session.ChannelID // channel name: "telegram" for the bot "default", else "telegram.<name>"
	Tenant  session.TenantID

	Token       string        // the bot token from BotFather
	Mode        string        // "poll" (default) or "webhook"
	WebhookURL  string        // webhook mode: the public URL that reaches ServeHTTP
	Secret      string        // webhook mode: the secret_token Telegram sends back
	APIURL      string        // default DefaultAPIURL
	PollTimeout time.Duration // long-poll timeout, default 30s

	// SweepEvery is how often cards of ended proposals are looked for
	// (expired, or decided on another channel); default 30s.
	SweepEvery time.Duration

	HTTPClient *http.Client // nil: a default client with a timeout
	Log        *slog.Logger // nil: discard
	Now        func() time.Time
}

// Adapter is a running Telegram bot.
type Adapter struct {
	base   *tgbotapi.BotAPI // the client; bot binds it to a context
	o      Options
	bridge *chatkit.Bridge
	hook   chatkit.Webhook
	http   *http.Client
	log    *slog.Logger
	// answered holds events answered without a turn (an unlinked account),
	// so a redelivery is not answered twice; turns are deduped by the kernel.
	answered *chatkit.Recent
}

var reSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// New builds the adapter and checks the token with getMe.
func New(ctx context.Context, core chatkit.Core, o Options) (*Adapter, error) {
	bridge, err := chatkit.Open(core, chatkit.Bot{Platform: "Telegram", Name: &o.Name, Channel: &o.Channel, Tenant: o.Tenant, Log: &o.Log, Now: &o.Now, Check: o.check})
	if err != nil {
		return nil, err
	}
	base, err := tgbotapi.NewBotAPIWithClient(o.Token, o.APIURL, ctxDoer{ctx: ctx, c: o.HTTPClient})
	if err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			return nil, fmt.Errorf("telegram %s: token refused by the platform (%s)", o.Name, te.Message)
		}
		return nil, fmt.Errorf("telegram %s: reach the Bot API: %w", o.Name, err)
	}
	base.Client = o.HTTPClient
	a := &Adapter{o: o, bridge: bridge, base: base, http: o.HTTPClient, log: o.Log, answered: chatkit.NewRecent(4096)}
	a.hook = chatkit.Webhook{Body: "Telegram update", Secret: a.checkSecret, Refusal: "The request does not carry this bot's webhook secret."}
	if o.Mode != "webhook" {
		a.hook.Off = "This bot receives updates by polling; its webhook is off."
	}
	return a, nil
}

// check checks the options other than the bot's identity and fills in
// their defaults.
func (o *Options) check() error {
	if o.Token == "" {
		return errors.New("no token")
	}
	switch o.Mode {
	case "":
		o.Mode = "poll"
	case "poll":
	case "webhook":
		if o.WebhookURL == "" {
			return errors.New("webhook mode needs the webhook URL")
		}
		if !reSecret.MatchString(o.Secret) {
			return errors.New("webhook mode needs a secret of 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
		}
	default:
		return fmt.Errorf("mode %q: want poll or webhook", o.Mode)
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if strings.Count(o.APIURL, "%s") != 2 {
		return fmt.Errorf("api_url %q: want a pattern with two %%s (token, method)", o.APIURL)
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 30 * time.Second
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.PollTimeout + 30*time.Second}
	}
	return nil
}

// Name is the channel name.
func (a *Adapter) Name() session.ChannelID { return a.o.Channel }

// Capabilities says what Telegram renders.
func (a *Adapter) Capabilities() channels.Capabilities {
	return channels.Capabilities{Buttons: true, Edits: true, MaxText: MaxText}
}

// Bridge is the adapter's bridge to the core.
func (a *Adapter) Bridge() *chatkit.Bridge { return a.bridge }

// BotUsername is the bot's own @username, as getMe reported it.
func (a *Adapter) BotUsername() string { return a.base.Self.UserName }

// Run receives updates (polling, or registering the webhook ServeHTTP
// serves), delivers the core's events and edits the cards of ended
// proposals, until ctx ends; it returns nil then. It returns an error
// only when the webhook cannot be registered or polling cannot be set up
// for a reason a retry cannot fix.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.setup(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	wait := a.bridge.Serve(ctx, a, a.o.SweepEvery, a.editEnded)
	if a.o.Mode == "poll" {
		a.poll(ctx)
	}
	<-ctx.Done()
	wait()
	return nil
}

// setup registers the webhook, or removes one so getUpdates works.
func (a *Adapter) setup(ctx context.Context) error {
	what, method, params := "delete webhook", "deleteWebhook", tgbotapi.Params{}
	if a.o.Mode == "webhook" {
		what, method = "register webhook", "setWebhook"
		params = tgbotapi.Params{"url": a.o.WebhookURL, "secret_token": a.o.Secret, "allowed_updates": `["message","callback_query"]`}
	}
	_, err := chatkit.Retry(ctx, a.log, what, func(ctx context.Context) (struct{}, error) {
		_, err := a.bot(ctx).MakeRequest(method, params)
		return struct{}{}, classify(err)
	})
	if err != nil {
		return fmt.Errorf("telegram %s: %s: %w", a.o.Name, what, err)
	}
	return nil
}

// Sweep edits the cards of proposals that ended (expired, or decided on
// another channel) now; Run does it every SweepEvery.
func (a *Adapter) Sweep(ctx context.Context) error {
	return a.bridge.SweepEdit(ctx, a.editEnded)
}
