package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// report is one delivery report of the produce API (produce-api.md §3).
type report struct {
	ErrorCode   int    `json:"error_code"`
	Message     string `json:"message"`
	PartitionID int    `json:"partition_id"`
	Offset      int64  `json:"offset"`
}

// record is the JSON of one record whose value is the STRING value.
func record(value string) []byte {
	return []byte(`{"value":{"type":"STRING","data":"` + value + `"}}` + "\n")
}

// streamResult is what one chunked produce request got.
type streamResult struct {
	status  int      // HTTP status; 0 when the request never got a response
	reports []report // in the order of the records sent
	err     error    // transport error (refused, reset) or a report that did not parse
}

// client posts records the way a producing application does: a chunked
// upload of concatenated records, reading the reports as they stream back.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// produceStream sends values as one streamed request and returns its
// reports. The body is written while the reports are read (full duplex).
func produceStream(ctx context.Context, url string, header http.Header, values []string) streamResult {
	return produceStreamPaced(ctx, url, header, values, 0, nil)
}

// produceStreamPaced is produceStream writing one record every gap, as a
// long-lived stream of a steady producer does, and adding one to read (if
// not nil) for each report as it arrives.
func produceStreamPaced(ctx context.Context, url string, header http.Header, values []string, gap time.Duration, read *atomic.Int64) streamResult {
	pr, pw := io.Pipe()
	go func() {
		var tick <-chan time.Time
		if gap > 0 {
			t := time.NewTicker(gap)
			defer t.Stop()
			tick = t.C
		}
		for _, v := range values {
			if _, err := pw.Write(record(v)); err != nil {
				return
			}
			if tick != nil {
				<-tick
			}
		}
		pw.Close()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		return streamResult{err: err}
	}
	req.ContentLength = -1 // chunked
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return streamResult{err: err}
	}
	defer resp.Body.Close()
	res := streamResult{status: resp.StatusCode}
	dec := json.NewDecoder(resp.Body)
	for {
		var r report
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			break
		}
		res.reports = append(res.reports, r)
		if read != nil {
			read.Add(1)
		}
	}
	pr.CloseWithError(errors.New("response ended"))
	return res
}

// produceOne sends one record with Content-Length through httpc and
// returns the HTTP status and the body.
func produceOne(ctx context.Context, httpc *http.Client, url string, header http.Header, value string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(record(value)))
	if err != nil {
		return 0, "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	text := strings.TrimSpace(string(body))
	if resp.StatusCode >= 300 && !strings.HasPrefix(text, "{") {
		// Not the proxy's JSON: say who answered.
		text = fmt.Sprintf("%q (headers %v)", text, resp.Header)
	}
	return resp.StatusCode, text, err
}

// readPartition reads every record of a topic's partition through the
// broker, with a client of its own.
func readPartition(ctx context.Context, broker, topic string, partition int) ([]kafka.Message, error) {
	conn, err := kafka.DialLeader(ctx, "tcp", broker, topic, partition)
	if err != nil {
		return nil, err
	}
	end, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil {
		return nil, err
	}
	if end == 0 {
		return nil, nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{broker}, Topic: topic, Partition: partition,
		MinBytes: 1, MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out := make([]kafka.Message, 0, end)
	for int64(len(out)) < end {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return out, fmt.Errorf("read %s/%d: %d of %d records: %w", topic, partition, len(out), end, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// stream10k streams 10,000 records through the minimal RestProxy's Service
// and checks each got a 200 report, and that the topic holds the same
// records in the same order at the offsets reported.
func (s *suite) stream10k(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, streamTopic)
	if err != nil {
		return err
	}
	const n = 10000
	values := make([]string, n)
	for i := range values {
		values[i] = fmt.Sprintf("stream-%05d", i)
	}
	res := produceStream(ctx, url, nil, values)
	if res.err != nil || res.status != http.StatusOK {
		return fmt.Errorf("stream: HTTP %d, %d reports, error %v", res.status, len(res.reports), res.err)
	}
	if len(res.reports) != n {
		return fmt.Errorf("%d reports for %d records", len(res.reports), n)
	}
	for i, r := range res.reports {
		if r.ErrorCode != 200 {
			return fmt.Errorf("record %d: report %+v, want 200", i, r)
		}
	}
	stored, err := readPartition(ctx, s.brokerAddr(), streamTopic, 0)
	if err != nil {
		return err
	}
	if len(stored) != n {
		return fmt.Errorf("%s holds %d records, want %d", streamTopic, len(stored), n)
	}
	for i, m := range stored {
		if string(m.Value) != values[i] || m.Offset != res.reports[i].Offset {
			return fmt.Errorf("%s offset %d holds %q, want record %d %q reported at offset %d",
				streamTopic, m.Offset, m.Value, i, values[i], res.reports[i].Offset)
		}
	}
	return nil
}

// rolloutWhileStreaming changes producer.lingerMs, which rolls the pods,
// while four clients keep opening short streams through the Service. Every
// record reported 200 must be in Kafka where its report says; every report
// must be a 200 or a clean error; the rollout must complete.
func (s *suite) rolloutWhileStreaming(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, rolloutTopic)
	if err != nil {
		return err
	}
	before, err := s.podNames(ctx, tenantNS, minimalName)
	if err != nil {
		return err
	}
	l := startLoad(ctx, url, "roll", 4, 200)
	// Let the clients run on the old pod first.
	if err := l.waitAcked(ctx, 2000, 60*time.Second); err != nil {
		l.halt()
		return fmt.Errorf("before the change: %w", err)
	}
	if _, err := s.c.kubectl(ctx, "patch", "-n", tenantNS, "rp/"+minimalName, "--type=merge",
		"-p", `{"spec":{"producer":{"lingerMs":7}}}`); err != nil {
		l.halt()
		return err
	}
	rollout := s.waitReplaced(ctx, tenantNS, minimalName, before)
	if rollout == nil {
		// And the clients go on against the new pod.
		l.markNow()
		rollout = l.waitAcked(ctx, 1000, 60*time.Second)
	}
	l.halt()
	if rollout != nil {
		return fmt.Errorf("rollout: %w", rollout)
	}
	name, err := s.configMapName(ctx)
	if err != nil {
		return err
	}
	cm, err := s.c.kubectl(ctx, "get", "configmap", "-n", tenantNS, name, "-o", "jsonpath={.data}")
	if err != nil {
		return err
	}
	if !strings.Contains(cm, "lingerMs: 7") {
		return fmt.Errorf("the proxy config does not carry lingerMs 7: %s", cm)
	}
	fmt.Printf("    %s\n", l.summary())
	return l.checkStored(ctx, s.brokerAddr(), rolloutTopic, 3)
}

// podNames lists the names of a RestProxy's pods.
func (s *suite) podNames(ctx context.Context, ns, name string) ([]string, error) {
	out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance="+name, "-o", "name")
	return strings.Fields(out), err
}

// waitReplaced waits until none of the pods before is left and the
// RestProxy's Deployment has completed its rollout.
func (s *suite) waitReplaced(ctx context.Context, ns, name string, before []string) error {
	return poll(ctx, 180*time.Second, func() error {
		now, err := s.podNames(ctx, ns, name)
		if err != nil {
			return err
		}
		for _, old := range before {
			if slices.Contains(now, old) {
				return fmt.Errorf("old pod %s still there", old)
			}
		}
		_, err = s.c.kubectl(ctx, "rollout", "status", "-n", ns, "deployment/"+name, "--timeout=5s")
		return err
	})
}

// authAndTopics creates a RestProxy with API keys and a topic allow-list,
// the Secret in its namespace, and checks through its Service that a wrong
// key gets 401, a topic off the list 403, and the right key on an allowed
// topic 200 with the record stored.
func (s *suite) authAndTopics(ctx context.Context) error {
	const key = "e2e-right-key-0123456789"
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: v1
kind: Secret
metadata:
  name: %[2]s-api-keys
  namespace: %[1]s
stringData:
  keys: |
    %[3]s
---
apiVersion: kafka.restproxy.dev/v1alpha1
kind: RestProxy
metadata:
  name: %[2]s
  namespace: %[1]s
spec:
  kafka:
    bootstrapServers: [%[4]q]
  authentication:
    type: apiKey
    secretRef: {name: %[2]s-api-keys, key: keys}
  topics:
    allow:
      - name: %[5]s
`, securedNS, securedName, key, s.brokerAddr(), allowedTopic)
	if _, err := s.c.kubectlIn(ctx, []byte(manifest), "apply", "-f", "-"); err != nil {
		return err
	}
	if err := s.waitReady(ctx, securedNS, securedName, 1); err != nil {
		return err
	}
	allowed, err := s.serviceURL(ctx, securedNS, securedName, allowedTopic)
	if err != nil {
		return err
	}
	forbidden, err := s.serviceURL(ctx, securedNS, securedName, disallowTopic)
	if err != nil {
		return err
	}
	bearer := func(k string) http.Header { return http.Header{"Authorization": {"Bearer " + k}} }
	for _, tc := range []struct {
		name   string
		url    string
		header http.Header
		status int
		code   string
	}{
		{"no key", allowed, nil, 401, `"error_code":40101`},
		{"wrong key", allowed, bearer("e2e-wrong-key"), 401, `"error_code":40101`},
		{"right key, topic not allowed", forbidden, bearer(key), 403, `"error_code":40301`},
		{"right key, allowed topic", allowed, bearer(key), 200, `"error_code":200`},
	} {
		status, body, err := produceOne(ctx, client, tc.url, tc.header, tc.name)
		if err != nil {
			return fmt.Errorf("%s: %w", tc.name, err)
		}
		if status != tc.status || !strings.Contains(body, tc.code) {
			return fmt.Errorf("%s: HTTP %d %s, want HTTP %d with %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	for _, topic := range []string{allowedTopic, disallowTopic} {
		msgs, err := readPartition(ctx, s.brokerAddr(), topic, 0)
		if err != nil {
			return err
		}
		var values []string
		for _, m := range msgs {
			values = append(values, string(m.Value))
		}
		want := map[string]string{allowedTopic: "right key, allowed topic", disallowTopic: ""}[topic]
		if strings.Join(values, "|") != want {
			return fmt.Errorf("topic %s holds %q, want %q: only the accepted record may be stored", topic, values, want)
		}
	}
	return nil
}
