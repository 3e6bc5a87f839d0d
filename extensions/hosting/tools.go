package hosting

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-os/steward/sdk"
)

// --- parameters (JSON names are the manifest's parameter names) ---

// ListServersParams filters list_servers.
type ListServersParams struct {
	Status string `json:"status,omitempty"`
	Region string `json:"region,omitempty"`
}

// ServerParams names one server.
type ServerParams struct {
	Server string `json:"server"`
}

// ResizeParams are resize_server's parameters.
type ResizeParams struct {
	Server string `json:"server"`
	Size   string `json:"size"`
}

// ServerFilter optionally narrows a listing to one server.
type ServerFilter struct {
	Server string `json:"server,omitempty"`
}

// DatabaseParams names one database.
type DatabaseParams struct {
	Database string `json:"database"`
}

// RestoreParams are restore_database's parameters.
type RestoreParams struct {
	Database string `json:"database"`
	Backup   string `json:"backup"`
}

// ZoneParams names one DNS zone.
type ZoneParams struct {
	Zone string `json:"zone"`
}

// AddRecordParams are add_dns_record's parameters.
type AddRecordParams struct {
	Zone  string `json:"zone"`
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// DeleteRecordParams are delete_dns_record's parameters; without Type every
// record of that name goes.
type DeleteRecordParams struct {
	Zone string `json:"zone"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

// ListCertificatesParams filters list_certificates. ExpiringWithinDays is
// a plain integer (JSON Schema type "integer", which routers read); 0, like
// absent, means no filter.
type ListCertificatesParams struct {
	ExpiringWithinDays int `json:"expiring_within_days,omitempty"`
}

// DomainParams names one certificate by its domain.
type DomainParams struct {
	Domain string `json:"domain"`
}

// --- results ---

// ServerSummary is one line of list_servers.
type ServerSummary struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	Status string `json:"status"`
	Size   string `json:"size"`
}

// ServerList is list_servers' result.
type ServerList struct {
	Servers []ServerSummary `json:"servers"`
}

// Server is the full server object (get, start, stop, restart, resize).
type Server struct {
	Name        string   `json:"name"`
	Region      string   `json:"region"`
	Status      string   `json:"status"`
	Size        string   `json:"size"`
	Sites       []string `json:"sites"`
	Databases   []string `json:"databases"`
	Restarts    int      `json:"restarts"`
	RestartedAt string   `json:"restarted_at,omitempty"`
}

// Metrics is server_metrics' result: utilisation in percent.
type Metrics struct {
	Server string `json:"server"`
	Status string `json:"status"`
	CPU    int    `json:"cpu"`
	Memory int    `json:"memory"`
	Disk   int    `json:"disk"`
}

// SnapshotResult is snapshot_server's result.
type SnapshotResult struct {
	Server   string `json:"server"`
	Snapshot string `json:"snapshot"`
	Created  string `json:"created"`
}

// DeleteServerResult is delete_server's result, with what went with it.
type DeleteServerResult struct {
	Server           string   `json:"server"`
	Deleted          bool     `json:"deleted"`
	SitesRemoved     []string `json:"sites_removed"`
	DatabasesRemoved []string `json:"databases_removed"`
}

// Site is one website.
type Site struct {
	Name   string `json:"name"`
	Server string `json:"server"`
}

// SiteList is list_sites' result.
type SiteList struct {
	Sites []Site `json:"sites"`
}

// Database is one database with the ids of its backups.
type Database struct {
	Name         string   `json:"name"`
	Server       string   `json:"server"`
	SizeMB       int      `json:"size_mb"`
	Backups      []string `json:"backups"`
	RestoredFrom string   `json:"restored_from,omitempty"`
}

// DatabaseList is list_databases' result.
type DatabaseList struct {
	Databases []Database `json:"databases"`
}

// BackupResult is backup_database's result.
type BackupResult struct {
	Database string `json:"database"`
	Backup   string `json:"backup"`
	SizeMB   int    `json:"size_mb"`
	Created  string `json:"created"`
}

// RestoreResult is restore_database's result.
type RestoreResult struct {
	Database string `json:"database"`
	Backup   string `json:"backup"`
	SizeMB   int    `json:"size_mb"`
}

// DropResult is drop_database's result. The database's backups are kept.
type DropResult struct {
	Database string   `json:"database"`
	Dropped  bool     `json:"dropped"`
	Backups  []string `json:"backups_kept"`
}

// Record is one DNS record; Name is relative to the zone ("@" is the apex).
type Record struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// RecordList is list_dns_records' result.
type RecordList struct {
	Zone    string   `json:"zone"`
	Records []Record `json:"records"`
}

// ZoneFile is export_zone's result: the zone in BIND format.
type ZoneFile struct {
	Zone     string `json:"zone"`
	Zonefile string `json:"zonefile"`
}

// AddRecordResult is add_dns_record's result.
type AddRecordResult struct {
	Zone   string `json:"zone"`
	Record Record `json:"record"`
}

// DeleteRecordResult is delete_dns_record's result.
type DeleteRecordResult struct {
	Zone    string   `json:"zone"`
	Name    string   `json:"name"`
	Deleted []Record `json:"deleted"`
}

// Certificate is one TLS certificate; DaysLeft counts from today (negative
// once expired).
type Certificate struct {
	Domain   string `json:"domain"`
	Expires  string `json:"expires"`
	DaysLeft int    `json:"days_left"`
}

// CertificateList is list_certificates' result, soonest expiry first.
type CertificateList struct {
	Certificates []Certificate `json:"certificates"`
}

// RenewResult is renew_certificate's result.
type RenewResult struct {
	Domain          string `json:"domain"`
	Expires         string `json:"expires"`
	DaysLeft        int    `json:"days_left"`
	PreviousExpires string `json:"previous_expires"`
}

// RenewalDays is how long a renewed certificate is valid.
const RenewalDays = 90

var recordTypes = []string{"A", "AAAA", "CNAME", "MX", "TXT"}

func (h *hosting) handlers() []sdk.Handler {
	return []sdk.Handler{
		tool(h, "list_servers", h.listServers),
		tool(h, "get_server", h.getServer),
		tool(h, "server_metrics", h.serverMetrics),
		tool(h, "start_server", h.startServer),
		tool(h, "snapshot_server", h.snapshotServer),
		tool(h, "restart_server", h.restartServer),
		tool(h, "resize_server", h.resizeServer),
		tool(h, "stop_server", h.stopServer),
		tool(h, "delete_server", h.deleteServer),
		tool(h, "list_sites", h.listSites),
		tool(h, "list_databases", h.listDatabases),
		tool(h, "backup_database", h.backupDatabase),
		tool(h, "restore_database", h.restoreDatabase),
		tool(h, "drop_database", h.dropDatabase),
		tool(h, "list_dns_records", h.listRecords),
		tool(h, "export_zone", h.exportZone),
		tool(h, "add_dns_record", h.addRecord),
		tool(h, "delete_dns_record", h.deleteRecord),
		tool(h, "list_certificates", h.listCertificates),
		tool(h, "renew_certificate", h.renewCertificate),
		// Not wrapped in the tenant lock: it runs for seconds and only reads.
		sdk.Tool("check_server_health", h.checkHealth),
	}
}

// HealthCheck is one probe of a health check.
type HealthCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok | warn | fail
	Detail string `json:"detail"`
}

// HealthReport is check_server_health's result.
type HealthReport struct {
	Server  string        `json:"server"`
	Healthy bool          `json:"healthy"`
	Checks  []HealthCheck `json:"checks"`
	Seconds int           `json:"seconds"`
}

// checkHealth probes a server for a while (a simulated long-running job):
// it reports progress every second and stops when its context ends.
func (h *hosting) checkHealth(ctx context.Context, c sdk.Call[ServerParams]) (HealthReport, error) {
	unlock := h.lock(c.Caller.Tenant)
	s, err := loadServer(ctx, c.Env.State(), c.Params.Server)
	var settings struct {
		HealthCheckSeconds int `json:"health_check_seconds"`
	}
	if err == nil {
		_, err = c.Env.State().Get(ctx, collMeta, "settings", &settings)
	}
	unlock()
	if err != nil {
		return HealthReport{}, err
	}
	seconds := settings.HealthCheckSeconds
	if seconds <= 0 {
		seconds = 8
	}
	probes := []string{"reachability", "cpu", "memory", "disk"}
	for i := 1; i <= seconds; i++ {
		select {
		case <-ctx.Done():
			return HealthReport{}, ctx.Err()
		case <-time.After(time.Second):
		}
		c.Env.Progress(i*100/seconds, fmt.Sprintf("checking %s of %s", probes[(i-1)*len(probes)/seconds], s.Name))
	}
	r := HealthReport{Server: s.Name, Healthy: true, Seconds: seconds}
	add := func(name string, ok, warn bool, detail string) {
		st := "ok"
		switch {
		case !ok:
			st, r.Healthy = "fail", false
		case warn:
			st = "warn"
		}
		r.Checks = append(r.Checks, HealthCheck{Name: name, Status: st, Detail: detail})
	}
	running := s.Status == "running"
	add("reachability", running, false, "status "+s.Status)
	add("cpu", true, running && s.CPU >= 85, fmt.Sprintf("%d%%", s.CPU))
	add("memory", true, running && s.Memory >= 85, fmt.Sprintf("%d%%", s.Memory))
	add("disk", s.Disk < 95, s.Disk >= 80, fmt.Sprintf("%d%%", s.Disk))
	return r, nil
}

// --- servers ---

func (h *hosting) listServers(ctx context.Context, c sdk.Call[ListServersParams]) (ServerList, error) {
	out := ServerList{Servers: []ServerSummary{}}
	status, region := norm(c.Params.Status), norm(c.Params.Region)
	if status != "" && status != "running" && status != "stopped" {
		return out, sdk.Errorf(sdk.CodeInvalid, "status must be running or stopped, not %q", c.Params.Status)
	}
	servers, err := list[server](ctx, c.Env.State(), collServers)
	if err != nil {
		return out, err
	}
	for _, s := range servers {
		if (status != "" && s.Status != status) || (region != "" && s.Region != region) {
			continue
		}
		out.Servers = append(out.Servers, ServerSummary{Name: s.Name, Region: s.Region, Status: s.Status, Size: s.Size})
	}
	return out, nil
}

func (h *hosting) getServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	st := c.Env.State()
	s, err := loadServer(ctx, st, norm(c.Params.Server))
	if err != nil {
		return Server{}, err
	}
	return serverView(ctx, st, s)
}

func (h *hosting) serverMetrics(ctx context.Context, c sdk.Call[ServerParams]) (Metrics, error) {
	s, err := loadServer(ctx, c.Env.State(), norm(c.Params.Server))
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{Server: s.Name, Status: s.Status, Disk: s.Disk}
	if s.Status == "running" {
		m.CPU, m.Memory = s.CPU, s.Memory
	}
	return m, nil
}

// changeServer loads a server, applies change (which may refuse with an
// sdk error), stores it and returns the full server object.
func changeServer(ctx context.Context, st sdk.State, name string, change func(*server) error) (Server, error) {
	s, err := loadServer(ctx, st, norm(name))
	if err != nil {
		return Server{}, err
	}
	if err := change(&s); err != nil {
		return Server{}, err
	}
	if err := put(ctx, st, collServers, s.Name, s); err != nil {
		return Server{}, err
	}
	return serverView(ctx, st, s)
}

func (h *hosting) startServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	return changeServer(ctx, c.Env.State(), c.Params.Server, func(s *server) error {
		if s.Status == "running" {
			return sdk.Errorf(sdk.CodeConflict, "server %q is already running", s.Name)
		}
		s.Status = "running"
		return nil
	})
}

func (h *hosting) stopServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	return changeServer(ctx, c.Env.State(), c.Params.Server, func(s *server) error {
		if s.Status == "stopped" {
			return sdk.Errorf(sdk.CodeConflict, "server %q is already stopped", s.Name)
		}
		s.Status = "stopped"
		return nil
	})
}

func (h *hosting) restartServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	return changeServer(ctx, c.Env.State(), c.Params.Server, func(s *server) error {
		if s.Status != "running" {
			return sdk.Errorf(sdk.CodeConflict, "server %q is stopped; start it instead of restarting it", s.Name)
		}
		s.Restarts++
		s.RestartedAt = h.stamp()
		return nil
	})
}

func (h *hosting) resizeServer(ctx context.Context, c sdk.Call[ResizeParams]) (Server, error) {
	size := norm(c.Params.Size)
	newCap, ok := sizeCapacity[size]
	if !ok {
		return Server{}, sdk.Errorf(sdk.CodeInvalid, "size must be one of s, m, l or xl, not %q", c.Params.Size)
	}
	return changeServer(ctx, c.Env.State(), c.Params.Server, func(s *server) error {
		if s.Size == size {
			return sdk.Errorf(sdk.CodeConflict, "server %q is already size %s", s.Name, size)
		}
		// The same load on a bigger machine is a smaller share of it.
		oldCap := sizeCapacity[s.Size]
		if oldCap == 0 {
			oldCap = newCap
		}
		s.CPU = scale(s.CPU, oldCap, newCap)
		s.Memory = scale(s.Memory, oldCap, newCap)
		s.Size = size
		return nil
	})
}

func scale(pct, oldCap, newCap int) int {
	v := int(math.Round(float64(pct) * float64(oldCap) / float64(newCap)))
	return min(max(v, 1), 100)
}

func (h *hosting) snapshotServer(ctx context.Context, c sdk.Call[ServerParams]) (SnapshotResult, error) {
	st := c.Env.State()
	s, err := loadServer(ctx, st, norm(c.Params.Server))
	if err != nil {
		return SnapshotResult{}, err
	}
	s.Snapshots++
	snap := snapshot{ID: fmt.Sprintf("%s-snap-%d", s.Name, s.Snapshots), Server: s.Name, Disk: s.Disk, Created: h.stamp()}
	if err := put(ctx, st, collSnapshots, snap.ID, snap); err != nil {
		return SnapshotResult{}, err
	}
	if err := put(ctx, st, collServers, s.Name, s); err != nil {
		return SnapshotResult{}, err
	}
	return SnapshotResult{Server: s.Name, Snapshot: snap.ID, Created: snap.Created}, nil
}

// deleteServer removes the server and the sites and databases it runs (the
// cascade the kernel showed). Snapshots and database backups are kept.
func (h *hosting) deleteServer(ctx context.Context, c sdk.Call[ServerParams]) (DeleteServerResult, error) {
	st := c.Env.State()
	s, err := loadServer(ctx, st, norm(c.Params.Server))
	if err != nil {
		return DeleteServerResult{}, err
	}
	v, err := serverView(ctx, st, s)
	if err != nil {
		return DeleteServerResult{}, err
	}
	for _, name := range v.Sites {
		if err := del(ctx, st, collSites, name); err != nil {
			return DeleteServerResult{}, err
		}
	}
	for _, name := range v.Databases {
		if err := del(ctx, st, collDatabases, name); err != nil {
			return DeleteServerResult{}, err
		}
	}
	if err := del(ctx, st, collServers, s.Name); err != nil {
		return DeleteServerResult{}, err
	}
	return DeleteServerResult{Server: s.Name, Deleted: true, SitesRemoved: v.Sites, DatabasesRemoved: v.Databases}, nil
}

// --- sites and databases ---

// serverFilter resolves an optional server name; "" means every server.
func serverFilter(ctx context.Context, st sdk.State, name string) (string, error) {
	name = norm(name)
	if name == "" {
		return "", nil
	}
	if _, err := loadServer(ctx, st, name); err != nil {
		return "", err
	}
	return name, nil
}

func (h *hosting) listSites(ctx context.Context, c sdk.Call[ServerFilter]) (SiteList, error) {
	out := SiteList{Sites: []Site{}}
	st := c.Env.State()
	srv, err := serverFilter(ctx, st, c.Params.Server)
	if err != nil {
		return out, err
	}
	sites, err := list[site](ctx, st, collSites)
	if err != nil {
		return out, err
	}
	for _, s := range sites {
		if srv == "" || s.Server == srv {
			out.Sites = append(out.Sites, Site(s))
		}
	}
	return out, nil
}

func (h *hosting) listDatabases(ctx context.Context, c sdk.Call[ServerFilter]) (DatabaseList, error) {
	out := DatabaseList{Databases: []Database{}}
	st := c.Env.State()
	srv, err := serverFilter(ctx, st, c.Params.Server)
	if err != nil {
		return out, err
	}
	dbs, err := list[database](ctx, st, collDatabases)
	if err != nil {
		return out, err
	}
	backups, err := list[backup](ctx, st, collBackups)
	if err != nil {
		return out, err
	}
	for _, d := range dbs {
		if srv != "" && d.Server != srv {
			continue
		}
		out.Databases = append(out.Databases, Database{
			Name: d.Name, Server: d.Server, SizeMB: d.SizeMB,
			Backups: backupsOf(backups, d.Name), RestoredFrom: d.RestoredFrom,
		})
	}
	return out, nil
}

// backupsOf returns the ids of a database's backups, oldest first.
func backupsOf(all []backup, db string) []string {
	var bs []backup
	for _, b := range all {
		if b.Database == db {
			bs = append(bs, b)
		}
	}
	slices.SortFunc(bs, func(a, b backup) int { return backupSeq(a.ID) - backupSeq(b.ID) })
	ids := make([]string, 0, len(bs))
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	return ids
}

// backupSeq is the number after the last dash of a backup id ("orders-2"
// → 2), or 0.
func backupSeq(id string) int {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return 0
	}
	return n
}

func (h *hosting) backupDatabase(ctx context.Context, c sdk.Call[DatabaseParams]) (BackupResult, error) {
	st := c.Env.State()
	d, err := loadDatabase(ctx, st, norm(c.Params.Database))
	if err != nil {
		return BackupResult{}, err
	}
	d.BackupSeq++
	b := backup{ID: fmt.Sprintf("%s-%d", d.Name, d.BackupSeq), Database: d.Name, SizeMB: d.SizeMB, Created: h.stamp()}
	if err := put(ctx, st, collBackups, b.ID, b); err != nil {
		return BackupResult{}, err
	}
	if err := put(ctx, st, collDatabases, d.Name, d); err != nil {
		return BackupResult{}, err
	}
	return BackupResult{Database: d.Name, Backup: b.ID, SizeMB: b.SizeMB, Created: b.Created}, nil
}

func (h *hosting) restoreDatabase(ctx context.Context, c sdk.Call[RestoreParams]) (RestoreResult, error) {
	st := c.Env.State()
	d, err := loadDatabase(ctx, st, norm(c.Params.Database))
	if err != nil {
		return RestoreResult{}, err
	}
	id := norm(c.Params.Backup)
	if err := required("backup", id); err != nil {
		return RestoreResult{}, err
	}
	b, ok, err := get[backup](ctx, st, collBackups, id)
	if err != nil {
		return RestoreResult{}, err
	}
	if !ok {
		return RestoreResult{}, sdk.Errorf(sdk.CodeNotFound, "no backup named %q", id)
	}
	if b.Database != d.Name {
		return RestoreResult{}, sdk.Errorf(sdk.CodeConflict, "backup %q is of database %q, not %q", b.ID, b.Database, d.Name)
	}
	d.SizeMB = b.SizeMB
	d.RestoredFrom = b.ID
	if err := put(ctx, st, collDatabases, d.Name, d); err != nil {
		return RestoreResult{}, err
	}
	return RestoreResult{Database: d.Name, Backup: b.ID, SizeMB: d.SizeMB}, nil
}

// dropDatabase removes the database; its backups (including the one the
// kernel takes first) are kept so it can be brought back.
func (h *hosting) dropDatabase(ctx context.Context, c sdk.Call[DatabaseParams]) (DropResult, error) {
	st := c.Env.State()
	d, err := loadDatabase(ctx, st, norm(c.Params.Database))
	if err != nil {
		return DropResult{}, err
	}
	backups, err := list[backup](ctx, st, collBackups)
	if err != nil {
		return DropResult{}, err
	}
	if err := del(ctx, st, collDatabases, d.Name); err != nil {
		return DropResult{}, err
	}
	return DropResult{Database: d.Name, Dropped: true, Backups: backupsOf(backups, d.Name)}, nil
}

// --- DNS ---

func (h *hosting) listRecords(ctx context.Context, c sdk.Call[ZoneParams]) (RecordList, error) {
	z, err := loadZone(ctx, c.Env.State(), norm(c.Params.Zone))
	if err != nil {
		return RecordList{Records: []Record{}}, err
	}
	return RecordList{Zone: z.Name, Records: z.Records}, nil
}

func (h *hosting) exportZone(ctx context.Context, c sdk.Call[ZoneParams]) (ZoneFile, error) {
	z, err := loadZone(ctx, c.Env.State(), norm(c.Params.Zone))
	if err != nil {
		return ZoneFile{}, err
	}
	return ZoneFile{Zone: z.Name, Zonefile: zoneFile(z)}, nil
}

const ttl = 3600

// zoneFile renders a zone in BIND master-file format.
func zoneFile(z zone) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s.\n$TTL %d\n", z.Name, ttl)
	fmt.Fprintf(&b, "@\t%d\tIN\tSOA\tns1.%s. hostmaster.%s. %d 7200 3600 1209600 %d\n", ttl, z.Name, z.Name, max(z.Serial, 1), ttl)
	for _, r := range z.Records {
		fmt.Fprintf(&b, "%s\t%d\tIN\t%s\t%s\n", r.Name, ttl, r.Type, bindValue(r))
	}
	return b.String()
}

func bindValue(r Record) string {
	switch r.Type {
	case "CNAME":
		return r.Value + "."
	case "MX":
		pref, host, _ := strings.Cut(r.Value, " ")
		return pref + " " + host + "."
	case "TXT":
		return strconv.Quote(r.Value)
	}
	return r.Value
}

// relName turns a record name into one relative to the zone: "api",
// "api.acme.test" → "api"; "acme.test", "@" → "@".
func relName(name, zoneName string) string {
	name = norm(name)
	switch {
	case name == "@" || name == zoneName:
		return "@"
	case strings.HasSuffix(name, "."+zoneName):
		return strings.TrimSuffix(name, "."+zoneName)
	}
	return name
}

// fqdn is a record's full name.
func fqdn(r Record, zoneName string) string {
	if r.Name == "@" {
		return zoneName
	}
	return r.Name + "." + zoneName
}

func recordType(t string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(t))
	if !slices.Contains(recordTypes, u) {
		return "", sdk.Errorf(sdk.CodeInvalid, "record type must be one of A, AAAA, CNAME, MX or TXT, not %q", t)
	}
	return u, nil
}

func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// recordValue validates and canonicalises a value for a record type.
func recordValue(typ, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", sdk.Errorf(sdk.CodeInvalid, "value is required")
	}
	switch typ {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(v)
		if err != nil || (typ == "A") != ip.Is4() {
			kind := "IPv4"
			if typ == "AAAA" {
				kind = "IPv6"
			}
			return "", sdk.Errorf(sdk.CodeInvalid, "an %s record needs an %s address, not %q", typ, kind, value)
		}
		return ip.String(), nil
	case "CNAME":
		host := norm(v)
		if !validHost(host) {
			return "", sdk.Errorf(sdk.CodeInvalid, "a CNAME record needs a host name, not %q", value)
		}
		return host, nil
	case "MX":
		pref, host := "10", v
		if p, h, ok := strings.Cut(v, " "); ok {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				return "", sdk.Errorf(sdk.CodeInvalid, "an MX record needs \"preference host\", not %q", value)
			}
			pref, host = p, strings.TrimSpace(h)
		}
		host = norm(host)
		if !validHost(host) {
			return "", sdk.Errorf(sdk.CodeInvalid, "an MX record needs a mail host name, not %q", value)
		}
		return pref + " " + host, nil
	}
	return v, nil
}

func (h *hosting) addRecord(ctx context.Context, c sdk.Call[AddRecordParams]) (AddRecordResult, error) {
	st := c.Env.State()
	z, err := loadZone(ctx, st, norm(c.Params.Zone))
	if err != nil {
		return AddRecordResult{}, err
	}
	typ, err := recordType(c.Params.Type)
	if err != nil {
		return AddRecordResult{}, err
	}
	name := relName(c.Params.Name, z.Name)
	if name == "" || (name != "@" && !validHost(name)) {
		return AddRecordResult{}, sdk.Errorf(sdk.CodeInvalid, "record name must be a host label such as api, not %q", c.Params.Name)
	}
	value, err := recordValue(typ, c.Params.Value)
	if err != nil {
		return AddRecordResult{}, err
	}
	rec := Record{Name: name, Type: typ, Value: value}
	for _, r := range z.Records {
		switch {
		case r == rec:
			return AddRecordResult{}, sdk.Errorf(sdk.CodeConflict, "%s already has %s record %s → %s", z.Name, typ, name, value)
		case r.Name == name && (r.Type == "CNAME" || typ == "CNAME"):
			return AddRecordResult{}, sdk.Errorf(sdk.CodeConflict, "%s already has a %s record named %s; a CNAME cannot share its name", z.Name, r.Type, name)
		}
	}
	z.Records = append(z.Records, rec)
	z.Serial++
	if err := put(ctx, st, collZones, z.Name, z); err != nil {
		return AddRecordResult{}, err
	}
	return AddRecordResult{Zone: z.Name, Record: rec}, nil
}

func (h *hosting) deleteRecord(ctx context.Context, c sdk.Call[DeleteRecordParams]) (DeleteRecordResult, error) {
	st := c.Env.State()
	z, err := loadZone(ctx, st, norm(c.Params.Zone))
	if err != nil {
		return DeleteRecordResult{}, err
	}
	typ := ""
	if strings.TrimSpace(c.Params.Type) != "" {
		if typ, err = recordType(c.Params.Type); err != nil {
			return DeleteRecordResult{}, err
		}
	}
	name := relName(c.Params.Name, z.Name)
	if err := required("name", name); err != nil {
		return DeleteRecordResult{}, err
	}
	out := DeleteRecordResult{Zone: z.Name, Name: name, Deleted: []Record{}}
	kept := make([]Record, 0, len(z.Records))
	for _, r := range z.Records {
		if r.Name == name && (typ == "" || r.Type == typ) {
			out.Deleted = append(out.Deleted, r)
			continue
		}
		kept = append(kept, r)
	}
	if len(out.Deleted) == 0 {
		if typ != "" {
			return out, sdk.Errorf(sdk.CodeNotFound, "no %s record named %q in %s", typ, name, z.Name)
		}
		return out, sdk.Errorf(sdk.CodeNotFound, "no record named %q in %s", name, z.Name)
	}
	z.Records = kept
	z.Serial++
	if err := put(ctx, st, collZones, z.Name, z); err != nil {
		return out, err
	}
	return out, nil
}

// --- certificates ---

func (h *hosting) listCertificates(ctx context.Context, c sdk.Call[ListCertificatesParams]) (CertificateList, error) {
	out := CertificateList{Certificates: []Certificate{}}
	within := c.Params.ExpiringWithinDays
	if within < 0 {
		return out, sdk.Errorf(sdk.CodeInvalid, "expiring_within_days must not be negative")
	}
	certs, err := list[certificate](ctx, c.Env.State(), collCerts)
	if err != nil {
		return out, err
	}
	for _, ct := range certs {
		v := h.certView(ct)
		if within > 0 && v.DaysLeft > within {
			continue
		}
		out.Certificates = append(out.Certificates, v)
	}
	slices.SortStableFunc(out.Certificates, func(a, b Certificate) int { return a.DaysLeft - b.DaysLeft })
	return out, nil
}

func (h *hosting) renewCertificate(ctx context.Context, c sdk.Call[DomainParams]) (RenewResult, error) {
	st := c.Env.State()
	ct, err := loadCertificate(ctx, st, norm(c.Params.Domain))
	if err != nil {
		return RenewResult{}, err
	}
	prev := ct.Expires
	ct.Expires = h.today().AddDate(0, 0, RenewalDays).Format(dateLayout)
	if err := put(ctx, st, collCerts, ct.Domain, ct); err != nil {
		return RenewResult{}, err
	}
	v := h.certView(ct)
	return RenewResult{Domain: v.Domain, Expires: v.Expires, DaysLeft: v.DaysLeft, PreviousExpires: prev}, nil
}
