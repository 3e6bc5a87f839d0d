// Package voice is Steward's spoken-dialogue engine: audio frames in,
// audio frames and marks out, turns to and from the same kernel as every
// other channel. It is channel-neutral: a phone line (voice/twilio) or the
// web page's microphone feed it PCM frames and play what it sends back.
//
// What it guarantees (CHAN-06, VOI-01…03):
//   - A proposal is read back with its action and target, and identifiers
//     are spelled by this package's own code (Spell: NATO letters, digits
//     one by one, grouped), never by a model or a speech engine.
//   - A spoken "yes" counts only when the read-back's mark came back before
//     any barge-in, that is when the caller heard all of it; backchannels
//     ("yeah", "okay", "uh huh") never count; naming another target
//     re-prompts; after two re-prompts the caller is offered the keypad.
//   - Keypad 1 confirms and 2 cancels at any point; level 4 needs the
//     target spelled aloud (the danger phrase) and the kernel still
//     enforces the cooling period, which the call announces.
//   - Every decision is an ordinary session.Action handed to the kernel:
//     the engine decides nothing itself, it only hears.
//
// What it needs: speech engines behind STT and TTS (voice/offline runs
// pocketsphinx and espeak-ng as processes; voice/cloud speaks to an
// OpenAI-compatible endpoint), the channels.Core of the gateway, and a
// Line that plays audio and reports marks. Recognition is constrained per
// prompt by a Grammar built here (the pending target, its siblings,
// confusable neighbours and filler words that absorb noise).
//
// What it never does: link a speech engine's library (espeak-ng is GPL
// and only ever run as a process), spell with a model, or accept a
// decision the kernel has not checked.
package voice
