package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// measureCapacity runs the benchmark's stream mode (hack/bench, built as
// benchBin) for the soak's stream count and returns its records/s: the
// capacity README.md's Performance section states, measured on this
// machine now.
func measureCapacity(o *options, dir string, out io.Writer) (float64, error) {
	file := filepath.Join(dir, "capacity.json")
	cmd := exec.Command(o.benchBin, "--proxy-bin", o.proxyBin, "--modes", "stream",
		"--streams", strconv.Itoa(o.load.streams), "--duration", o.capacityFor.String(), "--out", file)
	cmd.Stdout, cmd.Stderr = out, out
	fmt.Fprintf(out, "soak: measuring capacity: %s\n", cmd)
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("capacity run: %w", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	// The fields of the benchmark's --out JSON that the soak needs.
	var report struct {
		Results []struct {
			Mode          string  `json:"mode"`
			RecordsPerSec float64 `json:"recordsPerSec"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	mode := fmt.Sprintf("stream-%d", o.load.streams)
	for _, r := range report.Results {
		if r.Mode == mode && r.RecordsPerSec > 0 {
			return r.RecordsPerSec, nil
		}
	}
	return 0, fmt.Errorf("%s: no %s row with a rate", file, mode)
}
