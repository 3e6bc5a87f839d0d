package discord

// Button presses (MESSAGE_COMPONENT interactions), from the gateway or
// over HTTP: the decision, the first answer within Discord's deadline, and
// what follows it.

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// outcome is what a press led to.
type outcome struct {
	// card is the card's new content when its proposal has ended (its
	// buttons are removed); empty when the card stays as it is.
	card string
	// ref is the remembered card message ("chat/message"), when it is not
	// the message pressed.
	ref string
	// public parts are posted in the channel, as replies to the card;
	// private ones (a press answered only with refusals) are shown to the
	// presser alone.
	public, private []session.Part
	// account is the presser's: the cards among the replies are theirs.
	account string
}

func presser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

func refusal(code, msg string) []session.Part {
	return []session.Part{&session.Error{Code: code, Message: msg}}
}

// decide runs the decision a press asks for.
func (a *Adapter) decide(ctx context.Context, i *discordgo.Interaction) outcome {
	u := presser(i)
	data, ok := i.Data.(discordgo.MessageComponentInteractionData)
	if u == nil || !ok || i.Message == nil {
		return outcome{private: refusal(session.CodeBadRequest, "That press could not be read.")}
	}
	if act, ok := chatkit.ParseAlertButton(data.CustomID); ok {
		return a.alertPress(ctx, u, i.ChannelID, act) // alerts.go
	}
	p, accept, ok := chatkit.ParseButtonData(data.CustomID)
	if !ok {
		return outcome{private: refusal(session.CodeBadRequest, "That button is not one of mine.")}
	}
	parts := a.bridge.Decide(ctx, session.Address{Account: u.ID, Chat: i.ChannelID}, i.ID, p, accept).Parts
	out := outcome{account: u.ID}
	if e, ok := a.bridge.Settle(ctx, p); ok {
		out.card = endedContent(e, a.bridge.Now())
		if e.Ref != i.ChannelID+"/"+i.Message.ID {
			out.ref = e.Ref
		}
	}
	if _, only := chatkit.OnlyErrors(parts); only {
		out.private = parts
	} else {
		out.public = parts
	}
	return out
}

// runPress decides a press and answers it: respond is called once, with
// the first answer — the edited card (UPDATE_MESSAGE), an ephemeral
// refusal, or an acknowledgement — when the decision is done within
// ackWait, else with DEFERRED_UPDATE_MESSAGE at once, the card being
// edited when the decision is done.
func (a *Adapter) runPress(ctx context.Context, i *discordgo.Interaction, respond func(*discordgo.InteractionResponse)) {
	defer a.done(i.ID)
	res := make(chan outcome, 1)
	go func() { res <- a.decide(ctx, i) }()
	t := time.NewTimer(a.ackWait)
	defer t.Stop()
	var out outcome
	fast := true
	select {
	case out = <-res:
	case <-t.C:
		fast = false
		respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate})
		out = <-res
	}
	now := a.bridge.Now()
	var private []string
	for _, m := range render(out.private, now) {
		private = append(private, m.text)
	}
	if fast {
		switch {
		case out.card != "":
			respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: &discordgo.InteractionResponseData{
				Content: out.card, Components: []discordgo.MessageComponent{}, AllowedMentions: noPings()}})
		case len(private) > 0:
			respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &discordgo.InteractionResponseData{
				Content: private[0], Components: []discordgo.MessageComponent{}, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noPings()}})
			private = private[1:]
		default:
			respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate})
		}
	}
	a.finish(ctx, i, out, private, fast)
}

// finish does what the first answer did not: the card edit of a deferred
// answer, the remembered card when it is another message, the ephemeral
// follow-ups and the public replies.
func (a *Adapter) finish(ctx context.Context, i *discordgo.Interaction, out outcome, private []string, fast bool) {
	log := a.o.Log.With("interaction", i.ID)
	if out.card != "" && i.Message != nil {
		if !fast {
			a.retry(ctx, "edit card", func(ctx context.Context) error { return a.editCard(ctx, i.ChannelID, i.Message.ID, out.card) })
		}
		if out.ref != "" {
			chat, msg, _ := strings.Cut(out.ref, "/")
			a.retry(ctx, "edit card", func(ctx context.Context) error { return a.editCard(ctx, chat, msg, out.card) })
		}
	}
	for _, text := range private {
		a.retry(ctx, "ephemeral reply", func(ctx context.Context) error {
			_, err := a.s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral,
				Components: []discordgo.MessageComponent{}, AllowedMentions: noPings()}, discordgo.WithContext(ctx))
			return classify("follow-up", err)
		})
	}
	if len(out.public) > 0 {
		replyTo := ""
		if i.Message != nil {
			replyTo = i.Message.ID
		}
		if err := a.post(ctx, i.ChannelID, replyTo, out.account, out.public); err != nil {
			log.ErrorContext(ctx, "reply to press", "err", err)
		}
	}
}

func (a *Adapter) retry(ctx context.Context, what string, fn func(context.Context) error) {
	if _, err := chatkit.Retry(ctx, a.o.Log, what, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }); err != nil {
		a.o.Log.ErrorContext(ctx, what, "err", err)
	}
}

// onGatewayInteraction answers an interaction that came over the gateway,
// by REST.
func (a *Adapter) onGatewayInteraction(ctx context.Context, i *discordgo.Interaction) {
	respond := func(r *discordgo.InteractionResponse) {
		a.retry(ctx, "answer interaction", func(ctx context.Context) error {
			return classify("answer interaction", a.s.InteractionRespond(i, r, discordgo.WithContext(ctx)))
		})
	}
	if i.Type != discordgo.InteractionMessageComponent {
		defer a.done(i.ID)
		respond(noCommands())
		return
	}
	a.runPress(ctx, i, respond)
}

// noCommands answers an interaction other than a button press: the bot
// registers no commands.
func noCommands() *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &discordgo.InteractionResponseData{
		Content: "I have no commands: send me a message instead.", Flags: discordgo.MessageFlagsEphemeral,
		Components: []discordgo.MessageComponent{}, AllowedMentions: noPings()}}
}
