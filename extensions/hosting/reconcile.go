package hosting

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/steward-os/steward/sdk"
)

// reconcile tells the kernel what became of a call a crash cut off. A
// server change (start, stop, restart, resize) took effect when the server
// lists its key among its last changes; when it does not, the change may
// still have been pushed out by later ones, so it cannot tell. A snapshot
// took effect when one carries its key (written with the snapshot itself)
// and took none otherwise. Other tools cannot tell.
func (h *hosting) reconcile(ctx context.Context, st sdk.State, p sdk.Pending) (any, bool, error) {
	switch p.Tool {
	case "start_server", "stop_server", "restart_server", "resize_server":
		var args ServerParams
		if err := json.Unmarshal(p.Args, &args); err != nil {
			return nil, false, nil
		}
		s, err := loadServer(ctx, st, norm(args.Server))
		if err != nil || !slices.Contains(s.Applied, p.Key) {
			return nil, false, nil
		}
		v, err := serverView(ctx, st, s)
		return v, err == nil, err
	case "snapshot_server":
		snap, ok, err := snapshotBy(ctx, st, p.Key)
		switch {
		case err != nil:
			return nil, false, err
		case !ok:
			return nil, true, sdk.Errorf(sdk.CodeNotApplied, "snapshot_server was interrupted before it took the snapshot; nothing changed.")
		}
		return snap, true, nil
	}
	return nil, false, nil
}
