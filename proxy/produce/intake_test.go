package produce

import "testing"

func TestRecordLimit(t *testing.T) {
	tests := []struct{ configured, maxMessage, want int }{
		{0, 1 << 20, 6<<20 + 64<<10},  // derived from producer.maxMessageBytes
		{0, 100 << 20, recordCeiling}, // never above the ceiling
		{1024, 1 << 20, 1024},         // configured
		{recordCeiling + 1, 1, recordCeiling},
	}
	for _, tt := range tests {
		if got := RecordLimit(tt.configured, tt.maxMessage); got != tt.want {
			t.Errorf("RecordLimit(%d, %d) = %d, want %d", tt.configured, tt.maxMessage, got, tt.want)
		}
	}
}
