package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/voronka/voronka/configs"
	"github.com/voronka/voronka/flows"
)

// `voronka flows lint` and `voronka flows graph`: tools for whoever writes
// flows, so a flow is checked and looked at before it is deployed, without
// a Telegram token, a database or a running bot.

const flowsUsage = `usage:
  voronka flows lint [FILE|DIR...]
      Check flow files. With no arguments, the configured flows directory
      (config key flows; "embedded" means the flows built into the binary).
      A directory means every *.yaml and *.yml file in it. Prints every
      problem as file:line: step <id>: message, then a summary; exits
      non-zero when there is any problem.
  voronka flows graph [--format dot|mermaid|png] [--out FILE] [--lang LANG] FLOW
      Draw one flow. FLOW is a flow file, or the id of a flow in the
      configured directory. dot (the default) and mermaid are text, written
      to standard output unless --out is given; png runs Graphviz's dot and
      is written to --out, by default <flow id>.png ("-" for standard
      output). --lang picks the language of the texts (default: the flow's
      first language).
`

// Flows runs `voronka flows <lint|graph> ...`, its flags parsed beside
// their usage text.
func Flows(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, flowsUsage)
		return errors.New("flows: say lint or graph")
	}
	switch args[0] {
	case "lint":
		return flowsLint(args[1:], getenv, stdout, stderr)
	case "graph":
		return flowsGraph(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, flowsUsage)
		return nil
	default:
		fmt.Fprint(stderr, flowsUsage)
		return fmt.Errorf("flows: unknown command %q", args[0])
	}
}

// flowFile is one flow file to lint or draw, as read.
type flowFile struct {
	name string // as shown in problems
	data []byte
	err  error // could not be read
	dir  bool  // stands for a directory without flow files, not a file
}

// lintResult is what linting a set of files found.
type lintResult struct {
	files    int
	problems []flows.Problems // per file, in file order; nil for a good file
	flows    []*flows.Flow    // the good ones, in file order
}

// count is the number of problems, and of files with problems.
func (r lintResult) count() (problems, files int) {
	for _, ps := range r.problems {
		problems += len(ps)
		if len(ps) > 0 {
			files++
		}
	}
	return problems, files
}

// errLintProblems is returned by `flows lint` when any problem was found;
// the problems themselves are already printed.
var errLintProblems = errors.New("flows lint failed")

func flowsLint(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("flows lint", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, flowsUsage) }
	if err := fset.Parse(args); err != nil {
		return err
	}
	var (
		files []flowFile
		where string
	)
	if fset.NArg() == 0 {
		var err error
		files, where, err = configuredFlowFiles(getenv)
		if err != nil {
			return err
		}
	} else {
		files = argFlowFiles(fset.Args())
	}
	r := lint(files)
	for _, ps := range r.problems {
		for _, p := range ps {
			fmt.Fprintln(stdout, p.String())
		}
	}
	n, bad := r.count()
	if n > 0 {
		fmt.Fprintf(stdout, "%s checked, %s in %s\n", plural(r.files, "file"), plural(n, "problem"), plural(bad, "file"))
		return fmt.Errorf("%w: %s", errLintProblems, plural(n, "problem"))
	}
	if where != "" {
		where = " in " + where
	}
	fmt.Fprintf(stdout, "ok: %s%s\n", plural(len(r.flows), "flow"), where)
	return nil
}

// lint runs flows.Lint over the files; a directory without flow files
// counts as a problem but not as a file.
func lint(files []flowFile) lintResult {
	srcs := make([]flows.Source, len(files))
	r := lintResult{}
	for i, ff := range files {
		if !ff.dir {
			r.files++
		}
		srcs[i] = flows.Source{Name: ff.name, Data: ff.data, Err: ff.err}
	}
	r.problems, r.flows = flows.Lint(srcs)
	return r
}

// argFlowFiles reads the files and directories named on the command line.
// A directory stands for its *.yaml and *.yml files, as LoadDir reads them.
func argFlowFiles(args []string) []flowFile {
	var out []flowFile
	for _, arg := range args {
		info, err := os.Stat(arg)
		switch {
		case err != nil:
			out = append(out, flowFile{name: arg, err: fmt.Errorf("cannot read: %w", unwrapPath(err))})
		case info.IsDir():
			out = append(out, dirFlowFiles(os.DirFS(arg), ".", func(name string) string { return filepath.Join(arg, name) })...)
		default:
			data, err := os.ReadFile(arg)
			if err != nil {
				err = fmt.Errorf("cannot read: %w", unwrapPath(err))
			}
			out = append(out, flowFile{name: arg, data: data, err: err})
		}
	}
	return out
}

// unwrapPath drops the *fs.PathError's path, which the problem names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dirFlowFiles reads the flow files of one directory in name order; a
// directory without any is a problem in itself, since it would serve no
// flow at all.
func dirFlowFiles(fsys fs.FS, dir string, display func(name string) string) []flowFile {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return []flowFile{{name: display(""), err: fmt.Errorf("cannot read: %w", unwrapPath(err)), dir: true}}
	}
	var out []flowFile
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(path.Ext(name))
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			err = fmt.Errorf("cannot read: %w", unwrapPath(err))
		}
		out = append(out, flowFile{name: display(name), data: data, err: err})
	}
	if len(out) == 0 {
		return []flowFile{{name: display(""), err: errors.New("no flow files (*.yaml, *.yml) here"), dir: true}}
	}
	return out
}

// configuredFlowFiles reads the flows directory of the configuration, the
// way `voronka serve` finds it: "embedded", or the default directory when
// it is absent, means the flows built into the binary. where says which
// it was, for the summary.
func configuredFlowFiles(getenv func(string) string) (files []flowFile, where string, err error) {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return nil, "", err
	}
	dir := cfg.Flows
	_, statErr := os.Stat(dir)
	if dir == "embedded" || (errors.Is(statErr, fs.ErrNotExist) && dir == defaultConfig().Flows) {
		return dirFlowFiles(configs.FS(), "flows", func(name string) string { return path.Join("embedded:flows", name) }), "the embedded flows", nil
	}
	return dirFlowFiles(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, name) }), dir, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// graphOptions are the flags of `flows graph`.
type graphOptions struct {
	format, out, lang, flow string
}

func parseGraphArgs(args []string, stderr io.Writer) (graphOptions, error) {
	var o graphOptions
	fset := flag.NewFlagSet("flows graph", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, flowsUsage) }
	fset.StringVar(&o.format, "format", "dot", "dot, mermaid or png")
	fset.StringVar(&o.out, "out", "", `the file to write ("-" or none: standard output; png: <flow id>.png)`)
	fset.StringVar(&o.lang, "lang", "", "the language of the texts (default: the flow's first)")
	// Flags may come before or after FLOW: the flag package stops at the
	// first argument, so parse again after each one.
	var rest []string
	for {
		if err := fset.Parse(args); err != nil {
			return o, err
		}
		if fset.NArg() == 0 {
			break
		}
		rest = append(rest, fset.Arg(0))
		args = fset.Args()[1:]
	}
	switch {
	case len(rest) != 1:
		fmt.Fprint(stderr, flowsUsage)
		return o, errors.New("flows graph: name one flow, by file or id")
	case o.format != "dot" && o.format != "mermaid" && o.format != "png":
		return o, fmt.Errorf("flows graph: --format must be dot, mermaid or png, not %q", o.format)
	}
	o.flow = rest[0]
	return o, nil
}

func flowsGraph(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseGraphArgs(args, stderr)
	if err != nil {
		return err
	}
	var dot string
	if o.format == "png" {
		// Before any work, so a missing Graphviz is the first thing said.
		if dot, err = lookPath(getenv, "dot"); err != nil {
			return errors.New("flows graph: --format png needs Graphviz's dot, which is not on PATH: install Graphviz (apt-get install graphviz, brew install graphviz), or use --format dot or mermaid")
		}
	}
	f, err := findFlow(o.flow, getenv, stderr)
	if err != nil {
		return err
	}
	if o.lang != "" && !slices.Contains(f.Languages, o.lang) {
		return fmt.Errorf("flows graph: --lang %q: flow %s has %s", o.lang, f.ID, strings.Join(f.Languages, ", "))
	}
	var out []byte
	switch o.format {
	case "dot":
		out = []byte(flows.DOT(f, o.lang))
	case "mermaid":
		out = []byte(flows.Mermaid(f, o.lang))
	case "png":
		if out, err = renderPNG(ctx, dot, flows.DOT(f, o.lang)); err != nil {
			return err
		}
		if o.out == "" {
			o.out = f.ID + ".png"
		}
	}
	if o.out == "" || o.out == "-" {
		_, err := stdout.Write(out)
		return err
	}
	if err := os.WriteFile(o.out, out, 0o644); err != nil {
		return fmt.Errorf("flows graph: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s\n", o.out)
	return nil
}

// findFlow loads FLOW: a file when one exists by that name (or it looks
// like a path), otherwise the flow with that id in the configured flows.
// A broken flow cannot be drawn; its problems are printed to stderr.
func findFlow(arg string, getenv func(string) string, stderr io.Writer) (*flows.Flow, error) {
	var files []flowFile
	info, statErr := os.Stat(arg)
	switch {
	case statErr == nil && !info.IsDir():
		files = argFlowFiles([]string{arg})
	case statErr == nil:
		return nil, fmt.Errorf("flows graph: %s is a directory: name one flow file, or a flow id", arg)
	case strings.ContainsAny(arg, `/\`), strings.HasSuffix(arg, ".yaml"), strings.HasSuffix(arg, ".yml"):
		return nil, fmt.Errorf("flows graph: %s: %w", arg, unwrapPath(statErr))
	default:
		all, where, err := configuredFlowFiles(getenv)
		if err != nil {
			return nil, err
		}
		if len(all) == 1 && all[0].err != nil {
			return nil, fmt.Errorf("flows graph: %s: %w", all[0].name, all[0].err)
		}
		var ids []string
		for _, ff := range all {
			id, _ := flows.FlowID(ff.data)
			if id == arg {
				files = append(files, ff)
			}
			if id != "" {
				ids = append(ids, id)
			}
		}
		switch len(files) {
		case 0:
			return nil, fmt.Errorf("flows graph: no flow %q in %s (there: %s)", arg, where, strings.Join(ids, ", "))
		case 1:
		default:
			return nil, fmt.Errorf("flows graph: flow id %q is in both %s and %s; name the file instead", arg, files[0].name, files[1].name)
		}
	}
	r := lint(files)
	if n, _ := r.count(); n > 0 {
		for _, ps := range r.problems {
			for _, p := range ps {
				fmt.Fprintln(stderr, p.String())
			}
		}
		return nil, fmt.Errorf("flows graph: %s has %s; fix it first (voronka flows lint)", files[0].name, plural(n, "problem"))
	}
	return r.flows[0], nil
}

// renderPNG runs Graphviz's dot on src.
func renderPNG(ctx context.Context, dot, src string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, dot, "-Tpng")
	cmd.Stdin = strings.NewReader(src)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("flows graph: dot -Tpng: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// lookPath is exec.LookPath over the PATH that getenv gives, so a test
// can take Graphviz away.
func lookPath(getenv func(string) string, name string) (string, error) {
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}
