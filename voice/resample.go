package voice

import "math"

// sincZeros is how many zero crossings of the sinc each side of a sample
// the resampler weighs: enough to keep speech clean at phone rates.
const sincZeros = 12

// Resample converts audio to another sample rate by band-limited
// interpolation: each output sample is a Hann-windowed sinc sum of the
// inputs around its position, the sinc's cut-off at the lower rate's
// Nyquist frequency (so downsampling does not alias). It serves any pair
// of rates (a speech service's 24 kHz to a phone line's 8 kHz); audio
// already at the rate is returned as it is.
func Resample(a Audio, rate int) Audio {
	if a.Rate == rate || a.Rate <= 0 || rate <= 0 || len(a.PCM) == 0 {
		return Audio{Rate: rate, PCM: a.PCM}
	}
	ratio := float64(rate) / float64(a.Rate)
	cut := min(1, ratio) // the cut-off as a fraction of the input's Nyquist
	half := float64(sincZeros) / cut
	n := int(float64(len(a.PCM)) * ratio)
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / ratio // the output sample's position in input samples
		lo, hi := int(math.Ceil(t-half)), int(math.Floor(t+half))
		var acc float64
		for j := max(lo, 0); j <= min(hi, len(a.PCM)-1); j++ {
			x := float64(j) - t
			acc += float64(a.PCM[j]) * cut * sinc(cut*x) * hann(x/half)
		}
		out[i] = clip16(acc)
	}
	return Audio{Rate: rate, PCM: out}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// hann is the Hann window over [-1, 1].
func hann(x float64) float64 {
	if x <= -1 || x >= 1 {
		return 0
	}
	return 0.5 + 0.5*math.Cos(math.Pi*x)
}
