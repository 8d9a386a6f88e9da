package devbroker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestStartServesSeededTopicsOnly(t *testing.T) {
	b, err := Start("127.0.0.1:0", map[string]int32{"orders": 3, "events": 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") || strings.HasSuffix(b.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want 127.0.0.1 with a real port", b.Addr())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(b.Addr())}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{"orders", "events", "missing"}})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	got := map[string]int{}
	for _, topic := range meta.Topics {
		if topic.Error != nil {
			if topic.Name != "missing" || !errors.Is(topic.Error, kafka.UnknownTopicOrPartition) {
				t.Errorf("topic %s: unexpected error %v", topic.Name, topic.Error)
			}
			continue
		}
		got[topic.Name] = len(topic.Partitions)
	}
	if got["orders"] != 3 || got["events"] != 1 || len(got) != 2 {
		t.Fatalf("partitions = %v, want orders:3 events:1 and no other topic", got)
	}

	// A write to an unknown topic must fail rather than create it.
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Topic: "missing", RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("x")}); !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Fatalf("write to unknown topic: err = %v, want Unknown Topic Or Partition", err)
	}
}

func TestStartRejectsBadInput(t *testing.T) {
	if _, err := Start("127.0.0.1:0", map[string]int32{"orders": 0}); err == nil || !strings.Contains(err.Error(), `"orders"`) {
		t.Errorf("zero partitions: err = %v, want one naming the topic", err)
	}
	b, err := Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := Start(b.Addr(), nil); err == nil || !strings.Contains(err.Error(), b.Addr()) {
		t.Errorf("port in use: err = %v, want one naming %s", err, b.Addr())
	}
}

func TestParseTopics(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]int32
		wantErr string
	}{
		{in: "", want: map[string]int32{}},
		{in: "orders:3", want: map[string]int32{"orders": 3}},
		{in: " orders : 3 , events:1", want: map[string]int32{"orders": 3, "events": 1}},
		{in: "orders", wantErr: `topic "orders": want NAME:PARTITIONS`},
		{in: ":3", wantErr: `topic ":3": want NAME:PARTITIONS`},
		{in: "orders:0", wantErr: `topic "orders:0": partitions must be a whole number of at least 1, got "0"`},
		{in: "orders:x", wantErr: `topic "orders:x": partitions`},
		{in: "orders:1,,events:2", wantErr: `topic "": want NAME:PARTITIONS`},
		{in: "orders:1,orders:2", wantErr: `topic "orders:2": orders is listed twice`},
	}
	for _, tt := range tests {
		got, err := ParseTopics(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ParseTopics(%q) error = %v, want prefix %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTopics(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseTopics(%q) = %v, want %v", tt.in, got, tt.want)
		}
		for name, n := range tt.want {
			if got[name] != n {
				t.Errorf("ParseTopics(%q) = %v, want %v", tt.in, got, tt.want)
			}
		}
	}
}
