// Package httpjson writes the JSON answers of the gateway's HTTP endpoints
// (the API, the web channel's refusals, the chat platforms' webhooks), so
// that every one carries the same headers and the same error form.
//
// Contract. An answer is one JSON value and a newline, with
// Content-Type "application/json; charset=utf-8", Content-Length,
// X-Content-Type-Options "nosniff" and Cache-Control "no-store"; "<", ">"
// and "&" are written as they are (the content type is never sniffed). A
// refusal is {"error":{"code":…,"message":…}} with a stable code. A value
// that cannot be encoded is answered 500 internal, never half-written.
package httpjson

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/steward-os/steward/session"
)

// internal is the body of an answer whose value could not be encoded.
const internal = `{"error":{"code":"internal","message":"Something went wrong on our side."}}` + "\n"

// Write answers with status and v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(internal)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Error answers a refusal: {"error":{"code":…,"message":…}}.
func Error(w http.ResponseWriter, status int, code, msg string) {
	Write(w, status, map[string]session.Error{"error": {Code: code, Message: msg}})
}
