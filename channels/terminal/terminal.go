// Package terminal is the interactive terminal channel used by
// `steward chat`: one line in, the rendered replies out.
//
// Contract. Every line goes through the same Turns as any other channel;
// proposals are confirmed by typing (no buttons): "confirm <id>", or the
// kernel's confirmation words ("yes", "no", "go ahead"), which decide the
// actor's one pending proposal below level 4, as on every channel
// (docs/conversation.md); a level-4 proposal must be confirmed with
// "confirm <id> <target name>". The terminal never decides anything itself.
package terminal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Name of the channel.
const Name session.ChannelID = "terminal"

// Terminal is a line-oriented conversation.
type Terminal struct {
	Turns channels.Turns
	// Events, when set, are followed: deliveries outside a turn (task
	// progress and results) are printed as they arrive.
	Events      channels.Events
	Actor       session.Actor
	In          io.Reader
	Out         io.Writer
	Interactive bool // print a prompt and a greeting
	Now         func() time.Time

	seq int
	mu  sync.Mutex // one writer at a time
}

// Capabilities of the terminal.
func (t *Terminal) Capabilities() channels.Capabilities {
	return channels.Capabilities{MaxText: session.MaxTextLen}
}

// Name of the channel.
func (t *Terminal) Name() session.ChannelID { return Name }

// Run reads lines until EOF, "/quit" or the end of ctx.
func (t *Terminal) Run(ctx context.Context) error {
	if t.Now == nil {
		t.Now = time.Now
	}
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(t.In)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
		close(lines)
	}()
	if t.Events != nil {
		go t.follow(ctx, t.Events)
	}
	if t.Interactive {
		fmt.Fprintf(t.Out, "Steward — signed in as %s (%s, %s). Type /help for help, /quit to leave.\n", t.Actor.ID, t.Actor.Tenant, strings.Join(t.Actor.Roles, ","))
	}
	for {
		if t.Interactive {
			fmt.Fprint(t.Out, "you> ")
		}
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			err := <-errc
			if err != nil {
				return fmt.Errorf("read input: %w", err)
			}
			return nil
		}
		line = strings.TrimSpace(line)
		switch strings.ToLower(line) {
		case "":
			continue
		case "/quit", "/exit":
			return nil
		case "/help":
			fmt.Fprintln(t.Out, "Ask in plain words, e.g. \"list my servers\" or \"restart web-1\". Changes need confirmation:\n  yes / no                      decide your one pending proposal (below level 4)\n  confirm <id> [target name]    confirm a proposal (level 4 needs the target's exact name)\n  reject <id>                   cancel a proposal")
			continue
		}
		t.seq++
		t.Line(ctx, fmt.Sprintf("term-%d-%d", t.Now().UnixNano(), t.seq), line)
	}
}

// follow prints deliveries that arrive outside a turn (task results and
// progress) as they come.
func (t *Terminal) follow(ctx context.Context, tk channels.Events) {
	var after int64
	if evs, err := tk.Events(ctx, t.Actor, 0, 0); err == nil && len(evs) > 0 {
		after = evs[len(evs)-1].ID // only what happens from now on
	}
	for ctx.Err() == nil {
		next, err := t.Deliver(ctx, tk, after, 25*time.Second)
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		after = next
	}
}

// Deliver prints the deliveries after an event id (waiting up to wait for
// one) and returns the last id printed.
func (t *Terminal) Deliver(ctx context.Context, tk channels.Events, after int64, wait time.Duration) (int64, error) {
	evs, err := tk.Events(ctx, t.Actor, after, wait)
	if err != nil {
		return after, err
	}
	for _, e := range evs {
		after = e.ID
		t.mu.Lock()
		for _, p := range e.Out.Parts {
			fmt.Fprintln(t.Out, "\n"+channels.PlainText(p, t.now()))
		}
		t.mu.Unlock()
	}
	return after, nil
}

func (t *Terminal) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// Line handles one typed line as a turn; id is its dedupe key.
func (t *Terminal) Line(ctx context.Context, id, line string) {
	in := session.Inbound{ID: id, From: session.Address{Channel: Name, Account: string(t.Actor.ID)}, Text: line, At: t.now()}
	out, err := t.Turns.Handle(ctx, t.Actor, in)
	if err != nil {
		fmt.Fprintf(t.Out, "✗ Something went wrong on our side [%s]\n", session.CodeInternal)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range out.Parts {
		fmt.Fprintln(t.Out, channels.PlainText(p, t.now()))
	}
}
