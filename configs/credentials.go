package configs

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// tokenEnv reports whether an environment variable is named as a
// credential: a user's token_env, a model provider's api_key_env, or any
// "*_env" setting of a module block
// (a bot token's token_env, a signing secret's signing_secret_env).
func (c *Config) tokenEnv(name string) bool {
	for _, t := range c.Tenants {
		for _, u := range t.Users {
			if u.TokenEnv == name {
				return true
			}
		}
	}
	for _, p := range c.Router.Providers {
		if p.APIKeyEnv == name {
			return true
		}
	}
	for _, b := range c.Channels {
		if namesEnv(b, name) {
			return true
		}
	}
	for _, b := range c.ExtensionConfig {
		if namesEnv(b, name) {
			return true
		}
	}
	return false
}

// namesEnv reports whether a block holds name as the value of a key that
// ends in "_env", at any depth.
func namesEnv(block any, name string) bool {
	switch v := block.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && s == name && strings.HasSuffix(k, "_env") {
				return true
			}
			if namesEnv(x, name) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if namesEnv(x, name) {
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
