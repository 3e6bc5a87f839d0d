package configs_test

import (
	"strings"
	"testing"

	_ "github.com/steward-os/steward/channels/all" // the channels' blocks are theirs to decode
	"github.com/steward-os/steward/channels/web"
	"github.com/steward-os/steward/configs"
	_ "github.com/steward-os/steward/extensions/demo" // the extensions configured by default
	"github.com/steward-os/steward/sdk/module"
)

// webBlock decodes the web channel's block as its module does.
func webBlock(t *testing.T, c *configs.Config) *web.Module {
	t.Helper()
	m, err := module.Decode("channels.web", c.Channels["web"])
	if err != nil {
		t.Fatal(err)
	}
	return m.(*web.Module)
}

// A channel's block belongs to its module, yet is overridden like any
// other setting and checked when the configuration loads.
func TestWebSection(t *testing.T) {
	c, err := configs.Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := webBlock(t, c); !w.Enabled || w.MaxFrameBytes != 65536 || len(w.AllowedOrigins) != 0 || w.AllowMissingOrigin {
		t.Fatalf("defaults %+v", w)
	}
	c, err = configs.Load("", []string{"STEWARD_WEB_ALLOWED_ORIGINS=https://chat.example.com, http://127.0.0.1:9000"}, []string{"web.allow_missing_origin=true"})
	if err != nil {
		t.Fatal(err)
	}
	if w := webBlock(t, c); len(w.AllowedOrigins) != 2 || w.AllowedOrigins[1] != "http://127.0.0.1:9000" || !w.AllowMissingOrigin {
		t.Fatalf("overrides %+v", w)
	}
	for _, bad := range []string{"web.allowed_origins=chat.example.com", "web.allowed_origins=https://x.example/path", "web.allowed_origins=ftp://x.example", "web.max_frame_bytes=10", "web.max_frame_bytes=99999999"} {
		if _, err := configs.Load("", nil, []string{bad}); err == nil || !strings.Contains(err.Error(), "web: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := configs.Load("", nil, []string{"web.colour=blue"}); err == nil {
		t.Error("an unknown web key was accepted")
	}
}

// An extension's block is its module's; a block for an extension that is
// not loaded, or a key the module does not have, is refused.
func TestExtensionConfig(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{"extensions=hosting,nothing", "extensions.nothing is not available"},
		{"extensions=hosting,hosting", `"hosting" is listed twice`},
	} {
		if _, err := configs.Load("", nil, []string{c.set}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.set, err)
		}
	}
}
