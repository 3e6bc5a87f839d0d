package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/chatkit"
	"github.com/steward-os/steward/channels/discord"
	"github.com/steward-os/steward/channels/slack"
	"github.com/steward-os/steward/channels/telegram"
	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/session"
)

// bot is a chat platform adapter: it runs, and answers its webhooks.
type bot interface {
	channels.Adapter
	http.Handler
}

// bots are the chat platform adapters of the configuration, by the path
// their webhooks are mounted at (/hooks/<platform>/<name>).
type bots struct {
	log  *slog.Logger
	byAt map[string]bot
	wg   sync.WaitGroup
}

// botSecrets resolves every bot credential of the configuration, so that
// a configured but missing one stops start-up and each is masked wherever
// text leaves the process.
func botSecrets(cfg *configs.Config) (map[string]string, error) {
	out := map[string]string{}
	add := func(key, what, env, file string, required bool) error {
		v, err := configs.Secret(what, env, file, os.Getenv)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if v == "" && required {
			return fmt.Errorf("%s: %s is not configured", key, what)
		}
		out[key+"."+what] = v
		return nil
	}
	for name, b := range cfg.Telegram {
		k := "telegram." + name
		if err := add(k, "token", b.TokenEnv, b.TokenFile, true); err != nil {
			return nil, err
		}
		if err := add(k, "secret", b.SecretEnv, b.SecretFile, b.Mode == "webhook"); err != nil {
			return nil, err
		}
	}
	for name, b := range cfg.Slack {
		k := "slack." + name
		if err := add(k, "token", b.TokenEnv, b.TokenFile, true); err != nil {
			return nil, err
		}
		if err := add(k, "app_token", b.AppTokenEnv, b.AppTokenFile, b.Mode == "" || b.Mode == "socket"); err != nil {
			return nil, err
		}
		if err := add(k, "signing_secret", b.SigningSecretEnv, b.SigningSecretFile, b.Mode == "events"); err != nil {
			return nil, err
		}
	}
	for name, b := range cfg.Discord {
		if err := add("discord."+name, "token", b.TokenEnv, b.TokenFile, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// openBots builds the adapters; any that cannot start stops start-up.
func openBots(ctx context.Context, cfg *configs.Config, core chatkit.Core, secrets map[string]string, log *slog.Logger) (*bots, error) {
	b := &bots{log: log, byAt: map[string]bot{}}
	for name, c := range cfg.Telegram {
		k := "telegram." + name
		a, err := telegram.New(ctx, core, telegram.Options{
			Name: name, Channel: configs.ChannelName("telegram", name), Tenant: session.TenantID(c.Tenant),
			Token: secrets[k+".token"], Mode: c.Mode, WebhookURL: c.WebhookURL, Secret: secrets[k+".secret"],
			APIURL: c.APIURL, PollTimeout: c.PollTimeout.D(), Log: log,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		b.byAt["/hooks/telegram/"+name] = a
	}
	for name, c := range cfg.Slack {
		k := "slack." + name
		a, err := slack.New(ctx, core, slack.Options{
			Name: name, Channel: configs.ChannelName("slack", name), Tenant: session.TenantID(c.Tenant),
			Token: secrets[k+".token"], Mode: c.Mode, AppToken: secrets[k+".app_token"], SigningSecret: secrets[k+".signing_secret"],
			APIURL: c.APIURL, Log: log,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		b.byAt["/hooks/slack/"+name] = a
	}
	for name, c := range cfg.Discord {
		k := "discord." + name
		var pub ed25519.PublicKey
		if c.PublicKey != "" {
			raw, err := hex.DecodeString(c.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("%s.public_key: %w", k, err)
			}
			pub = ed25519.PublicKey(raw)
		}
		a, err := discord.New(ctx, core, discord.Options{
			Name: name, Channel: configs.ChannelName("discord", name), Tenant: session.TenantID(c.Tenant),
			Token: secrets[k+".token"], PublicKey: pub, APIURL: c.APIURL, Log: log,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		b.byAt["/hooks/discord/"+name] = a
	}
	return b, nil
}

// names lists the running adapters' channel names.
func (b *bots) names() []string {
	var out []string
	for _, a := range b.byAt {
		out = append(out, a.Name())
	}
	sort.Strings(out)
	return out
}

// run starts every adapter; wait returns when all have stopped.
func (b *bots) run(ctx context.Context) {
	for _, a := range b.byAt {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			if err := a.Run(ctx); err != nil {
				b.log.Error("channel stopped", "channel", a.Name(), "err", err)
			}
		}()
	}
}

func (b *bots) wait() { b.wg.Wait() }

// ServeHTTP sends /hooks/<platform>/<name>[/…] to that bot, with the
// prefix stripped (the bot sees "/" or "/events").
func (b *bots) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/hooks/"), "/", 3)
	if len(parts) >= 2 {
		if a, ok := b.byAt["/hooks/"+parts[0]+"/"+parts[1]]; ok {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = "/", ""
			if len(parts) == 3 {
				r2.URL.Path = "/" + parts[2]
			}
			a.ServeHTTP(w, r2)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": session.CodeNotFound, "message": "No webhook is configured at this path."}})
}
