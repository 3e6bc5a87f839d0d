package offline

// The DEVELOPMENT set (ROUTE-01, ROUTE-02): phrasings the router is tuned
// against, together with every example of every manifest (added by
// devCases). Same conventions as heldout_test.go: actor bob, now Thursday
// 2026-05-14, tool "" = out of scope.

var devSet = []routeCase{
	// hosting: servers
	{text: "show me all the servers", tool: "hosting.list_servers"},
	{text: "which boxes are stopped", tool: "hosting.list_servers", args: kv{"status": "stopped"}},
	{text: "servers in eu-west", tool: "hosting.list_servers", args: kv{"region": "eu-west"}},
	{text: "what's the state of web-2", tool: "hosting.get_server", args: kv{"server": "web-2"}},
	{text: "details on the staging-1 machine", tool: "hosting.get_server", args: kv{"server": "staging-1"}},
	{text: "cpu on db-1?", tool: "hosting.server_metrics", args: kv{"server": "db-1"}},
	{text: "how busy is web-2", tool: "hosting.server_metrics", args: kv{"server": "web-2"}},
	{text: "please start staging-1", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "power on staging-1", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "boot the staging server", tool: "hosting.start_server", args: kv{"server": "staging-1"}},
	{text: "snapshot the db-1 server", tool: "hosting.snapshot_server", args: kv{"server": "db-1"}},
	{text: "restart the web server", tool: "hosting.restart_server", clarify: clarYes},
	{text: "reboot web-2 please", tool: "hosting.restart_server", args: kv{"server": "web-2"}},
	{text: "restart web 1", tool: "hosting.restart_server", args: kv{"server": "web-1"}},
	{text: "what is staging 1 doing", tool: "hosting.get_server", args: kv{"server": "staging-1"}},
	// "show me" is "show" written: not a health check (check_server_health's
	// name folds into the same generic verb).
	{text: "show me web-2", tool: "hosting.get_server", args: kv{"server": "web-2"}},
	{text: "resize staging-1 to medium", tool: "hosting.resize_server", args: kv{"server": "staging-1", "size": "m"}},
	{text: "scale db-1 up", tool: "hosting.resize_server", args: kv{"server": "db-1"}, clarify: clarYes},
	{text: "make web-1 larger, xl please", tool: "hosting.resize_server", args: kv{"server": "web-1", "size": "xl"}},
	{text: "shutdown web-2", tool: "hosting.stop_server", args: kv{"server": "web-2"}},
	{text: "turn web-1 off", tool: "hosting.stop_server", args: kv{"server": "web-1"}},
	{text: "halt db-1", tool: "hosting.stop_server", args: kv{"server": "db-1"}},
	{text: "remove staging-1 permanently", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},
	{text: "terminate the staging-1 server", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},
	{text: "delete staging-1", tool: "hosting.delete_server", args: kv{"server": "staging-1"}},

	// hosting: sites and databases
	{text: "which sites are hosted on web-1", tool: "hosting.list_sites", args: kv{"server": "web-1"}},
	{text: "list websites", tool: "hosting.list_sites"},
	{text: "databases on db-1", tool: "hosting.list_databases", args: kv{"server": "db-1"}},
	{text: "show the dbs", tool: "hosting.list_databases"},
	{text: "back up the analytics db", tool: "hosting.backup_database", args: kv{"database": "analytics"}},
	{text: "restore analytics from analytics-1", tool: "hosting.restore_database", args: kv{"database": "analytics", "backup": "analytics-1"}},
	{text: "restore orders", tool: "hosting.restore_database", args: kv{"database": "orders"}, clarify: clarYes},
	{text: "drop orders", tool: "hosting.drop_database", args: kv{"database": "orders"}},
	{text: "delete orders", tool: "hosting.drop_database", args: kv{"database": "orders"}},
	{text: "delete the analytics database", tool: "hosting.drop_database", args: kv{"database": "analytics"}},

	// hosting: dns and certificates
	{text: "dns records of acme.test", tool: "hosting.list_dns_records", args: kv{"zone": "acme.test"}},
	{text: "export zone acme.test", tool: "hosting.export_zone", args: kv{"zone": "acme.test"}},
	{text: "add an A record called mail to acme.test pointing to 198.51.100.4", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "A", "name": "mail", "value": "198.51.100.4"}},
	{text: "create a TXT record verify in acme.test with value hello-world", tool: "hosting.add_dns_record", args: kv{"zone": "acme.test", "type": "TXT", "name": "verify"}},
	{text: "delete the shop record in acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "shop"}},
	{text: "delete the www record from acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}},
	{text: "remove www from acme.test", tool: "hosting.delete_dns_record", args: kv{"zone": "acme.test", "name": "www"}},
	{text: "list ssl certs", tool: "hosting.list_certificates"},
	{text: "certificates expiring within 60 days", tool: "hosting.list_certificates", args: kv{"expiring_within_days": 60}},
	{text: "which certs expire in the next month", tool: "hosting.list_certificates", args: kv{"expiring_within_days": 30}},
	{text: "renew the blog certificate", tool: "hosting.renew_certificate", args: kv{"domain": "blog.acme.test"}},
	{text: "renew the certificate", tool: "hosting.renew_certificate", clarify: clarYes},

	// tasks
	{text: "list my todos", tool: "tasks.list_tasks"},
	{text: "show carol's tasks", tool: "tasks.list_tasks", args: kv{"assignee": "carol"}},
	{text: "which tasks are done", tool: "tasks.list_tasks", args: kv{"status": "done"}},
	{text: "what's still open for me", tool: "tasks.list_tasks", args: kv{"status": "pending"}},
	{text: "create a task: write the quarterly report", tool: "tasks.create_task", args: kv{"title": "write the quarterly report"}},
	{text: "add a to-do to renew the domain by 2026-06-01", tool: "tasks.create_task", args: kv{"title": "renew the domain", "due": "2026-06-01"}},
	{text: "remind me to call alice on friday", tool: "tasks.create_task", args: kv{"title": "call alice", "due": "2026-05-15"}},
	{text: "new task: check the backups, due next monday", tool: "tasks.create_task", args: kv{"title": "check the backups", "due": "2026-05-18"}},
	{text: "remind me to restart web-1", tool: "tasks.create_task", args: kv{"title": "restart web-1"}},
	{text: "complete T-1", tool: "tasks.complete_task", args: kv{"task": "T-1"}},
	{text: "T-3 is finished", tool: "tasks.complete_task", args: kv{"task": "T-3"}},
	{text: "mark the renew the domain task as done", tool: "tasks.complete_task", args: kv{"task": "T-1"}},
	{text: "close the task", tool: "tasks.complete_task", clarify: clarYes},

	// messaging
	{text: "send alice a message saying the migration is complete", tool: "messaging.send_message", args: kv{"to": "alice", "body": "the migration is complete"}},
	{text: "tell carol the server is back", tool: "messaging.send_message", args: kv{"to": "carol", "body": "the server is back"}},
	{text: "notify my manager that staging-1 is down", tool: "messaging.send_message", args: kv{"to": "alice", "body": "staging-1 is down"}},
	{text: "email alice about the budget", tool: "messaging.send_message", args: kv{"to": "alice"}},
	{text: "ping alice", tool: "messaging.send_message", args: kv{"to": "alice"}, clarify: clarYes},
	{text: "send a message", tool: "messaging.send_message", clarify: clarYes},
	{text: "tell my manager: running late", tool: "messaging.send_message", args: kv{"to": "alice", "body": "running late"}},
	{text: "let alice know the backups are done", tool: "messaging.send_message", args: kv{"to": "alice", "body": "the backups are done"}},
	{text: "send carol a message with subject Lunch saying see you at noon", tool: "messaging.send_message", args: kv{"to": "carol", "subject": "Lunch", "body": "see you at noon"}},
	{text: "tell alice that web-1 needs a restart", tool: "messaging.send_message", args: kv{"to": "alice", "body": "web-1 needs a restart"}},

	// out of scope
	{text: "what's the news today"},
	{text: "sing me a song"},
	{text: "how tall is mount everest"},
	{text: "open the pod bay doors"},
	{text: "what's your name"},
	{text: "tell me something interesting"},
	{text: "I love you"},
	{text: "what is the meaning of life"},
	{text: "navigate to the nearest gas station"},
	{text: "turn on the lights"},
	{text: "remove the stain from my shirt"},
	{text: "ok"},
	{text: ""},
	{text: "?!"},
}
