package hosting

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-os/steward/sdk"
)

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
	b, err := loadBackup(ctx, st, norm(c.Params.Backup))
	if err != nil {
		return RestoreResult{}, err
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
