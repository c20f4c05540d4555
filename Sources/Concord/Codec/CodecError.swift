import COpus

/// Everything that can go wrong configuring or running the Opus codec.
public enum CodecError: Error, Equatable, CustomStringConvertible {
    /// libopus refused a call; `message` is `opus_strerror(code)`.
    case opus(operation: String, code: Int32, message: String)
    /// A setting outside what Opus (or Concord) supports; `allowed` names the accepted range.
    case invalidSetting(name: String, value: String, allowed: String)
    /// A frame handed to the encoder or decoder is not the configured length.
    case wrongFrameLength(expected: Int, got: Int)

    public var description: String {
        switch self {
        case let .opus(operation, code, message):
            return "Opus \(operation) failed: \(message) (code \(code))"
        case let .invalidSetting(name, value, allowed):
            return "invalid codec setting \(name)=\(value); allowed: \(allowed)"
        case let .wrongFrameLength(expected, got):
            return "audio frame has \(got) samples; the codec is configured for \(expected)"
        }
    }

    static func check(_ code: Int32, _ operation: String) throws(CodecError) {
        if code < 0 { throw .opus(operation: operation, code: code, message: opusMessage(code)) }
    }

    static func opusMessage(_ code: Int32) -> String {
        String(cString: opus_strerror(code))
    }
}
