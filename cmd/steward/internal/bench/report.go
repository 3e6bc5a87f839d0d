package bench

type report struct {
	Machine  machineInfo     `json:"machine"`
	Load     *loadResult     `json:"load,omitempty"`
	Baseline *loadResult     `json:"baseline,omitempty"`
	Ratio    *float64        `json:"ratio_to_baseline,omitempty"`
	Idle     *idleResult     `json:"idle,omitempty"`
	Startup  *startupResult  `json:"startup,omitempty"`
	Soak     *soakResult     `json:"soak,omitempty"`
	Profile  string          `json:"cpuprofile,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
	Targets  []targetVerdict `json:"targets,omitempty"`
}

type machineInfo struct {
	CPUs   int    `json:"nproc"`
	Model  string `json:"cpu_model"`
	Go     string `json:"go"`
	OS     string `json:"os"`
	Kernel string `json:"kernel,omitempty"`
}

type latencyStats struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

type errorCounts struct {
	Expected   map[string]int `json:"expected"`
	Unexpected map[string]int `json:"unexpected"`
}

type procSnapshot struct {
	RSSBytes   int64 `json:"rss_bytes"`
	Goroutines int64 `json:"goroutines"` // -1: not available
	HeapBytes  int64 `json:"heap_bytes"` // -1: not available
	Threads    int64 `json:"threads"`
}

type serverMemory struct {
	Source string        `json:"source"` // "in-process", "/proc/<pid>/status" or "n/a"
	Before *procSnapshot `json:"before,omitempty"`
	Loaded *procSnapshot `json:"loaded,omitempty"` // at the end of the load, clients still connected
	After  *procSnapshot `json:"after,omitempty"`  // clients gone, after a short settle
	Note   string        `json:"note,omitempty"`
}

type loadResult struct {
	Target      string                  `json:"target"` // "embedded", "addr HOST:PORT", "echo baseline"
	Mix         string                  `json:"mix"`
	MixPct      [3]float64              `json:"mix_percent"` // read, write, destructive
	Concurrency int                     `json:"concurrency"`
	State       int                     `json:"stored_tasks_in_first_tenant,omitempty"`
	Seconds     float64                 `json:"seconds"`
	Turns       int64                   `json:"turns"`
	Ops         map[string]int64        `json:"ops"`
	TurnsPerSec float64                 `json:"turns_per_s"`
	OpsPerSec   float64                 `json:"ops_per_s"`
	Latency     latencyStats            `json:"latency"`
	ByClass     map[string]latencyStats `json:"latency_by_class"`
	Errors      errorCounts             `json:"errors"`
	Lost        int64                   `json:"lost"`
	Misrouted   int64                   `json:"misrouted"`
	Duplicates  int64                   `json:"duplicates"`
	OddReplies  int64                   `json:"unexpected_replies"`
	OddSamples  []string                `json:"unexpected_reply_samples,omitempty"`
	Events      int64                   `json:"events"`
	Reconnects  int64                   `json:"reconnects"`
	DrainTurns  int64                   `json:"untimed_turns"` // state probes before, clean-up after the measured phase
	ReadyMS     float64                 `json:"gateway_ready_ms,omitempty"`
	Server      *serverMemory           `json:"server,omitempty"`
}

type idleResult struct {
	Requested   int      `json:"requested"`
	Open        int      `json:"open"`
	StillOpen   int      `json:"still_open"`
	Mode        string   `json:"mode"`
	RSSBefore   int64    `json:"rss_before_bytes"`
	RSSAfter    int64    `json:"rss_after_bytes"`
	PerSession  float64  `json:"rss_per_session_bytes"`
	Goroutines  [2]int64 `json:"goroutines_before_after"` // -1 when not available
	Threads     [2]int64 `json:"threads_before_after"`
	Heap        [2]int64 `json:"heap_bytes_before_after"` // -1 when not available
	OpenSeconds float64  `json:"open_seconds"`
	NoFile      uint64   `json:"rlimit_nofile"`
	FirstError  string   `json:"first_error,omitempty"`
	Failures    int      `json:"failures"`
	Note        string   `json:"note,omitempty"`
}

type startupResult struct {
	Mode     string    `json:"mode"`
	Fresh    []float64 `json:"fresh_ms"` // empty data directory: creates the store, seeds the world
	Warm     []float64 `json:"warm_ms"`  // the same data directory again
	FreshMed float64   `json:"fresh_median_ms"`
	WarmMed  float64   `json:"warm_median_ms"`
}

type targetVerdict struct {
	Target string `json:"target"`
	Value  string `json:"value"`
	Met    bool   `json:"met"`
}
