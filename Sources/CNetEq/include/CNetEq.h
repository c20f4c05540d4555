#ifndef CONCORD_CNETEQ_H
#define CONCORD_CNETEQ_H

/// A C interface to WebRTC's NetEq (from Debian's libtgowt-dev): one instance per received
/// stream, Opus at 48 kHz (and RFC 2198 RED carrying Opus), driven by the caller's clock.
/// Every call is on one instance at a time; instances share nothing.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct concord_neteq concord_neteq;

/// RTP payload types the instance decodes.
enum { CONCORD_NETEQ_OPUS_PAYLOAD_TYPE = 111, CONCORD_NETEQ_RED_PAYLOAD_TYPE = 63 };

/// What NetEq made of one 10 ms output (AudioFrame::SpeechType, and the frame's RTP timestamp).
typedef enum {
    CONCORD_NETEQ_NORMAL = 0,
    CONCORD_NETEQ_CONCEALED = 1,
    CONCORD_NETEQ_COMFORT_NOISE = 2,
    CONCORD_NETEQ_UNDEFINED = 3,
} concord_neteq_speech;

typedef struct {
    size_t samples;
    int sample_rate_hz;
    size_t channels;
    concord_neteq_speech speech;
    /// NetEq's muted state: the output is zeros after a long time without packets.
    int muted;
    /// RTP timestamp of the first sample (meaningful once a packet has been decoded).
    uint32_t timestamp;
} concord_neteq_frame;

/// NetEqLifetimeStatistics, field for field (W3C getStats names).
typedef struct {
    uint64_t total_samples_received;
    uint64_t concealed_samples;
    uint64_t concealment_events;
    uint64_t jitter_buffer_delay_ms;
    uint64_t jitter_buffer_emitted_count;
    uint64_t jitter_buffer_target_delay_ms;
    uint64_t inserted_samples_for_deceleration;
    uint64_t removed_samples_for_acceleration;
    uint64_t silent_concealed_samples;
    uint64_t fec_packets_received;
    uint64_t fec_packets_discarded;
    uint64_t packets_discarded;
    uint64_t jitter_buffer_packets_received;
    uint64_t generated_noise_samples;
} concord_neteq_lifetime;

/// Creates an instance whose clock starts at `start_us`; NULL with a sentence in `error` on failure.
concord_neteq *concord_neteq_create(int64_t start_us, char *error, size_t error_size);
void concord_neteq_destroy(concord_neteq *neteq);

/// Inserts one RTP packet that arrived at `arrival_us` (never earlier than the last call's
/// time). Returns 0, or -1 with NetEq's refusal in `error`.
int concord_neteq_insert(
    concord_neteq *neteq, int marker, uint8_t payload_type, uint16_t sequence, uint32_t timestamp,
    const uint8_t *payload, size_t length, int64_t arrival_us, char *error, size_t error_size);

/// Produces the next 10 ms at `now_us` into `out` (mono samples, `capacity` at least 480).
/// Returns 0, or -1 with a sentence in `error` (then `out` holds zeros).
int concord_neteq_get_audio(
    concord_neteq *neteq, int64_t now_us, int16_t *out, size_t capacity, concord_neteq_frame *frame,
    char *error, size_t error_size);

concord_neteq_lifetime concord_neteq_lifetime_statistics(const concord_neteq *neteq);
/// NetEq's current target delay (ms).
int concord_neteq_target_delay_ms(const concord_neteq *neteq);
/// NetEq's current (filtered) buffer level (ms).
int concord_neteq_current_delay_ms(const concord_neteq *neteq);

#ifdef __cplusplus
}
#endif

#endif
