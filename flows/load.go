package flows

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Load reads and validates one flow file. A file that cannot be read is a
// plain error (errors.Is(err, fs.ErrNotExist) works); a broken flow is
// Problems.
func Load(file string) (*Flow, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load flow: %w", err)
	}
	return Parse(file, data)
}

// LoadDir loads every *.yaml and *.yml file in dir (not below it), keyed
// by flow id. It reports the problems of all files at once, and refuses
// the whole set when any file is broken: serving some flows and silently
// dropping another would lose leads from that one's links.
func LoadDir(dir string) (map[string]*Flow, error) {
	return load(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, name) })
}

// LoadFS is LoadDir for an fs.FS such as an embed.FS; dir is a slash path
// inside it.
func LoadFS(fsys fs.FS, dir string) (map[string]*Flow, error) {
	return load(fsys, dir, func(name string) string { return path.Join(dir, name) })
}

func load(fsys fs.FS, dir string, display func(name string) string) (map[string]*Flow, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load flows: %w", err)
	}
	out := map[string]*Flow{}
	var probs Problems
	for _, e := range entries { // ReadDir sorts by name, so problems come in a stable order
		name := e.Name()
		ext := strings.ToLower(path.Ext(name))
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		file := display(name)
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			probs = append(probs, Problem{File: file, Msg: "cannot read: " + err.Error()})
			continue
		}
		f, err := Parse(file, data)
		if err != nil {
			var ps Problems
			if errors.As(err, &ps) {
				probs = append(probs, ps...)
			} else {
				probs = append(probs, Problem{File: file, Msg: err.Error()})
			}
			continue
		}
		if other, ok := out[f.ID]; ok {
			probs = append(probs, Problem{File: file, Line: f.pos["id"],
				Msg: fmt.Sprintf("duplicate flow id %q: %s has it too", f.ID, other.File)})
			continue
		}
		out[f.ID] = f
	}
	if len(probs) == 0 {
		fs := make([]*Flow, 0, len(out))
		known := map[string]bool{}
		for id, f := range out {
			fs = append(fs, f)
			known[id] = true
		}
		slices.SortFunc(fs, func(a, b *Flow) int { return strings.Compare(a.File, b.File) })
		across := checkAcross(fs, known)
		for _, f := range fs {
			probs = append(probs, across[f]...)
		}
	}
	if len(probs) > 0 {
		return nil, probs.err()
	}
	if len(out) == 0 {
		return nil, Problems{{File: display(""), Msg: "no flow files (*.yaml, *.yml) here"}}
	}
	return out, nil
}
