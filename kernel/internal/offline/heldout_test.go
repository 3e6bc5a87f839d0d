package offline

// The HELD-OUT set (ROUTE-01, ROUTE-02). These sentences were written before
// the router existed and are never used for tuning: no lexicon entry,
// manifest keyword or rule was added for any of them. Do not edit them to
// make them pass; if the router gets one wrong, that is the measurement.
//
// Conventions: the actor is bob (operator, manager alice) of the demo tenant
// (see fixture_test.go); "now" is Thursday 2026-05-14. tool "" means the
// request is out of scope and must not be force-fitted to any tool.

var heldOut = []routeCase{
	// hosting: servers
	{text: "could you bounce web-2 for me", tool: "hosting.restart_server", args: kv{"server": "web-2"}},
	{text: "web-1 needs more horsepower, bump it to xl", tool: "hosting.resize_server", args: kv{"server": "web-1", "size": "xl"}},
	{text: "is db-1 working hard right now?", tool: "hosting.server_metrics", args: kv{"server": "db-1"}},
	{text: "which machines are currently down?", tool: "hosting.list_servers", args: kv{"status": "stopped"}},
	{text: "what's running in us-east?", tool: "hosting.list_servers", args: kv{"region": "us-east"}},
	{text: "please power down staging-1", tool: "hosting.stop_server", args: kv{"server": "staging-1"}},
	{text: "fire up the staging box", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "how much disk is left on web-2?", tool: "hosting.server_metrics", args: kv{"server": "web-2"}},
	{text: "give me the rundown on staging-1", tool: "hosting.get_server", args: kv{"server": "staging-1"}},
	{text: "spin up staging-1 again", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "take a snapshot of web-2 before I touch it", tool: "hosting.snapshot_server", args: kv{"server": "web-2"}},
	{text: "I want an image of db-1", tool: "hosting.snapshot_server", args: kv{"server": "db-1"}},
	{text: "shrink staging-1 down to small", tool: "hosting.resize_server", args: kv{"server": "staging-1", "size": "s"}},
	{text: "wipe web-2 off the map", tool: "hosting.delete_server", args: kv{"server": "web-2"}},
	{text: "we don't need staging-1 anymore, decommission it", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},
	{text: "is web-2 alive?", tool: "hosting.get_server", args: kv{"server": "web-2"}},
	{text: "reboot the server", tool: "hosting.restart_server", clarify: clarYes},
	{text: "how's db-1 doing?", tool: "hosting.get_server", args: kv{"server": "db-1"}},
	{text: "upgrade db-1 to extra large", tool: "hosting.resize_server", args: kv{"server": "db-1", "size": "xl"}},
	{text: "make web-2 bigger", tool: "hosting.resize_server", args: kv{"server": "web-2"}, clarify: clarYes},
	{text: "turn staging-1 back on", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "shut web-1 off", tool: "hosting.stop_server", args: kv{"server": "web-1"}},
	{text: "what's eating the cpu on web-1", tool: "hosting.server_metrics", args: kv{"server": "web-1"}},
	{text: "show me the status of staging-1", tool: "hosting.get_server", args: kv{"server": "staging-1"}},
	{text: "what's the memory usage on staging-1", tool: "hosting.server_metrics", args: kv{"server": "staging-1"}},
	{text: "are there any stopped servers?", tool: "hosting.list_servers", args: kv{"status": "stopped"}},
	{text: "destroy staging-1", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},
	{text: "can you check whether staging-1 is up", tool: "hosting.get_server", args: kv{"server": "staging-1"}},
	{text: "web 2 seems sluggish, how loaded is it?", tool: "hosting.server_metrics", args: kv{"server": "web-2"}},
	{text: "restart web1", tool: "hosting.restart_server", args: kv{"server": "web-1"}},
	{text: "list all servers in eu-west that are running", tool: "hosting.list_servers", args: kv{"region": "eu-west", "status": "running"}},

	// hosting: sites and databases
	{text: "what sites live on web-2?", tool: "hosting.list_sites", args: kv{"server": "web-2"}},
	{text: "show me every website we host", tool: "hosting.list_sites"},
	{text: "what databases are there?", tool: "hosting.list_databases"},
	{text: "list the databases on db-1", tool: "hosting.list_databases", args: kv{"server": "db-1"}},
	{text: "get rid of the analytics db", tool: "hosting.drop_database", args: kv{"database": "analytics"}},
	{text: "nuke the orders database", tool: "hosting.drop_database", args: kv{"database": "orders"}},
	{text: "dump the orders database please", tool: "hosting.backup_database", args: kv{"database": "orders"}},
	{text: "save a copy of analytics", tool: "hosting.backup_database", args: kv{"database": "analytics"}},
	{text: "roll orders back to orders-1", tool: "hosting.restore_database", args: kv{"database": "orders", "backup": "orders-1"}},
	{text: "restore the orders database", tool: "hosting.restore_database", args: kv{"database": "orders"}, clarify: clarYes},

	// hosting: dns and certificates
	{text: "what dns entries does acme.test have?", tool: "hosting.list_dns_records", args: kv{"zone": "acme.test"}},
	{text: "show me the records for acme.test", tool: "hosting.list_dns_records", args: kv{"zone": "acme.test"}},
	{text: "I need the bind file for acme.test", tool: "hosting.export_zone", args: kv{"zone": "acme.test"}},
	{text: "export acme.test as a zone file", tool: "hosting.export_zone", args: kv{"zone": "acme.test"}},
	{text: "point api.acme.test at 203.0.113.9", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "name": "api", "value": "203.0.113.9"}, clarify: clarAny},
	{text: "add a CNAME called docs in acme.test that points to shop.acme.test", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "CNAME", "name": "docs", "value": "shop.acme.test"}},
	{text: "remove the www entry from acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}},
	{text: "drop the mx record on acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "type": "MX"}, clarify: clarAny},
	{text: "delete the blog record from acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "blog"}},
	{text: "are any of our certs about to lapse?", tool: "hosting.list_certificates"},
	{text: "which certificates run out in the next 2 weeks", tool: "hosting.list_certificates", args: kv{"expiring_within_days": 14}},
	{text: "renew the shop cert", tool: "hosting.renew_certificate", args: kv{"domain": "shop.acme.test"}},
	{text: "the certificate on blog.acme.test needs renewing", tool: "hosting.renew_certificate", args: kv{"domain": "blog.acme.test"}},

	// tasks
	{text: "what's on my plate", tool: "tasks.list_tasks"},
	{text: "what does carol still have to do?", tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
	{text: "show my completed tasks", tool: "tasks.list_tasks", args: kv{"status": "done"}},
	{text: "what's pending for bob?", tool: "tasks.list_tasks", args: kv{"assignee": "bob", "status": "pending"}},
	{text: "add a task to call the bank due 2026-07-01", tool: "tasks.create_task", args: kv{"title": "call the bank", "due": "2026-07-01"}},
	{text: "remind me to renew the domain tomorrow", tool: "tasks.create_task", args: kv{"title": "renew the domain", "due": "2026-05-15"}},
	{text: "put 'update the runbook' on my todo list", tool: "tasks.create_task", args: kv{"title": "update the runbook"}},
	{text: "note to self: order new keyboards", tool: "tasks.create_task", args: kv{"title": "order new keyboards"}},
	{text: "I'm done with T-2", tool: "tasks.complete_task", args: kv{"task": "T-2"}},
	{text: "tick off T-4", tool: "tasks.complete_task", args: kv{"task": "T-4"}},
	{text: "mark the review backups task as finished", tool: "tasks.complete_task", args: kv{"task": "T-2"}},

	// messaging
	{text: "let my manager know I'm off tomorrow", tool: "messaging.send_message", args: kv{"to": "alice", "body": "I'm off tomorrow"}},
	{text: "ping carol and say the deploy is done", tool: "messaging.send_message", args: kv{"to": "carol", "body": "the deploy is done"}},
	{text: "message alice: web-1 is back up", tool: "messaging.send_message", args: kv{"to": "alice", "body": "web-1 is back up"}},
	{text: "could you email carol about the outage tonight", tool: "messaging.send_message", args: kv{"to": "carol"}},
	{text: "send a note to alice with subject Budget saying please review the numbers", tool: "messaging.send_message", args: kv{"to": "alice", "subject": "Budget", "body": "please review the numbers"}},
	{text: "let carol know that db-1 will be down for maintenance", tool: "messaging.send_message", args: kv{"to": "carol", "body": "db-1 will be down for maintenance"}},
	{text: "tell my boss the report is ready", tool: "messaging.send_message", args: kv{"to": "alice", "body": "the report is ready"}},

	// out of scope: must be Kind none, no steps
	{text: "what's the weather in Paris"},
	{text: "tell me a joke"},
	{text: "who won the football game last night"},
	{text: "hello"},
	{text: "what time is it"},
	{text: "translate this to french"},
	{text: "order a pizza"},
	{text: "how do I bake sourdough bread"},
	{text: "what's the capital of australia"},
	{text: "play some music"},
	{text: "thanks, that's all"},
	{text: "book me a flight to berlin"},
	{text: "what's 17 times 23"},
	{text: "write me a poem about the sea"},
	{text: "good morning!"},
	{text: "can you recommend a good movie"},
	{text: "set an alarm for 7am"},
	{text: "call my mom"},
}
