package devbroker

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseTopics reads a flag value such as "orders:3,events:1" into topic
// partition counts. An empty string means no topics. Errors name the entry
// that is wrong, so a typo in a long list is easy to find.
func ParseTopics(s string) (map[string]int32, error) {
	topics := map[string]int32{}
	if strings.TrimSpace(s) == "" {
		return topics, nil
	}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		name, count, ok := strings.Cut(entry, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("topic %q: want NAME:PARTITIONS", entry)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(count), 10, 32)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("topic %q: partitions must be a whole number of at least 1, got %q", entry, count)
		}
		if _, dup := topics[name]; dup {
			return nil, fmt.Errorf("topic %q: %s is listed twice", entry, name)
		}
		topics[name] = int32(n)
	}
	return topics, nil
}
