package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Slack registers itself as the module "channels.slack"; its
// configuration block `slack:` maps app names to apps
// (docs/channels.md#slack).
func init() { module.Register(new(App)) }

// App is one Slack app's configuration block (token_env names the bot
// token, xoxb-…) and, once provisioned, its running adapter.
type App struct {
	chatkit.BotBlock
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
}

// Module names the module type: one App per name in the block.
func (*App) Module() module.Info {
	return module.Info{ID: "channels.slack", New: newApp, Instances: true}
}

func newApp() module.Module { return new(App) }

// Validate checks the block: the tokens each mode needs.
func (a *App) Validate() error {
	errs := []error{a.CheckToken()}
	switch a.Mode {
	case "", "socket":
		if a.AppTokenEnv == "" && a.AppTokenFile == "" {
			errs = append(errs, errors.New("Socket Mode needs app_token_env or app_token_file (the xapp- token)"))
		}
	case "events":
		if a.SigningSecretEnv == "" && a.SigningSecretFile == "" {
			errs = append(errs, errors.New("the Events API needs signing_secret_env or signing_secret_file"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want socket or events", a.Mode))
	}
	return errors.Join(errs...)
}

// Provision resolves the app's tokens and builds its adapter, which asks
// Slack who the bot is (auth.test).
func (a *App) Provision(ctx context.Context, h module.Host) error {
	ch, name, token, err := a.Open(ctx, h, "slack")
	if err != nil {
		return err
	}
	var appToken, signing string
	if appToken, err = h.Secret("app_token", a.AppTokenEnv, a.AppTokenFile); err != nil {
		return err
	}
	if signing, err = h.Secret("signing_secret", a.SigningSecretEnv, a.SigningSecretFile); err != nil {
		return err
	}
	ad, err := New(ctx, ch.Core(), Options{Name: name, Tenant: session.TenantID(a.Tenant), Token: token, Mode: a.Mode,
		AppToken: appToken, SigningSecret: signing, APIURL: a.APIURL, Log: h.Logger()})
	if err != nil {
		return err
	}
	a.Runs(ad)
	return nil
}
