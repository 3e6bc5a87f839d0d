package messaging

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

func call(t *testing.T, env sdk.Env, tool string, c sdk.Caller, args any) (any, error) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return sdktest.Handler(Extension(), tool).Invoke(context.Background(), c, env, raw)
}

// Issue 14 item 6: a message sent is in the recipient's inbox, and only
// there; reading it marks it read.
func TestInboxListAndRead(t *testing.T) {
	env := sdktest.NewEnv(sdktest.NewState(), acme...)
	alice := sdk.Caller{Actor: "alice", Tenant: "acme", Roles: []string{"admin"}}
	carol := sdk.Caller{Actor: "carol", Tenant: "acme", Roles: []string{"viewer"}, Manager: "alice"}
	for _, body := range []string{"the backup is done", "lunch at noon"} {
		if _, err := call(t, env, "send_message", bob, a{"to": "alice", "body": body}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := call(t, env, "list_messages", alice, a{})
	if err != nil {
		t.Fatal(err)
	}
	in := out.(Inbox)
	if in.Total != 2 || in.Unread != 2 || in.Messages[0].Body != "lunch at noon" || in.Messages[0].From != "bob" {
		t.Fatalf("alice's inbox = %+v", in)
	}
	out, err = call(t, env, "list_messages", carol, a{})
	if err != nil || out.(Inbox).Total != 0 {
		t.Fatalf("carol sees %+v, %v", out, err)
	}
	first := in.Messages[1].ID
	if _, err := call(t, env, "read_message", carol, a{"message": first}); code(err) != sdk.CodeNotFound {
		t.Fatalf("carol read alice's message: %v", err)
	}
	m, err := call(t, env, "read_message", alice, a{"message": first})
	if err != nil || m.(Received).Body != "the backup is done" || !m.(Received).Read {
		t.Fatalf("read = %+v, %v", m, err)
	}
	out, _ = call(t, env, "list_messages", alice, a{"unread": true})
	if in := out.(Inbox); in.Unread != 1 || len(in.Messages) != 1 || in.Messages[0].Body != "lunch at noon" {
		t.Fatalf("unread = %+v", in)
	}
	if _, err := call(t, env, "read_message", alice, a{"message": "latest"}); code(err) != sdk.CodeInvalid {
		t.Fatalf("bad id: %v", err)
	}
}
