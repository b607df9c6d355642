package command

import (
	"context"
	"fmt"
)

func contextCanceled() error { return fmt.Errorf("sipd: answer incomplete: %w", context.Canceled) }

func contextDeadline() error {
	return fmt.Errorf("sipd: answer incomplete: %w", context.DeadlineExceeded)
}
