package web_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/web"
)

// An idle signed-in socket holds one goroutine on the server (its
// reader): no writer goroutine, pings from a timer. Each test client
// holds one reader goroutine too, so n sockets may add 2n goroutines.
func TestIdleSocketOneGoroutine(t *testing.T) {
	srv, _ := start(t, newFakeCore(), web.Options{PingInterval: time.Hour})
	settle := func() int {
		n := runtime.NumGoroutine()
		for i := 0; i < 50; i++ {
			time.Sleep(20 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				return m
			}
			n = m
		}
		return n
	}
	warm := dial(t, srv)
	signIn(t, warm)
	before := settle()
	const n = 20
	for i := 0; i < n; i++ {
		signIn(t, dial(t, srv))
	}
	if grew := settle() - before; grew > 2*n+2 {
		t.Fatalf("%d idle sockets added %d goroutines; want at most %d (one per socket, plus the test client's reader)", n, grew, 2*n+2)
	}
}
