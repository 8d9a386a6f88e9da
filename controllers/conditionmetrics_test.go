package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// TestConditionMetricFollowsStatus: the operator's /metrics registry holds
// one series per condition of each RestProxy's stored status, with its
// status and reason, following it as it changes and dropping it when the
// RestProxy is deleted. The chart's alerts read these series.
func TestConditionMetricFollowsStatus(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)

	got := waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonRolloutInProgress)
	eventually(t, func() error { return seriesMatch(key, got.Status.Conditions) })
	if !slices.Contains(conditionSeries(t, key), "Ready False RolloutInProgress") {
		t.Errorf("no series for Ready False RolloutInProgress: %v", conditionSeries(t, key))
	}

	markRolledOut(t, rp)
	got = waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionTrue, ReasonReady)
	eventually(t, func() error { return seriesMatch(key, got.Status.Conditions) })
	if series := conditionSeries(t, key); slices.Contains(series, "Ready False RolloutInProgress") {
		t.Errorf("the series of the previous Ready condition is still exposed: %v", series)
	}

	if err := k8s.Delete(context.Background(), rp); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if series := conditionSeries(t, key); len(series) > 0 {
			return fmt.Errorf("deleted RestProxy %s still has condition series %v", key, series)
		}
		return nil
	})
}

// seriesMatch says whether the exposed series of key are exactly the
// conditions given.
func seriesMatch(key types.NamespacedName, conditions []metav1.Condition) error {
	var want []string
	for _, c := range conditions {
		want = append(want, fmt.Sprintf("%s %s %s", c.Type, c.Status, c.Reason))
	}
	slices.Sort(want)
	got, err := gatherConditionSeries(key)
	if err != nil {
		return err
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s series of %s:\n got  %v\n want %v (the stored status)", ConditionMetricName, key, got, want)
	}
	return nil
}

func conditionSeries(t *testing.T, key types.NamespacedName) []string {
	t.Helper()
	got, err := gatherConditionSeries(key)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// gatherConditionSeries reads the registry the manager's /metrics serves:
// "type status reason" of each series of key, each of value 1, sorted.
func gatherConditionSeries(key types.NamespacedName) ([]string, error) {
	families, err := metrics.Registry.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather metrics: %w", err)
	}
	var got []string
	for _, f := range families {
		if f.GetName() != ConditionMetricName {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] != key.Namespace || labels["name"] != key.Name {
				continue
			}
			if v := m.GetGauge().GetValue(); v != 1 {
				return nil, fmt.Errorf("series %v has value %v, want 1", labels, v)
			}
			got = append(got, strings.Join([]string{labels["type"], labels["status"], labels["reason"]}, " "))
		}
	}
	slices.Sort(got)
	return got, nil
}
