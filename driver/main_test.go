package driver

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests (every Driver a test makes is
// closed by then), and removes the benchmarks' file.
func TestMain(m *testing.M) {
	code := m.Run()
	cleanupBench()
	if code == 0 && os.Getenv(childEnv) == "" {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
