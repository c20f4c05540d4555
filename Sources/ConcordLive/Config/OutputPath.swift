#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file the client will write when it finishes (`--output-wav`, `--summary-json`), checked
/// before the client joins anything, and written so that a failure never leaves a half file.
///
/// Why up front: a path that turns out unwritable after a call has been made loses what the
/// call produced; a full disk found at the end used to leave a 0-byte file and exit 0.
public struct OutputPath: Sendable, Equatable {
    public let path: String
    /// The option that named it, for messages (`--summary-json`).
    public let option: String

    public init(_ path: String, option: String) {
        self.path = path
        self.option = option
    }

    /// Checks that the file can be created or replaced and that its file system has at least
    /// `bytesNeeded` free; the file itself is not touched.
    ///
    /// - Throws: ``OutputPathError`` with a sentence naming the option, the path and the reason.
    public func check(bytesNeeded: Int64 = 1 << 20) throws(OutputPathError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw fail("it is a directory")
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw fail("the directory \(directory) does not exist")
        }
        guard isDirectory.boolValue else { throw fail("\(directory) is not a directory") }
        // Creating a file is the only reliable test (root ignores mode bits; read-only mounts,
        // ACLs and quotas do not show in them).
        let probe = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).probe").path
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw fail("cannot create files in \(directory): \(String(cString: strerror(errno)))") }
        close(fd)
        unlink(probe)
        if FileManager.default.fileExists(atPath: path), access(path, W_OK) != 0 {
            throw fail("the file exists and cannot be written: \(String(cString: strerror(errno)))")
        }
        var stats = statvfs()
        if statvfs(directory, &stats) == 0 {
            let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
            if free < bytesNeeded {
                throw fail("only \(free / 1024) KiB free on its file system, \(bytesNeeded / 1024) KiB needed")
            }
        }
    }

    /// Writes `data` to a temporary file beside the path, then renames it over the path: the
    /// path holds either its old content or all of `data`, never a part.
    public func write(_ data: Data) throws(OutputPathError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial")
        do {
            try data.write(to: temporary)
        } catch {
            unlink(temporary.path)
            throw fail(Self.reason(error))
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw fail(reason)
        }
    }

    private func fail(_ reason: String) -> OutputPathError {
        OutputPathError(option: option, path: path, reason: reason)
    }

    /// The POSIX reason inside a Foundation error, not its NSCocoaErrorDomain dump.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch ns.code {
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileWriteNoPermissionError: return "permission denied"
        case NSFileNoSuchFileError, NSFileWriteInvalidFileNameError: return "no such file or directory"
        default: return ns.localizedDescription
        }
    }
}

public struct OutputPathError: Error, Equatable, CustomStringConvertible {
    public let option: String
    public let path: String
    public let reason: String

    public var description: String { "Cannot write \(option) \(path): \(reason)." }
}
