package kernel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/steward-os/steward/extensions/demo"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/internal/offline"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store/sqlite"
)

// Issue 14, one test per numbered item: its original phrasing and at least
// three more. Channel-level items are also in channeltest (conversation.go).

// DIA-01: answering the kernel's own question completes the request.
func TestDIA01_AnswerCompletesTheRequest(t *testing.T) {
	converse(t,
		conversation{name: "original: the type", as: kt.Bob, turns: []convTurn{
			ask("point api.acme.test at 203.0.113.50", "Which type"),
			act("A", "hosting.add_dns_record", kv{"zone": "acme.test", "name": "api", "type": "A", "value": "203.0.113.50"}),
		}},
		conversation{name: "original: an A record", as: kt.Bob, turns: []convTurn{
			ask("point api.acme.test at 203.0.113.50"),
			act("an A record", "hosting.add_dns_record", kv{"type": "A", "value": "203.0.113.50"}),
		}},
		conversation{name: "original: which server", as: kt.Bob, turns: []convTurn{
			ask("restart the web server", "web-1"),
			act("web-1", "hosting.restart_server", kv{"server": "web-1"}),
		}},
		conversation{name: "original: which task", as: kt.Bob, turns: []convTurn{
			ask("complete a task"),
			act("T-3", "tasks.complete_task", kv{"task": "T-3"}),
		}},
		conversation{name: "a size", as: kt.Bob, turns: []convTurn{
			ask("resize db-1"),
			act("xl", "hosting.resize_server", kv{"server": "db-1", "size": "xl"}),
		}},
		conversation{name: "by ordinal, on another channel", as: kt.Bob, turns: []convTurn{
			ask("reboot the web server").on("telegram"),
			act("the first one", "hosting.restart_server", kv{"server": "web-1"}).on("slack"),
		}},
		conversation{name: "anything else is a new request, and the question is dropped once", as: kt.Bob, turns: []convTurn{
			ask("restart the web server"),
			act("list the databases on db-1", "hosting.list_databases", kv{"server": "db-1"}).says("dropped my earlier question"),
			act("web-2", "hosting.get_server", kv{"server": "web-2"}).not("dropped"),
		}},
	)
}

// DIA-01: the pending question survives a restart of the kernel.
func TestDIA01_QuestionSurvivesRestart(t *testing.T) {
	rt := offline.New(offline.Options{})
	e := kt.New(t, kt.Options{Router: rt, Planner: rt})
	if out := e.Say(t, kt.Bob, "restart the web server"); !strings.Contains(kt.TextOf(out), "Which server") {
		t.Fatalf("no question: %s", kt.Dump(out))
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, e.Data, nil) // a second process over the same store
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := kernel.New(kernel.Config{TurnsPerMinute: 1 << 30}, kernel.Deps{Store: st, Directory: e.Dir, Router: rt, Planner: rt, Clock: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range demo.Extensions(demo.WithClock(e.Clock.Now)) {
		if _, err := k.Load(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	out, err := k.Handle(ctx, kt.Bob, session.Inbound{From: session.Address{Channel: "web"}, Text: "web-2", At: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	c := kt.Card(t, out)
	if c.Tool != "hosting.restart_server" || !strings.Contains(string(c.Args), `"web-2"`) {
		t.Fatalf("after restart: %s", kt.Dump(out))
	}
}

// DIA-04: an answer from the ledger does not contradict a later change.
func TestDIA04_FreshAnswers(t *testing.T) {
	converse(t,
		conversation{name: "original", as: kt.Bob, turns: []convTurn{
			act("show my open tasks", "tasks.list_tasks", kv{"status": "pending"}),
			act("complete T-3", "tasks.complete_task", kv{"task": "T-3"}),
			reply("which ones are still open?", "read at").not("T-3"),
		}},
		conversation{name: "another actor's change", as: kt.Bob, turns: []convTurn{
			act("show alice's tasks", "tasks.list_tasks", kv{"assignee": "alice"}),
			act("complete T-1", "tasks.complete_task", kv{"task": "T-1"}).by(kt.Alice),
			reply("which of them are pending?", "T-2").not("T-1"),
		}},
		conversation{name: "a stopped server", as: kt.Bob, turns: []convTurn{
			act("list the servers", "hosting.list_servers", nil),
			act("stop web-2", "hosting.stop_server", kv{"server": "web-2"}),
			confirmT("yes", "hosting.stop_server"),
			reply("which of them are running?", "web-1").not("web-2"),
		}},
		conversation{name: "a started server", as: kt.Bob, turns: []convTurn{
			act("list the servers", "hosting.list_servers", nil),
			act("start staging-1", "hosting.start_server", kv{"server": "staging-1"}),
			reply("how many of them are stopped?", "0 of the 4"),
		}},
	)
}

// DIA-02: follow-ups keep the question.
func TestDIA02_FollowUps(t *testing.T) {
	converse(t,
		conversation{name: "original", as: kt.Bob, turns: []convTurn{
			act("how is web-1 doing? cpu and memory please", "hosting.server_metrics", kv{"server": "web-1"}),
			act("what about web-2?", "hosting.server_metrics", kv{"server": "web-2"}),
			act("and db-1?", "hosting.server_metrics", kv{"server": "db-1"}),
		}},
		conversation{name: "original: stop it after a restart", as: kt.Bob, turns: []convTurn{
			act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
			confirmT("yes", "hosting.restart_server"),
			act("stop it", "hosting.stop_server", kv{"server": "web-1"}),
		}},
		conversation{name: "same for", as: kt.Bob, turns: []convTurn{
			act("back up orders", "hosting.backup_database", kv{"database": "orders"}),
			act("same for analytics", "hosting.backup_database", kv{"database": "analytics"}),
		}},
		conversation{name: "a person", as: kt.Bob, turns: []convTurn{
			act("show carol's tasks", "tasks.list_tasks", kv{"assignee": "carol"}),
			act("how about alice?", "tasks.list_tasks", kv{"assignee": "alice"}),
		}},
		conversation{name: "a correction", as: kt.Bob, turns: []convTurn{
			act("list servers in eu-west", "hosting.list_servers", kv{"region": "eu-west"}),
			act("sorry, us-east", "hosting.list_servers", kv{"region": "us-east"}),
		}},
	)
}

// DIA-03: confirmation words over the API (the web page and every other
// channel: channeltest's conversation scenarios).
func TestDIA03_ConfirmationWords(t *testing.T) {
	converse(t,
		conversation{name: "yes", as: kt.Bob, turns: []convTurn{
			act("restart web-2", "hosting.restart_server", kv{"server": "web-2"}),
			confirmT("yes", "hosting.restart_server"),
		}},
		conversation{name: "no", as: kt.Bob, turns: []convTurn{
			act("resize web-1 to xl", "hosting.resize_server", kv{"server": "web-1"}),
			rejectT("no"),
		}},
		conversation{name: "reject that", as: kt.Bob, turns: []convTurn{
			act("restart db-1", "hosting.restart_server", kv{"server": "db-1"}),
			rejectT("reject that"),
		}},
		conversation{name: "go ahead at level 3", as: kt.Bob, turns: []convTurn{
			act("stop web-1", "hosting.stop_server", kv{"server": "web-1"}),
			confirmT("go ahead", "hosting.stop_server"),
		}},
		conversation{name: "cancel", as: kt.Bob, turns: []convTurn{
			act("tell alice the deploy is done", "messaging.send_message", kv{"to": "alice"}),
			rejectT("cancel"),
		}},
		conversation{name: "several pending", as: kt.Bob, turns: []convTurn{
			act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
			act("restart web-2", "hosting.restart_server", kv{"server": "web-2"}),
			reply("yes", "Which one?"),
		}},
		conversation{name: "level 4 needs the phrase", as: kt.Alice, turns: []convTurn{
			act("delete staging-1", "hosting.delete_server", kv{"server": "staging-1"}),
			reply("yes", "confirmation phrase"),
		}},
		conversation{name: "another actor's proposal is not mine", as: kt.Bob, turns: []convTurn{
			act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
			reply("yes", "nothing waiting").by(kt.Alice),
		}},
	)
}

// Issue 14 item 5: typos in verbs, nouns and names.
func TestIssue14_Typos(t *testing.T) {
	converse(t,
		conversation{name: "restrat", as: kt.Bob, turns: []convTurn{act("restrat web-1", "hosting.restart_server", kv{"server": "web-1"})}},
		conversation{name: "shwo sevrers", as: kt.Bob, turns: []convTurn{act("shwo me the sevrers", "hosting.list_servers", nil)}},
		conversation{name: "severs", as: kt.Bob, turns: []convTurn{act("list my severs", "hosting.list_servers", nil)}},
		conversation{name: "databses", as: kt.Bob, turns: []convTurn{act("lsit the databses on db-1", "hosting.list_databases", kv{"server": "db-1"})}},
		conversation{name: "a name", as: kt.Bob, turns: []convTurn{act("back up analytcs", "hosting.backup_database", kv{"database": "analytics"})}},
		conversation{name: "message text is never corrected", as: kt.Bob, turns: []convTurn{
			act("send carol a note saying lunch is at noon", "messaging.send_message", kv{"to": "carol", "body": "lunch is at noon"}),
		}},
	)
}

// Issue 14 item 6: messages are delivered and read.
func TestIssue14_Inbox(t *testing.T) {
	converse(t,
		conversation{name: "original", as: kt.Bob, turns: []convTurn{
			act("let alice know the backup is done", "messaging.send_message", kv{"to": "alice"}),
			confirmT("yes", "messaging.send_message"),
			reply("any messages for me?", "the backup is done").by(kt.Alice),
			reply("show my inbox", "from bob").by(kt.Alice),
			reply("read my messages", "the backup is done").by(kt.Alice),
			reply("read message m-1", "the backup is done").by(kt.Alice),
			reply("show my inbox", "0 message").by(kt.Carol),
		}},
	)
	// The recipient is told at once, on her channel, like a task result.
	rt := offline.New(offline.Options{})
	e := kt.New(t, kt.Options{Router: rt, Planner: rt})
	ctx := context.Background()
	if _, err := e.K.Handle(ctx, kt.Alice, session.Inbound{From: session.Address{Channel: "telegram"}, Text: "hello", At: e.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	kt.Card(t, e.Say(t, kt.Bob, "tell alice lunch is at noon"))
	if out := e.Say(t, kt.Bob, "yes"); !strings.Contains(kt.TextOf(out), "sent") {
		t.Fatalf("send: %s", kt.Dump(out))
	}
	evs, err := e.Store.Events(ctx, session.SessionFor(kt.Alice), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		if s := string(ev.Out); strings.Contains(s, "lunch is at noon") && strings.Contains(s, `"telegram"`) && strings.Contains(s, "from bob") {
			found = true
		}
	}
	if !found {
		t.Fatalf("alice was not told on telegram: %+v", evs)
	}
}

// DIA-05: another tenant's names are not found, never answered for one's own.
func TestDIA05_OtherTenantsNames(t *testing.T) {
	const notFound = "Not found"
	converse(t,
		conversation{name: "original: a zone", as: kt.Dave, turns: []convTurn{reply("show acme.test dns records", notFound).not("globex.test")}},
		conversation{name: "original: a person", as: kt.Dave, turns: []convTurn{reply("what tasks does bob have?", notFound).not("T-1")}},
		conversation{name: "a server", as: kt.Dave, turns: []convTurn{reply("restart web-1", notFound)}},
		conversation{name: "a possessive", as: kt.Dave, turns: []convTurn{reply("show carol's tasks", notFound)}},
		conversation{name: "a name that exists nowhere", as: kt.Dave, turns: []convTurn{reply("show nowhere.test dns records", notFound)}},
		conversation{name: "one's own names still work", as: kt.Dave, turns: []convTurn{act("show globex.test dns records", "hosting.list_dns_records", kv{"zone": "globex.test"})}},
	)
}

// Issue 14 item 8: a status question reads status.
func TestIssue14_StatusQuestionReads(t *testing.T) {
	converse(t,
		conversation{name: "original", as: kt.Bob, turns: []convTurn{act("is web-2 running now?", "hosting.get_server", kv{"server": "web-2"})}},
		conversation{name: "up", as: kt.Bob, turns: []convTurn{act("is staging-1 up?", "hosting.get_server", kv{"server": "staging-1"})}},
		conversation{name: "a list", as: kt.Bob, turns: []convTurn{act("are any servers stopped?", "hosting.list_servers", nil)}},
		conversation{name: "a question never changes", as: kt.Bob, turns: []convTurn{reply("is db-1 stopped?").not("proposal")}},
	)
}

// Issue 14 item 9: a change with nothing to do is not proposed.
func TestIssue14_Preconditions(t *testing.T) {
	converse(t,
		conversation{name: "original", as: kt.Bob, turns: []convTurn{reply("stop staging-1", "already stopped — nothing to do")}},
		conversation{name: "shut down", as: kt.Bob, turns: []convTurn{reply("shut down staging-1", "already stopped")}},
		conversation{name: "start a running one", as: kt.Bob, turns: []convTurn{reply("start web-1", "already running")}},
		conversation{name: "a real change still proposes", as: kt.Bob, turns: []convTurn{act("stop web-2", "hosting.stop_server", kv{"server": "web-2"})}},
	)
}

// Issue 14 item 10: greetings and thanks.
func TestIssue14_Greetings(t *testing.T) {
	converse(t,
		conversation{name: "original", as: kt.Bob, turns: []convTurn{
			reply("hi, what can you do?", "servers").not("sorry"),
			reply("thanks!").not("sorry"),
		}},
		conversation{name: "more", as: kt.Bob, turns: []convTurn{
			reply("hello").not("sorry"),
			reply("good morning!").not("sorry"),
			reply("thank you").not("sorry"),
		}},
	)
}
