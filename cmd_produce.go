package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// runProduce streams the records on stdin (concatenated JSON, as
// docs/produce-api.md describes) to a produce URL and prints each report
// as it arrives: a client for scripts and for pods that have nothing else,
// authenticating with a token file such as a projected service-account
// token.
func runProduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return produceFrom(ctx, os.Stdin, args, stdout, stderr)
}

// produceFrom is runProduce reading the records from in.
func produceFrom(ctx context.Context, in io.Reader, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("produce", "--url URL [--token-file FILE] [--records FILE | < records]", stderr)
	url := fs.String("url", "", "produce `URL`: http(s)://HOST/v3/clusters/CLUSTER/topics/TOPIC/records")
	tokenFile := fs.String("token-file", "", "`file` whose content is sent as Authorization: Bearer (read once, at the start)")
	records := fs.String("records", "-", "`file` of records (concatenated JSON); - is stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *records != "-" {
		f, err := os.Open(*records)
		if err != nil {
			return fmt.Errorf("--records: %w", err)
		}
		defer f.Close()
		in = f
	}
	if *url == "" {
		fmt.Fprintln(stderr, "restproxy produce: --url is required")
		return errUsage
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *url, io.NopCloser(in))
	if err != nil {
		return fmt.Errorf("--url %q: %w", *url, err)
	}
	req.ContentLength = -1 // a stream: chunked, reports come back as records are read
	req.Header.Set("Content-Type", "application/json")
	if *tokenFile != "" {
		token, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("--token-file: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return printReports(resp, stdout)
}

// printReports copies the answer to w, one report a line, and fails
// unless the request was accepted and every report is a 200.
func printReports(resp *http.Response, w io.Writer) error {
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	dec := json.NewDecoder(bufio.NewReader(resp.Body))
	failed, total := 0, 0
	for {
		var report json.RawMessage
		if err := dec.Decode(&report); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("after %d reports: %w", total, err)
		}
		total++
		var code struct {
			ErrorCode int `json:"error_code"`
		}
		if json.Unmarshal(report, &code) != nil || code.ErrorCode != 200 {
			failed++
		}
		fmt.Fprintf(w, "%s\n", report)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d records were not produced (see their reports)", failed, total)
	}
	return nil
}
