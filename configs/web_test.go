package configs

import (
	"strings"
	"testing"
)

func TestWebSection(t *testing.T) {
	c, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Web.Enabled || c.Web.MaxFrameBytes != 65536 || len(c.Web.AllowedOrigins) != 0 || c.Web.AllowMissingOrigin {
		t.Fatalf("defaults %+v", c.Web)
	}
	c, err = Load("", []string{"STEWARD_WEB_ALLOWED_ORIGINS=https://chat.example.com, http://127.0.0.1:9000"}, []string{"web.allow_missing_origin=true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Web.AllowedOrigins) != 2 || c.Web.AllowedOrigins[1] != "http://127.0.0.1:9000" || !c.Web.AllowMissingOrigin {
		t.Fatalf("overrides %+v", c.Web)
	}
	for _, bad := range []string{"web.allowed_origins=chat.example.com", "web.allowed_origins=https://x.example/path", "web.allowed_origins=ftp://x.example", "web.max_frame_bytes=10", "web.max_frame_bytes=99999999"} {
		if _, err := Load("", nil, []string{bad}); err == nil || !strings.Contains(err.Error(), "web.") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := Load("", nil, []string{"web.colour=blue"}); err == nil {
		t.Error("an unknown web key was accepted")
	}
}
