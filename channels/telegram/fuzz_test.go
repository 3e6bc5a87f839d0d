package telegram_test

import (
	"net/http"
	"testing"

	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// FuzzTelegramUpdate: any body Telegram's webhook could post (the secret
// right, so the body is what is tested), through the running adapter over
// a real kernel. The answer is 200, 400 bad_request or 503 unavailable,
// never anything else; a refusal has a stable code and a plain message;
// a body that names a member twice or two differing only in case is
// refused, never handled; the handler never hangs (the request is bounded
// by the adapter's webhook timeout and the test's).
func FuzzTelegramUpdate(f *testing.F) {
	for _, s := range []string{
		`{"update_id":900001,"message":{"message_id":77,"from":{"id":111,"is_bot":false,"first_name":"Alice"},"chat":{"id":111,"type":"private"},"date":1,"text":"hosting.restart_server {\"server\":\"web-1\"}"}}`,
		`{"update_id":900002,"message":{"message_id":78,"from":{"id":111,"is_bot":false,"first_name":"Alice"},"chat":{"id":111,"type":"private"},"date":1,"text":"list my servers"}}`,
		`{"update_id":900003,"callback_query":{"id":"cb1","from":{"id":111,"is_bot":false,"first_name":"Alice"},"message":{"message_id":79,"chat":{"id":111,"type":"private"},"date":1},"data":"a:p_abc234"}}`,
		`{"update_id":900004,"message":{"message_id":80,"from":{"id":999,"is_bot":false,"first_name":"Eve"},"chat":{"id":999,"type":"private"},"date":1,"text":"link ABCD-EFGH"}}`,
		`{"update_id":900005,"message":{"message_id":81,"from":{"id":111,"is_bot":false,"first_name":"Alice"},"From":{"id":222},"chat":{"id":111,"type":"private"},"date":1,"text":"hi"}}`,
		`{"update_id":900006,"update_id":900007}`,
		`{"update_id":`, `{"hello":"world"}`, `{"update_id":"seven"}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	e := kerneltest.New(f, kerneltest.Options{})
	r := start(f, e, rigOptions{})
	r.link(f, tgAlice, kerneltest.Alice)
	url := r.hook.URL + "/hooks/telegram/default/"
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{"Content-Type": {"application/json"}, "X-Telegram-Bot-Api-Secret-Token": {secret}}
		status, out := fuzzcheck.Post(t, url, h, body)
		code := fuzzcheck.Answer(t, status, out, body, http.StatusOK, http.StatusBadRequest, http.StatusServiceUnavailable)
		if code == "" && httpjson.CheckNames(body) != nil {
			t.Fatalf("a body with a name twice or two differing only in case was handled: %q", body)
		}
		if status == http.StatusBadRequest && code != session.CodeBadRequest {
			t.Fatalf("400 with code %s", code)
		}
	})
}
