package controllers

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// tracedReconciler records a span per reconcile of a RestProxy, through
// the process's OpenTelemetry tracer provider: a no-op unless the operator
// was started with the OTEL_* environment of the chart's tracing values
// (cmd_operator.go).
type tracedReconciler struct {
	inner  reconcile.Reconciler
	tracer trace.Tracer
}

func traced(r reconcile.Reconciler) reconcile.Reconciler {
	return &tracedReconciler{inner: r, tracer: otel.Tracer("github.com/restproxy-dev/restproxy-operator/controllers")}
}

// Reconcile runs the reconcile under its span, which carries the
// RestProxy's namespace and name and, on failure, the error.
func (t *tracedReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ctx, span := t.tracer.Start(ctx, "reconcile RestProxy", trace.WithAttributes(
		attribute.String("k8s.namespace.name", req.Namespace),
		attribute.String("restproxy.name", req.Name),
	))
	defer span.End()
	res, err := t.inner.Reconcile(ctx, req)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}
