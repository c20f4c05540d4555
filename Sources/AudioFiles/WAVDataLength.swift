import Foundation

/// What a RIFF/WAVE header announces about its `data` chunk, against what the file holds.
///
/// Why read the header ourselves: for a WAV whose data chunk is cut short (a copy that stopped,
/// a disk that filled), libsndfile logs "Data length in header is too large" and quietly
/// shrinks `SF_INFO.frames` to the bytes present, so neither its frame count nor its read
/// errors reveal that most of the audio is missing. A file that says 8 s and holds 10 ms would
/// play as 10 ms of speech. The header's own `data` size is the only place the truth remains.
struct WAVDataLength: Equatable {
    /// Frames the header's `data` chunk size announces.
    var announcedFrames: Int
    /// Whole frames actually present after the chunk header.
    var presentFrames: Int

    /// Streaming writers put 0 or 0xFFFFFFFF in a size they could not know in advance; such a
    /// header announces nothing.
    static let unknownSizes: Set<UInt32> = [0, 0xFFFF_FFFF]

    /// The announced and present lengths of `path`'s data chunk, or nil when the file is not a
    /// plain RIFF/WAVE file (RF64, W64, AIFF… are left to libsndfile) or announces no size.
    static func measure(path: String) -> WAVDataLength? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let fileSize = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil,
            let head = try? handle.read(upToCount: 12), head.count == 12,
            head.prefix(4) == Data("RIFF".utf8), head.suffix(4) == Data("WAVE".utf8)
        else { return nil }
        var offset: UInt64 = 12
        var blockAlign = 0
        // Walk the chunks up to `data`; `fmt ` gives the bytes per frame.
        while offset + 8 <= fileSize {
            guard (try? handle.seek(toOffset: offset)) != nil, let header = try? handle.read(upToCount: 8), header.count == 8
            else { return nil }
            let id = String(decoding: header.prefix(4), as: UTF8.self)
            let size = header.suffix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            if id == "fmt " {
                guard let format = try? handle.read(upToCount: 16), format.count >= 14 else { return nil }
                let bytes = [UInt8](format)
                blockAlign = Int(bytes[12]) | Int(bytes[13]) << 8
            } else if id == "data" {
                guard blockAlign > 0, !unknownSizes.contains(size) else { return nil }
                let present = fileSize - (offset + 8)
                return WAVDataLength(
                    announcedFrames: Int(size) / blockAlign, presentFrames: Int(min(present, UInt64(size))) / blockAlign)
            }
            // Chunks are padded to an even size.
            offset += 8 + UInt64(size) + UInt64(size & 1)
        }
        return nil
    }

    var isTruncated: Bool { presentFrames < announcedFrames }

    /// The reason a truncated file is refused, frames found against frames announced.
    var reason: String {
        "the data chunk is shorter than its header says: \(presentFrames) frames found, \(announcedFrames) announced (the file is truncated)"
    }
}
