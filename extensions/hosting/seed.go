package hosting

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-os/steward/sdk"
)

// SeedData is the shape of a tenant's hosting section of the world file.
// Unknown keys are errors.
type SeedData struct {
	Servers []struct {
		Name   string `json:"name"`
		Region string `json:"region"`
		Status string `json:"status"` // running | stopped
		Size   string `json:"size"`   // s | m | l | xl
		// CPU, Memory, Disk: utilisation in percent while running.
		CPU    int `json:"cpu"`
		Memory int `json:"memory"`
		Disk   int `json:"disk"`
	} `json:"servers"`
	Sites []struct {
		Name   string `json:"name"`
		Server string `json:"server"`
	} `json:"sites"`
	Databases []struct {
		Name    string   `json:"name"`
		Server  string   `json:"server"`
		SizeMB  int      `json:"size_mb"`
		Backups []string `json:"backups"` // existing backup ids, e.g. orders-1
	} `json:"databases"`
	Zones []struct {
		Name    string   `json:"name"`
		Records []Record `json:"records"`
	} `json:"zones"`
	Certificates []struct {
		Domain string `json:"domain"`
		// Either an absolute expiry (YYYY-MM-DD) or days from seeding.
		Expires       string `json:"expires"`
		ExpiresInDays *int   `json:"expires_in_days"`
	} `json:"certificates"`
	// Settings tune the simulation.
	Settings struct {
		// HealthCheckSeconds is how long check_server_health takes
		// (default 8: longer than the kernel's inline budget, so it runs
		// as a background task).
		HealthCheckSeconds int `json:"health_check_seconds"`
		// MotionSeed, when not 0, makes the probes' CPU and memory move
		// over time, deterministically from this seed (probes.go).
		MotionSeed int64 `json:"motion_seed"`
		// DiskPerDay is how many percent a day a running server's disk
		// fills, as the probes see it.
		DiskPerDay float64 `json:"disk_per_day"`
	} `json:"settings"`
}

// seed writes the tenant's world section into State. sdk.SeedOnce decodes
// the section strictly (unknown keys are errors) and runs seed once per
// tenant: a tenant whose state carries the seed marker is left alone. null
// or {} seeds nothing.
func (h *hosting) seed(ctx context.Context, st sdk.State, d SeedData) error {
	if err := h.writeSeed(ctx, st, d); err != nil {
		return fmt.Errorf("hosting: seed: %w", err)
	}
	if d.Settings.HealthCheckSeconds < 0 || d.Settings.HealthCheckSeconds > 600 {
		return fmt.Errorf("hosting: seed: settings.health_check_seconds must be 0–600")
	}
	if err := put(ctx, st, collMeta, "settings", d.Settings); err != nil {
		return fmt.Errorf("hosting: seed: %w", err)
	}
	if d.Settings.DiskPerDay < 0 || d.Settings.DiskPerDay > 100 {
		return fmt.Errorf("hosting: seed: settings.disk_per_day must be 0–100")
	}
	m := motion{Seed: d.Settings.MotionSeed, Origin: h.now().UTC().Truncate(time.Second), DiskPerDay: d.Settings.DiskPerDay}
	if err := put(ctx, st, collMeta, "motion", m); err != nil {
		return fmt.Errorf("hosting: seed: %w", err)
	}
	return nil
}

func (h *hosting) writeSeed(ctx context.Context, st sdk.State, d SeedData) error {
	servers := map[string]bool{}
	for _, s := range d.Servers {
		name := norm(s.Name)
		if name == "" {
			return fmt.Errorf("server without a name")
		}
		if s.Status != "running" && s.Status != "stopped" {
			return fmt.Errorf("server %s: status %q is not running or stopped", name, s.Status)
		}
		if _, ok := sizeCapacity[s.Size]; !ok {
			return fmt.Errorf("server %s: size %q is not s, m, l or xl", name, s.Size)
		}
		servers[name] = true
		srv := server{Name: name, Region: norm(s.Region), Status: s.Status, Size: s.Size,
			CPU: pct(s.CPU), Memory: pct(s.Memory), Disk: pct(s.Disk)}
		if err := put(ctx, st, collServers, name, srv); err != nil {
			return err
		}
	}
	for _, s := range d.Sites {
		x := site{Name: norm(s.Name), Server: norm(s.Server)}
		if !servers[x.Server] {
			return fmt.Errorf("site %s: no server named %q", x.Name, x.Server)
		}
		if err := put(ctx, st, collSites, x.Name, x); err != nil {
			return err
		}
	}
	for _, s := range d.Databases {
		db := database{Name: norm(s.Name), Server: norm(s.Server), SizeMB: s.SizeMB}
		if !servers[db.Server] {
			return fmt.Errorf("database %s: no server named %q", db.Name, db.Server)
		}
		for _, id := range s.Backups {
			b := backup{ID: norm(id), Database: db.Name, SizeMB: db.SizeMB}
			db.BackupSeq = max(db.BackupSeq, backupSeq(b.ID))
			if err := put(ctx, st, collBackups, b.ID, b); err != nil {
				return err
			}
		}
		if err := put(ctx, st, collDatabases, db.Name, db); err != nil {
			return err
		}
	}
	for _, s := range d.Zones {
		z := zone{Name: norm(s.Name), Serial: 1, Records: []Record{}}
		for _, r := range s.Records {
			typ, err := recordType(r.Type)
			if err != nil {
				return fmt.Errorf("zone %s: %w", z.Name, err)
			}
			value, err := recordValue(typ, r.Value)
			if err != nil {
				return fmt.Errorf("zone %s: %w", z.Name, err)
			}
			z.Records = append(z.Records, Record{Name: relName(r.Name, z.Name), Type: typ, Value: value})
		}
		if err := put(ctx, st, collZones, z.Name, z); err != nil {
			return err
		}
	}
	for _, s := range d.Certificates {
		c := certificate{Domain: norm(s.Domain), Expires: s.Expires}
		switch {
		case s.ExpiresInDays != nil:
			c.Expires = h.today().AddDate(0, 0, *s.ExpiresInDays).Format(dateLayout)
		case c.Expires != "":
			if _, err := time.Parse(dateLayout, c.Expires); err != nil {
				return fmt.Errorf("certificate %s: expires %q is not YYYY-MM-DD", c.Domain, c.Expires)
			}
		default:
			return fmt.Errorf("certificate %s: needs expires or expires_in_days", c.Domain)
		}
		if err := put(ctx, st, collCerts, c.Domain, c); err != nil {
			return err
		}
	}
	return nil
}

func pct(v int) int { return min(max(v, 0), 100) }
