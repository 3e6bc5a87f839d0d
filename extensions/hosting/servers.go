package hosting

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/steward-os/steward/sdk"
)

// serverView builds the full server object: the server with the names of
// the sites and databases it runs.
func serverView(ctx context.Context, st sdk.State, s server) (Server, error) {
	v := Server{
		Name: s.Name, Region: s.Region, Status: s.Status, Size: s.Size,
		Sites: []string{}, Databases: []string{},
		Restarts: s.Restarts, RestartedAt: s.RestartedAt,
	}
	sites, err := list[site](ctx, st, collSites)
	if err != nil {
		return v, err
	}
	for _, x := range sites {
		if x.Server == s.Name {
			v.Sites = append(v.Sites, x.Name)
		}
	}
	dbs, err := list[database](ctx, st, collDatabases)
	if err != nil {
		return v, err
	}
	for _, d := range dbs {
		if d.Server == s.Name {
			v.Databases = append(v.Databases, d.Name)
		}
	}
	return v, nil
}

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
	_, ins, err := worldOf(ctx, c.Env.State())
	if err != nil {
		return Metrics{}, err
	}
	cpu, mem, disk := live(s, motion{}, ins, h.now().UTC(), false) // the seeded figures and any incident
	return Metrics{Server: s.Name, Status: s.Status, CPU: int(math.Round(cpu)), Memory: int(math.Round(mem)), Disk: int(math.Round(disk))}, nil
}

// changeServer loads a server, applies change (which may refuse with an
// sdk error), stores it and returns the full server object. The call's
// idempotency key is stored with the change (the server keeps the last
// few), so the same call again returns the server without changing it,
// and Reconcile can tell that it took effect.
func changeServer(ctx context.Context, env sdk.Env, name string, change func(*server) error) (Server, error) {
	st, key := env.State(), env.IdempotencyKey()
	s, err := loadServer(ctx, st, norm(name))
	if err != nil {
		return Server{}, err
	}
	if key != "" && slices.Contains(s.Applied, key) {
		return serverView(ctx, st, s) // this call changed it before
	}
	if err := change(&s); err != nil {
		return Server{}, err
	}
	if key != "" {
		s.Applied = append(s.Applied, key)
		s.Applied = s.Applied[max(0, len(s.Applied)-keptKeys):]
	}
	if err := put(ctx, st, collServers, s.Name, s); err != nil {
		return Server{}, err
	}
	return serverView(ctx, st, s)
}

// keptKeys is how many idempotency keys of its last changes a server keeps.
const keptKeys = 16

func (h *hosting) startServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	return setStatus(ctx, c.Env, c.Params.Server, "running")
}

func (h *hosting) stopServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	return setStatus(ctx, c.Env, c.Params.Server, "stopped")
}

// setStatus puts a server in status ("running" or "stopped"); a server that
// already is in it is a conflict.
func setStatus(ctx context.Context, env sdk.Env, name, status string) (Server, error) {
	return changeServer(ctx, env, name, func(s *server) error {
		if s.Status == status {
			return sdk.Errorf(sdk.CodeConflict, "server %q is already %s", s.Name, status)
		}
		s.Status = status
		return nil
	})
}

func (h *hosting) restartServer(ctx context.Context, c sdk.Call[ServerParams]) (Server, error) {
	return changeServer(ctx, c.Env, c.Params.Server, func(s *server) error {
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
	return changeServer(ctx, c.Env, c.Params.Server, func(s *server) error {
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
	st, key := c.Env.State(), c.Env.IdempotencyKey()
	if snap, ok, err := snapshotBy(ctx, st, key); err != nil || ok {
		return snap, err // this call took it before
	}
	s, err := loadServer(ctx, st, norm(c.Params.Server))
	if err != nil {
		return SnapshotResult{}, err
	}
	s.Snapshots++
	snap := snapshot{ID: fmt.Sprintf("%s-snap-%d", s.Name, s.Snapshots), Server: s.Name, Disk: s.Disk, Created: h.stamp(), Key: key}
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

// snapshotBy returns the snapshot the call with this idempotency key took
// ("" takes none).
func snapshotBy(ctx context.Context, st sdk.State, key string) (SnapshotResult, bool, error) {
	if key == "" {
		return SnapshotResult{}, false, nil
	}
	snaps, err := list[snapshot](ctx, st, collSnapshots)
	if err != nil {
		return SnapshotResult{}, false, err
	}
	for _, x := range snaps {
		if x.Key == key {
			return SnapshotResult{Server: x.Server, Snapshot: x.ID, Created: x.Created}, true, nil
		}
	}
	return SnapshotResult{}, false, nil
}
