package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Bot is one Discord application's bot: its configuration block and,
// once provisioned, its running adapter.
type Bot struct {
	chatkit.BotBlock
	// PublicKey (hex) enables HTTP interactions at /hooks/discord/<name>
	// (set the application's Interactions Endpoint URL to it); without
	// it, button presses arrive over the gateway.
	PublicKey string `json:"public_key,omitempty"`
	// APIURL is where REST and the gateway lookup go, default
	// https://discord.com/.
	APIURL string `json:"api_url,omitempty"`
}

// Discord registers itself as the module "channels.discord"; its block
// `discord:` maps bot names to bots (docs/channels.md#discord).
func init() { module.Register(new(Bot)) }

// Module names the module type.
func (*Bot) Module() module.Info {
	return module.Info{ID: "channels.discord", Instances: true, New: func() module.Module { return new(Bot) }}
}

// Validate checks the block: a token, and a well-formed public key.
func (b *Bot) Validate() error {
	if err := b.CheckToken(); err != nil {
		return err
	}
	if _, err := b.publicKey(); err != nil {
		return err
	}
	return nil
}

func (b *Bot) publicKey() (ed25519.PublicKey, error) {
	if b.PublicKey == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(b.PublicKey)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, errors.New("public_key: want the application's 64-hex-digit public key")
	}
	return ed25519.PublicKey(k), nil
}

// Provision builds the bot's adapter, which asks Discord who the bot is.
func (b *Bot) Provision(ctx context.Context, h module.Host) error {
	ch, name, token, err := b.Open(ctx, h, "discord")
	if err != nil {
		return err
	}
	pub, _ := b.publicKey() // checked by Validate
	ad, err := New(ctx, ch.Core(), Options{Name: name, Tenant: session.TenantID(b.Tenant), Token: token, PublicKey: pub, APIURL: b.APIURL, Log: h.Logger()})
	if err == nil {
		b.Runs(ad)
	}
	return err
}
