package chatkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

// Bot points at the options every chat adapter's Options hold alike
// (which bot of which platform, the tenant, the logger, the clock), for
// Open to fill in.
type Bot struct {
	// Platform is the platform's name as people know it ("Telegram"); in
	// lower case it names the channel and the bot in errors.
	Platform string
	// Name is the bot's name in the configuration ("" is "default").
	Name *string
	// Channel is the channel name; "" is the platform's ("telegram") for
	// the bot named "default", and "<platform>.<name>" for any other.
	Channel *session.ChannelID
	Tenant  session.TenantID
	Log     **slog.Logger     // nil: discard
	Now     *func() time.Time // nil: the wall clock
	// Check, when set, checks the platform's own options once the
	// defaults above are in.
	Check func() error
}

// Open fills in a bot's options and returns its bridge to the core. The
// logger becomes the bot's, which names the channel. A bot without a
// tenant, or whose Check fails, is an error that names the bot
// ("telegram ops: no tenant").
func Open(core Core, b Bot) (*Bridge, error) {
	platform := strings.ToLower(b.Platform)
	if *b.Name == "" {
		*b.Name = "default"
	}
	if *b.Channel == "" {
		*b.Channel = session.ChannelID(platform)
		if *b.Name != "default" {
			*b.Channel = session.ChannelID(platform + "." + *b.Name)
		}
	}
	if *b.Log == nil {
		*b.Log = slog.New(slog.DiscardHandler)
	}
	if *b.Now == nil {
		*b.Now = time.Now
	}
	var err error
	switch {
	case b.Tenant == "":
		err = errors.New("no tenant")
	case b.Check != nil:
		err = b.Check()
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", platform, *b.Name, err)
	}
	bridge := New(core, Options{Channel: *b.Channel, Platform: b.Platform, Tenant: b.Tenant, Log: *b.Log, Now: *b.Now})
	*b.Log = (*b.Log).With("channel", *b.Channel)
	return bridge, nil
}

// Remember records the message that shows a card (RememberCard) for the
// actor the account is linked to. A card that cannot be remembered is
// logged: it works, but is not edited when its proposal ends.
func (b *Bridge) Remember(ctx context.Context, account string, c *session.ProposalCard, ref string) {
	a, ok := b.Actor(ctx, account)
	if !ok {
		b.o.Log.WarnContext(ctx, "card without a linked actor: it will not be edited", "channel", b.o.Channel, "proposal", c.ID)
		return
	}
	if err := b.RememberCard(ctx, a, c, ref); err != nil {
		b.o.Log.ErrorContext(ctx, "remember card", "channel", b.o.Channel, "proposal", c.ID, "err", err)
	}
}

// OnlyErrors returns the first part of a reply made of errors alone (a
// refusal, shown to the person who asked only), and whether it is one.
func OnlyErrors(parts []session.Part) (*session.Error, bool) {
	var first *session.Error
	for _, p := range parts {
		e, ok := p.(*session.Error)
		if !ok {
			return nil, false
		}
		if first == nil {
			first = e
		}
	}
	return first, first != nil
}
