// Package hosting is the first-party hosting extension: servers, websites,
// databases and their backups, DNS zones and TLS certificates of a fleet.
//
// Contract. Extension returns the embedded manifest, one typed handler per
// declared tool, a context provider and a seed function. Every handler reads
// and writes only the sdk.State the kernel lends it (already scoped to this
// extension and the caller's tenant) and trusts nothing but its parameters
// and the Caller; it never takes a tenant from its parameters. Unknown
// resources are sdk.CodeNotFound, changes that contradict the current state
// (start a running server, restore from another database's backup) are
// sdk.CodeConflict, malformed values are sdk.CodeInvalid. Dates come from
// the clock given to ExtensionWithClock (time.Now by default), so tests can
// fix "today". This package imports only the SDK and the standard library.
package hosting

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/sdk"
)

//go:embed manifest.yaml
var manifest []byte

// State collections (keys in brackets).
const (
	collServers   = "servers"      // [server name] server
	collSites     = "sites"        // [domain] site
	collDatabases = "databases"    // [database name] database
	collBackups   = "backups"      // [backup id] backup
	collSnapshots = "snapshots"    // [snapshot id] snapshot
	collZones     = "zones"        // [zone name] zone (records inline)
	collCerts     = "certificates" // [domain] certificate
	collMeta      = "meta"         // ["settings"] seed settings; ["seeded"] sdk.SeedOnce's marker
)

const dateLayout = "2006-01-02"

// Sizes a server can have, smallest first, with their relative capacity.
var sizeCapacity = map[string]int{"s": 1, "m": 2, "l": 4, "xl": 8}

// The extension registers itself as the module "extensions.hosting".
func init() { sdk.RegisterExtension("hosting", Extension) }

// Extension returns the hosting extension with the wall clock.
func Extension() sdk.Extension { return ExtensionWithClock(time.Now) }

// ExtensionWithClock returns the hosting extension whose notion of "now"
// (certificate expiry, days left, backup and restart times) comes from now.
func ExtensionWithClock(now func() time.Time) sdk.Extension {
	if now == nil {
		now = time.Now
	}
	h := &hosting{now: now}
	return sdk.Extension{
		Manifest:  manifest,
		Handlers:  h.handlers(),
		Context:   sdk.ContextFunc(h.resources),
		Seed:      sdk.SeedOnce(h.seed),
		Reconcile: h.reconcile,
	}
}

type hosting struct {
	now func() time.Time
	// locks serialises the read-modify-write of one tenant's state within
	// this process (sdk.State has no transactions).
	locks sdk.TenantLocks
}

// today is the clock's current date in UTC, at midnight.
func (h *hosting) today() time.Time {
	y, m, d := h.now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (h *hosting) stamp() string { return h.now().UTC().Format(time.RFC3339) }

// tool binds a handler that runs holding its tenant's lock.
func tool[P, R any](h *hosting, name string, fn func(ctx context.Context, c sdk.Call[P]) (R, error)) sdk.Handler {
	return sdk.Tool(name, sdk.Locked(&h.locks, fn))
}

// --- stored documents ---

type server struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	Status string `json:"status"`
	Size   string `json:"size"`
	// CPU, Memory and Disk are the utilisation (percent) while running.
	CPU         int    `json:"cpu"`
	Memory      int    `json:"memory"`
	Disk        int    `json:"disk"`
	Restarts    int    `json:"restarts"`
	RestartedAt string `json:"restarted_at,omitempty"`
	// Snapshots counts the snapshots taken (for their ids).
	Snapshots int `json:"snapshots"`
	// Applied are the idempotency keys of the last changes (changeServer).
	Applied []string `json:"applied,omitempty"`
}

type site struct {
	Name   string `json:"name"`
	Server string `json:"server"`
}

type database struct {
	Name   string `json:"name"`
	Server string `json:"server"`
	SizeMB int    `json:"size_mb"`
	// BackupSeq is the sequence number of the latest backup (for ids).
	BackupSeq    int    `json:"backup_seq"`
	RestoredFrom string `json:"restored_from,omitempty"`
}

type backup struct {
	ID       string `json:"id"`
	Database string `json:"database"`
	SizeMB   int    `json:"size_mb"`
	Created  string `json:"created,omitempty"`
}

type snapshot struct {
	ID      string `json:"id"`
	Server  string `json:"server"`
	Disk    int    `json:"disk"`
	Created string `json:"created"`
	Key     string `json:"key,omitempty"` // the idempotency key of the call that took it
}

type zone struct {
	Name    string   `json:"name"`
	Serial  int      `json:"serial"`
	Records []Record `json:"records"`
}

type certificate struct {
	Domain  string `json:"domain"`
	Expires string `json:"expires"` // YYYY-MM-DD
}

// --- state helpers ---

func get[T any](ctx context.Context, st sdk.State, coll, key string) (T, bool, error) {
	var v T
	ok, err := st.Get(ctx, coll, key, &v)
	if err != nil {
		return v, false, fmt.Errorf("hosting: read %s/%s: %w", coll, key, err)
	}
	return v, ok, nil
}

func list[T any](ctx context.Context, st sdk.State, coll string) ([]T, error) {
	raws, err := st.List(ctx, coll)
	if err != nil {
		return nil, fmt.Errorf("hosting: list %s: %w", coll, err)
	}
	out := make([]T, 0, len(raws))
	for _, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("hosting: decode %s: %w", coll, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func put(ctx context.Context, st sdk.State, coll, key string, v any) error {
	if err := st.Put(ctx, coll, key, v); err != nil {
		return fmt.Errorf("hosting: write %s/%s: %w", coll, key, err)
	}
	return nil
}

func del(ctx context.Context, st sdk.State, coll, key string) error {
	if err := st.Delete(ctx, coll, key); err != nil {
		return fmt.Errorf("hosting: delete %s/%s: %w", coll, key, err)
	}
	return nil
}

// norm canonicalises a name as people type it: trimmed, lower case, no
// trailing dot.
func norm(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

func required(param, value string) error {
	if value == "" {
		return sdk.Errorf(sdk.CodeInvalid, "%s is required", param)
	}
	return nil
}

// load reads the document stored under key, which names it by param: an
// empty key is sdk.CodeInvalid, a missing document sdk.CodeNotFound with
// the message missing (a format with one %q, the key).
func load[T any](ctx context.Context, st sdk.State, coll, param, key, missing string) (T, error) {
	if err := required(param, key); err != nil {
		var zero T
		return zero, err
	}
	v, ok, err := get[T](ctx, st, coll, key)
	if err != nil {
		return v, err
	}
	if !ok {
		return v, sdk.Errorf(sdk.CodeNotFound, missing, key)
	}
	return v, nil
}

func loadServer(ctx context.Context, st sdk.State, name string) (server, error) {
	return load[server](ctx, st, collServers, "server", name, "no server named %q")
}

func loadDatabase(ctx context.Context, st sdk.State, name string) (database, error) {
	return load[database](ctx, st, collDatabases, "database", name, "no database named %q")
}

func loadBackup(ctx context.Context, st sdk.State, id string) (backup, error) {
	return load[backup](ctx, st, collBackups, "backup", id, "no backup named %q")
}

func loadZone(ctx context.Context, st sdk.State, name string) (zone, error) {
	z, err := load[zone](ctx, st, collZones, "zone", name, "no DNS zone named %q")
	if err == nil && z.Records == nil {
		z.Records = []Record{}
	}
	return z, err
}

func loadCertificate(ctx context.Context, st sdk.State, domain string) (certificate, error) {
	return load[certificate](ctx, st, collCerts, "domain", domain, "no certificate for %q")
}
