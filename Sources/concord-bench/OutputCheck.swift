import AudioFiles
import ConcordBench
import Foundation

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Outputs checked before any long work (a folder that can be created and written, a file
/// path that can be written, the free space a run needs), and write errors as one plain
/// sentence rather than a Foundation error dump.
enum OutputCheck {
    /// Creates `directory` if needed and proves it writable with a probe file; then checks that
    /// its file system has `needsBytes` free.
    static func prepareDirectory(_ directory: String, flag: String, needsBytes: Int) throws {
        try makeDirectories(directory, flag: flag)
        let probe = URL(fileURLWithPath: directory).appendingPathComponent(".concord-bench-probe-\(getpid())").path
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw BenchFailure(description: "\(flag) \(directory) is not writable: \(String(cString: strerror(errno)))")
        }
        close(fd)
        unlink(probe)
        try requireSpace(needsBytes, in: directory, purpose: "the results")
    }

    /// `mkdir -p` with the system's reason for the component that failed (Foundation reports
    /// only "NSCocoaErrorDomain error 512").
    static func makeDirectories(_ directory: String, flag: String) throws {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            var status = stat()
            if stat(path, &status) == 0 {
                guard (status.st_mode & S_IFMT) == S_IFDIR else {
                    throw BenchFailure(description: "\(flag) \(directory): \(path) exists and is not a directory")
                }
                continue
            }
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                throw BenchFailure(description: "\(flag) \(directory): cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Proves `path` writable without truncating an existing file (a file created for the
    /// probe is removed again).
    static func prepareFile(_ path: String, flag: String) throws {
        var status = stat()
        let existed = stat(path, &status) == 0
        if existed, (status.st_mode & S_IFMT) == S_IFDIR {
            throw BenchFailure(description: "\(flag) \(path) is a directory, not a file")
        }
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else {
            throw BenchFailure(description: "\(flag) \(path) cannot be written: \(String(cString: strerror(errno)))")
        }
        close(fd)
        if !existed { unlink(path) }
    }

    /// Fails when the file system holding `directory` has less than `bytes` available.
    static func requireSpace(_ bytes: Int, in directory: String, purpose: String) throws {
        var fs = statvfs()
        guard bytes > 0, statvfs(directory, &fs) == 0 else { return }
        let available = Double(fs.f_bavail) * Double(fs.f_frsize)
        guard Double(bytes) <= available else {
            throw BenchFailure(
                description: String(
                    format: "not enough free space in %@ for %@: needs up to %.0f MB, %.0f MB free",
                    directory, purpose, Double(bytes) / 1e6, available / 1e6))
        }
    }

    /// Writes `text` to `path` with plain system calls, so that a short write (a full disk,
    /// /dev/full) is an error and not a silent truncation.
    static func write(_ text: String, to path: String, flag: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw BenchFailure(description: "\(flag) \(path) cannot be written: \(String(cString: strerror(errno)))")
        }
        var failure: Int32 = 0
        Array(text.utf8).withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? errno : EIO
                    return
                }
                done += n
            }
        }
        if failure == 0, fsync(fd) != 0, errno != EINVAL, errno != EROFS { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure != 0 {
            throw BenchFailure(description: "writing \(flag) \(path) failed: \(String(cString: strerror(failure)))")
        }
    }

    /// One plain sentence for an error from the report or WAV writers, or from Foundation.
    static func sentence(_ error: any Error) -> String {
        switch error {
        case let error as ReportWriteError: return error.description
        case let error as SoundFileError: return error.description
        case let error as BenchFailure: return error.description
        default: return ReportWriter.reason(of: error)
        }
    }
}
