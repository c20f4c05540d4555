// SoundTouch's C interface (its "DLL" API, a plain C header on Linux); the C++ classes behind it
// stay out of Swift's sight.
#include <SoundTouchDLL.h>
