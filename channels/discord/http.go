package discord

// HTTP interactions: the endpoint Discord posts presses to when the
// application's Interactions Endpoint URL is set.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/chatkit"
	"github.com/steward-os/steward/session"
)

// Window is how far an interaction's X-Signature-Timestamp may be from
// the adapter's clock.
const Window = 5 * time.Minute

// ServeHTTP is the interactions endpoint ("/" under the mount point):
// POST only, Ed25519-signed by Discord over timestamp and body, with the
// timestamp within ±5 minutes. A bad or missing signature or a stale
// timestamp is 401 bad_signature and a malformed body 400 bad_request,
// both recorded as refusals. A PING is answered PONG; a button press is
// answered within Discord's 3 seconds (see runPress).
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.URL.Path != "/" && r.URL.Path != "" {
		chatkit.WriteError(w, http.StatusNotFound, session.CodeNotFound, "There is nothing here: interactions are posted to the mount point itself.")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		chatkit.WriteError(w, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "Interactions are POSTed.")
		return
	}
	if a.o.PublicKey == nil {
		chatkit.WriteError(w, http.StatusNotFound, session.CodeNotFound, "HTTP interactions are not enabled for this bot: set its public_key.")
		return
	}
	body, ok := a.bridge.ReadWebhook(w, r)
	if !ok {
		return
	}
	if detail := a.verify(r, body); detail != "" {
		a.bridge.Refuse(ctx, session.CodeBadSignature, detail)
		chatkit.WriteError(w, http.StatusUnauthorized, session.CodeBadSignature, "The request signature is missing, invalid or too old.")
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil || i.ID == "" || i.Type == 0 {
		a.bridge.Refuse(ctx, session.CodeBadRequest, "malformed interaction")
		chatkit.WriteError(w, http.StatusBadRequest, session.CodeBadRequest, "The body is not a Discord interaction.")
		return
	}
	switch i.Type {
	case discordgo.InteractionPing:
		chatkit.WriteJSON(w, http.StatusOK, discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	case discordgo.InteractionMessageComponent:
		if i.Message == nil || i.ChannelID == "" || presser(&i) == nil {
			a.bridge.Refuse(ctx, session.CodeBadRequest, "button press without its message, channel or user")
			chatkit.WriteError(w, http.StatusBadRequest, session.CodeBadRequest, "The press names no message, channel or user.")
			return
		}
	default:
		chatkit.WriteJSON(w, http.StatusOK, noCommands())
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
	if !a.track(func() { a.runPress(a.work, &i, respond) }) {
		chatkit.WriteError(w, http.StatusServiceUnavailable, session.CodeUnavailable, "The bot is shutting down; try again shortly.")
		return
	}
	select {
	case resp := <-first:
		chatkit.WriteJSON(w, http.StatusOK, resp)
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
