package produce

import "testing"

func TestRecordLimit_CeilingWhenUnconfigured(t *testing.T) {
	tests := []struct{ configured, want int }{
		{0, recordCeiling},
		{1024, 1024},
		{recordCeiling, recordCeiling},
		{recordCeiling + 1, recordCeiling},
	}
	for _, tt := range tests {
		if got := recordLimit(tt.configured); got != tt.want {
			t.Errorf("recordLimit(%d) = %d, want %d", tt.configured, got, tt.want)
		}
	}
}
