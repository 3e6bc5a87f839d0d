package hosting

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

const worldFile = "../../configs/world.yaml"

// now is the fixed clock of these tests.
var now = time.Date(2026, 3, 10, 15, 4, 5, 0, time.UTC)

var alice = sdk.Caller{Actor: "alice", Tenant: "acme", Roles: []string{"admin"}}

type world struct {
	ext sdk.Extension
	st  *sdktest.State
	env *sdktest.Env
}

func newWorld(t *testing.T, tenant string) *world {
	t.Helper()
	data, err := sdktest.WorldSection(worldFile, tenant, "hosting")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ext: ExtensionWithClock(func() time.Time { return now }), st: sdktest.NewState()}
	w.env = sdktest.NewEnv(w.st)
	if err := w.ext.Seed(context.Background(), w.st, data); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return w
}

// fastHealth makes check_server_health take one second.
func (w *world) fastHealth(t *testing.T) {
	t.Helper()
	if err := w.st.Put(context.Background(), collMeta, "settings", map[string]int{"health_check_seconds": 1}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) call(t *testing.T, tool string, args any) (any, error) {
	t.Helper()
	h := sdktest.Handler(w.ext, tool)
	if h == nil {
		t.Fatalf("no handler for %s", tool)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return h.Invoke(context.Background(), alice, w.env, raw)
}

func (w *world) ok(t *testing.T, tool string, args any) any {
	t.Helper()
	res, err := w.call(t, tool, args)
	if err != nil {
		t.Fatalf("%s(%v): %v", tool, args, err)
	}
	return res
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func (w *world) server(t *testing.T, name string) (server, bool) {
	t.Helper()
	s, ok, err := get[server](context.Background(), w.st, collServers, name)
	if err != nil {
		t.Fatal(err)
	}
	return s, ok
}

type a = map[string]any

func TestManifestBindsEveryTool(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	ext := Extension()
	var names []string
	for _, h := range ext.Handlers {
		if _, probe := h.(sdk.ProbeHandler); probe {
			continue // probes are declared under probes (probes_test.go)
		}
		if _, ok := tools[h.Name()]; !ok {
			t.Errorf("handler %s is not declared in the manifest", h.Name())
		}
		names = append(names, h.Name())
	}
	for name := range tools {
		if !slices.Contains(names, name) {
			t.Errorf("tool %s has no handler", name)
		}
	}
	if ext.Context == nil || ext.Seed == nil {
		t.Error("context provider or seed missing")
	}
}

func TestParamsSchema(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{ // required parameters
		"list_servers":        nil,
		"get_server":          {"server"},
		"server_metrics":      {"server"},
		"start_server":        {"server"},
		"snapshot_server":     {"server"},
		"restart_server":      {"server"},
		"resize_server":       {"server", "size"},
		"stop_server":         {"server"},
		"delete_server":       {"server"},
		"list_sites":          nil,
		"list_databases":      nil,
		"backup_database":     {"database"},
		"restore_database":    {"backup", "database"},
		"drop_database":       {"database"},
		"list_dns_records":    {"zone"},
		"export_zone":         {"zone"},
		"add_dns_record":      {"name", "type", "value", "zone"},
		"delete_dns_record":   {"name", "zone"},
		"list_certificates":   nil,
		"renew_certificate":   {"domain"},
		"check_server_health": {"server"},
		"inject_incident":     {"metric", "server"},
	}
	for _, h := range Extension().Handlers {
		if _, probe := h.(sdk.ProbeHandler); probe {
			continue
		}
		t.Run(h.Name(), func(t *testing.T) {
			s, err := h.ParamsSchema()
			if err != nil {
				t.Fatal(err)
			}
			req := slices.Clone(s.Required)
			sort.Strings(req)
			if !slices.Equal(req, want[h.Name()]) {
				t.Errorf("required = %v, want %v", req, want[h.Name()])
			}
			var props, declared []string
			for p := range s.Properties {
				props = append(props, p)
			}
			for p := range tools[h.Name()].Params {
				declared = append(declared, p)
			}
			sort.Strings(props)
			sort.Strings(declared)
			if !slices.Equal(props, declared) {
				t.Errorf("properties = %v, manifest params = %v", props, declared)
			}
			if _, err := h.ResultSchema(); err != nil {
				t.Errorf("result schema: %v", err)
			}
		})
	}
	s, _ := sdktest.Handler(Extension(), "list_certificates").ParamsSchema()
	if ty := s.Properties["expiring_within_days"].Type; ty != "integer" {
		t.Errorf("expiring_within_days type = %q, want integer", ty)
	}
}

func TestReadTools(t *testing.T) {
	w := newWorld(t, "acme")
	tests := []struct {
		tool string
		args any
		want any
	}{
		{"list_servers", a{}, ServerList{Servers: []ServerSummary{
			{"db-1", "us-east", "running", "l"},
			{"staging-1", "us-east", "stopped", "s"},
			{"web-1", "eu-west", "running", "m"},
			{"web-2", "eu-west", "running", "m"},
		}}},
		{"list_servers", a{"status": "stopped"}, ServerList{Servers: []ServerSummary{{"staging-1", "us-east", "stopped", "s"}}}},
		{"list_servers", a{"region": "eu-west", "status": "running"}, ServerList{Servers: []ServerSummary{
			{"web-1", "eu-west", "running", "m"}, {"web-2", "eu-west", "running", "m"},
		}}},
		{"list_servers", a{"region": "mars"}, ServerList{Servers: []ServerSummary{}}},
		{"get_server", a{"server": "web-2"}, Server{Name: "web-2", Region: "eu-west", Status: "running", Size: "m",
			Sites: []string{"blog.acme.test", "status.acme.test"}, Databases: []string{}}},
		{"get_server", a{"server": "DB-1"}, Server{Name: "db-1", Region: "us-east", Status: "running", Size: "l",
			Sites: []string{}, Databases: []string{"analytics", "orders"}}},
		{"server_metrics", a{"server": "web-1"}, Metrics{Server: "web-1", Status: "running", CPU: 38, Memory: 61, Disk: 47}},
		{"server_metrics", a{"server": "staging-1"}, Metrics{Server: "staging-1", Status: "stopped", CPU: 0, Memory: 0, Disk: 25}},
		{"list_sites", a{}, SiteList{Sites: []Site{
			{"blog.acme.test", "web-2"}, {"shop.acme.test", "web-1"}, {"status.acme.test", "web-2"},
		}}},
		{"list_sites", a{"server": "web-1"}, SiteList{Sites: []Site{{"shop.acme.test", "web-1"}}}},
		{"list_sites", a{"server": "db-1"}, SiteList{Sites: []Site{}}},
		{"list_databases", a{}, DatabaseList{Databases: []Database{
			{Name: "analytics", Server: "db-1", SizeMB: 5310, Backups: []string{"analytics-1"}},
			{Name: "orders", Server: "db-1", SizeMB: 1240, Backups: []string{"orders-1"}},
		}}},
		{"list_databases", a{"server": "web-1"}, DatabaseList{Databases: []Database{}}},
		{"list_dns_records", a{"zone": "acme.test"}, RecordList{Zone: "acme.test", Records: []Record{
			{"shop", "A", "203.0.113.10"}, {"blog", "A", "203.0.113.20"},
			{"www", "CNAME", "shop.acme.test"}, {"@", "MX", "10 mail.acme.test"},
		}}},
		{"list_certificates", a{}, CertificateList{Certificates: []Certificate{
			{"blog.acme.test", "2026-03-15", 5}, {"shop.acme.test", "2026-05-09", 60},
		}}},
		{"list_certificates", a{"expiring_within_days": 30}, CertificateList{Certificates: []Certificate{
			{"blog.acme.test", "2026-03-15", 5},
		}}},
		{"list_certificates", a{"expiring_within_days": 0}, CertificateList{Certificates: []Certificate{
			{"blog.acme.test", "2026-03-15", 5}, {"shop.acme.test", "2026-05-09", 60},
		}}},
		{"list_certificates", a{"expiring_within_days": 5}, CertificateList{Certificates: []Certificate{
			{"blog.acme.test", "2026-03-15", 5},
		}}},
	}
	for _, tt := range tests {
		got := w.ok(t, tt.tool, tt.args)
		if !jsonEqual(t, got, tt.want) {
			t.Errorf("%s(%v) = %s, want %s", tt.tool, tt.args, js(t, got), js(t, tt.want))
		}
	}
}

func TestExportZone(t *testing.T) {
	w := newWorld(t, "acme")
	res := w.ok(t, "export_zone", a{"zone": "acme.test."}).(ZoneFile)
	want := "$ORIGIN acme.test.\n$TTL 3600\n" +
		"@\t3600\tIN\tSOA\tns1.acme.test. hostmaster.acme.test. 1 7200 3600 1209600 3600\n" +
		"shop\t3600\tIN\tA\t203.0.113.10\n" +
		"blog\t3600\tIN\tA\t203.0.113.20\n" +
		"www\t3600\tIN\tCNAME\tshop.acme.test.\n" +
		"@\t3600\tIN\tMX\t10 mail.acme.test.\n"
	if res.Zone != "acme.test" || res.Zonefile != want {
		t.Errorf("export_zone = %q\nwant %q", res.Zonefile, want)
	}
}

func TestServerLifecycle(t *testing.T) {
	w := newWorld(t, "acme")
	steps := []struct {
		tool string
		args any
		code string // expected error code, "" for success
		want func(t *testing.T, res any)
	}{
		{"start_server", a{"server": "web-1"}, sdk.CodeConflict, nil},
		{"stop_server", a{"server": "staging-1"}, sdk.CodeConflict, nil},
		{"restart_server", a{"server": "staging-1"}, sdk.CodeConflict, nil},
		{"start_server", a{"server": "staging-1"}, "", func(t *testing.T, res any) {
			if s := res.(Server); s.Status != "running" {
				t.Errorf("start: %+v", s)
			}
		}},
		{"restart_server", a{"server": "web-1"}, "", func(t *testing.T, res any) {
			s := res.(Server)
			if s.Status != "running" || s.Restarts != 1 || s.RestartedAt != "2026-03-10T15:04:05Z" || !slices.Equal(s.Sites, []string{"shop.acme.test"}) {
				t.Errorf("restart: %+v", s)
			}
		}},
		{"restart_server", a{"server": "web-1"}, "", func(t *testing.T, res any) {
			if s := res.(Server); s.Restarts != 2 {
				t.Errorf("second restart: %+v", s)
			}
		}},
		{"stop_server", a{"server": "web-2"}, "", func(t *testing.T, res any) {
			if s := res.(Server); s.Status != "stopped" || len(s.Sites) != 2 {
				t.Errorf("stop: %+v", s)
			}
		}},
		{"resize_server", a{"server": "web-1", "size": "xxl"}, sdk.CodeInvalid, nil},
		{"resize_server", a{"server": "web-1", "size": "m"}, sdk.CodeConflict, nil},
		{"resize_server", a{"server": "web-1", "size": "l"}, "", func(t *testing.T, res any) {
			if s := res.(Server); s.Size != "l" {
				t.Errorf("resize: %+v", s)
			}
		}},
		{"server_metrics", a{"server": "web-1"}, "", func(t *testing.T, res any) {
			// Twice the capacity, half the share; disk unchanged.
			if m := res.(Metrics); m != (Metrics{Server: "web-1", Status: "running", CPU: 19, Memory: 31, Disk: 47}) {
				t.Errorf("metrics after resize: %+v", m)
			}
		}},
		{"snapshot_server", a{"server": "db-1"}, "", func(t *testing.T, res any) {
			if s := res.(SnapshotResult); s.Server != "db-1" || s.Snapshot != "db-1-snap-1" {
				t.Errorf("snapshot: %+v", s)
			}
		}},
		{"snapshot_server", a{"server": "db-1"}, "", func(t *testing.T, res any) {
			if s := res.(SnapshotResult); s.Snapshot != "db-1-snap-2" {
				t.Errorf("second snapshot: %+v", s)
			}
		}},
	}
	for i, s := range steps {
		res, err := w.call(t, s.tool, s.args)
		if s.code != "" {
			if err == nil {
				t.Fatalf("step %d %s(%v) succeeded, want %s", i, s.tool, s.args, s.code)
			}
			wantCode(t, err, s.code)
			continue
		}
		if err != nil {
			t.Fatalf("step %d %s(%v): %v", i, s.tool, s.args, err)
		}
		s.want(t, res)
	}
	// Everything above is in State, not in the handlers.
	for name, want := range map[string]string{"staging-1": "running", "web-2": "stopped"} {
		if s, _ := w.server(t, name); s.Status != want {
			t.Errorf("stored %s status = %s, want %s", name, s.Status, want)
		}
	}
	if s, _ := w.server(t, "web-1"); s.Size != "l" || s.Restarts != 2 {
		t.Errorf("stored web-1 = %+v", s)
	}
	if keys := w.st.Keys(collSnapshots); !slices.Equal(keys, []string{"db-1-snap-1", "db-1-snap-2"}) {
		t.Errorf("stored snapshots = %v", keys)
	}
}

func TestDeleteServerCascade(t *testing.T) {
	w := newWorld(t, "acme")
	res := w.ok(t, "delete_server", a{"server": "db-1"}).(DeleteServerResult)
	want := DeleteServerResult{Server: "db-1", Deleted: true, SitesRemoved: []string{}, DatabasesRemoved: []string{"analytics", "orders"}}
	if !jsonEqual(t, res, want) {
		t.Errorf("delete db-1 = %+v", res)
	}
	res = w.ok(t, "delete_server", a{"server": "web-2"}).(DeleteServerResult)
	if !slices.Equal(res.SitesRemoved, []string{"blog.acme.test", "status.acme.test"}) {
		t.Errorf("delete web-2 = %+v", res)
	}
	if _, ok := w.server(t, "web-2"); ok {
		t.Error("web-2 still stored")
	}
	if keys := w.st.Keys(collSites); !slices.Equal(keys, []string{"shop.acme.test"}) {
		t.Errorf("sites left = %v", keys)
	}
	if keys := w.st.Keys(collDatabases); len(keys) != 0 {
		t.Errorf("databases left = %v", keys)
	}
	if keys := w.st.Keys(collBackups); len(keys) != 2 {
		t.Errorf("backups must be kept, got %v", keys)
	}
	_, err := w.call(t, "get_server", a{"server": "web-2"})
	wantCode(t, err, sdk.CodeNotFound)
	_, err = w.call(t, "delete_server", a{"server": "web-2"})
	wantCode(t, err, sdk.CodeNotFound)
}

func TestDatabases(t *testing.T) {
	w := newWorld(t, "acme")
	b := w.ok(t, "backup_database", a{"database": "orders"}).(BackupResult)
	if b.Backup != "orders-2" || b.Database != "orders" || b.SizeMB != 1240 {
		t.Errorf("backup = %+v", b)
	}
	if b := w.ok(t, "backup_database", a{"database": "orders"}).(BackupResult); b.Backup != "orders-3" {
		t.Errorf("second backup = %+v", b)
	}
	_, err := w.call(t, "restore_database", a{"database": "orders", "backup": "analytics-1"})
	wantCode(t, err, sdk.CodeConflict)
	_, err = w.call(t, "restore_database", a{"database": "orders", "backup": "orders-9"})
	wantCode(t, err, sdk.CodeNotFound)
	r := w.ok(t, "restore_database", a{"database": "orders", "backup": "orders-1"}).(RestoreResult)
	if r != (RestoreResult{Database: "orders", Backup: "orders-1", SizeMB: 1240}) {
		t.Errorf("restore = %+v", r)
	}
	list := w.ok(t, "list_databases", a{"server": "db-1"}).(DatabaseList)
	if got := list.Databases[1]; !slices.Equal(got.Backups, []string{"orders-1", "orders-2", "orders-3"}) || got.RestoredFrom != "orders-1" {
		t.Errorf("orders after restore = %+v", got)
	}
	d := w.ok(t, "drop_database", a{"database": "analytics"}).(DropResult)
	if !d.Dropped || !slices.Equal(d.Backups, []string{"analytics-1"}) {
		t.Errorf("drop = %+v", d)
	}
	_, err = w.call(t, "backup_database", a{"database": "analytics"})
	wantCode(t, err, sdk.CodeNotFound)
	if keys := w.st.Keys(collDatabases); !slices.Equal(keys, []string{"orders"}) {
		t.Errorf("stored databases = %v", keys)
	}
}

func TestDNS(t *testing.T) {
	w := newWorld(t, "acme")
	steps := []struct {
		tool string
		args a
		code string
		want any
	}{
		{"add_dns_record", a{"zone": "acme.test", "type": "A", "name": "api", "value": "203.0.113.7"}, "",
			AddRecordResult{Zone: "acme.test", Record: Record{"api", "A", "203.0.113.7"}}},
		{"add_dns_record", a{"zone": "acme.test", "type": "a", "name": "api.acme.test", "value": "203.0.113.7"}, sdk.CodeConflict, nil},
		{"add_dns_record", a{"zone": "acme.test", "type": "CNAME", "name": "shop", "value": "web.acme.test"}, sdk.CodeConflict, nil},
		{"add_dns_record", a{"zone": "acme.test", "type": "A", "name": "www", "value": "203.0.113.9"}, sdk.CodeConflict, nil},
		{"add_dns_record", a{"zone": "acme.test", "type": "A", "name": "bad", "value": "not-an-ip"}, sdk.CodeInvalid, nil},
		{"add_dns_record", a{"zone": "acme.test", "type": "AAAA", "name": "v6", "value": "203.0.113.7"}, sdk.CodeInvalid, nil},
		{"add_dns_record", a{"zone": "acme.test", "type": "SRV", "name": "x", "value": "y"}, sdk.CodeInvalid, nil},
		{"add_dns_record", a{"zone": "acme.test", "type": "CNAME", "name": "docs", "value": "Shop.Acme.Test."}, "",
			AddRecordResult{Zone: "acme.test", Record: Record{"docs", "CNAME", "shop.acme.test"}}},
		{"add_dns_record", a{"zone": "acme.test", "type": "MX", "name": "@", "value": "mx2.acme.test"}, "",
			AddRecordResult{Zone: "acme.test", Record: Record{"@", "MX", "10 mx2.acme.test"}}},
		{"add_dns_record", a{"zone": "nope.test", "type": "A", "name": "x", "value": "192.0.2.1"}, sdk.CodeNotFound, nil},
		{"delete_dns_record", a{"zone": "acme.test", "name": "www", "type": "A"}, sdk.CodeNotFound, nil},
		{"delete_dns_record", a{"zone": "acme.test", "name": "ghost"}, sdk.CodeNotFound, nil},
		{"delete_dns_record", a{"zone": "acme.test", "name": "www", "type": "CNAME"}, "",
			DeleteRecordResult{Zone: "acme.test", Name: "www", Deleted: []Record{{"www", "CNAME", "shop.acme.test"}}}},
		{"delete_dns_record", a{"zone": "acme.test", "name": "@"}, "",
			DeleteRecordResult{Zone: "acme.test", Name: "@", Deleted: []Record{{"@", "MX", "10 mail.acme.test"}, {"@", "MX", "10 mx2.acme.test"}}}},
		{"list_dns_records", a{"zone": "acme.test"}, "", RecordList{Zone: "acme.test", Records: []Record{
			{"shop", "A", "203.0.113.10"}, {"blog", "A", "203.0.113.20"}, {"api", "A", "203.0.113.7"}, {"docs", "CNAME", "shop.acme.test"},
		}}},
	}
	for i, s := range steps {
		res, err := w.call(t, s.tool, s.args)
		if s.code != "" {
			if err == nil {
				t.Fatalf("step %d %s(%v) succeeded, want %s", i, s.tool, s.args, s.code)
			}
			wantCode(t, err, s.code)
			continue
		}
		if err != nil {
			t.Fatalf("step %d %s(%v): %v", i, s.tool, s.args, err)
		}
		if !jsonEqual(t, res, s.want) {
			t.Errorf("step %d %s = %s, want %s", i, s.tool, js(t, res), js(t, s.want))
		}
	}
	z, _, err := get[zone](context.Background(), w.st, collZones, "acme.test")
	if err != nil || len(z.Records) != 4 || z.Serial != 6 {
		t.Errorf("stored zone = %+v, %v", z, err)
	}
	if zf := w.ok(t, "export_zone", a{"zone": "acme.test"}).(ZoneFile); !strings.Contains(zf.Zonefile, " 6 7200 ") {
		t.Errorf("serial not in zone file:\n%s", zf.Zonefile)
	}
}

func TestCertificates(t *testing.T) {
	w := newWorld(t, "acme")
	r := w.ok(t, "renew_certificate", a{"domain": "blog.acme.test"}).(RenewResult)
	want := RenewResult{Domain: "blog.acme.test", Expires: "2026-06-08", DaysLeft: 90, PreviousExpires: "2026-03-15"}
	if r != want {
		t.Errorf("renew = %+v, want %+v", r, want)
	}
	_, err := w.call(t, "renew_certificate", a{"domain": "status.acme.test"})
	wantCode(t, err, sdk.CodeNotFound)
	_, err = w.call(t, "list_certificates", a{"expiring_within_days": -1})
	wantCode(t, err, sdk.CodeInvalid)

	// A day later, from the same state, days_left moves on.
	later := ExtensionWithClock(func() time.Time { return now.Add(24 * time.Hour) })
	res, err := sdktest.Handler(later, "list_certificates").Invoke(context.Background(), alice, w.env, json.RawMessage(`{"expiring_within_days": 60}`))
	if err != nil {
		t.Fatal(err)
	}
	got := res.(CertificateList).Certificates
	if len(got) != 1 || got[0] != (Certificate{"shop.acme.test", "2026-05-09", 59}) {
		t.Errorf("a day later = %+v", got)
	}
}

func TestNotFoundAndInvalid(t *testing.T) {
	w := newWorld(t, "acme")
	tests := []struct {
		tool string
		args any
		code string
	}{
		{"get_server", a{"server": "web-9"}, sdk.CodeNotFound},
		{"server_metrics", a{"server": "web-9"}, sdk.CodeNotFound},
		{"start_server", a{"server": "web-9"}, sdk.CodeNotFound},
		{"snapshot_server", a{"server": "web-9"}, sdk.CodeNotFound},
		{"restart_server", a{"server": "web-9"}, sdk.CodeNotFound},
		{"resize_server", a{"server": "web-9", "size": "l"}, sdk.CodeNotFound},
		{"stop_server", a{"server": "web-9"}, sdk.CodeNotFound},
		{"delete_server", a{"server": "web-9"}, sdk.CodeNotFound},
		{"delete_server", a{"server": "gx-web-1"}, sdk.CodeNotFound}, // another tenant's server
		{"list_sites", a{"server": "web-9"}, sdk.CodeNotFound},
		{"list_databases", a{"server": "web-9"}, sdk.CodeNotFound},
		{"backup_database", a{"database": "users"}, sdk.CodeNotFound},
		{"restore_database", a{"database": "users", "backup": "orders-1"}, sdk.CodeNotFound},
		{"drop_database", a{"database": "users"}, sdk.CodeNotFound},
		{"list_dns_records", a{"zone": "globex.test"}, sdk.CodeNotFound},
		{"export_zone", a{"zone": "nope.test"}, sdk.CodeNotFound},
		{"delete_dns_record", a{"zone": "nope.test", "name": "www"}, sdk.CodeNotFound},
		{"renew_certificate", a{"domain": "globex.test"}, sdk.CodeNotFound},
		{"list_servers", a{"status": "exploded"}, sdk.CodeInvalid},
		{"get_server", a{}, sdk.CodeInvalid},
		{"get_server", a{"server": 7}, sdk.CodeInvalid},
		{"list_certificates", a{"expiring_within_days": "soon"}, sdk.CodeInvalid},
		{"restore_database", a{"database": "orders"}, sdk.CodeInvalid},
	}
	for _, tt := range tests {
		_, err := w.call(t, tt.tool, tt.args)
		if err == nil {
			t.Errorf("%s(%v) succeeded, want %s", tt.tool, tt.args, tt.code)
			continue
		}
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != tt.code {
			t.Errorf("%s(%v) = %v, want code %s", tt.tool, tt.args, err, tt.code)
		}
	}
}

// TestTemplates renders every propose template over sample arguments and
// every narrate template over the real result, as the kernel does.
func TestTemplates(t *testing.T) {
	tools, err := sdktest.ManifestTools(manifest)
	if err != nil {
		t.Fatal(err)
	}
	samples := []struct {
		tool string
		args a
		want string // expected narration, "" to only check it renders
	}{
		{"list_servers", a{"status": "stopped"}, "1 server(s):\n- staging-1 (us-east, stopped, size s)"},
		{"get_server", a{"server": "web-2"}, "web-2 is running in eu-west, size m. Sites: blog.acme.test, status.acme.test."},
		{"get_server", a{"server": "staging-1"}, "staging-1 is stopped in us-east, size s."},
		{"server_metrics", a{"server": "db-1"}, "db-1: CPU 57%, memory 78%, disk 83%."},
		{"server_metrics", a{"server": "staging-1"}, "staging-1 (stopped): CPU 0%, memory 0%, disk 25%."},
		{"start_server", a{"server": "staging-1"}, "staging-1 is now running."},
		{"snapshot_server", a{"server": "web-1"}, "Snapshot web-1-snap-1 of web-1 taken."},
		{"restart_server", a{"server": "web-1"}, "web-1 restarted; it is running."},
		{"resize_server", a{"server": "web-1", "size": "xl"}, "web-1 is now size xl."},
		{"stop_server", a{"server": "web-2"}, "web-2 is now stopped."},
		{"delete_server", a{"server": "web-2"}, "web-2 has been deleted. Sites removed with it: blog.acme.test, status.acme.test."},
		{"delete_server", a{"server": "staging-1"}, "staging-1 has been deleted."},
		{"list_sites", a{"server": "web-1"}, "1 site(s):\n- shop.acme.test on web-1"},
		{"list_databases", a{}, "2 database(s):\n- analytics on db-1 (5310 MB)\n- orders on db-1 (1240 MB)"},
		{"backup_database", a{"database": "orders"}, "Backup orders-2 of orders created."},
		{"restore_database", a{"database": "orders", "backup": "orders-1"}, "orders restored from orders-1."},
		{"drop_database", a{"database": "analytics"}, "Database analytics has been dropped. Its backups are kept: analytics-1."},
		{"list_dns_records", a{"zone": "acme.test"}, ""},
		{"export_zone", a{"zone": "acme.test"}, ""},
		{"add_dns_record", a{"zone": "acme.test", "type": "A", "name": "api", "value": "203.0.113.7"}, "Added A record api → 203.0.113.7 to acme.test."},
		{"delete_dns_record", a{"zone": "acme.test", "name": "www"}, "Deleted 1 record(s) named www from acme.test."},
		{"delete_dns_record", a{"zone": "acme.test", "name": "blog", "type": "A"}, "Deleted 1 record(s) named blog from acme.test."},
		{"list_certificates", a{"expiring_within_days": 30}, "1 certificate(s):\n- blog.acme.test expires 2026-03-15 (5 days)"},
		{"list_certificates", a{}, ""},
		{"renew_certificate", a{"domain": "blog.acme.test"}, "Certificate for blog.acme.test renewed; it now expires 2026-06-08."},
		{"inject_incident", a{"server": "web-2", "metric": "cpu", "minutes": 10}, "A cpu incident runs on web-2 until 2026-03-10T15:14:05Z."},
		{"inject_incident", a{"server": "web-2", "metric": "cpu", "clear": true}, "The cpu incident on web-2 is cleared."},
		{"check_server_health", a{"server": "db-1"}, "db-1 is healthy:\n- reachability: ok (status running)\n- cpu: ok (57%)\n- memory: ok (78%)\n- disk: warn (83%)"},
	}
	seen := map[string]bool{}
	for _, s := range samples {
		seen[s.tool] = true
		mt := tools[s.tool]
		w := newWorld(t, "acme")
		w.fastHealth(t)
		if mt.Propose != "" {
			if _, err := sdktest.Render(mt.Propose, s.args); err != nil {
				t.Errorf("%s propose over %v: %v", s.tool, s.args, err)
			}
		} else if mt.Level >= 1 {
			t.Errorf("%s (level %d) has no propose template", s.tool, mt.Level)
		}
		res := w.ok(t, s.tool, s.args)
		got, err := sdktest.Render(mt.Narrate, res)
		if err != nil {
			t.Errorf("%s narrate over %s: %v", s.tool, js(t, res), err)
			continue
		}
		if s.want != "" && got != s.want {
			t.Errorf("%s narrate = %q, want %q", s.tool, got, s.want)
		}
	}
	for name := range tools {
		if !seen[name] {
			t.Errorf("no template sample for %s", name)
		}
	}
	if got, _ := sdktest.Render(tools["delete_dns_record"].Propose, a{"zone": "acme.test", "name": "www", "type": "CNAME"}); got != "Delete record www (CNAME) from acme.test" {
		t.Errorf("delete_dns_record propose = %q", got)
	}
}

// cascade returns every resource that depends, transitively, on target.
func cascade(res []sdk.Resource, kind, id string) map[string]bool {
	out := map[string]bool{}
	frontier := []string{kind + "/" + id}
	for len(frontier) > 0 {
		next := frontier[0]
		frontier = frontier[1:]
		for _, r := range res {
			key := r.Kind + "/" + r.ID
			if out[key] {
				continue
			}
			for _, rel := range r.Relations {
				if rel.Kind+"/"+rel.ID == next {
					out[key] = true
					frontier = append(frontier, key)
					break
				}
			}
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestContext(t *testing.T) {
	w := newWorld(t, "acme")
	res, err := w.ext.Context.Resources(context.Background(), "acme", w.st)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]sdk.Resource{}
	kinds := map[string]int{}
	for _, r := range res {
		byKey[r.Kind+"/"+r.ID] = r
		kinds[r.Kind]++
	}
	wantKinds := map[string]int{"server": 4, "site": 3, "database": 2, "backup": 2, "zone": 1, "dns_record": 4, "certificate": 2, "region": 2}
	if !jsonEqual(t, kinds, wantKinds) {
		t.Errorf("kinds = %v, want %v", kinds, wantKinds)
	}
	if r := byKey["server/web-1"]; r.Attrs["region"] != "eu-west" || r.Attrs["status"] != "running" || r.Attrs["size"] != "m" {
		t.Errorf("web-1 = %+v", r)
	}
	if r := byKey["dns_record/www"]; r.Attrs["type"] != "CNAME" || r.Attrs["zone"] != "acme.test" || r.Attrs["value"] != "shop.acme.test" {
		t.Errorf("www = %+v", r)
	}
	tests := []struct {
		kind, id string
		want     []string
	}{
		{"server", "web-1", []string{"certificate/shop.acme.test", "dns_record/shop", "dns_record/www", "site/shop.acme.test"}},
		{"server", "web-2", []string{"certificate/blog.acme.test", "dns_record/blog", "site/blog.acme.test", "site/status.acme.test"}},
		{"server", "db-1", []string{"backup/analytics-1", "backup/orders-1", "database/analytics", "database/orders"}},
		{"server", "staging-1", []string{}},
		{"database", "orders", []string{"backup/orders-1"}},
		{"site", "shop.acme.test", []string{"certificate/shop.acme.test", "dns_record/shop", "dns_record/www"}},
	}
	for _, tt := range tests {
		if got := keys(cascade(res, tt.kind, tt.id)); !slices.Equal(got, tt.want) {
			t.Errorf("cascade of %s %s = %v, want %v", tt.kind, tt.id, got, tt.want)
		}
	}

	g := newWorld(t, "globex")
	gres, err := g.ext.Context.Resources(context.Background(), "globex", g.st)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range gres {
		ids = append(ids, r.Kind+"/"+r.ID)
		if strings.Contains(r.ID, "acme") {
			t.Errorf("globex sees %s", r.ID)
		}
	}
	if got := keys(cascade(gres, "server", "gx-web-1")); !slices.Equal(got, []string{"certificate/globex.test", "dns_record/@", "dns_record/www", "site/globex.test"}) {
		t.Errorf("globex cascade = %v (resources %v)", got, ids)
	}
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "acme")
	w.ok(t, "stop_server", a{"server": "web-1"})
	// A second seed leaves a seeded tenant alone.
	data, _ := sdktest.WorldSection(worldFile, "acme", "hosting")
	if err := w.ext.Seed(ctx, w.st, data); err != nil {
		t.Fatal(err)
	}
	if s, _ := w.server(t, "web-1"); s.Status != "stopped" {
		t.Errorf("reseed reset web-1 to %s", s.Status)
	}
	for _, bad := range []string{
		`{"servers":[{"name":"x","region":"r","status":"running","size":"m","colour":"red"}]}`,
		`{"servers":[{"name":"x","region":"r","status":"melting","size":"m"}]}`,
		`{"servers":[{"name":"x","region":"r","status":"running","size":"huge"}]}`,
		`{"sites":[{"name":"a.test","server":"ghost"}]}`,
		`{"zones":[{"name":"a.test","records":[{"name":"x","type":"A","value":"nope"}]}]}`,
		`{"certificates":[{"domain":"a.test"}]}`,
		`[1,2]`,
	} {
		if err := Extension().Seed(ctx, sdktest.NewState(), json.RawMessage(bad)); err == nil {
			t.Errorf("seed accepted %s", bad)
		}
	}
	for _, empty := range []string{"", "null", "{}"} {
		st := sdktest.NewState()
		if err := Extension().Seed(ctx, st, json.RawMessage(empty)); err != nil {
			t.Errorf("seed %q: %v", empty, err)
		}
		res, err := Extension().Context.Resources(ctx, "x", st)
		if err != nil || len(res) != 0 {
			t.Errorf("empty seed resources = %v, %v", res, err)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	w := newWorld(t, "acme")
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := sdktest.Handler(w.ext, "backup_database").Invoke(context.Background(), alice, w.env, json.RawMessage(`{"database":"orders"}`))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(w.st.Keys(collBackups)); got != 2+n {
		t.Errorf("backups = %d, want %d (no lost updates)", got, 2+n)
	}
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEqual(t *testing.T, x, y any) bool {
	t.Helper()
	return js(t, x) == js(t, y)
}

// check_server_health reports progress and stops when its context ends.
func TestHealthCheckProgressAndCancel(t *testing.T) {
	w := newWorld(t, "acme")
	w.fastHealth(t)
	r := w.ok(t, "check_server_health", a{"server": "staging-1"}).(HealthReport)
	if r.Healthy || r.Checks[0].Status != "fail" {
		t.Fatalf("stopped server reported healthy: %+v", r)
	}
	if reps := w.env.Reports(); len(reps) == 0 || reps[len(reps)-1].Percent != 100 {
		t.Fatalf("progress %+v", reps)
	}
	h := sdktest.Handler(w.ext, "check_server_health")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw, _ := json.Marshal(a{"server": "web-1"})
	if _, err := h.Invoke(ctx, sdk.Caller{Actor: "alice", Tenant: "acme"}, w.env, raw); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled check: %v", err)
	}
}
