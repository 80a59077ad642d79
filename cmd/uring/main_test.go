package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/uringo/uring/internal/sandbox"
)

// The command's tests run the built binary as a user would. TestMain builds it once into a
// temporary directory; uringBinary is its path.
var uringBinary string

// denyEnv, when set in a test binary's environment, makes it a wrapper: it installs a seccomp
// filter that refuses io_uring with ENOSYS, as a container's default profile does, then execs
// the uring binary named by the variable with its own arguments. The filter survives exec.
const denyEnv = "URING_CMD_TEST_DENY_EXEC"

func TestMain(m *testing.M) {
	if bin := os.Getenv(denyEnv); bin != "" {
		if err := sandbox.DenyIOUring(syscall.ENOSYS); err != nil {
			fmt.Fprintln(os.Stderr, "sandbox:", err)
			os.Exit(3)
		}
		env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, denyEnv+"=") })
		err := syscall.Exec(bin, append([]string{bin}, os.Args[1:]...), env)
		fmt.Fprintln(os.Stderr, "exec:", err)
		os.Exit(3)
	}
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "uring-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	uringBinary = filepath.Join(dir, "uring")
	if out, err := exec.Command(goTool, "build", "-o", uringBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what one run of the binary gave.
type result struct {
	stdout, stderr string
	code           int
}

// runUring runs the uring binary with args; with denied set, under a seccomp filter that
// refuses io_uring.
func runUring(t *testing.T, denied bool, args ...string) result {
	t.Helper()
	cmd := exec.Command(uringBinary, args...)
	if denied {
		cmd = exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), denyEnv+"="+uringBinary)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("uring %s: %v", strings.Join(args, " "), err)
	}
	if code == 3 && strings.Contains(stderr.String(), "sandbox:") {
		t.Fatalf("the sandbox wrapper failed: %s", stderr.String())
	}
	return result{stdout.String(), stderr.String(), code}
}
