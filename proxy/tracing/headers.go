package tracing

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// readHeaders reads tracing.headersFile: one "Name: value" per line, blank
// lines and lines starting with # skipped. Errors name the line, never its
// value: the values are secrets.
func readHeaders(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tracing.headersFile: %w", err)
	}
	headers := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !headerName(name) || value == "" {
			return nil, fmt.Errorf("tracing.headersFile %s: line %d is not \"Name: value\"", path, n)
		}
		headers[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tracing.headersFile %s: %w", path, err)
	}
	return headers, nil
}
