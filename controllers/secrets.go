package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// hashSecrets reads every Secret key the RestProxy references and returns a
// hash of the names, keys and contents of the Kafka and TLS ones
// (manifests.RollingSecretRefs: Kafka CA, client certificate and SASL
// password; HTTPS certificate, key and client CA). The hash goes on the pod
// template, so rotating one of those rolls the pods, as
// docs/configuration.md, "Files re-read while running", says. The credentials
// Secret is left out: the proxy re-reads that file, so rotating it drains no
// stream. Contents go nowhere else (never logged, never in an error).
//
// Every referenced key is checked, hashed or not: a missing Secret or key is
// a *reconcileError whose reason (SecretNotFound, SecretKeyNotFound) and
// message name it. The reader should be uncached: the operator keeps only
// the metadata of Secrets in memory.
func hashSecrets(ctx context.Context, reader client.Reader, rp *v1alpha1.RestProxy) (string, error) {
	values, err := readSecrets(ctx, reader, rp)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	// RollingSecretRefs is sorted by name with sorted keys, so the hash does
	// not depend on where in the spec a Secret is referenced.
	for _, ref := range manifests.RollingSecretRefs(rp) {
		writeField(h, ref.Name)
		for _, key := range ref.Keys {
			writeField(h, key)
			writeField(h, string(values[ref.Name][key]))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readSecrets reads the keys manifests.SecretRefs lists, by Secret name and
// key, or fails naming the first Secret or key missing.
func readSecrets(ctx context.Context, reader client.Reader, rp *v1alpha1.RestProxy) (map[string]map[string][]byte, error) {
	values := map[string]map[string][]byte{}
	for _, ref := range manifests.SecretRefs(rp) {
		var s corev1.Secret
		err := reader.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: ref.Name}, &s)
		switch {
		case apierrors.IsNotFound(err):
			return nil, &reconcileError{ReasonSecretNotFound,
				fmt.Errorf("Secret %q (namespace %s) referenced by the RestProxy does not exist", ref.Name, rp.Namespace)}
		case err != nil:
			return nil, &reconcileError{ReasonSecretReadFailed, fmt.Errorf("read Secret %q: %w", ref.Name, err)}
		}
		keys := map[string][]byte{}
		for _, key := range ref.Keys {
			value, ok := s.Data[key]
			if !ok {
				return nil, &reconcileError{ReasonSecretKeyNotFound,
					fmt.Errorf("Secret %q (namespace %s) has no key %q", ref.Name, rp.Namespace, key)}
			}
			keys[key] = value
		}
		values[ref.Name] = keys
	}
	return values, nil
}

// writeField writes s length-prefixed, so no two different lists of fields
// hash the same ("ab","c" versus "a","bc").
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
