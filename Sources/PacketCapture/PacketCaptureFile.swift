#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import Synchronization

/// A classic libpcap capture file of the UDP datagrams a Concord node sent and received, for
/// Wireshark, tshark or tcpdump.
///
/// Format: pcap 2.4 with nanosecond timestamps (magic `0xA1B23C4D`, little-endian), link type
/// `LINKTYPE_LINUX_SLL2` (276) — the Linux "cooked" header `tcpdump -i any` writes — so every
/// record says which way the datagram went (`sll.pkttype`: 4 sent, 0 received, 1 received
/// broadcast) and at which interface (`sll.ifindex`); then IPv4 (or IPv6) and UDP headers made
/// up by `DatagramFrame`, then the payload. Timestamps are whatever the caller passes, in
/// nanoseconds since the Unix epoch.
///
/// A datagram longer than an IP datagram can carry (65 507 bytes of UDP payload over IPv4) is
/// cut to that length, its record's original length kept, and counted in `cutDatagrams`.
///
/// Records are buffered and written in 64 KiB blocks; `close()` writes the rest. A write error
/// stops the capture (the run goes on) and is reported by `close()`. Any thread may record.
public final class PacketCaptureFile: Sendable {
    public static let linkType: UInt32 = 276
    public static let snapshotLength = UInt32(DatagramFrame.maxLength)
    public static let magic: UInt32 = 0xA1B2_3C4D

    public let path: String
    private let state: Mutex<State>

    private struct State {
        var descriptor: CInt?
        var buffer: [UInt8] = []
        var records = 0
        var cutDatagrams = 0
        /// The first write error (errno); nothing more is written after it.
        var failure: Int32?
    }

    private static let flushBytes = 1 << 16

    /// Creates (or empties) the file at `path` and writes its header.
    public init(path: String) throws(PacketCaptureError) {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PacketCaptureError(path: path, reason: String(cString: strerror(errno))) }
        var header: [UInt8] = []
        header.appendLittleEndian(Self.magic)
        header.appendLittleEndian(UInt16(2))
        header.appendLittleEndian(UInt16(4))
        header.appendLittleEndian(UInt32(0))  // this zone: timestamps are UTC
        header.appendLittleEndian(UInt32(0))  // significant figures
        header.appendLittleEndian(Self.snapshotLength)
        header.appendLittleEndian(Self.linkType)
        if let failure = Self.writeAll(header, to: descriptor) {
            _ = closeDescriptor(descriptor)
            throw PacketCaptureError(path: path, reason: String(cString: strerror(failure)))
        }
        var initial = State(descriptor: descriptor)
        initial.buffer.reserveCapacity(Self.flushBytes + DatagramFrame.maxLength + 16)
        state = Mutex(initial)
    }

    deinit {
        try? close()
    }

    /// Adds one datagram: `payload` from `source` to `destination`, seen going `direction` at
    /// interface `interface`, at `nanosecondsSinceEpoch`.
    public func record(
        _ payload: [UInt8], from source: RoomAddress, to destination: RoomAddress, direction: CaptureDirection,
        interface: UInt32, nanosecondsSinceEpoch: Int64
    ) {
        state.withLock { state in
            guard state.descriptor != nil, state.failure == nil else { return }
            let time = max(0, nanosecondsSinceEpoch)
            let seconds = UInt32(clamping: time / 1_000_000_000)
            let nanoseconds = UInt32(time % 1_000_000_000)
            let start = state.buffer.count
            state.buffer.append(contentsOf: repeatElement(0, count: 16))
            let wireLength = payload.withUnsafeBytes {
                DatagramFrame.append(
                    $0, from: source, to: destination, direction: direction, interface: interface, to: &state.buffer)
            }
            let captured = state.buffer.count - start - 16
            var header: [UInt8] = []
            header.reserveCapacity(16)
            header.appendLittleEndian(seconds)
            header.appendLittleEndian(nanoseconds)
            header.appendLittleEndian(UInt32(captured))
            header.appendLittleEndian(UInt32(clamping: wireLength))
            state.buffer.replaceSubrange(start..<(start + 16), with: header)
            state.records += 1
            if wireLength > captured { state.cutDatagrams += 1 }
            if state.buffer.count >= Self.flushBytes { Self.flush(&state) }
        }
    }

    /// Records written so far.
    public var recordCount: Int { state.withLock { $0.records } }

    /// Datagrams cut to the largest IP datagram's payload.
    public var cutDatagrams: Int { state.withLock { $0.cutDatagrams } }

    /// Writes what is buffered and closes the file; idempotent.
    ///
    /// - Throws: the first write error of the capture (the file then ends at the last whole block).
    public func close() throws(PacketCaptureError) {
        let failure: Int32? = state.withLock { state in
            guard let descriptor = state.descriptor else { return state.failure }
            Self.flush(&state)
            if state.failure == nil, fsync(descriptor) != 0, errno != EINVAL, errno != EROFS { state.failure = errno }
            if closeDescriptor(descriptor) != 0, state.failure == nil { state.failure = errno }
            state.descriptor = nil
            return state.failure
        }
        if let failure { throw PacketCaptureError(path: path, reason: String(cString: strerror(failure))) }
    }

    private static func flush(_ state: inout State) {
        guard let descriptor = state.descriptor, state.failure == nil, !state.buffer.isEmpty else { return }
        state.failure = writeAll(state.buffer, to: descriptor)
        state.buffer.removeAll(keepingCapacity: true)
    }

    /// Writes every byte, retrying after interruptions; the errno of a failure (EIO for a write
    /// that makes no progress), or nil.
    private static func writeAll(_ bytes: [UInt8], to descriptor: CInt) -> Int32? {
        bytes.withUnsafeBytes { raw -> Int32? in
            var done = 0
            while done < raw.count {
                guard let base = raw.baseAddress else { return nil }
                let n = write(descriptor, base + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? errno : EIO }
                done += n
            }
            return nil
        }
    }
}

/// `close(2)`; inside the class `close` is the method.
private func closeDescriptor(_ descriptor: CInt) -> CInt { close(descriptor) }
