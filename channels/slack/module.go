package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Slack registers itself as the module "channels.slack"; its
// configuration block `slack:` maps app names to apps
// (docs/channels.md#slack).
func init() { module.Register(new(App)) }

// App is one Slack app's configuration block and, once provisioned, its
// adapter.
type App struct {
	Tenant string `json:"tenant"`
	// The bot token (xoxb-…).
	TokenEnv  string `json:"token_env,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
	// Mode is "socket" (Socket Mode, the default) or "events" (the
	// Events API and interactivity over HTTP at /hooks/slack/<name>).
	Mode string `json:"mode,omitempty"`
	// The app-level token (xapp-…) for Socket Mode.
	AppTokenEnv  string `json:"app_token_env,omitempty"`
	AppTokenFile string `json:"app_token_file,omitempty"`
	// The signing secret for the Events API.
	SigningSecretEnv  string `json:"signing_secret_env,omitempty"`
	SigningSecretFile string `json:"signing_secret_file,omitempty"`
	// APIURL is the Web API base, default https://slack.com/api/.
	APIURL string `json:"api_url,omitempty"`

	host    channels.Host
	adapter *Adapter
	run     chatkit.Running
}

// Module names the module type.
func (*App) Module() module.Info {
	return module.Info{ID: "channels.slack", New: func() module.Module { return new(App) }, Instances: true}
}

// Validate checks the block.
func (b *App) Validate() error {
	var errs []error
	if b.TokenEnv == "" && b.TokenFile == "" {
		errs = append(errs, errors.New("set token_env or token_file (the bot token)"))
	}
	switch b.Mode {
	case "", "socket":
		if b.AppTokenEnv == "" && b.AppTokenFile == "" {
			errs = append(errs, errors.New("Socket Mode needs app_token_env or app_token_file (the xapp- token)"))
		}
	case "events":
		if b.SigningSecretEnv == "" && b.SigningSecretFile == "" {
			errs = append(errs, errors.New("the Events API needs signing_secret_env or signing_secret_file"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want socket or events", b.Mode))
	}
	return errors.Join(errs...)
}

// Provision resolves the app's secrets and builds its adapter (which asks
// Slack who the bot is).
func (b *App) Provision(ctx context.Context, h module.Host) error {
	ch, name, token, err := chatkit.Instance(ctx, h, b.Tenant, b.TokenEnv, b.TokenFile)
	if err != nil {
		return err
	}
	appToken, err := h.Secret("app_token", b.AppTokenEnv, b.AppTokenFile)
	if err != nil {
		return err
	}
	signing, err := h.Secret("signing_secret", b.SigningSecretEnv, b.SigningSecretFile)
	if err != nil {
		return err
	}
	b.host = ch
	b.adapter, err = New(ctx, ch.Core(), Options{Name: name, Tenant: session.TenantID(b.Tenant), Token: token, Mode: b.Mode,
		AppToken: appToken, SigningSecret: signing, APIURL: b.APIURL, Log: h.Logger()})
	return err
}

// Start mounts the app's webhook and starts it.
func (b *App) Start(ctx context.Context) error {
	b.run.Start(ctx, b.host, "slack", b.adapter)
	return nil
}

// Stop stops it, finishing what it started, within ctx.
func (b *App) Stop(ctx context.Context) error { return b.run.Stop(ctx) }
