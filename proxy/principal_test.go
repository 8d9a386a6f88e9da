package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// tenantRules: alice by name gets tenant-a, the team-b group tenant-b
// with 3 records a second per principal; anyone else nothing.
var tenantRules = []config.AccessRule{
	{Principals: []config.PrincipalMatch{{Name: "alice"}}, Topics: []config.TopicRule{{Name: "tenant-a"}}},
	{Principals: []config.PrincipalMatch{{Group: "team-b"}}, Topics: []config.TopicRule{{Prefix: "tenant-b"}}, RecordsPerSecond: 3},
}

// docs/produce-api.md, "Per-principal rules": two principals, two topics,
// each can write only its own, through the real broker; a principal no
// rule matches gets 403 everywhere; what Kafka stored proves it.
func TestProduce_PerPrincipalRules(t *testing.T) {
	t.Parallel()
	ti := startIssuer(t)
	ts := startServer(t, func(c *config.Config) {
		jwtConfig(ti, func(j *config.JWT) { j.GroupsClaim = "groups" })(c)
		c.Authorization.Rules = tenantRules
		c.ClusterID = "c"
	})
	key := ti.key()
	token := func(sub string, groups ...string) string {
		c := ti.claims(sub, time.Hour)
		c["groups"] = groups
		return bearer(key.sign(t, c))
	}
	alice, bob, carol := token("alice"), token("bob", "staff", "team-b"), token("carol", "staff")
	endA := kafkatest.EndOffset(t, testBroker.Addr(), "tenant-a", 0)
	endB := kafkatest.EndOffset(t, testBroker.Addr(), "tenant-b", 0)
	for _, c := range []struct {
		who, auth, topic string
		want             int
	}{
		{"alice", alice, "tenant-a", 200},
		{"alice", alice, "tenant-b", 403},
		{"bob", bob, "tenant-b", 200},
		{"bob", bob, "tenant-a", 403},
		{"carol", carol, "tenant-a", 403},
		{"carol", carol, "tenant-b", 403},
	} {
		body := fmt.Sprintf(`{"value":{"type":"STRING","data":"from %s"}}`, c.who)
		resp, raw := produceBodyAs(t, ts.url("c", c.topic), c.auth, body)
		if c.want == 403 {
			wantError(t, resp, raw, 403, 40301, "Not authorized to access topic "+c.topic+".")
			continue
		}
		if r := parseReports(t, raw); resp.StatusCode != 200 || len(r) != 1 || r[0].ErrorCode != 200 {
			t.Errorf("%s to %s: %d %s", c.who, c.topic, resp.StatusCode, raw)
		}
	}
	for topic, want := range map[string]struct {
		from int64
		data string
	}{"tenant-a": {endA, "from alice"}, "tenant-b": {endB, "from bob"}} {
		if end := kafkatest.EndOffset(t, testBroker.Addr(), topic, 0); end != want.from+1 {
			t.Errorf("%s holds %d new records, want 1", topic, end-want.from)
		}
		if got := readBack(t, topic, 0, want.from); string(got.Value) != want.data {
			t.Errorf("%s stored %q, want %q", topic, got.Value, want.data)
		}
	}
	// Discovery shows each principal its own topics only.
	for who, auth := range map[string]string{"alice": alice, "bob": bob, "carol": carol} {
		got := names(getJSON(t, ts.base+"/v3/clusters/c/topics", "Authorization", auth))
		want := map[string][]string{"alice": {"tenant-a"}, "bob": {"tenant-b"}}[who]
		if !slices.Equal(got, want) {
			t.Errorf("%s sees topics %v, want %v", who, got, want)
		}
	}
}

func produceBodyAs(t *testing.T, url, auth, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	return do(t, req)
}

// docs/produce-api.md, "Rate limits": a produce answer tells the
// principal's tightest budget and what remains of it in this second; the
// per-principal budget refuses the record past it with 429.
func TestProduce_RateLimitHeaders(t *testing.T) {
	t.Parallel()
	creds := writeTempCredentials(t, "bob:secret\n")
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
		c.Authorization.Rules = []config.AccessRule{{Principals: []config.PrincipalMatch{{Prefix: "bo"}}, RecordsPerSecond: 3}}
	})
	url := ts.url("c", "ratelimit")
	two := oneRecord + oneRecord
	for attempt := 0; ; attempt++ {
		second := time.Now().Unix()
		first, _ := produceBodyAs(t, url, basic("bob", "secret"), two)
		resp, raw := produceBodyAs(t, url, basic("bob", "secret"), two)
		if time.Now().Unix() != second {
			if attempt < 5 {
				continue // a second boundary fell between: the windows reset
			}
			t.Fatal("could not send two requests within one second")
		}
		for _, r := range []*http.Response{first, resp} {
			if got := r.Header.Get("RateLimit-Policy"); got != `"principal-records";q=3;w=1` {
				t.Errorf("RateLimit-Policy = %q", got)
			}
		}
		if got := first.Header.Get("RateLimit"); got != `"principal-records";r=3;t=1` {
			t.Errorf("first RateLimit = %q, want r=3", got)
		}
		if got := resp.Header.Get("RateLimit"); got != `"principal-records";r=1;t=1` {
			t.Errorf("second RateLimit = %q, want r=1 after two records", got)
		}
		reports := parseReports(t, raw)
		if len(reports) != 2 || reports[0].ErrorCode != 200 || reports[1].ErrorCode != 429 {
			t.Errorf("the fourth record of the second must be refused 429: %v", reports)
		}
		return
	}
}

func writeTempCredentials(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, path, content)
	return path
}

// An API key's principal is "key:" and the first 8 hex digits of its
// SHA-256, which a rule can name.
func TestProduce_APIKeyPrincipalRule(t *testing.T) {
	t.Parallel()
	creds := writeTempCredentials(t, "key-one\nkey-two\n")
	sum := sha256.Sum256([]byte("key-one"))
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: creds}
		c.Authorization.Rules = []config.AccessRule{{Principals: []config.PrincipalMatch{{Name: "key:" + hex.EncodeToString(sum[:4])}}}}
	})
	if resp, body := produceAs(t, ts.url("c", "orders"), bearer("key-one")); resp.StatusCode != 200 {
		t.Errorf("the named key: %d %s", resp.StatusCode, body)
	}
	resp, body := produceAs(t, ts.url("c", "orders"), bearer("key-two"))
	wantError(t, resp, body, 403, 40301, "Not authorized to access topic orders.")
}
