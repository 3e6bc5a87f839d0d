package sqlite_test

import (
	"testing"

	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/storetest"
)

// TestStoreConformance runs the storage contract's suite against SQLite,
// each check on a fresh database in its own temporary directory.
func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return open(t) })
}
