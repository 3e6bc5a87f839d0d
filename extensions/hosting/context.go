package hosting

import (
	"context"
	"strconv"
	"strings"

	"github.com/steward-os/steward/sdk"
)

// Resource kinds, as the manifest declares them.
const (
	KindServer      = "server"
	KindSite        = "site"
	KindDatabase    = "database"
	KindBackup      = "backup"
	KindZone        = "zone"
	KindDNSRecord   = "dns_record"
	KindCertificate = "certificate"
	KindRegion      = "region"
)

// resources describes the tenant's fleet for routing and cascade analysis:
// sites and databases run_on servers, backups are of databases, DNS records
// point_at the sites they name or alias, certificates cover their sites.
func (h *hosting) resources(ctx context.Context, _ sdk.TenantID, st sdk.State) ([]sdk.Resource, error) {
	servers, err := list[server](ctx, st, collServers)
	if err != nil {
		return nil, err
	}
	sites, err := list[site](ctx, st, collSites)
	if err != nil {
		return nil, err
	}
	dbs, err := list[database](ctx, st, collDatabases)
	if err != nil {
		return nil, err
	}
	backups, err := list[backup](ctx, st, collBackups)
	if err != nil {
		return nil, err
	}
	zones, err := list[zone](ctx, st, collZones)
	if err != nil {
		return nil, err
	}
	certs, err := list[certificate](ctx, st, collCerts)
	if err != nil {
		return nil, err
	}

	var out []sdk.Resource
	regions := map[string]bool{}
	for _, s := range servers {
		out = append(out, sdk.Resource{Kind: KindServer, ID: s.Name,
			Attrs:     map[string]string{"region": s.Region, "status": s.Status, "size": s.Size},
			Relations: []sdk.Relation{{Type: "in", Kind: KindRegion, ID: s.Region}}})
		if s.Region != "" && !regions[s.Region] {
			regions[s.Region] = true
			out = append(out, sdk.Resource{Kind: KindRegion, ID: s.Region})
		}
	}
	siteNames := make(map[string]bool, len(sites))
	for _, s := range sites {
		siteNames[s.Name] = true
		out = append(out, sdk.Resource{Kind: KindSite, ID: s.Name,
			Attrs:     map[string]string{"server": s.Server},
			Relations: []sdk.Relation{{Type: "runs_on", Kind: KindServer, ID: s.Server}}})
	}
	for _, d := range dbs {
		out = append(out, sdk.Resource{Kind: KindDatabase, ID: d.Name,
			Attrs:     map[string]string{"server": d.Server, "size_mb": strconv.Itoa(d.SizeMB)},
			Relations: []sdk.Relation{{Type: "runs_on", Kind: KindServer, ID: d.Server}}})
	}
	for _, b := range backups {
		out = append(out, sdk.Resource{Kind: KindBackup, ID: b.ID,
			Attrs:     map[string]string{"database": b.Database},
			Relations: []sdk.Relation{{Type: "of", Kind: KindDatabase, ID: b.Database}}})
	}
	for _, z := range zones {
		out = append(out, sdk.Resource{Kind: KindZone, ID: z.Name,
			Attrs: map[string]string{"records": strconv.Itoa(len(z.Records))}})
	}
	for _, z := range zones {
		for _, r := range z.Records {
			res := sdk.Resource{Kind: KindDNSRecord, ID: r.Name,
				Attrs: map[string]string{"type": r.Type, "value": r.Value, "zone": z.Name}}
			for _, target := range pointsAt(r, z.Name, siteNames) {
				res.Relations = append(res.Relations, sdk.Relation{Type: "points_at", Kind: KindSite, ID: target})
			}
			out = append(out, res)
		}
	}
	for _, c := range certs {
		res := sdk.Resource{Kind: KindCertificate, ID: c.Domain,
			Attrs: map[string]string{"expires": c.Expires}}
		if siteNames[c.Domain] {
			res.Relations = []sdk.Relation{{Type: "covers", Kind: KindSite, ID: c.Domain}}
		}
		out = append(out, res)
	}
	return out, nil
}

// pointsAt returns the sites a record serves: the site its full name is
// (shop A → shop.acme.test) and the site its value names (www CNAME
// shop.acme.test).
func pointsAt(r Record, zoneName string, sites map[string]bool) []string {
	var out []string
	if name := fqdn(r, zoneName); sites[name] {
		out = append(out, name)
	}
	if r.Type == "CNAME" {
		if v := strings.TrimSuffix(r.Value, "."); sites[v] && (len(out) == 0 || out[0] != v) {
			out = append(out, v)
		}
	}
	return out
}
