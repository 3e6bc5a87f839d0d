package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/steward-os/steward/channels/terminal"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/session"
)

// demoCmd is `steward demo incident [flags] SERVER METRIC`: it injects an
// incident into the demo world (the hosting tool inject_incident, as a
// structured call of --as, audited like any call) on the data directory a
// running gateway uses, so its next refresh pass sees it (docs/profile.md).
func demoCmd(ctx context.Context, m *kernel.Masker, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "incident" {
		return errors.New("usage: steward demo incident [--as USER] [--minutes N] [--clear] SERVER cpu|memory|disk")
	}
	var c common
	fs := flags("demo incident", &c, stderr)
	minutes := fs.Int("minutes", 0, "how long the incident lasts (default 30)")
	clear := fs.Bool("clear", false, "end the incident now")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: steward demo incident [--as USER] [--minutes N] [--clear] SERVER cpu|memory|disk")
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := openApp(ctx, cfg, m, stderr, false)
	if err != nil {
		return err
	}
	defer a.Close()
	actor, err := a.actorFor(ctx, c.as)
	if err != nil {
		return err
	}
	if err := a.kernel.RecordActAs(ctx, actor, terminal.Name); err != nil {
		return err
	}
	callArgs, _ := json.Marshal(map[string]any{"server": fs.Arg(0), "metric": fs.Arg(1), "minutes": *minutes, "clear": *clear})
	in := session.Inbound{ID: fmt.Sprintf("demo-incident-%d", time.Now().UnixNano()), From: session.Address{Channel: terminal.Name, Account: string(actor.ID)},
		Call: &session.Call{Tool: "hosting.inject_incident", Args: callArgs}, At: time.Now()}
	out, err := a.kernel.Handle(ctx, actor, in)
	if err != nil {
		return err
	}
	for _, p := range out.Parts {
		switch v := p.(type) {
		case *session.Text:
			fmt.Fprintln(stdout, v.Text)
		case *session.Error:
			return fmt.Errorf("%s: %s", v.Code, v.Message)
		case *session.ProposalCard:
			fmt.Fprintf(stdout, "%s — confirm with: steward chat --as %s, then \"confirm %s\"\n", v.Summary, actor.ID, v.ID)
		}
	}
	return nil
}
