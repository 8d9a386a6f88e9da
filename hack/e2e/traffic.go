package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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
	pr, pw := io.Pipe()
	go func() {
		for _, v := range values {
			if _, err := pw.Write(record(v)); err != nil {
				return
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
	}
	pr.CloseWithError(errors.New("response ended"))
	return res
}

// produceOne sends one record with Content-Length and returns the HTTP
// status and the body.
func produceOne(ctx context.Context, url string, header http.Header, value string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(record(value)))
	if err != nil {
		return 0, "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
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

// cleanCodes are the report codes a record may get while its pod is
// replaced: 200, or a clean error: Kafka unreachable or timed out (50003),
// the stream closed for its age (408), overload (429). Anything else during
// a rollout is a bug.
var cleanCodes = map[int]bool{200: true, 408: true, 429: true, 50003: true}

// rolloutWhileStreaming changes producer.lingerMs, which rolls the pods,
// while four clients keep opening short streams through the Service. Every
// record reported 200 must be in Kafka where its report says; every report
// must be a 200 or a clean error; the rollout must complete.
func (s *suite) rolloutWhileStreaming(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, rolloutTopic)
	if err != nil {
		return err
	}
	before, err := s.c.kubectl(ctx, "get", "pods", "-n", tenantNS, "-l", "app.kubernetes.io/instance="+minimalName, "-o", "name")
	if err != nil {
		return err
	}

	type sent struct {
		value string
		rep   report
	}
	var (
		mu                sync.Mutex
		acked             []sent
		streams, cut      int
		refused           []string
		unclean           []string
		stop              = make(chan struct{})
		wg                sync.WaitGroup
		ackedAfterRollout int
		rolloutDone       bool
	)
	const clients, perStream = 4, 200
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				values := make([]string, perStream)
				for j := range values {
					values[j] = fmt.Sprintf("roll-%d-%05d-%03d", c, i, j)
				}
				res := produceStream(ctx, url, nil, values)
				mu.Lock()
				streams++
				switch {
				case res.status == 0:
					// Refused or reset before a response: nothing was
					// reported, so nothing may be assumed stored.
					refused = append(refused, res.err.Error())
				case res.status != http.StatusOK:
					if res.status != http.StatusServiceUnavailable && res.status != http.StatusTooManyRequests {
						unclean = append(unclean, fmt.Sprintf("HTTP %d", res.status))
					}
				default:
					if len(res.reports) < len(values) {
						cut++
					}
					for j, r := range res.reports {
						if !cleanCodes[r.ErrorCode] {
							unclean = append(unclean, fmt.Sprintf("%s: %+v", values[j], r))
						}
						if r.ErrorCode == 200 {
							acked = append(acked, sent{values[j], r})
							if rolloutDone {
								ackedAfterRollout++
							}
						}
					}
					// A stream may end early (a draining pod stops
					// reading), but not break: the reports of records
					// already read would be lost.
					if res.err != nil {
						unclean = append(unclean, fmt.Sprintf("stream broken after %d reports: %v", len(res.reports), res.err))
					}
				}
				mu.Unlock()
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	stopClients := func() { close(stop); wg.Wait() }

	// Let the clients run on the old pod first.
	if err := poll(ctx, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(acked) < 2000 {
			return fmt.Errorf("%d records acknowledged before the change", len(acked))
		}
		return nil
	}); err != nil {
		stopClients()
		return err
	}
	if _, err := s.c.kubectl(ctx, "patch", "-n", tenantNS, "rp/"+minimalName, "--type=merge",
		"-p", `{"spec":{"producer":{"lingerMs":7}}}`); err != nil {
		stopClients()
		return err
	}
	rollout := poll(ctx, 180*time.Second, func() error {
		out, err := s.c.kubectl(ctx, "get", "pods", "-n", tenantNS, "-l", "app.kubernetes.io/instance="+minimalName, "-o", "name")
		if err != nil {
			return err
		}
		for _, old := range strings.Fields(before) {
			if strings.Contains(out, old) {
				return fmt.Errorf("old pod %s still there", old)
			}
		}
		_, err = s.c.kubectl(ctx, "rollout", "status", "-n", tenantNS, "deployment/"+minimalName, "--timeout=5s")
		return err
	})
	if rollout == nil {
		mu.Lock()
		rolloutDone = true
		mu.Unlock()
		// And the clients go on against the new pod.
		rollout = poll(ctx, 60*time.Second, func() error {
			mu.Lock()
			defer mu.Unlock()
			if ackedAfterRollout < 1000 {
				return fmt.Errorf("%d records acknowledged after the rollout", ackedAfterRollout)
			}
			return nil
		})
	}
	stopClients()
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
	fmt.Printf("    %d streams, %d records acknowledged, %d streams ended early, %d refused before a response\n",
		streams, len(acked), cut, len(refused))
	if len(unclean) > 0 {
		return fmt.Errorf("%d reports neither 200 nor a clean error, first: %s", len(unclean), unclean[0])
	}

	stored := map[[2]int64]string{}
	for p := 0; p < 3; p++ {
		msgs, err := readPartition(ctx, s.brokerAddr(), rolloutTopic, p)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			stored[[2]int64{int64(p), m.Offset}] = string(m.Value)
		}
	}
	for _, a := range acked {
		got, ok := stored[[2]int64{int64(a.rep.PartitionID), a.rep.Offset}]
		if !ok || got != a.value {
			return fmt.Errorf("%s was reported 200 at %s/%d offset %d, which holds %q", a.value, rolloutTopic, a.rep.PartitionID, a.rep.Offset, got)
		}
	}
	return nil
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
		status, body, err := produceOne(ctx, tc.url, tc.header, tc.name)
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
