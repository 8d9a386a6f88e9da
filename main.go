// Command restproxy is the one binary of the project: the Kubernetes operator,
// the produce proxy it deploys, and a local development mode that runs a proxy
// against an in-process Kafka-protocol broker and Schema Registry.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is a subcommand's entry point. It receives the arguments after the
// subcommand's name and returns the error to report; flag.ErrHelp means help
// was printed and the exit is clean.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// summaries are kept apart from the entry points so that a command's flag
// set can print its own summary without an initialisation cycle.
var summaries = map[string]string{
	"operator": "run the Kubernetes operator (the controller manager)",
	"proxy":    "run a produce proxy from a config file",
	"dev":      "run an in-process Kafka broker, Schema Registry and proxy, for trying it out",
	"produce":  "stream records from stdin to a produce URL and print the reports",
}

func commands() map[string]command {
	return map[string]command{
		"operator": runOperator,
		"proxy":    runProxy,
		"dev":      runDev,
		"produce":  runProduce,
	}
}

func main() {
	// SIGTERM and Ctrl-C cancel the context; every subcommand shuts down
	// cleanly from it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "restproxy: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "restproxy %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage reports a bad flag or argument whose message the flag package has
// already printed.
var errUsage = errors.New("usage error")

func usage(w io.Writer) {
	fmt.Fprintln(w, "restproxy: an HTTP front door for Kafka on Kubernetes.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: restproxy <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(summaries))
	for name := range summaries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, summaries[name])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'restproxy <command> --help' for the flags of a command.")
}

// newFlagSet returns a flag set that prints its usage to stderr and returns
// errors instead of exiting, so each command reports them the same way.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("restproxy "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: restproxy %s %s\n\n%s.\n\nFlags:\n", name, synopsis, summaries[name])
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs; a bad flag has already been reported by the
// flag package and becomes errUsage, and stray arguments are refused by name.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
