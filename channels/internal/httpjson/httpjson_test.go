package httpjson_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/steward-os/steward/channels/internal/httpjson"
)

func TestHeadersAndBody(t *testing.T) {
	rec := httptest.NewRecorder()
	httpjson.Error(rec, http.StatusNotFound, "not_found", "No <such> page & more.")
	want := `{"error":{"code":"not_found","message":"No <such> page & more."}}` + "\n"
	if rec.Code != http.StatusNotFound || rec.Body.String() != want {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	for k, v := range map[string]string{
		"Content-Type":           "application/json; charset=utf-8",
		"Content-Length":         "66",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// A value that cannot be encoded is a 500 internal, whole.
func TestUnencodable(t *testing.T) {
	rec := httptest.NewRecorder()
	httpjson.Write(rec, http.StatusOK, map[string]any{"f": func() {}})
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != `{"error":{"code":"internal","message":"Something went wrong on our side."}}`+"\n" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
}
