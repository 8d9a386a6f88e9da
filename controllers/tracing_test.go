package controllers

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Each reconcile gets a span naming its RestProxy; a failed one carries
// the error as its status, and the inner reconciler sees the span's
// context.
func TestTracedReconciler(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var sawSpan bool
	inner := reconcile.Func(func(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
		sawSpan = trace.SpanContextFromContext(ctx).IsValid()
		return reconcile.Result{}, errors.New("apply Deployment: conflict")
	})
	r := &tracedReconciler{inner: inner, tracer: provider.Tracer("test")}
	_, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "tenant-a", Name: "orders"}})
	if err == nil || !sawSpan {
		t.Fatalf("err %v, inner ran under a span: %v", err, sawSpan)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	attrs := map[string]string{}
	for _, kv := range s.Attributes() {
		attrs[string(kv.Key)] = kv.Value.AsString()
	}
	if s.Name() != "reconcile RestProxy" || attrs["k8s.namespace.name"] != "tenant-a" || attrs["restproxy.name"] != "orders" {
		t.Errorf("span %q attributes %v, want reconcile RestProxy of tenant-a/orders", s.Name(), attrs)
	}
	if s.Status().Code != codes.Error || s.Status().Description != "apply Deployment: conflict" {
		t.Errorf("status %+v, want the error", s.Status())
	}
}
