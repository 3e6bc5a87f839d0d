package voice

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/zaf/g711"
)

// Audio is mono 16-bit linear PCM at a sample rate.
type Audio struct {
	Rate int
	PCM  []int16
}

// Format says what audio a speech engine must produce.
type Format struct {
	Rate int // samples per second: 8000 for a phone line, 16000 for the web page
}

// Millis is how long the audio plays, in milliseconds.
func (a Audio) Millis() int {
	if a.Rate == 0 {
		return 0
	}
	return len(a.PCM) * 1000 / a.Rate
}

// DecodeMulaw turns G.711 μ-law bytes (a phone line's payload) into PCM.
func DecodeMulaw(b []byte) []int16 {
	out := make([]int16, len(b))
	for i, c := range b {
		out[i] = g711.DecodeUlawFrame(c)
	}
	return out
}

// EncodeMulaw turns PCM into G.711 μ-law bytes.
func EncodeMulaw(pcm []int16) []byte {
	out := make([]byte, len(pcm))
	for i, s := range pcm {
		out[i] = g711.EncodeUlawFrame(s)
	}
	return out
}

// LE16 is PCM as little-endian bytes (what recognizers and the web page's
// socket carry).
func LE16(pcm []int16) []byte {
	out := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
	}
	return out
}

// FromLE16 reads little-endian 16-bit PCM; an odd length is an error.
func FromLE16(b []byte) ([]int16, error) {
	if len(b)%2 != 0 {
		return nil, errors.New("16-bit PCM needs an even number of bytes")
	}
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out, nil
}

// halfband is a windowed-sinc low-pass filter at a quarter of the output
// rate, the interpolation filter of Upsample2.
var halfband = func() []float64 {
	const taps = 31
	h := make([]float64, taps)
	m := float64(taps-1) / 2
	for i := range h {
		x := float64(i) - m
		s := 1.0
		if x != 0 {
			s = math.Sin(math.Pi*x/2) / (math.Pi * x / 2)
		}
		w := 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(taps-1)) // Hamming
		h[i] = s * w
	}
	return h
}()

// Upsample2 doubles the sample rate (8 kHz phone audio for a 16 kHz
// recognizer): zeros between the samples, then the half-band low-pass.
func Upsample2(pcm []int16) []int16 {
	n := len(pcm) * 2
	out := make([]int16, n)
	m := len(halfband) / 2
	for i := 0; i < n; i++ {
		var acc float64
		for k, h := range halfband {
			j := i - k + m
			if j < 0 || j >= n || j%2 != 0 {
				continue
			}
			acc += h * float64(pcm[j/2])
		}
		out[i] = clip16(acc)
	}
	return out
}

// Downsample2 halves the sample rate: the half-band low-pass, then every
// second sample.
func Downsample2(pcm []int16) []int16 {
	out := make([]int16, len(pcm)/2)
	m := len(halfband) / 2
	for i := range out {
		var acc float64
		c := 2 * i
		for k, h := range halfband {
			j := c - k + m
			if j >= 0 && j < len(pcm) {
				acc += h * float64(pcm[j])
			}
		}
		out[i] = clip16(acc / 2)
	}
	return out
}

func clip16(v float64) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(v))
}

// To16k returns audio at 16 kHz, the rate recognizers take; 8 and 16 kHz
// are supported.
func To16k(a Audio) (Audio, error) {
	switch a.Rate {
	case 16000:
		return a, nil
	case 8000:
		return Audio{Rate: 16000, PCM: Upsample2(a.PCM)}, nil
	}
	return Audio{}, fmt.Errorf("audio at %d Hz: want 8000 or 16000", a.Rate)
}

// Level is a frame's energy in dBFS (−96 for digital silence).
func Level(pcm []int16) float64 {
	if len(pcm) == 0 {
		return -96
	}
	var sum float64
	for _, s := range pcm {
		f := float64(s) / 32768
		sum += f * f
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	if rms < 1.6e-5 {
		return -96
	}
	return 20 * math.Log10(rms)
}

// Frames cuts audio into frames of ms milliseconds (the last one may be
// shorter).
func Frames(a Audio, ms int) [][]int16 {
	n := a.Rate * ms / 1000
	if n <= 0 {
		return nil
	}
	var out [][]int16
	for i := 0; i < len(a.PCM); i += n {
		out = append(out, a.PCM[i:min(i+n, len(a.PCM))])
	}
	return out
}

// WAV wraps PCM in a RIFF/WAVE header (for engines and pages that want a
// file).
func WAV(a Audio) []byte {
	data := LE16(a.PCM)
	b := make([]byte, 44, 44+len(data))
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+len(data)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(a.Rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(a.Rate*2))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(len(data)))
	return append(b, data...)
}

// ParseWAV reads a mono 16-bit PCM WAV file, skipping chunks it does not
// need.
func ParseWAV(b []byte) (Audio, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Audio{}, errors.New("not a WAV file")
	}
	var a Audio
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(p+8+size, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return Audio{}, errors.New("WAV: want mono 16-bit PCM")
			}
			a.Rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if a.Rate == 0 {
				return Audio{}, errors.New("WAV: data before format")
			}
			pcm, err := FromLE16(body[:len(body)&^1])
			a.PCM = pcm
			return a, err
		}
		p += 8 + size + size%2
	}
	return Audio{}, errors.New("WAV: no data chunk")
}

// FillBand adds faint white noise at dbfs over the whole band. Phone
// audio brought up to 16 kHz has nothing above 4 kHz; a recognizer
// trained on wide-band speech hears that empty half as unlike any speech,
// and does markedly better with a faint floor there (as on a real line).
// The noise is the same for the same audio, so results are repeatable.
func FillBand(a Audio, dbfs float64) Audio {
	out := Audio{Rate: a.Rate, PCM: make([]int16, len(a.PCM))}
	amp := 32768 * math.Pow(10, dbfs/20)
	x := uint64(len(a.PCM))*0x9e3779b97f4a7c15 + 1
	for i, s := range a.PCM {
		// xorshift64*, summed four times: close enough to Gaussian.
		var g float64
		for range 4 {
			x ^= x >> 12
			x ^= x << 25
			x ^= x >> 27
			g += float64(x*0x2545f4914f6cdd1d>>11)/float64(1<<53) - 0.5
		}
		out.PCM[i] = clip16(float64(s) + g*amp*math.Sqrt(3))
	}
	return out
}
