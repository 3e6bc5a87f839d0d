package discordtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, method, url, auth, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header, m
}

// The fake answers as Discord does: 401 without the bot token, 429 with
// retry_after (seconds) when told to, the message it created otherwise.
func TestREST(t *testing.T) {
	f := Start(t, Options{})
	base := f.APIURL() + "api/v9/"
	if code, _, m := do(t, "GET", base+"users/@me", "Bot wrong", ""); code != 401 || m["message"] != "401: Unauthorized" {
		t.Fatalf("bad token: %d %v", code, m)
	}
	auth := "Bot " + f.Token()
	if code, _, m := do(t, "GET", base+"gateway", auth, ""); code != 200 || !strings.HasPrefix(m["url"].(string), "ws://") {
		t.Fatalf("gateway: %d %v", code, m)
	}
	f.RateLimit(1, 1500*time.Millisecond)
	code, h, m := do(t, "POST", base+"channels/c1/messages", auth, `{"content":"hi"}`)
	if code != 429 || m["retry_after"] != 1.5 || h.Get("Retry-After") != "2" || f.RateLimited() != 1 {
		t.Fatalf("429: %d %v %v", code, h, m)
	}
	if code, _, m := do(t, "POST", base+"channels/c1/messages", auth, `{"content":"hi"}`); code != 200 || m["content"] != "hi" || m["id"] == "" {
		t.Fatalf("create: %d %v", code, m)
	}
	if code, _, _ := do(t, "POST", base+"channels/c1/messages", auth, `{"content":"`+strings.Repeat("x", 2001)+`"}`); code != 400 {
		t.Fatalf("too long: %d", code)
	}
	if r := f.Records(); len(r) != 1 || r[0].Kind != "create" || r[0].Content != "hi" {
		t.Fatalf("records %+v", r)
	}
}
