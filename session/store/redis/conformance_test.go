package redis_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/redis"
	"github.com/steward-os/steward/session/store/redis/redistest"
	"github.com/steward-os/steward/session/store/storetest"
)

// TestStoreConformance runs the storage contract's suite against a real
// redis-server (SCL-01): one server, each check under its own key prefix
// so that checks start empty.
func TestStoreConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) store.Backend {
		s, err := redis.Open(t.Context(), srv.URL(), redis.Options{Prefix: fmt.Sprintf("check%d:", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
