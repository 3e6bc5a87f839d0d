package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	catalog := loadCatalog(t)
	r := newTestRouter()
	raw, _ := os.ReadFile("/tmp/notes/probe.txt")
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		c := chainCase{text: line}
		if strings.HasPrefix(line, "F:") {
			c.text = strings.TrimPrefix(line, "F:")
			c.facts = ledger(factServers)
		}
		o := runChainCase(t, r, catalog, c)
		in, _ := json.Marshal(o.intent)
		p, _ := json.Marshal(o.plan)
		fmt.Printf("%s\n  intent %s\n  plan   %s\n", c.text, in, p)
		_ = context.Background
	}
}
