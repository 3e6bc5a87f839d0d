// Package discord is the Discord channel: one application's bot serving
// one tenant, built on chatkit.Bridge and the discordgo client.
//
// Contract. Messages arrive over the gateway (intents: guild messages,
// direct messages, message content). The bot answers every message in a
// direct conversation, and in a guild channel only a message that
// mentions it (the mention is removed from the text); it ignores bots,
// webhooks, system messages and itself. An account is an actor only
// through a verified link ("link ABCD-EFGH"); an unlinked account is told
// how to link. Replies are Discord replies to the message they answer,
// split at 2000 characters, with Discord markdown escaped and no mention
// able to ping anyone. A proposal is a message with a Confirm and a Reject
// button (levels 1–3), or only Reject and the typed "confirm <id> <exact
// name>" instruction (level 4); when the proposal ends — decided here, on
// another channel, or expired — the message is edited to its outcome and
// its buttons removed. Button presses arrive as signed HTTP interactions
// (ServeHTTP, when a public key is configured: Ed25519 over timestamp and
// body, timestamps within ±5 minutes) or over the gateway; each is
// answered within Discord's 3 seconds: with the edited card when the
// decision is done within ackWait, else deferred at once and the card
// edited when done. A press answered only with refusals (someone else's
// proposal, an unlinked account, an unknown or ended proposal) is shown to
// the presser alone (ephemeral) and changes nothing. Every event's
// platform id (message id, interaction id) is the turn's dedupe key, so a
// redelivered event never makes a second turn or execution. Deliveries
// from the core's feed are posted by bridge.Pump; a rate limit (429)
// delays a message and never drops it.
package discord

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// MaxText is Discord's limit on a message's content, in characters.
const MaxText = 2000

// Window is how far an interaction's X-Signature-Timestamp may be from
// the adapter's clock.
const Window = 5 * time.Minute

// DefaultAPIURL is where REST calls and the gateway lookup go by default.
const DefaultAPIURL = "https://discord.com/"

// Intents are the gateway intents the bot asks for. Message content is a
// privileged intent: enable it for the application in the developer
// portal.
const Intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentsMessageContent

// Options configure an Adapter.
type Options struct {
	Name    string            // bot name in config ("default")
	Channel session.ChannelID // channel name: "discord" for the bot "default", else "discord.<name>"
	Tenant  session.TenantID
	// Token is the bot token (without the "Bot " prefix; one is accepted).
	Token string
	// PublicKey is the application's Ed25519 public key; nil disables HTTP
	// interactions (presses then arrive over the gateway).
	PublicKey ed25519.PublicKey
	// APIURL is where REST calls and the gateway lookup go (default
	// https://discord.com/).
	APIURL     string
	HTTPClient *http.Client // nil: a default client with a timeout
	Log        *slog.Logger // nil: discard
	Now        func() time.Time
}

// Adapter is a running Discord bot.
type Adapter struct {
	o      Options
	label  string // "discord default", for errors
	s      *discordgo.Session
	bridge *chatkit.Bridge
	hook   chatkit.Webhook
	bot    *discordgo.User

	// ackWait is how long a press waits for its decision before it is
	// answered "deferred" (Discord allows 3 s for the first answer).
	ackWait time.Duration
	// sweepEvery is how often cards of ended proposals are looked for.
	sweepEvery time.Duration
	// onDone, when set (tests), is called when an inbound event has been
	// handled completely, with its platform id.
	onDone func(id string)

	mu      sync.Mutex
	running bool
	closed  bool
	wg      sync.WaitGroup // event handling in flight
	work    context.Context
	stop    context.CancelFunc
}

// New builds the adapter and asks Discord who the bot is (GET
// /users/@me), so a refused token is an error here.
func New(ctx context.Context, core chatkit.Core, o Options) (*Adapter, error) {
	bridge, err := chatkit.Open(core, chatkit.Bot{Platform: "Discord", Name: &o.Name, Channel: &o.Channel, Tenant: o.Tenant, Log: &o.Log, Now: &o.Now, Check: o.check})
	if err != nil {
		return nil, err
	}
	label := "discord " + o.Name
	base, _ := url.Parse(o.APIURL) // checked
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	client := *hc
	client.Transport = rewrite(base, hc.Transport)

	s, err := discordgo.New("Bot " + o.Token)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	s.Client = &client
	s.Identify.Intents = Intents
	s.StateEnabled = false
	// Rate limits are retried by chatkit.Retry (it honours ctx and
	// MaxRetryWait); discordgo would sleep without a context, forever.
	s.ShouldRetryOnRateLimit = false

	a := &Adapter{o: o, label: label, s: s, bridge: bridge, ackWait: 2 * time.Second, sweepEvery: 5 * time.Second}
	a.work, a.stop = context.WithCancel(context.Background())
	a.hook = chatkit.Webhook{Body: "Discord interaction", Signed: a.verify, Refusal: "The request signature is missing, invalid or too old."}
	if o.PublicKey == nil {
		a.hook.Off = "HTTP interactions are not enabled for this bot: set its public_key."
	}

	me, err := a.s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		a.stop()
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("%s: token refused by the platform: %w", label, err)
		}
		return nil, fmt.Errorf("%s: cannot reach the platform to learn the bot's id: %w", label, err)
	}
	if me == nil || me.ID == "" {
		a.stop()
		return nil, fmt.Errorf("%s: the platform did not say who the bot is", label)
	}
	a.bot = me
	return a, nil
}

// check checks the options other than the bot's identity: the token
// (its "Bot " prefix removed), the public key and the API URL.
func (o *Options) check() error {
	o.Token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(o.Token), "Bot "))
	if o.Token == "" {
		return errors.New("no bot token")
	}
	if o.PublicKey != nil && len(o.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("the public key must be %d bytes, got %d", ed25519.PublicKeySize, len(o.PublicKey))
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	base, err := url.Parse(o.APIURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("api_url %q is not an http(s) URL", o.APIURL)
	}
	return nil
}

// Name is the channel name.
func (a *Adapter) Name() session.ChannelID { return a.o.Channel }

// Capabilities says what Discord renders.
func (a *Adapter) Capabilities() channels.Capabilities {
	return channels.Capabilities{Buttons: true, Edits: true, MaxText: MaxText}
}

// BotID is the bot user's id.
func (a *Adapter) BotID() string { return a.bot.ID }

// Run connects to the gateway and serves until ctx ends, delivering the
// core's events (bridge.Pump) and editing the cards of proposals that
// ended elsewhere or expired (bridge.Watch). It returns nil when ctx ends,
// after the events being handled are done.
func (a *Adapter) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.running || a.closed {
		a.mu.Unlock()
		return fmt.Errorf("%s: Run called twice", a.label)
	}
	a.running = true
	a.mu.Unlock()

	offMsg := a.s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Message != nil {
			a.track(func() { a.onMessage(a.work, m.Message) })
		}
	})
	offInt := a.s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		if ic.Interaction != nil {
			a.track(func() { a.onGatewayInteraction(a.work, ic.Interaction) })
		}
	})
	defer a.shutdown()
	defer offInt()
	defer offMsg()

	// Deliveries and card edits use REST only: they run while the
	// gateway connects.
	wait := a.bridge.Serve(ctx, a, a.sweepEvery, a.editEnded)
	defer wait()
	if !a.open(ctx) {
		return nil
	}
	<-ctx.Done()
	if err := a.s.Close(); err != nil {
		a.o.Log.Warn("close gateway", "err", err)
	}
	return nil
}

// open connects to the gateway, retrying with backoff until ctx ends.
func (a *Adapter) open(ctx context.Context) bool {
	backoff := time.Second
	for {
		err := a.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			a.o.Log.InfoContext(ctx, "gateway connected", "bot", a.bot.ID)
			return true
		}
		a.o.Log.WarnContext(ctx, "gateway connect failed", "err", err, "retry_in", backoff)
		if !chatkit.Sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// track runs fn as part of the adapter's in-flight work; false after
// shutdown.
func (a *Adapter) track(fn func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
	return true
}

// shutdown stops taking events and waits for those in flight: up to 10 s
// to finish on their own, then their context is cancelled.
func (a *Adapter) shutdown() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.o.Log.Warn("events still in flight at shutdown; cancelling them")
	}
	a.stop()
	<-done
}

func (a *Adapter) done(id string) {
	if a.onDone != nil {
		a.onDone(id)
	}
}
