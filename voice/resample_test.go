package voice

import (
	"math"
	"testing"
)

func tone(rate, hz, ms int, amp float64) Audio {
	n := rate * ms / 1000
	a := Audio{Rate: rate, PCM: make([]int16, n)}
	for i := range a.PCM {
		a.PCM[i] = int16(amp * math.Sin(2*math.Pi*float64(hz)*float64(i)/float64(rate)))
	}
	return a
}

// rms of the middle half (edges lose a few samples to the window).
func rms(pcm []int16) float64 {
	var s float64
	m := pcm[len(pcm)/4 : 3*len(pcm)/4]
	for _, v := range m {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(m)))
}

// A tone inside both bands keeps its level and length; one above the
// lower rate's Nyquist frequency is filtered out, not folded back.
func TestResample(t *testing.T) {
	for _, c := range []struct {
		name      string
		from, to  int
		hz        int
		wantLevel float64 // output rms / input rms
		tolerance float64
	}{
		{"24k to 8k, 1 kHz passes", 24000, 8000, 1000, 1, 0.05},
		{"24k to 16k, 1 kHz passes", 24000, 16000, 1000, 1, 0.05},
		{"8k to 16k, 1 kHz passes", 8000, 16000, 1000, 1, 0.05},
		{"22.05k to 8k, 440 Hz passes", 22050, 8000, 440, 1, 0.05},
		{"24k to 8k, 6 kHz is removed", 24000, 8000, 6000, 0, 0.05},
	} {
		in := tone(c.from, c.hz, 500, 10000)
		out := Resample(in, c.to)
		if out.Rate != c.to || math.Abs(float64(out.Millis()-500)) > 1 {
			t.Fatalf("%s: %d Hz, %d ms", c.name, out.Rate, out.Millis())
		}
		if got := rms(out.PCM) / rms(in.PCM); math.Abs(got-c.wantLevel) > c.tolerance {
			t.Errorf("%s: level ratio %.3f, want %.2f±%.2f", c.name, got, c.wantLevel, c.tolerance)
		}
	}
	if a := Resample(Audio{Rate: 8000}, 16000); a.Rate != 16000 || len(a.PCM) != 0 {
		t.Errorf("empty audio: %+v", a)
	}
}
