package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// drainWithBudget drains the node of the minimal RestProxy's three pods
// through the eviction API while clients stream. The PodDisruptionBudget
// lets one pod go; its replacement cannot be scheduled on the cordoned
// node, so every further eviction is refused and the drain times out with
// two pods still serving. Uncordoned, the third comes back.
func (s *suite) drainWithBudget(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, drainTopic)
	if err != nil {
		return err
	}
	d := deliverAll(ctx, url, "drain", 4, 10000, 1000, 2*time.Millisecond)
	defer d.halt()
	if err := d.waitReports(ctx, 2000); err != nil {
		return err
	}
	_, drain := s.c.kubectl(ctx, "drain", nodeName, "--pod-selector=app.kubernetes.io/instance="+minimalName,
		"--ignore-daemonsets", "--delete-emptydir-data", "--timeout=20s")
	uncordon := func() error {
		_, err := s.c.kubectl(context.Background(), "uncordon", nodeName)
		return err
	}
	if drain == nil || !strings.Contains(drain.Error(), "disruption budget") {
		return errors.Join(fmt.Errorf("kubectl drain: %v; want it refused by the disruption budget", drain), uncordon())
	}
	serving, err := s.c.kubectl(ctx, "get", "pods", "-n", tenantNS, "-l", "app.kubernetes.io/instance="+minimalName,
		"-o", `jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.deletionTimestamp}/{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
	if err != nil {
		return errors.Join(err, uncordon())
	}
	if ready := strings.Count(" "+serving, " /True"); ready != 2 {
		return errors.Join(fmt.Errorf("after the refused drain, pods (deletion/Ready) %q: want 2 serving", serving), uncordon())
	}
	if err := uncordon(); err != nil {
		return err
	}
	if err := s.waitReady(ctx, tenantNS, minimalName, 3); err != nil {
		return err
	}
	if err := d.wait(ctx, 180*time.Second); err != nil {
		return err
	}
	fmt.Printf("    %s\n", d.summary())
	_, err = d.checkDelivered(ctx, s.brokerAddr(), drainTopic, 3)
	return err
}

// operatorRestartMidRollout changes the spec of three RestProxies and
// deletes the operator's pod as soon as one Deployment took the change.
// The rollouts complete once a new operator pod runs, each RestProxy with
// exactly one Deployment, Service and ServiceAccount.
func (s *suite) operatorRestartMidRollout(ctx context.Context) error {
	generations := map[string]string{}
	for _, name := range fleetNames {
		g, err := s.c.kubectl(ctx, "get", "deployment", "-n", fleetNS, name, "-o", "jsonpath={.metadata.generation}")
		if err != nil {
			return err
		}
		generations[name] = g
	}
	for _, name := range fleetNames {
		if _, err := s.c.kubectl(ctx, "patch", "-n", fleetNS, "rp/"+name, "--type=merge",
			"-p", `{"spec":{"producer":{"lingerMs":11}}}`); err != nil {
			return err
		}
	}
	if err := poll(ctx, 60*time.Second, func() error {
		for _, name := range fleetNames {
			g, err := s.c.kubectl(ctx, "get", "deployment", "-n", fleetNS, name, "-o", "jsonpath={.metadata.generation}")
			if err != nil {
				return err
			}
			if g != generations[name] {
				fmt.Printf("    the operator pod is deleted once %s/%s has the change\n", fleetNS, name)
				return nil
			}
		}
		return fmt.Errorf("no Deployment took the change yet")
	}); err != nil {
		return err
	}
	if _, err := s.c.kubectl(ctx, "delete", "pods", "-n", operatorNS, "-l", "app.kubernetes.io/name=restproxy-operator", "--wait=false"); err != nil {
		return err
	}
	if _, err := s.c.kubectl(ctx, "rollout", "status", "-n", operatorNS, "deployment/"+release, "--timeout=120s"); err != nil {
		return err
	}
	for _, name := range fleetNames {
		if err := s.rolledTo(ctx, fleetNS, name, "lingerMs: 11"); err != nil {
			return err
		}
	}
	return nil
}

// rolledTo waits for a RestProxy to be Ready on a config holding want, its
// pods all on the Deployment's current template, and checks that it has
// one of each object.
func (s *suite) rolledTo(ctx context.Context, ns, name, want string) error {
	if err := poll(ctx, 180*time.Second, func() error {
		_, err := s.c.kubectl(ctx, "rollout", "status", "-n", ns, "deployment/"+name, "--timeout=5s")
		return err
	}); err != nil {
		return err
	}
	if err := s.waitReady(ctx, ns, name, 1); err != nil {
		return err
	}
	config, err := s.c.kubectl(ctx, "get", "deployment", "-n", ns, name, "-o", "jsonpath={.spec.template.spec.volumes[0].configMap.name}")
	if err != nil {
		return err
	}
	data, err := s.c.kubectl(ctx, "get", "configmap", "-n", ns, config, "-o", "jsonpath={.data}")
	if err != nil {
		return err
	}
	if !strings.Contains(data, want) {
		return fmt.Errorf("%s/%s runs config %s without %q: %s", ns, name, config, want, data)
	}
	out, err := s.c.kubectl(ctx, "get", "deployments,services,serviceaccounts", "-n", ns, "-l", "app.kubernetes.io/instance="+name, "-o", "name")
	if err != nil {
		return err
	}
	objects := strings.Fields(out)
	if len(objects) != 3 {
		return fmt.Errorf("%s/%s has %v, want one Deployment, one Service and one ServiceAccount", ns, name, objects)
	}
	return nil
}

// slowConsumer measures the latency of healthy clients' single requests
// with and without slow consumers of reports next to them on the same
// pods: streams that upload as fast as they can and read one report a
// second. Three rounds of each, alternated; the median p99 with them may
// be at most twice the median p99 without.
func (s *suite) slowConsumer(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, slowTopic)
	if err != nil {
		return err
	}
	var without, with []time.Duration
	for round := range 3 {
		p99, err := healthyP99(ctx, url)
		if err != nil {
			return err
		}
		without = append(without, p99)
		slow, stop := startSlowConsumers(ctx, url, 4)
		if err := slow.waitReading(ctx); err != nil {
			stop()
			return err
		}
		p99, err = healthyP99(ctx, url)
		read := slow.reports()
		stop()
		if err != nil {
			return err
		}
		with = append(with, p99)
		fmt.Printf("    round %d: p99 %s without slow consumers, %s with 4 (they had read %d reports)\n", round+1, without[round], p99, read)
	}
	base, slowed := median(without), median(with)
	if slowed > 2*base {
		return fmt.Errorf("healthy clients' p99 went from %s to %s next to slow consumers: more than 2x", base, slowed)
	}
	return nil
}

// healthyP99 is the 99th percentile of 4 clients' 250 single produce
// requests each.
func healthyP99(ctx context.Context, url string) (time.Duration, error) {
	var (
		mu    sync.Mutex
		took  []time.Duration
		first error
		wg    sync.WaitGroup
	)
	for c := range 4 {
		wg.Go(func() {
			for i := range 250 {
				start := time.Now()
				status, body, err := produceOne(ctx, client, url, nil, fmt.Sprintf("healthy-%d-%d", c, i))
				mu.Lock()
				took = append(took, time.Since(start))
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("HTTP %d %s", status, body)
				}
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(took)
	return took[len(took)*99/100], first
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// slowConsumers are streams that upload records as fast as the proxy takes
// them and read their reports at one a second.
type slowConsumers struct {
	sent atomic.Int64 // records written, all streams
	mu   sync.Mutex
	read []int // reports read, per stream
}

func startSlowConsumers(ctx context.Context, url string, n int) (*slowConsumers, func()) {
	ctx, cancel := context.WithCancel(ctx)
	s := &slowConsumers{read: make([]int, n)}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { s.stream(ctx, url, i) })
	}
	return s, func() { cancel(); wg.Wait() }
}

func (s *slowConsumers) stream(ctx context.Context, url string, i int) {
	pr, pw := io.Pipe()
	go func() {
		for j := 0; ctx.Err() == nil; j++ {
			if _, err := pw.Write(record(fmt.Sprintf("slow-%d-%07d", i, j))); err != nil {
				return
			}
			s.sent.Add(1)
		}
		pw.Close()
	}()
	defer pr.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		return
	}
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var r report
		if dec.Decode(&r) != nil {
			return
		}
		s.mu.Lock()
		s.read[i]++
		s.mu.Unlock()
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// waitReading waits until every slow stream has read a report and the
// proxy has stopped taking their records (its in-flight bounds are full
// of records whose reports are not read): the state of a slow consumer,
// rather than of a fast producer.
func (s *slowConsumers) waitReading(ctx context.Context) error {
	last := int64(-1)
	return poll(ctx, 60*time.Second, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if slices.Contains(s.read, 0) {
			return fmt.Errorf("slow streams have read %v reports, want one each", s.read)
		}
		sent := s.sent.Load()
		if sent != last {
			last = sent
			return fmt.Errorf("the proxy still takes the slow streams' records (%d so far)", sent)
		}
		return nil
	})
}

func (s *slowConsumers) reports() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.read {
		n += r
	}
	return n
}
