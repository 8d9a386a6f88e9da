package loadgen

import (
	"testing"
	"time"
)

// The /proc and /metrics parsers, on texts of the shapes the kernel and the
// proxy write.

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a ')' in it, as a process may have.
	stat := "4242 (rest proxy) (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 100 0 0\n"
	got, err := parseStatCPU([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Fatalf("parseStatCPU = %s, want %s (utime 250 + stime 75 ticks)", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Fatal("a short stat line: no error")
	}
}

func TestParseStatusBytes(t *testing.T) {
	status := "Name:\trestproxy\nVmHWM:\t  153600 kB\nVmRSS:\t   10240 kB\n"
	tests := []struct {
		key     string
		want    int64
		wantErr string
	}{
		{key: "VmRSS", want: 10 << 20},
		{key: "VmHWM", want: 150 << 20},
		{key: "VmSwap", wantErr: "no VmSwap line"},
		{key: "Name", wantErr: `Name: "restproxy" is not "N kB"`},
	}
	for _, tt := range tests {
		got, err := parseStatusBytes([]byte(status), tt.key)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: err = %v, want %q", tt.key, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s = %d, %v; want %d", tt.key, got, err, tt.want)
		}
	}
}

func TestParseMetric(t *testing.T) {
	text := "# HELP restproxy_in_flight_records x\n# TYPE restproxy_in_flight_records gauge\nrestproxy_in_flight_records 65536\nrestproxy_records_total{code=\"200\"} 7\n"
	if v, err := ParseMetric(text, "restproxy_in_flight_records"); err != nil || v != 65536 {
		t.Fatalf("in flight = %v, %v; want 65536", v, err)
	}
	if _, err := ParseMetric(text, "restproxy_active_streams"); err == nil {
		t.Fatal("a metric not exposed: no error")
	}
}
