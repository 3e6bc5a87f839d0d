package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Discord registers itself as the module "channels.discord"; its
// configuration block `discord:` maps bot names to bots
// (docs/channels.md#discord).
func init() { module.Register(new(Bot)) }

// Bot is one Discord application's bot: its configuration block and,
// once provisioned, its adapter.
type Bot struct {
	Tenant    string `json:"tenant"`
	TokenEnv  string `json:"token_env,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
	// PublicKey (hex) enables HTTP interactions at /hooks/discord/<name>
	// (set the application's Interactions Endpoint URL to it); without
	// it, button presses arrive over the gateway.
	PublicKey string `json:"public_key,omitempty"`
	// APIURL is where REST and the gateway lookup go, default
	// https://discord.com/.
	APIURL string `json:"api_url,omitempty"`

	host    channels.Host
	adapter *Adapter
	run     chatkit.Running
}

// Module names the module type.
func (*Bot) Module() module.Info {
	return module.Info{ID: "channels.discord", New: func() module.Module { return new(Bot) }, Instances: true}
}

// Validate checks the block.
func (b *Bot) Validate() error {
	var errs []error
	if b.TokenEnv == "" && b.TokenFile == "" {
		errs = append(errs, errors.New("set token_env or token_file (the bot token)"))
	}
	if b.PublicKey != "" {
		if k, err := hex.DecodeString(b.PublicKey); err != nil || len(k) != ed25519.PublicKeySize {
			errs = append(errs, errors.New("public_key: want the application's 64-hex-digit public key"))
		}
	}
	return errors.Join(errs...)
}

// Provision resolves the bot's token and builds its adapter (which asks
// Discord who the bot is).
func (b *Bot) Provision(ctx context.Context, h module.Host) error {
	ch, name, token, err := chatkit.Instance(ctx, h, b.Tenant, b.TokenEnv, b.TokenFile)
	if err != nil {
		return err
	}
	var pub ed25519.PublicKey
	if b.PublicKey != "" {
		raw, _ := hex.DecodeString(b.PublicKey) // checked by Validate
		pub = ed25519.PublicKey(raw)
	}
	b.host = ch
	b.adapter, err = New(ctx, ch.Core(), Options{Name: name, Tenant: session.TenantID(b.Tenant), Token: token, PublicKey: pub, APIURL: b.APIURL, Log: h.Logger()})
	return err
}

// Start mounts the bot's interactions endpoint and starts it.
func (b *Bot) Start(ctx context.Context) error {
	b.run.Start(ctx, b.host, "discord", b.adapter)
	return nil
}

// Stop stops it, finishing what it started, within ctx.
func (b *Bot) Stop(ctx context.Context) error { return b.run.Stop(ctx) }
