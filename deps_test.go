package uring

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibraryDependencies checks that the library's packages (everything but the command, the
// tests and the conformance module) import only the standard library, golang.org/x/sys and
// each other.
func TestLibraryDependencies(t *testing.T) {
	// go list ./... includes the command; list the library packages' dependencies only.
	pkgs, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	var lib []string
	for _, p := range strings.Fields(string(pkgs)) {
		if !strings.Contains(p, "/cmd/") {
			lib = append(lib, p)
		}
	}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, lib...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, "github.com/uringo/uring") && !strings.HasPrefix(dep, "golang.org/x/sys/") {
			t.Errorf("the library depends on %s", dep)
		}
	}
}
