package manscdp

import (
	"encoding/json"
	"fmt"
)

// dump renders a decoded message with what its pointers point to, for failure output.
func dump(m *Message) string {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Sprintf("%+v", m)
	}
	return fmt.Sprintf("%s (Control %T)", b, m.Control)
}
