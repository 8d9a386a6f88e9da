package config

import (
	"bytes"
	"testing"
)

// fullExample is every key of docs/configuration.md ("Full example") with a
// value of its kind, the seed the fuzzer mutates most usefully.
const fullExample = `listen: ":8082"
managementListen: ":8081"
clusterId: "c1"
kafka:
  bootstrapServers: ["localhost:9092", "b2:9093"]
  clientId: "restproxy"
  tls: {enabled: true, caFile: /ca.pem, certFile: /c.pem, keyFile: /k.pem}
  sasl: {mechanism: SCRAM-SHA-512, username: u, passwordFile: /p}
  identity: principal
  principals: [{principal: alice, username: kafka-alice, passwordFile: /alice}]
  maxPrincipalWriters: 10
  principalWriterIdleMs: 60000
producer:
  acks: all
  compression: zstd
  lingerMs: 2
  batchMaxRecords: 1000
  batchMaxBytes: 1048576
  maxMessageBytes: 1048576
  maxAttempts: 3
  deliveryTimeoutMs: 30000
  metadataWaitMs: 5000
  recordIdHeader: true
http:
  maxRequestBytes: 1000
  maxRecordBytes: 100
  maxInFlightPerStream: 1024
  maxInFlightTotal: 65536
  maxStreams: 10
  maxBatchEntries: 100
  compressResponses: true
  streamMaxAgeMs: 86400000
  streamGracePeriodMs: 500
  idleTimeoutMs: 30000
  shutdownDrainMs: 25000
  tls: {certFile: /s.pem, keyFile: /s-key.pem, clientCAFile: /ca.pem}
  trustForwardedHeaders: true
authentication:
  type: mtls
  credentialsFile: ""
  jwt:
    issuerURL: https://issuer.example
    jwksURL: https://issuer.example/keys
    jwksFile: ""
    issuerCAFile: /issuer-ca.pem
    issuerTokenFile: /token
    audiences: [restproxy]
    principalClaim: client_id
    groupsClaim: groups
    leewayMs: 0
    jwksMinRefreshMs: 10000
authorization:
  topics: [{name: orders}, {prefix: "audit."}]
  rules:
  - principals: [{name: alice}, {prefix: "svc-"}, {group: ops}]
    topics: [{name: orders}, {prefix: "alice."}]
    recordsPerSecond: 100
    bytesPerSecond: 0
rateLimit: {enabled: true, recordsPerSecond: 10, bytesPerSecond: 0, perClusterRecordsPerSecond: 5, perClusterBytesPerSecond: 100}
logging: {level: debug, format: text, access: {enabled: true, sampleSuccessfulSingleRatio: 0.1}}
tracing: {enabled: true, endpoint: "http://collector:4318", protocol: http/protobuf, samplingRatio: 0.5, injectRecordHeaders: false, headersFile: /h}
metrics: {principalLimit: 20}
schemaRegistry:
  urls: ["https://sr:8081", "https://sr2:8081"]
  basicAuth: {usernameFile: /sr-user, passwordFile: /sr-pass}
  bearerTokenFile: ""
  tls: {caFile: /sr-ca.pem, certFile: /sr.pem, keyFile: /sr-key.pem}
  timeoutMs: 5000
  latestCacheMs: 30000
  registerSchemas: false
`

// FuzzParse: Parse never panics; what it accepts is valid and survives a
// Marshal and Parse round trip unchanged; what it refuses comes with a
// message. Run as a normal test it checks the seeds; `go test -fuzz
// FuzzParse ./proxy/config` explores further.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"{}",
		fullExample,
		"listen: ':1'\nlisten: ':2'\n",
		"kafka:\n  bootstrap: [a:1]\n",
		"authorization:\n  topics:\n  - nme: x\n",
		"producer:\n  lingerMs: 1e400\n",
		"http: [1, 2]\n",
		"a: &a [*a, *a]\n",
		"rateLimit: {enabled: true}\n",
		"authentication: {type: basic, credentialsFile: /creds}\n",
		"authentication: {type: jwt, jwt: {jwksFile: /k, audiences: [a], leewayMs: 0}}\n",
		"\xff\xfe",
		"listen: \"\\u0000\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q) failed with an empty message", data)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted a config Validate refuses: %v", data, err)
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an accepted config: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(%q))) = %v\n%s", data, err, out)
		}
		again, _ := back.Marshal()
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip changed the config of %q:\n%s\n---\n%s", data, out, again)
		}
	})
}
