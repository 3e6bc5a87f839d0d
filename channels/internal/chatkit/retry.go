package chatkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// RetryAfter is a platform's "slow down": the call may be made again after
// Wait. Adapters wrap their client library's rate-limit error in it.
type RetryAfter struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfter) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.Wait, e.Err)
}
func (e *RetryAfter) Unwrap() error { return e.Err }

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks an error that a retry cannot fix (the chat is gone, the
// payload is refused); Retry returns it at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Retry attempts is how many times Retry tries a call that fails for a
// reason other than a rate limit (network errors, 5xx).
const RetryAttempts = 5

// MaxRetryWait bounds a single retry-after wait.
const MaxRetryWait = 5 * time.Minute

// Retry calls fn until it succeeds, ctx ends, it returns a Permanent
// error, or it has failed RetryAttempts times for reasons other than a
// rate limit. A RetryAfter error waits as the platform asked and does not
// count as an attempt: rate limits delay a message, never drop it.
func Retry[T any](ctx context.Context, log *slog.Logger, what string, fn func(context.Context) (T, error)) (T, error) {
	backoff := 200 * time.Millisecond
	failures := 0
	for {
		v, err := fn(ctx)
		if err == nil || IsPermanent(err) || ctx.Err() != nil {
			return v, err
		}
		var ra *RetryAfter
		if errors.As(err, &ra) {
			wait := min(max(ra.Wait, 50*time.Millisecond), MaxRetryWait)
			log.WarnContext(ctx, "rate limited", "what", what, "retry_after", wait)
			if !Sleep(ctx, wait) {
				return v, ctx.Err()
			}
			continue
		}
		failures++
		if failures >= RetryAttempts {
			return v, fmt.Errorf("%s: %d attempts: %w", what, failures, err)
		}
		log.WarnContext(ctx, "retrying", "what", what, "attempt", failures, "err", err)
		if !Sleep(ctx, backoff) {
			return v, ctx.Err()
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// Sleep waits for d or until ctx ends, and reports whether the wait was
// not cut short.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
