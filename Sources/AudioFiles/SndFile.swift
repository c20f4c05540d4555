import CSndFile
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few libsndfile calls the reader and writer share: opening a file with an exact error
/// message, turning a handle's error into text, and naming a format.
///
/// Kept internal: the public surface is `WAVReader` and `WAVWriter`, which own their handles.
enum SndFile {
    /// Serialises `sf_open` with the `sf_strerror(NULL)` that explains its failure.
    ///
    /// When `sf_open` fails it returns NULL and leaves the reason in a process-wide variable that
    /// the next failing open overwrites. Swift Testing (and a sweep of simulations) opens files
    /// on several threads at once, so without this lock one file's error could carry another
    /// file's reason. The lock is one reason sound files live outside the engine, which takes
    /// none; a file is opened before a call starts, never on a frame tick.
    private static let openLock = Mutex<Void>(())

    /// Opens `path` in `mode` (`SFM_READ` or `SFM_WRITE`), filling `info`.
    ///
    /// Before asking libsndfile, checks the path with `stat(2)`: libsndfile reports a directory
    /// as "Format not recognised." and a zero-byte file the same way, both of which mislead.
    static func open(
        path: String, mode: Int32, info: inout SF_INFO
    ) throws(SoundFileError) -> OpaquePointer {
        if mode == Int32(SFM_READ) {
            var status = stat()
            if stat(path, &status) == 0 {
                if (status.st_mode & S_IFMT) == S_IFDIR {
                    throw .cannotOpen(path: path, reason: "it is a directory, not a sound file")
                }
                if (status.st_mode & S_IFMT) == S_IFREG && status.st_size == 0 {
                    throw .empty(path: path)
                }
            }
            // If stat fails, let libsndfile open it anyway: its message names the system error.
        }
        var requested = info
        let (handle, reason): (OpaquePointer?, String) = openLock.withLock { _ in
            if let handle = sf_open(path, mode, &requested) { return (handle, "") }
            return (nil, String(cString: sf_strerror(nil)))
        }
        guard let handle else { throw .cannotOpen(path: path, reason: reason) }
        info = requested
        return handle
    }

    /// libsndfile's text for the last error on `handle`.
    static func reason(_ handle: OpaquePointer?) -> String {
        String(cString: sf_strerror(handle))
    }

    /// A readable name for an `SF_INFO.format` value, from libsndfile's own tables,
    /// e.g. "WAV (Microsoft), Signed 24 bit PCM".
    static func describe(format: Int32) -> String {
        let major = name(of: format & Int32(SF_FORMAT_TYPEMASK), kind: "container")
        let subtype = name(of: format & Int32(SF_FORMAT_SUBMASK), kind: "encoding")
        return "\(major), \(subtype)"
    }

    private static func name(of format: Int32, kind: String) -> String {
        var info = SF_FORMAT_INFO(format: format, name: nil, extension: nil)
        let status = sf_command(
            nil, Int32(SFC_GET_FORMAT_INFO), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
        if status == 0, let name = info.name { return String(cString: name) }
        return "unknown \(kind) 0x" + String(format, radix: 16)
    }
}
