// Package configs holds the files Voronka ships with: the example
// configuration and the default flows. They are embedded in the binary, so
// `voronka` runs with no files beside it.
package configs

import (
	"embed"
	"io/fs"
)

//go:embed voronka.example.yaml flows/*.yaml
var files embed.FS

// FS returns the embedded configuration files; the flows are under "flows".
func FS() fs.FS { return files }
