package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitReply asks text as alice until the reply holds want.
func (g *proc) waitReply(text, want string, within time.Duration) string {
	g.t.Helper()
	var last string
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		r := firstReply(g.say("demo-alice", text))
		last, _ = r["text"].(string)
		if strings.Contains(last, want) {
			return last
		}
	}
	g.t.Fatalf("%q never answered with %q; last %q\n%s", text, want, last, g.logs)
	return ""
}

// PRO-01 PRO-04: a fresh serve with the embedded default raises the
// certificate finding at start (blog.acme.test, 5 days left), and an
// incident injected with `steward demo incident` shows within the next
// passes, without anyone asking first.
func TestProfileAtStartAndDemoIncident(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "fast.yaml")
	if err := os.WriteFile(cfg, []byte("profile: {every: 2s, jitter: 500ms}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startCmd(t, data, []string{"STEWARD_ALERTMANAGER_TOKEN=profile-test-token"}, []string{"--config", cfg})
	got := g.waitReply("anything wrong?", "The certificate of blog.acme.test expires in 5 days", 30*time.Second)
	if strings.Contains(got, "web-2") {
		t.Fatalf("web-2 alerted before any incident: %q", got)
	}
	out, errOut, code := runCmd(t, "", "demo", "incident", "--data", data, "--config", cfg, "web-2", "cpu")
	if code != 0 || !strings.Contains(out, "A cpu incident runs on web-2") {
		t.Fatalf("demo incident: %d %q %q", code, out, errOut)
	}
	g.waitReply("anything wrong?", "web-2: cpu_percent is 9", 30*time.Second)
	g.stop()
}
