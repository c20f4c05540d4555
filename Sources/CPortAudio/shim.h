#ifndef CONCORD_CPORTAUDIO_SHIM_H
#define CONCORD_CPORTAUDIO_SHIM_H
#include <portaudio.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* PortAudio's flag and format constants are cast macros, which Swift does not import. */
static const PaSampleFormat concord_paFloat32 = paFloat32;
static const PaStreamFlags concord_paNoFlag = paNoFlag;
static const PaStreamFlags concord_paClipOff = paClipOff;
static const PaStreamCallbackFlags concord_paInputUnderflow = paInputUnderflow;
static const PaStreamCallbackFlags concord_paInputOverflow = paInputOverflow;
static const PaStreamCallbackFlags concord_paOutputUnderflow = paOutputUnderflow;
static const PaStreamCallbackFlags concord_paOutputOverflow = paOutputOverflow;
static const PaStreamCallbackFlags concord_paPrimingOutput = paPrimingOutput;

/* The host libraries under PortAudio print their diagnostics straight to stderr: alsa-lib one
   "ALSA lib ..." line per PCM it fails to open (about sixty on a machine without a sound card),
   libjack "Cannot connect to server socket" when no JACK server runs. These functions route both
   to one sink instead, so `concord` can keep stderr readable and still explain why no device was
   found. alsa-lib's handler is variadic, which Swift cannot implement, hence C.

   The setters are looked up at run time (dlsym over the process's global scope), so this needs
   neither library's headers and does nothing where PortAudio uses neither (macOS, Windows).
   The sink is called on whichever thread the library reports from (Pa_Initialize's, or a
   stream's callback thread on a device error), so it must be thread-safe.

   The state is static in this header: call concord_route_audio_library_messages from one Swift
   file only, so that the handlers and the sink they read live in the same object file. */
typedef void (*concord_audio_message_sink)(const char *library, const char *message);
static concord_audio_message_sink concord_audio_sink = NULL;

static void concord_alsa_message(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function;
    char text[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    if (err != 0) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, ": %s", strerror(err < 0 ? -err : err));
    }
    concord_audio_message_sink sink = concord_audio_sink;
    if (sink) sink("ALSA", text);
}

static void concord_jack_message(const char *message) {
    concord_audio_message_sink sink = concord_audio_sink;
    if (sink) sink("JACK", message);
}

/* Installs `sink` (NULL drops the messages) as the handler of alsa-lib's errors and libjack's
   errors and information. Call before Pa_Initialize. Returns how many libraries were found. */
static inline int concord_route_audio_library_messages(concord_audio_message_sink sink) {
    concord_audio_sink = sink;
    int found = 0;
    void *global = dlopen(NULL, RTLD_NOW);
    if (!global) return 0;
    typedef void (*alsa_handler)(const char *, int, const char *, int, const char *, ...);
    typedef int (*alsa_setter)(alsa_handler);
    alsa_setter set_alsa = (alsa_setter)dlsym(global, "snd_lib_error_set_handler");
    if (set_alsa) { set_alsa(concord_alsa_message); found++; }
    typedef void (*jack_setter)(void (*)(const char *));
    jack_setter set_jack_error = (jack_setter)dlsym(global, "jack_set_error_function");
    if (set_jack_error) { set_jack_error(concord_jack_message); found++; }
    jack_setter set_jack_info = (jack_setter)dlsym(global, "jack_set_info_function");
    if (set_jack_info) set_jack_info(concord_jack_message);
    dlclose(global);
    return found;
}
#endif
