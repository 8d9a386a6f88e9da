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
// hash of names, keys and contents. The hash goes on the pod template, so a
// rotated Secret rolls the pods; its contents go nowhere else (never logged,
// never in an error).
//
// A missing Secret or key is a *reconcileError whose reason
// (SecretNotFound, SecretKeyNotFound) and message name it. The reader should
// be uncached: the operator keeps only the metadata of Secrets in memory.
func hashSecrets(ctx context.Context, reader client.Reader, rp *v1alpha1.RestProxy) (string, error) {
	h := sha256.New()
	// SecretRefs is sorted by name with sorted keys, so the hash does not
	// depend on where in the spec a Secret is referenced.
	for _, ref := range manifests.SecretRefs(rp) {
		var s corev1.Secret
		err := reader.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: ref.Name}, &s)
		switch {
		case apierrors.IsNotFound(err):
			return "", &reconcileError{ReasonSecretNotFound,
				fmt.Errorf("Secret %q (namespace %s) referenced by the RestProxy does not exist", ref.Name, rp.Namespace)}
		case err != nil:
			return "", &reconcileError{ReasonSecretReadFailed, fmt.Errorf("read Secret %q: %w", ref.Name, err)}
		}
		writeField(h, ref.Name)
		for _, key := range ref.Keys {
			value, ok := s.Data[key]
			if !ok {
				return "", &reconcileError{ReasonSecretKeyNotFound,
					fmt.Errorf("Secret %q (namespace %s) has no key %q", ref.Name, rp.Namespace, key)}
			}
			writeField(h, key)
			writeField(h, string(value))
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeField writes s length-prefixed, so no two different lists of fields
// hash the same ("ab","c" versus "a","bc").
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
