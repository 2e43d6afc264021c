package app

import (
	"context"
	"fmt"
	"io"
)

// run drives the subcommands whose flags this package parses, as
// cmd/voronka's run does.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch args[0] {
	case "chat":
		return Chat(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "flows":
		return Flows(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("run: %q is not a subcommand of this package", args[0])
}
