package bench

import (
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func machine() machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Model: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// readProc reads VmRSS and Threads from /proc/<pid>/status ("self" for
// this process).
func readProc(pid string) (rss, threads int64, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "Threads":
			threads = n
		}
	}
	return rss, threads, nil
}

// selfSnapshot is this process: RSS from /proc/self/status, goroutines and
// live heap from runtime/metrics.
func selfSnapshot() *procSnapshot {
	s := []metrics.Sample{{Name: "/sched/goroutines:goroutines"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	p := &procSnapshot{Goroutines: -1, HeapBytes: -1}
	if s[0].Value.Kind() == metrics.KindUint64 {
		p.Goroutines = int64(s[0].Value.Uint64())
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		p.HeapBytes = int64(s[1].Value.Uint64())
	}
	p.RSSBytes, p.Threads, _ = readProc("self")
	return p
}

func pidSnapshot(pid int) *procSnapshot {
	rss, th, err := readProc(strconv.Itoa(pid))
	if err != nil {
		return nil
	}
	return &procSnapshot{RSSBytes: rss, Threads: th, Goroutines: -1, HeapBytes: -1}
}

// settle lets the runtime return what it can before a memory reading.
func settle(d time.Duration) {
	runtime.GC()
	time.Sleep(d)
}

// raiseNoFile lifts RLIMIT_NOFILE to at least want (the hard limit too,
// when the process may), and returns the soft limit in force.
func raiseNoFile(want uint64) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur >= want {
		return rl.Cur
	}
	if rl.Max < want {
		try := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &try) == nil {
			return want
		}
	}
	rl.Cur = min(want, rl.Max)
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	return rl.Cur
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.Lookup("heap").WriteTo(f, 0)
}
