package telegram

import (
	"context"
	"errors"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels/internal/chatkit"
)

// Poll backoff after a failed getUpdates or a failed update.
const (
	pollBackoff    = 500 * time.Millisecond
	maxPollBackoff = 30 * time.Second
)

// poll long-polls getUpdates until ctx ends. The offset moves past an
// update only once it was handled (or can never be), so Telegram delivers
// an unhandled update again after a failure or a restart.
func (a *Adapter) poll(ctx context.Context) {
	offset := 0
	backoff := pollBackoff
	for ctx.Err() == nil {
		ups, err := a.bot(ctx).GetUpdates(tgbotapi.UpdateConfig{
			Offset:         offset,
			Timeout:        int(a.o.PollTimeout / time.Second),
			AllowedUpdates: []string{"message", "callback_query"},
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := backoff
			var ra *chatkit.RetryAfter
			if errors.As(classify(err), &ra) {
				d = max(ra.Wait, d)
			}
			a.log.WarnContext(ctx, "getUpdates failed", "err", err, "retry_in", d)
			if !chatkit.Sleep(ctx, d) {
				return
			}
			backoff = min(backoff*2, maxPollBackoff)
			continue
		}
		backoff = pollBackoff
		for _, u := range ups {
			if u.UpdateID < offset {
				continue
			}
			if err := a.handle(ctx, u); err != nil {
				if ctx.Err() != nil {
					return
				}
				if !chatkit.IsPermanent(err) {
					// Not confirmed: the next getUpdates returns it again.
					a.log.ErrorContext(ctx, "update not handled; fetching it again", "update", u.UpdateID, "err", err)
					chatkit.Sleep(ctx, backoff)
					backoff = min(backoff*2, maxPollBackoff)
					break
				}
				a.log.WarnContext(ctx, "update dropped", "update", u.UpdateID, "err", err)
			}
			offset = u.UpdateID + 1
		}
	}
}
