package apierror

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// docs/produce-api.md is written for users from this table: every entry's
// error_code and fixed message (up to a template's first verb) appear in
// it, so the two cannot drift apart unnoticed.
func TestDocsListEveryEntry(t *testing.T) {
	data, err := os.ReadFile("../../docs/produce-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, k := range append(Refusals(), RecordFailures()...) {
		e := k.Entry()
		if k == HTTPStatus {
			continue // echo's own 4xx: the status is the request's
		}
		if !strings.Contains(doc, fmt.Sprint(e.Code)) {
			t.Errorf("%s: error_code %d is not in docs/produce-api.md", e.Label, e.Code)
		}
		fixed, _, _ := strings.Cut(e.Message, "%")
		if fixed != "" && !strings.Contains(doc, fixed) {
			t.Errorf("%s: message %q is not in docs/produce-api.md", e.Label, fixed)
		}
	}
}

// Every entry has what metrics and logs need, labels are unique among the
// refusals and among the record failures, and a refusal has a status.
func TestTableIsComplete(t *testing.T) {
	labels := map[[2]any]Kind{}
	for _, k := range append(Refusals(), RecordFailures()...) {
		e := k.Entry()
		if e.Label == "" {
			t.Errorf("kind %d has no label", k)
		}
		key := [2]any{k.PerRecord(), e.Label}
		if other, ok := labels[key]; ok {
			t.Errorf("kinds %d and %d share the label %q", other, k, e.Label)
		}
		labels[key] = k
		if !k.PerRecord() && k != HTTPStatus && (e.Status < 400 || e.Code == 0) {
			t.Errorf("refusal %s: status %d, code %d", e.Label, e.Status, e.Code)
		}
		if k.PerRecord() && (e.Status != 0 || e.Code == 0) {
			t.Errorf("record failure %s: status %d, code %d", e.Label, e.Status, e.Code)
		}
	}
}

// New fills a template and shares the fixed errors; Detail keeps one line.
func TestNewAndDetail(t *testing.T) {
	if got := New(TopicNotFound, "orders"); got.Message != "Topic orders cannot be found." || got.Code() != 40401 || got.Status() != 404 {
		t.Errorf("New(TopicNotFound) = %d %d %q", got.Status(), got.Code(), got.Message)
	}
	if New(RateLimited) != New(RateLimited) {
		t.Errorf("a fixed error is allocated per call")
	}
	if got := Detail(KafkaError, "first\nsecond"); got.Message != "first" || got.Code() != 50002 {
		t.Errorf("Detail = %d %q", got.Code(), got.Message)
	}
	if got := Detail(KafkaError, strings.Repeat("x", 5000)); len(got.Message) != maxMessage {
		t.Errorf("Detail kept %d bytes, want %d", len(got.Message), maxMessage)
	}
	if got := Challenge(New(Unauthenticated), "Bearer"); got.WWWAuthenticate() != "Bearer" || New(Unauthenticated).WWWAuthenticate() != "" {
		t.Errorf("Challenge changed the shared error or lost the challenge")
	}
}
