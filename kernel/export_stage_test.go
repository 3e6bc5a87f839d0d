package kernel

import "github.com/steward-os/steward/kernel/internal/engine"

// StageParts exposes a kernel's parts to the stage benchmarks
// (stage_bench_test.go), so that each stage of a turn is measured alone.
func StageParts(k *Kernel) engine.Parts { return k.engine.Parts }
