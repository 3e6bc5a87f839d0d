package conformance

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A gateway that does not keep the contract fails the MUST rows and the
// command returns an error (so `make test` fails).
func TestFailingGatewayFails(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"replies":[{"type":"text","text":"done"}]}`)) // runs everything, asks nothing
	}))
	defer bad.Close()
	var out bytes.Buffer
	err := Run(context.Background(), []string{"--addr", strings.TrimPrefix(bad.URL, "http://")}, &out, &out, nil, 2)
	if err == nil || !strings.Contains(err.Error(), "SAFE-03") {
		t.Fatalf("want SAFE-03 to fail: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "fail") {
		t.Fatalf("table: %s", out.String())
	}
}
