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
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/chatkit"
	"github.com/steward-os/steward/session"
)

// DefaultAPIURL is the Bot API endpoint pattern (token, method).
const DefaultAPIURL = "https://api.telegram.org/bot%s/%s"

// MaxText is the longest message Telegram accepts, in characters.
const MaxText = 4096

// Options configure an Adapter.
type Options struct {
	Name    string            // bot name in config ("default")
	Channel session.ChannelID // channel name, from configs.ChannelName("telegram", Name)
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
	o      Options
	bridge *chatkit.Bridge
	base   *tgbotapi.BotAPI
	http   *http.Client
	log    *slog.Logger
	// answered holds events answered without a turn (an unlinked account),
	// so a redelivery is not answered twice; turns are deduped by the kernel.
	answered *chatkit.Recent
}

var reSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// New builds the adapter and checks the token with getMe.
func New(ctx context.Context, core chatkit.Core, o Options) (*Adapter, error) {
	if o.Name == "" {
		o.Name = "default"
	}
	if o.Channel == "" {
		o.Channel = "telegram"
		if o.Name != "default" {
			o.Channel = session.ChannelID("telegram." + o.Name)
		}
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("telegram %s: "+format, append([]any{o.Name}, args...)...)
	}
	if o.Tenant == "" {
		return nil, fail("no tenant")
	}
	if o.Token == "" {
		return nil, fail("no token")
	}
	switch o.Mode {
	case "":
		o.Mode = "poll"
	case "poll":
	case "webhook":
		if o.WebhookURL == "" {
			return nil, fail("webhook mode needs the webhook URL")
		}
		if !reSecret.MatchString(o.Secret) {
			return nil, fail("webhook mode needs a secret of 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
		}
	default:
		return nil, fail("mode %q: want poll or webhook", o.Mode)
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if strings.Count(o.APIURL, "%s") != 2 {
		return nil, fail("api_url %q: want a pattern with two %%s (token, method)", o.APIURL)
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
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Log = o.Log.With("channel", o.Channel)
	bot, err := tgbotapi.NewBotAPIWithClient(o.Token, o.APIURL, ctxDoer{ctx: ctx, c: o.HTTPClient})
	if err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			return nil, fail("token refused by the platform (%s)", te.Message)
		}
		return nil, fail("reach the Bot API: %w", err)
	}
	bot.Client = o.HTTPClient
	return &Adapter{
		o:        o,
		bridge:   chatkit.New(core, chatkit.Options{Channel: o.Channel, Platform: "Telegram", Tenant: o.Tenant, Log: o.Log, Now: o.Now}),
		base:     bot,
		http:     o.HTTPClient,
		log:      o.Log,
		answered: chatkit.NewRecent(4096),
	}, nil
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
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.bridge.Pump(ctx, a); err != nil && ctx.Err() == nil {
			a.log.ErrorContext(ctx, "deliveries stopped", "err", err)
		}
	})
	wg.Go(func() { a.bridge.Watch(ctx, a.o.SweepEvery, a.editEnded) })
	if a.o.Mode == "poll" {
		a.poll(ctx)
	}
	<-ctx.Done()
	wg.Wait()
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
	ended, err := a.bridge.Sweep(ctx)
	if err != nil {
		return fmt.Errorf("sweep cards: %w", err)
	}
	var errs []error
	for _, e := range ended {
		if _, err := chatkit.Retry(ctx, a.log, "edit card", func(ctx context.Context) (struct{}, error) { return struct{}{}, a.editEnded(ctx, e) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
