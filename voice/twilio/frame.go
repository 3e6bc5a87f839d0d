package twilio

import (
	jsonv2 "github.com/go-json-experiment/json"
)

// decodeFrame reads one Media Streams message strictly where it matters:
// member names are matched exactly and a name given twice refuses the
// message, so {"event":"media","Event":"stop"} is a media message and
// {"event":"media","event":"stop"} none at all (never the last one or
// the nearest case). Members this adapter does not read are skipped:
// Twilio may add some.
func decodeFrame(b []byte) (Frame, error) {
	var f Frame
	err := jsonv2.Unmarshal(b, &f)
	return f, err
}
