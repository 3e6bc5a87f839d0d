// Package slack is the Slack channel: one Slack app (bot user) serving one
// tenant, over Socket Mode (the default) or the Events API over HTTP.
//
// Contract. A message sent to the bot — a direct message, or a message
// that mentions it in a channel — becomes a turn for the actor its Slack
// user is linked to (chatkit.Bridge: an unlinked user is told how to link,
// and links itself by sending "link ABCD-EFGH"); the Events API event_id is
// the dedupe key, so a redelivered event never makes a second turn or
// execution. Replies go to the thread the request came from. A proposal is
// a Block Kit card with Confirm and Reject buttons (only Reject at level 4,
// which needs the typed danger phrase); a press is a decision for the
// presser, refused by the kernel unless the presser is the proposal's
// actor, and a refusal is shown only to the presser (chat.postEphemeral).
// When a proposal ends, however it ended, its card is edited in place and
// its buttons removed. Events for this channel from the core's feed are
// delivered to the address they name. Every Web API call honours Slack's
// Retry-After: a rate limit delays a message and never drops it.
//
// Addresses. Account is the Slack user id; Chat is "<channel id>" or
// "<channel id>/<thread ts>" (a message in a thread, or a reply threaded
// under the request). Inbound IDs are the Events API event_id for messages
// and the interaction's trigger_id for button presses.
//
// Webhooks (mode "events"). ServeHTTP serves "/events" (url_verification
// and event_callback) and "/interactions" (form field payload, type
// block_actions). Each request must carry a valid X-Slack-Signature over
// X-Slack-Request-Timestamp and the raw body with the signing secret, the
// timestamp within five minutes of the wall clock; otherwise 401
// bad_signature, audited. A body that cannot be read as Slack's JSON is
// 400 bad_request. A request is answered within about two seconds: a
// slower turn finishes in the background and posts its reply when ready.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// Modes.
const (
	ModeSocket = "socket"
	ModeEvents = "events"
)

// Slack's limits, and the ones this adapter keeps under.
const (
	// MaxText is the most characters of text one message carries (Slack
	// recommends at most 4000; it truncates beyond 40000).
	MaxText = 4000
	// MaxSection is the most characters of a section block's text (Slack
	// refuses more than 3000).
	MaxSection = 3000
	// maxBlocks is Slack's limit of blocks per message.
	maxBlocks = 50
)

// Options configure one Slack app.
type Options struct {
	Name    string            // bot name in config ("default")
	Channel session.ChannelID // channel name: "slack" for the bot "default", else "slack.<name>"
	Tenant  session.TenantID

	Token         string // bot token (xoxb-…)
	Mode          string // "socket" (default) or "events"
	AppToken      string // app-level token (xapp-…), socket mode
	SigningSecret string // events mode
	APIURL        string // default https://slack.com/api/

	HTTPClient *http.Client // nil: a default client with a timeout
	Log        *slog.Logger // nil: discard
	Now        func() time.Time
}

// Adapter is a running Slack app.
type Adapter struct {
	o      Options
	api    *slack.Client
	bridge *chatkit.Bridge
	hook   chatkit.Webhook
	log    *slog.Logger
	botID  string // the bot's user id
	team   string

	// ackWait bounds how long an HTTP request waits for its turn before
	// it is answered and the turn finishes in the background.
	ackWait time.Duration
	// sweepEvery is how often cards of ended proposals are looked for.
	sweepEvery time.Duration
	// handled, when set (tests), is called once an inbound event has been
	// fully handled (its replies posted, or it was ignored).
	handled func(key string)

	mu   sync.Mutex
	busy int           // handlers running in the background
	idle chan struct{} // closed when busy drops to zero
}

// New checks the options, asks Slack who the bot is (auth.test) and
// returns the adapter.
func New(ctx context.Context, core chatkit.Core, o Options) (*Adapter, error) {
	bridge, err := chatkit.Open(core, chatkit.Bot{Platform: "Slack", Name: &o.Name, Channel: &o.Channel, Tenant: o.Tenant, Log: &o.Log, Now: &o.Now, Check: o.check})
	if err != nil {
		return nil, err
	}
	a := &Adapter{o: o, bridge: bridge, log: o.Log, ackWait: 2 * time.Second, sweepEvery: 5 * time.Second}
	a.hook = chatkit.Webhook{
		Paths:   []string{"/events", "/interactions"},
		Signed:  a.signed,
		Refusal: "The request is not signed by Slack with this app's signing secret, or its timestamp is more than five minutes off.",
	}
	if o.Mode != ModeEvents {
		a.hook.Off = "This Slack app receives its events over Socket Mode, not here."
	}
	opts := []slack.Option{slack.OptionAPIURL(o.APIURL), slack.OptionHTTPClient(o.HTTPClient), slack.OptionLog(debugLog{a.log})}
	if o.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(o.AppToken))
	}
	a.api = slack.New(o.Token, opts...)
	me, err := call(ctx, a, "auth.test", func(ctx context.Context) (*slack.AuthTestResponse, error) { return a.api.AuthTestContext(ctx) })
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return nil, fmt.Errorf("slack %s: token refused by the platform (%s): %w", o.Name, se.Err, err)
		}
		return nil, fmt.Errorf("slack %s: auth.test: %w", o.Name, err)
	}
	a.botID, a.team = me.UserID, me.TeamID
	return a, nil
}

// check checks the options other than the bot's identity and fills in
// their defaults.
func (o *Options) check() error {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.APIURL == "" {
		o.APIURL = slack.APIURL
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.Mode == "" {
		o.Mode = ModeSocket
	}
	if o.Token == "" {
		return errors.New("no bot token (set token_env or token_file)")
	}
	switch o.Mode {
	case ModeSocket:
		if o.AppToken == "" {
			return errors.New("socket mode needs an app-level token (set app_token_env or app_token_file)")
		}
	case ModeEvents:
		if o.SigningSecret == "" {
			return errors.New("events mode needs the signing secret (set signing_secret_env or signing_secret_file)")
		}
	default:
		return fmt.Errorf("mode %q is neither %q nor %q", o.Mode, ModeSocket, ModeEvents)
	}
	return nil
}

// Name is the channel name.
func (a *Adapter) Name() session.ChannelID { return a.o.Channel }

// Capabilities says what Slack renders.
func (a *Adapter) Capabilities() channels.Capabilities {
	return channels.Capabilities{Buttons: true, Edits: true, Threads: true, MaxText: MaxText}
}

// Run receives events (Socket Mode; in events mode they arrive through
// ServeHTTP), delivers the core's events for this channel and edits the
// cards of proposals that ended, until ctx ends. It returns nil then, or
// the error that stopped Socket Mode for good (a refused app token).
func (a *Adapter) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wait := a.bridge.Serve(ctx, a, a.sweepEvery, a.editEnded)
	var err error
	if a.o.Mode == ModeSocket {
		err = a.runSocket(ctx)
	} else {
		<-ctx.Done()
	}
	cancel()
	wait()
	a.waitIdle()
	return err
}

// debugLog sends the client library's own log lines to slog at debug level.
type debugLog struct{ l *slog.Logger }

func (d debugLog) Output(_ int, s string) error {
	d.l.Debug(strings.TrimSpace(s), "source", "slack-go")
	return nil
}
