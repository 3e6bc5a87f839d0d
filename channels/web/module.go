package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/sdk/module"
)

// The web channel registers itself as the module "channels.web"; its
// configuration block is `web:` (docs/web.md).
func init() { module.Register(new(Module)) }

// Module is the web channel's configuration block and, once started, the
// chat page and its socket mounted at "/".
type Module struct {
	// Enabled serves the chat page at "/" and its socket at "/ws".
	Enabled bool `json:"enabled"`
	// AllowedOrigins may open a socket besides the gateway's own names
	// (server.allowed_hosts and loopback): "scheme://host[:port]" each,
	// for a page served under another name.
	AllowedOrigins []string `json:"allowed_origins"`
	// AllowMissingOrigin accepts sockets that send no Origin (non-browser
	// clients).
	AllowMissingOrigin bool `json:"allow_missing_origin"`
	// MaxFrameBytes bounds one inbound WebSocket frame.
	MaxFrameBytes int64 `json:"max_frame_bytes"`

	host channels.Host
	web  *Web
}

// Module names the module type.
func (*Module) Module() module.Info {
	return module.Info{ID: "channels.web", New: func() module.Module { return new(Module) }}
}

// Validate checks the block.
func (m *Module) Validate() error {
	var errs []error
	if m.MaxFrameBytes < 1024 || m.MaxFrameBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("max_frame_bytes %d: want 1024–1048576", m.MaxFrameBytes))
	}
	for _, o := range m.AllowedOrigins {
		if !validOrigin(o) {
			errs = append(errs, fmt.Errorf("allowed_origins %q: want scheme://host[:port] with http or https and nothing else", o))
		}
	}
	return errors.Join(errs...)
}

// validOrigin reports whether o is an http(s) origin: scheme://host[:port].
func validOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

// Provision builds the channel (when enabled).
func (m *Module) Provision(_ context.Context, h module.Host) error {
	ch, err := channels.HostOf(h)
	if err != nil {
		return err
	}
	m.host = ch
	if m.Enabled {
		m.web = New(ch.Core(), ch.Directory(), m.Options(h))
	}
	return nil
}

// Options are the channel's options from the block, with the gateway's
// own names when the host knows them (guard.HostSource).
func (m *Module) Options(h module.Host) Options {
	o := Options{AllowedOrigins: m.AllowedOrigins, AllowMissingOrigin: m.AllowMissingOrigin, MaxFrameBytes: m.MaxFrameBytes, Log: h.Logger()}
	if hs, ok := h.(guard.HostSource); ok {
		o.Hosts = hs.Hosts()
	}
	return o
}

// Start mounts the page and its socket at "/".
func (m *Module) Start(context.Context) error {
	if m.web != nil {
		m.host.Mount("/", m.web)
	}
	return nil
}

// Stop closes the sockets and waits for their turns, within ctx.
func (m *Module) Stop(ctx context.Context) error {
	if m.web == nil {
		return nil
	}
	return m.web.Shutdown(ctx)
}
