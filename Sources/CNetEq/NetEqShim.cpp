#include "CNetEq.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "api/audio/audio_frame.h"
#include "api/audio_codecs/opus_audio_decoder_factory.h"
#include "api/neteq/neteq.h"
#include "modules/audio_coding/neteq/default_neteq_factory.h"
#include "rtc_base/logging.h"
#include "system_wrappers/include/clock.h"

struct concord_neteq {
    webrtc::SimulatedClock clock;
    std::unique_ptr<webrtc::NetEq> neteq;
    webrtc::AudioFrame frame;

    explicit concord_neteq(int64_t start_us) : clock(start_us) {}

    void advance(int64_t to_us) {
        int64_t now = clock.TimeInMicroseconds();
        if (to_us > now) clock.AdvanceTimeMicroseconds(to_us - now);
    }
};

namespace {

void say(char *error, size_t size, const char *text) {
    if (error && size > 0) std::snprintf(error, size, "%s", text);
}

// WebRTC logs to stderr by default; the bench's output is its report.
void silenceLogging() {
    static std::once_flag once;
    std::call_once(once, [] { rtc::LogMessage::LogToDebug(rtc::LS_NONE); });
}

}  // namespace

extern "C" concord_neteq *concord_neteq_create(int64_t start_us, char *error, size_t error_size) {
    silenceLogging();
    auto instance = std::make_unique<concord_neteq>(start_us);
    webrtc::NetEq::Config config;
    config.sample_rate_hz = 48000;
    webrtc::DefaultNetEqFactory factory;
    instance->neteq = factory.CreateNetEq(config, webrtc::CreateOpusAudioDecoderFactory(), &instance->clock);
    if (!instance->neteq) {
        say(error, error_size, "NetEq could not be created");
        return nullptr;
    }
    if (!instance->neteq->RegisterPayloadType(CONCORD_NETEQ_OPUS_PAYLOAD_TYPE, webrtc::SdpAudioFormat("opus", 48000, 2))) {
        say(error, error_size, "NetEq refused Opus (payload type 111)");
        return nullptr;
    }
    if (!instance->neteq->RegisterPayloadType(CONCORD_NETEQ_RED_PAYLOAD_TYPE, webrtc::SdpAudioFormat("red", 48000, 2))) {
        say(error, error_size, "NetEq refused RED (payload type 63)");
        return nullptr;
    }
    return instance.release();
}

extern "C" void concord_neteq_destroy(concord_neteq *neteq) { delete neteq; }

extern "C" int concord_neteq_insert(
    concord_neteq *neteq, int marker, uint8_t payload_type, uint16_t sequence, uint32_t timestamp,
    const uint8_t *payload, size_t length, int64_t arrival_us, char *error, size_t error_size) {
    neteq->advance(arrival_us);
    webrtc::RTPHeader header;
    header.markerBit = marker != 0;
    header.payloadType = payload_type;
    header.sequenceNumber = sequence;
    header.timestamp = timestamp;
    header.ssrc = 1;
    if (neteq->neteq->InsertPacket(header, rtc::ArrayView<const uint8_t>(payload, length)) != webrtc::NetEq::kOK) {
        char text[96];
        std::snprintf(text, sizeof text, "NetEq refused packet %u (payload type %u, %zu bytes)", sequence, payload_type, length);
        say(error, error_size, text);
        return -1;
    }
    return 0;
}

extern "C" int concord_neteq_get_audio(
    concord_neteq *neteq, int64_t now_us, int16_t *out, size_t capacity, concord_neteq_frame *frame,
    char *error, size_t error_size) {
    neteq->advance(now_us);
    bool muted = false;
    webrtc::AudioFrame &audio = neteq->frame;
    std::fill(out, out + capacity, int16_t{0});
    if (neteq->neteq->GetAudio(&audio, &muted) != webrtc::NetEq::kOK) {
        say(error, error_size, "NetEq could not produce audio");
        return -1;
    }
    frame->samples = audio.samples_per_channel_;
    frame->sample_rate_hz = audio.sample_rate_hz_;
    frame->channels = audio.num_channels_;
    frame->muted = muted ? 1 : 0;
    frame->timestamp = audio.timestamp_;
    switch (audio.speech_type_) {
    case webrtc::AudioFrame::kNormalSpeech: frame->speech = CONCORD_NETEQ_NORMAL; break;
    case webrtc::AudioFrame::kPLC:
    case webrtc::AudioFrame::kPLCCNG:
    case webrtc::AudioFrame::kCodecPLC: frame->speech = CONCORD_NETEQ_CONCEALED; break;
    case webrtc::AudioFrame::kCNG: frame->speech = CONCORD_NETEQ_COMFORT_NOISE; break;
    default: frame->speech = CONCORD_NETEQ_UNDEFINED; break;
    }
    if (audio.num_channels_ != 1 || audio.samples_per_channel_ > capacity) {
        say(error, error_size, "NetEq produced audio in an unexpected layout");
        return -1;
    }
    if (!muted) std::memcpy(out, audio.data(), audio.samples_per_channel_ * sizeof(int16_t));
    return 0;
}

extern "C" concord_neteq_lifetime concord_neteq_lifetime_statistics(const concord_neteq *neteq) {
    const webrtc::NetEqLifetimeStatistics s = neteq->neteq->GetLifetimeStatistics();
    concord_neteq_lifetime out;
    out.total_samples_received = s.total_samples_received;
    out.concealed_samples = s.concealed_samples;
    out.concealment_events = s.concealment_events;
    out.jitter_buffer_delay_ms = s.jitter_buffer_delay_ms;
    out.jitter_buffer_emitted_count = s.jitter_buffer_emitted_count;
    out.jitter_buffer_target_delay_ms = s.jitter_buffer_target_delay_ms;
    out.inserted_samples_for_deceleration = s.inserted_samples_for_deceleration;
    out.removed_samples_for_acceleration = s.removed_samples_for_acceleration;
    out.silent_concealed_samples = s.silent_concealed_samples;
    out.fec_packets_received = s.fec_packets_received;
    out.fec_packets_discarded = s.fec_packets_discarded;
    out.packets_discarded = s.packets_discarded;
    out.jitter_buffer_packets_received = s.jitter_buffer_packets_received;
    out.generated_noise_samples = s.generated_noise_samples;
    return out;
}

extern "C" int concord_neteq_target_delay_ms(const concord_neteq *neteq) { return neteq->neteq->TargetDelayMs(); }

extern "C" int concord_neteq_current_delay_ms(const concord_neteq *neteq) {
    return neteq->neteq->FilteredCurrentDelayMs();
}
