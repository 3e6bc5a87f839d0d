package benchcheck

import (
	"syscall"
	"testing"
	"time"
)

// CPUPerOp starts measuring the process's CPU time (user and system, all
// threads: the benchmark, the store's writer, the garbage collector); the
// function it returns reports it per operation as cpu-ns/op. Call it after
// the benchmark's set-up: defer benchcheck.CPUPerOp(b)().
func CPUPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), CPUNsOp)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
