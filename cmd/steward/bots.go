package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/steward-os/steward/channels"
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
	for _, cr := range cfg.BotCredentials() {
		v, err := configs.Secret(cr.What, cr.Env, cr.File, os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cr.Bot, err)
		}
		out[cr.Bot+"."+cr.What] = v
	}
	return out, nil
}

// openBots builds the adapters; any that cannot start stops start-up.
func openBots(ctx context.Context, cfg *configs.Config, core channels.ChatCore, secrets map[string]string, log *slog.Logger) (*bots, error) {
	b := &bots{log: log, byAt: map[string]bot{}}
	for name, c := range cfg.Telegram {
		k := "telegram." + name
		a, err := telegram.New(ctx, core, telegram.Options{
			Name: name, Channel: session.ChannelID(configs.ChannelName("telegram", name)), Tenant: session.TenantID(c.Tenant),
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
			Name: name, Channel: session.ChannelID(configs.ChannelName("slack", name)), Tenant: session.TenantID(c.Tenant),
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
			Name: name, Channel: session.ChannelID(configs.ChannelName("discord", name)), Tenant: session.TenantID(c.Tenant),
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
		out = append(out, string(a.Name()))
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
	channels.WriteError(w, http.StatusNotFound, session.CodeNotFound, "No webhook is configured at this path.")
}
