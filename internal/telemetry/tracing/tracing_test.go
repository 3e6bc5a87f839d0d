package tracing_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/internal/telemetry/tracing"
)

// drops counts what the queue throws away.
type drops struct {
	telemetry.Nop
	n atomic.Int64
}

func (d *drops) Dropped(_ string, n int) { d.n.Add(int64(n)) }

// OBS-07: a collector that hangs, refuses or answers slowly never blocks
// the code that ends spans; what cannot be exported is dropped and
// counted. Were OnEnd to wait for the exporter, the hanging collector
// would hold this test until its deadline.
func TestOBS07_CollectorFailureIsolated(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close() // nothing listens there now
	for name, endpoint := range map[string]string{"hanging": hang.Listener.Addr().String(), "slow": slow.Listener.Addr().String(), "refusing": refused} {
		t.Run(name, func(t *testing.T) {
			d := &drops{}
			tp, err := tracing.New(context.Background(), tracing.Options{Endpoint: endpoint, Insecure: true, SampleRatio: 1, Queue: 16, Timeout: 300 * time.Millisecond}, d)
			if err != nil {
				t.Fatal(err)
			}
			tr := tp.Tracer("test")
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 2000; i++ {
						_, s := tr.Start(context.Background(), "span")
						s.End()
					}
				}()
			}
			wg.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_ = tp.Shutdown(ctx) // bounded: a hanging collector cannot hold it
			if d.n.Load() == 0 {
				t.Fatal("nothing was counted as dropped")
			}
		})
	}
}
