package configs

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
)

// Credential is one secret a chat bot is configured with: where it comes
// from (an environment variable or a file; at most one is used, the
// variable first).
type Credential struct {
	Bot  string // "telegram.default"
	What string // "token", "secret", "app_token", "signing_secret"
	Env  string
	File string
}

// BotCredentials lists every credential the chat bots name, in a stable
// order; one with neither Env nor File set is not configured (Validate
// says which ones a bot needs).
func (c *Config) BotCredentials() []Credential {
	var out []Credential
	for _, name := range sortedKeys(c.Telegram) {
		b := c.Telegram[name]
		out = append(out, Credential{"telegram." + name, "token", b.TokenEnv, b.TokenFile}, Credential{"telegram." + name, "secret", b.SecretEnv, b.SecretFile})
	}
	for _, name := range sortedKeys(c.Slack) {
		b := c.Slack[name]
		out = append(out, Credential{"slack." + name, "token", b.TokenEnv, b.TokenFile}, Credential{"slack." + name, "app_token", b.AppTokenEnv, b.AppTokenFile},
			Credential{"slack." + name, "signing_secret", b.SigningSecretEnv, b.SigningSecretFile})
	}
	for _, name := range sortedKeys(c.Discord) {
		b := c.Discord[name]
		out = append(out, Credential{"discord." + name, "token", b.TokenEnv, b.TokenFile})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *Config) tokenEnv(name string) bool {
	for _, cr := range c.BotCredentials() {
		if cr.Env == name {
			return true
		}
	}
	for _, t := range c.Tenants {
		for _, u := range t.Users {
			if u.TokenEnv == name {
				return true
			}
		}
	}
	return false
}

// DemoTokensAllowed reports whether the address is loopback only, where
// demo tokens may be used.
func DemoTokensAllowed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Token resolves a user's credential from the environment or a file. It
// returns "" when the user has none configured, and an error when one is
// configured but missing or empty (never a silent fallback).
func (u User) Token(getenv func(string) string) (string, error) {
	return Secret("token", u.TokenEnv, u.TokenFile, getenv)
}

// Secret resolves a credential named by an environment variable (env) or
// a file: "" when neither is set, an error when one is set but missing
// or empty. what names the setting in errors ("token" for token_env).
func Secret(what, env, file string, getenv func(string) string) (string, error) {
	switch {
	case env != "":
		tok := strings.TrimSpace(getenv(env))
		if tok == "" {
			return "", fmt.Errorf("%s_env %s is not set or empty", what, env)
		}
		return tok, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read %s file: %w", what, err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("%s_file %s is empty", what, file)
		}
		return tok, nil
	}
	return "", nil
}
