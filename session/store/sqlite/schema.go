package sqlite

// schema is every table and index; Open runs it on each start (IF NOT
// EXISTS), so there are no separate migrations.
const schema = `
CREATE TABLE IF NOT EXISTS audit (
  tenant TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
  actor TEXT NOT NULL, turn TEXT NOT NULL, data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (tenant, seq));
CREATE TABLE IF NOT EXISTS audit_head (tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS proposals (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, state TEXT NOT NULL,
  expires_at TEXT NOT NULL, row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS proposals_state ON proposals(state, expires_at);
CREATE TABLE IF NOT EXISTS facts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, turn TEXT NOT NULL, step TEXT NOT NULL,
  tool TEXT NOT NULL, args TEXT NOT NULL, args_hash TEXT NOT NULL, ok INTEGER NOT NULL,
  output TEXT, error TEXT, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS facts_session ON facts(session, id);
CREATE TABLE IF NOT EXISTS ext_state (
  ext TEXT NOT NULL, tenant TEXT NOT NULL, coll TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (ext, tenant, coll, key));
CREATE TABLE IF NOT EXISTS ext_version (
  tenant TEXT NOT NULL, ext TEXT NOT NULL, version INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (tenant, ext));
CREATE TRIGGER IF NOT EXISTS ext_state_insert AFTER INSERT ON ext_state BEGIN
  INSERT INTO ext_version (tenant, ext, version, n) VALUES (NEW.tenant, NEW.ext, 1, 1)
  ON CONFLICT(tenant, ext) DO UPDATE SET version = version + 1, n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS ext_state_update AFTER UPDATE ON ext_state BEGIN
  UPDATE ext_version SET version = version + 1 WHERE tenant = NEW.tenant AND ext = NEW.ext; END;
CREATE TRIGGER IF NOT EXISTS ext_state_delete AFTER DELETE ON ext_state BEGIN
  UPDATE ext_version SET version = version + 1, n = n - 1 WHERE tenant = OLD.tenant AND ext = OLD.ext; END;
INSERT OR IGNORE INTO ext_version (tenant, ext, version, n) SELECT tenant, ext, 1, COUNT(*) FROM ext_state GROUP BY tenant, ext;
CREATE TABLE IF NOT EXISTS seeded (ext TEXT NOT NULL, tenant TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (ext, tenant));
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, recipient TEXT NOT NULL, sender TEXT NOT NULL,
  subject TEXT NOT NULL, body TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (key TEXT PRIMARY KEY, at TEXT NOT NULL, inbound TEXT, row TEXT, fact INTEGER);
CREATE TABLE IF NOT EXISTS chains (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL, row TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, state TEXT NOT NULL, row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_owner ON tasks(tenant, actor);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, at TEXT NOT NULL, outbound TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_session ON events(session, id);
CREATE TABLE IF NOT EXISTS marks (key TEXT PRIMARY KEY, value TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links (channel TEXT NOT NULL, account TEXT NOT NULL, tenant TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (channel, account));
CREATE INDEX IF NOT EXISTS links_actor ON links(tenant, actor);
CREATE TABLE IF NOT EXISTS link_codes (hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, actor TEXT NOT NULL, expires TEXT NOT NULL, used_at TEXT);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, channel TEXT NOT NULL, account TEXT NOT NULL, chat TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (key TEXT PRIMARY KEY, at TEXT NOT NULL, outcome TEXT, request TEXT);
CREATE TABLE IF NOT EXISTS model_usage (tenant TEXT NOT NULL, period TEXT NOT NULL, tokens INTEGER NOT NULL, PRIMARY KEY (tenant, period));
` + alertsSchema /* alerts.go */ + dialogueSchema // dialogue.go

// hot are the statements every turn runs; "r:" ones use the read pool.
var hot = map[string]string{
	"auditInsert":  `INSERT INTO audit (tenant, seq, at, kind, actor, turn, data, prev, hash) VALUES (?,?,?,?,?,?,?,?,?)`,
	"auditHead":    `SELECT seq, hash FROM audit_head WHERE tenant = ?`,
	"headUpsert":   `INSERT INTO audit_head (tenant, seq, hash) VALUES (?,?,?) ON CONFLICT(tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
	"factInsert":   `INSERT INTO facts (session, turn, step, tool, args, args_hash, ok, output, error, at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
	"r:recent":     `SELECT id, turn, step, tool, args, args_hash, ok, output, error, at FROM facts WHERE session = ? ORDER BY id DESC LIMIT ?`,
	"r:factsSince": `SELECT id, turn, step, tool, args, args_hash, ok, output, error, at FROM facts WHERE session = ? AND id > ? ORDER BY id DESC LIMIT ?`,
	"r:stateGet":   `SELECT value FROM ext_state WHERE ext = ? AND tenant = ? AND coll = ? AND key = ?`,
	"r:stateList":  `SELECT value FROM ext_state WHERE ext = ? AND tenant = ? AND coll = ? ORDER BY key`,
	"r:stateVer":   `SELECT ext, version, n FROM ext_version WHERE tenant = ? ORDER BY ext`,
}
