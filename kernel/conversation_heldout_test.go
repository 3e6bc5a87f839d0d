package kernel_test

import kt "github.com/steward-os/steward/kernel/kerneltest"

// The multi-turn HELD-OUT set (docs/conversation.md, docs/router.md). It
// was written before any dialogue-state code existed and run once, blind;
// the blind figure is recorded in docs/router.md. Never tuned against: no
// turn is edited to pass and no rule is added for one of them.
//
// Conventions: the demo world (configs/world.yaml) of tenant acme, actor
// bob (operator, manager alice) unless a turn says otherwise; each turn is
// sent on the "api" channel unless it says another. A conversation is
// right when every turn is.
var heldOutConversations = []conversation{
	// clarifications answered
	{name: "dns type answered", as: kt.Bob, turns: []convTurn{
		ask("point api.acme.test at 203.0.113.50"),
		act("A", "hosting.add_dns_record", kv{"zone": "acme.test", "name": "api", "type": "A", "value": "203.0.113.50"}),
	}},
	{name: "dns type answered as a phrase", as: kt.Bob, turns: []convTurn{
		ask("point api.acme.test at 203.0.113.50"),
		act("an A record", "hosting.add_dns_record", kv{"zone": "acme.test", "name": "api", "type": "A"}),
	}},
	{name: "which web server", as: kt.Bob, turns: []convTurn{
		ask("restart the web server"),
		act("web-1", "hosting.restart_server", kv{"server": "web-1"}),
	}},
	{name: "which task", as: kt.Bob, turns: []convTurn{
		ask("mark a task as done"),
		act("T-3", "tasks.complete_task", kv{"task": "T-3"}),
	}},
	{name: "which size", as: kt.Bob, turns: []convTurn{
		ask("resize web-2"),
		act("large", "hosting.resize_server", kv{"server": "web-2", "size": "l"}),
	}},
	{name: "which database", as: kt.Bob, turns: []convTurn{
		ask("back up a database"),
		act("orders", "hosting.backup_database", kv{"database": "orders"}),
	}},
	{name: "message text answered", as: kt.Bob, turns: []convTurn{
		ask("send a message to carol"),
		act("the deploy is done", "messaging.send_message", kv{"to": "carol", "body": "the deploy is done"}),
	}},
	{name: "answer by ordinal", as: kt.Bob, turns: []convTurn{
		ask("reboot the web server"),
		act("the second one", "hosting.restart_server", kv{"server": "web-2"}),
	}},
	{name: "clarification abandoned for a new request", as: kt.Bob, turns: []convTurn{
		ask("stop a server"),
		act("actually, list my tasks", "tasks.list_tasks", nil),
	}},
	{name: "clarification abandoned", as: kt.Bob, turns: []convTurn{
		ask("restart the web server"),
		reply("never mind"),
	}},
	{name: "who to tell", as: kt.Bob, turns: []convTurn{
		ask("send a note saying lunch is ready"),
		act("alice", "messaging.send_message", kv{"to": "alice"}),
	}},
	{name: "which certificate", as: kt.Bob, turns: []convTurn{
		ask("renew a certificate"),
		act("blog", "hosting.renew_certificate", kv{"domain": "blog.acme.test"}),
	}},
	{name: "answer with a variant spelling", as: kt.Bob, turns: []convTurn{
		ask("snapshot a server"),
		act("db1", "hosting.snapshot_server", kv{"server": "db-1"}),
	}},
	{name: "level 4 clarified", as: kt.Alice, turns: []convTurn{
		ask("drop a database"),
		act("analytics", "hosting.drop_database", kv{"database": "analytics"}),
	}},
	{name: "asked on one channel, answered on another", as: kt.Bob, turns: []convTurn{
		ask("restart the web server").on("telegram"),
		act("web-2", "hosting.restart_server", kv{"server": "web-2"}).on("slack"),
	}},
	{name: "which server, then the other one too", as: kt.Bob, turns: []convTurn{
		ask("restart a web server"),
		act("web-2 please", "hosting.restart_server", kv{"server": "web-2"}),
		act("same for web-1", "hosting.restart_server", kv{"server": "web-1"}),
	}},

	// ellipsis
	{name: "metrics follow-ups", as: kt.Bob, turns: []convTurn{
		act("how is web-1 doing? cpu and memory please", "hosting.server_metrics", kv{"server": "web-1"}),
		act("what about web-2?", "hosting.server_metrics", kv{"server": "web-2"}),
		act("and db-1?", "hosting.server_metrics", kv{"server": "db-1"}),
	}},
	{name: "same for", as: kt.Bob, turns: []convTurn{
		act("show me web-2's metrics", "hosting.server_metrics", kv{"server": "web-2"}),
		act("same for db-1", "hosting.server_metrics", kv{"server": "db-1"}),
	}},
	{name: "sites follow-up", as: kt.Bob, turns: []convTurn{
		act("list the sites on web-2", "hosting.list_sites", kv{"server": "web-2"}),
		act("and web-1?", "hosting.list_sites", kv{"server": "web-1"}),
	}},
	{name: "people follow-ups", as: kt.Bob, turns: []convTurn{
		act("show bob's tasks", "tasks.list_tasks", kv{"assignee": "bob"}),
		act("what about alice?", "tasks.list_tasks", kv{"assignee": "alice"}),
		act("and carol?", "tasks.list_tasks", kv{"assignee": "carol"}),
	}},
	{name: "region follow-up", as: kt.Bob, turns: []convTurn{
		act("list servers in eu-west", "hosting.list_servers", kv{"region": "eu-west"}),
		act("and us-east?", "hosting.list_servers", kv{"region": "us-east"}),
	}},
	{name: "change follow-up", as: kt.Bob, turns: []convTurn{
		act("back up orders", "hosting.backup_database", kv{"database": "orders"}),
		act("same for analytics", "hosting.backup_database", kv{"database": "analytics"}),
	}},
	{name: "status follow-up", as: kt.Bob, turns: []convTurn{
		act("what's the status of db-1", "hosting.get_server", kv{"server": "db-1"}),
		act("how about staging-1?", "hosting.get_server", kv{"server": "staging-1"}),
	}},
	{name: "status question, then ellipsis", as: kt.Bob, turns: []convTurn{
		act("is web-2 running now?", "hosting.get_server", kv{"server": "web-2"}),
		act("and db-1?", "hosting.get_server", kv{"server": "db-1"}),
	}},
	{name: "ellipsis of a restart", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
		act("and web-2 too", "hosting.restart_server", kv{"server": "web-2"}),
	}},
	{name: "ellipsis is never out of scope force-fit", as: kt.Bob, turns: []convTurn{
		act("list the servers", "hosting.list_servers", nil),
		none("and the weather?"),
	}},

	// references
	{name: "start it after a list of one", as: kt.Bob, turns: []convTurn{
		act("list the stopped servers", "hosting.list_servers", kv{"status": "stopped"}),
		act("start it", "hosting.start_server", kv{"server": "staging-1"}),
	}},
	{name: "stop it after a restart", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
		confirmT("yes", "hosting.restart_server"),
		act("stop it", "hosting.stop_server", kv{"server": "web-1"}),
	}},
	{name: "count of them", as: kt.Bob, turns: []convTurn{
		act("list the servers", "hosting.list_servers", nil),
		reply("how many of them are running?", "3"),
	}},
	{name: "which one is bigger", as: kt.Bob, turns: []convTurn{
		act("list the databases on db-1", "hosting.list_databases", kv{"server": "db-1"}),
		reply("which one is bigger?", "analytics").not("which server"),
	}},
	{name: "restart it, go ahead", as: kt.Bob, turns: []convTurn{
		act("show web-2", "hosting.get_server", kv{"server": "web-2"}),
		act("restart it", "hosting.restart_server", kv{"server": "web-2"}),
		confirmT("go ahead", "hosting.restart_server"),
	}},
	{name: "back up the first one", as: kt.Bob, turns: []convTurn{
		act("which databases are on db-1?", "hosting.list_databases", kv{"server": "db-1"}),
		act("back up the first one", "hosting.backup_database", kv{"database": "analytics"}),
	}},

	// confirmation words
	{name: "yes", as: kt.Bob, turns: []convTurn{
		act("restart web-2", "hosting.restart_server", kv{"server": "web-2"}),
		confirmT("yes", "hosting.restart_server"),
	}},
	{name: "no", as: kt.Bob, turns: []convTurn{
		act("resize web-1 to xl", "hosting.resize_server", kv{"server": "web-1", "size": "xl"}),
		rejectT("no"),
	}},
	{name: "go ahead at level 3", as: kt.Bob, turns: []convTurn{
		act("stop web-2", "hosting.stop_server", kv{"server": "web-2"}),
		confirmT("go ahead", "hosting.stop_server"),
	}},
	{name: "reject that", as: kt.Bob, turns: []convTurn{
		act("restart db-1", "hosting.restart_server", kv{"server": "db-1"}),
		rejectT("reject that"),
	}},
	{name: "cancel a message", as: kt.Bob, turns: []convTurn{
		act("send alice a message saying the deploy is done", "messaging.send_message", kv{"to": "alice"}),
		rejectT("cancel"),
	}},
	{name: "level 4 needs its phrase", as: kt.Alice, turns: []convTurn{
		act("delete staging-1", "hosting.delete_server", kv{"server": "staging-1"}),
		reply("yes"),
	}},
	{name: "two pending: ask which", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
		act("resize web-2 to l", "hosting.resize_server", kv{"server": "web-2"}),
		reply("yes", "which"),
	}},
	{name: "yes with nothing pending", as: kt.Bob, turns: []convTurn{
		reply("yes"),
	}},
	{name: "yes please", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
		confirmT("yes please", "hosting.restart_server"),
	}},
	{name: "ok do it", as: kt.Bob, turns: []convTurn{
		act("resize db-1 to xl", "hosting.resize_server", kv{"server": "db-1", "size": "xl"}),
		confirmT("ok, do it", "hosting.resize_server"),
	}},
	{name: "yes twice", as: kt.Bob, turns: []convTurn{
		act("restart web-2", "hosting.restart_server", kv{"server": "web-2"}),
		confirmT("yes", "hosting.restart_server"),
		reply("yes"),
	}},
	{name: "confirmed on another channel", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}).on("web"),
		confirmT("sure", "hosting.restart_server").on("telegram"),
	}},

	// corrections
	{name: "no, I meant", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
		act("no, I meant web-2", "hosting.restart_server", kv{"server": "web-2"}),
	}},
	{name: "sorry, other region", as: kt.Bob, turns: []convTurn{
		act("list servers in eu-west", "hosting.list_servers", kv{"region": "eu-west"}),
		act("sorry, us-east", "hosting.list_servers", kv{"region": "us-east"}),
	}},
	{name: "actually another server", as: kt.Bob, turns: []convTurn{
		act("show web-1's metrics", "hosting.server_metrics", kv{"server": "web-1"}),
		act("actually db-1", "hosting.server_metrics", kv{"server": "db-1"}),
	}},

	// topic changes
	{name: "out of scope after a list", as: kt.Bob, turns: []convTurn{
		act("list my tasks", "tasks.list_tasks", nil),
		none("what's the weather in paris"),
	}},
	{name: "new request while a proposal waits", as: kt.Bob, turns: []convTurn{
		act("restart web-1", "hosting.restart_server", kv{"server": "web-1"}),
		act("list the databases on db-1", "hosting.list_databases", kv{"server": "db-1"}),
	}},
	{name: "from servers to a message", as: kt.Bob, turns: []convTurn{
		act("show the servers", "hosting.list_servers", nil),
		act("tell alice the servers are fine", "messaging.send_message", kv{"to": "alice", "body": "the servers are fine"}),
	}},

	// inbox
	{name: "message delivered and listed", as: kt.Bob, turns: []convTurn{
		act("let alice know the backup is done", "messaging.send_message", kv{"to": "alice"}),
		confirmT("yes", "messaging.send_message"),
		act("any messages for me?", "messaging.list_messages", nil).by(kt.Alice),
	}},
	{name: "show my inbox", as: kt.Carol, turns: []convTurn{
		act("show my inbox", "messaging.list_messages", nil),
	}},
	{name: "read my messages", as: kt.Alice, turns: []convTurn{
		act("read my messages", "messaging.list_messages", nil),
	}},
	{name: "new messages after a note", as: kt.Bob, turns: []convTurn{
		act("tell carol lunch is at noon", "messaging.send_message", kv{"to": "carol"}),
		confirmT("go ahead", "messaging.send_message"),
		act("do I have any new messages?", "messaging.list_messages", nil).by(kt.Carol),
	}},

	// typos
	{name: "restrat", as: kt.Bob, turns: []convTurn{
		act("restrat web-1", "hosting.restart_server", kv{"server": "web-1"}),
		confirmT("yes", "hosting.restart_server"),
	}},
	{name: "shwo sevrers", as: kt.Bob, turns: []convTurn{
		act("shwo me the sevrers", "hosting.list_servers", nil),
	}},
	{name: "severs", as: kt.Bob, turns: []convTurn{
		act("list my severs", "hosting.list_servers", nil),
	}},
	{name: "chek metrics, and db1", as: kt.Bob, turns: []convTurn{
		act("chek the metrics of web-2", "hosting.server_metrics", kv{"server": "web-2"}),
		act("and db1?", "hosting.server_metrics", kv{"server": "db-1"}),
	}},
	{name: "databses", as: kt.Bob, turns: []convTurn{
		act("lsit the databses on db-1", "hosting.list_databases", kv{"server": "db-1"}),
	}},

	// greetings and thanks
	{name: "hi, what can you do", as: kt.Bob, turns: []convTurn{
		reply("hi, what can you do?").not("sorry"),
	}},
	{name: "hello, list, thanks", as: kt.Bob, turns: []convTurn{
		reply("hello").not("sorry"),
		act("list my servers", "hosting.list_servers", nil),
		reply("thanks!").not("sorry"),
	}},
	{name: "thanks never confirms", as: kt.Bob, turns: []convTurn{
		reply("good morning").not("sorry"),
		act("restart web-2", "hosting.restart_server", kv{"server": "web-2"}),
		reply("thank you").not("sorry"),
	}},

	// another tenant's names
	{name: "another tenant's zone", as: kt.Dave, turns: []convTurn{
		reply("show acme.test dns records", "not found").not("globex.test"),
		act("show my dns records", "hosting.list_dns_records", kv{"zone": "globex.test"}),
	}},
	{name: "another tenant's person", as: kt.Dave, turns: []convTurn{
		reply("what tasks does bob have?", "not found").not("T-1"),
	}},

	// freshness
	{name: "no stale list after a change", as: kt.Bob, turns: []convTurn{
		act("show the open tasks", "tasks.list_tasks", kv{"status": "pending"}),
		act("complete T-3", "tasks.complete_task", kv{"task": "T-3"}),
		reply("which ones are still open?").not("T-3"),
	}},

	// preconditions
	{name: "already stopped", as: kt.Bob, turns: []convTurn{
		reply("stop staging-1", "already stopped"),
		act("start it", "hosting.start_server", kv{"server": "staging-1"}),
	}},
}
