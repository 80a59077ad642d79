package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The tests of the command run the built binary as a user would, on real files.

var uringBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "uring-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	uringBin = filepath.Join(dir, "uring")
	args := []string{"build", "-o", uringBin}
	if _, ok := engines["uring"]; ok {
		args = append(args, "-tags", "uringdriver") // build the binary as this test was built
	}
	if raceEnabled {
		args = append(args, "-race")
	}
	goCmd := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		goCmd = filepath.Join(root, "bin", "go")
	}
	cmd := exec.Command(goCmd, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building uring: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runUring runs the binary with args and returns its stdout, stderr and exit status. env is
// added to the test's environment.
func runUring(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(uringBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running uring %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestUsage(t *testing.T) {
	out, _, code := runUring(t, nil, "help")
	if code != 0 || !bytes.Contains([]byte(out), []byte("bench")) || !bytes.Contains([]byte(out), []byte("cp")) {
		t.Fatalf("uring help: status %d, output %q", code, out)
	}
	for _, sub := range []string{"bench", "cp"} {
		out, _, code := runUring(t, nil, "help", sub)
		if code != 0 || !bytes.Contains([]byte(out), []byte("Usage: uring "+sub)) {
			t.Errorf("uring help %s: status %d, output %q", sub, code, out)
		}
	}
}
