package main

import (
	"context"
	"errors"
	"io"
)

// runOperator is a placeholder until the operator command lands.
func runOperator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("operator", "[flags]", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
