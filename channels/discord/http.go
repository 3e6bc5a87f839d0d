package discord

// HTTP interactions: the endpoint Discord posts presses to when the
// application's Interactions Endpoint URL is set.

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// ServeHTTP is the interactions endpoint ("/" under the mount point):
// POST only, Ed25519-signed by Discord over timestamp and body, with the
// timestamp within ±5 minutes. A bad or missing signature or a stale
// timestamp is 401 bad_signature and a malformed body 400 bad_request,
// both recorded as refusals. A PING is answered PONG; a button press is
// answered within Discord's 3 seconds (see runPress).
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	i, ok := chatkit.Decode(a.bridge, w, r, &a.hook, func(i *discordgo.Interaction) bool { return i.ID != "" && i.Type != 0 })
	if !ok {
		return
	}
	switch i.Type {
	case discordgo.InteractionPing:
		httpjson.Write(w, http.StatusOK, discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	case discordgo.InteractionMessageComponent:
		if i.Message == nil || i.ChannelID == "" || presser(i) == nil {
			a.bridge.BadRequest(w, r, "button press without its message, channel or user", "The press names no message, channel or user.")
			return
		}
	default:
		httpjson.Write(w, http.StatusOK, noCommands())
		return
	}
	first := make(chan *discordgo.InteractionResponse, 1)
	var once bool
	respond := func(r *discordgo.InteractionResponse) {
		if !once {
			once = true
			first <- r
		}
	}
	if !a.track(func() { a.runPress(a.work, i, respond) }) {
		httpjson.Error(w, http.StatusServiceUnavailable, session.CodeUnavailable, "The bot is shutting down; try again shortly.")
		return
	}
	select {
	case resp := <-first:
		httpjson.Write(w, http.StatusOK, resp)
	case <-ctx.Done():
	}
}

// verify checks Discord's signature and the timestamp's window; it
// returns why a request is refused, or "".
func (a *Adapter) verify(r *http.Request, body []byte) string {
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !discordgo.VerifyInteraction(r, a.o.PublicKey) {
		if r.Header.Get("X-Signature-Ed25519") == "" || r.Header.Get("X-Signature-Timestamp") == "" {
			return "interaction without a signature"
		}
		return "interaction signature does not verify"
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	if err != nil {
		return "interaction timestamp unreadable"
	}
	if d := a.bridge.Now().Sub(time.Unix(ts, 0)); d > Window || d < -Window {
		return "interaction timestamp outside the 5-minute window"
	}
	return ""
}
