package hosting

import "github.com/steward-os/steward/sdk"

// handlers binds every tool the manifest declares. Each handler but the
// health check runs holding its tenant's lock (sdk.State has no
// transactions). The handlers, by concern: servers.go, health.go,
// databases.go (sites and databases), dns.go and certificates.go.
func (h *hosting) handlers() []sdk.Handler {
	return append([]sdk.Handler{
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
		tool(h, "inject_incident", h.injectIncident), // the demo world's incidents (probes.go)
	}, h.probes()...)
}

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
