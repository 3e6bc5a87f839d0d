// Package mcpext loads MCP servers as extensions: the tools a server
// lists become an extension's catalog, behind the same gate, audit and
// ledger as a Go extension's tools.
//
// Contract. Each configured server is an instance of the module
// "extensions.mcp" (block extension_config.mcp.<name>; the name is the
// extension's id). Provision connects to the server (a command over stdio,
// or a streamable HTTP URL), lists its tools and synthesises a manifest
// from them and the server's overlay (safety levels, scopes, targets,
// danger phrase, backup, examples); the kernel validates and binds it by
// the manifest rules, all or nothing. Annotations are untrusted hints:
// they may raise a tool's level above its overlay, never lower it; a tool
// with neither is the worst case (level 3, opaque: "unknown external
// effect"); a tool destructive by its hints with no overlay is refused
// (rule X002). Secrets the server needs (environment values, headers)
// come from the environment or files through the module host, which masks
// them from then on; a stdio server gets only the variables its block
// names, plus PATH, HOME and LANG. A tool list change is re-validated and
// the kernel's catalog replaced atomically (Registry.Replace): a bad
// change keeps the old catalog and raises an issue. A server that stops is
// restarted with back-off; meanwhile its tools answer "unavailable". The
// package is a kernel part, not an extension: it needs the MCP client
// library and the manifest rules, which an extension may not import.
package mcpext

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/steward-os/steward/kernel/manifest"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/module"
)

// ModuleID is the module every MCP server is an instance of.
const ModuleID module.ID = "extensions.mcp"

func init() { module.Register(&Server{}) }

// Registry is what a loaded MCP extension needs from the kernel: to
// replace its catalog when the server's tool list changes (*kernel.Kernel
// has it).
type Registry interface {
	Replace(ctx context.Context, e sdk.Extension) ([]manifest.Issue, error)
}

// RegistryHost is a module host that lends the kernel's registry (the
// program's host does; without it a tool list change is only logged).
type RegistryHost interface {
	Registry() Registry
}

// Value is a setting's value: written in the block (value), or a secret
// read from an environment variable (env) or a file (file), masked from
// then on; prefix is put before it ("Bearer ").
type Value struct {
	Value  string `json:"value,omitempty"`
	Env    string `json:"env,omitempty"`
	File   string `json:"file,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// Server is one MCP server's block, and the module instance that serves
// it as an extension.
type Server struct {
	// Tenants the server serves; empty: every tenant.
	Tenants []string `json:"tenants,omitempty"`
	// Command and Args start a stdio server; Env is its environment.
	Command string           `json:"command,omitempty"`
	Args    []string         `json:"args,omitempty"`
	Env     map[string]Value `json:"env,omitempty"`
	// URL is a streamable HTTP server's endpoint; Headers go with every
	// request.
	URL     string           `json:"url,omitempty"`
	Headers map[string]Value `json:"headers,omitempty"`
	// Overlay gives what MCP does not (docs/mcp.md), inline or from a
	// file (YAML or JSON).
	Overlay     *Overlay `json:"overlay,omitempty"`
	OverlayFile string   `json:"overlay_file,omitempty"`
	// ConnectTimeout bounds connecting and listing tools (default 20s).
	ConnectTimeout module.Duration `json:"connect_timeout,omitempty"`
	// KeepAlive pings the server this often to notice that it stopped
	// (default 15s).
	KeepAlive module.Duration `json:"keepalive,omitempty"`
	// RestartMin and RestartMax bound the back-off between restarts
	// (defaults 1s and 1m).
	RestartMin module.Duration `json:"restart_min,omitempty"`
	RestartMax module.Duration `json:"restart_max,omitempty"`

	name string
	conn *conn
}

// Module implements module.Module.
func (*Server) Module() module.Info {
	return module.Info{ID: ModuleID, New: func() module.Module { return &Server{} }, Instances: true}
}

var reEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the block (no I/O).
func (s *Server) Validate() error {
	var errs []error
	switch {
	case s.Command == "" && s.URL == "":
		errs = append(errs, errors.New("give command (a stdio server) or url (a streamable HTTP server)"))
	case s.Command != "" && s.URL != "":
		errs = append(errs, errors.New("give command or url, not both"))
	case s.URL != "":
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("url %q: want an http or https URL", s.URL))
		}
		if len(s.Env) > 0 || len(s.Args) > 0 {
			errs = append(errs, errors.New("env and args are for a command; an HTTP server takes headers"))
		}
	case len(s.Headers) > 0:
		errs = append(errs, errors.New("headers are for an HTTP server; a command takes env"))
	}
	for k, v := range s.Env {
		if !reEnvName.MatchString(k) {
			errs = append(errs, fmt.Errorf("env.%s: not a variable name", k))
		}
		errs = append(errs, v.check("env."+k))
	}
	for k, v := range s.Headers {
		errs = append(errs, v.check("headers."+k))
	}
	if s.Overlay != nil && s.OverlayFile != "" {
		errs = append(errs, errors.New("give overlay or overlay_file, not both"))
	}
	if s.Overlay != nil {
		errs = append(errs, s.Overlay.check())
	}
	for _, d := range []struct {
		name string
		v    module.Duration
	}{{"connect_timeout", s.ConnectTimeout}, {"keepalive", s.KeepAlive}, {"restart_min", s.RestartMin}, {"restart_max", s.RestartMax}} {
		if d.v.D() < 0 || d.v.D() > time.Hour {
			errs = append(errs, fmt.Errorf("%s: want a duration between 0 and 1h", d.name))
		}
	}
	return errors.Join(errs...)
}

func (v Value) check(path string) error {
	n := 0
	for _, s := range []string{v.Value, v.Env, v.File} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%s: give exactly one of value, env and file", path)
	}
	return nil
}

// Provision resolves the server's secrets, reads its overlay, connects,
// lists its tools and synthesises the extension; the connection is kept
// (and restarted when it stops) until Stop or Cleanup.
func (s *Server) Provision(ctx context.Context, h module.Host) error {
	if ih, ok := h.(interface{ Instance() string }); ok {
		s.name = ih.Instance()
	}
	if s.name == "" {
		return errors.New("an MCP server needs a name (extension_config.mcp.<name>)")
	}
	ov, err := s.overlay()
	if err != nil {
		return err
	}
	env, err := resolve(h, "env", s.Env)
	if err != nil {
		return err
	}
	headers, err := resolve(h, "headers", s.Headers)
	if err != nil {
		return err
	}
	var reg Registry
	if rh, ok := h.(RegistryHost); ok {
		reg = rh.Registry()
	}
	c := newConn(s, ov, env, headers, reg, h.Logger())
	if err := c.open(ctx); err != nil {
		c.close()
		return fmt.Errorf("mcp server %s: %w", s.name, err)
	}
	s.conn = c
	return nil
}

// Extension is the server as an extension: the manifest synthesised from
// its current tool list and the overlay, and a handler per tool.
func (s *Server) Extension() sdk.Extension {
	if s.conn == nil {
		return sdk.Extension{}
	}
	return s.conn.extension()
}

// Stop closes the connection (and stops restarting it).
func (s *Server) Stop(context.Context) error { return s.Cleanup() }

// Cleanup closes the connection when the module never started.
func (s *Server) Cleanup() error {
	if s.conn != nil {
		s.conn.close()
	}
	return nil
}

// resolve reads a block's values, secrets through the host (masked from
// then on).
func resolve(h module.Host, what string, vs map[string]Value) (map[string]string, error) {
	out := make(map[string]string, len(vs))
	for k, v := range vs {
		val := v.Value
		if val == "" {
			s, err := h.Secret(what+"."+k, v.Env, v.File)
			if err != nil {
				return nil, err
			}
			if s == "" {
				return nil, fmt.Errorf("%s.%s: the variable %s is not set", what, k, v.Env)
			}
			val = s
		}
		out[k] = v.Prefix + val
	}
	return out, nil
}
