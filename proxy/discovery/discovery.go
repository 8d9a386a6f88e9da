// Package discovery serves the read-only v3 endpoints that describe the
// Kafka cluster behind the proxy (GET /v3/clusters and below, down to one
// partition) and the proxy's own OpenAPI document (GET /v3/openapi.json).
// docs/discovery.md is their contract for users, docs/openapi.json their
// schema.
//
// Answers are built from the producer's cluster metadata, refreshed at
// most every few seconds, and show only what the client may produce to:
// topics off the allow-list, and internal ones, are answered exactly as
// unknown ones, so the allow-list cannot be probed.
package discovery

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/admission"
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// Source is the cluster metadata answers are built from: the producer's.
type Source interface {
	Cluster(ctx context.Context) (*producer.Cluster, error)
}

// Access is the produce endpoint's access control, which discovery shares:
// the same credentials, and the principal's grant decides which topics
// are seen. Authenticate puts the principal on the request's context,
// where Allowed finds it.
type Access interface {
	Authenticate(c echo.Context) *apierror.Error
	Allowed(ctx context.Context, topic string) bool
}

// Settings are the configuration keys discovery reads.
type Settings struct {
	// ClusterID is the configured cluster id (clusterId); empty: the Kafka
	// cluster's own, from metadata.
	ClusterID string
	// TrustForwardedHeaders is http.trustForwardedHeaders.
	TrustForwardedHeaders bool
}

// Handler serves the discovery endpoints.
type Handler struct {
	src      Source
	access   Access
	settings Settings
	// refuse turns a Source error into the request's refusal (503 while
	// Kafka is unreachable, 401 when Kafka refuses the proxy itself).
	refuse func(error) *apierror.Error
}

// New returns the discovery endpoints answering from src.
func New(src Source, access Access, s Settings, refuse func(error) *apierror.Error) *Handler {
	return &Handler{src: src, access: access, settings: s, refuse: refuse}
}

// Routes registers the endpoints on e under /v3 and /kafka/v3, resources
// with and without a trailing slash as the produce endpoint is. Every
// method is routed, so that authentication comes first and other methods
// get 405 with Allow: GET. The OpenAPI document asks for no credentials:
// it is the same for every proxy and tells nothing of the cluster.
func (h *Handler) Routes(e *echo.Echo) {
	resources := []struct {
		path   string
		handle echo.HandlerFunc
	}{
		{"/v3/clusters", h.listClusters},
		{"/v3/clusters/:cluster_id", h.getCluster},
		{"/v3/clusters/:cluster_id/topics", h.listTopics},
		{"/v3/clusters/:cluster_id/topics/:topic_name", h.getTopic},
		{"/v3/clusters/:cluster_id/topics/:topic_name/partitions", h.listPartitions},
		{"/v3/clusters/:cluster_id/topics/:topic_name/partitions/:partition_id", h.getPartition},
	}
	for _, prefix := range []string{"", "/kafka"} {
		for _, r := range resources {
			e.Any(prefix+r.path, r.handle, h.authenticate, getOnly)
			e.Any(prefix+r.path+"/", r.handle, h.authenticate, getOnly)
		}
		e.Any(prefix+"/v3/openapi.json", serveOpenAPI, getOnly)
	}
}

// authenticate refuses a request without valid credentials, before any
// other check, as the produce endpoint does.
func (h *Handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.access.Authenticate(c); err != nil {
			return err
		}
		return next(c)
	}
}

// getOnly answers any method but GET with 405 and Allow: GET.
func getOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodGet {
			c.Response().Header().Set(echo.HeaderAllow, http.MethodGet)
			return apierror.New(apierror.MethodNotAllowed)
		}
		return next(c)
	}
}

func (h *Handler) listClusters(c echo.Context) error {
	snap, err := h.src.Cluster(c.Request().Context())
	if err != nil {
		return h.refuse(err)
	}
	l := h.links(c)
	return reply(c, newList(kindClusterList, l.clusters(), []clusterData{newCluster(l, h.clusterID(snap), snap.Controller)}))
}

func (h *Handler) getCluster(c echo.Context) error {
	snap, id, err := h.cluster(c)
	if err != nil {
		return err
	}
	return reply(c, newCluster(h.links(c), id, snap.Controller))
}

func (h *Handler) listTopics(c echo.Context) error {
	snap, id, err := h.cluster(c)
	if err != nil {
		return err
	}
	l := h.links(c)
	var data []topicData
	for i := range snap.Topics { // sorted by name
		if t := &snap.Topics[i]; h.visible(c, t) {
			data = append(data, newTopic(l, id, t))
		}
	}
	return reply(c, newList(kindTopicList, l.cluster(id, "topics"), data))
}

func (h *Handler) getTopic(c echo.Context) error {
	_, id, t, err := h.topic(c)
	if err != nil {
		return err
	}
	return reply(c, newTopic(h.links(c), id, t))
}

func (h *Handler) listPartitions(c echo.Context) error {
	_, id, t, err := h.topic(c)
	if err != nil {
		return err
	}
	l := h.links(c)
	data := make([]partitionData, 0, len(t.Partitions))
	for i := range t.Partitions { // sorted by id
		data = append(data, newPartition(l, id, t.Name, &t.Partitions[i]))
	}
	return reply(c, newList(kindPartitionList, l.topic(id, t.Name, "partitions"), data))
}

func (h *Handler) getPartition(c echo.Context) error {
	_, id, t, err := h.topic(c)
	if err != nil {
		return err
	}
	raw, ok := admission.PathParam(c, "partition_id")
	n, perr := strconv.ParseInt(raw, 10, 32)
	if !ok || perr != nil {
		return notFound()
	}
	p, ok := t.Partition(int32(n))
	if !ok {
		return notFound()
	}
	return reply(c, newPartition(h.links(c), id, t.Name, p))
}

// cluster checks the path's cluster id and returns the metadata to answer
// from and the id. A configured id is checked before Kafka is asked.
func (h *Handler) cluster(c echo.Context) (*producer.Cluster, string, error) {
	id, ok := admission.PathParam(c, "cluster_id")
	switch {
	case !ok || id == "":
		return nil, "", notFound()
	case h.settings.ClusterID != "" && id != h.settings.ClusterID:
		return nil, "", apierror.New(apierror.ClusterNotFound, id)
	}
	snap, err := h.src.Cluster(c.Request().Context())
	if err != nil {
		return nil, "", h.refuse(err)
	}
	if id != h.clusterID(snap) {
		return nil, "", apierror.New(apierror.ClusterNotFound, id)
	}
	return snap, id, nil
}

// topic is cluster, then the path's topic if the client may see it.
func (h *Handler) topic(c echo.Context) (*producer.Cluster, string, *producer.Topic, error) {
	snap, id, err := h.cluster(c)
	if err != nil {
		return nil, "", nil, err
	}
	name, ok := admission.PathParam(c, "topic_name")
	if !ok {
		return nil, "", nil, notFound()
	}
	t, ok := snap.Topic(name)
	if !ok || !h.visible(c, t) {
		return nil, "", nil, notFound()
	}
	return snap, id, t, nil
}

// visible reports whether the client sees t: granted to its principal
// and not internal.
func (h *Handler) visible(c echo.Context, t *producer.Topic) bool {
	return !isInternal(t) && h.access.Allowed(c.Request().Context(), t.Name)
}

// isInternal reports a topic discovery never shows: one the brokers mark
// internal, or whose name starts with "__" (__consumer_offsets,
// __transaction_state, and the like).
func isInternal(t *producer.Topic) bool {
	return t.Internal || strings.HasPrefix(t.Name, "__")
}

// clusterID is the cluster's id: the configured one, else Kafka's own.
func (h *Handler) clusterID(snap *producer.Cluster) string {
	if h.settings.ClusterID != "" {
		return h.settings.ClusterID
	}
	return snap.ID
}

func (h *Handler) links(c echo.Context) links {
	return links{base: baseURL(c.Request(), c.Path(), h.settings.TrustForwardedHeaders)}
}

// notFound is the answer to a resource that does not exist or that the
// client may not see, the same for both, as the reference answers a
// missing resource.
func notFound() error { return apierror.New(apierror.PathNotFound) }

func reply(c echo.Context, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err // a bug: handleError answers 500
	}
	return c.Blob(http.StatusOK, "application/json", body)
}
