// One laptop-like room through WebRTC's audio processing, for scripts/audio-processing-compare:
// the same measurements against Debian's libtgowt-dev (AEC3, the one Concord uses) or, built with
// -DOLD_APM, libwebrtc-audio-processing 0.3 (the older AEC with extended filter, delay-agnostic).
//
// Each writes OUT.wav (processed), OUT.wav.microphone.wav and OUT.wav.near.wav (the near end's
// clean voice).
//
//   measure far FIXTURES OUT.wav     far end alone: ERLE per second from 1 s, loudest 100 ms after 2 s,
//                            µs per 10 ms
//   measure near FIXTURES OUT.wav    the near end alone (fixture b.wav × 0.7): the output, and how far
//                            it lags the input
//   measure double FIXTURES OUT.wav  both at once, the echo 10 dB below the far end's voice
//   measure noecho FIXTURES OUT.wav  the near end throughout and the far end from 1 s, no echo at
//                            all: the output against the near end per 250 ms (the canceller alone,
//                            without Concord's bypass)
//
// The room: fixture a.wav from the loudspeaker reaches the microphone 40 ms later through a
// 0.3 s exponentially decaying noise tail of unit energy (as Concord's RoomImpulseResponse), at
// 0 dB (far, near) or -10 dB (double). Noise suppression at its lowest level, no gain control.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <sndfile.h>

#ifdef OLD_APM
#include "webrtc/common.h"
#include "webrtc/modules/audio_processing/include/audio_processing.h"
#else
#include "modules/audio_processing/include/audio_processing.h"
#include "api/audio/echo_canceller3_factory.h"
#include "rtc_base/logging.h"
#endif

namespace {

const int kRate = 48000, kChunk = 480, kSeconds = 8;

std::vector<float> read(const std::string &path) {
    SF_INFO info{};
    SNDFILE *f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f) { std::fprintf(stderr, "%s: %s\n", path.c_str(), sf_strerror(nullptr)); std::exit(1); }
    std::vector<float> all(size_t(info.frames) * info.channels);
    sf_readf_float(f, all.data(), info.frames);
    sf_close(f);
    std::vector<float> mono(kSeconds * kRate, 0.f);
    for (size_t i = 0; i < mono.size() && i < size_t(info.frames); i++) mono[i] = all[i * info.channels];
    return mono;
}

void write(const std::string &path, const std::vector<float> &samples) {
    SF_INFO info{};
    info.samplerate = kRate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(path.c_str(), SFM_WRITE, &info);
    sf_writef_float(f, samples.data(), samples.size());
    sf_close(f);
}

std::vector<float> echoOf(const std::vector<float> &far, float gain) {
    std::mt19937 random(7);
    std::normal_distribution<double> gaussian;
    int length = int(0.3 * kRate), delay = 40 * kRate / 1000;
    std::vector<double> room(length);
    double energy = 0;
    for (int i = 0; i < length; i++) {
        room[i] = gaussian(random) * std::exp(-6.907755 * i / (0.3 * kRate));
        energy += room[i] * room[i];
    }
    std::vector<float> echo(far.size(), 0.f);
    for (size_t t = 0; t < far.size(); t++) {
        double sum = 0;
        for (int k = 0; k < length && long(t) - delay - k >= 0; k++) sum += room[k] * far[t - delay - k];
        echo[t] = float(gain * sum / std::sqrt(energy));
    }
    return echo;
}

struct Processor {
#ifdef OLD_APM
    webrtc::AudioProcessing *apm;
    Processor() {
        webrtc::Config config;
        config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
        config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
        apm = webrtc::AudioProcessing::Create(config);
        apm->high_pass_filter()->Enable(true);
        apm->echo_cancellation()->Enable(true);
        apm->echo_cancellation()->set_suppression_level(webrtc::EchoCancellation::kHighSuppression);
        apm->noise_suppression()->Enable(true);
        apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kLow);
    }
    void render(const float *chunk) { apm->AnalyzeReverseStream(&chunk, kChunk, kRate, webrtc::AudioProcessing::kMono); }
    void capture(const float *in, float *out) {
        apm->set_stream_delay_ms(0);
        apm->ProcessStream(&in, kChunk, kRate, webrtc::AudioProcessing::kMono, kRate, webrtc::AudioProcessing::kMono, &out);
    }
#else
    rtc::scoped_refptr<webrtc::AudioProcessing> apm;
    webrtc::StreamConfig stream{kRate, 1};
    Processor() {
        rtc::LogMessage::LogToDebug(rtc::LS_NONE);
        // As Concord's shim: AEC3's defaults with its render-stationarity rules.
        webrtc::EchoCanceller3Config aec3;
        aec3.echo_audibility.use_stationarity_properties = true;
        aec3.echo_audibility.use_stationarity_properties_at_init = true;
        apm = webrtc::AudioProcessingBuilder().SetEchoControlFactory(std::make_unique<webrtc::EchoCanceller3Factory>(aec3)).Create();
        webrtc::AudioProcessing::Config config;
        config.high_pass_filter.enabled = true;
        config.echo_canceller.enabled = true;
        config.noise_suppression.enabled = true;
        config.noise_suppression.level = webrtc::AudioProcessing::Config::NoiseSuppression::kLow;
        apm->ApplyConfig(config);
        apm->Initialize();
    }
    void render(const float *chunk) {
        float scratch[kChunk];
        float *out = scratch;
        apm->ProcessReverseStream(&chunk, stream, stream, &out);
    }
    void capture(const float *in, float *out) {
        apm->set_stream_delay_ms(0);
        apm->ProcessStream(&in, stream, stream, &out);
    }
#endif
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 4) { std::fprintf(stderr, "usage: measure far|near|double|noecho FIXTURES_DIR OUT.wav\n"); return 64; }
    std::string mode = argv[1], fixtures = argv[2], output = argv[3];
    std::vector<float> far = read(fixtures + "/a.wav"), near = read(fixtures + "/b.wav");
    for (auto &x : near) x *= 0.7f;
    if (mode == "far") std::fill(near.begin(), near.end(), 0.f);
    if (mode == "noecho") {
        std::vector<float> later(far.size(), 0.f);
        for (size_t i = kRate; i < far.size(); i++) later[i] = far[i - kRate];
        far = later;
    }
    if (mode == "near") std::fill(far.begin(), far.end(), 0.f);
    std::vector<float> echo = echoOf(far, mode == "double" ? 0.316f : mode == "noecho" ? 0.f : 1.f);
    std::vector<float> microphone(far.size()), out(far.size());
    for (size_t i = 0; i < far.size(); i++) microphone[i] = near[i] + echo[i];
    Processor processor;
    auto start = std::chrono::steady_clock::now();
    for (size_t t = 0; t + kChunk <= far.size(); t += kChunk) {
        processor.render(&far[t]);
        processor.capture(&microphone[t], &out[t]);
    }
    double micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    write(output, out);
    write(output + ".microphone.wav", microphone);
    write(output + ".near.wav", near);
    if (mode == "far") {
        std::printf("ERLE per second from 1 s:");
        for (int s = 1; s < kSeconds; s++) {
            double in = 0, left = 0;
            for (int i = s * kRate; i < (s + 1) * kRate; i++) { in += echo[i] * echo[i]; left += out[i] * out[i]; }
            std::printf(" %.1f", 10 * std::log10(in / std::max(left, 1e-20)));
        }
        double loudest = -100;
        for (size_t i = 2 * kRate; i + 4800 <= out.size(); i += 4800) {
            double e = 0;
            for (int k = 0; k < 4800; k++) e += out[i + k] * out[i + k];
            loudest = std::max(loudest, 10 * std::log10(e / 4800 + 1e-12));
        }
        std::printf(" dB; loudest 100 ms after 2 s %.1f dBFS; %.0f us per 10 ms\n", loudest, micros / (far.size() / kChunk));
    } else if (mode == "noecho") {
        // The output lags the input by the processing's 15 ms (720 samples; "near" measures it).
        const int window = kRate / 4, lag = 720;
        std::printf("output against the near end per 250 ms from 0 s, the far end from 1 s (dB):");
        for (size_t i = 0; i + window + lag <= out.size(); i += window) {
            double sent = 0, spoken = 0;
            for (int k = 0; k < window; k++) { sent += double(out[i + k + lag]) * out[i + k + lag]; spoken += double(near[i + k]) * near[i + k]; }
            std::printf(" %.0f", 10 * std::log10((sent + 1e-9) / (spoken + 1e-9)));
        }
        std::printf("\n");
    } else if (mode == "near") {
        int best = 0;
        double peak = -1;
        for (int lag = -100; lag < 2000; lag++) {
            double sum = 0;
            for (size_t i = kRate; i + 3000 < near.size(); i++) sum += near[i] * out[i + lag];
            if (sum > peak) { peak = sum; best = lag; }
        }
        std::printf("the output lags the input by %.2f ms\n", best * 1000.0 / kRate);
    }
    return 0;
}
