package redis_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/session/store/redis"
	"github.com/steward-os/steward/session/store/redis/redistest"
)

const leaseTTL = 600 * time.Millisecond

// TestLeaseHolderProcess is the lease holder of TestLeaseTakeoverAfterKill,
// run as a child process; it does nothing in a normal run.
func TestLeaseHolderProcess(t *testing.T) {
	url := os.Getenv("LEASE_HOLDER_REDIS")
	if url == "" {
		return
	}
	s, err := redis.Open(context.Background(), url, redis.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	_ = s.Lease("poller", "doomed", leaseTTL).Hold(context.Background(), func(ctx context.Context, token int64) {
		fmt.Println("held", token)
		<-ctx.Done()
	})
}

// SCL-02: the holder of a lease is SIGKILLed while it holds it; another
// owner takes the lease over once it expires, with a larger fencing
// token, and the dead holder's token is fenced off.
func TestLeaseTakeoverAfterKill(t *testing.T) {
	srv := redistest.Start(t)
	child := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderProcess$", "-test.count=1")
	child.Env = append(os.Environ(), "LEASE_HOLDER_REDIS="+srv.URL())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	var dead int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "held "); ok {
			dead, _ = strconv.ParseInt(v, 10, 64)
			break
		}
	}
	if dead == 0 {
		t.Fatal("the child never held the lease")
	}
	s, err := redis.Open(t.Context(), srv.URL(), redis.Options{}) // the child's prefix
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	heir := s.Lease("poller", "heir", leaseTTL)
	if held, _, err := heir.TryAcquire(t.Context()); err != nil || held {
		t.Fatalf("lease taken from a live holder: held %v, err %v", held, err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	got := make(chan int64, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		_ = heir.Hold(ctx, func(ctx context.Context, token int64) {
			got <- token
			<-ctx.Done()
		})
	}()
	select {
	case token := <-got:
		t.Logf("taken over %v after the kill (lease %v)", time.Since(killed).Round(time.Millisecond), leaseTTL)
		if token <= dead {
			t.Fatalf("heir's token %d is not above the dead holder's %d", token, dead)
		}
		if ok, err := heir.Fenced(t.Context(), dead); err != nil || ok {
			t.Fatalf("the dead holder's token still passes the fence: %v %v", ok, err)
		}
	case <-time.After(20 * leaseTTL):
		t.Fatal("nobody took the lease over")
	}
}
