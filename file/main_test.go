package file

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: the Default driver's reapers
// exit once nothing is in flight, and every other Driver is closed by then.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && os.Getenv(childEnv) == "" {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
