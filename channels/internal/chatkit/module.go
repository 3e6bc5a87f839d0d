package chatkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Each chat platform is the module "channels.<platform>" with instances:
// its block maps bot names to bots (telegram: {default: {…}, ops: {…}}),
// and each bot is a module value of its own. What every bot's block and
// lifecycle share is here.

var reBotName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Instance checks what every bot's block shares — its name, a tenant that
// exists, a bot token — and returns the channels' host, the bot's name
// and its token (masked from now on).
func Instance(ctx context.Context, h module.Host, tenant, tokenEnv, tokenFile string) (channels.Host, string, string, error) {
	ch, err := channels.HostOf(h)
	if err != nil {
		return nil, "", "", err
	}
	name := ch.Instance()
	if !reBotName.MatchString(name) {
		return nil, "", "", errors.New("a bot name is a lower-case letter then up to 31 of a-z, 0-9 and _")
	}
	if !slices.Contains(ch.Directory().Tenants(ctx), session.TenantID(tenant)) {
		return nil, "", "", fmt.Errorf("tenant %q: not a configured tenant", tenant)
	}
	if tokenEnv == "" && tokenFile == "" {
		return nil, "", "", errors.New("set token_env or token_file (the bot token)")
	}
	token, err := h.Secret("token", tokenEnv, tokenFile)
	if err != nil {
		return nil, "", "", err
	}
	return ch, name, token, nil
}

// Runner is a bot's adapter as its module runs it.
type Runner interface {
	http.Handler
	Name() session.ChannelID
	// Run serves until ctx ends, then returns nil.
	Run(ctx context.Context) error
}

// Running runs one bot's adapter between its module's Start and Stop:
// its webhook mounted at /hooks/<platform>/<bot>, its Run in the
// background until Stop.
type Running struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start mounts the adapter's webhook and runs it; ctx bounds the run (the
// host ends it only after Stop).
func (r *Running) Start(ctx context.Context, h channels.Host, platform string, a Runner) {
	h.Mount("/hooks/"+platform+"/"+h.Instance(), a)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r.mu.Lock()
	r.cancel, r.done = cancel, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			h.Logger().Error("channel stopped", "channel", a.Name(), "err", err)
		}
	}()
}

// Stop ends the run: the adapter stops receiving and finishes the turns
// and deliveries it started, within ctx.
func (r *Running) Stop(ctx context.Context) error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("did not stop in time: %w", ctx.Err())
	}
}

// BotBlock is what every bot's configuration block holds — its tenant
// and where its token comes from — and the run of its adapter; a
// platform's bot module embeds it and gets Start and Stop from it.
type BotBlock struct {
	Tenant    string `json:"tenant"`
	TokenEnv  string `json:"token_env,omitempty"`
	TokenFile string `json:"token_file,omitempty"`

	platform string
	host     channels.Host
	runner   Runner
	run      Running
}

// CheckToken is the block's own check: a token must be named.
func (b *BotBlock) CheckToken() error {
	if b.TokenEnv == "" && b.TokenFile == "" {
		return errors.New("set token_env or token_file (the bot token)")
	}
	return nil
}

// Open checks the block for a module instance (Instance) and returns the
// channels' host, the bot's name and its token.
func (b *BotBlock) Open(ctx context.Context, h module.Host, platform string) (channels.Host, string, string, error) {
	ch, name, token, err := Instance(ctx, h, b.Tenant, b.TokenEnv, b.TokenFile)
	b.platform, b.host = platform, ch
	return ch, name, token, err
}

// Runs sets the adapter Start runs.
func (b *BotBlock) Runs(r Runner) { b.runner = r }

// Start mounts the bot's webhook at /hooks/<platform>/<name> and starts
// its adapter.
func (b *BotBlock) Start(ctx context.Context) error {
	if b.runner == nil {
		return errors.New("the bot was not provisioned")
	}
	b.run.Start(ctx, b.host, b.platform, b.runner)
	return nil
}

// Stop stops the adapter, finishing what it started, within ctx.
func (b *BotBlock) Stop(ctx context.Context) error { return b.run.Stop(ctx) }
