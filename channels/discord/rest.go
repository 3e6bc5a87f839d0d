package discord

// REST plumbing: where requests go, and what a failed call means for a
// retry.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/internal/chatkit"
)

// rewriter sends discordgo's requests (built on https://discord.com/,
// whose Endpoint variables must not be changed) to the configured API URL.
type rewriter struct {
	base *url.URL
	next http.RoundTripper
}

func rewrite(base *url.URL, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if base.String() == DefaultAPIURL {
		return next
	}
	return rewriter{base: base, next: next}
}

func (rw rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "discord.com" {
		return rw.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme = rw.base.Scheme
	r.URL.Host = rw.base.Host
	r.Host = rw.base.Host
	if p := strings.TrimSuffix(rw.base.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
		if r.URL.RawPath != "" {
			r.URL.RawPath = p + r.URL.RawPath
		}
	}
	return rw.next.RoundTrip(r)
}

// classify maps a discordgo error for chatkit.Retry: a rate limit is a
// RetryAfter (the call waits and is made again), a 4xx other than 429 is
// permanent (a retry cannot fix it), anything else may be retried.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %w", what, err)
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return &chatkit.RetryAfter{Wait: rl.RetryAfter, Err: err}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		if c := re.Response.StatusCode; c >= 400 && c < 500 && c != http.StatusTooManyRequests {
			return chatkit.Permanent(err)
		}
	}
	return err
}
