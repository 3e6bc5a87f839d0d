// Command benchcheck compares stage benchmark results with the committed
// baseline and exits 1 when a stage regressed (see package benchcheck):
//
//	benchcheck [-baseline FILE] [-ref KEY] [-limit 0.25] RESULTS
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/steward-os/steward/internal/benchcheck"
)

func main() {
	baseline := flag.String("baseline", "testdata/bench/baseline.txt", "the committed baseline (go test -bench output)")
	ref := flag.String("ref", benchcheck.Reference, "key of the reference benchmark time is divided by")
	limit := flag.Float64("limit", 0.25, "allowed growth of allocs/op and of time ÷ reference (0.25 = 25 %)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: benchcheck [-baseline FILE] [-ref KEY] [-limit F] RESULTS")
		os.Exit(2)
	}
	if err := run(*baseline, flag.Arg(0), *ref, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "bench-check:", err)
		os.Exit(1)
	}
}

func run(basePath, runPath, ref string, limit float64) error {
	base, err := readFile(basePath)
	if err != nil {
		return err
	}
	res, err := readFile(runPath)
	if err != nil {
		return err
	}
	findings, err := benchcheck.Compare(base, res, ref, limit)
	for _, f := range findings {
		fmt.Println(f)
	}
	return err
}

func readFile(p string) (benchcheck.Results, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return benchcheck.Read(f, p)
}
