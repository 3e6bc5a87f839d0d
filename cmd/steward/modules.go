package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/steward-os/steward/channels"
	_ "github.com/steward-os/steward/channels/all" // every channel of this build registers itself
	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/configs"
	_ "github.com/steward-os/steward/extensions/demo" // the demo extensions register themselves
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/mcpext" // MCP servers as extensions (extensions.mcp)
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// host is what serve gives the modules it loads: its logger, secrets
// resolved from the environment or files (and masked from then on), and
// for channels the kernel's parts, the directory and the listener's mounts.
type host struct {
	log      *slog.Logger
	masker   *kernel.Masker
	core     channels.Core
	dir      session.Directory
	mounts   *mounts
	hosts    *guard.Hosts
	instance string
	kernel   *kernel.Kernel // for extension modules: the registry an MCP server replaces its catalog in
	store    backend        // for the alerts module (alerts.go)
	alerts   *alertSlot
}

func (h *host) Logger() *slog.Logger           { return h.log }
func (h *host) Registry() mcpext.Registry      { return h.kernel }
func (h *host) Core() channels.Core            { return h.core }
func (h *host) Directory() session.Directory   { return h.dir }
func (h *host) Instance() string               { return h.instance }
func (h *host) Mount(p string, x http.Handler) { h.mounts.add(p, x) }

// Hosts are the gateway's own names (guard.HostSource): the web page's
// socket accepts their origins.
func (h *host) Hosts() *guard.Hosts { return h.hosts }

// Secret resolves a credential and registers it with the masker before
// anything can print it.
func (h *host) Secret(what, env, file string) (string, error) {
	v, err := configs.Secret(what, env, file, os.Getenv)
	if err == nil && v != "" {
		h.masker.AddSecrets(v)
	}
	return v, err
}

// with is the host for a module instance.
func (h *host) with(id module.ID, instance string) *host {
	c := *h
	c.instance = instance
	name := string(id)
	if instance != "" {
		name += "." + instance
	}
	c.log = h.log.With("module", name)
	return &c
}

// loadChannels loads every channel block of the configuration as a module
// (each instance of a module with instances), in the order of their keys.
func loadChannels(ctx context.Context, cfg *configs.Config, h *host, g *module.Group) ([]string, error) {
	var names []string
	keys := make([]string, 0, len(cfg.Channels))
	for k := range cfg.Channels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		id := module.ID("channels." + key)
		info, _ := module.Lookup(id)
		blocks := map[string]any{"": cfg.Channels[key]}
		if info.Instances {
			blocks = configs.Instances(cfg.Channels[key])
		}
		for _, inst := range sortedNames(blocks) {
			m, err := module.Load(ctx, id, blocks[inst], h.with(id, inst))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", strings.TrimSuffix(key+"."+inst, "."), err)
			}
			g.Add(m)
			if inst != "" {
				names = append(names, string(channelName(key, inst)))
			}
		}
	}
	return names, nil
}

// channelName is a bot's channel: the platform for the bot "default",
// "<platform>.<name>" for any other.
func channelName(platform, name string) session.ChannelID {
	if name == "default" {
		return session.ChannelID(platform)
	}
	return session.ChannelID(platform + "." + name)
}

func sortedNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mounts routes the listener's paths to what the modules mounted: a
// prefix takes its own path and everything below it (stripped), "/" takes
// what no other prefix does.
type mounts struct {
	mu   sync.RWMutex
	at   map[string]http.Handler
	root http.Handler
}

func (m *mounts) add(prefix string, h http.Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prefix == "/" {
		m.root = h
		return
	}
	if m.at == nil {
		m.at = map[string]http.Handler{}
	}
	m.at[strings.TrimSuffix(prefix, "/")] = h
}

// route returns the handler for a path and the path it sees.
func (m *mounts) route(path string) (http.Handler, string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for p := path; p != "" && p != "/"; p = p[:strings.LastIndexByte(p, '/')] {
		if h, ok := m.at[p]; ok {
			rest := strings.TrimPrefix(path, p)
			if rest == "" {
				rest = "/"
			}
			return h, rest
		}
	}
	return m.root, path
}
