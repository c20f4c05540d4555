import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Long Float32 signals (what each listener played of each talker, and each listener's mix)
/// kept in a temporary file instead of memory, so that a run's memory does not grow as
/// streams × duration: a 50-person room of 60 s holds 2 450 tracks of 12 MB each.
///
/// Signal k occupies bytes [k·length·4, (k+1)·length·4) of one sparse file, unlinked as soon as
/// it is created (it vanishes when the process ends, even on a crash). Writes go through a small
/// buffer per signal (one chunk of `chunkSamples`), flushed when a write moves to another chunk;
/// the simulation writes each signal in time order, so nearly every flush is a sequential
/// `pwrite` and memory stays at signals × chunk. A chunk that is all zeros and was never written
/// is not written at all: the file's hole already reads as zeros (silence costs no disk).
///
/// Writes come from one thread (the simulation's); after `finish()` the file is read-only and
/// `read` (a `pread`, which has no shared file offset) may run on several threads at once.
final class SpilledSignals: @unchecked Sendable {
    /// Samples per chunk: a quarter second at 48 kHz, 48 kB.
    static let chunkSamples = 12_000

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    let count: Int
    let length: Int
    private let descriptor: Int32
    /// Per signal: the chunk in `buffers`, whether it differs from the file, and the first
    /// chunk never flushed (chunks from there on are still holes, i.e. zeros).
    private var current: [Int]
    private var dirty: [Bool]
    private var unwrittenFrom: [Int]
    private var buffers: [[Float]]
    private var failure: WriteError?

    /// `count` signals of `length` samples each, in a new file under `directory`.
    init(count: Int, length: Int, directory: String = NSTemporaryDirectory()) throws {
        self.count = count
        self.length = max(0, length)
        var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast())
            + Array(("concord-bench-signals-" + String(repeating: "X", count: 6)).utf8CString)  // mkstemp's template
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw WriteError(description: "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        unlink(String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
        descriptor = fd
        current = [Int](repeating: -1, count: count)
        dirty = [Bool](repeating: false, count: count)
        unwrittenFrom = [Int](repeating: 0, count: count)
        buffers = [[Float]](repeating: [], count: count)
        // The file's full size up front: never-written regions read back as zeros.
        if ftruncate(fd, off_t(count) * off_t(self.length) * 4) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw WriteError(description: "cannot size the temporary signal file: \(reason)")
        }
    }

    deinit { close(descriptor) }

    /// Bytes of temporary disk the signals may take at most (all of them non-silent).
    static func bytes(count: Int, length: Int) -> Int { count * max(0, length) * 4 }

    /// Writes `frame` into signal `k` from sample `position` on (samples past the end are dropped).
    func write(_ frame: [Float], signal k: Int, at position: Int) {
        let n = min(frame.count, length - position)
        guard n > 0, position >= 0, failure == nil else { return }
        let c = Self.chunkSamples
        var done = 0
        frame.withUnsafeBufferPointer { source in
            while done < n {
                let at = position + done
                let chunk = at / c
                select(chunk, of: k)
                let offset = at - chunk * c
                let m = min(n - done, c - offset)
                buffers[k].withUnsafeMutableBufferPointer { buffer in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + m])
                        .update(fromContentsOf: UnsafeBufferPointer(rebasing: source[done..<done + m]))
                }
                dirty[k] = true
                done += m
            }
        }
    }

    /// Flushes every buffer and frees them; throws the first write error of the run (a full
    /// disk, say), so a failed spill never passes for silence.
    func finish() throws(WriteError) {
        for k in 0..<count { flush(k) }
        buffers = [[Float]](repeating: [], count: count)
        current = [Int](repeating: -1, count: count)
        if let failure { throw failure }
    }

    /// The whole of signal `k` (call after `finish`).
    func read(_ k: Int) throws(WriteError) -> [Float] {
        var out = [Float](repeating: 0, count: length)
        let total = length * 4
        var done = 0
        var error: Int32 = 0
        out.withUnsafeMutableBytes { raw in
            while done < total {
                let got = pread(descriptor, raw.baseAddress! + done, total - done, off_t(k) * off_t(total) + off_t(done))
                if got < 0 && errno == EINTR { continue }
                if got <= 0 {
                    error = got < 0 ? errno : EIO
                    break
                }
                done += got
            }
        }
        if done < total { throw WriteError(description: "cannot read the temporary signal file back: \(String(cString: strerror(error)))") }
        return out
    }

    /// Makes `chunk` the buffered chunk of signal `k`, flushing the previous one.
    private func select(_ chunk: Int, of k: Int) {
        guard current[k] != chunk else { return }
        flush(k)
        let c = Self.chunkSamples
        if buffers[k].isEmpty { buffers[k] = [Float](repeating: 0, count: c) }
        if chunk < unwrittenFrom[k] {
            // Going back to a chunk already on disk (not something the simulation does): reload it.
            let start = chunk * c
            let n = min(c, length - start)
            buffers[k].withUnsafeMutableBytes { raw in
                _ = pread(descriptor, raw.baseAddress!, n * 4, offset(k, start))
            }
        } else {
            buffers[k].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        current[k] = chunk
    }

    private func flush(_ k: Int) {
        let chunk = current[k]
        guard chunk >= 0, dirty[k] else { return }
        dirty[k] = false
        let c = Self.chunkSamples
        let start = chunk * c
        let n = min(c, length - start)
        let buffer = buffers[k]
        if chunk >= unwrittenFrom[k], buffer.prefix(n).allSatisfy({ $0 == 0 }) { return }
        var written = 0
        buffer.withUnsafeBytes { raw in
            while written < n * 4 {
                let put = pwrite(descriptor, raw.baseAddress! + written, n * 4 - written, offset(k, start) + off_t(written))
                if put < 0 && errno == EINTR { continue }
                if put <= 0 {
                    if failure == nil {
                        let reason = put < 0 ? String(cString: strerror(errno)) : "nothing written"
                        failure = WriteError(description: "writing the temporary signal file failed: \(reason)")
                    }
                    return
                }
                written += put
            }
        }
        unwrittenFrom[k] = max(unwrittenFrom[k], chunk + 1)
    }

    private func offset(_ k: Int, _ sample: Int) -> off_t { (off_t(k) * off_t(length) + off_t(sample)) * 4 }
}
