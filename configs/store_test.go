package configs

import (
	"strings"
	"testing"
)

// The store block: a Redis URL or nothing; a bad URL, a negative TTL or a
// lease below a second is refused with the key's name.
func TestStoreBlock(t *testing.T) {
	for _, c := range []struct {
		sets []string
		want string // "" when valid
	}{
		{nil, ""},
		{[]string{"store.url=redis://127.0.0.1:6379/0"}, ""},
		{[]string{"store.url=rediss://:pw@redis.internal:6380"}, ""},
		{[]string{"store.url=http://127.0.0.1:6379"}, "store.url"},
		{[]string{"store.url=redis://"}, "store.url"},
		{[]string{"store.dedupe_ttl=-1s"}, "store.dedupe_ttl"},
		{[]string{"store.lease=10ms"}, "store.lease"},
	} {
		c2, err := Load("", nil, c.sets)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.sets, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one naming %s", c.sets, err, c.want)
		case c.want == "" && len(c.sets) > 0 && strings.HasPrefix(c.sets[0], "store.url=") && !c2.Store.Redis():
			t.Errorf("%v: not a Redis store", c.sets)
		}
	}
}
