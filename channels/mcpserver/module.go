package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/session"
)

// Path is where serve mounts the streamable HTTP endpoint.
const Path = "/mcp"

func init() { module.Register(&Module{}) }

// Module is the channel's module ("channels.mcp", block mcp:).
type Module struct {
	Enabled bool `json:"enabled"`
	// SessionTimeout closes a session idle this long (default 30m).
	SessionTimeout module.Duration `json:"session_timeout,omitempty"`
	// MaxBodyBytes bounds a request's body (default 1 MiB).
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`

	host channels.Host
	srv  *Server
}

// Module implements module.Module.
func (*Module) Module() module.Info {
	return module.Info{ID: "channels.mcp", New: func() module.Module { return &Module{} }}
}

// Validate checks the block.
func (m *Module) Validate() error {
	if m.SessionTimeout.D() < 0 || m.SessionTimeout.D() > 24*time.Hour {
		return errors.New("session_timeout: want a duration up to 24h")
	}
	if m.MaxBodyBytes < 0 || m.MaxBodyBytes > 16<<20 {
		return errors.New("max_body_bytes: want at most 16 MiB")
	}
	return nil
}

// Provision finds the core and builds the server.
func (m *Module) Provision(_ context.Context, h module.Host) error {
	if !m.Enabled {
		return nil
	}
	ch, err := channels.HostOf(h)
	if err != nil {
		return err
	}
	m.host = ch
	m.srv, err = New(ch.Core(), Options{Log: h.Logger()})
	return err
}

// Start mounts /mcp.
func (m *Module) Start(context.Context) error {
	if m.srv != nil {
		m.host.Mount(Path, m.srv.Handler(m.host.Directory(), m.SessionTimeout.D(), m.MaxBodyBytes))
	}
	return nil
}

// Handler is the streamable HTTP endpoint: every request carries its
// actor's bearer token (refused 401 and audited otherwise), a session
// stays with the actor who opened it, and the standalone event stream is
// not offered (405), so that nothing outlives a request at shutdown.
func (s *Server) Handler(dir session.Directory, idle time.Duration, maxBody int64) http.Handler {
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	if maxBody <= 0 {
		maxBody = 1 << 20
	}
	h := mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		ti := auth.TokenInfoFromContext(r.Context())
		a, ok := ti.Extra["actor"].(session.Actor)
		if !ok {
			return nil
		}
		srv, err := s.For(r.Context(), a)
		if err != nil {
			s.log.Warn("mcp session refused", "actor", a.ID, "err", err)
			return nil
		}
		return srv
	}, &mcp.StreamableHTTPOptions{SessionTimeout: idle, MaxRequestBodyBytes: maxBody, Logger: s.log})
	verify := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		a, ok := dir.Authenticate(ctx, token)
		if !ok {
			s.core.Turns.Refuse(ctx, session.Refusal{Channel: Name, Code: session.CodeUnauthenticated, Detail: "bad bearer token on " + Path})
			return nil, fmt.Errorf("%w: unknown token", auth.ErrInvalidToken)
		}
		return &auth.TokenInfo{UserID: string(a.Tenant) + "/" + string(a.ID), Extra: map[string]any{"actor": a}}, nil
	}
	authed := auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Allow", "POST, DELETE")
			channels.WriteError(w, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "This server offers no standalone event stream; POST requests.")
			return
		}
		authed.ServeHTTP(w, r)
	})
}
