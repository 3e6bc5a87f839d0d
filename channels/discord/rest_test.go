package discord

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/internal/chatkit"
)

// A rate limit the client surfaces is a RetryAfter with Discord's wait; a
// refusal (4xx) is permanent; a server error may be retried.
func TestClassify(t *testing.T) {
	t.Parallel()
	rl := &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{RetryAfter: 1500 * time.Millisecond}, URL: "x"}}
	var ra *chatkit.RetryAfter
	if err := classify("send", rl); !errors.As(err, &ra) || ra.Wait != 1500*time.Millisecond || !errors.Is(err, rl) {
		t.Fatalf("rate limit: %v", err)
	}
	forbidden := &discordgo.RESTError{Response: &http.Response{StatusCode: 403, Status: "403 Forbidden"}}
	if err := classify("send", forbidden); !chatkit.IsPermanent(err) {
		t.Fatalf("403: %v", err)
	}
	unavailable := &discordgo.RESTError{Response: &http.Response{StatusCode: 503, Status: "503"}}
	if err := classify("send", unavailable); chatkit.IsPermanent(err) || errors.As(err, &ra) {
		t.Fatalf("503: %v", err)
	}
	if classify("send", nil) != nil {
		t.Fatal("nil")
	}
}
