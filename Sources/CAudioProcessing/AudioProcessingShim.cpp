#include "CAudioProcessing.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>

#include "api/audio/echo_canceller3_factory.h"
#include "common_audio/vad/include/webrtc_vad.h"
#include "modules/audio_processing/include/audio_processing.h"
#include "rtc_base/logging.h"

struct concord_apm {
    rtc::scoped_refptr<webrtc::AudioProcessing> module;
    webrtc::StreamConfig stream{CONCORD_APM_SAMPLE_RATE, 1};
    // WebRTC's GMM voice activity detector on the processed capture: this module version
    // leaves AudioProcessingStats::voice_detected unset.
    VadInst *vad = nullptr;
    ~concord_apm() {
        if (vad) WebRtcVad_Free(vad);
    }
};

namespace {

void say(char *error, size_t size, const char *text) {
    if (error && size > 0) std::snprintf(error, size, "%s", text);
}

// WebRTC logs to stderr by default; the clients' and the bench's output is their own.
void silenceLogging() {
    static std::once_flag once;
    std::call_once(once, [] { rtc::LogMessage::LogToDebug(rtc::LS_NONE); });
}

double levelDBFS(const float *chunk) {
    double energy = 0;
    for (int i = 0; i < CONCORD_APM_CHUNK_SAMPLES; i++) energy += double(chunk[i]) * chunk[i];
    double mean = energy / double(CONCORD_APM_CHUNK_SAMPLES);
    return mean > 1e-10 ? 10 * std::log10(mean) : -100;
}

webrtc::EchoCanceller3Config aec3Config() {
    webrtc::EchoCanceller3Config config;
    // AEC3's defaults but for its render-stationarity rules (behind the field trials
    // WebRTC-Aec3EnforceStationarityProperties[AtInit]): bands where the far end is only its own
    // steady noise are taken to make no audible echo, from the first block on. Without them a
    // talker with no echo at all was held 26–47 dB down in 100 ms windows over 0.4 s when the far
    // end first spoke over them (`EchoBypassTests`; ViSQOL of that talker 3.30–3.47, 3.86–3.98
    // with them, 4.32 unprocessed), and a
    // laptop's canceller in fan noise passed echo nearly whole in stretches (far end alone: ERLE
    // 12.5 dB, 23.9 with them). Measured on held-out rooms too, README "Echo and noise".
    config.echo_audibility.use_stationarity_properties = true;
    config.echo_audibility.use_stationarity_properties_at_init = true;
    return config;
}

}  // namespace

extern "C" concord_apm *concord_apm_create(concord_apm_settings settings, char *error, size_t error_size) {
    silenceLogging();
    auto instance = std::make_unique<concord_apm>();
    webrtc::AudioProcessingBuilder builder;
    // A factory makes the module run an echo canceller even with echo cancellation off (the
    // chain without it, `WebRTCAudioProcessor`'s bypass), so it is given only when asked for.
    if (settings.echo_cancellation) builder.SetEchoControlFactory(std::make_unique<webrtc::EchoCanceller3Factory>(aec3Config()));
    instance->module = builder.Create();
    if (!instance->module) {
        say(error, error_size, "WebRTC's AudioProcessingBuilder returned no module");
        return nullptr;
    }
    webrtc::AudioProcessing::Config config;
    config.pipeline.maximum_internal_processing_rate = CONCORD_APM_SAMPLE_RATE;
    config.high_pass_filter.enabled = true;
    config.echo_canceller.enabled = settings.echo_cancellation != 0;
    config.echo_canceller.mobile_mode = false;
    config.noise_suppression.enabled = settings.noise_suppression != 0;
    // The lowest level: on clean speech (ViSQOL, fixture b.wav, 8 s) suppression costs 0.17 at
    // kLow, 0.62 at kModerate and 1.11 at kHigh (4.53 unprocessed).
    config.noise_suppression.level = webrtc::AudioProcessing::Config::NoiseSuppression::kLow;
    config.gain_controller2.enabled = settings.gain_control != 0;
    config.gain_controller2.adaptive_digital.enabled = settings.gain_control != 0;
    instance->module->ApplyConfig(config);
    instance->vad = WebRtcVad_Create();
    if (!instance->vad || WebRtcVad_Init(instance->vad) != 0 || WebRtcVad_set_mode(instance->vad, 2) != 0) {
        say(error, error_size, "WebRTC's voice activity detector did not initialise");
        return nullptr;
    }
    int status = instance->module->Initialize();
    if (status != webrtc::AudioProcessing::kNoError) {
        char text[96];
        std::snprintf(text, sizeof text, "WebRTC's audio processing did not initialise (error %d)", status);
        say(error, error_size, text);
        return nullptr;
    }
    return instance.release();
}

extern "C" void concord_apm_destroy(concord_apm *apm) { delete apm; }

extern "C" int concord_apm_analyze_render(concord_apm *apm, const float *chunk) {
    float copy[CONCORD_APM_CHUNK_SAMPLES];
    const float *in = chunk;
    float *out = copy;
    return apm->module->ProcessReverseStream(&in, apm->stream, apm->stream, &out);
}

extern "C" int concord_apm_process_capture(concord_apm *apm, float *chunk, int device_delay_ms, concord_apm_state *state) {
    double before = levelDBFS(chunk);
    apm->module->set_stream_delay_ms(device_delay_ms);
    const float *in = chunk;
    float *out = chunk;
    int status = apm->module->ProcessStream(&in, apm->stream, apm->stream, &out);
    if (state) {
        webrtc::AudioProcessingStats stats = apm->module->GetStatistics();
        int16_t pcm[CONCORD_APM_CHUNK_SAMPLES];
        for (int i = 0; i < CONCORD_APM_CHUNK_SAMPLES; i++) {
            pcm[i] = int16_t(std::lround(std::fmax(-32768.0, std::fmin(32767.0, double(chunk[i]) * 32768.0))));
        }
        state->voice_detected = WebRtcVad_Process(apm->vad, CONCORD_APM_SAMPLE_RATE, pcm, CONCORD_APM_CHUNK_SAMPLES) == 1 ? 1 : 0;
        state->input_level_dbfs = before;
        state->output_level_dbfs = levelDBFS(chunk);
        state->echo_return_loss_db = stats.echo_return_loss.value_or(-1);
        state->echo_return_loss_enhancement_db = stats.echo_return_loss_enhancement.value_or(-1);
        state->delay_ms = stats.delay_ms.value_or(-1);
    }
    return status;
}
