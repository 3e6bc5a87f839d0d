package hosting

import (
	"context"
	"testing"
	"time"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/sdk/sdktest"
)

// probeWorld is the acme world with a clock the test moves.
func probeWorld(t *testing.T, clock *time.Time) (sdk.Extension, *sdktest.Env) {
	t.Helper()
	data, err := sdktest.WorldSection(worldFile, "acme", "hosting")
	if err != nil {
		t.Fatal(err)
	}
	ext := ExtensionWithClock(func() time.Time { return *clock })
	st := sdktest.NewState()
	if err := ext.Seed(context.Background(), st, data); err != nil {
		t.Fatal(err)
	}
	return ext, sdktest.NewEnv(st)
}

func observe(t *testing.T, ext sdk.Extension, env *sdktest.Env, probe string) map[string]sdk.Observation {
	t.Helper()
	res, err := sdktest.Handler(ext, probe).Invoke(context.Background(), alice, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sdk.Observation{}
	for _, o := range res.(sdk.Observations).Observations {
		out[o.Series+"/"+o.Resource] = o
	}
	return out
}

// The demo world's metrics move over time, the same way for the same
// seed and time; an injected incident pins a metric; certificates count
// down; disks fill.
func TestProbesMove(t *testing.T) {
	clock := now
	ext, env := probeWorld(t, &clock)
	ext2, env2 := probeWorld(t, &clock)
	a, b := observe(t, ext, env, "server_load"), observe(t, ext2, env2, "server_load")
	if a["cpu_percent/web-2"].Value != b["cpu_percent/web-2"].Value {
		t.Fatalf("not deterministic: %+v %+v", a["cpu_percent/web-2"], b["cpu_percent/web-2"])
	}
	if _, ok := a["cpu_percent/staging-1"]; ok {
		t.Fatal("a stopped server reported load")
	}
	moved := false
	for i := 1; i <= 20; i++ {
		clock = now.Add(time.Duration(i) * time.Minute)
		v := observe(t, ext, env, "server_load")["cpu_percent/web-2"].Value
		if v < 22-6-2 || v > 22+6+2 {
			t.Fatalf("web-2 cpu %v strays beyond the wave and noise", v)
		}
		moved = moved || v != a["cpu_percent/web-2"].Value
	}
	if !moved {
		t.Fatal("the metrics do not move")
	}
	if _, err := sdktest.Handler(ext, "inject_incident").Invoke(context.Background(), alice, env, []byte(`{"server":"web-2","metric":"cpu"}`)); err != nil {
		t.Fatal(err)
	}
	if v := observe(t, ext, env, "server_load")["cpu_percent/web-2"].Value; v < 97 {
		t.Fatalf("incident cpu %v", v)
	}
	if d := observe(t, ext, env, "certificate_expiry")["days_left/blog.acme.test"]; d.Value != 5 || d.Unit != "days" {
		t.Fatalf("blog.acme.test %+v", d)
	}
	d0 := observe(t, ext, env, "disk_usage")["disk_percent/db-1"].Value
	clock = clock.Add(48 * time.Hour)
	if d1 := observe(t, ext, env, "disk_usage")["disk_percent/db-1"].Value; d1 <= d0 {
		t.Fatalf("db-1 disk %v then %v: not filling", d0, d1)
	}
	if v := observe(t, ext, env, "server_load")["cpu_percent/web-2"].Value; v >= 97 {
		t.Fatalf("the incident outlived its 30 minutes: %v", v)
	}
}
