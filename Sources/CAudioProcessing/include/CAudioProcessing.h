#ifndef CONCORD_CAUDIOPROCESSING_H
#define CONCORD_CAUDIOPROCESSING_H

/// A C interface to WebRTC's audio processing module (AEC3 echo cancellation, noise
/// suppression, AGC2 gain control) and its voice activity detector from Debian's libtgowt-dev: one instance per
/// participant's capture path, mono at 48 kHz, 10 ms (480 samples) per call. Every call is on
/// one instance at a time; instances share nothing.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct concord_apm concord_apm;

enum { CONCORD_APM_SAMPLE_RATE = 48000, CONCORD_APM_CHUNK_SAMPLES = 480 };

typedef struct {
    int echo_cancellation;
    int noise_suppression;
    int gain_control;
} concord_apm_settings;

/// What the module said of the last capture chunk, and its running estimates.
typedef struct {
    /// The processed chunk holds voice (WebRTC's GMM voice activity detector, mode 2).
    int voice_detected;
    /// The capture level before and after processing, dBFS (RMS; -100 for digital silence).
    double input_level_dbfs;
    double output_level_dbfs;
    /// AEC3's estimates, each -1 before it has one: echo return loss and its enhancement (dB),
    /// and the delay it found between the far end and the capture (ms).
    double echo_return_loss_db;
    double echo_return_loss_enhancement_db;
    int delay_ms;
} concord_apm_state;

/// nil on failure, with the reason in `error`.
concord_apm *concord_apm_create(concord_apm_settings settings, char *error, size_t error_size);
void concord_apm_destroy(concord_apm *apm);

/// The far end: one chunk of what this participant's loudspeaker plays. 0, or the module's
/// error code.
int concord_apm_analyze_render(concord_apm *apm, const float *chunk);

/// One captured chunk, processed in place. `device_delay_ms`: the caller's estimate of the time
/// from a sample's render call to its capture (the sound devices' latencies); 0 when unknown.
int concord_apm_process_capture(concord_apm *apm, float *chunk, int device_delay_ms, concord_apm_state *state);

#ifdef __cplusplus
}
#endif

#endif
