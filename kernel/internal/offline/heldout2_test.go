package offline

// The second HELD-OUT set (ROUTE-01, ROUTE-02), written after the two bug
// fixes that the first held-out run revealed (see docs/router.md) and run
// once, blind, with the router frozen. Same rules as heldout_test.go: never
// tuned against, never edited to pass.

var heldOutB = []routeCase{
	// hosting: servers
	{text: "kindly reboot db-1", tool: "hosting.restart_server", args: kv{"server": "db-1"}},
	{text: "what state is web-1 in?", tool: "hosting.get_server", args: kv{"server": "web-1"}},
	{text: "list every server we have in us-east", tool: "hosting.list_servers", args: kv{"region": "us-east"}},
	{text: "are all our machines running?", tool: "hosting.list_servers", args: kv{"status": "running"}},
	{text: "show me the cpu and memory for staging-1", tool: "hosting.server_metrics", args: kv{"server": "staging-1"}},
	{text: "please make a snapshot of staging-1", tool: "hosting.snapshot_server", args: kv{"server": "staging-1"}},
	{text: "can you start web-2", tool: "hosting.start_server", args: kv{"server": "web-2"}},
	{text: "stop the db-1 server now", tool: "hosting.stop_server", args: kv{"server": "db-1"}},
	{text: "delete server web-1", tool: "hosting.delete_server", args: kv{"server": "web-1"}},
	{text: "resize web-2 to large", tool: "hosting.resize_server", args: kv{"server": "web-2", "size": "l"}},
	{text: "I'd like db-1 scaled down to medium", tool: "hosting.resize_server", args: kv{"server": "db-1", "size": "m"}},
	{text: "restart staging", tool: "hosting.restart_server", args: kv{"server": "staging-1"}},
	{text: "what is the disk usage on db-1", tool: "hosting.server_metrics", args: kv{"server": "db-1"}},
	{text: "start the server", tool: "hosting.start_server", clarify: clarYes},

	// hosting: sites and databases
	{text: "which sites does web-1 host?", tool: "hosting.list_sites", args: kv{"server": "web-1"}},
	{text: "list our websites please", tool: "hosting.list_sites"},
	{text: "which databases live on db-1", tool: "hosting.list_databases", args: kv{"server": "db-1"}},
	{text: "take a backup of the orders database", tool: "hosting.backup_database", args: kv{"database": "orders"}},
	{text: "restore analytics from backup analytics-1", tool: "hosting.restore_database", args: kv{"database": "analytics", "backup": "analytics-1"}},
	{text: "drop the orders db", tool: "hosting.drop_database", args: kv{"database": "orders"}},
	{text: "remove the analytics database entirely", tool: "hosting.drop_database", args: kv{"database": "analytics"}},
	{text: "delete the database", tool: "hosting.drop_database", clarify: clarYes},

	// hosting: dns and certificates
	{text: "show dns for acme.test", tool: "hosting.list_dns_records", args: kv{"zone": "acme.test"}},
	{text: "export the zone for acme.test please", tool: "hosting.export_zone", args: kv{"zone": "acme.test"}},
	{text: "add a TXT record named verify to acme.test with value abc123", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "TXT", "name": "verify", "value": "abc123"}},
	{text: "create an A record for ftp in acme.test pointing to 198.51.100.20", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "A", "name": "ftp", "value": "198.51.100.20"}},
	{text: "delete the shop A record from acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "shop", "type": "A"}},
	{text: "which certs are expiring in the next 10 days?", tool: "hosting.list_certificates", args: kv{"expiring_within_days": 10}},
	{text: "show all ssl certificates", tool: "hosting.list_certificates"},
	{text: "please renew the certificate for shop.acme.test", tool: "hosting.renew_certificate", args: kv{"domain": "shop.acme.test"}},
	{text: "renew blog's certificate", tool: "hosting.renew_certificate", args: kv{"domain": "blog.acme.test"}},

	// tasks
	{text: "show me carol's pending tasks", tool: "tasks.list_tasks", args: kv{"assignee": "carol", "status": "pending"}},
	{text: "which of my tasks are done?", tool: "tasks.list_tasks", args: kv{"status": "done"}},
	{text: "create a task called prepare the demo", tool: "tasks.create_task", args: kv{"title": "prepare the demo"}},
	{text: "add a reminder to water the plants on monday", tool: "tasks.create_task", args: kv{"title": "water the plants", "due": "2026-05-18"}},
	{text: "remind me to renew the certificates next week", tool: "tasks.create_task", args: kv{"title": "renew the certificates", "due": "2026-05-21"}},
	{text: "mark T-3 done", tool: "tasks.complete_task", args: kv{"task": "T-3"}},
	{text: "please close T-1", tool: "tasks.complete_task", args: kv{"task": "T-1"}},
	{text: "finish the task about the incident report", tool: "tasks.complete_task", args: kv{"task": "T-3"}},
	{text: "what tasks does alice have", tool: "tasks.list_tasks", args: kv{"assignee": "alice"}},

	// messaging
	{text: "send carol a note saying lunch is at noon", tool: "messaging.send_message", args: kv{"to": "carol", "body": "lunch is at noon"}},
	{text: "tell alice the deploy went fine", tool: "messaging.send_message", args: kv{"to": "alice", "body": "the deploy went fine"}},
	{text: "message carol that the meeting moved to 3pm", tool: "messaging.send_message", args: kv{"to": "carol", "body": "the meeting moved to 3pm"}},
	{text: "inform my manager that I finished the migration", tool: "messaging.send_message", args: kv{"to": "alice", "body": "I finished the migration"}},
	{text: "email alice", tool: "messaging.send_message", args: kv{"to": "alice"}, clarify: clarYes},
	{text: "let alice know that orders was backed up", tool: "messaging.send_message", args: kv{"to": "alice", "body": "orders was backed up"}},

	// out of scope
	{text: "what's the stock price of apple"},
	{text: "remind me what day it is"},
	{text: "how are you today"},
	{text: "tell me the latest headlines"},
	{text: "open spotify"},
	{text: "what's the square root of 144"},
	{text: "who is the president of france"},
	{text: "find me a restaurant nearby"},
	{text: "shut up"},
	{text: "what's 2 plus 2"},
	{text: "send flowers to my mother"},
	{text: "delete my browser history"},
	{text: "turn up the volume"},
}
